"""What a round found and who was heard: ranking, themes, and the "who is at the table" audit.

Pure functions over records; the TUI and the report both build their views from these.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from facilitator.core.model import Contribution, Participant, Theme, Vote
from facilitator.core.templates import RoundSpec, Template

UNDISCLOSED = ""
"""The stakeholder "group" of participants who preferred not to say."""


@dataclass(slots=True)
class RankedItem:
    contribution: Contribution
    duplicates: list[Contribution]
    """Contributions merged into this one; their votes count towards it."""
    votes: int
    """Dots received, or the sum of scores."""
    voters: int
    rank: int = 0
    scores: int = 0
    """How many non-zero votes were folded in (one device may have scored merged duplicates)."""

    @property
    def mean_score(self) -> float:
        return self.votes / self.scores if self.scores else 0.0

    @property
    def count(self) -> int:
        """How many times the room said this: itself plus its merged duplicates."""
        return 1 + len(self.duplicates)


def rank_round(
    spec: RoundSpec, contributions: Iterable[Contribution], votes: Iterable[Vote]
) -> list[RankedItem]:
    """The round's visible, counted contributions, best first, with rank numbers (ties share
    a rank).

    ``contributions`` may include hidden and merged ones: merged duplicates fold into their
    target; hidden ones and those still waiting for approval are left out (see
    :attr:`Contribution.counted`). Dots rank by total; scores by mean, then by voters.
    """
    everything = {c.id: c for c in contributions if c.round_id == spec.id}

    def root(item: Contribution) -> Contribution:
        seen = set()
        while item.merged_into and item.merged_into in everything and item.id not in seen:
            seen.add(item.id)
            item = everything[item.merged_into]
        return item

    items: dict[int, RankedItem] = {
        c.id: RankedItem(c, [], 0, 0) for c in everything.values() if c.visible and c.counted
    }
    for c in everything.values():
        if c.merged_into and c.counted:
            target = items.get(root(c).id)
            if target is not None:
                target.duplicates.append(c)
    voters: dict[int, set[str]] = defaultdict(set)
    for vote in votes:
        target_contribution = everything.get(vote.contribution_id)
        if target_contribution is None or not target_contribution.counted or not vote.weight:
            continue
        target = items.get(root(target_contribution).id)
        if target is not None:
            target.votes += vote.weight
            target.scores += 1
            voters[target.contribution.id].add(vote.device_id)
    for cid, devices in voters.items():
        items[cid].voters = len(devices)

    if spec.voting.rule == "score":

        def key(i: RankedItem) -> tuple[float, ...]:
            return (-i.mean_score, -i.voters, i.contribution.id)

        def value(i: RankedItem) -> tuple[float, ...]:
            return (i.mean_score, i.voters)
    else:

        def key(i: RankedItem) -> tuple[float, ...]:
            return (-i.votes, -i.count, i.contribution.id)

        def value(i: RankedItem) -> tuple[float, ...]:
            return (i.votes, i.count)

    ranked = sorted(items.values(), key=key)
    previous: tuple[float, ...] | None = None
    for position, item in enumerate(ranked, start=1):
        current = value(item)
        item.rank = ranked[position - 2].rank if current == previous else position
        previous = current
    return ranked


@dataclass(slots=True)
class ThemeGroup:
    """A theme with its ranked items. ``theme`` None holds the items not yet sorted."""

    theme: Theme | None
    items: list[RankedItem]
    votes: int
    stakeholders: Counter[str] = field(default_factory=Counter)
    """Contributions (with duplicates) per stakeholder group."""


def by_theme(ranked: Sequence[RankedItem], themes: Iterable[Theme]) -> list[ThemeGroup]:
    """Group ranked items by theme, themes with most votes first, unsorted items last."""
    groups = {t.id: ThemeGroup(t, [], 0) for t in themes}
    unsorted = ThemeGroup(None, [], 0)
    for item in ranked:
        group = groups.get(item.contribution.theme_id, unsorted)
        group.items.append(item)
        group.votes += item.votes
        for c in (item.contribution, *item.duplicates):
            group.stakeholders[c.stakeholder] += 1
    ordered = sorted(
        groups.values(), key=lambda g: (-g.votes, -len(g.items), g.theme.id if g.theme else 0)
    )
    return [*ordered, unsorted] if unsorted.items else ordered


# -- the audit -------------------------------------------------------------------------------


class AuditFlag(StrEnum):
    ABSENT = "absent"
    """An expected group has nobody at the table."""
    ABSENT_REQUIRED = "absent_required"
    """A group whose absence must be called out (``must_be_present``) has nobody here."""
    DOMINANT = "dominant"
    """One group holds more than half of the voice."""
    NO_LIVED_EXPERIENCE = "no_lived_experience"
    """No refugee-led or lived-experience voice was heard."""


@dataclass(slots=True)
class GroupFigures:
    group_id: str
    """A template group id, or :data:`UNDISCLOSED`."""
    expected: bool
    present: int
    contributions: int
    votes_won: int
    presence_share: float
    voice_share: float
    """Share of the contributions."""
    votes_share: float
    linkable: bool
    """At or above the anonymity threshold: may be linked to what it said."""

    @property
    def voice_ratio(self) -> float | None:
        """Share of voice ÷ share of presence; 1.0 is a fair share, None when nobody is present."""
        return self.voice_share / self.presence_share if self.presence_share else None


@dataclass(slots=True)
class Audit:
    groups: list[GroupFigures]
    flags: list[tuple[AuditFlag, str]]
    """Each flag with the group id it is about ("" for the room as a whole)."""
    participants: int
    contributions: int
    votes: int

    def figures(self, group_id: str) -> GroupFigures | None:
        return next((g for g in self.groups if g.group_id == group_id), None)

    @property
    def missing(self) -> list[str]:
        return [
            g for flag, g in self.flags if flag in (AuditFlag.ABSENT, AuditFlag.ABSENT_REQUIRED)
        ]


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def audit(
    template: Template,
    participants: Sequence[Participant],
    contributions: Iterable[Contribution],
    votes: Iterable[Vote],
) -> Audit:
    """Who was at the table against who was expected, and whose voice filled the room.

    Contributions count when :attr:`Contribution.counted` (merged duplicates count: someone
    said them).
    Only counts per stakeholder group are used, never names.
    """
    spoken = [c for c in contributions if c.counted]
    by_id = {c.id: c for c in spoken}
    present = Counter(p.stakeholder for p in participants)
    said = Counter(c.stakeholder for c in spoken)
    won: Counter[str] = Counter()
    vote_total = 0
    for vote in votes:
        target = by_id.get(vote.contribution_id)
        if target is not None and vote.weight:
            won[target.stakeholder] += vote.weight
            vote_total += vote.weight

    total_present, total_said = len(participants), len(spoken)
    ids = [g.id for g in template.groups]
    extra = sorted((set(present) | set(said)) - set(ids) - {UNDISCLOSED})
    rows = []
    for group_id in [*ids, *extra, UNDISCLOSED]:
        group = template.group(group_id)
        if group_id == UNDISCLOSED and not present[UNDISCLOSED] and not said[UNDISCLOSED]:
            continue
        rows.append(
            GroupFigures(
                group_id=group_id,
                expected=bool(group and group.expected),
                present=present[group_id],
                contributions=said[group_id],
                votes_won=won[group_id],
                presence_share=_share(present[group_id], total_present),
                voice_share=_share(said[group_id], total_said),
                votes_share=_share(won[group_id], vote_total),
                linkable=group_id != UNDISCLOSED
                and present[group_id] >= template.anonymity_threshold,
            )
        )

    flags: list[tuple[AuditFlag, str]] = []
    for group in template.groups:
        if present[group.id] == 0 and (group.expected or group.must_be_present):
            flags.append(
                (AuditFlag.ABSENT_REQUIRED if group.must_be_present else AuditFlag.ABSENT, group.id)
            )
    for row in rows:
        if row.group_id != UNDISCLOSED and total_said >= 4 and row.voice_share > 0.5:
            flags.append((AuditFlag.DOMINANT, row.group_id))
    lived = [g.id for g in template.groups if g.lived_experience]
    if lived and not any(said[g] for g in lived):
        flags.append((AuditFlag.NO_LIVED_EXPERIENCE, ""))
    return Audit(rows, flags, total_present, total_said, vote_total)


def themes_by_group(
    audit_result: Audit, groups: Sequence[ThemeGroup]
) -> dict[str, list[tuple[ThemeGroup, int]]]:
    """For each linkable stakeholder group: the themes it raised, with how many contributions.

    Groups under the anonymity threshold are left out, so a small group cannot be recognised
    from what it said.
    """
    result: dict[str, list[tuple[ThemeGroup, int]]] = {}
    for figures in audit_result.groups:
        if not figures.linkable:
            continue
        raised = [
            (g, g.stakeholders[figures.group_id])
            for g in groups
            if g.stakeholders[figures.group_id]
        ]
        result[figures.group_id] = sorted(raised, key=lambda pair: -pair[1])
    return result
