"""The session store: one open session, its file, and the named changes callers make.

:class:`SessionStore` is the session's state (:mod:`facilitator.session.state`: records, indexes,
the live read model, every read) with a file behind it and a single writer in front. Each named
method (``await store.add_contribution(...)``) builds a change (:mod:`facilitator.session.changes`)
and has its rule (:mod:`facilitator.session.participant_rules`,
:mod:`facilitator.session.facilitator_rules`) check it and make it inside a group commit
(:mod:`facilitator.session.writer`, over a :class:`~facilitator.session.batch.Batch`): one commit
task takes everything queued, applies it in order (so a change sees the ones before it: a
second ballot from the same phone is checked against the first), stages the documents it touched
in the session file (facilitator.session.journal) and commits them as one fsynced journal line.
Only then do the callers' futures resolve and subscribers hear what changed. If the write fails,
the batch is rolled back in memory and every caller gets :class:`WriteFailed`: nothing
unacknowledged stays behind. A change whose caller has gone away before its batch starts (a
phone that hung up) is not done at all.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from tinydb import TinyDB

from facilitator.collector import freeze_long_lived
from facilitator.core.joining import JoinCode
from facilitator.core.model import (
    Action,
    Change,
    Contribution,
    Flag,
    Note,
    Participant,
    Record,
    RoundState,
    Sample,
    SessionInfo,
    Source,
    Theme,
)
from facilitator.core.templates import Template, TemplateError
from facilitator.session import facilitator_rules, participant_rules
from facilitator.session.batch import Batch, Step, Written
from facilitator.session.changes import (
    AddAction,
    AddContribution,
    AddNote,
    AddTheme,
    AnotherSet,
    CastBallot,
    DealBallot,
    EditAction,
    EditContribution,
    EditLine,
    GoToRound,
    Join,
    Merge,
    RemoveAction,
    RemoveNote,
    RemoveTheme,
    RenameTheme,
    RevokeCard,
    SessionChange,
    SetComoderatorLink,
    SetDetails,
    SetInvited,
    SetOrganiserLink,
    SetTables,
    SetTimer,
    ToggleFlag,
    Unmerge,
    UpdateContributions,
    UpdateRound,
    UpdateSession,
    Withdraw,
)
from facilitator.session.facilitator_rules import MAX_TIMER_MINUTES
from facilitator.session.files import (
    SessionCorrupt,
    StoreError,
    make_folder,
    real_session_path,
)
from facilitator.session.journal import SessionFile
from facilitator.session.opening import new_session, prepare
from facilitator.session.participant_rules import MAX_SETS
from facilitator.session.state import SessionState
from facilitator.session.writer import Writer

__all__ = ["BATCH_S", "MAX_QUEUED", "MAX_SETS", "MAX_TIMER_MINUTES", "Busy", "SessionStore"]

log = logging.getLogger(__name__)

T = TypeVar("T")

Subscriber = Callable[[tuple[Change, ...]], None]

BATCH_S = 0.004
"""How long one commit may run changes on the loop before it writes them and lets others run
(a batch of hundreds of ballots at once would hold up every page and key press behind it)."""
MAX_QUEUED = 5000
"""Changes waiting for a commit beyond which the store refuses new ones at once (the web
answers 503 with Retry-After): past this, waiting would only make every answer late."""


class Busy(StoreError):
    """Too many changes are waiting to be written; nothing was stored. Try again shortly."""


class SessionStore(SessionState):
    """One open session. Create with :meth:`create` or :meth:`open`; :meth:`close` when done."""

    def __init__(self, db: TinyDB) -> None:
        self.file: SessionFile = db.storage  # type: ignore[assignment]
        self.path = self.file.path
        self.read_only = self.file.read_only
        super().__init__(self.file.read(), self.path)
        self._writer: Writer[Batch] = Writer(
            begin=lambda: Batch(self), write=self._write, done=self._done,
            batch_s=lambda: BATCH_S)
        self._subscribers: list[Subscriber] = []
        self._followers: list[Callable[[list[Written]], None]] = []
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
        data = new_session(template, session_id=session_id, title=title, lang=lang,
                           join_token=join_token, place=place, tables=tables)
        make_folder(path.parent)
        return cls(TinyDB(path, storage=SessionFile, create=data, prepare=prepare))

    @classmethod
    def open(cls, path: Path, *, read_only: bool = False) -> SessionStore:
        """Open an existing session file; refuse a locked or damaged one without touching it.

        ``read_only`` takes no lock (file and journal together always hold every commit, so a
        report can be made while the session runs elsewhere) and refuses every change.
        """
        path = real_session_path(path)
        db = TinyDB(path, storage=SessionFile, read_only=read_only, prepare=prepare)
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
            await self._writer.close()
        finally:
            await self.file.aclose()

    # -- the commit task -----------------------------------------------------------------------

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber`` with what changed after every commit. Returns the unsubscribe."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    def subscribe_written(self, follower: Callable[[list[Written]], None]) -> Callable[[], None]:
        """Call ``follower`` after every commit with what it wrote: each record's document as
        the session file holds it (the same bytes, encoded once), for a copy of the session
        elsewhere (:meth:`take_in`). Returns the unsubscribe."""
        self._followers.append(follower)
        return lambda: self._followers.remove(follower)

    @property
    def queued(self) -> int:
        """Changes waiting for the next commit."""
        return self._writer.queued

    @property
    def _committer(self) -> asyncio.Task[None] | None:
        """The writer's commit task (None until the first change): tests cancel or drop it."""
        return self._writer.task

    @_committer.setter
    def _committer(self, task: asyncio.Task[None] | None) -> None:
        self._writer.task = task

    def _submit(self, change: Callable[[Batch], T]) -> asyncio.Future[T]:
        """Queue a change for the next group commit (:mod:`facilitator.session.writer`)."""
        if self._closed or self.read_only:
            raise RuntimeError(f"{self.path}: the session is closed or open read-only")
        if self._writer.queued >= MAX_QUEUED:
            raise Busy(self.path, f"{self.path}: too many changes waiting to be written")
        return self._writer.submit(change)

    async def _write(self, batch: Batch) -> None:
        """Make one group durable: its documents as one journal line. If the disk refuses
        (:class:`WriteFailed`), the records are taken back and staged as they were, for the
        next commit to write; the writer fails every caller of the group."""
        touched = batch.written = batch.touched()
        batch.staged = batch.stage(self.file, touched)
        try:
            await self.file.commit()
        except Exception:
            batch.undo()
            batch.stage(self.file, touched)  # the records as they were
            raise

    def _done(self, batch: Batch) -> None:
        if batch.written:
            self._publish(batch.written)
            for follower in list(self._followers):
                try:
                    follower(batch.staged)
                except Exception:  # one broken follower must not stop the others
                    log.exception("store follower failed")

    def take_in(self, written: Iterable[tuple[str, int, Record | None]]) -> None:
        """Take in one commit that the session's writer made elsewhere (each record as it is
        now, None when it is gone), then tell the subscribers as a commit here would: how a
        store opened read-only follows the writer (``facilitator.host.copy``)."""
        touched: dict[tuple[str, int], Record | None] = {}
        for table, doc_id, record in written:
            old = self._records[table].get(doc_id)
            touched.setdefault((table, doc_id), old)
            if record is not None:
                self._put(record)
            elif old is not None:
                self._unindex(old)
        if touched:
            self._publish(touched)

    def _publish(self, touched: dict[tuple[str, int], Record | None]) -> None:
        """Tell the subscribers what changed."""
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

    # -- the changes: each made by its rule (participant_rules, facilitator_rules) ------------

    def _make(self, change: SessionChange[T]) -> asyncio.Future[T]:
        """Check ``change`` by its rule and queue it for the next commit."""
        return self._submit(RULES[type(change)](self, change))

    # -- by participants (see changes.py for what each change means) ---------------------------

    async def join(self, device_id: str, *, lang: str, stakeholder: str = "", name: str = "",
                   consent_named: bool = False, table_group: str = "",
                   came_with: JoinCode | None = None) -> Participant:
        """Register a device, or update what it said about itself (:class:`Join`)."""
        return await self._make(Join(
            device_id, lang=lang, stakeholder=stakeholder, name=name,
            consent_named=consent_named, table_group=table_group, came_with=came_with))

    def admits(self, came_with: JoinCode) -> str:
        """How a new device with this code joins now (``"room"`` or ``"card:<table>"``), or
        :class:`Refused` why it may not (:func:`participant_rules.admits`)."""
        return participant_rules.admits(self, came_with)

    async def add_contribution(self, round_id: str, text: str, *, source: Source = Source.WEB,
                               author: str = "", table_group: str | None = None,
                               stakeholder: str | None = None, theme_id: int = 0,
                               nonce: str = "", links: tuple[int, ...] = ()) -> Contribution:
        """Store a contribution; the same send again is the stored one
        (:class:`AddContribution`)."""
        return await self._make(AddContribution(
            round_id, text, source=source, author=author, table_group=table_group,
            stakeholder=stakeholder, theme_id=theme_id, nonce=nonce, links=tuple(links)))

    async def edit_contribution(self, contribution_id: int, text: str, *,
                                device_id: str | None = None, was: str | None = None
                                ) -> Contribution:
        """Change a contribution's text, keeping the first (:class:`EditContribution`)."""
        return await self._make(EditContribution(contribution_id, text, device_id=device_id,
                                                 was=was))

    async def withdraw(self, contribution_id: int, device_id: str) -> Contribution:
        """A participant takes back their own contribution (hidden, never deleted)."""
        return await self._make(Withdraw(contribution_id, device_id))

    async def cast_ballot(self, device_id: str, round_id: str, ballot: Mapping[int, int], *,
                          revision: int | None = None) -> int:
        """Set a device's votes on the items of ``ballot``; returns the ballot's revision
        after the save (:class:`CastBallot`)."""
        return await self._make(CastBallot(device_id, round_id, ballot, revision=revision))

    async def ballot_items(self, device_id: str, round_id: str) -> list[Contribution]:
        """The items a device is asked to vote on in a round, in the order it sees them.

        A round with more visible items than its ``sample_size`` deals each device its own
        sample, least-seen items first (stable: the same device gets the same set back); a
        smaller round shows every item. What a device is shown is recorded (durably, before it
        is shown), so results can count how many saw each item.
        """
        items, _ = participant_rules.ballot_now(self, device_id, round_id, draw=False)
        if items is None:
            await self._make(DealBallot(device_id, round_id))
            items, _ = participant_rules.ballot_now(self, device_id, round_id)
            items = items or []
        return participant_rules.in_order(self, device_id, round_id, items)

    async def another_set(self, device_id: str, round_id: str) -> Sample:
        """Deal a device a further sample of items it has not been shown yet."""
        return await self._make(AnotherSet(device_id, round_id))

    # -- by the facilitator ----------------------------------------------------------------------

    async def update_contributions(self, ids: Iterable[int], **fields: Any) -> list[Contribution]:
        """Set fields on contributions: ``hidden``, ``approved``, ``theme_id``, ``links``..."""
        return await self._make(UpdateContributions(tuple(ids), fields))

    async def toggle_flag(self, contribution_id: int, flag: Flag) -> Contribution:
        return await self._make(ToggleFlag(contribution_id, flag))

    async def merge(self, target_id: int, duplicate_ids: Iterable[int]) -> Contribution:
        """Merge duplicates into ``target_id`` (:class:`Merge`)."""
        return await self._make(Merge(target_id, tuple(duplicate_ids)))

    async def unmerge(self, contribution_id: int) -> Contribution:
        return await self._make(Unmerge(contribution_id))

    async def add_theme(self, round_id: str, name: str) -> Theme:
        return await self._make(AddTheme(round_id, name))

    async def rename_theme(self, theme_id: int, name: str) -> Theme:
        return await self._make(RenameTheme(theme_id, name))

    async def remove_theme(self, theme_id: int) -> Theme:
        """Remove a theme: its contributions are no longer sorted into it."""
        return await self._make(RemoveTheme(theme_id))

    async def update_round(self, round_id: str, **fields: Any) -> RoundState:
        """Open or close submissions, voting and results (``submissions_open=True``...), or
        choose the ranking the results show (``ranking="carried"``, one of ``RANKINGS``)."""
        return await self._make(UpdateRound(round_id, fields))

    async def go_to_round(self, index: int) -> SessionInfo:
        """Make round ``index`` current (:class:`GoToRound`)."""
        return await self._make(GoToRound(index))

    async def set_timer(self, round_id: str, *, running: bool | None = None,
                        add_minutes: float = 0.0, left_minutes: float | None = None,
                        reset: bool = False) -> RoundState:
        """Pause or resume a round's timer, add or take away time, set the time left, or
        start it over (:class:`SetTimer`)."""
        return await self._make(SetTimer(
            round_id, running=running, add_minutes=add_minutes, left_minutes=left_minutes,
            reset=reset))

    async def add_action(self, text: str, *, owner: str = "", due: str = "",
                         contribution_id: int = 0, round_id: str = "") -> Action:
        return await self._make(AddAction(text, owner=owner, due=due,
                                          contribution_id=contribution_id, round_id=round_id))

    async def edit_action(self, action_id: int, text: str, *, owner: str = "",
                          due: str = "") -> Action:
        """Correct an action: its text, its owner and its due date (an ISO date or "")."""
        return await self._make(EditAction(action_id, text, owner=owner, due=due))

    async def remove_action(self, action_id: int) -> Action:
        """Remove an action: it stays in the file, marked removed, and is shown nowhere."""
        return await self._make(RemoveAction(action_id))

    async def add_note(self, round_id: str, text: str, *,
                       addressed_to: Iterable[str] = ()) -> Note:
        """A facilitator's note on a round, or one of the day chair's lines (:class:`AddNote`)."""
        return await self._make(AddNote(round_id, text, tuple(addressed_to)))

    async def edit_line(self, note_id: int, text: str, *, addressed_to: Iterable[str]) -> Note:
        """Correct one of the day chair's lines (:class:`EditLine`)."""
        return await self._make(EditLine(note_id, text, tuple(addressed_to)))

    async def remove_note(self, note_id: int) -> Note:
        """Remove a note or one of the day chair's lines (kept in the file, shown nowhere)."""
        return await self._make(RemoveNote(note_id))

    async def set_organiser_link(self, *, on: bool) -> SessionInfo:
        """Organiser access on with a new secret, or off (:class:`SetOrganiserLink`)."""
        return await self._make(SetOrganiserLink(on))

    async def set_comoderator_link(self, *, on: bool) -> SessionInfo:
        """A co-moderator's link with a new secret, or none (:class:`SetComoderatorLink`)."""
        return await self._make(SetComoderatorLink(on))

    async def revoke_card(self, table: str) -> SessionInfo:
        """Revoke a table's card and issue it again with a new code (:class:`RevokeCard`)."""
        return await self._make(RevokeCard(table))

    async def set_details(self, *, title: str, place: str = "", held_on: str = ""
                          ) -> SessionInfo:
        """The session's title, its place, and the day it was held (:class:`SetDetails`)."""
        return await self._make(SetDetails(title, place=place, held_on=held_on))

    async def set_tables(self, tables: Iterable[str]) -> SessionInfo:
        """The session's tables, each with a table card of its own (:class:`SetTables`)."""
        return await self._make(SetTables(tuple(tables)))

    async def set_invited(self, invited: Mapping[str, int]) -> SessionInfo:
        """How many people of each stakeholder group were invited (:class:`SetInvited`)."""
        return await self._make(SetInvited(invited))

    async def update_session(self, **fields: Any) -> SessionInfo:
        """Change session metadata (title, place, the facilitator's view state...)."""
        return await self._make(UpdateSession(fields))


RULES: dict[type[SessionChange[Any]], Callable[[SessionState, Any], Step[Any]]] = {
    **participant_rules.RULES, **facilitator_rules.RULES}
"""The rule that makes each kind of change."""
