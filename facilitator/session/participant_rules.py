"""The participants' rules: joining, sending, editing and withdrawing, voting, and the ballot
a device is shown (its samples and the chance behind them).

Each rule takes the session as it is and one change (:mod:`facilitator.session.changes`), refuses
at once what it can tell before the commit (:class:`~facilitator.core.errors.Refused`), and
returns the step the writer runs inside the group commit, where it sees every change queued
before it (a second ballot from the same phone is checked against the first).
"""

from __future__ import annotations

import random
import time
from typing import Any

from facilitator.core.errors import Reason, Refused
from facilitator.core.joining import JoinCode, admission
from facilitator.core.model import Contribution, HiddenBy, Participant, Sample, Source, Vote
from facilitator.core.templates import RoundKind
from facilitator.core.text import MAX_NAME_CHARS, clean_text
from facilitator.core.voting import check_ballot
from facilitator.session.batch import Batch, Step
from facilitator.session.changes import (
    AddContribution,
    AnotherSet,
    CastBallot,
    DealBallot,
    EditContribution,
    Join,
    SessionChange,
    Withdraw,
)
from facilitator.session.checks import accepts_submissions, checked_text, existing
from facilitator.session.state import SessionState

MAX_SETS = 5
"""How many ballot samples one device may be dealt in a round (it may ask for another)."""
_SAID_ON_JOINING = ("lang", "stakeholder", "name", "consent_named", "table_group")


def join(session: SessionState, change: Join) -> Step[Participant]:
    if change.stakeholder and session.template.group(change.stakeholder) is None:
        raise Refused(Reason.UNKNOWN_GROUP, change.stakeholder)
    if change.table_group and change.table_group not in session.info.tables:
        raise Refused(Reason.UNKNOWN_TABLE, change.table_group)
    clean_name = clean_text(change.name, multiline=False)[:MAX_NAME_CHARS]

    def step(batch: Batch) -> Participant:
        existing_one = session.participant(change.device_id)
        said = Participant(
            device_id=change.device_id,
            lang=change.lang,
            stakeholder=change.stakeholder,
            name=clean_name,
            consent_named=change.consent_named and bool(clean_name),
            table_group=change.table_group,
            joined=time.time(),
        )
        if existing_one is not None:
            return batch.update(existing_one,
                                **{k: getattr(said, k) for k in _SAID_ON_JOINING})
        if change.came_with is not None:
            said.joined_with = admits(session, change.came_with)
        return batch.insert(said)

    return step


def admits(session: SessionState, came_with: JoinCode) -> str:
    """How a new device with this code joins now (``"room"`` or ``"card:<table>"``), or
    :class:`Refused` why it may not: joining closed in the current round, no code, or a code
    that admits nobody (expired, from a revoked card, made up)."""
    if session.round_state(session.current_round.id).joining_closed:
        raise Refused(Reason.JOINING_CLOSED)
    if not came_with.code:
        raise Refused(Reason.NO_CODE)
    joined_with = admission(session.info, came_with.code, came_with.at)
    if joined_with is None:
        raise Refused(Reason.CODE_NOT_VALID)
    return joined_with


def add_contribution(session: SessionState, change: AddContribution) -> Step[Contribution]:
    round_id, author, links = change.round_id, change.author, change.links
    spec = session.template.round(round_id)
    clean = checked_text(change.text)

    def step(batch: Batch) -> Contribution:
        if change.nonce and author:
            for stored in session.sent_so(round_id, author, change.nonce, clean):
                if set(links) <= set(stored.links):
                    return stored
        if change.source is Source.WEB and not accepts_submissions(session, round_id):
            raise Refused(Reason.ROUND_CLOSED)
        for link in links:
            target = session.contribution(link)
            if target is None or session.template.round(
                    target.round_id).kind is not RoundKind.BOTTLENECK:
                raise Refused(Reason.NOT_FOUND, f"bottleneck {link}")
        who = session.participant(author) if author else None
        return batch.insert(
            Contribution(
                round_id=round_id,
                text=clean,
                source=change.source.value,
                author=author,
                stakeholder=change.stakeholder
                if change.stakeholder is not None
                else (who.stakeholder if who else ""),
                table_group=change.table_group
                if change.table_group is not None
                else (who.table_group if who else ""),
                theme_id=change.theme_id,
                approved=not (spec.moderated and change.source is Source.WEB),
                created=time.time(),
                nonce=change.nonce,
                links=tuple(links),
            )
        )

    return step


def edit_contribution(session: SessionState, change: EditContribution) -> Step[Contribution]:
    """A participant's edit, or the facilitator's (``device_id`` None: any contribution)."""
    clean = checked_text(change.text)
    shown = clean_text(change.was) if change.was is not None else None

    def step(batch: Batch) -> Contribution:
        item = own_or_any(session, change.contribution_id, change.device_id)
        if shown is not None and item.text == clean:
            return item  # already so: a resend, or the same change made elsewhere
        if shown is not None and shown != item.text:
            raise Refused(Reason.CHANGED_SINCE)
        fields: dict[str, Any] = {}
        if change.device_id is not None and session.template.round(item.round_id).moderated:
            fields["approved"] = False
        return batch.update(
            item,
            text=clean,
            edited=time.time(),
            original_text=item.original_text or item.text,
            **fields,
        )

    return step


def withdraw(session: SessionState, change: Withdraw) -> Step[Contribution]:
    def step(batch: Batch) -> Contribution:
        item = existing(session, change.contribution_id)
        if item.hidden_by == HiddenBy.AUTHOR.value and item.author == change.device_id:
            return item  # withdrawn already: the same request sent again
        return batch.update(own_or_any(session, change.contribution_id, change.device_id),
                            hidden=True, hidden_by=HiddenBy.AUTHOR.value)

    return step


def own_or_any(session: SessionState, contribution_id: int, device_id: str | None
               ) -> Contribution:
    """The contribution, if the facilitator (``device_id`` None) or its author may change it.

    An author may not once the round stops taking input, once voting opens (votes would end
    up on text the voters never saw) or once it was hidden or merged.
    """
    item = existing(session, contribution_id)
    if device_id is not None:
        if item.author != device_id:
            raise Refused(Reason.NOT_YOURS)
        if (
            not accepts_submissions(session, item.round_id)
            or session.round_state(item.round_id).voting_open
            or not item.visible
        ):
            raise Refused(Reason.ROUND_CLOSED)
    return item


# -- voting ------------------------------------------------------------------------------------


def cast_ballot(session: SessionState, change: CastBallot) -> Step[int]:
    device_id, round_id, ballot, revision = (change.device_id, change.round_id, change.ballot,
                                             change.revision)
    spec = session.template.round(round_id)

    def step(batch: Batch) -> int:
        if not session.round_state(round_id).voting_open:
            raise Refused(Reason.VOTING_CLOSED)
        existing_votes = session.votes_of(device_id, round_id)
        now_at = session.ballot_revision(device_id, round_id)
        if revision is not None and revision != now_at:
            if all((existing_votes[cid].weight if cid in existing_votes else 0) == weight
                   for cid, weight in ballot.items()):
                return now_at
            raise Refused(Reason.BALLOT_CHANGED)
        # Only the ballot's own items are looked at: a commit of many ballots must not scan a
        # round of thousands once per ballot.
        shown = session.shown_to(device_id, round_id)
        items = {cid: session.contribution(cid) for cid in ballot}
        own = {cid for cid, c in items.items() if c is not None and c.author == device_id}
        votable = {
            cid
            for cid, c in items.items()
            if c is not None and c.round_id == round_id and c.visible and c.counted
            # Shown, or one's own where the rule forbids it (then refused as that). One's
            # own item is not votable unseen: its vote would count without its view.
            and (cid in shown or (cid in own and not spec.voting.own_items))
        }
        kept = sum(vote.weight for cid, vote in existing_votes.items()
                   if cid not in ballot and _counts(session, cid))
        problem = check_ballot(spec.voting, ballot, votable=votable, own=own, kept=kept)
        if problem is not None:
            raise Refused(problem)
        now = time.time()
        changed = [(cid, weight) for cid, weight in ballot.items()
                   if (existing_votes[cid].weight if cid in existing_votes else 0) != weight]
        if not changed:
            return now_at
        for cid, weight in changed:
            if cid in existing_votes:
                batch.update(existing_votes[cid], weight=weight, created=now,
                             revision=now_at + 1)
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

    return step


def _counts(session: SessionState, contribution_id: int) -> bool:
    item = session.contribution(contribution_id)
    return item is not None and item.visible and item.counted


# -- the ballot a device is shown --------------------------------------------------------------


def sample_rng(device_id: str, round_id: str, set_no: int) -> random.Random:
    """The chance behind one device's sample: its own, and the same every time (a device id
    is already unguessable; a sample is stored anyway, so this only makes runs repeatable)."""
    return random.Random(f"{round_id}/{device_id}/{set_no}")


def ballot_now(session: SessionState, device_id: str, round_id: str, *, draw: bool = True
               ) -> tuple[list[int] | None, Sample | None]:
    """The items the device votes on now, or None with the sample that must be recorded
    first (a first sample, or a small round's new items; not drawn unless ``draw``)."""
    ranking = session.rankings[round_id]
    rule = ranking.spec.voting
    own = set() if rule.own_items else {
        c.id for c in session.authored(round_id, device_id)}
    current = session.current_set(device_id, round_id)
    candidates = len(ranking.candidates)
    if current is not None:
        return [cid for cid in current.items if cid in ranking.candidates], None
    if candidates > ranking.sample_size:
        if not draw:
            return None, None
        drawn = ranking.candidates.draw(
            ranking.sample_size, sample_rng(device_id, round_id, 1), exclude=own)
        return None, Sample(round_id=round_id, device_id=device_id, items=tuple(drawn),
                            set_no=1, drawn_from=candidates, created=time.time())
    # A round small enough to show whole: every item, as it comes, recorded as seen.
    everything = [cid for cid in session.arrived(round_id) if cid in ranking.candidates]
    seen = session.shown_to(device_id, round_id)
    new = tuple(cid for cid in everything if cid not in seen and cid not in own)
    if not new:
        return everything, None
    return None, Sample(round_id=round_id, device_id=device_id, items=new, set_no=0,
                        drawn_from=candidates, created=time.time())


def in_order(session: SessionState, device_id: str, round_id: str, items: list[int]
             ) -> list[Contribution]:
    """The ballot's items in the order the device sees them: a sample's as drawn, a small
    round's shuffled, the same way for one device every time."""
    found = (session.contribution(cid) for cid in items)
    order = [c for c in found if c is not None]
    if session.current_set(device_id, round_id) is None:
        sample_rng(device_id, round_id, 0).shuffle(order)  # stable for one device
    return order


def deal_ballot(session: SessionState, change: DealBallot) -> Step[None]:
    def step(batch: Batch) -> None:
        _, sample = ballot_now(session, change.device_id, change.round_id)  # as of this commit
        if sample is not None:
            batch.insert(sample)

    return step


def another_set(session: SessionState, change: AnotherSet) -> Step[Sample]:
    device_id, round_id = change.device_id, change.round_id

    def step(batch: Batch) -> Sample:
        ranking = session.rankings[round_id]
        if not session.round_state(round_id).voting_open:
            raise Refused(Reason.VOTING_CLOSED)
        dealt = session.sets_dealt(device_id, round_id)
        if dealt == 0 or len(ranking.candidates) <= ranking.sample_size:
            raise Refused(Reason.NO_MORE_ITEMS, "this round shows every item")
        if dealt >= MAX_SETS:
            raise Refused(Reason.NO_MORE_ITEMS, f"at most {MAX_SETS} sets")
        own = set() if ranking.spec.voting.own_items else {
            c.id for c in session.authored(round_id, device_id)}
        exclude = own | session.shown_to(device_id, round_id)
        drawn = ranking.candidates.draw(
            ranking.sample_size, sample_rng(device_id, round_id, dealt + 1), exclude=exclude)
        if not drawn:
            raise Refused(Reason.NO_MORE_ITEMS, "every item was shown")
        return batch.insert(Sample(round_id=round_id, device_id=device_id,
                                   items=tuple(drawn), set_no=dealt + 1,
                                   drawn_from=len(ranking.candidates),
                                   created=time.time()))

    return step


RULES: dict[type[SessionChange[Any]], Any] = {
    Join: join,
    AddContribution: add_contribution,
    EditContribution: edit_contribution,
    Withdraw: withdraw,
    CastBallot: cast_ballot,
    DealBallot: deal_ballot,
    AnotherSet: another_set,
}
"""The rule that makes each change of a participant."""
