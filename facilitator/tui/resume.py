"""How to go on with a session after quitting: the command, as the facilitator started the app.

The README's install does not activate the venv, so ``facilitator`` is often not on PATH: the
command then names the program the app was started from (``.venv/bin/facilitator``, or
``python -m facilitator``), and repeats the options that say where the phone page listens.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from facilitator.session.library import Library
from facilitator.session.store import SessionStore
from facilitator.tui.i18n import _

DEFAULT_PORT = 8080
"""``facilitator run``'s port when none is given (``facilitator.cli.DEFAULT_PORT``)."""


def program(argv0: str | None = None, python: str | None = None) -> list[str]:
    """The words that start this program again from any folder: ``facilitator`` where that
    name on PATH is this program, else its path, or ``python -m facilitator`` with this
    Python when it was started that way."""
    argv0 = sys.argv[0] if argv0 is None else argv0
    started = Path(argv0)
    if started.name == "__main__.py" and started.parent.name == "facilitator":
        return [python or sys.executable, "-m", "facilitator"]
    if not started.stem.startswith("facilitator") or not started.exists():
        return ["facilitator"]  # not started as the program (a test, an embedding)
    on_path = shutil.which("facilitator")
    if on_path is not None and Path(on_path).resolve() == started.resolve():
        return ["facilitator"]
    return [str(started.absolute())]


@dataclass(frozen=True, slots=True)
class Start:
    """How this app was started: the program, and the options of the phone page."""

    program: tuple[str, ...] = ("facilitator",)
    host: str | None = None
    port: int = DEFAULT_PORT
    public_url: str | None = None

    @classmethod
    def here(cls, host: str | None, port: int, public_url: str | None) -> Start:
        return cls(tuple(program()), host, port, public_url)

    def options(self) -> list[str]:
        words = []
        if self.host:
            words += ["--host", self.host]
        if self.port != DEFAULT_PORT:
            words += ["--port", str(self.port)]
        if self.public_url:
            words += ["--public-url", self.public_url]
        return words


AS_INSTALLED = Start()
"""``facilitator`` on PATH, the phone page's options left to their defaults."""


def resume_command(library: Library, store: SessionStore, start: Start) -> str:
    """The command that opens ``store`` again, as a shell reads it."""
    from facilitator.paths import data_dir

    words: list[str] = list(start.program)
    if store.path == library.path_for(store.session_id):
        if library.data_dir != data_dir():
            words += ["--data-dir", str(library.data_dir)]
        words += ["run", store.session_id]
    else:
        words += ["run", str(store.path)]
    return shell_line([*words, *start.options()])


def where_to_resume(library: Library, store: SessionStore, start: Start = AS_INSTALLED) -> str:
    """What the terminal says once the app has gone: where the session is, and the command
    that opens it again (in the TUI's language)."""
    return "\n".join([
        _("The session is saved in {path}").format(path=store.path),
        _("To go on with it: {command}").format(
            command=resume_command(library, store, start))])


def shell_line(words: Sequence[str]) -> str:
    """``words`` as a shell (sh, cmd or PowerShell) reads them: a word with spaces or signs
    in double quotes."""
    return " ".join(f'"{word}"' if not word or any(
        char.isspace() or char in "'\"$`&;|<>()" for char in word) else word for word in words)
