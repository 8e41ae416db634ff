"""Helpers for the TUI tests: the session's host in the test's loop, tricky participant text,
and ``settle`` to wait until a key's store write is committed and its event shown."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from textual.pilot import Pilot
from textual.worker import WorkerFailed

from facilitator.host.handle import Host, InProcessHost
from facilitator.session.store import SessionStore
from facilitator.tui.app import FacilitatorApp, HostFactory
from facilitator.tui.widgets.feed import FeedTable

FROZEN_NOW = 1_790_000_000.0
"""A fixed wall clock for stable timers (and snapshots)."""

TRICKY = [
    "[/]",
    "[@click=app.quit]klik hier[/]",
    "[bold red]niet vet[/bold red] en $accent",
    "<script>alert(1)</script>",
]
"""Participant text that would crash the app or plant an action if read as markup."""


def in_process_host(*, bind: str = "127.0.0.1", port: int = 0, public_url: str | None = None,
                    clock: Callable[[], float] = time.time) -> HostFactory:
    """The session's host as ``facilitator run`` starts it, but in the test's own loop over a
    socket pair (facilitator.host.handle.InProcessHost): the same frames, the same host code,
    a real participant server on ``bind``. The test's store is the host's: writing to it is
    what a phone does."""

    def make(store: SessionStore) -> Host:
        return InProcessHost(store, bind=bind, port=port, public_url=public_url, clock=clock)

    return make


async def hosted(pilot: Pilot[Any]) -> None:
    """Wait, as the facilitator does, until the opening screen has given way to the session's
    and the participant page runs (or says why not): at most a minute. No wait where no
    session is open (the home screen)."""
    app = pilot.app
    assert isinstance(app, FacilitatorApp)
    for _ in range(600):
        if app.server is None or app.server_state.ready or app.server_state.problem \
                or app.return_code is not None:
            return
        await pilot.pause(0.1)
    raise AssertionError("the session's host did not start within a minute")


def started_when_run(app: FacilitatorApp) -> None:
    """Make ``app.run_test`` hand over its pilot once :func:`hosted` (``App.run_test`` is public
    API), so that a test's first key reaches the session's screen, as a facilitator's does."""
    run_test = app.run_test

    @contextlib.asynccontextmanager
    async def run_started(*args: Any, **kwargs: Any) -> AsyncIterator[Pilot[Any]]:
        async with run_test(*args, **kwargs) as pilot:
            await hosted(pilot)
            yield pilot

    app.run_test = run_started  # type: ignore[method-assign]


async def settle(pilot: Pilot[Any], rounds: int = 3) -> None:
    """Wait for the app's workers (store writes) and the messages they cause. A worker that
    failed is the app's to report (``handle_worker_error``): the test reads what it said."""
    for _ in range(rounds):
        for worker in list(pilot.app.workers):
            with contextlib.suppress(WorkerFailed):
                await worker.wait()
        await pilot.pause()


def feed(app: FacilitatorApp) -> FeedTable:
    return app.screen.query_one(FeedTable)


def row_texts(app: FacilitatorApp) -> list[str]:
    table = feed(app)
    return [table.get_cell(cid, "text").plain  # type: ignore[union-attr]
            for cid in table.ids]


def plain(static: Any) -> str:
    """What a Static shows, as plain text."""
    import io

    from rich.console import Console
    from textual.widgets import Static

    console = Console(width=150, record=True, file=io.StringIO())
    statics = [static] if isinstance(static, Static) else list(static.query(Static))
    for part in statics:
        console.print(part.content)
    return console.export_text()


def link_lines_shown(panel: Any) -> list[str]:
    """The join link's lines as a join panel draws them (its own strips, at its width)."""
    from textual.geometry import Region

    widget = panel.query_one(".join-url")
    strips = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return [line for line in (strip.text.rstrip() for strip in strips) if line]


@dataclass(frozen=True)
class Notified:
    """One notification the app raised: its message and whether it was to be read as markup."""

    message: str
    markup: bool


def record_notifications(app: Any) -> list[Notified]:
    """Keep every notification ``app`` raises from now on (``App.notify`` is public API)."""
    seen: list[Notified] = []
    notify = app.notify

    def recording(message: Any, *args: Any, **kwargs: Any) -> None:
        seen.append(Notified(str(message), bool(kwargs.get("markup", True))))
        notify(message, *args, **kwargs)

    app.notify = recording
    app.notified = seen
    return seen


CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
CODE = re.compile(r'name="code" value="([^"]+)"')


async def phone_in_room(phone: aiohttp.ClientSession, link: str) -> str:
    """``phone`` scans ``link``: loads the page and presses Start. The room's address (the
    link without its code), for the phone's next requests."""
    join = link.split("?")[0]
    page = await (await phone.get(link)).text()
    csrf, code = CSRF.search(page), CODE.search(page)
    assert csrf is not None and code is not None, page
    answer = await phone.post(f"{join}/join", allow_redirects=False,
                              data={"csrf": csrf.group(1), "lang": "nl", "code": code.group(1)},
                              headers={"Origin": join.split("/j/")[0]})
    assert answer.status == 303, await answer.text()
    return join
