"""``facilitator event report``, ``event map`` and ``event watch`` as a user runs them: real
processes, the files they write, and refusals that name the file (exit 2) and change nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from event_sessions import RoomFixture
from machine import user_folders

from facilitator.session.library import Library


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "FACILITATOR_DATA_DIR": str(tmp_path / "data"), "LANGUAGE": "en",
            **user_folders(tmp_path)}


@pytest.fixture
def day(rooms: dict[str, RoomFixture], tmp_path: Path) -> dict[str, Path]:
    """A copy of the three rooms' session files, as an organiser collects them."""
    folder = tmp_path / "day"
    folder.mkdir()
    return {letter: Path(shutil.copy(room.path, folder / room.path.name))
            for letter, room in rooms.items()}


def cli(env: dict[str, str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "facilitator", *map(str, args)],
                          capture_output=True, encoding="utf-8", env=env, timeout=120)


def test_report_of_three_rooms_with_the_event_file_beside_them(
        env: dict[str, str], day: dict[str, Path], rooms: dict[str, RoomFixture],
        tmp_path: Path) -> None:
    mapped = cli(env, "event", "map", day["c"], "Financiering", "--onto", "Geld")
    assert mapped.returncode == 0, mapped.stderr
    event_file = day["c"].parent / "event.toml"
    assert mapped.stdout.strip() == str(event_file)
    assert 'same_as = "Geld"' in event_file.read_text(encoding="utf-8")
    before = {p.name: p.read_bytes() for p in day["a"].parent.iterdir()}

    out = tmp_path / "out"
    result = cli(env, "event", "report", day["a"], day["b"], day["c"], "--title",
                 "Consultatiedag Zwolle", "--out", out, "--format", "md,csv")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [str(out / f"consultatiedag-zwolle{suffix}") for suffix
                                          in (".md", "-contributions.csv", "-votes.csv",
                                              "-groups.csv")]
    markdown = (out / "consultatiedag-zwolle.md").read_text(encoding="utf-8")
    assert "# Consultatiedag Zwolle" in markdown
    assert "thema's bij dat van een andere zaal gezet: 1." in markdown
    assert "| 3\\. Zaal C: aannames | Herken je deze aanname? | Financiering ⇢ |" in markdown
    assert {p.name: p.read_bytes() for p in day["a"].parent.iterdir()} == before


def test_an_export_is_read_without_being_imported(env: dict[str, str], day: dict[str, Path],
                                                  tmp_path: Path) -> None:
    export = tmp_path / "zaal-b-export.json"
    export.write_bytes(Library(tmp_path / "elsewhere").export(str(day["b"])))
    result = cli(env, "event", "report", day["a"], export, day["c"], "--title", "Dag",
                 "--out", tmp_path / "out", "--format", "md", "--lang", "en")
    assert result.returncode == 0, result.stderr
    assert "Wie Arabisch spreekt, wordt niet gehoord." in (tmp_path / "out" / "dag.md").read_text(
        encoding="utf-8")
    assert not (tmp_path / "data" / "sessions").exists()  # nothing imported


def test_a_missing_file_is_named(env: dict[str, str], day: dict[str, Path],
                                 tmp_path: Path) -> None:
    missing = day["a"].parent / "zaal-d-20261123.json"
    result = cli(env, "event", "report", day["a"], missing, "--title", "Dag", "--out",
                 tmp_path / "out")
    assert result.returncode == 2
    assert f"{missing}: no such file" in result.stderr
    assert not (tmp_path / "out").exists()


def test_two_files_of_one_session_are_refused(env: dict[str, str], day: dict[str, Path],
                                              tmp_path: Path) -> None:
    copy = Path(shutil.copy(day["b"], tmp_path / "zaal-b-kopie.json"))
    result = cli(env, "event", "report", day["a"], day["b"], copy, "--title", "Dag", "--out",
                 tmp_path / "out")
    assert result.returncode == 2
    assert f"{copy}: the same session as {day['b']} (zaal-b-20261123)" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_damaged_file_is_named(env: dict[str, str], day: dict[str, Path],
                                 tmp_path: Path) -> None:
    damaged = tmp_path / "zaal-x.json"
    damaged.write_text('{"session": {"1": {"title": "half', encoding="utf-8")
    result = cli(env, "event", "report", day["a"], damaged, "--title", "Dag", "--out",
                 tmp_path / "out")
    assert result.returncode == 2
    assert f"{damaged}: not a readable session file" in result.stderr
    assert damaged.read_text(encoding="utf-8") == '{"session": {"1": {"title": "half'
    bad_export = tmp_path / "kapot-export.json"
    bad_export.write_text('{"format": "facilitator-session", "version": 1, "tables": 3}',
                          encoding="utf-8")
    result = cli(env, "event", "report", day["a"], bad_export, "--title", "Dag")
    assert result.returncode == 2
    assert f"{bad_export}: tables: expected an object of tables" in result.stderr


def test_a_report_needs_a_title_and_rooms(env: dict[str, str], day: dict[str, Path],
                                         tmp_path: Path) -> None:
    result = cli(env, "event", "report", day["a"], "--out", tmp_path / "out")
    assert result.returncode == 2 and "--title" in result.stderr
    result = cli(env, "event", "report", "--title", "Dag")
    assert result.returncode == 2 and "name the rooms" in result.stderr
    event_file = tmp_path / "dag.toml"
    event_file.write_text('title = "Dag"\nrooms = ["zaal-a.json"]\nthemes = 1\n',
                          encoding="utf-8")
    result = cli(env, "event", "report", "--event", event_file)
    assert result.returncode == 2
    assert f"{event_file}: themes: unknown key" in result.stderr


def test_the_event_file_can_name_the_rooms(env: dict[str, str], day: dict[str, Path],
                                           tmp_path: Path) -> None:
    event_file = day["a"].parent / "dag.toml"
    names = ", ".join(f'"{p.name}"' for p in day.values())
    event_file.write_text(f'title = "Dag van de zalen"\nrooms = [{names}]\n', encoding="utf-8")
    result = cli(env, "event", "report", "--event", event_file, "--out", tmp_path / "out",
                 "--format", "md")
    assert result.returncode == 0, result.stderr
    assert "# Dag van de zalen" in (tmp_path / "out" / "dag-van-de-zalen.md").read_text(
        encoding="utf-8")


def test_map_refuses_a_theme_the_room_does_not_have(env: dict[str, str],
                                                    day: dict[str, Path]) -> None:
    result = cli(env, "event", "map", day["a"], "Vervoer", "--onto", "Geld")
    assert result.returncode == 2
    assert f"{day['a']}: no theme 'Vervoer'; its themes: Geld, Taal en communicatie" in \
        result.stderr
    assert not (day["a"].parent / "event.toml").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="Windows hands a program its command "
                    "line as Unicode text: a name cannot arrive there as bytes that are not UTF-8")
def test_map_takes_only_utf8(env: dict[str, str], day: dict[str, Path]) -> None:
    """A name in bytes that are not UTF-8 (a terminal in Latin-1) is refused by the option's
    name, not with a traceback."""
    event_file = day["c"].parent / "event.toml"
    latin1 = os.fsdecode("Financiën".encode("latin-1"))  # as the shell hands the bytes over
    for args in (("Financiering", "--onto", latin1), (latin1, "--onto", "Geld")):
        result = cli(env, "event", "map", day["c"], *args)
        assert result.returncode == 2, result.stderr
        assert "is not UTF-8 text" in result.stderr and "Traceback" not in result.stderr
        assert ("argument --onto" if args[1] == "--onto" and args[2] == latin1 else
                "argument THEME") in result.stderr
        assert not event_file.exists()


def test_map_takes_only_text(env: dict[str, str], day: dict[str, Path]) -> None:
    """A DEL is removed from a name as from any typed text; a name of nothing else is refused,
    and the event file, which is fine, is never blamed."""
    event_file = day["c"].parent / "event.toml"
    result = cli(env, "event", "map", day["c"], "Financiering", "--onto", "Geld\x7f")
    assert result.returncode == 0, result.stderr
    assert 'same_as = "Geld"' in event_file.read_text(encoding="utf-8")
    before = event_file.read_bytes()
    result = cli(env, "event", "map", day["c"], "Financiering", "--onto", "\x7f")
    assert result.returncode == 2 and "--onto: give the name" in result.stderr
    assert "event.toml" not in result.stderr and event_file.read_bytes() == before


def test_watch_refuses_what_is_not_an_organiser_link(env: dict[str, str]) -> None:
    result = cli(env, "event", "watch", "http://192.168.1.21:8080/j/join-token")
    assert result.returncode == 2
    assert "'http://192.168.1.21:8080/j/join-token' is not an organiser link" in result.stderr
    result = cli(env, "event", "watch")
    assert result.returncode == 2 and "organiser link" in result.stderr
