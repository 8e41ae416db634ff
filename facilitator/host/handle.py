"""The facilitator's screen's handle on the session's host: :class:`Host`.

The app knows only :class:`Host`: it hands it the session it opened, gets back the
:class:`~facilitator.host.copy.SessionCopy` it shows (:meth:`Host.take_over`), waits for the
participant page (:meth:`Host.start`), reads its links (:class:`Addresses`) and stops it. Two
kinds start the other end, and nothing else differs:

- :class:`ChildHost`, what ``facilitator run`` uses: the host in a process of its own
  (``python -m facilitator.host``), on every system the same way. The screen listens on a port
  of 127.0.0.1 that the system picks, starts the host with that port as an argument and a
  one-time secret on its standard input, and takes the first connection that opens with the
  secret (then stops listening). A connection without it is closed; a host that does not
  connect within :data:`CONNECT_WITHIN_S`, or exits first, is ended.
- :class:`InProcessHost`: the same host (:func:`~facilitator.host.serve.serve_session`) in the
  app's own loop, over a socket pair, for the TUI's tests, which so run the path
  ``facilitator run`` runs.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import errno
import hmac
import logging
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from facilitator.host.copy import Calls, SessionCopy
from facilitator.host.frames import (
    Answer,
    Changed,
    CodeChanged,
    Go,
    Listening,
    NoServer,
    NotListening,
    NotOpened,
    Opened,
    Stop,
    encode,
    read,
)
from facilitator.host.serve import SECRET_BYTES, serve_session
from facilitator.session.files import StoreError
from facilitator.session.store import SessionStore
from facilitator.web.addresses import Addresses
from facilitator.web.capacity import OpenFiles, RoomCapacity

log = logging.getLogger(__name__)

CONNECT_WITHIN_S = 60.0
"""How long the host may take to start and connect (Python's start on a slow laptop, antivirus
scanning the interpreter on Windows)."""
OPEN_WITHIN_S = 300.0
"""How long the host may take to open the session (a very large one takes seconds)."""
TURN_S = 0.004
"""How long the screen applies the host's changes before it lets the rest of its loop run."""
STOP_WITHIN_S = 20.0
"""How long the host may take to write what is queued and close, before it is ended."""


@dataclass(frozen=True, slots=True)
class HostLost:
    """Why the host went without being asked to, for the screen to say in its own language."""

    why: str
    """The whole of it in English: the log, and the calls that fail from now on."""
    followed: bool
    """True: the host stopped on its own. False: the screen could no longer follow the
    session, and stopped the host."""
    exit_code: int | None = None
    """The host's exit code when it failed (None: it did not say, or exited 0)."""
    said: str = ""
    """The host's last line on stderr (its log), or what broke the following."""


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class Host(Addresses):
    """The session's host as the screen sees it: the participant server's links, the copy of
    the session the screen reads, the door for its changes."""

    def __init__(self, store: SessionStore, *, bind: str | None = None, port: int = 8080,
                 public_url: str | None = None, clock: Callable[[], float] = time.time) -> None:
        super().__init__(store, host=bind, port=port, public_url=public_url, clock=clock)
        # ``store`` is the session as the app reads it: the store it was given until
        # :meth:`take_over`, the copy after (the same file).
        self._writer: asyncio.StreamWriter | None = None
        self._calls: Calls | None = None
        self._started: asyncio.Future[None] | None = None
        self._listening: asyncio.Task[None] | None = None
        self._code_watchers: list[Callable[[], None]] = []
        self._lost_watchers: list[Callable[[HostLost], None]] = []
        self._stopping = False
        self.capacity: RoomCapacity | None = None
        """What the host's open-files limit carries (known once it listens)."""

    # -- what each kind does: start the other end, and see it end ------------------------------

    async def _connect(self, store: SessionStore) -> Connection:
        """Start the host with the app's ``store`` and return the connection to it."""
        raise NotImplementedError

    async def _ended(self, within: float) -> None:
        """Wait until the host has ended, at most ``within`` seconds; then end it."""
        raise NotImplementedError

    def _exit_code(self) -> int | None:
        return None

    def _last_said(self) -> str:
        return ""

    # -- the same for every kind ----------------------------------------------------------------

    async def take_over(self) -> SessionCopy:
        """Hand the app's session to the host and follow it there. Raises
        :class:`StoreError` when the host cannot open it (the app's store stays closed)."""
        handed = self.store
        if isinstance(handed, SessionCopy):
            return handed
        path = handed.path
        reader, self._writer = await self._connect(handed)
        try:
            opened = await asyncio.wait_for(read(reader), OPEN_WITHIN_S)
        except TimeoutError:
            opened = None
        if not isinstance(opened, Opened):
            reason = opened.why if isinstance(opened, NotOpened) else None
            self._writer.close()  # a host still opening stops as soon as it looks
            await self._end()
            raise StoreError(path, reason or self._failure(
                f"{path}: the participant server's process did not open the session"))
        self._calls = Calls(path, self._writer.write)
        try:
            copy = await asyncio.to_thread(SessionCopy.follow, path, self._calls.send)
        except BaseException:
            self._writer.close()  # the host hears the screen go, closes the session and ends
            await self._end()
            raise
        self.store = copy
        self._started = asyncio.get_running_loop().create_future()
        self._listening = asyncio.create_task(self._listen(reader, copy), name="session host")
        self._writer.write(encode(Go()))
        return copy

    async def start(self) -> None:
        """Wait until the host listens; raise what stopped it (an OSError, an ImportError)."""
        if self._started is None:
            await self.take_over()
        assert self._started is not None
        await self._started

    async def stop(self) -> None:
        """Tell the host to stop; it writes what is queued and closes the session."""
        self._stopping = True
        if self._writer is not None and not self._writer.is_closing():
            self._writer.write(encode(Stop()))
        await self._end()

    def watch_join_url(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` each time the room's join code changes. Returns the unsubscribe."""
        self._code_watchers.append(callback)
        return lambda: self._code_watchers.remove(callback)

    def watch_lost(self, callback: Callable[[HostLost], None]) -> Callable[[], None]:
        """Call ``callback`` with why, if the host stops without being asked to."""
        self._lost_watchers.append(callback)
        return lambda: self._lost_watchers.remove(callback)

    async def _listen(self, reader: asyncio.StreamReader, copy: SessionCopy) -> None:
        assert self._calls is not None and self._started is not None
        broken: str | None = None
        try:
            await self._follow(reader, copy)
        except Exception as exc:  # the copy cannot follow any more: stop the host cleanly
            log.exception("following the session host failed")
            broken = repr(exc)
            if self._writer is not None:
                self._writer.close()
        with contextlib.suppress(TimeoutError):
            await self._ended(2.0)
        if broken is not None:
            lost = HostLost(
                f"the screen stopped following the session ({broken}); every change the "
                "participant server acknowledged is saved. Quit and run the session again",
                followed=False, said=broken)
        else:
            lost = HostLost(self._failure(
                "the participant server's process stopped" if self._stopping else
                "the participant server's process stopped unexpectedly; every change it "
                "acknowledged is saved. Quit and run the session again"),
                followed=True, exit_code=self._exit_code(), said=self._last_said())
        self._calls.lost(lost.why)
        self._started_with(ConnectionResetError(errno.ECONNRESET, lost.why))
        if not self._stopping:
            log.error("%s", lost.why)
            for on_lost in list(self._lost_watchers):
                on_lost(lost)

    async def _follow(self, reader: asyncio.StreamReader, copy: SessionCopy) -> None:
        """Each message from the host, until it has gone."""
        assert self._calls is not None
        turn = time.perf_counter()
        while (message := await read(reader)) is not None:
            if time.perf_counter() - turn > TURN_S:
                # Frames already received are read without a pause: after a burst of commits,
                # let a key press and a frame of the screen through between them.
                await asyncio.sleep(0)
                turn = time.perf_counter()
            match message:
                case Changed(documents):
                    copy.apply(documents)
                case Answer(number, result):
                    self._calls.answered(number, result)
                case CodeChanged():
                    for on_code in list(self._code_watchers):
                        on_code()
                case Listening(port, open_files):
                    self.port = port
                    self.capacity = RoomCapacity.of(OpenFiles(*open_files))
                    self._started_with(None)
                case NotListening(number, strerror):
                    self._started_with(OSError(number, strerror))
                case NoServer(why):
                    self._started_with(ImportError(why))

    def _started_with(self, error: Exception | None) -> None:
        """The server listens (``error`` None), or could not start; told once."""
        assert self._started is not None
        if self._started.done():
            return
        if error is None:
            self._started.set_result(None)
        else:
            self._started.set_exception(error)

    def _failure(self, what: str) -> str:
        code, last = self._exit_code(), self._last_said()
        detail = f" (exit code {code})" if code is not None else ""
        return f"{what}{detail}{': ' + last if last else ''}"

    async def _end(self) -> None:
        try:
            await self._ended(STOP_WITHIN_S)
        except TimeoutError:
            log.error("the session host did not stop in %.0f s: ended", STOP_WITHIN_S)
        if self._listening is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._listening
        if self._writer is not None:
            self._writer.close()


class ChildHost(Host):
    """The host in a process of its own: what ``facilitator run`` starts."""

    def __init__(self, store: SessionStore, *, bind: str | None = None, port: int = 8080,
                 public_url: str | None = None, clock: Callable[[], float] = time.time) -> None:
        super().__init__(store, bind=bind, port=port, public_url=public_url, clock=clock)
        self.process: asyncio.subprocess.Process | None = None
        self._relaying: asyncio.Task[None] | None = None
        self.said: collections.deque[str] = collections.deque(maxlen=20)
        """The host's last lines on stderr (its log), for a message when it fails."""

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    async def _connect(self, store: SessionStore) -> Connection:
        """Close the app's store (the lock goes with it), start the host and take its
        connection: the first to 127.0.0.1's listening port that opens with this start's
        secret. Raises :class:`StoreError` (the host ended) when none comes."""
        path = store.path
        await store.close()
        secret = secrets.token_bytes(SECRET_BYTES)
        loop = asyncio.get_running_loop()
        connected: asyncio.Future[Connection] = loop.create_future()

        async def knock(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                offered = await asyncio.wait_for(reader.readexactly(SECRET_BYTES),
                                                 CONNECT_WITHIN_S)
            except (asyncio.IncompleteReadError, ConnectionError, TimeoutError):
                offered = b""
            if connected.done() or not hmac.compare_digest(offered, secret):
                writer.close()
                return
            connected.set_result((reader, writer))

        listener = await asyncio.start_server(knock, "127.0.0.1", 0)
        try:
            port = listener.sockets[0].getsockname()[1]
            self.process = await asyncio.create_subprocess_exec(
                *self._host_command(path, port), stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            assert self.process.stdin is not None and self.process.stderr is not None
            self._relaying = asyncio.create_task(self._relay(self.process.stderr))
            with contextlib.suppress(ConnectionError):  # a host that died at once: below
                self.process.stdin.write(secret.hex().encode() + b"\n")
                await self.process.stdin.drain()
            self.process.stdin.close()
            exited = asyncio.ensure_future(self.process.wait())
            await asyncio.wait((connected, exited), timeout=CONNECT_WITHIN_S,
                               return_when=asyncio.FIRST_COMPLETED)
            exited.cancel()
        finally:
            listener.close()  # one host, one connection: nobody else gets in later
        if not connected.done():
            connected.cancel()
            if self.process is not None and self.process.returncode is None:
                self.process.kill()
            await self._end()
            raise StoreError(path, self._failure(
                f"{path}: the participant server's process did not connect"))
        return connected.result()

    def _host_command(self, path: Path, port: int) -> list[str]:
        command = [sys.executable, "-m", "facilitator.host", "--connect", str(port),
                   "--session", str(path), "--bind", self.host, "--port", str(self.port)]
        if self.public_url:
            command += ["--public-url", self.public_url]
        return command

    async def _ended(self, within: float) -> None:
        process = self.process
        if process is not None and process.returncode is None:
            try:
                await asyncio.wait_for(process.wait(), within)
            except TimeoutError:
                process.kill()
                await process.wait()
                raise
        if self._relaying is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._relaying

    async def _relay(self, stream: asyncio.StreamReader) -> None:
        """The host's log lines, into this process's log."""
        while line := await stream.readline():
            text = line.decode(errors="replace").rstrip()
            self.said.append(text)
            log.warning("session host: %s", text)

    def _exit_code(self) -> int | None:
        code = self.process.returncode if self.process is not None else None
        return code or None

    def _last_said(self) -> str:
        return next((line for line in reversed(self.said) if line.strip()), "")


class InProcessHost(Host):
    """The host in the app's own loop, over a socket pair: the same frames, the same host code,
    the store the app opened (the tests write to it as a phone would)."""

    def __init__(self, store: SessionStore, *, bind: str | None = None, port: int = 8080,
                 public_url: str | None = None, clock: Callable[[], float] = time.time) -> None:
        super().__init__(store, bind=bind, port=port, public_url=public_url, clock=clock)
        self._serving: asyncio.Task[int] | None = None

    async def _connect(self, store: SessionStore) -> Connection:
        host_end, screen_end = socket.socketpair()
        reader, writer = await asyncio.open_connection(sock=host_end)
        self._serving = asyncio.create_task(serve_session(
            store, reader, writer, bind=self.host, port=self.port, public_url=self.public_url),
            name="session host (in process)")
        return await asyncio.open_connection(sock=screen_end)

    async def _ended(self, within: float) -> None:
        if self._serving is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._serving), within)
            except TimeoutError:
                self._serving.cancel()
                raise

    def _exit_code(self) -> int | None:
        serving = self._serving
        if serving is None or not serving.done() or serving.cancelled():
            return None
        return None if serving.exception() is not None else (serving.result() or None)

    def _last_said(self) -> str:
        serving = self._serving
        if serving is not None and serving.done() and not serving.cancelled():
            error = serving.exception()
            return repr(error) if error is not None else ""
        return ""
