"""The laptop of ``python -m bench room``: the process that serves the phones.

Two configurations, each as its command builds it:

- ``a``: ``facilitator run``: the Textual app, headless through ``App.run_test``, with the
  participant server and the store in a child process of their own
  (:func:`facilitator.tui.app.child_host`); the benchmark measures the two apart;
- ``b``: ``facilitator serve``: :class:`ParticipantServer` alone in a plain asyncio loop.

The benchmark's hand on the laptop (:class:`Hand`) is a thread of its own, as a terminal's
input is: it answers even while the loop is swamped, and what it cannot get done in time (a
change the loop does not commit) it reports as not done. The facilitator's changes (opening
voting, the next round) go through the store, as the TUI's ``v`` and ``]`` do. In (a) the
:class:`KeyProbe` presses cursor keys in the feed and times each press until the app writes
the frame that shows it (:class:`FrameClock`).
"""

from __future__ import annotations

import asyncio
import multiprocessing.connection
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from textual import events
from textual.driver import Driver
from textual.drivers.headless_driver import HeadlessDriver

from facilitator.session.library import Library, Templates
from facilitator.session.store import SessionStore

SCREEN = (160, 45)
"""The facilitator's terminal on the projector."""
PRESS_EVERY_S = 0.1
GIVE_UP_S = 2.0
"""A key press with no frame showing it after this long counts as this long (and as missed)."""
CHANGE_WITHIN_S = 20.0
"""How long the facilitator's change may wait for a swamped loop before it counts as not done."""


class FrameClock:
    """The app's terminal, through Textual's public Driver API: keys go in, frames come out.

    ``run_test`` normally uses Textual's headless driver, and a headless app skips writing its
    frames altogether, so a redraw could not be seen without reaching into the app's private
    display method. Our driver is headless in effect (it writes nowhere and reads no terminal)
    but says it is not, so the app renders every frame to terminal codes exactly as for a real
    terminal and hands it to :meth:`written`. Keys go in as a terminal driver's input thread
    sends them (``Driver.send_message``). ``Pilot.press`` sends them the same way but then
    waits for the whole app to go idle, which under load stretches a ~100 ms rhythm to seconds.
    """

    def __init__(self, app: Any, on_frame: Callable[[], None] | None = None) -> None:
        self.app = app
        self.on_frame = on_frame
        """Called after each frame is written (on the loop): ``bench tui`` looks there."""
        self.driver: Driver | None = None
        self.feed: Any = None
        self.cursor: tuple[int, int, int | None] | None = None
        """The feed as the last frame showed it: cursor row, rows, contribution under it."""
        self.moves = 0
        """Frames in which the contribution under the feed's cursor differed from the frame
        before."""
        self.moved_at = 0.0
        """When the last of them was written."""
        self.moved = threading.Condition()

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

    def _find_feed(self) -> Any:
        from facilitator.tui.widgets.feed import FeedTable

        if self.feed is None or not self.feed.is_attached:
            found = self.app.screen.query(FeedTable)
            self.feed = found.first() if found else None
        return self.feed

    def written(self) -> None:
        """A frame went to the terminal (on the loop)."""
        if self.on_frame is not None:
            self.on_frame()
        feed = self._find_feed()
        if feed is None:
            return
        cursor = (feed.cursor_row, feed.row_count, feed.current_id)
        if self.cursor is not None and cursor[2] != self.cursor[2]:
            with self.moved:
                self.moves += 1
                self.moved_at = time.monotonic()
                self.moved.notify_all()
        self.cursor = cursor

    def press(self, key: str) -> None:
        """A key from the keyboard (any thread)."""
        assert self.driver is not None, "the app has not started"
        self.driver.send_message(events.Key(key, None))


class KeyProbe:
    """Cursor down/up in the feed every :data:`PRESS_EVERY_S`, each timed until the frame that
    shows the cursor moved. Its own thread, so a swamped loop shows as late frames."""

    def __init__(self, clock: FrameClock) -> None:
        self.clock = clock
        self.times_ms: list[float] = []
        self.missed = 0
        self.skipped = 0
        """Ticks with fewer than three rows in the feed: nowhere to move the cursor."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.times_ms, self.missed, self.skipped = [], 0, 0
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="key probe", daemon=True)
        self._thread.start()

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        return {"key_ms": self.times_ms, "missed": self.missed, "skipped": self.skipped}

    def _run(self) -> None:
        down = True
        while not self._stop.is_set():
            tick = time.monotonic()
            cursor = self.clock.cursor
            if cursor is None or cursor[1] < 3:
                self.skipped += 1
            elif cursor[0] in (0, cursor[1] - 1):
                # away from the ends: at the bottom the feed follows new rows
                # in the app's context, as a key's handler would run
                self.clock.app.call_from_thread(
                    self.clock.feed.move_cursor, row=cursor[1] // 2, animate=False)
            else:
                self._press("down" if down else "up")
                down = not down
            self._stop.wait(max(0.0, tick + PRESS_EVERY_S - time.monotonic()))

    def _press(self, key: str) -> None:
        clock = self.clock
        with clock.moved:
            seen = clock.moves
        pressed = time.monotonic()
        clock.press(key)
        with clock.moved:
            shown = clock.moved.wait_for(lambda: clock.moves > seen, GIVE_UP_S)
            at = clock.moved_at
        if shown:
            self.times_ms.append((at - pressed) * 1000)
        else:
            self.missed += 1
            self.times_ms.append(GIVE_UP_S * 1000)


class Hand(threading.Thread):
    """Does what the benchmark asks, from a thread of its own, until it says stop."""

    def __init__(self, conn: multiprocessing.connection.Connection, store: SessionStore,
                 done: asyncio.Event, probe: KeyProbe | None) -> None:
        super().__init__(name="benchmark's hand", daemon=True)
        self.conn = conn
        self.store = store
        self.done = done
        self.probe = probe
        self.loop = asyncio.get_running_loop()

    def run(self) -> None:
        store = self.store
        changes: dict[str, Callable[[], Coroutine[Any, Any, Any]]] = {
            "open voting": lambda: store.update_round(store.current_round.id, voting_open=True),
            "next round": lambda: store.go_to_round(store.info.current_round + 1),
        }
        try:
            while True:
                do = self.conn.recv()["do"]
                if do == "stop":
                    return
                if do == "probe":
                    if self.probe is not None:
                        self.probe.start()
                    self.conn.send({})
                elif do == "probed":
                    self.conn.send(self.probe.stop() if self.probe is not None else {})
                elif do in changes:
                    # The phases time what the room sees from the facilitator's key: from when
                    # the change is asked for (``time.monotonic``, one clock for every process
                    # on this machine), the wait for the screen's loop and the host included.
                    asked = time.monotonic()
                    future = asyncio.run_coroutine_threadsafe(changes[do](), self.loop)
                    try:
                        future.result(CHANGE_WITHIN_S)
                        self.conn.send({"at": asked})
                    except TimeoutError:
                        self.conn.send({"at": None})
        finally:
            self.loop.call_soon_threadsafe(self.done.set)


async def _serve_alone(conn: multiprocessing.connection.Connection, path: Path) -> None:
    """(b) as ``facilitator serve`` runs it: its open-files limit raised as far as the limit
    it was started with allows."""
    from facilitator.web.capacity import raise_open_files
    from facilitator.web.server import ParticipantServer

    raise_open_files()
    store = SessionStore.open(path)
    try:
        server = ParticipantServer(store, host="127.0.0.1", port=0)
        await server.start()
        try:
            done = asyncio.Event()
            conn.send({"url": server.join_url})
            Hand(conn, store, done, None).start()
            await done.wait()
        finally:
            await server.stop()
    finally:
        await store.close()


async def _run_app(conn: multiprocessing.connection.Connection, path: Path) -> None:
    """(a) as ``facilitator run`` builds it (:func:`facilitator.tui.app.run_tui`), headless."""
    from facilitator.host.handle import ChildHost
    from facilitator.tui.app import FacilitatorApp, child_host

    app = FacilitatorApp(Library(path.parent.parent), Templates(),
                         store=SessionStore.open(path),  # the app hands it to the host
                         host_factory=child_host("127.0.0.1", 0, None))
    clock = FrameClock(app)
    app.driver_class = clock.driver_class()
    try:
        async with app.run_test(headless=False, size=SCREEN):
            while not app.server_ready and not app.server_problem:
                await asyncio.sleep(0.05)
            server = app.server
            if not isinstance(server, ChildHost) or not app.server_ready \
                    or app.store is None:
                raise RuntimeError(f"the participant server did not start: {app.server_problem}")
            done = asyncio.Event()
            conn.send({"url": server.join_url, "server_pid": server.pid})
            Hand(conn, app.store, done, KeyProbe(clock)).start()
            await done.wait()
    finally:
        await app.shutdown()


def main(conn: multiprocessing.connection.Connection, path: str, config: str) -> None:
    """The laptop as its command runs it, with the open-files limit it was started with (the
    benchmark starts it with a stock desktop's: ``bench room --nofile``)."""
    run = _run_app if config == "a" else _serve_alone
    asyncio.run(run(conn, Path(path)))
