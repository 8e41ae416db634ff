"""Every connection the participant server holds, counted at the door.

:class:`ConnectionGuard` is the protocol factory the server listens with: it wraps aiohttp's own
(``web.Server``, which the aiohttp documentation describes as a protocol factory for
``loop.create_server``) and sees each connection before aiohttp does. It keeps four rules, so
that no client can take the room's connections, and no crowd its open files:

- **a hard line**: past :attr:`RoomCapacity.connections` open at once, a new connection is
  answered 503 (Retry-After) and closed; the session's own files always have descriptors left;
- **idle gives way**: once the room holds as many connections as it carries phones, each new
  connection closes the one that has been idle longest (a keep-alive connection with nothing
  to send; the phone's browser opens a new one when it next asks);
- **a deadline for a request's head**: the request line and headers must have arrived within
  :data:`HEAD_S` of the connection's start, or of their first byte on a kept-alive connection.
  A phone sends them in one packet; a slow-loris sends them a line at a time and is cut off.
  aiohttp has no such timeout of its own;
- **few quiet connections per address**: at most :attr:`RoomCapacity.quiet_per_address`
  connections from one address may be waiting for their head at once; more are reset at
  once. This counts the address the connection comes from (a local reverse proxy is one
  address, but it sends whole heads); limits by the phone's own address come later, in the
  application (:func:`facilitator.web.guard.client_address`).

The application tells the guard when a request starts and ends on a connection
(:meth:`ConnectionGuard.request_started`, from a middleware): that is how it knows a head has
arrived, and which connections are idle. Live connections (SSE) are busy for as long as they
are open, and are counted by the overload guard in ``app.py``.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

from facilitator.web.capacity import RoomCapacity

HEAD_S = 10.0
"""How long a request's head may take to arrive."""
GIVE_WAY_AFTER_S = 0.5
"""An idle connection gives way to a new one only after it has been idle this long (its answer
has long been written)."""
SWEEP_S = 1.0
"""How often connections too slow with their head are looked for."""
_BODY = b"Busy: please try again in a moment.\n"
BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\n"
        b"Content-Length: " + str(len(_BODY)).encode() + b"\r\nConnection: close\r\n\r\n" + _BODY)
"""The answer past the hard line: before the request is read, so no language is known; the
phone's script waits and asks again, as after any 503."""


class _Door(asyncio.Protocol):
    """One connection: aiohttp's protocol inside, and what the guard knows of it."""

    __slots__ = ("address", "admitted", "busy", "guard", "in_head", "inner", "transport")

    def __init__(self, guard: ConnectionGuard, inner: asyncio.Protocol) -> None:
        self.guard = guard
        self.inner = inner
        self.transport: asyncio.Transport | None = None
        self.address = ""
        self.admitted = False
        self.busy = 0
        """Requests in progress on this connection."""
        self.in_head = False
        """Waiting for a request's head, counted in the guard's deadlines."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if self.guard.admit(self):
            self.admitted = True
            self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if not self.admitted:
            return
        if not self.busy and not self.in_head:
            self.guard.head_begins(self)
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received() if self.admitted else None

    def connection_lost(self, exc: Exception | None) -> None:
        if self.admitted:
            self.admitted = False
            self.guard.gone(self)
            self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        if self.admitted:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.admitted:
            self.inner.resume_writing()


class ConnectionGuard:
    """The server's protocol factory: ``loop.create_server(guard, ...)``."""

    def __init__(self, protocols: Callable[[], asyncio.Protocol], capacity: RoomCapacity,
                 *, head_s: float = HEAD_S) -> None:
        self._protocols = protocols
        self.capacity = capacity
        self.head_s = head_s
        self.open = 0
        """Connections open now."""
        self.turned_away = 0
        """Connections answered 503 past the hard line, or reset for their address."""
        self.cut_off = 0
        """Connections closed because their request's head did not arrive in time."""
        self.given_way = 0
        """Idle connections closed to make room for a new one."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._heads: dict[_Door, float] = {}
        """Connections waiting for a head, and since when, oldest first."""
        self._idle: dict[_Door, float] = {}
        """Connections with no request in progress, and since when, longest idle first."""
        self._quiet: Counter[str] = Counter()
        self._doors: dict[asyncio.BaseTransport, _Door] = {}
        self._sweeping: asyncio.TimerHandle | None = None

    def __call__(self) -> asyncio.Protocol:
        return _Door(self, self._protocols())

    def close(self) -> None:
        if self._sweeping is not None:
            self._sweeping.cancel()
            self._sweeping = None

    def quiet_from(self, address: str) -> int:
        """Connections from ``address`` waiting for a request's head now."""
        return self._quiet[address]

    # -- what the application says ----------------------------------------------------------

    def request_started(self, transport: asyncio.BaseTransport | None) -> None:
        door = self._doors.get(transport) if transport is not None else None
        if door is None:
            return
        door.busy += 1
        self._head_ends(door)
        self._idle.pop(door, None)

    def request_ended(self, transport: asyncio.BaseTransport | None) -> None:
        door = self._doors.get(transport) if transport is not None else None
        if door is None or door.busy == 0:
            return
        door.busy -= 1
        if not door.busy:
            self._idle[door] = self._now()

    # -- the door ------------------------------------------------------------------------------

    def admit(self, door: _Door) -> bool:
        transport = door.transport
        assert transport is not None
        capacity = self.capacity
        peer = transport.get_extra_info("peername")
        door.address = str(peer[0]) if isinstance(peer, tuple | list) and peer else ""
        if self.open >= capacity.connections:
            self.turned_away += 1
            transport.write(BUSY)
            transport.close()
            return False
        if self._quiet[door.address] >= capacity.quiet_per_address:
            self.turned_away += 1
            transport.abort()
            return False
        if self.open >= capacity.phones:
            self._give_way()
        self.open += 1
        self._doors[transport] = door
        self.head_begins(door)
        if self._sweeping is None:
            self._sweeping = self._running_loop().call_later(SWEEP_S, self._sweep)
        return True

    def head_begins(self, door: _Door) -> None:
        door.in_head = True
        self._heads[door] = self._now()
        self._quiet[door.address] += 1
        self._idle.pop(door, None)

    def gone(self, door: _Door) -> None:
        self.open -= 1
        self._head_ends(door)
        self._idle.pop(door, None)
        if door.transport is not None:
            self._doors.pop(door.transport, None)

    def _head_ends(self, door: _Door) -> None:
        if door.in_head:
            door.in_head = False
            self._heads.pop(door, None)
            self._quiet[door.address] -= 1
            if self._quiet[door.address] <= 0:
                del self._quiet[door.address]

    def _give_way(self) -> None:
        """Close the connection idle longest, if it has been idle a while with nothing left
        to write."""
        now = self._now()
        for door, since in self._idle.items():
            if now - since < GIVE_WAY_AFTER_S:
                return
            transport = door.transport
            if transport is None or transport.get_write_buffer_size():
                continue
            del self._idle[door]
            self.given_way += 1
            transport.close()
            return

    def _sweep(self) -> None:
        """Cut off the connections whose head is late (the oldest are first in line)."""
        self._sweeping = None
        late = self._now() - self.head_s
        expired = []
        for door, since in self._heads.items():
            if since > late:
                break
            expired.append(door)
        for door in expired:
            self._head_ends(door)
            self.cut_off += 1
            if door.transport is not None:
                door.transport.abort()
        if self.open:
            self._sweeping = self._running_loop().call_later(SWEEP_S, self._sweep)

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    def _now(self) -> float:
        return self._running_loop().time()
