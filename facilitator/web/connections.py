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
- **few slow connections per address**: a connection still without its whole head
  :data:`SLOW_AFTER_S` after its first byte (or :data:`SILENT_S` after it opened, with not a
  byte) is slow; one address may hold at most
  :attr:`RoomCapacity.slow_per_address` of them, and while it does, its new connections are
  reset at once; and however fast, one address may have at most
  :attr:`RoomCapacity.heads_per_address` connections waiting for their head at once. A room
  reconnecting all at once (a thousand phones behind one address after the Wi-Fi blinked)
  sends its heads with its connections and is never slow. This counts the address the
  connection comes from (a local reverse proxy is one address, but it sends whole heads);
  limits by the phone's own address come later, in the application
  (:func:`facilitator.web.guard.client_address`).

A head has arrived when its blank line has (the guard looks for it in the first bytes of each
request); the application tells the guard when a request starts and ends on a connection
(:meth:`ConnectionGuard.request_started`, from a middleware), so it knows which connections are
idle. Live connections (SSE) are busy for as long as they are open, and are counted by the
overload guard in ``app.py``.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

from facilitator.web.capacity import RoomCapacity

HEAD_S = 10.0
"""How long a request's head may take to arrive."""
SLOW_AFTER_S = 1.0
"""A head not complete this long after its first byte is a slow one (a phone sends its head in
one packet). Counted from the first byte read, not from the connection's start: a server busy
with a thousand phones reconnecting at once may read a new connection late, and that is not
the phone's slowness."""
SILENT_S = 5.0
"""A connection that has sent nothing at all this long after it opened is a slow one too."""
GIVE_WAY_AFTER_S = 0.5
"""An idle connection gives way to a new one only after it has been idle this long (its answer
has long been written)."""
SWEEP_S = 0.5
"""How often connections slow with their head are looked for."""
END_OF_HEAD = b"\r\n\r\n"
_BODY = b"Busy: please try again in a moment.\n"
BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\n"
        b"Content-Length: " + str(len(_BODY)).encode() + b"\r\nConnection: close\r\n\r\n" + _BODY)
"""The answer past the hard line: before the request is read, so no language is known; the
phone's script waits and asks again, as after any 503."""


class _Door(asyncio.Protocol):
    """One connection: aiohttp's protocol inside, and what the guard knows of it."""

    __slots__ = ("address", "admitted", "busy", "first_byte", "guard", "in_head", "inner", "slow",
                 "tail", "transport")

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
        self.first_byte: float | None = None
        """When the head's first byte was read (None: not yet)."""
        self.slow = False
        """Slow with it (see :data:`SLOW_AFTER_S`)."""
        self.tail = b""
        """The last bytes of the head so far (its blank line may come in two pieces)."""

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
            self.guard.head_begins(self, read=True)
        if self.in_head:
            if self.first_byte is None:
                self.first_byte = self.guard.now()
            seen = self.tail + data
            if END_OF_HEAD in seen:
                self.guard.head_arrived(self)
            else:
                self.tail = seen[-3:]
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
        self._slow: Counter[str] = Counter()
        self._waiting: Counter[str] = Counter()
        """Connections waiting for a head, per address."""
        self._doors: dict[asyncio.BaseTransport, _Door] = {}
        self._sweeping: asyncio.TimerHandle | None = None

    def __call__(self) -> asyncio.Protocol:
        return _Door(self, self._protocols())

    def close(self) -> None:
        if self._sweeping is not None:
            self._sweeping.cancel()
            self._sweeping = None

    # -- what the application says ----------------------------------------------------------

    def request_started(self, transport: asyncio.BaseTransport | None) -> None:
        door = self._doors.get(transport) if transport is not None else None
        if door is None:
            return
        door.busy += 1
        self.head_arrived(door)
        self._idle.pop(door, None)

    def request_ended(self, transport: asyncio.BaseTransport | None) -> None:
        door = self._doors.get(transport) if transport is not None else None
        if door is None or door.busy == 0:
            return
        door.busy -= 1
        if not door.busy:
            self._idle[door] = self.now()

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
        if (self._slow[door.address] >= capacity.slow_per_address
                or self._waiting[door.address] >= capacity.heads_per_address):
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

    def head_begins(self, door: _Door, *, read: bool = False) -> None:
        """A head is awaited: on a new connection, or its first byte was ``read`` on a kept-alive
        one."""
        door.in_head = True
        door.tail = b""
        door.first_byte = self.now() if read else None
        self._heads[door] = self.now()
        self._waiting[door.address] += 1
        self._idle.pop(door, None)

    def head_arrived(self, door: _Door) -> None:
        if not door.in_head:
            return
        door.in_head = False
        self._heads.pop(door, None)
        self._waiting[door.address] -= 1
        if self._waiting[door.address] <= 0:
            del self._waiting[door.address]
        if door.slow:
            door.slow = False
            self._slow[door.address] -= 1
            if self._slow[door.address] <= 0:
                del self._slow[door.address]

    def gone(self, door: _Door) -> None:
        self.open -= 1
        self.head_arrived(door)
        self._idle.pop(door, None)
        if door.transport is not None:
            self._doors.pop(door.transport, None)

    def _give_way(self) -> None:
        """Close the connection idle longest, if it has been idle a while with nothing left
        to write."""
        now = self.now()
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
        """Cut off the connections whose head is late, and count the slow ones per address:
        past :attr:`RoomCapacity.slow_per_address`, the newest of an address are cut off too
        (the oldest are first in line)."""
        self._sweeping = None
        now = self.now()
        late, slow, silent = now - self.head_s, now - SLOW_AFTER_S, now - SILENT_S
        cut = []
        for door, since in self._heads.items():
            if since > slow:
                break
            if since <= late:
                cut.append(door)
            elif not door.slow and (since <= silent if door.first_byte is None
                                    else door.first_byte <= slow):
                door.slow = True
                self._slow[door.address] += 1
                if self._slow[door.address] > self.capacity.slow_per_address:
                    cut.append(door)
        for door in cut:
            self.head_arrived(door)  # no longer waited for
            self.cut_off += 1
            if door.transport is not None:
                door.transport.abort()
        if self.open:
            self._sweeping = self._running_loop().call_later(SWEEP_S, self._sweep)

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    def now(self) -> float:
        return self._running_loop().time()
