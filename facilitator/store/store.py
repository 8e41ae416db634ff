"""The session store: the only module that touches TinyDB.

Reads come from in-memory records and indexes. Every change is a small function queued with
:meth:`SessionStore._submit`; one commit task takes everything queued, applies it in order (so a
change sees the ones before it: a second ballot from the same phone is checked against the first),
writes the touched TinyDB tables once, serialises the document and writes it with temp file +
fsync + ``os.replace`` + directory fsync in a worker thread. Only then do the callers' futures
resolve (group commit) and subscribers hear what changed. If the write fails, the batch is rolled
back in memory and every caller gets :class:`WriteFailed`: nothing unacknowledged stays behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import orjson
from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from facilitator.collector import freeze_long_lived
from facilitator.core.errors import Reason, Refused
from facilitator.core.model import (
    SCHEMA_VERSION,
    TABLES,
    Action,
    Change,
    Contribution,
    Flag,
    Note,
    Participant,
    Record,
    RoundState,
    SessionInfo,
    Source,
    Theme,
    Vote,
)
from facilitator.core.templates import RoundSpec, Template, TemplateError, parse_template
from facilitator.core.text import MAX_NAME_CHARS, TextProblem, check_text, clean_text
from facilitator.core.voting import check_ballot
from facilitator.store.documents import checked_session
from facilitator.store.files import (
    SessionCorrupt,
    SessionLock,
    WriteFailed,
    read_session_file,
    real_session_path,
    write_atomic,
)

log = logging.getLogger(__name__)

R = TypeVar("R", bound=Record)
T = TypeVar("T")

Subscriber = Callable[[tuple[Change, ...]], None]

_SAID_ON_JOINING = ("lang", "stakeholder", "name", "consent_named", "table_group")
ENCODE_BLOCK = 256
"""Documents per block of encoded bytes (see :meth:`SessionStore._serialise`)."""
BACKUP_EVERY_S = 10.0
"""How often a commit first turns the current file into the ``.bak`` copy."""


class _MemoryStorage(Storage):
    """TinyDB storage over a dict in memory; the store writes it to disk by group commit."""

    def __init__(self, data: dict[str, dict[str, Any]]) -> None:
        self.data = data

    def read(self) -> dict[str, dict[str, Any]]:
        return self.data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self.data = data


class _BatchTable(Table):
    """A TinyDB table that takes a whole batch of documents at once.

    Stock ``Table._update_table`` rebuilds the whole table (two dict comprehensions over every
    document) for each change, even in memory; with thousands of contributions that alone stalls
    the event loop. Since :class:`_MemoryStorage` hands out its live dict, a batch can be set in
    place: the cost follows the size of the batch, not of the session.
    """

    def put(self, docs: Mapping[int, dict[str, Any] | None]) -> None:
        """Set (or, for None, remove) many documents in one table update."""
        tables = self._storage.read()
        assert tables is not None, "_MemoryStorage always holds a document"
        table = tables.setdefault(self.name, {})
        for doc_id, doc in docs.items():
            if doc is None:
                table.pop(str(doc_id), None)
            else:
                table[str(doc_id)] = doc
        self.clear_cache()


class _SessionDB(TinyDB):
    table_class = _BatchTable


@dataclass(slots=True)
class _Pending:
    change: Callable[[_Batch], Any]
    future: asyncio.Future[Any]


@dataclass(slots=True)
class _Batch:
    """The records one commit writes, with an undo log to take back a refused change or all."""

    store: SessionStore
    log: list[tuple[tuple[str, int], Record | None]] = field(default_factory=list)

    def insert(self, record: R) -> R:
        record.id = self.store._new_id(record.TABLE)
        self.log.append(((record.TABLE, record.id), None))
        self.store._put(record)
        return record

    def update(self, record: R, **fields: Any) -> R:
        self.log.append(((record.TABLE, record.id), record))
        new = dataclasses.replace(record, **fields)
        self.store._put(new)
        return new

    def undo(self, to: int = 0) -> None:
        """Restore the records as they were when the log was ``to`` entries long."""
        while len(self.log) > to:
            (table, doc_id), prior = self.log.pop()
            current = self.store._records[table].get(doc_id)
            if prior is not None:
                self.store._put(prior)
            elif current is not None:
                self.store._unindex(current)

    def touched(self) -> dict[tuple[str, int], Record | None]:
        """Each record the batch changed, with what it was before (None: inserted)."""
        first: dict[tuple[str, int], Record | None] = {}
        for key, prior in self.log:
            first.setdefault(key, prior)
        return first


class SessionStore:
    """One open session. Create with :meth:`create` or :meth:`open`; :meth:`close` when done."""

    def __init__(
        self, path: Path, data: dict[str, dict[str, Any]], lock: SessionLock | None
    ) -> None:
        self.path = path
        self._lock = lock
        self.read_only = lock is None
        self._db = _SessionDB(storage=_MemoryStorage, data=data)
        self._records: dict[str, dict[int, Record]] = {name: {} for name in TABLES}
        self._by_round: dict[str, dict[int, Contribution]] = {}
        self._by_device: dict[str, Participant] = {}
        self._ballots: dict[tuple[str, str], dict[int, Vote]] = {}
        self._round_states: dict[str, RoundState] = {}
        self._last_id: dict[str, int] = {}
        for name, cls in TABLES.items():
            for doc_id, doc in data.get(name, {}).items():
                self._put(cls.from_doc(int(doc_id), doc))
        self.info: SessionInfo = next(iter(self._records["session"].values()))  # type: ignore[assignment]
        self.template: Template = parse_template(self.info.template, path)
        self._encoded: dict[str, dict[int, dict[int, bytes]]] = {name: {} for name in data}
        self._block_bytes: dict[tuple[str, int], bytes] = {}
        for name, docs in data.items():
            for key, doc in docs.items():
                self._encode(name, int(key), doc)
        self._queue: list[_Pending] = []
        self._wake = asyncio.Event()
        self._committer: asyncio.Task[None] | None = None
        self._subscribers: list[Subscriber] = []
        self._last_backup = 0.0
        self._closed = False
        self.persist = True
        """False only in the ingest benchmark's upper-bound run: commits skip the disk."""

    # -- opening and closing -------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: Path,
        template: Template,
        *,
        session_id: str,
        title: str,
        lang: str,
        join_token: str,
        place: str = "",
    ) -> SessionStore:
        """Write a new session file (durably) and open it."""
        path = real_session_path(path)
        now = time.time()
        info = SessionInfo(
            id=1,
            session_id=session_id,
            title=title,
            lang=lang,
            template_id=template.id,
            template=template.model_dump(mode="json"),
            join_token=join_token,
            created=now,
            place=place,
            secret=secrets.token_urlsafe(32),
        )
        data: dict[str, dict[str, Any]] = {name: {} for name in TABLES}
        data["session"]["1"] = info.to_doc()
        for index, spec in enumerate(template.rounds, start=1):
            state = RoundState(round_id=spec.id, duration_s=spec.minutes * 60.0)
            data["rounds"][str(index)] = state.to_doc()
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = SessionLock(path)
        lock.acquire(path)
        try:
            if path.exists():
                raise FileExistsError(path)
            write_atomic(path, orjson.dumps(data))
        except BaseException:
            lock.release()
            raise
        return cls(path, data, lock)

    @classmethod
    def open(cls, path: Path, *, read_only: bool = False) -> SessionStore:
        """Open an existing session file; refuse a locked or damaged one without touching it.

        ``read_only`` takes no lock (the file is always a complete document, so a report can be
        made while the session runs elsewhere) and refuses every change.
        """
        path = real_session_path(path)
        lock = None if read_only else SessionLock(path)
        if lock is not None:
            lock.acquire(path)
        try:
            data = read_session_file(path)
            version = int(next(iter(data["session"].values())).get("schema_version", 0))  # type: ignore[call-overload]
            store = cls(path, checked_session(path, migrate(path, data, version)), lock)
        except (
            KeyError,
            TypeError,
            ValueError,
            AttributeError,
            StopIteration,
            TemplateError,
        ) as exc:
            if lock is not None:
                lock.release()
            raise SessionCorrupt(path, f"unexpected content: {exc!r}") from None
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        if not read_only:
            # The session being run lives as long as the process. Freezing it keeps the
            # collector's full passes from walking every record in the middle of a request
            # (17 ms at 5,000 contributions). A read-only open (a report) is short-lived.
            freeze_long_lived()
        return store

    async def close(self) -> None:
        """Write what is queued, stop the commit task and release the lock."""
        if self._closed:
            return
        self._closed = True
        if self._committer is not None:
            self._wake.set()
            await self._committer
        if self._lock is not None:
            self._lock.release()

    # -- the commit task -----------------------------------------------------------------------

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber`` with what changed after every commit. Returns the unsubscribe."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    def _submit(self, change: Callable[[_Batch], T]) -> asyncio.Future[T]:
        if self._closed or self.read_only:
            raise RuntimeError(f"{self.path}: the session is closed or open read-only")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.append(_Pending(change, future))
        if self._committer is None:
            self._committer = loop.create_task(self._commit_loop(), name="session-commit")
        self._wake.set()
        return future

    async def _commit_loop(self) -> None:
        while True:
            if not self._queue:
                if self._closed:
                    return
                await self._wake.wait()
                self._wake.clear()
                continue
            batch, self._queue = self._queue, []
            await self._commit(batch)
            await asyncio.sleep(0)  # let the woken callers run before the next batch

    async def _commit(self, pending: list[_Pending]) -> None:
        batch = _Batch(self)
        results: list[tuple[_Pending, Any]] = []
        for item in pending:
            mark = len(batch.log)
            try:
                result = item.change(batch)
                for (table, doc_id), _ in batch.log[mark:]:
                    record = self._records[table].get(doc_id)
                    if record is not None:
                        orjson.dumps(record.to_doc())  # refuse what cannot be written
                results.append((item, result))
            except Exception as exc:  # a refused change: undo its partial effects, keep the rest
                batch.undo(mark)
                if not item.future.cancelled():
                    item.future.set_exception(exc)
        touched = batch.touched()
        if not touched:
            for item, result in results:
                if not item.future.cancelled():
                    item.future.set_result(result)
            return
        self._write_tables(touched)
        try:
            if self.persist:
                data = self._serialise()
                backup = time.monotonic() - self._last_backup > BACKUP_EVERY_S
                await asyncio.to_thread(write_atomic, self.path, data, keep_backup=backup)
                if backup:
                    self._last_backup = time.monotonic()
        except OSError as exc:
            log.error("could not write %s: %s", self.path, exc)
            batch.undo()
            self._write_tables(touched)
            error = WriteFailed(self.path, f"{self.path}: could not write ({exc.strerror})")
            for item, _ in results:
                if not item.future.cancelled():
                    item.future.set_exception(error)
            return
        for item, result in results:
            if not item.future.cancelled():
                item.future.set_result(result)
        self._publish(touched)

    def _write_tables(self, keys: Iterable[tuple[str, int]]) -> None:
        """Bring TinyDB's tables (and their encoded form) in line with the records: one table
        update per table."""
        per_table: dict[str, dict[int, dict[str, Any] | None]] = {}
        for table, doc_id in keys:
            record = self._records[table].get(doc_id)
            per_table.setdefault(table, {})[doc_id] = record.to_doc() if record else None
        for table, docs in per_table.items():
            self._db.table(table).put(docs)  # type: ignore[attr-defined]
            for doc_id, doc in docs.items():
                self._encode(table, doc_id, doc)

    def _encode(self, table: str, doc_id: int, doc: dict[str, Any] | None) -> None:
        """Keep the document's JSON bytes, in blocks of ids, for :meth:`_serialise`."""
        block = self._encoded.setdefault(table, {}).setdefault(doc_id // ENCODE_BLOCK, {})
        if doc is None:
            block.pop(doc_id, None)
        else:
            block[doc_id] = orjson.dumps(str(doc_id)) + b":" + orjson.dumps(doc)
        self._block_bytes.pop((table, doc_id // ENCODE_BLOCK), None)

    def _serialise(self) -> list[bytes]:
        """The TinyDB JSON document as a list of chunks to write one after the other.

        Each document is encoded once when it changes, and each block of ids is joined once
        when one of its documents changes, so a commit costs what it touched, not the size of
        the session. The chunks go to the writer thread as they are: no copy of the whole file
        is made on the event loop.
        """
        chunks = [b"{"]
        for t, (table, blocks) in enumerate(self._encoded.items()):
            chunks.append((b"," if t else b"") + orjson.dumps(table) + b":{")
            first = True
            for number in sorted(blocks):
                if not blocks[number]:
                    continue
                body = self._block_bytes.get((table, number))
                if body is None:
                    body = self._block_bytes[(table, number)] = b",".join(blocks[number].values())
                chunks.append(body if first else b"," + body)
                first = False
            chunks.append(b"}")
        chunks.append(b"}")
        return chunks

    def _publish(self, touched: dict[tuple[str, int], Record | None]) -> None:
        inserted: dict[str, list[int]] = {}
        updated: dict[str, list[int]] = {}
        for (table, doc_id), old in touched.items():
            (inserted if old is None else updated).setdefault(table, []).append(doc_id)
        changes = tuple(
            [Change(t, tuple(ids), inserted=True) for t, ids in inserted.items()]
            + [Change(t, tuple(ids)) for t, ids in updated.items()]
        )
        for subscriber in list(self._subscribers):
            try:
                subscriber(changes)
            except Exception:  # one broken listener must not stop the others
                log.exception("store subscriber failed")

    # -- in-memory records and indexes ---------------------------------------------------------

    def _new_id(self, table: str) -> int:
        self._last_id[table] = self._last_id.get(table) or max(self._records[table], default=0)
        self._last_id[table] += 1
        return self._last_id[table]

    def _put(self, record: Record) -> None:
        table = self._records[record.TABLE]
        old = table.get(record.id)
        if old is not None and _index_key(old) != _index_key(record):
            self._unindex(old)
        table[record.id] = record
        match record:
            case Contribution():
                self._by_round.setdefault(record.round_id, {})[record.id] = record
            case Participant():
                self._by_device[record.device_id] = record
            case Vote():
                self._ballots.setdefault((record.round_id, record.device_id), {})[
                    record.contribution_id
                ] = record
            case RoundState():
                self._round_states[record.round_id] = record
            case SessionInfo():
                self.info = record

    def _unindex(self, record: Record) -> None:
        del self._records[record.TABLE][record.id]
        match record:
            case Contribution():
                self._by_round.get(record.round_id, {}).pop(record.id, None)
            case Participant():
                self._by_device.pop(record.device_id, None)
            case Vote():
                ballot = self._ballots.get((record.round_id, record.device_id), {})
                if ballot.get(record.contribution_id) is record:
                    del ballot[record.contribution_id]

    # -- reads ---------------------------------------------------------------------------------

    @property
    def session_id(self) -> str:
        return self.info.session_id

    @property
    def current_round(self) -> RoundSpec:
        return self.template.rounds[self.info.current_round]

    def round_state(self, round_id: str) -> RoundState:
        return self._round_states[round_id]

    def contribution(self, contribution_id: int) -> Contribution | None:
        return self._records["contributions"].get(contribution_id)  # type: ignore[return-value]

    def contributions(
        self, round_id: str | None = None, *, visible_only: bool = True
    ) -> list[Contribution]:
        """Contributions in the order they arrived; by default without hidden and merged ones."""
        if round_id is None:
            items: Iterable[Contribution] = self._records["contributions"].values()  # type: ignore[assignment]
        else:
            items = self._by_round.get(round_id, {}).values()
        return [c for c in items if c.visible or not visible_only]

    def merged_into(self, contribution_id: int) -> list[Contribution]:
        """The duplicates merged into this contribution."""
        return [
            c for c in self.contributions(visible_only=False) if c.merged_into == contribution_id
        ]

    def participant(self, device_id: str) -> Participant | None:
        return self._by_device.get(device_id)

    def participants(self) -> list[Participant]:
        return list(self._by_device.values())

    def ballot(self, device_id: str, round_id: str) -> dict[int, int]:
        """A device's votes in a round: contribution id → dots or score."""
        votes = self._ballots.get((round_id, device_id), {})
        return {cid: v.weight for cid, v in votes.items() if v.weight}

    def votes(self, round_id: str | None = None) -> list[Vote]:
        votes: Iterable[Vote] = self._records["votes"].values()  # type: ignore[assignment]
        return [v for v in votes if v.weight and (round_id is None or v.round_id == round_id)]

    def themes(self, round_id: str | None = None) -> list[Theme]:
        themes: Iterable[Theme] = self._records["themes"].values()  # type: ignore[assignment]
        return [t for t in themes if round_id is None or t.round_id == round_id]

    def theme(self, theme_id: int) -> Theme | None:
        return self._records["themes"].get(theme_id)  # type: ignore[return-value]

    def actions(self) -> list[Action]:
        return list(self._records["actions"].values())  # type: ignore[arg-type]

    def notes(self, round_id: str | None = None) -> list[Note]:
        notes: Iterable[Note] = self._records["notes"].values()  # type: ignore[assignment]
        return [n for n in notes if round_id is None or n.round_id == round_id]

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """The whole session as the TinyDB document, a deep copy (the benchmarks use it as the
        data a baseline writes or serialises)."""
        return orjson.loads(orjson.dumps(self._db.storage.data))  # type: ignore[attr-defined,no-any-return]

    # -- changes by participants ---------------------------------------------------------------

    async def join(
        self,
        device_id: str,
        *,
        lang: str,
        stakeholder: str = "",
        name: str = "",
        consent_named: bool = False,
        table_group: str = "",
    ) -> Participant:
        """Register a device, or update what it said about itself."""
        if stakeholder and self.template.group(stakeholder) is None:
            raise Refused(Reason.UNKNOWN_GROUP, stakeholder)
        if table_group and table_group not in self.template.table_groups:
            raise Refused(Reason.UNKNOWN_TABLE, table_group)
        clean_name = clean_text(name, multiline=False)[:MAX_NAME_CHARS]

        def change(batch: _Batch) -> Participant:
            said = Participant(
                device_id=device_id,
                lang=lang,
                stakeholder=stakeholder,
                name=clean_name,
                consent_named=consent_named and bool(clean_name),
                table_group=table_group,
                joined=time.time(),
            )
            existing = self._by_device.get(device_id)
            if existing is not None:
                return batch.update(existing, **{k: getattr(said, k) for k in _SAID_ON_JOINING})
            return batch.insert(said)

        return await self._submit(change)

    async def add_contribution(
        self,
        round_id: str,
        text: str,
        *,
        source: Source = Source.WEB,
        author: str = "",
        table_group: str | None = None,
        stakeholder: str | None = None,
        theme_id: int = 0,
    ) -> Contribution:
        """Store a contribution. From the web it must fit an open round; the facilitator may add
        to any round. Stakeholder group and table default to what the author said on joining."""
        spec = self.template.round(round_id)
        clean = _checked_text(text)

        def change(batch: _Batch) -> Contribution:
            if source is Source.WEB and not self._accepts_submissions(round_id):
                raise Refused(Reason.ROUND_CLOSED)
            who = self._by_device.get(author) if author else None
            return batch.insert(
                Contribution(
                    round_id=round_id,
                    text=clean,
                    source=source.value,
                    author=author,
                    stakeholder=stakeholder
                    if stakeholder is not None
                    else (who.stakeholder if who else ""),
                    table_group=table_group
                    if table_group is not None
                    else (who.table_group if who else ""),
                    theme_id=theme_id,
                    approved=not (spec.moderated and source is Source.WEB),
                    created=time.time(),
                )
            )

        return await self._submit(change)

    async def edit_contribution(
        self, contribution_id: int, text: str, *, device_id: str | None = None
    ) -> Contribution:
        """Change a contribution's text; the first text is kept. A participant (``device_id``)
        may edit only their own, only while the round takes submissions and is not being voted
        on, and in a moderated round their edit waits for approval again."""
        clean = _checked_text(text)

        def change(batch: _Batch) -> Contribution:
            item = self._own_or_any(contribution_id, device_id)
            fields: dict[str, Any] = {}
            if device_id is not None and self.template.round(item.round_id).moderated:
                fields["approved"] = False
            return batch.update(
                item,
                text=clean,
                edited=time.time(),
                original_text=item.original_text or item.text,
                **fields,
            )

        return await self._submit(change)

    async def withdraw(self, contribution_id: int, device_id: str) -> Contribution:
        """A participant takes back their own contribution (hidden, never deleted)."""

        def change(batch: _Batch) -> Contribution:
            return batch.update(self._own_or_any(contribution_id, device_id), hidden=True)

        return await self._submit(change)

    async def cast_ballot(self, device_id: str, round_id: str, ballot: Mapping[int, int]) -> None:
        """Replace a device's votes in a round with ``ballot`` (contribution id → dots or score)."""
        spec = self.template.round(round_id)

        def change(batch: _Batch) -> None:
            if not self.round_state(round_id).voting_open:
                raise Refused(Reason.VOTING_CLOSED)
            # Only the ballot's own items are looked at: a commit of many ballots must not scan a
            # round of thousands once per ballot.
            items = {cid: self.contribution(cid) for cid in ballot}
            votable = {
                cid
                for cid, c in items.items()
                if c is not None and c.round_id == round_id and c.visible and c.counted
            }
            own = {cid for cid, c in items.items() if c is not None and c.author == device_id}
            problem = check_ballot(spec.voting, ballot, votable=votable, own=own)
            if problem is not None:
                raise Refused(Reason(problem.value))
            existing = self._ballots.get((round_id, device_id), {})
            now = time.time()
            for cid, weight in ballot.items():
                if cid in existing:
                    if existing[cid].weight != weight:
                        batch.update(existing[cid], weight=weight, created=now)
                elif weight:
                    batch.insert(
                        Vote(
                            round_id=round_id,
                            contribution_id=cid,
                            device_id=device_id,
                            weight=weight,
                            created=now,
                        )
                    )
            for cid, vote in list(existing.items()):
                if cid not in ballot and vote.weight:
                    batch.update(vote, weight=0, created=now)

        await self._submit(change)

    # -- changes by the facilitator ------------------------------------------------------------

    async def update_contributions(self, ids: Iterable[int], **fields: Any) -> list[Contribution]:
        """Set fields on contributions: ``hidden``, ``approved``, ``theme_id``, ``links``..."""
        wanted = list(ids)

        def change(batch: _Batch) -> list[Contribution]:
            return [batch.update(self._existing(cid), **fields) for cid in wanted]

        return await self._submit(change)

    async def toggle_flag(self, contribution_id: int, flag: Flag) -> Contribution:
        def change(batch: _Batch) -> Contribution:
            item = self._existing(contribution_id)
            flags = set(item.flags) ^ {flag.value}
            return batch.update(item, flags=tuple(sorted(flags)))

        return await self._submit(change)

    async def merge(self, target_id: int, duplicate_ids: Iterable[int]) -> Contribution:
        """Merge duplicates into ``target_id``; they keep their text and count towards it.

        A target that was itself merged stands for the one it was merged into, so merges never
        chain; duplicates must be in the same round, and a merge can never point at itself.
        """
        wanted = list(duplicate_ids)

        def change(batch: _Batch) -> Contribution:
            target = self._existing(target_id)
            while target.merged_into:
                target = self._existing(target.merged_into)
            for cid in wanted:
                item = self._existing(cid)
                if item.id == target.id:
                    continue
                if item.round_id != target.round_id:
                    raise Refused(Reason.NOT_FOUND, f"contribution {cid} is in another round")
                batch.update(item, merged_into=target.id)
                for other in self.merged_into(cid):  # re-point earlier merges into this one
                    batch.update(other, merged_into=target.id)
            return target

        return await self._submit(change)

    async def unmerge(self, contribution_id: int) -> Contribution:
        def change(batch: _Batch) -> Contribution:
            return batch.update(self._existing(contribution_id), merged_into=0)

        return await self._submit(change)

    async def add_theme(self, round_id: str, name: str) -> Theme:
        clean = _checked_text(name, multiline=False)

        def change(batch: _Batch) -> Theme:
            return batch.insert(Theme(round_id=round_id, name=clean, created=time.time()))

        return await self._submit(change)

    async def rename_theme(self, theme_id: int, name: str) -> Theme:
        clean = _checked_text(name, multiline=False)

        def change(batch: _Batch) -> Theme:
            theme = self.theme(theme_id)
            if theme is None:
                raise Refused(Reason.NOT_FOUND, f"theme {theme_id}")
            return batch.update(theme, name=clean)

        return await self._submit(change)

    async def update_round(self, round_id: str, **fields: Any) -> RoundState:
        """Open or close submissions, voting and results (``submissions_open=True``...)."""
        self.template.round(round_id)

        def change(batch: _Batch) -> RoundState:
            return batch.update(self.round_state(round_id), **fields)

        return await self._submit(change)

    async def go_to_round(self, index: int) -> SessionInfo:
        """Make round ``index`` current; the first visit opens its submissions and timer."""
        if not 0 <= index < len(self.template.rounds):
            raise Refused(Reason.NOT_FOUND, f"round {index + 1}")
        spec = self.template.rounds[index]

        def change(batch: _Batch) -> SessionInfo:
            state = self.round_state(spec.id)
            if not state.started:
                batch.update(
                    state,
                    started=True,
                    submissions_open=True,
                    timer_started_at=time.time(),
                )
            return batch.update(self.info, current_round=index)

        return await self._submit(change)

    async def set_timer(
        self,
        round_id: str,
        *,
        running: bool | None = None,
        add_minutes: float = 0.0,
        reset: bool = False,
    ) -> RoundState:
        """Pause or resume a round's timer, add time, or start it over."""

        def change(batch: _Batch) -> RoundState:
            state = self.round_state(round_id)
            now = time.time()
            elapsed = (
                0.0
                if reset
                else state.elapsed_s
                + (now - state.timer_started_at if state.timer_started_at is not None else 0.0)
            )
            go = state.timer_running if running is None else running
            return batch.update(
                state,
                elapsed_s=elapsed,
                timer_started_at=now if go else None,
                duration_s=max(0.0, state.duration_s + add_minutes * 60.0),
            )

        return await self._submit(change)

    async def add_action(
        self,
        text: str,
        *,
        owner: str = "",
        due: str = "",
        contribution_id: int = 0,
        round_id: str = "",
    ) -> Action:
        clean = _checked_text(text)

        def change(batch: _Batch) -> Action:
            return batch.insert(
                Action(
                    text=clean,
                    owner=clean_text(owner, multiline=False),
                    due=due,
                    contribution_id=contribution_id,
                    round_id=round_id,
                    created=time.time(),
                )
            )

        return await self._submit(change)

    async def update_action(self, action_id: int, **fields: Any) -> Action:
        def change(batch: _Batch) -> Action:
            action = self._records["actions"].get(action_id)
            if not isinstance(action, Action):
                raise Refused(Reason.NOT_FOUND, f"action {action_id}")
            return batch.update(action, **fields)

        return await self._submit(change)

    async def add_note(self, round_id: str, text: str) -> Note:
        clean = _checked_text(text)

        def change(batch: _Batch) -> Note:
            return batch.insert(Note(round_id=round_id, text=clean, created=time.time()))

        return await self._submit(change)

    async def update_session(self, **fields: Any) -> SessionInfo:
        """Change session metadata (title, place, the facilitator's view state...)."""

        def change(batch: _Batch) -> SessionInfo:
            return batch.update(self.info, **fields)

        return await self._submit(change)

    # -- helpers -------------------------------------------------------------------------------

    def _accepts_submissions(self, round_id: str) -> bool:
        spec = self.template.round(round_id)
        return spec.participants_submit and self.round_state(round_id).submissions_open

    def _existing(self, contribution_id: int) -> Contribution:
        item = self.contribution(contribution_id)
        if item is None:
            raise Refused(Reason.NOT_FOUND, f"contribution {contribution_id}")
        return item

    def _own_or_any(self, contribution_id: int, device_id: str | None) -> Contribution:
        """The contribution, if the facilitator (``device_id`` None) or its author may change it.

        An author may not once the round stops taking input, once voting opens (votes would end
        up on text the voters never saw) or once it was hidden or merged.
        """
        item = self._existing(contribution_id)
        if device_id is not None:
            if item.author != device_id:
                raise Refused(Reason.NOT_YOURS)
            if (
                not self._accepts_submissions(item.round_id)
                or self.round_state(item.round_id).voting_open
                or not item.visible
            ):
                raise Refused(Reason.ROUND_CLOSED)
        return item


def _index_key(record: Record) -> tuple[Any, ...]:
    """What a record is indexed by besides its id; an update that keeps it stays in place."""
    match record:
        case Contribution():
            return (record.round_id,)
        case Participant():
            return (record.device_id,)
        case Vote():
            return (record.round_id, record.device_id, record.contribution_id)
    return ()


def _checked_text(text: str, *, multiline: bool = True) -> str:
    clean = clean_text(text, multiline=multiline)
    problem = check_text(clean)
    if problem is TextProblem.EMPTY:
        raise Refused(Reason.EMPTY)
    if problem is TextProblem.TOO_LONG:
        raise Refused(Reason.TOO_LONG)
    return clean


def migrate(path: Path, data: dict[str, dict[str, Any]], version: int) -> dict[str, dict[str, Any]]:
    """Bring an older session file up to :data:`SCHEMA_VERSION` (in memory; saved on next commit).

    Version 1 is the first; each later version adds a step here, e.g. ``if version < 2: ...``.
    """
    if version > SCHEMA_VERSION:
        raise SessionCorrupt(
            path,
            f"written by a newer facilitator (schema {version}, this one reads up to "
            f"{SCHEMA_VERSION}); upgrade facilitator to open it",
        )
    if version < 1:
        raise SessionCorrupt(path, f"unknown schema version {version!r}")
    for name in TABLES:
        data.setdefault(name, {})
    for doc in data["session"].values():
        if not doc.get("secret"):  # sessions made before device cookies were signed
            doc["secret"] = secrets.token_urlsafe(32)
    return data


@contextlib.asynccontextmanager
async def opened(path: Path) -> Any:
    """``async with opened(path) as store:`` opens a session and closes it (flushing) after."""
    store = SessionStore.open(path)
    try:
        yield store
    finally:
        await store.close()
