"""Session files and imports are checked like live input: types, limits, times, references;
every text cleaned; one bad file never hides the others."""

from __future__ import annotations

import asyncio
import copy
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from facilitator.cli import main
from facilitator.core.joining import JoinCode, card_code
from facilitator.core.model import Source
from facilitator.demo import create_demo
from facilitator.session.documents import DocumentError, check_tables
from facilitator.session.files import SessionCorrupt
from facilitator.session.journal import load_session
from facilitator.session.library import ROOM_KEYS, Library, Templates
from facilitator.session.store import SessionStore

Tables = dict[str, dict[str, dict[str, Any]]]


@pytest.fixture
async def filled(store: SessionStore) -> SessionStore:
    """A session with something in every table, made through the store as a live one is."""
    await store.join("dev-a", lang="ar", stakeholder="refugee_led", name="Samira",
                     consent_named=True, table_group="A")
    await store.join("dev-b", lang="nl", table_group="A",
                     came_with=JoinCode(card_code(store.info, "A"), time.time()))
    await store.revoke_card("B")
    await store.update_round("checkin", joining_closed=True)
    theme = await store.add_theme("knelpunten", "Regels")
    await store.update_round("knelpunten", submissions_open=True)
    first = await store.add_contribution("knelpunten", "Subsidieregels zijn te ingewikkeld",
                                         author="dev-a", theme_id=theme.id)
    second = await store.add_contribution("knelpunten", "Geen tijd", source=Source.TUI)
    await store.merge(first.id, [second.id])
    await store.update_round("knelpunten", voting_open=True)
    await store.ballot_items("dev-a", "knelpunten")
    await store.cast_ballot("dev-a", "knelpunten", {first.id: 2})
    await store.add_action("Loket", owner="Gemeente", due="2026-12-01",
                           contribution_id=first.id, round_id="knelpunten")
    await store.add_note("aan-tafel", "Jongeren ontbraken")
    await store.go_to_round(1)
    await store.update_session(place="Utrecht", view_state={"selected": 1, "filter": "A"},
                               room_size=24, join_base="http://192.168.1.20:8081")
    return store


def tables_of(store: SessionStore) -> Tables:
    """The session's tables as on disk: the file with its journal applied."""
    return load_session(store.path)[0]


def first(table: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return next(iter(table.values()))


# -- what a live session writes passes, unchanged ----------------------------------------------


async def test_a_live_session_passes_unchanged(filled: SessionStore) -> None:
    raw = tables_of(filled)
    assert check_tables(copy.deepcopy(raw)) == raw


def test_the_demo_session_passes_unchanged(library: Library, templates: Templates) -> None:
    path = create_demo(library, templates)
    raw = load_session(path)[0]
    assert check_tables(copy.deepcopy(raw)) == raw


# -- what the issue found: each is refused naming the table, document and key ------------------

Change = Callable[[Tables], None]


def _set(table: str, key: str, value: Any, doc: str | None = None) -> Change:
    def change(tables: Tables) -> None:
        docs = tables[table]
        docs[doc or next(iter(docs))][key] = value

    return change


HOSTILE: dict[str, tuple[Change, str, str]] = {
    # name: (change, where, words in the problem)
    "created_1e308": (_set("session", "created", 1e308), "session.1.created", "less than or equal"),
    "contribution_10kb": (_set("contributions", "text", "x" * 10_000),
                          "contributions.1.text", "10,000 characters; at most 500"),
    "title_1mb": (_set("session", "title", "t" * 1_000_000), "session.1.title",
                  "1,000,000 characters; at most 200"),
    "weight_minus_1000": (_set("votes", "weight", -1000), "votes.1.weight",
                          "-1000 dots on one item"),
    "hidden_yes": (_set("contributions", "hidden", "yes"), "contributions.1.hidden",
                   "valid boolean"),
    "current_round_huge": (_set("session", "current_round", 10**18), "session.1.current_round",
                           "less than or equal"),
    "current_round_past_the_end": (_set("session", "current_round", 9),
                                   "session.1.current_round", "the template has"),
    "title_number": (_set("session", "title", 123), "session.1.title", "valid string"),
    "text_null": (_set("contributions", "text", None), "contributions.1.text", "valid string"),
    "weight_text": (_set("votes", "weight", "x"), "votes.1.weight", "valid integer"),
    "created_yesterday": (_set("session", "created", "yesterday"), "session.1.created",
                          "valid number"),
    "join_token_number": (_set("session", "join_token", 42), "session.1.join_token",
                          "valid string"),
    "unknown_round": (_set("contributions", "round_id", "elders"), "contributions.1.round_id",
                      "not a round of the template"),
    "merged_into_nothing": (_set("contributions", "merged_into", 999, doc="2"),
                            "contributions.2.merged_into", "not another contribution"),
    "vote_for_nothing": (_set("votes", "contribution_id", 999), "votes.1.contribution_id",
                         "not a contribution of the round"),
    "unknown_group": (_set("participants", "stakeholder", "aliens"),
                      "participants.1.stakeholder", "not a stakeholder group"),
    "timer_infinite": (_set("rounds", "elapsed_s", 1e300), "rounds.1.elapsed_s",
                       "less than or equal"),
    "unknown_key": (_set("notes", "colour", "red"), "notes.1.colour", "unknown key"),
    "view_state_selected_text": (_set("session", "view_state", {"selected": "x"}),
                                 "session.1.view_state.selected", "valid integer"),
    "bad_due_date": (_set("actions", "due", "2026-13-45"), "actions.1.due", "not a date"),
    "table_twice": (_set("session", "tables", ["A", "B", "A"]), "session.1.tables",
                    "a table is named twice"),
    "table_empty": (_set("session", "tables", ["A", " "]), "session.1.tables[1]",
                    "empty; it needs some text"),
    "held_on_not_a_day": (_set("session", "held_on", "2027-02-30"), "session.1.held_on",
                          "not a date"),
    "hidden_by_someone": (_set("contributions", "hidden_by", "mayor"),
                          "contributions.1.hidden_by", "'author' or 'facilitator'"),
    "card_issue_negative": (_set("session", "card_issue", {"A": -1}), "session.1.card_issue.A",
                            "greater than or equal to 0"),
    "room_size_text": (_set("session", "room_size", "24"), "session.1.room_size",
                       "valid integer"),
    "room_size_huge": (_set("session", "room_size", 10**9), "session.1.room_size",
                       "less than or equal"),
    "join_base_script": (_set("session", "join_base", "javascript:alert(1)"),
                         "session.1.join_base", "is not a valid join_base"),
    "joined_with_no_card": (_set("participants", "joined_with", "the back door", doc="2"),
                            "participants.2.joined_with", "or a table's card"),
    "joining_closed_yes": (_set("rounds", "joining_closed", "yes"), "rounds.1.joining_closed",
                           "valid boolean"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
async def test_a_hand_edited_file_is_refused_naming_table_document_and_key(
    filled: SessionStore, case: str
) -> None:
    change, where, words = HOSTILE[case]
    path = filled.path
    await filled.close()
    tables = tables_of(filled)
    change(tables)
    damaged = orjson.dumps(tables)
    path.write_bytes(damaged)
    for read_only in (False, True):
        with pytest.raises(SessionCorrupt) as caught:
            SessionStore.open(path, read_only=read_only)
        message = str(caught.value)
        assert f"{path}: not a readable session file ({where}: " in message, message
        assert words in message, message
        assert len(message) < 600, "a long value is cut short"
    assert path.read_bytes() == damaged, "a refused file is left as it was"


IMPORT_HOSTILE = sorted(case for case, (_change, where, _words) in HOSTILE.items()
                        if where.rsplit(".", 1)[-1] not in ROOM_KEYS)
"""An export's keys are never read (an import makes its own): their cases are not refusals."""


@pytest.mark.parametrize("case", IMPORT_HOSTILE)
async def test_an_import_is_refused_before_anything_is_written(
    filled: SessionStore, library: Library, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], case: str,
) -> None:
    change, where, words = HOSTILE[case]
    await filled.close()
    tables = tables_of(filled)
    change(tables)
    file = tmp_path / "import.json"
    file.write_bytes(orjson.dumps({"format": "facilitator-session", "version": 1,
                                   "tables": tables}))
    before = sorted(library.folder.iterdir())
    with pytest.raises(SystemExit) as caught:
        main(["import", str(file)])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert f"{file}: tables.{where}: " in err and words in err, err
    assert sorted(library.folder.iterdir()) == before


def test_a_bad_session_does_not_stop_list_and_is_marked_unreadable(
    library: Library, templates: Templates, tmp_path: Path
) -> None:
    good = library.create(templates.load("team-retro"), title="Goed")
    asyncio.run(good.close())
    bad = library.create(templates.load("team-retro"), title="Kapot")
    asyncio.run(bad.close())
    tables = orjson.loads(bad.path.read_bytes())
    first(tables["session"])["created"] = 1e308
    bad.path.write_bytes(orjson.dumps(tables))

    result = subprocess.run([sys.executable, "-m", "facilitator", "list"], capture_output=True,
                            encoding="utf-8", timeout=60,
                            env={**os.environ, "FACILITATOR_DATA_DIR": str(library.data_dir),
                                 "LANGUAGE": "en"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    (good_line,) = [line for line in lines if line.startswith(good.session_id)]
    (bad_line,) = [line for line in lines if line.startswith(bad.session_id)]
    assert good_line.endswith("Goed")
    assert "unreadable: session.1.created: " in bad_line
    assert "Traceback" not in result.stderr

    report = subprocess.run(
        [sys.executable, "-m", "facilitator", "report", bad.session_id, "--format", "md",
         "--out", str(tmp_path)], capture_output=True, encoding="utf-8", timeout=60,
        env={**os.environ, "FACILITATOR_DATA_DIR": str(library.data_dir), "LANGUAGE": "en"})
    assert report.returncode == 2 and "session.1.created" in report.stderr, report.stderr
    assert "Traceback" not in report.stderr


# -- every text is cleaned where it enters -----------------------------------------------------

OSC = "\x1b]2;PWNED\x1b\\"
RED = "\x1b[41m"


def _with_escapes(tables: Tables) -> None:
    info = first(tables["session"])
    info["title"] = f"{RED}Sessie{OSC}"
    info["template"]["rounds"][1]["prompt"]["nl"] += f" {OSC}"
    info["template"]["rounds"][1]["prompt"]["en"] += f" {OSC}"
    first(tables["contributions"])["text"] = f"tekst \u202e{RED}rood"
    first(tables["participants"])["name"] = "Sami\x1b[2Jra"


async def test_escapes_in_an_import_are_cleaned(filled: SessionStore, library: Library,
                                                tmp_path: Path) -> None:
    await filled.close()
    tables = tables_of(filled)
    _with_escapes(tables)
    file = tmp_path / "import.json"
    file.write_bytes(orjson.dumps({"format": "facilitator-session", "version": 1,
                                   "tables": tables}))
    entry = library.import_file(file)
    stored = orjson.loads(entry.path.read_bytes())
    assert b"\\u001b" not in entry.path.read_bytes() and b"\x1b" not in entry.path.read_bytes()
    assert first(stored["session"])["title"] == "[41mSessie]2;PWNED\\"
    assert first(stored["contributions"])["text"] == "tekst [41mrood"
    assert first(stored["participants"])["name"] == "Sami[2Jra"
    result = subprocess.run([sys.executable, "-m", "facilitator", "list"], capture_output=True,
                            encoding="utf-8", timeout=60,
                            env={**os.environ, "FACILITATOR_DATA_DIR": str(library.data_dir),
                                 "LANGUAGE": "en"})
    assert "[41mSessie]2;PWNED" in result.stdout and "\x1b" not in result.stdout


async def test_escapes_in_a_hand_edited_file_are_cleaned_on_open(filled: SessionStore) -> None:
    await filled.close()
    tables = tables_of(filled)
    _with_escapes(tables)
    filled.path.write_bytes(orjson.dumps(tables))
    again = SessionStore.open(filled.path, read_only=True)
    assert again.info.title == "[41mSessie]2;PWNED\\"
    assert "\x1b" not in again.template.rounds[1].prompt["en"]
    assert next(c.text for c in again.contributions(visible_only=False)) == "tekst [41mrood"


def test_every_record_field_has_a_rule() -> None:
    """A field added to a record in core/model.py must say here what it may hold."""
    from facilitator.core.model import TABLES
    from facilitator.session.documents import _validator

    for table in TABLES:
        _validator(table)  # raises when FIELDS and the record disagree


def test_unknown_tables_and_document_ids_are_named_safely() -> None:
    with pytest.raises(DocumentError) as caught:
        check_tables({"\x1b[2J": {}})
    assert "\x1b" not in str(caught.value) and "unknown table" in str(caught.value)
