"""What differs between Windows, macOS and Linux outside the store, in one place: the encoding
of standard output, and the signals that ask a process to stop. (The session file's lock and
flags are the store's: :mod:`facilitator.session.files`.)"""

from __future__ import annotations

import asyncio
import contextlib
import io
import signal
import sys
from collections.abc import Callable


def utf8_stdio() -> None:
    """Write standard output and error as UTF-8 wherever they lead.

    Windows encodes a pipe or a file in the ANSI code page (cp1252 in western Europe), which has
    no Arabic, Farsi or Ukrainian and no arrow: ``facilitator list | more`` crashed on a title
    it could not encode. A console is written in UTF-16 by Python itself and is left alone.
    """
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.encoding.lower().replace("-", "") \
                != "utf8":
            with contextlib.suppress(ValueError):  # a stream that was already written to
                stream.reconfigure(encoding="utf-8", errors=stream.errors)


STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGBREAK")
                     if hasattr(signal, name))
"""What asks a program in a terminal to stop: ctrl+c (SIGINT), ``kill`` (SIGTERM) and, on
Windows, ctrl+break (SIGBREAK)."""


def on_signals(signals: tuple[signal.Signals, ...], callback: Callable[[], None]
               ) -> Callable[[], None]:
    """Call ``callback`` on the running loop when one of ``signals`` arrives; returns the undo.

    POSIX loops take the signal through ``loop.add_signal_handler``; Windows' Proactor loop has
    none, so there a plain ``signal.signal`` handler hands it to the loop (the loop wakes up for
    it: asyncio gives Windows' loop a wake-up socket for signals). Call from the main thread.
    """
    loop = asyncio.get_running_loop()
    if sys.platform != "win32":
        for signum in signals:
            loop.add_signal_handler(signum, callback)

        def remove_handlers() -> None:
            for signum in signals:
                loop.remove_signal_handler(signum)

        return remove_handlers

    before = {signum: signal.getsignal(signum) for signum in signals}
    for signum in signals:
        signal.signal(signum, lambda _signum, _frame: loop.call_soon_threadsafe(callback))

    def restore() -> None:
        for signum, handler in before.items():
            signal.signal(signum, handler)

    return restore
