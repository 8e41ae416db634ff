"""The session in memory: its records, the indexes every request reads, the live read model,
and every read.

Knows nothing of files, commits or processes. A record enters (or leaves) only through
:meth:`SessionState._put` (:meth:`SessionState._unindex`), which keeps every index and the read
model (:class:`~facilitator.core.readmodel.SessionView`) in line; so nothing a phone or a redraw
asks for scans the session. The writing store (facilitator.session.store) and the screen's copy of
the session its host writes (facilitator.host.copy, through ``SessionStore.take_in``) are both a
:class:`SessionState` fed record by record.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from facilitator.core.model import (
    TABLES,
    Action,
    Contribution,
    HiddenBy,
    Note,
    Participant,
    Record,
    RoundState,
    Sample,
    SessionInfo,
    Theme,
    Vote,
)
from facilitator.core.privacy import Disclosure
from facilitator.core.ranking import RoundRanking
from facilitator.core.readmodel import SessionView
from facilitator.core.results import Audit
from facilitator.core.templates import RoundKind, RoundSpec, Template, parse_template
from facilitator.session.journal import Tables

ANSWERABLE = 5
"""How many of a bottleneck round's best items a phone offers an idea to answer."""
ANSWERABLE_TIED = 10
"""At most this many of them when items tie with the fifth: the phone's page stays small and its
cost does not grow with the round (a round of 20,000 can have a thousand tied there)."""

SentAs = tuple[str, str, str, str]
"""What makes two sends the same input (:func:`sent_as`)."""


class SessionState:
    """One session's records with their indexes and live read model, and every read of them."""

    def __init__(self, data: Tables, path: Path) -> None:
        """``data``: the session's tables as the file holds them (checked already)."""
        self._records: dict[str, dict[int, Record]] = {name: {} for name in TABLES}
        """Table → id → record: every record of the session (used by the batch and by
        ``SessionStore.take_in``)."""
        self._by_round: dict[str, dict[int, Contribution]] = {}
        self._by_author: dict[tuple[str, str], dict[int, Contribution]] = {}
        self._by_nonce: dict[SentAs, list[int]] = {}
        """(round, author, nonce, the text as first sent) → the contributions sent so: what a
        resend of the same form with the same text is recognised by (:meth:`sent_as`)."""
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
        self.template: Template = parse_template(info_doc["template"], path)
        self.view = SessionView(self.template)
        """The live read model (facilitator.core.readmodel): every round's ranking and the
        audit's counts, kept by every change."""
        self.rankings: dict[str, RoundRanking] = self.view.rankings
        for name, cls in TABLES.items():
            for doc_id, doc in data.get(name, {}).items():
                self._put(cls.from_doc(int(doc_id), doc))
        self.info: SessionInfo = next(iter(self._records["session"].values()))  # type: ignore[assignment]

    # -- in-memory records and indexes ---------------------------------------------------------

    def _new_id(self, table: str) -> int:
        self._last_id[table] = self._last_id.get(table) or max(self._records[table], default=0)
        self._last_id[table] += 1
        return self._last_id[table]

    def _put(self, record: Record) -> None:
        """Store a record (new or a new version) and bring every index and ranking in line.
        An update that keeps a record's index keys keeps its place in them (arrival order).
        The one way a record enters the session (used by the batch and by
        ``SessionStore.take_in``)."""
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
                        sent = self._by_nonce.setdefault(sent_as(record), [])
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
        """Take a record out of the session (an undone insert): every index and ranking
        (used by the batch and by ``SessionStore.take_in``)."""
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
                if old.nonce and (new_c is None or sent_as(new_c) != sent_as(old)):
                    sent = self._by_nonce.get(sent_as(old), [])
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
        live ranking (the morning's ranking for the afternoon), earliest round first. Costs
        those items per such round, never a pass over them. Empty for any other kind of round.
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

    # -- what the rules look up ----------------------------------------------------------------

    def note(self, note_id: int) -> Note | None:
        """A note or one of the day chair's lines, removed or not."""
        return self._records["notes"].get(note_id)  # type: ignore[return-value]

    def arrived(self, round_id: str) -> Iterable[int]:
        """The ids of a round's contributions (hidden and merged ones too), in arrival order."""
        return self._by_round.get(round_id, {}).keys()

    def authored(self, round_id: str, device_id: str) -> Iterable[Contribution]:
        """Everything one device sent in a round, withdrawn items included."""
        return self._by_author.get((round_id, device_id), {}).values()

    def sent_so(self, round_id: str, author: str, nonce: str, text: str) -> list[Contribution]:
        """The contributions a device sent in a round with this form key and this text as first
        sent: a resend of the same input is one of them (see :func:`sent_as`)."""
        sent = self._by_nonce.get((round_id, author, nonce, text))
        if not sent:
            return []
        records = self._records["contributions"]
        return [records[cid] for cid in sent]  # type: ignore[misc]

    def votes_of(self, device_id: str, round_id: str) -> dict[int, Vote]:
        """A device's vote records in a round by contribution id, taken-back ones (weight 0)
        too: what its next ballot changes."""
        return self._ballots.get((round_id, device_id), {})

    def ballot_revision(self, device_id: str, round_id: str) -> int:
        """How many saves have changed a device's ballot in a round (0: none yet): what a
        ballot page carries, so that a save from an older page is known as such."""
        votes = self._ballots.get((round_id, device_id), {})
        return max((vote.revision for vote in votes.values()), default=0)

    # -- the ballot a device is shown ----------------------------------------------------------

    def current_set(self, device_id: str, round_id: str) -> Sample | None:
        """The latest sample dealt to a device in a sampled round (None: none yet)."""
        sets = [s for s in self._samples.get((round_id, device_id), ()) if s.set_no]
        return sets[-1] if sets else None

    def sets_dealt(self, device_id: str, round_id: str) -> int:
        current = self.current_set(device_id, round_id)
        return current.set_no if current is not None else 0


def sent_as(item: Contribution) -> SentAs:
    """What makes two sends the same input: the round, the device, the form's key and the
    text as first sent (an edit later keeps it in ``original_text``)."""
    return (item.round_id, item.author, item.nonce, item.original_text or item.text)
