"""The session screen's view (which view, the filters, the cursor) kept in the session, so
that it opens again where the facilitator left it."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from textual.message_pump import MessagePump
from textual.timer import Timer

from facilitator.store.store import SessionStore
from facilitator.tui.desk import Desk

SAVE_VIEW_AFTER_S = 3.0
"""The view is saved this long after it last moved (and always on exit, by the app)."""


class ViewSaver:
    """Saves the view once it has stood still for :data:`SAVE_VIEW_AFTER_S`. A key held down
    moves the cursor many times a second: each move only notes the time, and the one timer
    waits on until the moves stop."""

    def __init__(self, owner: MessagePump, store: SessionStore, desk: Desk,
                 view_state: Callable[[], dict[str, Any]],
                 write: Callable[[Awaitable[Any]], None]) -> None:
        self._owner = owner
        self._store = store
        self._desk = desk
        self._view_state = view_state
        self._write = write
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
        state = self._view_state()
        if state != self._store.info.view_state:
            self._write(self._store.update_session(view_state=state))
