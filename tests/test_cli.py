"""The command line contract (DESIGN "Command line"): real processes, exit codes, messages."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from machine import UNDER_WINE, user_folders

from facilitator.cli import main
from facilitator.session.journal import load_session
from facilitator.session.library import MAX_EXPORT_BYTES, ROOM_KEYS

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = {"aannames", "bewonersinitiatieven", "cocreatie", "kennisatelier", "team-retro"}
HEAVY = ("textual", "aiohttp", "weasyprint")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The environment a user's shell gives: no PYTHONIOENCODING (the command writes UTF-8
    itself, also where the system's encoding is another)."""
    return {
        **{name: value for name, value in os.environ.items() if name != "PYTHONIOENCODING"},
        "FACILITATOR_DATA_DIR": str(tmp_path / "data"),
        **user_folders(tmp_path),
        "LANGUAGE": "en",  # a facilitator whose system is in English
    }


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "facilitator", *args], capture_output=True,
                          encoding="utf-8", env=env, timeout=60)


def new_session(env: dict[str, str], *args: str) -> tuple[str, Path]:
    result = cli(env, "new", "kennisatelier", *args)
    assert result.returncode == 0, result.stderr
    session_id, file = result.stdout.splitlines()
    return session_id, Path(file)


# -- the happy path ----------------------------------------------------------------------------


def test_templates_lists_the_five(env: dict[str, str]) -> None:
    result = cli(env, "templates")
    assert result.returncode == 0, result.stderr
    listed = {line.split()[0] for line in result.stdout.splitlines() if line and line[0] != " "}
    assert listed == SHIPPED
    assert result.stderr == ""


def test_output_to_a_pipe_is_utf8_whatever_the_system_encodes_in(env: dict[str, str]) -> None:
    """Windows writes a pipe in its ANSI code page (cp1252 here), which has no Arabic and no
    arrow: `templates` and `list` crashed when their output went to a file or another program.
    Elsewhere the same code page is asked for, as Windows would give it."""
    if sys.platform != "win32":
        env = {**env, "PYTHONIOENCODING": "cp1252"}
    title = "Wijkavond – ورشة عمل في الحي"
    made = cli(env, "new", "kennisatelier", "--title", title)
    assert made.returncode == 0, made.stderr
    listed = cli(env, "list")
    assert listed.returncode == 0, listed.stderr
    assert title in listed.stdout
    templates = cli(env, "templates")
    assert templates.returncode == 0, templates.stderr
    assert "→" in templates.stdout
    unknown = cli(env, "report", "ورشة")  # the message names the value as it was typed
    assert unknown.returncode == 2 and "ورشة" in unknown.stderr, unknown.stderr


def test_new_list_export_import(env: dict[str, str], tmp_path: Path) -> None:
    session_id, file = new_session(env, "--title", "Kennisatelier Utrecht")
    assert re.fullmatch(r"kennisatelier-\d{8}-[0-9a-f]{4}", session_id)
    assert file == tmp_path / "data" / "sessions" / f"{session_id}.json"
    info = orjson.loads(file.read_bytes())["session"]["1"]
    assert info["title"] == "Kennisatelier Utrecht" and info["lang"] == "nl"
    assert info["template"]["id"] == "kennisatelier"

    listed = cli(env, "list")
    assert listed.returncode == 0, listed.stderr
    (line,) = [x for x in listed.stdout.splitlines() if session_id in x]
    assert "Kennisatelier Utrecht" in line

    exported = tmp_path / "s.json"
    with exported.open("w", encoding="utf-8") as out:  # `facilitator export ID > s.json`
        result = subprocess.run([sys.executable, "-m", "facilitator", "export", session_id],
                                stdout=out, stderr=subprocess.PIPE, encoding="utf-8", env=env,
                                timeout=60)
    assert result.returncode == 0, result.stderr
    document = json.loads(exported.read_text(encoding="utf-8"))
    session = load_session(file)[0]
    keys = {key: session["session"]["1"].pop(key) for key in ROOM_KEYS}
    assert document["tables"] == session  # all of it but the room's keys

    imported = cli(env, "import", str(exported))
    assert imported.returncode == 0, imported.stderr
    new_id, new_file = imported.stdout.splitlines()
    assert new_id != session_id  # the id was taken: a fresh one, nothing overwritten
    copy = orjson.loads(Path(new_file).read_bytes())
    assert copy["session"]["1"]["session_id"] == new_id
    copy["session"]["1"]["session_id"] = session_id
    minted = {key: copy["session"]["1"].pop(key) for key in ROOM_KEYS}
    assert all(minted[key] and minted[key] != keys[key] for key in ROOM_KEYS)  # its own keys
    assert copy == document["tables"]
    listed = cli(env, "list").stdout
    assert session_id in listed and new_id in listed


def test_new_with_language_and_prefix_resolution(env: dict[str, str], tmp_path: Path) -> None:
    session_id, file = new_session(env, "--lang", "en")
    assert orjson.loads(file.read_bytes())["session"]["1"]["title"].startswith("Think-tank day")
    out = tmp_path / "x.json"
    result = cli(env, "export", session_id[:-2], "--out", str(out))  # a unique start is enough
    assert result.returncode == 0, result.stderr
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert exported["tables"]["session"]["1"]["session_id"] == session_id


@pytest.mark.skipif(sys.platform == "win32", reason="Windows hands a program its command "
                    "line as Unicode text: an option cannot arrive there as bytes that are not "
                    "UTF-8")
def test_text_options_that_are_not_utf8_are_refused_by_name(env: dict[str, str]) -> None:
    latin1 = os.fsdecode("Zaal Één".encode("latin-1"))  # a terminal set to Latin-1
    for option in ("--title", "--place"):
        result = cli(env, "new", "kennisatelier", option, latin1)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert f"argument {option}:" in result.stderr and "is not UTF-8 text" in result.stderr
    assert not (Path(env["FACILITATOR_DATA_DIR"]) / "sessions").exists() or not any(
        (Path(env["FACILITATOR_DATA_DIR"]) / "sessions").iterdir())


def test_list_without_sessions(env: dict[str, str]) -> None:
    result = cli(env, "list")
    assert result.returncode == 0 and "No sessions yet" in result.stdout


# -- startup -----------------------------------------------------------------------------------

HELP_PROBE = """
import sys, time
start = time.perf_counter()
from facilitator.cli import main
try:
    main(["--help"])
except SystemExit:
    pass
elapsed = time.perf_counter() - start
sys.stderr.write(repr((elapsed, sorted(sys.modules))))
"""


@pytest.mark.skipif(UNDER_WINE, reason="Wine's start-up and imports are slower than Windows': "
                    "a start-up time measured there says nothing about a laptop")
def test_help_imports_nothing_heavy_and_starts_fast(env: dict[str, str]) -> None:
    best = best_in_process = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-c", HELP_PROBE], capture_output=True,
                                encoding="utf-8", env=env, timeout=60)
        best = min(best, time.perf_counter() - started)
        assert result.returncode == 0, result.stderr
        assert "usage: facilitator" in result.stdout
        in_process, modules = ast.literal_eval(result.stderr)
        best_in_process = min(best_in_process, in_process)
        heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY)
        assert heavy == [], f"--help imports {heavy[:5]}"
    assert best_in_process < 0.3, f"--help took {best_in_process:.3f}s in process (best of 5)"
    assert best < 0.6, f"`python -m facilitator --help` took {best:.2f}s (best of 5)"


def test_list_does_not_import_the_ui_or_server(env: dict[str, str]) -> None:
    probe = ("import sys\nfrom facilitator.cli import main\nmain(['list'])\n"
             "sys.stderr.write(repr(sorted(m for m in sys.modules\n"
             f"                             if m.split('.')[0] in {HEAVY!r})))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, encoding="utf-8",
                            env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert ast.literal_eval(result.stderr) == []


# -- bad input ---------------------------------------------------------------------------------


def test_unknown_session_exits_2_with_a_message(env: dict[str, str]) -> None:
    result = cli(env, "export", "no-such-session")
    assert result.returncode == 2
    assert "no session 'no-such-session'" in result.stderr
    assert "facilitator list" in result.stderr
    assert result.stdout == ""


def test_unknown_template_exits_2_naming_the_known_ones(
    env: dict[str, str], tmp_path: Path
) -> None:
    result = cli(env, "new", "brainstorm")
    assert result.returncode == 2
    assert "no template 'brainstorm'" in result.stderr and "kennisatelier" in result.stderr
    assert not (tmp_path / "data" / "sessions").exists()


@pytest.mark.parametrize(
    "args",
    [("frobnicate",), ("new",), ("export",), ("report", "x", "--format", "doc"),
     ("new", "kennisatelier", "--lang", "de"), ("--bogus",),
     ("serve", "x", "--port", "99999"), ("serve", "x", "--public-url", "notaurl"),
     ("cards", "x", "--public-url", "ftp://x")],
    ids=["unknown-command", "new-no-template", "export-no-session", "bad-format", "bad-lang",
         "unknown-option", "port-out-of-range", "public-url-not-a-url", "cards-bad-url"],
)
def test_bad_usage_exits_2(env: dict[str, str], args: tuple[str, ...]) -> None:
    result = cli(env, *args)
    assert result.returncode == 2, result
    assert "usage:" in result.stderr or "error" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_on_an_address_that_is_not_ours_exits_2(env: dict[str, str]) -> None:
    session_id, _ = new_session(env)
    result = cli(env, "serve", session_id, "--host", "10.255.255.1", "--port", "8799")
    assert result.returncode == 2, result
    assert "--host 10.255.255.1 --port 8799" in result.stderr
    assert "Traceback" not in result.stderr


def test_export_to_an_unwritable_file_exits_2(env: dict[str, str], tmp_path: Path) -> None:
    session_id, _ = new_session(env)
    target = tmp_path / "missing-folder" / "s.json"
    result = cli(env, "export", session_id, "--out", str(target))
    assert result.returncode == 2 and str(target) in result.stderr


def test_damaged_session_exits_2_naming_the_file(env: dict[str, str]) -> None:
    session_id, file = new_session(env)
    file.write_bytes(file.read_bytes()[:40])
    result = cli(env, "export", session_id)
    assert result.returncode == 2
    assert str(file) in result.stderr and "left untouched" in result.stderr
    assert "Traceback" not in result.stderr


# -- import: bad files are refused before anything is written ----------------------------------


def _export_doc(data_dir: Path) -> dict:
    sessions = sorted((data_dir / "sessions").glob("*.json"))
    return {"format": "facilitator-session", "version": 1,
            "tables": load_session(sessions[0])[0]}


def _mutate(doc: dict, case: str) -> bytes | dict:
    tables = doc["tables"]
    if case == "not_json":
        return b"{nope"
    if case == "wrong_format":
        doc["format"] = "something-else"
    elif case == "wrong_version":
        doc["version"] = 99
    elif case == "tables_not_object":
        doc["tables"] = []
    elif case == "unknown_table":
        tables["secrets"] = {}
    elif case == "bad_doc_id":
        tables["rounds"]["x1"] = tables["rounds"].pop("1")
    elif case == "doc_not_object":
        tables["notes"]["1"] = "a note"
    elif case == "missing_field":
        tables["notes"]["1"] = {"text": "no round"}
    elif case == "path_in_session_id":
        next(iter(tables["session"].values()))["session_id"] = "../../escaped"
    elif case == "bad_join_base":
        next(iter(tables["session"].values()))["join_base"] = "javascript:alert(1)"
    elif case == "wrong_field_type":
        tables["notes"]["1"] = {"round_id": "knelpunten", "text": 5}
    elif case == "two_sessions":
        tables["session"]["2"] = tables["session"]["1"]
    elif case == "bad_template":
        tables["session"]["1"]["template"]["rounds"][1]["votng"] = {}
    return doc


IMPORT_CASES = {
    "not_json": "not valid JSON",
    "wrong_format": "format: expected 'facilitator-session'",
    "wrong_version": "version: expected 1, got 99",
    "tables_not_object": "tables: expected an object",
    "unknown_table": "tables.secrets: unknown table",
    "bad_doc_id": "tables.rounds.x1",
    "doc_not_object": "tables.notes.1",
    "missing_field": "tables.notes.1",
    "wrong_field_type": "tables.notes.1.text: input should be a valid string",
    "path_in_session_id": "tables.session.1.session_id: '../../escaped' is not a valid",
    "bad_join_base": "tables.session.1.join_base: 'javascript:alert(1)' is not a valid",
    "two_sessions": "tables.session: expected exactly one document",
    "bad_template": "rounds[1].votng: unknown key",
}


@pytest.mark.parametrize("case", sorted(IMPORT_CASES))
def test_bad_import_file_exits_2_naming_the_key(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    assert main(["new", "kennisatelier"]) == 0
    capsys.readouterr()
    before = sorted(p.name for p in (data_dir / "sessions").iterdir())
    bad = _mutate(_export_doc(data_dir), case)
    file = tmp_path / "bad.json"
    file.write_bytes(bad if isinstance(bad, bytes) else orjson.dumps(bad))
    with pytest.raises(SystemExit) as caught:
        main(["import", str(file)])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert str(file) in err and IMPORT_CASES[case] in err, err
    assert sorted(p.name for p in (data_dir / "sessions").iterdir()) == before


def test_import_of_a_missing_file_exits_2(env: dict[str, str], tmp_path: Path) -> None:
    result = cli(env, "import", str(tmp_path / "nothing.json"))
    assert result.returncode == 2
    assert "nothing.json" in result.stderr and "cannot be read" in result.stderr


def _in_one_gigabyte() -> None:
    """A child process that may map at most 1 GB: reading without end would fail it."""
    import resource  # POSIX only

    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def test_import_of_what_is_not_a_file_is_refused_without_reading_it(
        env: dict[str, str], tmp_path: Path) -> None:
    """A symlink to /dev/zero would be read until memory ran out, a FIFO with no writer would
    hang the command, a file bigger than any export would fill memory: each is refused at once,
    naming the file, and nothing is imported. (Windows has neither /dev/zero nor FIFOs in the
    file system, nor a memory limit for a child: there the folder and the big file.)"""
    huge = tmp_path / "huge.json"
    with huge.open("wb") as sparse:  # takes no room on disk
        sparse.truncate(MAX_EXPORT_BYTES + 1)
    cases = [(tmp_path, "not a file but a folder"), (huge, "larger than any export")]
    limit_memory = None
    if sys.platform != "win32":
        zero = tmp_path / "zero.json"
        zero.symlink_to("/dev/zero")
        fifo = tmp_path / "pipe.json"
        os.mkfifo(fifo)
        cases += [(zero, "not a file but a device"), (fifo, "not a file but a named pipe")]
        limit_memory = _in_one_gigabyte
    for file, problem in cases:
        started = time.monotonic()
        result = subprocess.run([sys.executable, "-m", "facilitator", "import", str(file)],
                                capture_output=True, text=True, encoding="utf-8", env=env,
                                timeout=60, preexec_fn=limit_memory)
        assert result.returncode == 2, (file, result.stderr)
        assert f"{file}: {problem}" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
        assert time.monotonic() - started < 30
    assert not (tmp_path / "data" / "sessions").exists() or not any(
        (tmp_path / "data" / "sessions").iterdir())


# -- a data folder that cannot be written ------------------------------------------------------


def _unprivileged() -> list[str]:
    """A prefix that runs a command without the power to ignore file permissions (root has it;
    dropping CAP_DAC_OVERRIDE makes a read-only folder read-only for root too)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a read-only folder would not be")
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--bounding-set={caps}", f"--inh-caps={caps}", "--"]


@pytest.mark.skipif(sys.platform == "win32", reason="a folder's mode bits do not stop writing "
                    "in it on Windows (only its access control list would)")
@pytest.mark.parametrize(
    "args",
    [("new", "team-retro"), ("run", "team-retro"), ("run",), ("demo",), ("run", "SESSION"),
     ("serve", "SESSION", "--host", "127.0.0.1", "--port", "0"), ("import", "EXPORT")],
    ids=["new", "run-template", "run-home", "demo", "run-session", "serve", "import"],
)
def test_a_read_only_data_folder_is_named_with_what_to_do(
    env: dict[str, str], tmp_path: Path, args: tuple[str, ...]
) -> None:
    session_id, file = new_session(env)
    export = tmp_path / "export.json"
    assert cli(env, "export", session_id, "--out", str(export)).returncode == 0
    file.with_name(file.name + ".lock").touch()  # left by the last run, as it always is
    folder = file.parent
    folder.chmod(0o555)
    try:
        argv = [{"SESSION": session_id, "EXPORT": str(export)}.get(a, a) for a in args]
        result = subprocess.run([*_unprivileged(), sys.executable, "-m", "facilitator", *argv],
                                capture_output=True, encoding="utf-8", env=env, timeout=60,
                                stdin=subprocess.DEVNULL)
    finally:
        folder.chmod(0o755)
    assert result.returncode == 1, (result.stdout[-500:], result.stderr[-2000:])
    assert f"{folder}: cannot write in this folder" in result.stderr, result.stderr
    assert "--data-dir" in result.stderr and "Traceback" not in result.stderr
    assert "http://" not in result.stdout, "no phone may be sent to a session that cannot save"
    assert sorted(p.name for p in folder.iterdir()) == [file.name, file.name + ".lock"]


def test_a_title_from_the_command_line_is_cleaned_and_limited(env: dict[str, str]) -> None:
    _, file = new_session(env, "--title", "\x1b[41mAtelier\x1b]2;PWNED\x07 Utrecht",
                          "--place", "Jaar\u202ebeurs")
    info = orjson.loads(file.read_bytes())["session"]["1"]
    assert info["title"] == "[41mAtelier]2;PWNED Utrecht" and info["place"] == "Jaarbeurs"
    listed = cli(env, "list")
    assert "\x1b" not in listed.stdout and "[41mAtelier" in listed.stdout
    too_long = cli(env, "new", "kennisatelier", "--title", "t" * 201)
    assert too_long.returncode == 2
    assert "title has 201 characters; at most 200 fit" in too_long.stderr


def test_data_dir_before_or_after_the_command(env: dict[str, str], tmp_path: Path) -> None:
    """``--data-dir`` works where people type it: before the command, or after it (the README
    shows both); given after, it wins over one given before."""
    mine, other = tmp_path / "mine", tmp_path / "other"
    made = cli(env, "new", "kennisatelier", "--title", "Elsewhere", "--data-dir", str(mine))
    assert made.returncode == 0, made.stderr
    session_id = made.stdout.splitlines()[0]
    assert Path(made.stdout.splitlines()[1]).parent.parent == mine
    for args in (["--data-dir", str(mine), "list"], ["list", "--data-dir", str(mine)],
                 ["--data-dir", str(other), "list", "--data-dir", str(mine)]):
        listed = cli(env, *args)
        assert listed.returncode == 0 and session_id in listed.stdout, (args, listed.stderr)
    listed = cli(env, "list", "--data-dir", str(other))
    assert listed.returncode == 0 and session_id not in listed.stdout
    reported = cli(env, "report", session_id, "--format", "md", "--out", str(tmp_path),
                   "--data-dir", str(mine))
    assert reported.returncode == 0, reported.stderr
