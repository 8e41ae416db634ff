"""The entry point: ``run_tui`` returns 0 on a normal quit, non-zero when the app crashed, and
closes (unlocks) the session either way; the home screen starts and opens sessions."""

from __future__ import annotations

import sys
import time
from typing import Any

import pytest
from machine import within
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Label, OptionList
from tui_helpers import settle

from facilitator.session.library import Library, Templates
from facilitator.session.store import SessionStore
from facilitator.tui import app as app_module
from facilitator.tui.app import FacilitatorApp, run_tui
from facilitator.tui.screens.dialogs import ConfirmDialog, NewSessionDialog
from facilitator.tui.screens.home import HomeScreen
from facilitator.tui.screens.session import SessionScreen


@pytest.fixture
def headless(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Run ``run_tui``'s app headless, driven by the auto-pilot in the returned list."""
    pilots: list[Any] = []
    original = FacilitatorApp.run_async

    async def run_async(self: FacilitatorApp, **_: Any) -> Any:
        # On 127.0.0.1 no phone can connect, and the preflight would say so over the session
        # screen (test_the_preflight_at_the_start checks that): these tests are about quitting.
        self.preflight = "preflight" in pilots[1:]
        return await original(self, headless=True, size=(120, 35),
                              auto_pilot=pilots[0] if pilots else None)

    monkeypatch.setattr(FacilitatorApp, "run_async", run_async)
    return pilots


def _run(library: Library, templates: Templates, session: Any) -> int:
    return run_tui(library=library, templates=templates, session=session, template=None,
                   title=None, lang="en", host="127.0.0.1", port=0, public_url=None)


async def _session(library: Library, templates: Templates) -> Any:
    store = library.create(templates.load("kennisatelier"), title="Entry")
    await store.go_to_round(0)
    await store.close()
    return store.path


def test_normal_quit_returns_zero(library: Library, templates: Templates,
                                  headless: list[Any]) -> None:
    import asyncio

    path = asyncio.run(_session(library, templates))

    async def quit_it(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        assert isinstance(pilot.app.screen, SessionScreen)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmDialog)
        question = pilot.app.screen.question  # the command as it is typed: no Markdown quotes
        assert "`" not in question
        assert question.endswith(f"\nfacilitator run {path.stem} --host 127.0.0.1 --port 0")
        await pilot.press("y")

    headless.append(quit_it)
    assert _run(library, templates, path) == 0
    SessionStore.open(path, read_only=True)
    reopened = SessionStore.open(path)  # the lock was released
    import asyncio as aio

    aio.run(reopened.close())


def test_the_preflight_at_the_start(library: Library, templates: Templates,
                                   headless: list[Any]) -> None:
    """``facilitator run`` checks whether phones can connect once the page listens, and shows
    why not when something is wrong: here the page listens on 127.0.0.1 only."""
    import asyncio

    from textual.widgets import Static

    from facilitator.tui.screens.preflight import PreflightScreen

    path = asyncio.run(_session(library, templates))

    async def look(pilot: Pilot[Any]) -> None:
        # The host starts, then the checks run in a thread, each within its own time limit
        # (a Windows laptop's netsh and PowerShell take seconds to answer; more under Wine).
        deadline = time.monotonic() + within(60)
        while time.monotonic() < deadline:
            await pilot.pause(0.05)
            if isinstance(pilot.app.screen, PreflightScreen):
                break
        assert isinstance(pilot.app.screen, PreflightScreen)
        await pilot.pause(0.1)
        found = pilot.app.screen.query_one("#preflight-found", Static)
        assert "listens only on this laptop" in str(found.render())
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, SessionScreen)
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("y")

    headless += [look, "preflight"]
    assert _run(library, templates, path) == 0


def test_after_quitting_the_terminal_says_where_the_session_is(
        library: Library, templates: Templates, headless: list[Any],
        capsys: pytest.CaptureFixture[str]) -> None:
    """ctrl+q leaves the terminal with the session's file and the command that opens it
    again, in the facilitator's language; the command works as printed."""
    import asyncio

    from facilitator.cli import build_parser

    path = asyncio.run(_session(library, templates))
    asyncio.run(_close_round(path))

    async def quit_it(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("ctrl+q")

    headless.append(quit_it)
    assert run_tui(library=library, templates=templates, session=path, template=None,
                   title=None, lang="nl", host="127.0.0.1", port=0, public_url=None) == 0
    said = capsys.readouterr().out.splitlines()
    assert said[-2] == f"De sessie is bewaard in {path}"
    command = said[-1].removeprefix("Verder gaan: facilitator ").split()
    assert command == ["run", path.stem, "--host", "127.0.0.1", "--port", "0"]
    args = build_parser().parse_args(command)
    assert library.resolve(args.target) == path and (args.host, args.port) == ("127.0.0.1", 0)


def test_the_resume_command_names_a_data_folder_of_its_own(tmp_path: Any,
                                                          templates: Templates) -> None:
    import asyncio

    from facilitator.tui.i18n import set_language
    from facilitator.tui.resume import where_to_resume

    set_language("en")
    elsewhere = Library(tmp_path / "my sessions")
    store = elsewhere.create(templates.load("kennisatelier"), title="Elsewhere")
    asyncio.run(store.close())
    said = where_to_resume(elsewhere, store).splitlines()
    assert said == [f"The session is saved in {store.path}",
                    f'To go on with it: facilitator --data-dir "{tmp_path / "my sessions"}" '
                    f"run {store.session_id}"]


async def _close_round(path: Any) -> None:
    store = SessionStore.open(path)
    await store.update_round(store.current_round.id, submissions_open=False)
    await store.close()


def test_crash_returns_non_zero_and_keeps_the_session(library: Library, templates: Templates,
                                                      headless: list[Any],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    path = asyncio.run(_session(library, templates))

    def boom(self: SessionScreen) -> None:
        raise RuntimeError("simulated crash")

    monkeypatch.setattr(SessionScreen, "action_add", boom)

    async def crash_it(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()

    headless.append(crash_it)
    assert _run(library, templates, path) != 0
    reopened = SessionStore.open(path)  # closed and unlocked although the app crashed
    asyncio.run(reopened.close())


def test_setup_failure_is_non_zero(library: Library, templates: Templates,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    path = asyncio.run(_session(library, templates))

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("no terminal")

    monkeypatch.setattr(FacilitatorApp, "run_async", broken)
    assert _run(library, templates, path) == app_module.EXIT_CRASHED


async def test_home_screen_new_session_from_template(make_app: Any, library: Library) -> None:
    app = make_app(None)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        options = app.screen.query_one("#templates", OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert "kennisatelier" in ids
        options.highlighted = ids.index("kennisatelier")
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, NewSessionDialog)
        assert dialog.query_one("#tables", Input).value == "A, B, C"  # the template's
        dialog.query_one("#title", Input).value = "Atelier [/] Utrecht"
        dialog.query_one("#place", Input).value = "Stadhuis"
        dialog.query_one("#tables", Input).value = "Noord, Zuid, Noord"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog  # a table named twice: said, nothing made
        assert "“Noord” is named twice" in str(dialog.query_one("#problem", Label).content)
        assert library.entries() == []
        dialog.query_one("#tables", Input).value = "8"  # a day for 40: eight tables
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SessionScreen)
        store = app.store
        assert store is not None and store.info.title == "Atelier [/] Utrecht"
        assert store.info.place == "Stadhuis"
        assert store.info.tables == tuple(str(n) for n in range(1, 9))
        assert app.server is not None and app.server_ready
    [entry] = library.entries()
    assert entry.title == "Atelier [/] Utrecht"


async def test_home_screen_opens_a_recent_session(make_app: Any, library: Library,
                                                  templates: Templates) -> None:
    path = await _session(library, templates)
    app = make_app(None)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#sessions", DataTable)
        assert table.row_count == 1
        table.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SessionScreen)
        assert app.store is not None and app.store.path == path


def _without_the_venv() -> dict[str, str]:
    """The environment of a terminal where the venv is not activated (the README's install)."""
    import os
    import sys
    from pathlib import Path

    venv_bin = str(Path(sys.executable).parent)
    path = os.pathsep.join(part for part in os.environ.get("PATH", "").split(os.pathsep)
                           if part and part != venv_bin)
    return {**os.environ, "PATH": path}


@pytest.mark.skipif(sys.platform == "win32", reason="the test leaves a venv's folder off PATH; "
                    "the Windows lane's Python is the embeddable build, installed without a venv")
@pytest.mark.parametrize("started", ["script", "module"])
def test_the_resume_command_works_without_an_activated_venv(
        started: str, tmp_path: Any, templates: Templates,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Started as ``.venv/bin/facilitator`` (not on PATH) or ``python -m facilitator``: the
    command printed starts the same program from any folder, with the phone page's options."""
    import asyncio
    import shlex
    import subprocess
    import sys
    from pathlib import Path

    import facilitator
    from facilitator.tui import resume

    env = _without_the_venv()
    monkeypatch.setenv("PATH", env["PATH"])
    script = Path(sys.executable).parent / ("facilitator.exe" if sys.platform == "win32"
                                            else "facilitator")
    argv0 = str(script) if started == "script" else str(
        Path(facilitator.__file__).parent / "__main__.py")
    monkeypatch.setattr(sys, "argv", [argv0])
    library = Library(tmp_path / "sessions")
    store = library.create(templates.load("kennisatelier"), title="Resume")
    asyncio.run(store.close())
    start = resume.Start.here("192.168.1.20", 8765, None)
    words = shlex.split(resume.resume_command(library, store, start))
    assert words[words.index("run"):] == ["run", store.session_id, "--host", "192.168.1.20",
                                          "--port", "8765"]
    program = words[:words.index("--data-dir")]
    assert program != ["facilitator"]  # not on this PATH
    # The program and the data folder as printed, from another folder: the session is there.
    listed = subprocess.run([*program, *words[len(program):words.index("run")], "list"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert store.session_id in listed.stdout
