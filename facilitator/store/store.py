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
import datetime as dt
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from tinydb import TinyDB

from facilitator.collector import freeze_long_lived
from facilitator.core.errors import Reason, Refused
from facilitator.core.joining import JoinCode, admission, card_tables, checked_tables
from facilitator.core.model import (
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
from facilitator.core.templates import (
    RoundKind,
    Template,
    TemplateError,
    localized,
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
from facilitator.store.batch import Batch
from facilitator.store.documents import MAX_ROOM_SIZE
from facilitator.store.files import (
    SessionCorrupt,
    StoreError,
    WriteFailed,
    make_folder,
    real_session_path,
)
from facilitator.store.journal import SessionFile
from facilitator.store.opening import (
    new_organiser_secret,
    new_session,
    prepare,
)
from facilitator.store.state import SessionState
from facilitator.store.writer import Writer

log = logging.getLogger(__name__)

R = TypeVar("R", bound=Record)
T = TypeVar("T")

Subscriber = Callable[[tuple[Change, ...]], None]

_SAID_ON_JOINING = ("lang", "stakeholder", "name", "consent_named", "table_group")
MAX_SETS = 5
"""How many ballot samples one device may be dealt in a round (it may ask for another)."""
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


class SessionStore(SessionState):
    """One open session. Create with :meth:`create` or :meth:`open`; :meth:`close` when done."""

    def __init__(self, db: TinyDB) -> None:
        self.db = db
        """The session as a TinyDB database; its storage is the session file and journal."""
        self.file: SessionFile = db.storage  # type: ignore[assignment]
        self.path = self.file.path
        self.read_only = self.file.read_only
        super().__init__(self.file.read(), self.path)
        self._writer: Writer[Batch] = Writer(
            begin=lambda: Batch(self), write=self._write, done=self._done,
            batch_s=lambda: BATCH_S)
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
        data = new_session(template, session_id=session_id, title=title, lang=lang,
                           join_token=join_token, place=place, tables=tables)
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
            await self._writer.close()
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
        return self._writer.queued

    @property
    def _committer(self) -> asyncio.Task[None] | None:
        """The commit task (None until the first change; a test cancels or drops it)."""
        return self._writer.task

    @_committer.setter
    def _committer(self, task: asyncio.Task[None] | None) -> None:
        self._writer.task = task

    def _submit(self, change: Callable[[Batch], T]) -> asyncio.Future[T]:
        """Queue a change for the next group commit (:mod:`facilitator.store.writer`)."""
        if self._closed or self.read_only:
            raise RuntimeError(f"{self.path}: the session is closed or open read-only")
        if self._writer.queued >= MAX_QUEUED:
            raise Busy(self.path, f"{self.path}: too many changes waiting to be written")
        return self._writer.submit(change)

    async def _write(self, batch: Batch) -> None:
        """Make one group durable: its documents as one journal line. If the disk refuses,
        the records are taken back and staged as they were, for the next commit to write."""
        touched = batch.touched()
        batch.stage(self.file, touched)
        try:
            await self.file.commit()
        except WriteFailed:
            batch.undo()
            batch.stage(self.file, touched)  # the records as they were
            raise

    def _done(self, batch: Batch) -> None:
        touched = batch.touched()
        if touched:
            self._publish(touched)

    def _publish(self, touched: dict[tuple[str, int], Record | None]) -> None:
        """Tell the subscribers what changed (used by the replica)."""
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

        def change(batch: Batch) -> Participant:
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

        def change(batch: Batch) -> Contribution:
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

        def change(batch: Batch) -> Contribution:
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

        def change(batch: Batch) -> Contribution:
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

        def change(batch: Batch) -> int:
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
                raise Refused(Reason(problem.value))
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


    def _counts(self, contribution_id: int) -> bool:
        item = self.contribution(contribution_id)
        return item is not None and item.visible and item.counted


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

            def change(batch: Batch) -> None:
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

        def change(batch: Batch) -> Sample:
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

        def change(batch: Batch) -> list[Contribution]:
            return [batch.update(self._existing(cid), **fields) for cid in wanted]

        return await self._submit(change)

    async def toggle_flag(self, contribution_id: int, flag: Flag) -> Contribution:
        def change(batch: Batch) -> Contribution:
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

        def change(batch: Batch) -> Contribution:
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
        def change(batch: Batch) -> Contribution:
            return batch.update(self._existing(contribution_id), merged_into=0)

        return await self._submit(change)

    async def add_theme(self, round_id: str, name: str) -> Theme:
        clean = _checked_text(name, multiline=False)

        def change(batch: Batch) -> Theme:
            return batch.insert(Theme(round_id=round_id, name=clean, created=time.time()))

        return await self._submit(change)

    async def rename_theme(self, theme_id: int, name: str) -> Theme:
        clean = _checked_text(name, multiline=False)

        def change(batch: Batch) -> Theme:
            theme = self.theme(theme_id)
            if theme is None:
                raise Refused(Reason.NOT_FOUND, f"theme {theme_id}")
            return batch.update(theme, name=clean)

        return await self._submit(change)

    async def remove_theme(self, theme_id: int) -> Theme:
        """Remove a theme: its contributions are no longer sorted into it (a pass over its
        round: a facilitator's action, never a phone's)."""

        def change(batch: Batch) -> Theme:
            theme = self.theme(theme_id)
            if theme is None or theme.removed:
                raise Refused(Reason.NOT_FOUND, f"theme {theme_id}")
            for item in list(self._by_round.get(theme.round_id, {}).values()):
                if item.theme_id == theme_id:
                    batch.update(item, theme_id=0)
            return batch.update(theme, removed=True)

        return await self._submit(change)

    async def update_round(self, round_id: str, **fields: Any) -> RoundState:
        """Open or close submissions, voting and results (``submissions_open=True``...)."""
        self.template.round(round_id)

        def change(batch: Batch) -> RoundState:
            return batch.update(self.round_state(round_id), **fields)

        return await self._submit(change)

    async def go_to_round(self, index: int) -> SessionInfo:
        """Make round ``index`` current; the first visit opens its submissions and timer and
        makes the template's suggested themes (the facilitator can rename, remove and add)."""
        if not 0 <= index < len(self.template.rounds):
            raise Refused(Reason.NOT_FOUND, f"round {index + 1}")
        spec = self.template.rounds[index]

        def change(batch: Batch) -> SessionInfo:
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

        def change(batch: Batch) -> RoundState:
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

        def change(batch: Batch) -> Action:
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
        def change(batch: Batch) -> Action:
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

        def change(batch: Batch) -> Action:
            return batch.update(self._existing_action(action_id), text=clean, owner=clean_owner,
                                due=day, edited=time.time())

        return await self._submit(change)

    async def remove_action(self, action_id: int) -> Action:
        """Remove an action: it stays in the file, marked removed, and is shown nowhere."""

        def change(batch: Batch) -> Action:
            return batch.update(self._existing_action(action_id), removed=True,
                                edited=time.time())

        return await self._submit(change)

    async def add_note(self, round_id: str, text: str, *,
                       addressed_to: Iterable[str] = ()) -> Note:
        """A facilitator's note on a round; with ``addressed_to`` (stakeholder group ids of the
        template, in a distillation round only) one of the day chair's lines to that side."""
        clean = _checked_text(text)
        groups = self._addressees(round_id, addressed_to)

        def change(batch: Batch) -> Note:
            return batch.insert(Note(round_id=round_id, text=clean, created=time.time(),
                                     addressed_to=groups))

        return await self._submit(change)

    async def edit_line(self, note_id: int, text: str, *, addressed_to: Iterable[str]) -> Note:
        """Correct one of the day chair's lines: its text and the groups it is addressed to
        (at least one). The phones and the wall show the line as it is now."""
        clean = _checked_text(text)

        def change(batch: Batch) -> Note:
            note = self._existing_note(note_id)
            groups = self._addressees(note.round_id, addressed_to)
            if not groups or not note.addressed_to:
                raise Refused(Reason.UNKNOWN_GROUP, "a line is addressed to one group or more")
            return batch.update(note, text=clean, addressed_to=groups, edited=time.time())

        return await self._submit(change)

    async def remove_note(self, note_id: int) -> Note:
        """Remove a note or one of the day chair's lines: it stays in the file, marked removed,
        and is shown nowhere (the phones and the wall drop a line at once)."""

        def change(batch: Batch) -> Note:
            return batch.update(self._existing_note(note_id), removed=True, edited=time.time())

        return await self._submit(change)

    async def set_organiser_link(self, *, on: bool) -> SessionInfo:
        """Organiser access on, with a new secret (a link given out before stops working), or
        off (every organiser link is refused until it is switched on again)."""
        secret = new_organiser_secret() if on else ""

        def change(batch: Batch) -> SessionInfo:
            return batch.update(self.info, organiser_secret=secret)

        return await self._submit(change)

    async def set_comoderator_link(self, *, on: bool) -> SessionInfo:
        """A co-moderator's link, with a new secret (a link given out before stops working), or
        none (every co-moderator link is refused)."""
        secret = new_organiser_secret() if on else ""

        def change(batch: Batch) -> SessionInfo:
            return batch.update(self.info, comoderator_secret=secret)

        return await self._submit(change)

    async def revoke_card(self, table: str) -> SessionInfo:
        """Revoke the table card of ``table``: its code admits no new device from now on (the
        devices that joined with it keep working), and the card is issued again with a new
        code, to be printed (``facilitator cards``)."""
        if table not in card_tables(self.info):
            raise Refused(Reason.UNKNOWN_TABLE, table)

        def change(batch: Batch) -> SessionInfo:
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

        def change(batch: Batch) -> SessionInfo:
            return batch.update(self.info, title=clean_title, place=clean_place, held_on=day)

        return await self._submit(change)

    async def set_tables(self, tables: Iterable[str]) -> SessionInfo:
        """The session's tables, each with a table card of its own (none: one card for the
        room). Participants and contributions keep the table they had; the card of a table
        left out admits nobody, and comes back as it was (revoked or not) if the table does."""
        names = checked_tables(tables)

        def change(batch: Batch) -> SessionInfo:
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

        def change(batch: Batch) -> SessionInfo:
            return batch.update(self.info, invited=numbers)

        return await self._submit(change)

    async def update_session(self, **fields: Any) -> SessionInfo:
        """Change session metadata (title, place, the facilitator's view state...)."""

        def change(batch: Batch) -> SessionInfo:
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
