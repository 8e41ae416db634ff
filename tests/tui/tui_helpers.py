"""Helpers for the TUI tests: a fake participant server, tricky participant text, and
``settle`` to wait until a key's store write is committed and its event shown."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual.pilot import Pilot
from textual.worker import WorkerFailed

from facilitator.core.joining import moderation_token, wall_token
from facilitator.store.store import SessionStore
from facilitator.tui.app import FacilitatorApp
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


class FakeServer:
    """Stands in for facilitator.web.server.ParticipantServer in Pilot tests."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store
        self.started = False
        self.stopped = False
        self.devices_seen = 3
        self.code = ""
        self.watchers: list[Callable[[], None]] = []

    def watch_join_url(self, callback: Callable[[], None]) -> Callable[[], None]:
        self.watchers.append(callback)
        return lambda: self.watchers.remove(callback)

    def next_code(self, code: str) -> None:
        """The room's code changes, as the real server announces it."""
        self.code = code
        for watcher in list(self.watchers):
            watcher()

    @property
    def join_url(self) -> str:
        code = f"?code={self.code}" if self.code else ""
        return f"http://192.168.1.20:8080/j/{self.store.info.join_token}{code}"

    @property
    def room_link(self) -> str:
        return f"http://192.168.1.20:8080/r/{self.code or 'abcdefghij'}"

    @property
    def room_links(self) -> list[str]:
        return [self.room_link]

    @property
    def wall_url(self) -> str:
        return f"http://192.168.1.20:8080/wall/{wall_token(self.store.info.secret)}"

    @property
    def candidate_urls(self) -> list[str]:
        return [self.join_url]

    @property
    def organiser_url(self) -> str | None:
        secret = self.store.info.organiser_secret
        return f"http://192.168.1.20:8080/o/{secret}" if secret else None

    @property
    def moderation_url(self) -> str:
        return f"http://127.0.0.1:8080/m/{moderation_token(self.store.info.secret)}"

    @property
    def comoderator_url(self) -> str | None:
        secret = self.store.info.comoderator_secret
        return f"http://192.168.1.20:8080/c/{secret}" if secret else None

    @property
    def port(self) -> int:
        return 8080

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True


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
