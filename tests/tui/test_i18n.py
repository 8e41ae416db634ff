"""The TUI's catalogs: every string in facilitator/tui has a Dutch translation, and the
placeholders in each translation match the English."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

import facilitator
from facilitator.tui.i18n import _, set_language

PACKAGE = Path(facilitator.__file__).parent
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")


def extracted() -> list[str | tuple[str, ...]]:
    keywords = dict(DEFAULT_KEYWORDS)
    keywords["N_"] = None
    found = []
    for _file, _line, message, _comments, _context in extract_from_dir(
            PACKAGE / "tui", method_map=[("**.py", "python")], keywords=keywords):
        found.append(message)
    return found


def catalog(lang: str):  # type: ignore[no-untyped-def]
    with (PACKAGE / "locale" / lang / "LC_MESSAGES" / "tui.po").open("rb") as handle:
        return read_po(handle, locale=lang, domain="tui")


def test_every_string_has_a_dutch_translation() -> None:
    dutch = catalog("nl")
    messages = extracted()
    assert len(messages) > 150
    missing = []
    for message in messages:
        key = message[0] if isinstance(message, tuple) else message
        entry = dutch.get(key)
        strings = entry.string if entry is not None else ""
        if isinstance(strings, str):
            strings = (strings,)
        if entry is None or not all(strings) or entry.fuzzy:
            missing.append(key)
    assert missing == []


def test_placeholders_match() -> None:
    for entry in catalog("nl"):
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        for source, translated in zip(ids, strings, strict=False):
            assert sorted(PLACEHOLDER.findall(source)) == sorted(
                PLACEHOLDER.findall(translated)), entry.id


def test_english_catalog_lists_the_same_strings() -> None:
    english = {e.id[0] if isinstance(e.id, tuple) else e.id for e in catalog("en") if e.id}
    dutch = {e.id[0] if isinstance(e.id, tuple) else e.id for e in catalog("nl") if e.id}
    assert english == dutch


def test_language_switch() -> None:
    try:
        set_language("nl")
        assert _("Round {n} of {total}") == "Ronde {n} van {total}"
        set_language("en")
        assert _("Round {n} of {total}") == "Round {n} of {total}"
        assert set_language("xx") == "en"
    finally:
        set_language("en")


def test_the_wall_has_one_dutch_name() -> None:
    """The README and the side panel call the wall "wand": no Dutch catalog says "muur"."""
    said = []
    for path in sorted((PACKAGE / "locale" / "nl" / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            for entry in read_po(handle, locale="nl"):
                strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
                said += [f"{path.name}: {text}" for text in strings
                         if re.search(r"muur", text, re.IGNORECASE)]
    assert said == []
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    assert not re.search(r"\bmuur", readme, re.IGNORECASE)


def test_the_catalogs_hold_the_codes_strings_and_where_they_are() -> None:
    """No entry the code no longer asks for, and every location a file that exists: a
    translator reading ``#: facilitator/tui/...`` finds the string where it says."""
    messages = {m[0] if isinstance(m, tuple) else m for m in extracted()}
    project = PACKAGE.parent
    for lang in ("en", "nl"):
        entries = [entry for entry in catalog(lang) if entry.id]
        keys = {entry.id[0] if isinstance(entry.id, tuple) else entry.id for entry in entries}
        assert keys - messages == set(), lang
        gone = {file for entry in entries for file, _line in entry.locations
                if not (project / file).is_file()}
        assert gone == set(), lang
