"""The facilitator's view of a session (which view, the table and group filters, the cursor),
kept between runs so that the session opens again where the facilitator left it.

It lives in a file of the TUI's own beside the session
(:func:`facilitator.session.files.view_path`), never in the session document: saving it is no
commit, so no phone, wall or organiser's summary hears of a cursor move.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.message_pump import MessagePump
from textual.timer import Timer

from facilitator.session.documents import checked_view_state
from facilitator.session.files import read_sidecar, view_path, write_sidecar
from facilitator.session.store import SessionStore
from facilitator.tui.desk import Desk

SAVE_VIEW_AFTER_S = 3.0
"""The view is saved this long after it last moved (and always on exit, by the app)."""


def saved_view(store: SessionStore) -> dict[str, Any]:
    """The view as the facilitator left it: the view file's, else what a session from before
    the view file kept in its document, else none."""
    raw = read_sidecar(view_path(store.path))
    checked = checked_view_state(raw) if raw is not None else None
    return checked if checked is not None else dict(store.info.view_state)


def save_view(session_path: Path, state: dict[str, Any]) -> None:
    """Write the view file (fsynced: run it in a thread)."""
    write_sidecar(view_path(session_path), state)


class ViewSaver:
    """Saves the view once it has stood still for :data:`SAVE_VIEW_AFTER_S`. A key held down
    moves the cursor many times a second: each move only notes the time, and the one timer
    waits on until the moves stop."""

    def __init__(self, owner: MessagePump, desk: Desk,
                 view_state: Callable[[], dict[str, Any]]) -> None:
        self._owner = owner
        self._desk = desk
        self._view_state = view_state
        self._timer: Timer | None = None
        self._moved_at = 0.0

    def soon(self) -> None:
        self._desk.last_view_state = self._view_state()  # saved on exit at the latest
        self._moved_at = time.monotonic()
        if self._timer is None:
            self._timer = self._owner.set_timer(SAVE_VIEW_AFTER_S, self._save)

    def _save(self) -> None:
        still_for = time.monotonic() - self._moved_at
        if still_for < SAVE_VIEW_AFTER_S:
            self._timer = self._owner.set_timer(SAVE_VIEW_AFTER_S - still_for, self._save)
            return
        self._timer = None
        self._desk.save_view(self._view_state())
