"""The host's side: hold the session, serve its phones, make the facilitator's changes and
send every commit to the screen (:func:`serve_session`); and the host process that
``facilitator run`` starts (:func:`main`, ``python -m facilitator.host``).

The host stops when told (:class:`~facilitator.host.frames.Stop`, the normal way), on SIGTERM
where there is one, or when the screen's end of the connection closes, which every system does
when a process ends, however it ended. It stops serving, writes what is queued and closes the
session, so a TUI that crashes or is killed leaves no writer behind and no acknowledged input
lost. The terminal's own signals (ctrl+c, ctrl+break, a closed terminal) are the TUI's: the
host process ignores them and follows the TUI.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path
from typing import Any

from facilitator.host.copy import WRITES
from facilitator.host.frames import (
    Answer,
    Call,
    Changed,
    CodeChanged,
    Frame,
    Go,
    Listening,
    NoServer,
    NotListening,
    NotOpened,
    Opened,
    Stop,
    encode,
    failure,
    outgoing,
    read,
)
from facilitator.platforms import on_signals, utf8_stdio
from facilitator.session.files import StoreError
from facilitator.session.store import SessionStore
from facilitator.web.capacity import raise_open_files

log = logging.getLogger(__name__)

SECRET_BYTES = 32
"""The one-time secret the host proves itself with (:mod:`facilitator.host.handle`)."""


async def serve_session(store: SessionStore, reader: asyncio.StreamReader,
                        writer: asyncio.StreamWriter, *, bind: str, port: int,
                        public_url: str | None, stop: asyncio.Event | None = None) -> int:
    """Serve ``store`` (open for writing) and its phones on ``bind``:``port`` and follow the
    screen at the other end of ``reader``/``writer`` until it says stop, goes, or ``stop`` is
    set; then close the session. Returns the exit code."""
    stop = stop or asyncio.Event()
    answering: set[asyncio.Task[None]] = set()
    server: Any = None

    def send(message: Frame) -> None:
        if not writer.is_closing():
            writer.write(encode(message))

    async def answer(call: Call) -> None:
        try:
            if call.name not in WRITES:
                raise ValueError(f"not a change a session makes: {call.name!r}")
            result = await getattr(store, call.name)(*call.args, **call.kwargs)
        except Exception as exc:  # the caller hears of it, as from a store of its own
            send(Answer(call.number, failure(exc)))
        else:
            send(Answer(call.number, outgoing(result)))

    async def listen() -> None:
        while (message := await read(reader)) is not None:
            if isinstance(message, Stop):
                break
            if isinstance(message, Call):
                task = asyncio.create_task(answer(message))
                answering.add(task)
                task.add_done_callback(answering.discard)
        stop.set()

    try:
        # What opening filled in (a file from before the session secret was kept gets one)
        # is written first, so that the file the screen reads next says the same.
        await store.update_session()
        store.subscribe_written(lambda written: send(Changed(tuple(written))))
        send(Opened())
        go = asyncio.ensure_future(read(reader))
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait((go, stopped), return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if not go.done() or not isinstance(go.result(), Go):
            go.cancel()
            return 0  # the screen went away, or a signal came, before it had read the session
        listening = asyncio.create_task(listen())
        try:
            from facilitator.web.server import ParticipantServer
        except ImportError as exc:
            send(NoServer(str(exc)))
        else:
            server = ParticipantServer(store, host=bind, port=port, public_url=public_url)
            try:
                await server.start()
            except OSError as exc:
                server = None
                send(NotListening(exc.errno, exc.strerror or str(exc)))
            else:
                files = server.capacity.files
                send(Listening(server.port, (files.limit, files.raised_from, files.hard)))
                server.watch_join_url(lambda: send(CodeChanged()))
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


async def host_process(connect: int, secret: bytes, path: Path, *, bind: str, port: int,
                       public_url: str | None) -> int:
    """The host process: reach the TUI on 127.0.0.1:``connect``, prove itself with
    ``secret``, open the session and serve it."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", connect)
    except OSError as exc:
        log.error("cannot reach the TUI on 127.0.0.1:%d (%s)", connect, exc.strerror or exc)
        return 2
    writer.write(secret)
    try:
        store = SessionStore.open(path)
    except StoreError as exc:
        writer.write(encode(NotOpened(str(exc))))
        await writer.drain()
        return 2
    stop = asyncio.Event()
    on_signals((signal.SIGTERM,), stop.set)  # `kill`; a closed connection says the rest
    return await serve_session(store, reader, writer, bind=bind, port=port,
                               public_url=public_url, stop=stop)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m facilitator.host",
                                     description="The session host the TUI starts.")
    parser.add_argument("--connect", type=int, required=True, metavar="PORT",
                        help="the TUI's port on 127.0.0.1; the secret comes on standard input")
    parser.add_argument("--session", type=Path, required=True)
    parser.add_argument("--bind", required=True, help="the address phones reach")
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
    return asyncio.run(host_process(args.connect, secret, args.session, bind=args.bind,
                                    port=args.port, public_url=args.public_url))
