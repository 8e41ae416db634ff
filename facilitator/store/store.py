"""The session store: the session's rules over the durable commit engine.

Reads come from in-memory records, indexes kept up to date on every change, and the live
rankings (facilitator.core.ranking), so nothing a phone or a redraw asks for scans the session.
Every change is a small function queued with :meth:`SessionStore._submit`; one commit task takes
everything queued, applies it in order (so a change sees the ones before it: a second ballot
from the same phone is checked against the first), stages the documents it touched in the
session file (facilitator.store.journal) and commits them as one fsynced journal line. Only then
do the callers' futures resolve (group commit) and subscribers hear what changed. If the write
fails, the batch is rolled back in memory and every caller gets :class:`WriteFailed`: nothing
unacknowledged stays behind. A change whose caller has gone away before its batch starts (a
phone that hung up) is not done at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import random
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import orjson
from tinydb import TinyDB

from facilitator.collector import freeze_long_lived
from facilitator.core.errors import Reason, Refused
from facilitator.core.joining import JoinCode, admission, card_tables, checked_tables
from facilitator.core.model import (
    RANKINGS,
    SCHEMA_VERSION,
    TABLES,
    Action,
    Change,
    Contribution,
    Flag,
    HiddenBy,
    Note,
    Participant,
    Record,
    RoundState,
    Sample,
    SessionInfo,
    Source,
    Theme,
    Vote,
)
from facilitator.core.privacy import Disclosure
from facilitator.core.ranking import RoundRanking
from facilitator.core.readmodel import SessionView
from facilitator.core.results import Audit
from facilitator.core.templates import (
    RoundKind,
    RoundSpec,
    Template,
    TemplateError,
    localized,
    parse_template,
)
from facilitator.core.text import (
    MAX_CONTRIBUTION_CHARS,
    MAX_NAME_CHARS,
    MAX_TITLE_CHARS,
    TextProblem,
    check_text,
    clean_text,
)
from facilitator.core.voting import check_ballot
from facilitator.store.documents import MAX_ROOM_SIZE, checked_session
from facilitator.store.files import (
    SessionCorrupt,
    StoreError,
    WriteFailed,
    make_folder,
    real_session_path,
)
from facilitator.store.journal import SessionFile, Tables

log = logging.getLogger(__name__)

R = TypeVar("R", bound=Record)
T = TypeVar("T")

Subscriber = Callable[[tuple[Change, ...]], None]

_SAID_ON_JOINING = ("lang", "stakeholder", "name", "consent_named", "table_group")
MAX_SETS = 5
"""How many ballot samples one device may be dealt in a round (it may ask for another)."""
ANSWERABLE = 5
"""How many of a bottleneck round's best items a phone offers an idea to answer."""
ANSWERABLE_TIED = 10
"""At most this many of them when items tie with the fifth: the phone's page stays small and its
cost does not grow with the round (a round of 20,000 can have a thousand tied there)."""
BATCH_S = 0.004
"""How long one commit may run changes on the loop before it writes them and lets others run
(a batch of hundreds of ballots at once would hold up every page and key press behind it)."""
MAX_TIMER_MINUTES = 24 * 60
"""The time left on a round's timer can be set to at most a day."""
MAX_QUEUED = 5000
"""Changes waiting for a commit beyond which the store refuses new ones at once (the web
answers 503 with Retry-After): past this, waiting would only make every answer late."""


class Busy(StoreError):
    """Too many changes are waiting to be written; nothing was stored. Try again shortly."""


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

    def __init__(self, db: TinyDB) -> None:
        self.db = db
        """The session as a TinyDB database; its storage is the session file and journal."""
        self.file: SessionFile = db.storage  # type: ignore[assignment]
        self.path = self.file.path
        self.read_only = self.file.read_only
        data = self.file.read()
        self._records: dict[str, dict[int, Record]] = {name: {} for name in TABLES}
        self._by_round: dict[str, dict[int, Contribution]] = {}
        self._by_author: dict[tuple[str, str], dict[int, Contribution]] = {}
        self._by_nonce: dict[tuple[str, str, str, str], list[int]] = {}
        """(round, author, nonce, the text as first sent) → the contributions sent so: what a
        resend of the same form with the same text is recognised by (:meth:`add_contribution`)."""
        self._sent_by_phones: Counter[str] = Counter()
        """Round id → contributions sent from phones (not hidden or withdrawn)."""
        self._merged: dict[int, set[int]] = {}
        self._by_device: dict[str, Participant] = {}
        self._ballots: dict[tuple[str, str], dict[int, Vote]] = {}
        self._votes_by_round: dict[str, dict[int, Vote]] = {}
        self._samples: dict[tuple[str, str], list[Sample]] = {}
        self._round_states: dict[str, RoundState] = {}
        self._actions_for: dict[int, dict[int, Action]] = {}
        self._lines: dict[str, dict[int, Note]] = {}
        """Round → the day chair's lines (notes addressed to stakeholder groups)."""
        self._last_id: dict[str, int] = {}
        info_doc = next(iter(data["session"].values()))
        self.template: Template = parse_template(info_doc["template"], self.path)
        self.view = SessionView(self.template)
        """The live read model (facilitator.core.readmodel): every round's ranking and the
        audit's counts, kept by every change."""
        self.rankings: dict[str, RoundRanking] = self.view.rankings
        for name, cls in TABLES.items():
            for doc_id, doc in data.get(name, {}).items():
                self._put(cls.from_doc(int(doc_id), doc))
        self.info: SessionInfo = next(iter(self._records["session"].values()))  # type: ignore[assignment]
        self._queue: list[_Pending] = []
        self._wake = asyncio.Event()
        self._committer: asyncio.Task[None] | None = None
        self._subscribers: list[Subscriber] = []
        self._closed = False

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
        tables: Sequence[str] | None = None,
    ) -> SessionStore:
        """Write a new session file (durably) and open it. ``tables``: the session's tables
        (checked as :func:`~facilitator.core.joining.checked_tables` does); None: the
        template's."""
        path = real_session_path(path)
        info = SessionInfo(
            id=1,
            session_id=session_id,
            title=title,
            lang=lang,
            template_id=template.id,
            template=template.model_dump(mode="json"),
            join_token=join_token,
            created=time.time(),
            place=place,
            secret=new_session_secret(),
            organiser_secret=new_organiser_secret(),
            comoderator_secret=new_organiser_secret(),
            tables=template.table_groups if tables is None else checked_tables(tables),
        )
        data: Tables = {name: {} for name in TABLES}
        data["session"]["1"] = info.to_doc()
        for index, spec in enumerate(template.rounds, start=1):
            state = RoundState(round_id=spec.id, duration_s=spec.minutes * 60.0)
            data["rounds"][str(index)] = state.to_doc()
        make_folder(path.parent)
        return cls(TinyDB(path, storage=SessionFile, create=data, prepare=prepare))

    @classmethod
    def open(cls, path: Path, *, read_only: bool = False,
             storage: type[SessionFile] = SessionFile) -> SessionStore:
        """Open an existing session file; refuse a locked or damaged one without touching it.

        ``read_only`` takes no lock (file and journal together always hold every commit, so a
        report can be made while the session runs elsewhere) and refuses every change.
        ``storage`` is the engine (a subclass may change how commits reach the disk: the ingest
        benchmark's baselines do).
        """
        path = real_session_path(path)
        db = TinyDB(path, storage=storage, read_only=read_only, prepare=prepare)
        try:
            store = cls(db)
        except (
            KeyError,
            TypeError,
            ValueError,
            AttributeError,
            StopIteration,
            TemplateError,
        ) as exc:
            db.close()
            raise SessionCorrupt(path, f"unexpected content: {exc!r}") from None
        except BaseException:
            db.close()
            raise
        if not read_only:
            # The session being run lives as long as the process. Freezing it keeps the
            # collector's full passes from walking every record in the middle of a request
            # (17 ms at 5,000 contributions). A read-only open (a report) is short-lived.
            freeze_long_lived()
        return store

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called (the file is no longer held)."""
        return self._closed

    async def close(self) -> None:
        """Write what is queued, stop the commit task, fold the journal in and unlock."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._committer is not None:
                self._wake.set()
                await self._committer
        finally:
            await self.file.aclose()

    # -- the commit task -----------------------------------------------------------------------

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber`` with what changed after every commit. Returns the unsubscribe."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    @property
    def queued(self) -> int:
        """Changes waiting for the next commit."""
        return len(self._queue)

    def _submit(self, change: Callable[[_Batch], T]) -> asyncio.Future[T]:
        if self._closed or self.read_only:
            raise RuntimeError(f"{self.path}: the session is closed or open read-only")
        if len(self._queue) >= MAX_QUEUED:
            raise Busy(self.path, f"{self.path}: too many changes waiting to be written")
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
            await self._commit(self._queue)
            await asyncio.sleep(0)  # let the woken callers run before the next batch

    async def _commit(self, queue: list[_Pending]) -> None:
        """Run what is queued (at most :data:`BATCH_S` of it: the loop has phones and the
        facilitator's screen to serve as well), then write it as one commit."""
        batch = _Batch(self)
        results: list[tuple[_Pending, Any]] = []
        started = time.perf_counter()
        taken = 0
        for item in queue:
            if taken and time.perf_counter() - started > BATCH_S:
                break
            taken += 1
            if item.future.cancelled():
                continue  # its caller went away before anything was done: do nothing
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
        del queue[:taken]
        touched = batch.touched()
        self._stage(touched)
        try:
            await self.file.commit()
        except WriteFailed as error:
            batch.undo()
            self._stage(touched)  # the records as they were, staged for the next commit
            for item, _ in results:
                if not item.future.cancelled():
                    item.future.set_exception(error)
            return
        for item, result in results:
            if not item.future.cancelled():
                item.future.set_result(result)
        if touched:
            self._publish(touched)

    def _stage(self, keys: Iterable[tuple[str, int]]) -> None:
        """Hand the records' current documents to the session file for the next commit."""
        for table, doc_id in keys:
            record = self._records[table].get(doc_id)
            self.file.stage(table, doc_id, record.to_doc() if record is not None else None)

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
        """Store a record (new or a new version) and bring every index and ranking in line.
        An update that keeps a record's index keys keeps its place in them (arrival order)."""
        table = self._records[record.TABLE]
        old = table.get(record.id)
        if old is not None:
            self._drop_indexes(old, keep=record)
        table[record.id] = record
        match record:
            case Contribution():
                self._by_round.setdefault(record.round_id, {})[record.id] = record
                if record.author:
                    self._by_author.setdefault((record.round_id, record.author), {})[
                        record.id] = record
                    self._sent_by_phones[record.round_id] += 1
                    if record.nonce:
                        sent = self._by_nonce.setdefault(_sent_as(record), [])
                        if record.id not in sent:
                            sent.append(record.id)
                if record.merged_into:
                    self._merged.setdefault(record.merged_into, set()).add(record.id)
            case Participant():
                self._by_device[record.device_id] = record
            case Vote():
                self._ballots.setdefault((record.round_id, record.device_id), {})[
                    record.contribution_id
                ] = record
                self._votes_by_round.setdefault(record.round_id, {})[record.id] = record
            case Sample():
                samples = self._samples.setdefault((record.round_id, record.device_id), [])
                if old is not None and old in samples:
                    samples[samples.index(old)] = record  # type: ignore[arg-type]
                else:
                    samples.append(record)
            case Action():
                if record.contribution_id and not record.removed:
                    self._actions_for.setdefault(record.contribution_id, {})[record.id] = record
            case Note():
                if record.addressed_to and not record.removed:
                    self._lines.setdefault(record.round_id, {})[record.id] = record
            case RoundState():
                self._round_states[record.round_id] = record
            case SessionInfo():
                self.info = record
        self.view.put(old, record)

    def _unindex(self, record: Record) -> None:
        """Take a record out of the session (an undone insert): every index and ranking."""
        del self._records[record.TABLE][record.id]
        self._drop_indexes(record, keep=None)
        self.view.put(record, None)

    def _drop_indexes(self, old: Record, keep: Record | None) -> None:
        """Remove ``old`` from the indexes whose key ``keep`` (its next version) does not share;
        those it shares are simply overwritten by :meth:`_put`, in place."""
        match old:
            case Contribution():
                new_c = keep if isinstance(keep, Contribution) else None
                if new_c is None or new_c.round_id != old.round_id:
                    self._by_round.get(old.round_id, {}).pop(old.id, None)
                if old.author and (new_c is None or (new_c.round_id, new_c.author)
                                   != (old.round_id, old.author)):
                    self._by_author.get((old.round_id, old.author), {}).pop(old.id, None)
                if old.author:
                    self._sent_by_phones[old.round_id] -= 1
                if old.nonce and (new_c is None or _sent_as(new_c) != _sent_as(old)):
                    sent = self._by_nonce.get(_sent_as(old), [])
                    if old.id in sent:
                        sent.remove(old.id)
                if old.merged_into and (new_c is None or new_c.merged_into != old.merged_into):
                    self._merged.get(old.merged_into, set()).discard(old.id)
            case Participant():
                if not isinstance(keep, Participant) or keep.device_id != old.device_id:
                    self._by_device.pop(old.device_id, None)
            case Vote():
                new_v = keep if isinstance(keep, Vote) else None
                key = (old.round_id, old.device_id, old.contribution_id)
                if new_v is None or (new_v.round_id, new_v.device_id,
                                     new_v.contribution_id) != key:
                    ballot = self._ballots.get((old.round_id, old.device_id), {})
                    if ballot.get(old.contribution_id) is old:
                        del ballot[old.contribution_id]
                if new_v is None or new_v.round_id != old.round_id:
                    self._votes_by_round.get(old.round_id, {}).pop(old.id, None)
            case Sample():
                if keep is None:
                    samples = self._samples.get((old.round_id, old.device_id), [])
                    if old in samples:
                        samples.remove(old)
            case Action():
                if old.contribution_id and (not isinstance(keep, Action) or keep.removed
                                            or keep.contribution_id != old.contribution_id):
                    self._actions_for.get(old.contribution_id, {}).pop(old.id, None)
            case Note():
                if old.addressed_to and (not isinstance(keep, Note) or not keep.addressed_to
                                         or keep.removed or keep.round_id != old.round_id):
                    self._lines.get(old.round_id, {}).pop(old.id, None)

    # -- reads ---------------------------------------------------------------------------------

    def record(self, table: str, doc_id: int) -> Record | None:
        """Any record by its table and id (what a store event names)."""
        return self._records[table].get(doc_id)

    @property
    def session_id(self) -> str:
        return self.info.session_id

    @property
    def current_round(self) -> RoundSpec:
        return self.template.rounds[self.info.current_round]

    def round_state(self, round_id: str) -> RoundState:
        return self._round_states[round_id]

    def ranking(self, round_id: str) -> RoundRanking:
        """The round's live ranking: ranks, votes and exposure, and its ballot candidates."""
        return self.rankings[round_id]

    def contribution(self, contribution_id: int) -> Contribution | None:
        return self._records["contributions"].get(contribution_id)  # type: ignore[return-value]

    def contributions(
        self, round_id: str | None = None, *, visible_only: bool = True
    ) -> list[Contribution]:
        """Contributions in the order they arrived; by default without hidden and merged ones.
        A pass over the round (or the session): for the report and the facilitator's screen,
        never for a phone's request."""
        if round_id is None:
            items: Iterable[Contribution] = self._records["contributions"].values()  # type: ignore[assignment]
        else:
            items = self._by_round.get(round_id, {}).values()
        return [c for c in items if c.visible or not visible_only]

    def newest(self, round_id: str, count: int, *, approved_only: bool = True
               ) -> list[Contribution]:
        """The round's ``count`` newest visible contributions, newest first (for the wall):
        walks back from the end, so it costs what it returns, not the size of the round."""
        found: list[Contribution] = []
        for item in reversed(self._by_round.get(round_id, {}).values()):
            if item.visible and (item.approved or not approved_only):
                found.append(item)
                if len(found) >= count:
                    break
        return found

    def earliest(self, round_id: str, count: int) -> list[Contribution]:
        """The round's ``count`` first visible contributions, in the order they arrived."""
        found: list[Contribution] = []
        for item in self._by_round.get(round_id, {}).values():
            if item.visible:
                found.append(item)
                if len(found) >= count:
                    break
        return found

    def walk_back(self, round_id: str, before: int | None, ids: int
                  ) -> tuple[list[Contribution], int]:
        """A page of the round for the moderation pages: its contributions with an id below
        ``before`` (None: from its newest), hidden and merged ones too, newest first, looking at
        no more than ``ids`` ids (ids count across rounds). With where the next page starts
        (0: nothing older). Costs ``ids`` look-ups, whatever the size of the round."""
        index = self._by_round.get(round_id)
        if not index:
            return [], 0
        newest, oldest = next(reversed(index)), next(iter(index))
        start = newest if before is None else min(before - 1, newest)
        records = self._records["contributions"]
        found: list[Contribution] = []
        cid = start
        while cid >= oldest and cid > start - ids:
            item = records.get(cid)
            if isinstance(item, Contribution) and item.round_id == round_id:
                found.append(item)
            cid -= 1
        return found, cid + 1 if cid >= oldest else 0

    def sent_by_phones(self, round_id: str) -> int:
        """How many contributions phones have sent in a round (withdrawn ones included)."""
        return self._sent_by_phones[round_id]

    def own_contributions(self, round_id: str, device_id: str) -> list[Contribution]:
        """What one device sent in a round, in the order sent: withdrawn ones left out, those
        the facilitator hid kept (the phone says so)."""
        return [c for c in self._by_author.get((round_id, device_id), {}).values()
                if not c.hidden or c.hidden_by == HiddenBy.FACILITATOR]

    def merged_into(self, contribution_id: int) -> list[Contribution]:
        """The duplicates merged into this contribution."""
        found = (self.contribution(cid) for cid in self._merged.get(contribution_id, ()))
        return sorted((c for c in found if c is not None), key=lambda c: c.id)

    def participant(self, device_id: str) -> Participant | None:
        return self._by_device.get(device_id)

    def participants(self) -> list[Participant]:
        return list(self._by_device.values())

    def participant_by_id(self, participant_id: int) -> Participant | None:
        """A participant by its document id (what a store event names)."""
        return self._records["participants"].get(participant_id)  # type: ignore[return-value]

    @property
    def participant_count(self) -> int:
        return len(self._by_device)

    def present(self) -> Counter[str]:
        """How many participants said they belong to each stakeholder group ("": not said)."""
        return Counter(self.view.tally.present)

    def audit(self) -> Audit:
        """The "who is at the table" figures of the whole session, from the live counts."""
        return self.view.audit()

    def disclosure(self) -> Disclosure:
        """Which stakeholder groups may be named now (facilitator.core.privacy), from the live
        audit: what the TUI, the wall and the organiser's summary go by, as the report does."""
        return self.view.disclosure()

    def ballot(self, device_id: str, round_id: str) -> dict[int, int]:
        """A device's votes in a round: contribution id → dots or score."""
        votes = self._ballots.get((round_id, device_id), {})
        return {cid: v.weight for cid, v in votes.items() if v.weight}

    def votes(self, round_id: str | None = None) -> list[Vote]:
        if round_id is not None:
            return [v for v in self._votes_by_round.get(round_id, {}).values() if v.weight]
        votes: Iterable[Vote] = self._records["votes"].values()  # type: ignore[assignment]
        return [v for v in votes if v.weight]

    def vote(self, vote_id: int) -> Vote | None:
        return self._records["votes"].get(vote_id)  # type: ignore[return-value]

    def action(self, action_id: int) -> Action | None:
        return self._records["actions"].get(action_id)  # type: ignore[return-value]

    def samples(self, round_id: str | None = None) -> list[Sample]:
        samples: Iterable[Sample] = self._records["samples"].values()  # type: ignore[assignment]
        return [s for s in samples if round_id is None or s.round_id == round_id]

    def shown_to(self, device_id: str, round_id: str) -> set[int]:
        """Every item a device was shown on its ballots in a round."""
        return {cid for sample in self._samples.get((round_id, device_id), ())
                for cid in sample.items}

    def themes(self, round_id: str | None = None) -> list[Theme]:
        """The themes (of one round), without the ones the facilitator removed."""
        themes: Iterable[Theme] = self._records["themes"].values()  # type: ignore[assignment]
        return [t for t in themes
                if not t.removed and (round_id is None or t.round_id == round_id)]

    def theme(self, theme_id: int) -> Theme | None:
        return self._records["themes"].get(theme_id)  # type: ignore[return-value]

    def actions(self) -> list[Action]:
        """The actions, without the ones the facilitator removed."""
        actions: Iterable[Action] = self._records["actions"].values()  # type: ignore[assignment]
        return [a for a in actions if not a.removed]

    def actions_for(self, contribution_id: int) -> list[Action]:
        return list(self._actions_for.get(contribution_id, {}).values())

    def notes(self, round_id: str | None = None) -> list[Note]:
        """The facilitator's notes (of one round), the day chair's lines included; the ones
        removed left out."""
        notes: Iterable[Note] = self._records["notes"].values()  # type: ignore[assignment]
        return [n for n in notes
                if not n.removed and (round_id is None or n.round_id == round_id)]

    def lines(self, round_id: str) -> list[Note]:
        """The day chair's lines of a distillation round, in the order written, the ones
        removed left out (an index: a phone or the wall may ask)."""
        return list(self._lines.get(round_id, {}).values())

    def answerable(self, round_id: str, per_round: int = ANSWERABLE) -> list[Contribution]:
        """For an ideas round: the bottlenecks an idea sent from a phone may say it answers.

        The best ``per_round`` of each bottleneck round before it, with those tied with the
        last of them (:meth:`RoundRanking.best`) up to :data:`ANSWERABLE_TIED`, by that round's
        live ranking (the morning's
        ranking for the afternoon), earliest round first. Costs those items per such round,
        never a pass over them. Empty for any other kind of round.
        """
        rounds = self.template.rounds
        index = next(i for i, spec in enumerate(rounds) if spec.id == round_id)
        if rounds[index].kind is not RoundKind.IDEAS:
            return []
        return [item.contribution for spec in rounds[:index] if spec.kind is RoundKind.BOTTLENECK
                for item in self.rankings[spec.id].best(per_round, ANSWERABLE_TIED)]

    def snapshot(self) -> Tables:
        """The whole session as the TinyDB document, a fresh copy (the report benchmark and a
        test use it)."""
        return {name: {str(doc_id): record.to_doc() for doc_id, record in records.items()}
                for name, records in self._records.items()}

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
        came_with: JoinCode | None = None,
    ) -> Participant:
        """Register a device, or update what it said about itself.

        ``came_with`` is the join code a phone brought (``core/joining.py``): a new device needs
        one that admits it now, and joining must be open in the current round. A device that
        has joined changes its details without one. None: the facilitator registers the device
        (the demo), no code asked.
        """
        if stakeholder and self.template.group(stakeholder) is None:
            raise Refused(Reason.UNKNOWN_GROUP, stakeholder)
        if table_group and table_group not in self.info.tables:
            raise Refused(Reason.UNKNOWN_TABLE, table_group)
        clean_name = clean_text(name, multiline=False)[:MAX_NAME_CHARS]

        def change(batch: _Batch) -> Participant:
            existing = self._by_device.get(device_id)
            said = Participant(
                device_id=device_id,
                lang=lang,
                stakeholder=stakeholder,
                name=clean_name,
                consent_named=consent_named and bool(clean_name),
                table_group=table_group,
                joined=time.time(),
            )
            if existing is not None:
                return batch.update(existing, **{k: getattr(said, k) for k in _SAID_ON_JOINING})
            if came_with is not None:
                said.joined_with = self.admits(came_with)
            return batch.insert(said)

        return await self._submit(change)

    def admits(self, came_with: JoinCode) -> str:
        """How a new device with this code joins now (``"room"`` or ``"card:<table>"``), or
        :class:`Refused` why it may not: joining closed in the current round, no code, or a
        code that admits nobody (expired, from a revoked card, made up)."""
        if self.round_state(self.current_round.id).joining_closed:
            raise Refused(Reason.JOINING_CLOSED)
        if not came_with.code:
            raise Refused(Reason.NO_CODE)
        joined_with = admission(self.info, came_with.code, came_with.at)
        if joined_with is None:
            raise Refused(Reason.CODE_NOT_VALID)
        return joined_with

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
        nonce: str = "",
        links: tuple[int, ...] = (),
    ) -> Contribution:
        """Store a contribution. From the web it must fit an open round; the facilitator may add
        to any round. Stakeholder group and table default to what the author said on joining.

        ``nonce`` is the key of the phone's form. The same text (and bottleneck) sent again
        with it (a retry after a 503, an answer that never arrived, a double tap) returns the
        stored contribution instead of storing it twice. Another text with a key already used
        (a form shown again by the back button, or a page that did not reload after a send) is
        a new contribution, stored as such: what a phone is told was stored is always what it
        sent. ``links``: the bottlenecks an idea answers, stored as the facilitator's link is
        (:attr:`Contribution.links`); each must be a bottleneck.
        """
        spec = self.template.round(round_id)
        clean = _checked_text(text)

        def change(batch: _Batch) -> Contribution:
            if nonce and author:
                for stored_id in self._by_nonce.get((round_id, author, nonce, clean), ()):
                    stored: Contribution = self._records["contributions"][stored_id]  # type: ignore[assignment]
                    if set(links) <= set(stored.links):
                        return stored
            if source is Source.WEB and not self._accepts_submissions(round_id):
                raise Refused(Reason.ROUND_CLOSED)
            for link in links:
                target = self.contribution(link)
                if target is None or self.template.round(
                        target.round_id).kind is not RoundKind.BOTTLENECK:
                    raise Refused(Reason.NOT_FOUND, f"bottleneck {link}")
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
                    nonce=nonce,
                    links=tuple(links),
                )
            )

        return await self._submit(change)

    async def edit_contribution(
        self, contribution_id: int, text: str, *, device_id: str | None = None,
        was: str | None = None,
    ) -> Contribution:
        """Change a contribution's text; the first text is kept. A participant (``device_id``)
        may edit only their own, only while the round takes submissions and is not being voted
        on, and in a moderated round their edit waits for approval again.

        ``was`` is the text the phone's page showed when the edit began. An edit whose page
        showed another text than the one stored now (a second tab saved first, the facilitator
        changed it) is refused (:attr:`Reason.CHANGED_SINCE`) rather than undo that change; one
        whose text is already stored (the same edit sent again) is answered with the item as
        it is. None: no check (the facilitator edits what the screen shows now).
        """
        clean = _checked_text(text)
        shown = clean_text(was) if was is not None else None

        def change(batch: _Batch) -> Contribution:
            item = self._own_or_any(contribution_id, device_id)
            if shown is not None and item.text == clean:
                return item  # already so: a resend, or the same change made elsewhere
            if shown is not None and shown != item.text:
                raise Refused(Reason.CHANGED_SINCE)
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
            item = self._existing(contribution_id)
            if item.hidden_by == HiddenBy.AUTHOR.value and item.author == device_id:
                return item  # withdrawn already: the same request sent again
            return batch.update(self._own_or_any(contribution_id, device_id), hidden=True,
                                hidden_by=HiddenBy.AUTHOR.value)

        return await self._submit(change)

    async def cast_ballot(self, device_id: str, round_id: str, ballot: Mapping[int, int], *,
                          revision: int | None = None) -> int:
        """Set a device's votes on the items of ``ballot`` (contribution id → dots or score;
        0 takes a vote back). Its votes on other items of the round stay, and count towards
        the dot budget. A device votes only on items it was shown (see :meth:`ballot_items`).
        Returns the ballot's revision after the save (:meth:`ballot_revision`).

        ``revision`` is the ballot's revision the phone's page showed. A page older than the
        last save (a second tab, the back button) is refused (:attr:`Reason.BALLOT_CHANGED`)
        rather than undo the newer ballot, unless what it sends is already stored (the same
        ballot sent again: answered as saved). None: no check.
        """
        spec = self.template.round(round_id)

        def change(batch: _Batch) -> int:
            if not self.round_state(round_id).voting_open:
                raise Refused(Reason.VOTING_CLOSED)
            existing = self._ballots.get((round_id, device_id), {})
            now_at = self.ballot_revision(device_id, round_id)
            if revision is not None and revision != now_at:
                if all((existing[cid].weight if cid in existing else 0) == weight
                       for cid, weight in ballot.items()):
                    return now_at
                raise Refused(Reason.BALLOT_CHANGED)
            # Only the ballot's own items are looked at: a commit of many ballots must not scan a
            # round of thousands once per ballot.
            shown = self.shown_to(device_id, round_id)
            items = {cid: self.contribution(cid) for cid in ballot}
            own = {cid for cid, c in items.items() if c is not None and c.author == device_id}
            votable = {
                cid
                for cid, c in items.items()
                if c is not None and c.round_id == round_id and c.visible and c.counted
                # Shown, or one's own where the rule forbids it (then refused as that). One's
                # own item is not votable unseen: its vote would count without its view.
                and (cid in shown or (cid in own and not spec.voting.own_items))
            }
            kept = sum(vote.weight for cid, vote in existing.items()
                       if cid not in ballot and self._counts(cid))
            problem = check_ballot(spec.voting, ballot, votable=votable, own=own, kept=kept)
            if problem is not None:
                raise Refused(problem)
            now = time.time()
            changed = [(cid, weight) for cid, weight in ballot.items()
                       if (existing[cid].weight if cid in existing else 0) != weight]
            if not changed:
                return now_at
            for cid, weight in changed:
                if cid in existing:
                    batch.update(existing[cid], weight=weight, created=now, revision=now_at + 1)
                else:
                    batch.insert(
                        Vote(
                            round_id=round_id,
                            contribution_id=cid,
                            device_id=device_id,
                            weight=weight,
                            created=now,
                            revision=now_at + 1,
                        )
                    )
            return now_at + 1

        return await self._submit(change)

    def ballot_revision(self, device_id: str, round_id: str) -> int:
        """How many saves have changed a device's ballot in a round (0: none yet): what a
        ballot page carries, so that a save from an older page is known as such."""
        votes = self._ballots.get((round_id, device_id), {})
        return max((vote.revision for vote in votes.values()), default=0)

    def _counts(self, contribution_id: int) -> bool:
        item = self.contribution(contribution_id)
        return item is not None and item.visible and item.counted

    # -- the ballot a device is shown ----------------------------------------------------------

    def current_set(self, device_id: str, round_id: str) -> Sample | None:
        """The latest sample dealt to a device in a sampled round (None: none yet)."""
        sets = [s for s in self._samples.get((round_id, device_id), ()) if s.set_no]
        return sets[-1] if sets else None

    def sets_dealt(self, device_id: str, round_id: str) -> int:
        current = self.current_set(device_id, round_id)
        return current.set_no if current is not None else 0

    @staticmethod
    def _rng(device_id: str, round_id: str, set_no: int) -> random.Random:
        """The chance behind one device's sample: its own, and the same every time (a device id
        is already unguessable; a sample is stored anyway, so this only makes runs repeatable)."""
        return random.Random(f"{round_id}/{device_id}/{set_no}")

    def _ballot_now(self, device_id: str, round_id: str, *, draw: bool = True
                    ) -> tuple[list[int] | None, Sample | None]:
        """The items the device votes on now, or None with the sample that must be recorded
        first (a first sample, or a small round's new items; not drawn unless ``draw``)."""
        ranking = self.rankings[round_id]
        rule = ranking.spec.voting
        own = set() if rule.own_items else {
            c.id for c in self._by_author.get((round_id, device_id), {}).values()}
        current = self.current_set(device_id, round_id)
        candidates = len(ranking.candidates)
        if current is not None:
            return [cid for cid in current.items if cid in ranking.candidates], None
        if candidates > ranking.sample_size:
            if not draw:
                return None, None
            drawn = ranking.candidates.draw(
                ranking.sample_size, self._rng(device_id, round_id, 1), exclude=own)
            return None, Sample(round_id=round_id, device_id=device_id, items=tuple(drawn),
                                set_no=1, drawn_from=candidates, created=time.time())
        # A round small enough to show whole: every item, as it comes, recorded as seen.
        everything = [cid for cid in self._by_round.get(round_id, {})
                      if cid in ranking.candidates]
        seen = self.shown_to(device_id, round_id)
        new = tuple(cid for cid in everything if cid not in seen and cid not in own)
        if not new:
            return everything, None
        return None, Sample(round_id=round_id, device_id=device_id, items=new, set_no=0,
                            drawn_from=candidates, created=time.time())

    async def ballot_items(self, device_id: str, round_id: str) -> list[Contribution]:
        """The items a device is asked to vote on in a round, in the order it sees them.

        A round with more visible items than its ``sample_size`` deals each device its own
        sample, least-seen items first (stable: the same device gets the same set back); a
        smaller round shows every item. What a device is shown is recorded (durably, before it
        is shown), so results can count how many saw each item.
        """
        items, _ = self._ballot_now(device_id, round_id, draw=False)
        if items is None:

            def change(batch: _Batch) -> None:
                _, sample = self._ballot_now(device_id, round_id)  # as of this commit
                if sample is not None:
                    batch.insert(sample)

            await self._submit(change)
            items, _ = self._ballot_now(device_id, round_id)
            items = items or []
        found = (self.contribution(cid) for cid in items)
        order = [c for c in found if c is not None]
        if self.current_set(device_id, round_id) is None:
            self._rng(device_id, round_id, 0).shuffle(order)  # stable for one device
        return order

    async def another_set(self, device_id: str, round_id: str) -> Sample:
        """Deal a device a further sample of items it has not been shown yet."""

        def change(batch: _Batch) -> Sample:
            ranking = self.rankings[round_id]
            if not self.round_state(round_id).voting_open:
                raise Refused(Reason.VOTING_CLOSED)
            dealt = self.sets_dealt(device_id, round_id)
            if dealt == 0 or len(ranking.candidates) <= ranking.sample_size:
                raise Refused(Reason.NO_MORE_ITEMS, "this round shows every item")
            if dealt >= MAX_SETS:
                raise Refused(Reason.NO_MORE_ITEMS, f"at most {MAX_SETS} sets")
            own = set() if ranking.spec.voting.own_items else {
                c.id for c in self._by_author.get((round_id, device_id), {}).values()}
            exclude = own | self.shown_to(device_id, round_id)
            drawn = ranking.candidates.draw(
                ranking.sample_size, self._rng(device_id, round_id, dealt + 1), exclude=exclude)
            if not drawn:
                raise Refused(Reason.NO_MORE_ITEMS, "every item was shown")
            return batch.insert(Sample(round_id=round_id, device_id=device_id,
                                       items=tuple(drawn), set_no=dealt + 1,
                                       drawn_from=len(ranking.candidates),
                                       created=time.time()))

        return await self._submit(change)

    # -- changes by the facilitator ------------------------------------------------------------

    async def update_contributions(self, ids: Iterable[int], **fields: Any) -> list[Contribution]:
        """Set fields on contributions: ``hidden``, ``approved``, ``theme_id``, ``links``...
        Hiding one records that the facilitator did (its author's phone says so)."""
        wanted = list(ids)
        if "hidden" in fields:
            fields.setdefault("hidden_by", HiddenBy.FACILITATOR.value if fields["hidden"] else "")

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

    async def remove_theme(self, theme_id: int) -> Theme:
        """Remove a theme: its contributions are no longer sorted into it (a pass over its
        round: a facilitator's action, never a phone's)."""

        def change(batch: _Batch) -> Theme:
            theme = self.theme(theme_id)
            if theme is None or theme.removed:
                raise Refused(Reason.NOT_FOUND, f"theme {theme_id}")
            for item in list(self._by_round.get(theme.round_id, {}).values()):
                if item.theme_id == theme_id:
                    batch.update(item, theme_id=0)
            return batch.update(theme, removed=True)

        return await self._submit(change)

    async def update_round(self, round_id: str, **fields: Any) -> RoundState:
        """Open or close submissions, voting and results (``submissions_open=True``...), or
        choose the ranking the results show (``ranking="carried"``, one of ``RANKINGS``)."""
        self.template.round(round_id)
        if "ranking" in fields and fields["ranking"] not in RANKINGS:
            raise Refused(Reason.NOT_FOUND, f"ranking {fields['ranking']!r}")

        def change(batch: _Batch) -> RoundState:
            return batch.update(self.round_state(round_id), **fields)

        return await self._submit(change)

    async def go_to_round(self, index: int) -> SessionInfo:
        """Make round ``index`` current; the first visit opens its submissions and timer and
        makes the template's suggested themes (the facilitator can rename, remove and add)."""
        if not 0 <= index < len(self.template.rounds):
            raise Refused(Reason.NOT_FOUND, f"round {index + 1}")
        spec = self.template.rounds[index]

        def change(batch: _Batch) -> SessionInfo:
            state = self.round_state(spec.id)
            if not state.started:
                now = time.time()
                batch.update(
                    state,
                    started=True,
                    submissions_open=True,
                    timer_started_at=now,
                    started_at=state.started_at or now,
                )
                taken = {theme.name for theme in self.themes(spec.id)}
                for suggested in spec.themes:  # the template's themes, ready to sort into
                    name = localized(suggested, self.info.lang)
                    if name not in taken:
                        taken.add(name)
                        batch.insert(Theme(round_id=spec.id, name=name, created=time.time()))
            return batch.update(self.info, current_round=index)

        return await self._submit(change)

    async def set_timer(
        self,
        round_id: str,
        *,
        running: bool | None = None,
        add_minutes: float = 0.0,
        left_minutes: float | None = None,
        reset: bool = False,
    ) -> RoundState:
        """Pause or resume a round's timer, add time (or take it away: ``add_minutes`` below
        zero), set the time left to ``left_minutes``, or start it over."""
        if left_minutes is not None and not 0 <= left_minutes <= MAX_TIMER_MINUTES:
            raise Refused(Reason.TOO_LONG, f"{left_minutes} minutes")

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
            if left_minutes is not None:
                duration = elapsed + left_minutes * 60.0
            else:  # time taken away stops at "time is up" (a timer already over stays so)
                duration = max(state.duration_s + add_minutes * 60.0,
                               min(state.duration_s, elapsed))
            return batch.update(
                state,
                elapsed_s=elapsed,
                timer_started_at=now if go else None,
                duration_s=max(0.0, duration),
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
        clean_owner = _checked_text(owner, multiline=False, limit=MAX_TITLE_CHARS, empty=True)
        day = _checked_date(due)

        def change(batch: _Batch) -> Action:
            return batch.insert(
                Action(
                    text=clean,
                    owner=clean_owner,
                    due=day,
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

    async def edit_action(self, action_id: int, text: str, *, owner: str = "",
                          due: str = "") -> Action:
        """Correct an action: its text, its owner and its due date (an ISO date or "")."""
        clean = _checked_text(text)
        clean_owner = _checked_text(owner, multiline=False, limit=MAX_TITLE_CHARS, empty=True)
        day = _checked_date(due)

        def change(batch: _Batch) -> Action:
            return batch.update(self._existing_action(action_id), text=clean, owner=clean_owner,
                                due=day, edited=time.time())

        return await self._submit(change)

    async def remove_action(self, action_id: int) -> Action:
        """Remove an action: it stays in the file, marked removed, and is shown nowhere."""

        def change(batch: _Batch) -> Action:
            return batch.update(self._existing_action(action_id), removed=True,
                                edited=time.time())

        return await self._submit(change)

    async def add_note(self, round_id: str, text: str, *,
                       addressed_to: Iterable[str] = ()) -> Note:
        """A facilitator's note on a round; with ``addressed_to`` (stakeholder group ids of the
        template, in a distillation round only) one of the day chair's lines to that side."""
        clean = _checked_text(text)
        groups = self._addressees(round_id, addressed_to)

        def change(batch: _Batch) -> Note:
            return batch.insert(Note(round_id=round_id, text=clean, created=time.time(),
                                     addressed_to=groups))

        return await self._submit(change)

    async def edit_line(self, note_id: int, text: str, *, addressed_to: Iterable[str]) -> Note:
        """Correct one of the day chair's lines: its text and the groups it is addressed to
        (at least one). The phones and the wall show the line as it is now."""
        clean = _checked_text(text)

        def change(batch: _Batch) -> Note:
            note = self._existing_note(note_id)
            groups = self._addressees(note.round_id, addressed_to)
            if not groups or not note.addressed_to:
                raise Refused(Reason.UNKNOWN_GROUP, "a line is addressed to one group or more")
            return batch.update(note, text=clean, addressed_to=groups, edited=time.time())

        return await self._submit(change)

    async def remove_note(self, note_id: int) -> Note:
        """Remove a note or one of the day chair's lines: it stays in the file, marked removed,
        and is shown nowhere (the phones and the wall drop a line at once)."""

        def change(batch: _Batch) -> Note:
            return batch.update(self._existing_note(note_id), removed=True, edited=time.time())

        return await self._submit(change)

    async def set_organiser_link(self, *, on: bool) -> SessionInfo:
        """Organiser access on, with a new secret (a link given out before stops working), or
        off (every organiser link is refused until it is switched on again)."""
        secret = new_organiser_secret() if on else ""

        def change(batch: _Batch) -> SessionInfo:
            return batch.update(self.info, organiser_secret=secret)

        return await self._submit(change)

    async def set_comoderator_link(self, *, on: bool) -> SessionInfo:
        """A co-moderator's link, with a new secret (a link given out before stops working), or
        none (every co-moderator link is refused)."""
        secret = new_organiser_secret() if on else ""

        def change(batch: _Batch) -> SessionInfo:
            return batch.update(self.info, comoderator_secret=secret)

        return await self._submit(change)

    async def revoke_card(self, table: str) -> SessionInfo:
        """Revoke the table card of ``table``: its code admits no new device from now on (the
        devices that joined with it keep working), and the card is issued again with a new
        code, to be printed (``facilitator cards``)."""
        if table not in card_tables(self.info):
            raise Refused(Reason.UNKNOWN_TABLE, table)

        def change(batch: _Batch) -> SessionInfo:
            issued = {**self.info.card_issue, table: self.info.card_issue.get(table, 0) + 1}
            return batch.update(self.info, card_issue=issued)

        return await self._submit(change)

    async def set_details(self, *, title: str, place: str = "", held_on: str = ""
                          ) -> SessionInfo:
        """The session's title, its place, and the day it was held (an ISO date; "": the day
        its first round started, see :func:`~facilitator.core.model.held_on`)."""
        clean_title = _checked_text(title, multiline=False, limit=MAX_TITLE_CHARS)
        clean_place = _checked_text(place, multiline=False, limit=MAX_TITLE_CHARS, empty=True)
        day = _checked_date(held_on)

        def change(batch: _Batch) -> SessionInfo:
            return batch.update(self.info, title=clean_title, place=clean_place, held_on=day)

        return await self._submit(change)

    async def set_tables(self, tables: Iterable[str]) -> SessionInfo:
        """The session's tables, each with a table card of its own (none: one card for the
        room). Participants and contributions keep the table they had; the card of a table
        left out admits nobody, and comes back as it was (revoked or not) if the table does."""
        names = checked_tables(tables)

        def change(batch: _Batch) -> SessionInfo:
            return batch.update(self.info, tables=names)

        return await self._submit(change)

    async def set_invited(self, invited: Mapping[str, int]) -> SessionInfo:
        """How many people of each stakeholder group were invited (a group left out, or 0: not
        said); the audit sets the people present against it. Replaces what was said before."""
        numbers: dict[str, int] = {}
        for group_id, count in invited.items():
            if self.template.group(group_id) is None:
                raise Refused(Reason.UNKNOWN_GROUP, group_id)
            if isinstance(count, bool) or not isinstance(count, int) \
                    or not 0 <= count <= MAX_ROOM_SIZE:
                raise Refused(Reason.NOT_A_NUMBER, f"{group_id}={count!r}")
            if count:
                numbers[group_id] = count

        def change(batch: _Batch) -> SessionInfo:
            return batch.update(self.info, invited=numbers)

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

    def _existing_action(self, action_id: int) -> Action:
        action = self._records["actions"].get(action_id)
        if not isinstance(action, Action) or action.removed:
            raise Refused(Reason.NOT_FOUND, f"action {action_id}")
        return action

    def _existing_note(self, note_id: int) -> Note:
        note = self._records["notes"].get(note_id)
        if not isinstance(note, Note) or note.removed:
            raise Refused(Reason.NOT_FOUND, f"note {note_id}")
        return note

    def _addressees(self, round_id: str, addressed_to: Iterable[str]) -> tuple[str, ...]:
        """The stakeholder groups a line is addressed to, checked: groups of the template, in
        a distillation round only."""
        spec = self.template.round(round_id)
        groups = tuple(dict.fromkeys(addressed_to))
        for group_id in groups:
            if self.template.group(group_id) is None:
                raise Refused(Reason.UNKNOWN_GROUP, group_id)
        if groups and spec.kind is not RoundKind.DISTILLATION:
            raise Refused(Reason.NOT_DISTILLATION, round_id)
        return groups

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


def new_session_secret() -> str:
    """The session's server-side secret (256 bits): device ids, form tokens, join codes and
    the wall's address are derived from it."""
    return secrets.token_urlsafe(32)


def new_organiser_secret() -> str:
    """The secret of a room's organiser link, or of its co-moderator's (192 bits)."""
    return secrets.token_urlsafe(24)


def _sent_as(item: Contribution) -> tuple[str, str, str, str]:
    """What makes two sends the same input: the round, the device, the form's key and the
    text as first sent (an edit later keeps it in ``original_text``)."""
    return (item.round_id, item.author, item.nonce, item.original_text or item.text)


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


def _checked_text(text: str, *, multiline: bool = True, limit: int = MAX_CONTRIBUTION_CHARS,
                  empty: bool = False) -> str:
    """Text as typed, cleaned; :class:`Refused` when it is too long, or empty (unless
    ``empty`` may be)."""
    clean = clean_text(text, multiline=multiline)
    problem = check_text(clean, limit)
    if problem is TextProblem.EMPTY and not empty:
        raise Refused(Reason.EMPTY)
    if problem is TextProblem.TOO_LONG:
        raise Refused(Reason.TOO_LONG)
    return clean


def _checked_date(day: str) -> str:
    """An ISO date (YYYY-MM-DD) or ""; :class:`Refused` for anything else."""
    day = day.strip()
    if day:
        try:
            if dt.date.fromisoformat(day).isoformat() != day:
                raise ValueError(day)
        except ValueError:
            raise Refused(Reason.NOT_A_DATE, f"{day!r} (YYYY-MM-DD)") from None
    return day


def prepare(path: Path, data: Tables) -> Tables:
    """What a session file holds, brought up to date and checked like live input, before the
    store keeps any of it (the session file's ``prepare`` hook)."""
    return checked_session(path, migrate(path, data))


def migrate(path: Path, data: Tables) -> Tables:
    """Bring an older session file up to :data:`SCHEMA_VERSION` (in memory; saved on next commit).

    Version 1 is the first; each later version adds a step here, e.g. ``if version < 2: ...``.
    """
    docs = data.get("session")
    if not isinstance(docs, dict) or len(docs) != 1:
        raise SessionCorrupt(path, "the 'session' table must hold exactly one document")
    info = next(iter(docs.values()))
    version = info.get("schema_version", 0) if isinstance(info, dict) else 0
    if not isinstance(version, int) or version < 1:
        raise SessionCorrupt(path, f"unknown schema version {version!r}")
    if version > SCHEMA_VERSION:
        raise SessionCorrupt(
            path,
            f"written by a newer facilitator (schema {version}, this one reads up to "
            f"{SCHEMA_VERSION}); upgrade facilitator to open it",
        )
    for name in TABLES:
        data.setdefault(name, {})
    for doc in data["session"].values():
        if not doc.get("secret"):  # sessions made before device cookies were signed
            doc["secret"] = new_session_secret()
    return data


@contextlib.asynccontextmanager
async def opened(path: Path) -> Any:
    """``async with opened(path) as store:`` opens a session and closes it (flushing) after."""
    store = SessionStore.open(path)
    try:
        yield store
    finally:
        await store.close()
