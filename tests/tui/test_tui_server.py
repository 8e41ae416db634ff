"""The TUI with the real participant server: a phone posts through the web form flow (cookie,
CSRF token, Origin) and the contribution appears in the facilitator's feed."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import aiohttp
import psutil
from tui_helpers import (
    CODE,
    CSRF,
    feed,
    in_process_host,
    phone_in_room,
    plain,
    record_notifications,
    row_texts,
    settle,
)

from facilitator.session.files import read_sidecar, view_path
from facilitator.session.library import Library, Templates
from facilitator.session.store import SessionStore
from facilitator.tui.app import FacilitatorApp
from facilitator.tui.widgets.join_panel import JoinPanel


async def test_a_phone_post_appears_in_the_feed(library: Library, templates: Templates,
                                                store: SessionStore) -> None:
    await store.go_to_round(1)
    app = FacilitatorApp(library, templates, store=store, lang="en",
                         host_factory=in_process_host())
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        server = app.server
        assert server is not None and app.server_ready
        link = server.join_url  # what the QR code on the screen says
        assert link.startswith("http://127.0.0.1:")
        join = link.split("?")[0]
        origin = join.split("/j/")[0]
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as phone:
            page = await (await phone.get(link)).text()
            csrf = CSRF.search(page).group(1)  # type: ignore[union-attr]
            code = CODE.search(page).group(1)  # type: ignore[union-attr]
            answer = await phone.post(f"{join}/join", data={"csrf": csrf, "lang": "nl",
                                                             "stakeholder": "refugee_led",
                                                             "code": code},
                                      headers={"Origin": origin}, allow_redirects=False)
            assert answer.status == 303, await answer.text()
            page = await (await phone.get(join)).text()
            csrf = CSRF.search(page).group(1)  # type: ignore[union-attr]
            text = "Vanaf mijn telefoon [/] [@click=app.quit]x[/]"
            answer = await phone.post(f"{join}/send",
                                      data={"csrf": csrf, "text": text, "round": "knelpunten"},
                                      headers={"Origin": origin, "Accept": "application/json"},
                                      allow_redirects=False)
            assert answer.status == 200, await answer.text()
        await settle(pilot)
        assert row_texts(app) == [text]
        assert feed(app).current_id == store.contributions("knelpunten")[0].id
        await pilot.pause(0.1)  # the join is a commit: the panel follows it, no poll
        shown = plain(app.screen.query_one("#join", JoinPanel))
        assert "1 device joined" in shown
        capacity = server.capacity  # type: ignore[attr-defined]
        if capacity.files.limit is None:  # Windows: sockets have no open-files limit
            assert f"Room for {capacity.phones} phones\n" in shown and "open files" not in shown
        else:
            assert f"Room for {capacity.phones} phones (open files: " in shown
        assert server.devices_seen == 1
    assert store.closed


async def test_the_tui_with_its_server_in_a_process_of_its_own(
        library: Library, templates: Templates, store: SessionStore) -> None:
    """What ``facilitator run`` starts: the session moves to the host process, the screen
    follows a phone's post there, and a key's change is made there and shown here."""
    from facilitator.host.handle import ChildHost
    from facilitator.tui.app import child_host
    from facilitator.tui.screens.opening import OpeningScreen
    from facilitator.tui.screens.session import SessionScreen

    await store.go_to_round(1)
    path = store.path
    app = FacilitatorApp(library, templates, store=store, lang="en",
                         host_factory=child_host("127.0.0.1", 0, None))
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, OpeningScreen)  # a new process takes a moment to start
        for _ in range(600):  # the host opens the session and starts listening
            if app.server_ready or app.server_problem:
                break
            await pilot.pause(0.1)
        server = app.server
        assert isinstance(server, ChildHost) and app.server_ready, app.server_problem
        copy = app.store
        assert copy is not None and copy is not store and store.closed
        assert isinstance(app.screen, SessionScreen) and len(app.screen_stack) == 2
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as phone:
            join = await phone_in_room(phone, server.join_url)
            origin = join.split("/j/")[0]
            page = await (await phone.get(join)).text()
            text = "Uit het andere proces [/] [@click=app.quit]x[/]"
            answer = await phone.post(f"{join}/send", data={
                "csrf": CSRF.search(page).group(1),  # type: ignore[union-attr]
                "text": text, "round": "knelpunten"},
                headers={"Origin": origin, "Accept": "application/json"}, allow_redirects=False)
            assert answer.status == 200, await answer.text()
        for _ in range(50):
            await settle(pilot)
            if row_texts(app) == [text]:
                break
        assert row_texts(app) == [text]
        posted = copy.contributions("knelpunten")[0]
        await pilot.press("h")  # hide: made by the host, shown here
        for _ in range(50):
            await settle(pilot)
            if copy.contribution(posted.id).hidden:  # type: ignore[union-attr]
                break
        assert copy.contribution(posted.id).hidden  # type: ignore[union-attr]
        host = server.process
    assert host is not None and host.returncode == 0  # quitting stopped the host
    again = SessionStore.open(path, read_only=True)
    assert again.contribution(posted.id).hidden  # type: ignore[union-attr]


async def test_a_session_the_host_cannot_open_ends_the_app_with_why(
        library: Library, templates: Templates, store: SessionStore) -> None:
    from facilitator.tui.app import EXIT_CRASHED, child_host

    unlocked = SessionStore.open(store.path, read_only=True)  # `store` keeps the lock
    app = FacilitatorApp(library, templates, store=unlocked, lang="en",
                         host_factory=child_host("127.0.0.1", 0, None))
    async with app.run_test(size=(160, 45)) as pilot:
        for _ in range(100):
            if app.return_code is not None:
                break
            await pilot.pause(0.1)
    assert app.return_code == EXIT_CRASHED
    assert app.server is None and app.store is None


async def hosted_app(library: Library, templates: Templates, store: SessionStore,
                     host: str = "127.0.0.1", lang: str = "en") -> FacilitatorApp:
    from facilitator.tui.app import child_host

    return FacilitatorApp(library, templates, store=store, lang=lang,
                          host_factory=child_host(host, 0, None))


async def until(pilot: Any, done: Callable[[], bool], tries: int = 600) -> None:
    """Wait until ``done()``, at most a minute: a new Python process with aiohttp loaded can take
    seconds on a busy machine, a Windows laptop's virus scanner or Wine."""
    for _ in range(tries):
        if done():
            return
        await pilot.pause(0.1)


async def test_a_host_that_cannot_listen_is_still_stopped_on_quitting(
        library: Library, templates: Templates, store: SessionStore) -> None:
    from facilitator.host.handle import ChildHost

    app = await hosted_app(library, templates, store, host="192.0.2.1")  # not this machine's
    async with app.run_test(size=(160, 45)) as pilot:
        await until(pilot, lambda: bool(app.server_problem))
        assert "could not start" in app.server_problem
        server = app.server
        assert isinstance(server, ChildHost), "the app keeps the host it has to stop"
        await app.store.add_note("checkin", "No phones today")  # type: ignore[union-attr]
        host = server.process
    assert host is not None and host.returncode == 0
    again = SessionStore.open(store.path)  # unlocked, with the note
    assert [n.text for n in again.notes("checkin")] == ["No phones today"]
    await again.close()


async def test_the_screen_says_so_when_the_host_dies_and_saves_the_view_on_quitting(
        library: Library, templates: Templates, store: SessionStore) -> None:
    await store.go_to_round(1)
    path = store.path
    app = await hosted_app(library, templates, store)
    async with app.run_test(size=(160, 45)) as pilot:
        await until(pilot, lambda: app.server_ready)
        await pilot.press("w")  # the results: a view the session remembers
        await settle(pilot)
        assert app.last_view_state is not None
    assert read_sidecar(view_path(path)) == app.last_view_state  # saved on quitting

    again = SessionStore.open(path)
    app = await hosted_app(library, templates, again)
    notified = record_notifications(app)
    async with app.run_test(size=(160, 45)) as pilot:
        await until(pilot, lambda: app.server_ready)
        server = app.server
        assert server is not None and server.pid is not None  # type: ignore[attr-defined]
        psutil.Process(server.pid).kill()  # type: ignore[attr-defined]
        await until(pilot, lambda: bool(app.server_problem))
        assert "stopped unexpectedly" in app.server_problem
        assert any("stopped unexpectedly" in n.message and not n.markup for n in notified)


async def test_a_lost_host_is_told_in_the_screens_language(
        library: Library, templates: Templates, store: SessionStore) -> None:
    app = await hosted_app(library, templates, store, lang="nl")
    notified = record_notifications(app)
    async with app.run_test(size=(160, 45)) as pilot:
        await until(pilot, lambda: app.server_ready)
        server = app.server
        assert server is not None and server.pid is not None  # type: ignore[attr-defined]
        psutil.Process(server.pid).kill()  # type: ignore[attr-defined]
        await until(pilot, lambda: bool(app.server_problem))
        problem = app.server_problem
        assert problem.startswith("De deelnemerspagina is onverwacht gestopt."), problem
        # SIGKILL's on POSIX; on Windows psutil's kill is TerminateProcess with exit code 15
        assert f"(afsluitcode {15 if sys.platform == 'win32' else -9}" in problem
        assert "stopped" not in problem and "exit code" not in problem
        assert any(n.message == problem and not n.markup for n in notified)


async def test_a_session_opened_from_the_home_screen_moves_to_its_host(
        library: Library, templates: Templates, store: SessionStore) -> None:
    """``facilitator run`` without a session: the home screen opens one, which then moves to
    its host as a session given on the command line does."""
    from textual.widgets import DataTable

    from facilitator.host.handle import ChildHost
    from facilitator.tui.app import child_host
    from facilitator.tui.screens.home import HomeScreen
    from facilitator.tui.screens.session import SessionScreen

    path = store.path
    await store.close()
    app = FacilitatorApp(library, templates, lang="en",
                         host_factory=child_host("127.0.0.1", 0, None))
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        app.screen.query_one("#sessions", DataTable).focus()
        await pilot.press("enter")
        await until(pilot, lambda: app.server_ready)
        assert isinstance(app.screen, SessionScreen) and len(app.screen_stack) == 2  # no home
        assert isinstance(app.server, ChildHost) and app.store is not None
        assert app.store.path == path and app.store is app.server.store
        host = app.server.process
    assert host is not None and host.returncode == 0
