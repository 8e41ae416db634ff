"""The laptop of ``python -m facilitator.bench room``: the process that serves the phones.

Two configurations, each as its command builds it:

- ``a``: ``facilitator run``: the Textual app with the real participant server in its loop
  (:func:`facilitator.tui.app.participant_server`), headless through ``App.run_test``;
- ``b``: ``facilitator serve``: :class:`ParticipantServer` alone in a plain asyncio loop.

The facilitator's changes (opening voting, the next round) go through the store, as the TUI's
``v`` and ``]`` do. In (a) a probe presses cursor keys in the feed and times each press until
the app writes the frame that shows it (:class:`FrameClock`).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing.connection
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual import events
from textual.driver import Driver
from textual.drivers.headless_driver import HeadlessDriver

from facilitator.bench.common import raise_open_files
from facilitator.core.model import Change
from facilitator.store.library import Library, Templates
from facilitator.store.store import SessionStore

SCREEN = (160, 45)
"""The facilitator's terminal on the projector."""
PRESS_EVERY_S = 0.1
GIVE_UP_S = 2.0
"""A key press with no frame showing it after this long counts as this long (and as missed)."""


class FrameClock:
    """The app's terminal, through Textual's public Driver API: keys go in, frames come out.

    ``run_test`` normally uses Textual's headless driver, and a headless app skips writing its
    frames altogether, so a redraw could not be seen without reaching into the app's private
    display method. Our driver is headless in effect (it writes nowhere and reads no terminal)
    but says it is not, so the app renders every frame to terminal codes exactly as for a real
    terminal and hands it to :meth:`written`. Keys are sent as a terminal driver sends them
    (``Driver.send_message``); ``Pilot.press`` does the same but then waits for the whole app
    to go idle, which under load would stretch the probe's ~100 ms rhythm to seconds.
    """

    def __init__(self) -> None:
        self.frames = 0
        self.driver: Driver | None = None
        self.waiting: tuple[Callable[[], bool], asyncio.Future[float]] | None = None

    def driver_class(self) -> type[Driver]:
        clock = self

        class FrameRecorder(HeadlessDriver):
            def __init__(self, app: Any, **options: Any) -> None:
                super().__init__(app, **options)
                clock.driver = self

            @property
            def is_headless(self) -> bool:
                return False

            def write(self, data: str) -> None:
                clock.written()

        return FrameRecorder

    def press(self, key: str) -> None:
        assert self.driver is not None, "the app has not started"
        self.driver.send_message(events.Key(key, None))

    def written(self) -> None:
        self.frames += 1
        if self.waiting is not None:
            shows, future = self.waiting
            if not future.done() and shows():
                future.set_result(time.monotonic())

    def next_frame_showing(self, shows: Callable[[], bool]) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting = (shows, future)
        return future


class KeyProbe:
    """Cursor down/up in the feed every :data:`PRESS_EVERY_S`, each timed until its frame."""

    def __init__(self, app: Any, clock: FrameClock) -> None:
        self.app = app
        self.clock = clock
        self.times_ms: list[float] = []
        self.missed = 0
        self.skipped = 0
        """Ticks with fewer than two rows in the feed: nothing to move the cursor to."""
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.times_ms, self.missed, self.skipped = [], 0, 0
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> dict[str, Any]:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.clock.waiting = None
        return {"key_ms": self.times_ms, "missed": self.missed, "skipped": self.skipped}

    def _feed(self) -> Any:
        from facilitator.tui.widgets.feed import FeedTable

        found = self.app.screen.query(FeedTable)
        return found.first() if found else None

    async def _run(self) -> None:
        down = True
        while True:
            tick = time.monotonic()
            feed = self._feed()
            if feed is None or feed.row_count < 2:
                self.skipped += 1
            else:
                if not feed.has_focus:
                    feed.focus()
                if feed.cursor_row in (0, feed.row_count - 1):
                    # away from the ends: at the bottom the feed follows new rows
                    feed.move_cursor(row=feed.row_count // 2, animate=False)
                    await asyncio.sleep(PRESS_EVERY_S)
                    continue
                await self._press(feed, "down" if down else "up")
                down = not down
            await asyncio.sleep(max(0.0, tick + PRESS_EVERY_S - time.monotonic()))

    async def _press(self, feed: Any, key: str) -> None:
        before = feed.current_id
        shown = self.clock.next_frame_showing(lambda: feed.current_id != before)
        pressed = time.monotonic()
        self.clock.press(key)
        try:
            at = await asyncio.wait_for(shown, GIVE_UP_S)
            self.times_ms.append((at - pressed) * 1000)
        except TimeoutError:
            self.missed += 1
            self.times_ms.append(GIVE_UP_S * 1000)
        finally:
            self.clock.waiting = None


async def committed(store: SessionStore, table: str, change: Awaitable[Any]) -> float:
    """Make a change and return when its commit was announced (``time.monotonic``, the same
    clock in every process on this machine)."""
    seen: list[float] = []

    def on_change(changes: tuple[Change, ...]) -> None:
        if not seen and any(c.table == table for c in changes):
            seen.append(time.monotonic())

    unsubscribe = store.subscribe(on_change)
    try:
        await change
    finally:
        unsubscribe()
    return seen[0] if seen else time.monotonic()


async def _obey(conn: multiprocessing.connection.Connection, store: SessionStore, url: str,
                probe: KeyProbe | None) -> None:
    """Say where the phones go, then do what the benchmark asks until it says stop."""
    loop = asyncio.get_running_loop()
    conn.send({"url": url})
    while True:
        job: dict[str, Any] = await loop.run_in_executor(None, conn.recv)
        do = job["do"]
        if do == "stop":
            return
        if do == "probe":
            if probe is not None:
                probe.start()
            conn.send({})
        elif do == "probed":
            conn.send(await probe.stop() if probe is not None else {})
        elif do == "open voting":
            spec = store.current_round
            conn.send({"at": await committed(
                store, "rounds", store.update_round(spec.id, voting_open=True))})
        elif do == "next round":
            conn.send({"at": await committed(
                store, "session", store.go_to_round(store.info.current_round + 1))})


async def _serve_alone(conn: multiprocessing.connection.Connection, path: Path) -> None:
    """(b) as ``facilitator serve`` runs it."""
    from facilitator.web.server import ParticipantServer

    store = SessionStore.open(path)
    try:
        server = ParticipantServer(store, host="127.0.0.1", port=0)
        await server.start()
        try:
            await _obey(conn, store, server.join_url, None)
        finally:
            await server.stop()
    finally:
        await store.close()


async def _run_app(conn: multiprocessing.connection.Connection, path: Path) -> None:
    """(a) as ``facilitator run`` builds it (:func:`facilitator.tui.app.run_tui`), headless."""
    from facilitator.tui.app import FacilitatorApp, participant_server

    store = SessionStore.open(path)
    app = FacilitatorApp(Library(path.parent.parent), Templates(), store=store,
                         server_factory=participant_server("127.0.0.1", 0, None))
    clock = FrameClock()
    app.driver_class = clock.driver_class()
    try:
        async with app.run_test(headless=False, size=SCREEN):
            while not app.server_ready and not app.server_problem:
                await asyncio.sleep(0.05)
            if app.server is None or not app.server_ready:
                raise RuntimeError(f"the participant server did not start: {app.server_problem}")
            await _obey(conn, store, app.server.join_url, KeyProbe(app, clock))
    finally:
        await app.shutdown()


def main(conn: multiprocessing.connection.Connection, path: str, config: str) -> None:
    raise_open_files()
    run = _run_app if config == "a" else _serve_alone
    asyncio.run(run(conn, Path(path)))
