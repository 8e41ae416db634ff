"""Live updates by server-sent events, fanned out cheaply.

The store calls :meth:`LiveHub.on_change` after every commit. The hub only looks at which tables
changed and schedules one flush a moment later (coalescing a burst of commits into one message);
the flush renders each channel's message once, as bytes, and wakes every waiting connection with
the same bytes. Messages carry the whole state a page needs to know whether it is stale (not a
diff), so a connection that missed one just sends the latest. What is pushed does not grow with
the room's input: a phone hears about round changes and the timer, and about its own
contributions when the facilitator changes them (approved, hidden, merged), never about every
new item.

A round change makes every phone load its page again. So that 2,000 phones do not all ask in
the same millisecond, the message carries ``spread_ms``: each phone waits a random moment within
it first. It grows with the number of connections (:data:`SPREAD_PER_PHONE_MS`), so a room of
twenty-four reloads at once and a hall of two thousand within :data:`MAX_SPREAD_MS`.

Opening the vote is the one change a phone does not reload for (``"reload": false``): each
phone's ballot is its own sample, dealt when it is first shown, so 2,000 reloads at once would
be 2,000 samples and ballots at once. The page shows "voting is open" at once instead, with a
button that loads the ballot when the participant is ready, which spreads the work over the
room's own pace (and does not pull the page away from under someone typing).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import orjson
from aiohttp import web

from facilitator.core.joining import next_change
from facilitator.core.model import Change
from facilitator.session.store import SessionStore

KEEPALIVE_S = 15.0
WAKE_BATCH = 100
"""Connections woken per turn of the event loop when a message goes out (see Channel)."""
COALESCE_S = 0.05
WALL_COALESCE_S = 0.5
"""The wall re-renders at most twice a second however fast contributions arrive."""
SPREAD_PER_PHONE_MS = 0.75
MAX_SPREAD_MS = 1500
"""A phone waits at most this long before reloading, so every page is up to date within 2 s."""
ROUND_TABLES = frozenset({"rounds", "session", "notes"})
"""What a participant page shows besides its own items: the round, and the day chair's lines."""
WALL_TABLES = ROUND_TABLES | {"contributions", "votes", "themes", "participants"}
"""What the wall shows: the round, its contributions and results, and how many have joined."""
MINE = b"event: mine\ndata: {}\n\n"
"""Sent to a phone when the facilitator changed one of its contributions: reload the page."""
PER_DEVICE = 3
"""Live connections one device holds at most: two tabs, and one more while a phone whose
network dropped without a word reconnects (the oldest then ends: its phone has gone)."""


class Channel:
    """The latest message of one kind, and a way to wait for the next.

    A new message wakes its waiting connections a batch at a time (:data:`WAKE_BATCH` per turn
    of the event loop), so that telling 2,000 phones at once never holds up a key press or a
    request for the whole fan-out: others' work runs between the batches.
    """

    def __init__(self) -> None:
        self.message = b""
        self.version = 0
        self._waiting: list[asyncio.Future[None]] = []

    def publish(self, message: bytes) -> None:
        self.message = message
        self.version += 1
        self.wake()

    def wake(self) -> None:
        waiting, self._waiting = self._waiting, []
        if waiting:
            self._wake_batch(waiting, 0)

    def _wake_batch(self, waiting: list[asyncio.Future[None]], start: int) -> None:
        for future in waiting[start:start + WAKE_BATCH]:
            if not future.done():
                future.set_result(None)
        if start + WAKE_BATCH < len(waiting):
            asyncio.get_running_loop().call_soon(self._wake_batch, waiting,
                                                 start + WAKE_BATCH)

    def next_change(self) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(future)
        return future


class Listener:
    """One open connection's personal news (its device's contributions were changed)."""

    def __init__(self, device: str) -> None:
        self.device = device
        self.pending = False
        self.ended = False
        """The device opened newer connections than :data:`PER_DEVICE`: this one ends."""
        self._future: asyncio.Future[None] | None = None

    def end(self) -> None:
        self.ended = True
        self.release()

    def tell(self) -> None:
        self.pending = True
        self.release()

    def release(self) -> None:
        if self._future is not None and not self._future.done():
            self._future.set_result(None)

    def next(self) -> asyncio.Future[None]:
        if self._future is None or self._future.done():
            self._future = asyncio.get_running_loop().create_future()
        return self._future


@dataclass(frozen=True, slots=True)
class PageKey:
    """What a participant page depends on: when it changes, the page is rendered again. The
    page holds it as :meth:`__str__` writes it and compares it with the one its live
    connection sends."""

    round: int
    """The session's current round (its index)."""
    started: bool
    input_open: bool
    voting_open: bool
    results_shown: bool
    lines: str = ""
    """The day chair's lines in the round: their number and a checksum of their ids and edits
    (a line written, corrected, re-addressed or removed changes it); "" when there are none."""

    @classmethod
    def of(cls, store: SessionStore) -> PageKey:
        spec = store.current_round
        state = store.round_state(spec.id)
        lines = store.lines(spec.id)  # a handful, from an index
        written = zlib.crc32(repr([(line.id, line.edited) for line in lines]).encode())
        return cls(store.info.current_round, state.started, state.submissions_open,
                   state.voting_open, state.results_shown,
                   f"{len(lines)}.{written:08x}" if lines else "")

    def __str__(self) -> str:
        flags = "".join("1" if f else "0" for f in (
            self.started, self.input_open, self.voting_open, self.results_shown))
        return f"{self.round}:{flags}" + (f":{self.lines}" if self.lines else "")

    def only_voting_opened_since(self, before: PageKey) -> bool:
        """Whether voting opening is all that changed: the phones show so without reloading."""
        return not before.voting_open and replace(before, voting_open=True) == self


def state_message(store: SessionStore, key: PageKey | str, spread_ms: int = 0,
                  voting_opened: bool = False, page: str = "") -> bytes:
    """One SSE message: the page's key, the timer (seconds left, and whether it runs), and how
    long a phone may wait at random before it reloads a stale page; or, when only voting
    opened, that the phone shows so without reloading; or the new ``page`` itself."""
    state = store.round_state(store.current_round.id)
    remaining = max(0, round(state.remaining(time.time()))) if state.started else None
    message: dict[str, object] = {"key": str(key), "remaining": remaining,
                                  "running": state.timer_running, "spread_ms": spread_ms}
    if voting_opened:
        message.update(reload=False, voting=True)
    elif page:
        message.update(reload=False, page=page)
    return b"event: state\ndata: " + orjson.dumps(message) + b"\n\n"


class LiveHub:
    """Participant pages (one channel per language), the wall, and each phone's personal news.

    ``shared_page(lang)`` renders the round page as every phone of a language sees it before
    it has sent anything in the round. When the facilitator moves to a round no phone has sent
    anything in yet (the usual way through a day), the message carries that page, so 2,000
    phones show the new round at once without asking for it; their script fills in the form
    tokens. Any other change of the page makes them reload it, spread over ``spread_ms``.
    """

    def __init__(self, store: SessionStore, clock: Callable[[], float] = time.time,
                 shared_page: Callable[[str], str] | None = None) -> None:
        self.store = store
        self.clock = clock
        """The wall clock the room's join code follows: the wall reloads when the code
        changes, so its QR code is always the current one."""
        self.shared_page = shared_page
        self.channels: dict[str, Channel] = {}
        """Participant pages by language."""
        self._listening: Counter[str] = Counter()
        self.participants = self.channel("")
        self.wall = Channel()
        self.connections = 0
        self.closed = False
        self._listeners: dict[str, dict[Listener, None]] = {}
        """Each device's open connections, oldest first."""
        self._owed: set[str] = set()
        """Devices whose contributions changed while they had no live connection: told as
        soon as they are back (after the Wi-Fi blinked), unless their page loaded meanwhile."""
        self._wall_serial = 0
        self._participants_at: asyncio.TimerHandle | None = None
        self._wall_at: asyncio.TimerHandle | None = None
        self._mine_at: asyncio.TimerHandle | None = None
        self._code_at: asyncio.TimerHandle | None = None
        self._changed_items: set[int] = set()
        self._published_key: PageKey | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._code_watchers: list[Callable[[], None]] = []

    def start(self) -> None:
        self._published_key = PageKey.of(self.store)
        self._unsubscribe = self.store.subscribe(self.on_change)
        self._next_code()

    def _next_code(self) -> None:
        """At the next change of the room's join code, tell the wall (a new key: it reloads)."""
        now = self.clock()
        delay = max(0.05, next_change(now) - now + 0.05)
        self._code_at = asyncio.get_running_loop().call_later(delay, self._code_changed)

    def _code_changed(self) -> None:
        if self.closed:
            return
        self._flush_wall()
        for watcher in list(self._code_watchers):
            watcher()
        self._next_code()

    def watch_code(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` (on the loop) each time the room's join code changes. Returns the
        unsubscribe."""
        self._code_watchers.append(callback)
        return lambda: self._code_watchers.remove(callback)

    def close(self) -> None:
        """Let every open connection finish (on shutdown)."""
        self.closed = True
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for handle in (self._participants_at, self._wall_at, self._mine_at, self._code_at):
            if handle is not None:
                handle.cancel()
        for channel in self.channels.values():
            channel.wake()
        self.wall.wake()
        for listeners in self._listeners.values():
            for listener in listeners:
                listener.release()

    def on_change(self, changes: tuple[Change, ...]) -> None:
        if self.closed:
            return
        tables = {change.table for change in changes}
        loop = asyncio.get_running_loop()
        if tables & ROUND_TABLES and self._participants_at is None:
            self._participants_at = loop.call_later(COALESCE_S, self._flush_participants)
        if tables & WALL_TABLES and self._wall_at is None:
            self._wall_at = loop.call_later(WALL_COALESCE_S, self._flush_wall)
        for change in changes:
            if change.table == "contributions" and not change.inserted:
                self._changed_items.update(change.ids)
        if self._changed_items and self._mine_at is None:
            self._mine_at = loop.call_later(COALESCE_S, self._flush_mine)

    def channel(self, lang: str) -> Channel:
        """The participant channel of a language ("" for phones whose language is not known)."""
        channel = self.channels.get(lang)
        if channel is None:
            channel = self.channels[lang] = Channel()
        return channel

    def _flush_participants(self) -> None:
        self._participants_at = None
        key = PageKey.of(self.store)
        before, self._published_key = self._published_key, key
        opened = before is not None and key.only_voting_opened_since(before)
        render = self.shared_page
        pushed = (not opened and render is not None and before is not None
                  and before.round != key.round and self._fresh_round())
        spread = self.spread_ms()
        for lang, channel in self.channels.items():
            page = render(lang) if render and pushed and lang and self._listening[lang] else ""
            channel.publish(state_message(self.store, key, spread, opened, page))

    def _fresh_round(self) -> bool:
        """Whether the current round's page is the same for every phone of a language: no phone
        has sent anything in it, and nobody's ballot is open in it."""
        spec = self.store.current_round
        state = self.store.round_state(spec.id)
        return not self.store.sent_by_phones(spec.id) and not state.voting_open

    def _flush_wall(self) -> None:
        self._wall_at = None
        self._wall_serial += 1  # the wall's key: any change re-renders it
        self.wall.publish(self.wall_message())

    def _flush_mine(self) -> None:
        """Tell the phones whose contributions changed (costs what changed, not the room)."""
        self._mine_at = None
        changed, self._changed_items = self._changed_items, set()
        for cid in changed:
            item = self.store.contribution(cid)
            if item is not None and item.author:
                listeners = self._listeners.get(item.author)
                if not listeners:
                    self._owed.add(item.author)
                for listener in listeners or ():
                    listener.tell()

    def page_loaded(self, device: str) -> None:
        """A device loaded its page: it shows its contributions as they are now."""
        self._owed.discard(device)

    def spread_ms(self) -> int:
        return min(MAX_SPREAD_MS, round(self.connections * SPREAD_PER_PHONE_MS))

    def participant_message(self) -> bytes:
        return state_message(self.store, PageKey.of(self.store), self.spread_ms())

    async def participant_stream(self, request: web.Request, device: str, lang: str
                                 ) -> web.StreamResponse:
        """A phone's live connection: its language's channel and its own news."""
        self._listening[lang] += 1
        try:
            return await self.stream(request, self.channel(lang), self.participant_message,
                                     device=device)
        finally:
            self._listening[lang] -= 1

    @property
    def wall_key(self) -> str:
        return f"w{self._wall_serial}"

    def wall_message(self) -> bytes:
        return state_message(self.store, self.wall_key)

    async def stream(
        self,
        request: web.Request,
        channel: Channel,
        first: Callable[[], bytes],
        device: str = "",
    ) -> web.StreamResponse:
        """Hold one SSE connection open: ``first()`` now, then every newer message, and the
        device's personal news when ``device`` is given."""
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",
            }
        )
        response.force_close()  # a stream that ends frees its connection (and descriptor)
        await response.prepare(request)
        listener = Listener(device) if device else None
        if listener is not None:
            listeners = self._listeners.setdefault(device, {})
            listeners[listener] = None
            live = [other for other in listeners if not other.ended]
            for oldest in live[:max(0, len(live) - PER_DEVICE)]:
                oldest.end()
            if device in self._owed:
                self._owed.discard(device)
                listener.pending = True
        self.connections += 1
        try:
            seen = channel.version
            await response.write(b"retry: 3000\n\n" + first())
            change: asyncio.Future[None] | None = None
            while not self.closed and not (listener is not None and listener.ended):
                if channel.version != seen:
                    seen = channel.version
                    await response.write(channel.message)
                    continue
                if listener is not None and listener.pending:
                    listener.pending = False
                    await response.write(MINE)
                    continue
                if change is None or change.done():  # one wait per message, kept across
                    change = channel.next_change()   # keepalives (nothing piles up)
                waits: list[asyncio.Future[Any]] = [change]
                if listener is not None:
                    waits.append(listener.next())
                done, _ = await asyncio.wait(waits, timeout=KEEPALIVE_S,
                                             return_when=asyncio.FIRST_COMPLETED)
                if not done and not self.closed:
                    await response.write(b": keepalive\n\n")
        except (ConnectionError, RuntimeError):
            pass  # the phone went away; nothing to clean up but the count
        finally:
            self.connections -= 1
            if listener is not None:
                listeners = self._listeners.get(device, {})
                listeners.pop(listener, None)
                if not listeners:
                    self._listeners.pop(device, None)
        with contextlib.suppress(ConnectionError, RuntimeError):
            await response.write_eof()
        return response
