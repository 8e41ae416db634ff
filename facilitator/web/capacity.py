"""How many phones this laptop can carry, and the open-files limit that decides it.

Every phone holds a live connection (SSE) for as long as its page is open, and a connection is
a file descriptor. A stock desktop starts a program with a soft limit of 1,024 open files on
Linux and 256 on macOS, below a hard limit the program may raise it to. :func:`raise_open_files`
raises it as far as the hard limit allows (``facilitator run``, ``serve`` and the session's host
call it when they start); :class:`RoomCapacity` then says what that limit carries, and the
participant server holds to it: a new phone is turned away with a sentence in its language
before the limit is reached, never a room that stops answering after.

On Windows there is no such limit for sockets: they are kernel handles, and asyncio's default
proactor loop waits on any number of them. The C runtime's limits (512 ``fopen`` streams,
8,192 low-level descriptors) count files only, and the session opens a handful. Only the
selector loop, which waits with ``select()``, stops at 512 sockets.

No aiohttp here: the TUI's process shows the figures without loading the web stack.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass

try:  # POSIX only: Windows has no ``resource`` module (and no such limit for sockets)
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

RAISE_TO = 65_536
"""The soft limit asked for when the hard limit is higher or unlimited: far more than one
laptop's room can use, and low enough that child processes (which inherit it) are not slowed
by programs that walk every possible descriptor."""
STEPS_DOWN = (24_576, 10_240, 8_192, 4_096, 2_048)
"""Lower limits to try when the system refuses more (macOS refuses more than its per-process
maximum, often 10,240 or 24,576, even under an unlimited hard limit)."""
SESSION_FILES = 48
"""Descriptors the process needs besides phones' connections: standard streams, the event
loop's own, the listening sockets, the session file, its journal and lock, a rewrite's
temporary file and folder, the TUI's socket and pipes (11 when ``serve`` idles), with room to
spare."""
SELECT_SOCKETS = 512
"""What ``select()`` waits on at most on Windows (asyncio's selector loop there)."""

_raised_from: int | None = None
"""The soft limit this process started with, once :func:`raise_open_files` raised it (the
limit is the process's, so what was done to it is too)."""


@dataclass(frozen=True, slots=True)
class OpenFiles:
    """The open-files limit of this process."""

    limit: int | None
    """The soft limit now; None where sockets have no such limit (Windows' proactor loop)."""
    raised_from: int | None = None
    """The soft limit before :func:`raise_open_files` raised it (None: not raised)."""
    hard: int | None = None
    """The hard limit (None: unlimited, or no such limit)."""

    @property
    def at_hard_limit(self) -> bool:
        """Whether the limit cannot be raised any further (by this process)."""
        return self.limit is not None and self.hard is not None and self.limit >= self.hard


def open_files(loop: asyncio.AbstractEventLoop | None = None) -> OpenFiles:
    """The limit as it is now. ``loop``: the loop that will serve (a selector loop on Windows
    waits on at most :data:`SELECT_SOCKETS`)."""
    if resource is None:
        selector = loop is not None and isinstance(loop, asyncio.SelectorEventLoop)
        return OpenFiles(SELECT_SOCKETS if selector and sys.platform == "win32" else None)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return OpenFiles(_finite(soft), raised_from=_raised_from, hard=_finite(hard))


def raise_open_files() -> OpenFiles:
    """Raise the soft open-files limit as far as the hard limit allows (at most
    :data:`RAISE_TO`); the limit before and after. Never lowers it."""
    global _raised_from
    if resource is None:
        return open_files()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    ceiling = RAISE_TO if hard == resource.RLIM_INFINITY else min(hard, RAISE_TO)
    if soft != resource.RLIM_INFINITY and soft < ceiling:
        for wanted in (ceiling, *(step for step in STEPS_DOWN if step < ceiling)):
            if wanted <= soft:
                break
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            except (ValueError, OSError):
                continue
            if _raised_from is None:
                _raised_from = soft
            break
    return open_files()


def _finite(value: int) -> int | None:
    return None if resource is not None and value == resource.RLIM_INFINITY else value


@dataclass(frozen=True, slots=True)
class RoomCapacity:
    """What an open-files limit carries, and the server's limits that follow from it.

    Of the limit, :data:`SESSION_FILES` and the accept queue (:attr:`backlog`: connections the
    loop may accept in one go before the server sees any of them) are kept back; the rest are
    :attr:`connections`. Each phone holds one live connection; a quarter of the connections is
    kept for what comes and goes (page loads and sends in progress, a phone's second tab, the
    wall), so the room carries :attr:`phones`.
    """

    files: OpenFiles
    backlog: int
    connections: int
    """Connections the server holds at most; one more is answered 503 and closed at once."""
    phones: int
    """Phones the room carries: a new device is turned away once this many are live."""
    streams: int
    """Live connections in all (phones, their second tabs, the wall) before one is a 503."""
    live_per_address: int
    """Live connections from one client address: a room behind one NAT address (an access
    point in router mode) is normal, one address holding the whole room is not."""
    slow_per_address: int
    """Connections from one address slow to send a request's head: a phone sends its head in
    one packet, so more than this is someone holding connections open (a slow-loris)."""
    heads_per_address: int
    """Connections from one address waiting for a request's head at once, slow or not yet: a
    burst of them can never take more than half the room's connections."""

    ASSUMED = RAISE_TO
    """The limit counted with where sockets have none (Windows' proactor loop)."""

    @classmethod
    def of(cls, files: OpenFiles) -> RoomCapacity:
        limit = files.limit if files.limit is not None else cls.ASSUMED
        backlog = max(16, min(512, limit // 16))
        connections = max(0, limit - SESSION_FILES - backlog)
        phones = connections - connections // 4
        return cls(
            files=files,
            backlog=backlog,
            connections=connections,
            phones=phones,
            streams=phones + connections // 8,
            live_per_address=min(1_000, max(1, phones // 2)),
            slow_per_address=min(256, max(8, connections // 8)),
            heads_per_address=max(16, connections // 2),
        )

    @classmethod
    def unlimited(cls) -> RoomCapacity:
        """For an application served without a limit of its own (aiohttp's test server)."""
        return cls.of(OpenFiles(None))
