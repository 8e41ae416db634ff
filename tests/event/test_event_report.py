"""The event report: three rooms from three templates in one picture, with the anonymity rule
of every room kept across the event (facilitator.core.privacy)."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from event_sessions import ACTIONS, ARABIC, LINES, REFUGEE_TEXTS, SCRIPT, RoomFixture
from pdf_helpers import needs_pdf

from facilitator.core.results import UNDISCLOSED
from facilitator.event.file import EventFile, ThemeMapping
from facilitator.event.rooms import opened_rooms
from facilitator.report.event_report import WITHHELD, EventReport, build_event_report
from facilitator.session.library import Library

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                   reason="poppler-utils (pdftotext) not installed")


def _event(rooms: dict[str, RoomFixture], tmp_path: Path, **kwargs: object) -> EventReport:
    with opened_rooms([str(r.path) for r in rooms.values()], Library(tmp_path)) as opened:
        return build_event_report(opened, title="Dag", **kwargs)  # type: ignore[arg-type]


def _pdftotext(path: Path, *options: str) -> str:
    return subprocess.run(["pdftotext", *options, str(path), "-"], check=True,
                          capture_output=True, encoding="utf-8").stdout


def _flat(text: str) -> str:
    return " ".join(text.split())


# -- figures --------------------------------------------------------------------------------------


def test_key_figures_are_the_rooms_summed(rooms: dict[str, RoomFixture], tmp_path: Path) -> None:
    event = _event(rooms, tmp_path)
    assert [room.session_id for room in event.rooms] == [r.session_id for r in rooms.values()]
    assert [room.report.participants for room in event.rooms] == [9, 12, 9]
    assert event.participants == 30
    assert event.contributions == sum(len(r.texts) for r in rooms.values()) == 23
    for figure in ("dots", "scores"):  # each summed on its own, never into one figure
        assert getattr(event, figure) == sum(getattr(room.report, figure) or 0
                                             for room in event.rooms)
    assert [room.template_title.split(":")[0] for room in event.rooms] == [
        "Kennisatelier", "Co-creatie", "Zes aannames die samenwerken lastig maken"]


def test_rounds_are_matched_by_kind(rooms: dict[str, RoomFixture], tmp_path: Path) -> None:
    event = _event(rooms, tmp_path)
    kinds = {k.kind: k for k in event.agenda}
    assert list(kinds) == ["bottleneck", "ideas", "audit", "open", "distillation"]
    bottleneck = kinds["bottleneck"]
    assert not bottleneck.same  # three templates, three different bottleneck rounds
    assert [titles for _room, titles in bottleneck.rooms] == [
        ["Knelpuntenanalyse"], ["Wat gaat er verloren?"],
        ["Herken je deze aanname?", "Ervaringen delen"]]
    assert [titles for _room, titles in kinds["distillation"].rooms] == [
        ["Oogst: tips en afspraken"], [], ["Slotsom"]]


def test_top_items_keep_each_rooms_ranking(rooms: dict[str, RoomFixture],
                                           tmp_path: Path) -> None:
    event = _event(rooms, tmp_path)
    ranks = [entry.item.rank for entry in event.top_bottlenecks]
    assert ranks == sorted(ranks)  # every room's first before any room's second
    assert {entry.room.number for entry in event.top_bottlenecks if entry.item.rank == 1} == {
        1, 2, 3}
    for entry in event.top_ideas:  # each item as its own room ranked it
        own = {i.id: i.rank for i in entry.room.report.top_ideas}
        assert own[entry.item.id] == entry.item.rank


def test_every_action_has_its_owner_and_room(rooms: dict[str, RoomFixture],
                                             tmp_path: Path) -> None:
    event = _event(rooms, tmp_path)
    assert [(a.room.number, a.action.text, a.action.owner) for a in event.actions] == [
        (1, *ACTIONS["a"]), (2, *ACTIONS["b"]), (3, *ACTIONS["c"]), (3, *ACTIONS["c-audit"])]


def test_a_distillation_shows_its_lines_and_tips(rooms: dict[str, RoomFixture],
                                                 tmp_path: Path) -> None:
    event = _event(rooms, tmp_path, lang="en")
    assert [room.number for room in event.distillations] == [3]
    room = event.distillations[0]
    assert [(line.text, line.to) for line in room.lines] == [
        (LINES[0][0], "Municipality"),
        (LINES[1][0], "Migrant organisation and Refugee-led initiative")]
    assert {tip.text for tip in room.tips} == {"Bel elkaar vaker op.",
                                               "Nodig ons uit aan het begin, niet aan het eind."}
    assert all(tip.group in ("", "Municipality") for tip in room.tips)


# -- themes ---------------------------------------------------------------------------------------


def test_themes_of_one_name_go_together(rooms: dict[str, RoomFixture], tmp_path: Path) -> None:
    event = _event(rooms, tmp_path)
    taal = next(t for t in event.themes if t.name == "Taal en communicatie")
    assert [(p.room.number, p.name, p.items) for p in taal.places] == [
        (1, "Taal en communicatie", 2), (2, "taal en Communicatie", 2)]
    financiering = next(t for t in event.themes if t.name == "Financiering")
    assert [p.room.number for p in financiering.places] == [3]  # no event file: on its own


def test_the_event_file_maps_a_theme_without_touching_the_rooms(
        rooms: dict[str, RoomFixture], tmp_path: Path) -> None:
    folder = rooms["a"].path.parent
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.name != "event.toml"}
    mapping = ThemeMapping(rooms["c"].session_id, "financiering", "Geld", "theme[0]")
    event = _event(rooms, tmp_path, event=EventFile(tmp_path / "event.toml", themes=(mapping,)))
    geld = next(t for t in event.themes if t.name == "Geld")
    assert [(p.room.number, p.name, p.mapped) for p in geld.places] == [
        (1, "Geld", False), (3, "Financiering", True)]
    assert event.mapped == 1
    assert all(t.name != "Financiering" for t in event.themes)
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.name != "event.toml"} == before


def test_a_mapping_of_an_unknown_theme_names_its_key(rooms: dict[str, RoomFixture],
                                                     tmp_path: Path) -> None:
    from facilitator.event.file import EventFileError

    mapping = ThemeMapping(rooms["c"].session_id, "Geen thema", "Geld", "theme[0]")
    with pytest.raises(EventFileError, match=r"event.toml: theme\[0\].name: room 'zaal-c"):
        _event(rooms, tmp_path, event=EventFile(tmp_path / "event.toml", themes=(mapping,)))
    mapping = ThemeMapping("elders", "Geld", "Geld", "theme[0]")
    with pytest.raises(EventFileError, match=r"theme\[0\].room: 'elders' is not one of the"):
        _event(rooms, tmp_path, event=EventFile(tmp_path / "event.toml", themes=(mapping,)))


# -- the anonymity rule across rooms --------------------------------------------------------------


def test_a_group_small_in_every_room_is_never_named(rooms: dict[str, RoomFixture],
                                                    tmp_path: Path) -> None:
    event = _event(rooms, tmp_path)
    refugee = next(g for g in event.groups if g.group_id == "refugee_led")
    assert refugee.present == 5  # above every threshold across the event, yet:
    assert refugee.pooled and refugee.contributions == WITHHELD and refugee.voice_share is None
    for room, fixture in zip(event.rooms, rooms.values(), strict=True):
        items = [i for ap in room.report.appendix for i in ap.items]
        assert {i.id for i in items} >= fixture.refugee
        assert all(i.group == "" for i in items if i.id in fixture.refugee)
    shown = [*event.top_bottlenecks, *event.top_ideas]
    refugee_texts = set(REFUGEE_TEXTS.values())
    assert any(e.item.text in refugee_texts for e in shown)
    assert all(e.item.group == "" for e in shown if e.item.text in refugee_texts)


def test_combining_rooms_reveals_nothing_a_room_withheld(rooms: dict[str, RoomFixture],
                                                        tmp_path: Path) -> None:
    """Civil society is withheld in room A (it keeps the small groups company there) and exact
    in rooms B and C: an event total would give room A's figure away by subtraction."""
    event = _event(rooms, tmp_path)
    per_room = [{g.group_id: g for g in room.report.groups} for room in event.rooms]
    assert per_room[0]["civil_society"].pooled
    assert not per_room[1]["civil_society"].pooled and not per_room[2]["civil_society"].pooled
    civil = next(g for g in event.groups if g.group_id == "civil_society")
    assert (civil.contributions, civil.votes_won, civil.voice_share) == (WITHHELD, WITHHELD, None)
    assert civil.present == 10  # presence is never withheld
    # Every exact event figure is the sum of exact room figures, so it tells nothing new.
    for row in event.groups:
        rooms_rows = [r[row.group_id] for r in per_room if row.group_id in r]
        if row.pooled:
            assert any(r.pooled for r in rooms_rows)
            continue
        assert not any(r.pooled for r in rooms_rows)
        assert int(row.contributions) == sum(int(r.contributions) for r in rooms_rows)
        assert int(row.votes_won) == sum(int(r.votes_won) for r in rooms_rows)
    municipality = next(g for g in event.groups if g.group_id == "municipality")
    assert not municipality.pooled and municipality.contributions == "8"
    assert UNDISCLOSED in {g.group_id for g in event.groups if g.pooled}
    assert "“Maatschappelijke organisatie”" in event.withheld_note
    # No dominance claim about a withheld group either (it would bound a room's figure).
    assert not any("Maatschappelijke" in f for f in event.findings)


# -- the files ------------------------------------------------------------------------------------


def test_every_contribution_is_in_the_markdown_and_csv(rooms: dict[str, RoomFixture],
                                                       event_written: dict[str, Path]) -> None:
    markdown = event_written[".md"].read_text(encoding="utf-8")
    table = list(csv.DictReader(io.StringIO(
        event_written["-contributions.csv"].read_text(encoding="utf-8"))))
    for fixture in rooms.values():
        in_csv = [row["text"] for row in table if row["session"] == fixture.session_id]
        assert sorted(in_csv) == sorted(fixture.texts)
        refugee_rows = [row for row in table if row["session"] == fixture.session_id
                        and int(row["id"]) in fixture.refugee]
        assert refugee_rows and all(row["group"] == "" for row in refugee_rows)
    for text in (t for r in rooms.values() for t in r.texts if t != SCRIPT):
        assert text in markdown
    assert r"\<script\>alert('zaal')\</script\> \*\*vet\*\* \| pijp" in markdown
    assert "<script>" not in markdown
    assert LINES[1][0] in markdown


def test_the_groups_csv_withholds_what_the_report_does(event_written: dict[str, Path]) -> None:
    rows = list(csv.DictReader(io.StringIO(
        event_written["-groups.csv"].read_text(encoding="utf-8"))))
    event = {r["group"]: r for r in rows if r["scope"] == "event"}
    assert event["Initiatief geleid door vluchtelingen"]["contributions"] == ""
    assert event["Initiatief geleid door vluchtelingen"]["present"] == "5"
    assert event["Maatschappelijke organisatie"]["withheld"] == "1"
    assert event["Gemeente"]["contributions"] == "8"
    room_a = {r["group"]: r for r in rows if r["scope"] == "1"}
    assert room_a["Maatschappelijke organisatie"]["contributions"] == ""
    room_b = {r["group"]: r for r in rows if r["scope"] == "2"}
    assert room_b["Maatschappelijke organisatie"]["contributions"] == "2"


def test_html_escapes_and_marks_right_to_left(event_written: dict[str, Path]) -> None:
    html = event_written[".html"].read_text(encoding="utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;zaal&#39;)" in html
    assert '<p dir="rtl">' in html and ARABIC in html
    assert "Consultatiedag Zwolle" in html


@needs_pdf
@needs_poppler
def test_every_contribution_is_in_the_pdf(rooms: dict[str, RoomFixture],
                                          event_written: dict[str, Path]) -> None:
    text = _flat(_pdftotext(event_written[".pdf"]))
    for fixture in rooms.values():
        for contribution in fixture.texts:
            if contribution == ARABIC:
                continue  # pdftotext splits the lam-alef ligature of its first word: below
            assert _flat(contribution) in text, contribution
    assert ARABIC.split(maxsplit=1)[1] in text
    for line, _to in LINES:
        assert _flat(line) in text
    for action, owner in ACTIONS.values():
        assert action in text and owner in text
    assert "Consultatiedag Zwolle" in text
    table = _flat(_pdftotext(event_written[".pdf"], "-layout"))  # the event's row: presence
    assert re.search(r"Initiatief geleid door( vluchtelingen)? ja 5 17%( –){5}", table)


@needs_poppler
@pytest.mark.browser
@pytest.mark.skipif(not Path("/usr/bin/chromium").is_file(),
                    reason="/usr/bin/chromium is missing (Debian package 'chromium')")
def test_the_event_pdf_through_the_browser(rooms: dict[str, RoomFixture], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The event report as Windows and macOS print it (their browser): every room's words, the
    Arabic in its order, the event's title over every page but the first."""
    from facilitator.report.write import write_event_report

    monkeypatch.setenv("FACILITATOR_PDF", "browser")
    monkeypatch.setenv("FACILITATOR_BROWSER", "/usr/bin/chromium")
    with opened_rooms([str(r.path) for r in rooms.values()], Library(tmp_path / "data")) as opened:
        [pdf] = write_event_report(opened, title="Consultatiedag Zwolle", out_dir=tmp_path,
                                   formats=["pdf"])
    assert "Skia/PDF" in subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True,
                                        text=True).stdout
    text = _flat(_pdftotext(pdf))
    for fixture in rooms.values():
        for contribution in fixture.texts:
            if contribution != ARABIC:
                assert _flat(contribution) in text, contribution
    assert ARABIC.split(maxsplit=1)[1] in text
    assert _pdftotext(pdf, "-f", "2", "-l", "2").startswith("Consultatiedag Zwolle")
    assert not _pdftotext(pdf, "-f", "1", "-l", "1").startswith("Consultatiedag Zwolle")
