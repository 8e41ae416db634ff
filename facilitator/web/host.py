"""The participant server and the session's store in a process of their own, beside the TUI.

``facilitator run`` and ``demo`` start the session this way. Two cores then share the work of a
big room: this process writes the session and answers the phones; the TUI's process keeps a
:class:`~facilitator.store.replica.StoreReplica` of the session and draws the screen. A key
press or a redraw no longer waits behind a page render, and a page no longer waits behind a
frame (``docs/architecture.md``, "Two processes").

The TUI's side is :class:`HostedServer`: what the app knows of any participant server, plus
:meth:`HostedServer.take_over`, which hands the session to the new process and returns the
replica. The host's side is :func:`main` (``python -m facilitator.web.host``).

They are started and connected the same way on Windows, macOS and Linux: the TUI listens on a
port of 127.0.0.1 that the system picks, starts the host with that port as an argument and a
one-time secret on its standard input, and takes the first connection that opens with the
secret (then stops listening). A connection that does not has its host ended. They then speak
in the frames of :mod:`facilitator.store.replica`:

- host → TUI: ``opened`` (the host holds the session; the TUI reads the file now), then
  ``ready`` or ``failed`` (the server listens, with its port and open-files limit, or why
  not), then ``changed`` after each commit,
  ``answer`` to each call, ``code`` when the room's join code changes;
- TUI → host: ``go`` (the file is read: serve), ``call`` (a change the facilitator makes),
  ``stop``.

The host stops when told (``stop``, the normal way), on SIGTERM where there is one, or when the
TUI's process has gone: the connection closes with it on every platform, however it ended. It
stops serving, writes what is queued and closes the session, so a TUI that crashes or is killed
leaves no writer behind and no acknowledged input lost. The terminal's own signals (ctrl+c,
ctrl+break, a closed terminal) are the TUI's to act on: the host ignores them and follows the
TUI.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import errno
import hmac
import logging
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from facilitator.platforms import on_signals, utf8_stdio
from facilitator.store.files import StoreError
from facilitator.store.replica import (
    WRITES,
    Calls,
    StoreReplica,
    changed_documents,
    error_message,
    frame,
    outgoing,
    read_frame,
)
from facilitator.store.store import SessionStore
from facilitator.web.addresses import Addresses
from facilitator.web.capacity import OpenFiles, RoomCapacity, raise_open_files

log = logging.getLogger(__name__)

CONNECT_WITHIN_S = 60.0
"""How long the host may take to start and connect (Python's start on a slow laptop, antivirus
scanning the interpreter on Windows)."""
SECRET_BYTES = 32
OPEN_WITHIN_S = 300.0
"""How long the host may take to open the session (a very large one takes seconds)."""
TURN_S = 0.004
"""How long the TUI applies the host's changes before it lets the rest of its loop run."""
STOP_WITHIN_S = 20.0
"""How long the host may take to write what is queued and close, before it is killed."""


@dataclass(frozen=True, slots=True)
class HostLost:
    """Why the host went without being asked to, for the screen to say in its own language."""

    why: str
    """The whole of it in English: the log, and the calls that fail from now on."""
    followed: bool
    """True: the host's process stopped on its own. False: the screen could no longer follow
    the session, and stopped the host."""
    exit_code: int | None = None
    """The host's exit code when it failed (None: it did not say, or exited 0)."""
    said: str = ""
    """The host's last line on stderr (its log), or what broke the following."""


class HostedServer(Addresses):
    """The participant server in its own process, as the TUI sees it."""

    def __init__(
        self,
        store: SessionStore,
        *,
        host: str | None = None,
        port: int = 8080,
        public_url: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(store, host=host, port=port, public_url=public_url, clock=clock)
        # ``store`` is the session as the app reads it: the store it was given until
        # :meth:`take_over`, the replica after (the same file).
        self.process: asyncio.subprocess.Process | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._calls: Calls | None = None
        self._started: asyncio.Future[None] | None = None
        self._listening: asyncio.Task[None] | None = None
        self._relaying: asyncio.Task[None] | None = None
        self._code_watchers: list[Callable[[], None]] = []
        self._lost_watchers: list[Callable[[HostLost], None]] = []
        self._stopping = False
        self.said: collections.deque[str] = collections.deque(maxlen=20)
        """The host's last lines on stderr (its log), for a message when it fails."""
        self.capacity: RoomCapacity | None = None
        """What the host's open-files limit carries (known once it listens)."""

    async def take_over(self) -> StoreReplica:
        """Close the app's store, open the session in the host process and follow it there.
        Raises :class:`StoreError` when the host cannot open it (the app's store stays closed)."""
        handed = self.store
        if isinstance(handed, StoreReplica):
            return handed
        path = handed.path
        await handed.close()
        reader, self._writer = await self._start_host(path)
        try:
            opened = await asyncio.wait_for(read_frame(reader), OPEN_WITHIN_S)
        except TimeoutError:
            opened = None
        if opened is None or opened[0] != "opened":
            reason = opened[1] if opened is not None and opened[0] == "not opened" else None
            self._writer.close()  # a host still opening stops as soon as it looks
            await self._end()
            raise StoreError(path, reason or self._failure(
                f"{path}: the participant server's process did not open the session"))
        self._calls = Calls(path, self._writer.write)
        try:
            replica = await asyncio.to_thread(StoreReplica.follow, path, self._calls.send)
        except BaseException:
            self._writer.close()  # the host hears the TUI go, closes the session and exits
            await self._end()
            raise
        self.store = replica
        self._started = asyncio.get_running_loop().create_future()
        self._listening = asyncio.create_task(self._listen(reader, replica),
                                              name="session host")
        self._writer.write(frame(("go",)))
        return replica

    async def _start_host(self, path: Path
                          ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Start the host and take its connection: the first to 127.0.0.1's listening port
        that opens with this start's secret. Raises :class:`StoreError` (the host ended) when
        none comes."""
        secret = secrets.token_bytes(SECRET_BYTES)
        loop = asyncio.get_running_loop()
        connected: asyncio.Future[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = \
            loop.create_future()

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
        command = [sys.executable, "-m", "facilitator.web.host", "--connect", str(port),
                   "--session", str(path), "--host", self.host, "--port", str(self.port)]
        if self.public_url:
            command += ["--public-url", self.public_url]
        return command

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
            self._writer.write(frame(("stop",)))
        await self._end()

    def watch_join_url(self, callback: Callable[[], None]) -> Callable[[], None]:
        self._code_watchers.append(callback)
        return lambda: self._code_watchers.remove(callback)

    def watch_lost(self, callback: Callable[[HostLost], None]) -> Callable[[], None]:
        """Call ``callback`` with why, if the host stops without being asked to."""
        self._lost_watchers.append(callback)
        return lambda: self._lost_watchers.remove(callback)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    async def _listen(self, reader: asyncio.StreamReader, replica: StoreReplica) -> None:
        assert self._calls is not None and self._started is not None
        broken: str | None = None
        try:
            await self._follow(reader, replica)
        except Exception as exc:  # the replica cannot follow any more: stop the host cleanly
            log.exception("following the session host failed")
            broken = repr(exc)
            if self._writer is not None:
                self._writer.close()
        if self.process is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.process.wait(), 2.0)
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

    async def _follow(self, reader: asyncio.StreamReader, replica: StoreReplica) -> None:
        """Each message from the host, until it has gone."""
        assert self._calls is not None
        turn = time.perf_counter()
        while (message := await read_frame(reader)) is not None:
            if time.perf_counter() - turn > TURN_S:
                # Frames already received are read without a pause: after a burst of commits,
                # let a key press and a frame of the screen through between them.
                await asyncio.sleep(0)
                turn = time.perf_counter()
            kind = message[0]
            if kind == "changed":
                replica.apply(message[1], committed_at=message[2])
            elif kind == "answer":
                self._calls.answered(*message[1:])
            elif kind == "code":
                for on_code in list(self._code_watchers):
                    on_code()
            elif kind == "ready":
                self.port = message[1]
                self.capacity = RoomCapacity.of(OpenFiles(*message[2]))
                self._started_with(None)
            elif kind == "failed":
                self._started_with(OSError(message[1], message[2]))
            elif kind == "no server":
                self._started_with(ImportError(message[1]))

    def _started_with(self, error: Exception | None) -> None:
        """The server listens (``error`` None), or could not start; told once."""
        assert self._started is not None
        if self._started.done():
            return
        if error is None:
            self._started.set_result(None)
        else:
            self._started.set_exception(error)

    async def _relay(self, stream: asyncio.StreamReader) -> None:
        """The host's log lines, into this process's log."""
        while line := await stream.readline():
            text = line.decode(errors="replace").rstrip()
            self.said.append(text)
            log.warning("session host: %s", text)

    def _failure(self, what: str) -> str:
        code, last = self._exit_code(), self._last_said()
        detail = f" (exit code {code})" if code is not None else ""
        return f"{what}{detail}{': ' + last if last else ''}"

    def _exit_code(self) -> int | None:
        code = self.process.returncode if self.process is not None else None
        return code or None

    def _last_said(self) -> str:
        return next((line for line in reversed(self.said) if line.strip()), "")

    async def _end(self) -> None:
        process = self.process
        if process is not None and process.returncode is None:
            try:
                await asyncio.wait_for(process.wait(), STOP_WITHIN_S)
            except TimeoutError:
                log.error("the session host did not stop in %.0f s: killed", STOP_WITHIN_S)
                process.kill()
                await process.wait()
        for task in (self._listening, self._relaying):
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._writer is not None:
            self._writer.close()


# -- the host process ----------------------------------------------------------------------------


async def host(connect: int, secret: bytes, path: Path, *, host: str, port: int,
               public_url: str | None) -> int:
    """Hold the session and serve its phones until the TUI says stop or goes away."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", connect)
    except OSError as exc:
        log.error("cannot reach the TUI on 127.0.0.1:%d (%s)", connect, exc.strerror or exc)
        return 2
    writer.write(secret)
    try:
        store = SessionStore.open(path)
    except StoreError as exc:
        writer.write(frame(("not opened", str(exc))))
        await writer.drain()
        return 2

    def send(message: tuple[Any, ...]) -> None:
        if not writer.is_closing():
            writer.write(frame(message))

    server: Any = None
    answering: set[asyncio.Task[None]] = set()
    stop = asyncio.Event()
    on_signals((signal.SIGTERM,), stop.set)  # `kill`; a closed connection says the rest

    async def answer(number: int, name: str, args: tuple[Any, ...],
                     kwargs: dict[str, Any]) -> None:
        try:
            if name not in WRITES:
                raise ValueError(f"not a change a session makes: {name!r}")
            result = await getattr(store, name)(*args, **kwargs)
        except Exception as exc:  # the caller hears of it, as from a store of its own
            send(("answer", number, False, error_message(exc)))
        else:
            send(("answer", number, True, outgoing(result)))

    async def listen() -> None:
        while (message := await read_frame(reader)) is not None:
            if message[0] == "stop":
                break
            if message[0] == "call":
                task = asyncio.create_task(answer(*message[1:]))
                answering.add(task)
                task.add_done_callback(answering.discard)
        stop.set()

    try:
        # What opening filled in (a file from before the session secret was kept gets one)
        # is written first, so that the file the TUI reads next says the same.
        await store.update_session()
        store.subscribe(lambda changes: send(
            ("changed", changed_documents(store, changes), time.monotonic())))
        send(("opened",))
        go = asyncio.ensure_future(read_frame(reader))
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait((go, stopped), return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if not go.done() or go.result() != ("go",):
            go.cancel()
            return 0  # the TUI went away, or a signal came, before it had read the session
        listening = asyncio.create_task(listen())
        try:
            from facilitator.web.server import ParticipantServer
        except ImportError as exc:
            send(("no server", str(exc)))
        else:
            server = ParticipantServer(store, host=host, port=port, public_url=public_url)
            try:
                await server.start()
            except OSError as exc:
                server = None
                send(("failed", exc.errno, exc.strerror or str(exc)))
            else:
                files = server.capacity.files
                send(("ready", server.port, (files.limit, files.raised_from, files.hard)))
                server.watch_join_url(lambda: send(("code",)))
        await stop.wait()
        listening.cancel()
        if server is not None:
            await server.stop()
        if answering:
            await asyncio.gather(*answering, return_exceptions=True)
        return 0
    finally:
        await store.close()
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m facilitator.web.host",
                                     description="The session host the TUI starts.")
    parser.add_argument("--connect", type=int, required=True, metavar="PORT",
                        help="the TUI's port on 127.0.0.1; the secret comes on standard input")
    parser.add_argument("--session", type=Path, required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--public-url")
    args = parser.parse_args(argv)
    utf8_stdio()  # the TUI reads the host's log as UTF-8
    try:
        secret = bytes.fromhex(sys.stdin.buffer.readline().decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        secret = b""
    if len(secret) != SECRET_BYTES:
        parser.error("standard input must hold the secret the TUI gave")
    # The terminal is the TUI's: its ctrl+c, ctrl+break and hang-up are the TUI's to act on,
    # and the host stops when the TUI tells it or goes.
    for name in ("SIGINT", "SIGBREAK", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    raise_open_files()  # each phone holds a connection: as many as the system allows
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return asyncio.run(host(args.connect, secret, args.session, host=args.host,
                            port=args.port, public_url=args.public_url))


if __name__ == "__main__":
    sys.exit(main())
