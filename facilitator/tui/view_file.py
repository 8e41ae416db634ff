"""The facilitator's view of a session, kept between runs: which view, the table and group
filters, the cursor. It lives in a file of the TUI's own beside the session
(:func:`facilitator.store.files.view_path`), never in the session document: saving it is no
commit, so no phone, wall or organiser's summary hears of a cursor move."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from facilitator.store.documents import checked_view_state
from facilitator.store.files import read_sidecar, view_path, write_sidecar
from facilitator.store.store import SessionStore


def saved_view(store: SessionStore) -> dict[str, Any]:
    """The view as the facilitator left it: the view file's, else what a session from before
    the view file kept in its document, else none."""
    raw = read_sidecar(view_path(store.path))
    checked = checked_view_state(raw) if raw is not None else None
    return checked if checked is not None else dict(store.info.view_state)


def save_view(session_path: Path, state: dict[str, Any]) -> None:
    """Write the view file (fsynced: run it in a thread)."""
    write_sidecar(view_path(session_path), state)
