"""The records one group commit writes (the :class:`~facilitator.session.writer.Work` of a
session): every change is made here, in memory at once, with an undo log to take back a refused
change or the whole group, and each record's document encoded once for the disk."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

import orjson

from facilitator.core.model import Record
from facilitator.session.journal import SessionFile
from facilitator.session.state import SessionState

R = TypeVar("R", bound=Record)
T = TypeVar("T")

Key = tuple[str, int]
"""A record's table and id."""
Written = tuple[str, int, bytes | None]
"""One record a commit wrote: its table, its id, its document as JSON (None: it is gone)."""


class Batch:
    """The records one commit writes, with an undo log to take back a refused change or all."""

    __slots__ = ("_encoded", "_sealed", "log", "session", "staged", "written")

    def __init__(self, session: SessionState) -> None:
        self.session = session
        self.log: list[tuple[Key, Record | None]] = []
        """Each record changed, in order, with what it was before (None: inserted)."""
        self._sealed: dict[Key, Record] = {}
        self._encoded: dict[Key, bytes] = {}
        """The version of a record last sealed, and its document encoded: what is staged if
        it is still the version the session holds when the batch is written."""
        self.written: dict[Key, Record | None] = {}
        """What :meth:`touched` said when the batch was staged for writing."""
        self.staged: list[Written] = []
        """What :meth:`stage` handed the file when the batch was written."""

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
        records, log = self.session._records, self.log
        for at in range(since, len(log)):
            key = log[at][0]
            record = records[key[0]].get(key[1])
            if record is not None and self._sealed.get(key) is not record:
                self._encoded[key] = orjson.dumps(record.to_doc())
                self._sealed[key] = record

    # -- after the changes -----------------------------------------------------------------

    def touched(self) -> dict[Key, Record | None]:
        """Each record the batch changed, with what it was before (None: inserted)."""
        first: dict[Key, Record | None] = {}
        for key, prior in self.log:
            first.setdefault(key, prior)
        return first

    def stage(self, file: SessionFile, keys: dict[Key, Record | None]) -> list[Written]:
        """Hand the records' current documents to the session file for the next commit: the
        bytes sealed for them when they are still those versions, else encoded now. Returns
        what was staged, those same bytes (for a copy of the session elsewhere)."""
        records = self.session._records
        staged: list[Written] = []
        for key in keys:
            record = records[key[0]].get(key[1])
            if record is None:
                file.stage(key[0], key[1], None)
                staged.append((key[0], key[1], None))
                continue
            if self._sealed.get(key) is record:
                body = self._encoded[key]
            else:
                body = orjson.dumps(record.to_doc())
            file.stage_encoded(key[0], key[1], body)
            staged.append((key[0], key[1], body))
        return staged


Step = Callable[[Batch], T]
"""A change as its rule made it ready: run by the writer inside a group commit, on the batch."""
