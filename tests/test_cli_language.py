"""The command line speaks the facilitator's language (issue 19): Dutch or English, chosen as
the TUI chooses (``--lang``, the session's language for ``serve``, the system's, else Dutch);
every sentence of ``facilitator/cli.py`` (``serve``'s included) has its Dutch translation."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po

import facilitator
from facilitator import cli_i18n
from facilitator.cli_i18n import language_asked, system_language

PACKAGE = Path(facilitator.__file__).parent
SOURCES = [PACKAGE / "cli.py"]
PLACEHOLDER = re.compile(r"\{[a-z_]*\}|%\([a-z_]+\)s")


def extracted() -> list[str]:
    found = []
    for source in SOURCES:
        for _line, message, _comments, _context in extract_from_file(
                "python", str(source), keywords=DEFAULT_KEYWORDS):
            found.append(message[0] if isinstance(message, tuple) else message)
    return found


def catalog(lang: str):  # type: ignore[no-untyped-def]
    with (PACKAGE / "locale" / lang / "LC_MESSAGES" / "cli.po").open("rb") as handle:
        return read_po(handle, locale=lang, domain="cli")


def test_every_sentence_has_a_dutch_translation() -> None:
    dutch = catalog("nl")
    messages = extracted()
    assert len(messages) > 60
    missing = []
    for message in messages:
        entry = dutch.get(message)
        strings = entry.string if entry is not None else ""
        if isinstance(strings, str):
            strings = (strings,)
        if entry is None or not all(strings) or entry.fuzzy:
            missing.append(message)
    assert missing == []
    english = {e.id[0] if isinstance(e.id, tuple) else e.id for e in catalog("en") if e.id}
    assert english == {e.id[0] if isinstance(e.id, tuple) else e.id for e in dutch if e.id}


def test_placeholders_survive_translation() -> None:
    for entry in catalog("nl"):
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        for source, translated in zip(ids, strings, strict=False):
            assert sorted(PLACEHOLDER.findall(source)) == sorted(
                PLACEHOLDER.findall(translated)), entry.id


@pytest.mark.parametrize(("environ", "expected"), [
    ({"LANG": "nl_NL.UTF-8"}, "nl"), ({"LANG": "nl_BE.UTF-8"}, "nl"),
    ({"LC_ALL": "en_GB.UTF-8", "LANG": "nl_NL.UTF-8"}, "en"),
    ({"LANGUAGE": "nl:en", "LANG": "en_US.UTF-8"}, "nl"), ({"LANG": "Dutch_Netherlands"}, "nl"),
    ({"LANG": "C.UTF-8"}, None), ({"LANG": "de_DE.UTF-8"}, None), ({"LANG": "end"}, None),
    ({}, None),
])
def test_the_systems_language(environ: dict[str, str], expected: str | None,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_i18n, "windows_language", lambda: None)  # a Windows in German
    assert system_language(environ) == expected


def test_windows_speaks_its_display_language_unless_a_variable_says_otherwise(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_i18n, "windows_language", lambda: "nl")  # a Dutch Windows
    assert system_language({}) == "nl"
    assert language_asked(["list"], {}) == "nl"
    assert system_language({"LANG": "en_GB.UTF-8"}) == "en"  # Git Bash, say
    assert language_asked(["list", "--lang", "en"], {}) == "en"


def test_windows_display_language_is_read_on_windows_alone() -> None:
    if sys.platform == "win32":  # Wine's is its host's (English here): any answer but a crash
        assert cli_i18n.windows_language() in ("nl", "en", None)
        assert system_language({}) == cli_i18n.windows_language()
    else:
        assert cli_i18n.windows_language() is None
        assert system_language({}) is None


def test_lang_on_the_command_line_comes_first() -> None:
    assert language_asked(["demo", "--lang", "en"], {"LANG": "nl_NL.UTF-8"}) == "en"
    assert language_asked(["run", "--lang=nl"], {"LANG": "en_US.UTF-8"}) == "nl"
    assert language_asked(["list"], {"LANG": "en_US.UTF-8"}) == "en"
    assert language_asked(["list"], {"LANG": "C.UTF-8"}) == "nl"  # as the TUI, Dutch


def run(tmp_path: Path, *args: str, **environ: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")}
    env.update(FACILITATOR_DATA_DIR=str(tmp_path / "data"), PYTHONIOENCODING="utf-8",
               XDG_CONFIG_HOME=str(tmp_path / "config"), **environ)
    return subprocess.run([sys.executable, "-m", "facilitator", *args], capture_output=True,
                          encoding="utf-8", env=env, timeout=60)  # Windows' default: cp1252


def test_a_dutch_system_hears_dutch(tmp_path: Path) -> None:
    listed = run(tmp_path, "list", LANG="nl_NL.UTF-8")
    assert listed.returncode == 0 and listed.stdout.startswith("Nog geen sessies in ")
    helped = run(tmp_path, "--help", LANG="nl_NL.UTF-8")
    assert "Leid een live cocreatiesessie vanaf één laptop." in helped.stdout
    assert "toon de sessies" in helped.stdout
    refused = run(tmp_path, "serve", "x", "--port", "99999", LANG="nl_NL.UTF-8")
    assert refused.returncode == 2 and "poort 99999 ligt buiten 0-65535" in refused.stderr
    english = run(tmp_path, "list", LANG="en_GB.UTF-8")
    assert english.stdout.startswith("No sessions yet in ")
    made = run(tmp_path, "new", "kennisatelier", LANG="en_GB.UTF-8")
    listed = run(tmp_path, "list", LANG="nl_NL.UTF-8")
    assert made.returncode == 0 and " deelnemers " in listed.stdout
    assert "bijdragen" in listed.stdout


def test_every_command_says_what_it_takes_in_dutch(tmp_path: Path) -> None:
    """`list` and `templates` describe themselves, and every positional argument has a help
    text, in the facilitator's language."""
    for command, said in (("list", "De sessies in de gegevensmap"),
                          ("templates", "De sjablonen waarmee je een sessie begint"),
                          ("serve", "SESSION een sessie: haar id"),
                          ("report", "SESSION een sessie: haar id"),
                          ("cards", "SESSION een sessie: haar id"),
                          ("export", "SESSION een sessie: haar id"),
                          ("new", "TEMPLATE de naam van een sjabloon"),
                          ("import", "FILE een bestand dat facilitator export schreef")):
        helped = run(tmp_path, command, "--help", LANG="nl_NL.UTF-8")
        assert helped.returncode == 0, helped.stderr
        assert said in " ".join(helped.stdout.split()), (command, helped.stdout)


def test_a_name_that_is_nothing_and_a_session_in_use_are_said_in_dutch(tmp_path: Path) -> None:
    import asyncio

    from facilitator.session.store import SessionStore

    missing = run(tmp_path, "report", "nergens", LANG="nl_NL.UTF-8")
    assert missing.returncode == 2 and "geen sessie 'nergens' in " in missing.stderr, \
        missing.stderr
    nothing = run(tmp_path, "new", "nergens", LANG="nl_NL.UTF-8")
    assert nothing.returncode == 2 and "geen sjabloon 'nergens'; de sjablonen: " in \
        nothing.stderr and "kennisatelier" in nothing.stderr, nothing.stderr
    made = run(tmp_path, "new", "kennisatelier", LANG="nl_NL.UTF-8")
    assert made.returncode == 0, made.stderr
    path = Path(made.stdout.splitlines()[1])
    store = SessionStore.open(path)  # this process has it open
    try:
        locked = run(tmp_path, "serve", path.stem, "--port", "0", LANG="nl_NL.UTF-8")
    finally:
        asyncio.run(store.close())
    assert locked.returncode == 1, locked.stderr
    assert "deze sessie is open in een ander facilitator-proces" in locked.stderr
