"""The records one group commit writes (the :class:`~facilitator.store.writer.Work` of a
session): every change is made here, in memory at once, with an undo log to take back a refused
change or the whole group, and each record's document encoded once for the disk."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

import orjson

from facilitator.core.model import Record
from facilitator.store.journal import SessionFile
from facilitator.store.state import SessionState

R = TypeVar("R", bound=Record)
T = TypeVar("T")

Key = tuple[str, int]
"""A record's table and id."""


class Batch:
    """The records one commit writes, with an undo log to take back a refused change or all."""

    __slots__ = ("_encoded", "log", "session")

    def __init__(self, session: SessionState) -> None:
        self.session = session
        self.log: list[tuple[Key, Record | None]] = []
        """Each record changed, in order, with what it was before (None: inserted)."""
        self._encoded: dict[Key, tuple[Record, bytes]] = {}
        """A record's version as sealed, with its document encoded: what is staged if it is
        still the version the session holds when the batch is written."""

    def insert(self, record: R) -> R:
        record.id = self.session._new_id(record.TABLE)
        self.log.append(((record.TABLE, record.id), None))
        self.session._put(record)
        return record

    def update(self, record: R, **fields: Any) -> R:
        self.log.append(((record.TABLE, record.id), record))
        new = dataclasses.replace(record, **fields)
        self.session._put(new)
        return new

    # -- the writer's unit of work ---------------------------------------------------------

    def mark(self) -> int:
        return len(self.log)

    def undo(self, to: int = 0) -> None:
        """Restore the records as they were when the log was ``to`` entries long."""
        records = self.session._records
        while len(self.log) > to:
            (table, doc_id), prior = self.log.pop()
            current = records[table].get(doc_id)
            if prior is not None:
                self.session._put(prior)
            elif current is not None:
                self.session._unindex(current)

    def seal(self, since: int) -> None:
        """Encode the records changed since the log was ``since`` long; raises (refusing that
        change) for a record that cannot be written."""
        records = self.session._records
        for key, _ in self.log[since:]:
            record = records[key[0]].get(key[1])
            sealed = self._encoded.get(key)
            if record is not None and (sealed is None or sealed[0] is not record):
                self._encoded[key] = (record, orjson.dumps(record.to_doc()))

    # -- after the changes -----------------------------------------------------------------

    def touched(self) -> dict[Key, Record | None]:
        """Each record the batch changed, with what it was before (None: inserted)."""
        first: dict[Key, Record | None] = {}
        for key, prior in self.log:
            first.setdefault(key, prior)
        return first

    def stage(self, file: SessionFile, keys: dict[Key, Record | None]) -> None:
        """Hand the records' current documents to the session file for the next commit: the
        bytes sealed for them when they are still those versions, else encoded now."""
        records = self.session._records
        for key in keys:
            record = records[key[0]].get(key[1])
            if record is None:
                file.stage(key[0], key[1], None)
                continue
            sealed = self._encoded.get(key)
            if sealed is not None and sealed[0] is record:
                file.stage_encoded(key[0], key[1], sealed[1])
            else:
                file.stage(key[0], key[1], record.to_doc())


Step = Callable[[Batch], T]
"""A change as its rule made it ready: run by the writer inside a group commit, on the batch."""
