"""Live updates by server-sent events, fanned out cheaply.

The store calls :meth:`LiveHub.on_change` after every commit. The hub only looks at which tables
changed and schedules one flush a moment later (coalescing a burst of commits into one message);
the flush renders each channel's message once, as bytes, and wakes every waiting connection with
the same bytes. Messages carry the whole state a page needs (not a diff), so a connection that
missed one just sends the latest.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import orjson
from aiohttp import web

from facilitator.core.model import Change
from facilitator.store.store import SessionStore

KEEPALIVE_S = 15.0
COALESCE_S = 0.05
WALL_COALESCE_S = 0.5
"""The wall re-renders at most twice a second however fast contributions arrive."""
ROUND_TABLES = frozenset({"rounds", "session"})
WALL_TABLES = ROUND_TABLES | {"contributions", "votes", "themes", "participants"}
"""What the wall shows: the round, its contributions and results, and how many have joined."""


class Channel:
    """The latest message of one kind, and a way to wait for the next."""

    def __init__(self) -> None:
        self.message = b""
        self.version = 0
        self._next: asyncio.Future[None] | None = None

    def publish(self, message: bytes) -> None:
        self.message = message
        self.version += 1
        self.wake()

    def wake(self) -> None:
        if self._next is not None and not self._next.done():
            self._next.set_result(None)
        self._next = None

    def next_change(self) -> asyncio.Future[None]:
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
        return self._next


def round_key(store: SessionStore) -> str:
    """What a participant page depends on: when it changes, the page is rendered again."""
    state = store.round_state(store.current_round.id)
    flags = (state.started, state.submissions_open, state.voting_open, state.results_shown)
    return f"{store.info.current_round}:" + "".join("1" if f else "0" for f in flags)


def state_message(store: SessionStore, key: str) -> bytes:
    """One SSE message: the page's key and the timer (seconds left, and whether it runs)."""
    state = store.round_state(store.current_round.id)
    remaining = max(0, round(state.remaining(time.time()))) if state.started else None
    data = orjson.dumps({"key": key, "remaining": remaining, "running": state.timer_running})
    return b"event: state\ndata: " + data + b"\n\n"


class LiveHub:
    """Two channels: participant pages (round changes, timer) and the wall (everything shown)."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store
        self.participants = Channel()
        self.wall = Channel()
        self.connections = 0
        self.closed = False
        self._wall_serial = 0
        self._participants_at: asyncio.TimerHandle | None = None
        self._wall_at: asyncio.TimerHandle | None = None
        self._unsubscribe: Callable[[], None] | None = None

    def start(self) -> None:
        self._unsubscribe = self.store.subscribe(self.on_change)

    def close(self) -> None:
        """Let every open connection finish (on shutdown)."""
        self.closed = True
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for handle in (self._participants_at, self._wall_at):
            if handle is not None:
                handle.cancel()
        self.participants.wake()
        self.wall.wake()

    def on_change(self, changes: tuple[Change, ...]) -> None:
        if self.closed:
            return
        tables = {change.table for change in changes}
        loop = asyncio.get_running_loop()
        if tables & ROUND_TABLES and self._participants_at is None:
            self._participants_at = loop.call_later(COALESCE_S, self._flush_participants)
        if tables & WALL_TABLES and self._wall_at is None:
            self._wall_at = loop.call_later(WALL_COALESCE_S, self._flush_wall)

    def _flush_participants(self) -> None:
        self._participants_at = None
        self.participants.publish(self.participant_message())

    def _flush_wall(self) -> None:
        self._wall_at = None
        self._wall_serial += 1  # the wall's key: any change re-renders it
        self.wall.publish(self.wall_message())

    def participant_message(self) -> bytes:
        return state_message(self.store, round_key(self.store))

    @property
    def wall_key(self) -> str:
        return f"w{self._wall_serial}"

    def wall_message(self) -> bytes:
        return state_message(self.store, self.wall_key)

    async def stream(
        self, request: web.Request, channel: Channel, first: Callable[[], bytes]
    ) -> web.StreamResponse:
        """Hold one SSE connection open: ``first()`` now, then every newer message."""
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        self.connections += 1
        try:
            seen = channel.version
            await response.write(b"retry: 3000\n\n" + first())
            while not self.closed:
                if channel.version != seen:
                    seen = channel.version
                    await response.write(channel.message)
                    continue
                await asyncio.wait([channel.next_change()], timeout=KEEPALIVE_S)
                if channel.version == seen and not self.closed:
                    await response.write(b": keepalive\n\n")
        except (ConnectionError, RuntimeError):
            pass  # the phone went away; nothing to clean up but the count
        finally:
            self.connections -= 1
        with contextlib.suppress(ConnectionError, RuntimeError):
            await response.write_eof()
        return response
