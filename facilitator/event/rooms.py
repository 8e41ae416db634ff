"""The rooms of an event, opened read-only for ``facilitator event report``.

A room is named as any session is (its id, the start of its id, the path of its file) or by
the path of a file made with ``facilitator export``, which is read without being imported.
Every problem names the file: one that does not exist, one that is damaged, two that hold the
same session. Nothing is written where the rooms' files are.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from facilitator.session.files import SessionCorrupt, StoreError
from facilitator.session.library import Library, is_export, open_export
from facilitator.session.store import SessionStore


class RoomError(ValueError):
    """A room that cannot be read; the message names the file (the CLI exits 2)."""


@dataclass(slots=True)
class Room:
    given: str
    """As the organiser named it."""
    file: Path
    """The session file or export that was read."""
    store: SessionStore
    """Open read-only: the room may still be running on its own laptop."""


def _file_of(ref: str, library: Library) -> Path:
    candidate = Path(ref)
    if candidate.is_file():
        return candidate
    if candidate.exists():
        raise RoomError(f"{ref}: not a file; give a session file, an export or a session id")
    if os.sep in ref or candidate.suffix == ".json":
        raise RoomError(f"{ref}: no such file")
    return library.resolve(ref)


@contextlib.contextmanager
def opened_rooms(refs: Sequence[str], library: Library) -> Iterator[list[Room]]:
    """Every room, open read-only, in the order given; refused as a whole when one of them
    cannot be read or holds a session another one holds too."""
    if not refs:
        raise RoomError("no rooms: give the session files (or ids) of the event's rooms")
    with tempfile.TemporaryDirectory(prefix="facilitator-event-") as scratch:
        rooms: list[Room] = []
        seen: dict[str, Room] = {}
        for ref in refs:
            file = _file_of(ref, library)
            try:
                store = (open_export(file, Path(scratch)) if is_export(file)
                         else SessionStore.open(file, read_only=True))
            except SessionCorrupt:
                raise
            except StoreError as exc:
                raise RoomError(str(exc)) from None
            room = Room(ref, file, store)
            first = seen.get(store.session_id)
            if first is not None:
                raise RoomError(
                    f"{file}: the same session as {first.file} ({store.session_id}); "
                    "give each room once")
            seen[store.session_id] = room
            rooms.append(room)
        yield rooms
