"""The read model: what every face shows of a session, in one object.

Records go in, plain data comes out. A :class:`SessionView` holds a :class:`RoundRanking` per
round (ranked items with merged counts and exposure, the round's counts and votes by rule,
themes with the groups that raised them) and an :class:`AuditTally` (who is at the table),
and answers from them which groups may be named (:mod:`facilitator.core.privacy`) and how the
audit's rows may be shown. The store feeds its live one record by record (:meth:`put`); the
report reads the same object from its read-only open of the session file; the wall, the
organiser's summary and the facilitator's screen read the live one. So a rank, a count, a vote
total or a group's name is worked out once, by one rule, whichever face shows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from facilitator.core.groups import AcrossRanking
from facilitator.core.model import Contribution, Participant, Sample, SessionInfo, Theme, Vote
from facilitator.core.privacy import Disclosure, disclosure, named_among
from facilitator.core.ranking import RoundRanking, ThemeGroup
from facilitator.core.results import Audit, AuditTally, GroupFigures, themes_by_group
from facilitator.core.templates import Template
from facilitator.core.voting import VoteTotals

UNEVEN_BELOW, UNEVEN_ABOVE = 0.5, 1.5
"""A voice ratio at or outside these is called out (a group heard far less, or far more, than
its share of the people present)."""


@dataclass(frozen=True, slots=True)
class GroupShown:
    """One row of "who is at the table", as the session may show it.

    For a pooled group (:func:`facilitator.core.privacy.pooled_groups`) the content figures are
    withheld: contributions and votes won read "< n" or "≥ n" (n = the anonymity threshold) and
    the shares are None. Presence stays exact for every group.
    """

    group_id: str
    expected: bool
    required: bool
    missing: bool
    present: int
    presence_share: float
    contributions: str
    """Exact for a group that may be named; "< n" or "≥ n" for a pooled one."""
    votes_won: str
    voice_share: float | None
    """None: withheld (a pooled group)."""
    votes_share: float | None
    pooled: bool
    votes_cast: str = "0"
    """Votes its members cast (by rule, on contributions that count): exact, or "< n"/"≥ n"
    for a pooled group."""
    cast_share: float | None = 0.0
    """Share of the votes cast; None: withheld (a pooled group)."""
    invited: int | None = None
    """People invited, as the facilitator said (None: not said). Like presence, never
    withheld."""

    @property
    def voice_ratio(self) -> float | None:
        """Share of voice ÷ share of presence (1.0 is a fair share); None when withheld or
        nobody is present."""
        if self.voice_share is None or not self.presence_share:
            return None
        return self.voice_share / self.presence_share

    @property
    def turnout(self) -> float | None:
        """People present ÷ people invited (None: no number invited)."""
        return self.present / self.invited if self.invited else None

    @property
    def uneven(self) -> bool:
        """Heard far less or far more than its share of presence (see :data:`UNEVEN_BELOW`)."""
        ratio = self.voice_ratio
        return ratio is not None and (ratio <= UNEVEN_BELOW or ratio >= UNEVEN_ABOVE)


@dataclass(frozen=True, slots=True)
class Nudge:
    """A group at the table that has said nothing yet, for the facilitator's screen."""

    group_id: str
    present: int
    pooled: bool
    """A group whose figures are withheld: its nudge tells its count (nothing), so a screen
    the room can see leaves it out (:meth:`SessionView.nudges`)."""


@dataclass(frozen=True, slots=True)
class Withheld:
    """Whose figures are withheld, and why (group ids, in the audit's order)."""

    small: tuple[str, ...] = ()
    """Groups under the anonymity threshold (and "prefer not to say")."""
    company: tuple[str, ...] = ()
    """Groups large enough on their own, pooled to keep the small ones company."""

    def __bool__(self) -> bool:
        return bool(self.small or self.company)


class SessionView:
    """The read model of one session (see the module docstring)."""

    def __init__(self, template: Template) -> None:
        self.template = template
        self.tally = AuditTally(template)
        self.rankings: dict[str, RoundRanking] = {
            spec.id: RoundRanking(spec, self.tally.members) for spec in template.rounds}

    def put(self, old: object | None, new: object | None) -> None:
        """Feed one record's change (``old`` None: inserted); any other record is ignored."""
        record = new if new is not None else old
        if isinstance(record, Contribution):
            ranking = self.rankings.get(record.round_id)
            if ranking is not None:
                ranking.put_contribution(old, new)  # type: ignore[arg-type]
            self.tally.put_contribution(old, new)  # type: ignore[arg-type]
        elif isinstance(record, Vote):
            ranking = self.rankings.get(record.round_id)
            if ranking is not None:
                ranking.put_vote(old, new)  # type: ignore[arg-type]
            self.tally.put_vote(old, new)  # type: ignore[arg-type]
        elif isinstance(record, Sample):
            ranking = self.rankings.get(record.round_id)
            if ranking is not None:
                ranking.put_sample(old, new)  # type: ignore[arg-type]
        elif isinstance(record, Participant):
            device = record.device_id
            before = self.tally.members.group_of.get(device)
            self.tally.put_participant(old, new)  # type: ignore[arg-type]
            members = self.tally.members
            members.name(named_among(members.present, members.threshold, members.order))
            if self.tally.members.group_of.get(device) != before:
                for ranking in self.rankings.values():
                    ranking.regroup(device)
        elif isinstance(record, SessionInfo):
            info: SessionInfo | None = new if isinstance(new, SessionInfo) else None
            self.tally.put_info(info.invited if info is not None else {})

    # -- reading -------------------------------------------------------------------------------

    def ranking(self, round_id: str) -> RoundRanking:
        return self.rankings[round_id]

    def audit(self) -> Audit:
        """Who is at the table against who was expected, and whose voice filled the room."""
        return self.tally.figures()

    def disclosure(self, audit: Audit | None = None) -> Disclosure:
        """Which groups may be named now (the one anonymity rule, facilitator.core.privacy)."""
        return disclosure(self.template, audit or self.audit())

    def votes(self, round_id: str | None = None) -> VoteTotals:
        """Votes by rule on the contributions that count: one round's, or the session's."""
        if round_id is not None:
            return self.rankings[round_id].cast
        return self.tally.votes

    def named(self, shown: Disclosure | None = None) -> list[str]:
        """The groups that may be linked to what they said, in the template's order."""
        shown = shown or self.disclosure()
        ids = [g.id for g in self.template.groups if g.id in shown.named]
        return ids + sorted(shown.named - set(ids))

    def themes(self, round_id: str, themes: Sequence[Theme], per_theme: int | None = None
               ) -> tuple[list[ThemeGroup], dict[str, list[tuple[ThemeGroup, int]]]]:
        """The round's themes, most voted first, and for each group that may be named the
        themes it raised with how many contributions (no other group: it could be recognised
        from what it said)."""
        groups = self.rankings[round_id].theme_groups(themes, per_theme)
        return groups, themes_by_group(self.named(), groups)

    def groups(self) -> tuple[list[GroupShown], Withheld]:
        """Who is at the table, row by row as the session may show it, and whose figures are
        withheld."""
        audit = self.audit()
        shown = self.disclosure(audit)
        missing = set(audit.missing)
        rows = [self._row(g, shown, g.group_id in missing) for g in audit.groups]
        withheld = Withheld(
            small=tuple(g.group_id for g in audit.groups
                        if shown.withheld(g.group_id) and not g.linkable),
            company=tuple(g.group_id for g in audit.groups
                          if shown.withheld(g.group_id) and g.linkable))
        return rows, withheld

    def _row(self, figures: GroupFigures, shown: Disclosure, missing: bool) -> GroupShown:
        group = self.template.group(figures.group_id)
        pooled = shown.withheld(figures.group_id)
        return GroupShown(
            group_id=figures.group_id,
            expected=figures.expected,
            required=bool(group and group.must_be_present),
            missing=missing,
            present=figures.present,
            presence_share=figures.presence_share,
            contributions=shown.count(figures.group_id, figures.contributions),
            votes_won=shown.count(figures.group_id, figures.votes_won),
            voice_share=None if pooled else figures.voice_share,
            votes_share=None if pooled else figures.votes_share,
            pooled=pooled,
            votes_cast=shown.count(figures.group_id, figures.votes_cast),
            cast_share=None if pooled else figures.cast_share,
            invited=figures.invited,
        )

    def nudges(self, *, private: bool = False) -> list[Nudge]:
        """The groups present that have said nothing, once the room has said something
        (:data:`facilitator.core.results.NUDGE_AFTER` contributions), in the audit's order.

        A pooled group's nudge gives its withheld count away (it said nothing), so it is left
        out unless ``private``: a screen only the facilitator sees (the TUI while it is not on
        the projector) may show it."""
        audit = self.audit()
        shown = self.disclosure(audit)
        nudges = []
        for group_id in audit.quiet:
            pooled = shown.withheld(group_id)
            if private or not pooled:
                figures = audit.figures(group_id)
                nudges.append(Nudge(group_id, figures.present if figures else 0, pooled))
        return nudges

    def across(self, round_id: str, n: int) -> tuple[AcrossRanking, AcrossRanking]:
        """A round's two rankings across groups ("carried by every group", "where the groups
        differ"): the best ``n`` of each with the items tied with the n-th."""
        ranking = self.rankings[round_id]
        return ranking.carried(n), ranking.differ(n)
