"""A session written by another process, followed here: the facilitator's copy of the session
when the participant server and the store run in a process of their own
(:mod:`facilitator.web.host`).

The host sends what each commit changed, as documents, after the commit is on disk; the
replica puts them into the same records, indexes and read model as the store that wrote them
(:meth:`SessionStore._put` is the one way a record enters a store), and tells its subscribers
as the writing store tells its own. Every change the facilitator makes is sent to the host and
made there; its answer comes after the commit's changes, so a caller reads its own change as
soon as it hears back.

The two processes speak in frames: a 4-byte length, then a pickled tuple. Both ends are our own
code on one machine, started by the same user, over a loopback connection the TUI takes only from
the process it started, which proves itself with a one-time secret (:mod:`facilitator.web.host`).
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import pickle
import struct
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from facilitator.collector import freeze_long_lived
from facilitator.core.errors import Reason, Refused
from facilitator.core.model import TABLES, Change, Record
from facilitator.store.files import StoreError, WriteFailed
from facilitator.store.store import Busy, SessionStore

_LENGTH = struct.Struct(">I")

Changed = list[tuple[str, int, dict[str, Any] | None]]
"""What one commit changed: (table, id, the document now, or None when it is gone)."""

WRITES = (
    "join", "add_contribution", "edit_contribution", "withdraw", "cast_ballot", "ballot_items",
    "another_set", "update_contributions", "toggle_flag", "merge", "unmerge", "add_theme",
    "rename_theme", "remove_theme", "update_round", "go_to_round", "set_timer", "add_action",
    "add_note", "set_organiser_link", "set_comoderator_link", "revoke_card",
    "update_session", "edit_action", "remove_action", "edit_line", "remove_note", "set_details",
    "set_tables", "set_invited",
)
"""Every change a store makes (its coroutine methods but ``close``): what a replica sends to
the process that writes the session."""


# -- frames ------------------------------------------------------------------------------------


def frame(message: tuple[Any, ...]) -> bytes:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(body)) + body


async def read_frame(reader: asyncio.StreamReader) -> tuple[Any, ...] | None:
    """The next message, or None when the other process has gone."""
    try:
        head = await reader.readexactly(_LENGTH.size)
        (size,) = _LENGTH.unpack(head)
        message: tuple[Any, ...] = pickle.loads(await reader.readexactly(size))
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    return message


def changed_documents(store: SessionStore, changes: Iterable[Change]) -> Changed:
    """One commit's changes as the host sends them: each record's document as it is now."""
    changed: Changed = []
    for change in changes:
        for doc_id in change.ids:
            record = store.record(change.table, doc_id)
            changed.append((change.table, doc_id, record.to_doc() if record is not None else None))
    return changed


@dataclass(frozen=True, slots=True)
class RecordRef:
    """A record in an answer, named rather than sent: the replica has it already (the commit's
    changes come before the answer)."""

    table: str
    id: int


def outgoing(result: Any) -> Any:
    """An answer as the host sends it: records as :class:`RecordRef`."""
    if isinstance(result, Record):
        return RecordRef(result.TABLE, result.id)
    if isinstance(result, list):
        return [outgoing(item) for item in result]
    return result


_PLAIN: tuple[type[Exception], ...] = (ValueError, TypeError, KeyError, LookupError,
                                      RuntimeError)
"""Errors a change may raise that carry nothing but their sentence (a caller's mistake)."""


def error_message(error: BaseException) -> tuple[str, str, str]:
    """A refusal or a store error as the host sends it: its kind, reason and sentence (the
    exceptions themselves do not all survive pickling: their arguments differ from ``args``)."""
    if isinstance(error, Refused):
        return ("refused", error.reason.value, error.detail)
    if isinstance(error, Busy):
        return ("busy", "", str(error))
    if isinstance(error, WriteFailed):
        return ("write_failed", "", str(error))
    if isinstance(error, StoreError):
        return ("store", "", str(error))
    for kind in _PLAIN:
        if type(error) is kind:  # its one argument, so that it reads the same when raised again
            text = str(error.args[0]) if len(error.args) == 1 else str(error)
            return ("plain", kind.__name__, text)
    return ("other", type(error).__name__, str(error))


def raised(path: Path, kind: str, reason: str, text: str) -> Exception:
    """The exception the facilitator's code would have caught from a store of its own."""
    if kind == "refused":
        return Refused(Reason(reason), text)
    if kind == "busy":
        return Busy(path, text)
    if kind == "write_failed":
        return WriteFailed(path, text)
    if kind == "store":
        return StoreError(path, text)
    if kind == "plain":
        plain = {cls.__name__: cls for cls in _PLAIN}[reason]
        return plain(text)
    return RuntimeError(f"{reason}: {text}")


# -- the replica -------------------------------------------------------------------------------


Send = Callable[[str, tuple[Any, ...], dict[str, Any]], "asyncio.Future[Any]"]
"""Ask the host to make a change: the method's name and arguments; the future holds the
answer as the host sent it."""


class StoreReplica(SessionStore):
    """The session as the host process has written it, kept up to date by :meth:`apply`.

    Reads are the store's own (the records, the indexes, the live read model); changes go to
    the host through ``send`` (see :data:`WRITES`). Open with :meth:`follow` once the host
    holds the session and before it takes any change, so that the file and the changes sent
    afterwards together are every commit.
    """

    send: Send | None = None
    committed_at: float | None = None
    """When the host made the commit applied last (``time.monotonic``, one clock for every
    process on the machine): the room benchmark times from the commit, not from its arrival."""

    @classmethod
    def follow(cls, path: Path, send: Send) -> StoreReplica:
        replica = cls.open(path, read_only=True)
        assert isinstance(replica, StoreReplica)
        replica.send = send
        freeze_long_lived()  # it lives as long as the session runs, as the host's store does
        return replica

    def apply(self, changed: Changed, *, committed_at: float | None = None) -> None:
        """Bring the records in line with one commit of the host, then tell the subscribers."""
        self.committed_at = committed_at
        touched: dict[tuple[str, int], Record | None] = {}
        for table, doc_id, doc in changed:
            old = self._records[table].get(doc_id)
            touched[(table, doc_id)] = old
            if doc is not None:
                self._put(TABLES[table].from_doc(doc_id, doc))
            elif old is not None:
                self._unindex(old)
        if touched:
            self._publish(touched)

    def resolve(self, answer: Any) -> Any:
        """An answer from the host with its records as this replica holds them."""
        if isinstance(answer, RecordRef):
            return self._records[answer.table][answer.id]
        if isinstance(answer, list):
            return [self.resolve(item) for item in answer]
        return answer

    async def _remote(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if self.send is None or self.closed:
            raise StoreError(self.path, f"{self.path}: the session is closed")
        answer = await self.send(name, args, kwargs)
        return self.resolve(answer)


def _forwarding(name: str) -> Callable[..., Coroutine[Any, Any, Any]]:
    async def forward(self: StoreReplica, *args: Any, **kwargs: Any) -> Any:
        return await self._remote(name, *args, **kwargs)

    original = getattr(SessionStore, name)
    forward.__name__ = name
    forward.__doc__ = original.__doc__
    return forward


for _name in WRITES:
    setattr(StoreReplica, _name, _forwarding(_name))


def store_writes() -> Iterable[str]:
    """Every coroutine method of :class:`SessionStore` but ``close`` (a test holds
    :data:`WRITES` to it, so that no new change is forgotten here)."""
    for name, _method in inspect.getmembers(SessionStore, inspect.iscoroutinefunction):
        if not name.startswith("_") and name != "close":
            yield name


class Calls:
    """The replica's side of the calls in flight: a number for each, its answer when it comes."""

    def __init__(self, path: Path, write: Callable[[bytes], None]) -> None:
        self.path = path
        self._write = write
        self._numbers = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self.gone: str | None = None
        """Why the host no longer answers (None while it does)."""

    def send(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
             ) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self.gone is not None:
            future.set_exception(StoreError(self.path, self.gone))
            return future
        number = next(self._numbers)
        self._waiting[number] = future
        self._write(frame(("call", number, name, args, kwargs)))
        return future

    def answered(self, number: int, ok: bool, answer: Any) -> None:
        future = self._waiting.pop(number, None)
        if future is None or future.done():
            return
        if ok:
            future.set_result(answer)
        else:
            future.set_exception(raised(self.path, *answer))

    def lost(self, why: str) -> None:
        """The host has gone: every call still waiting fails with ``why``, and so do later ones."""
        self.gone = why
        waiting, self._waiting = self._waiting, {}
        for future in waiting.values():
            if not future.done():
                future.set_exception(StoreError(self.path, why))
