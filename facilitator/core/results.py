"""What a round found and who was heard: themes, and the "who is at the table" audit.

Pure functions over records; the TUI and the report both build their views from these. Ranking
itself is facilitator.core.ranking (re-exported here: :func:`rank_round`, :class:`RankedItem`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from facilitator.core.groups import Membership
from facilitator.core.model import Contribution, Participant, Theme, Vote
from facilitator.core.ranked import RankedItem
from facilitator.core.ranking import ThemeGroup, rank_round
from facilitator.core.templates import StakeholderGroup, Template
from facilitator.core.voting import VoteTotals, votes_of

__all__ = ["NUDGE_AFTER", "UNDISCLOSED", "Audit", "AuditFlag", "AuditTally", "GroupFigures",
           "RankedItem", "ThemeGroup", "audit", "audit_of_counts", "by_theme", "gini",
           "rank_round", "themes_by_group"]

UNDISCLOSED = ""
"""The stakeholder "group" of participants who preferred not to say."""

NUDGE_AFTER = 5
"""A group present that has said nothing is called quiet once the room has said this many
contributions (before that, every group is quiet and there is nothing to nudge about)."""


def by_theme(ranked: Sequence[RankedItem], themes: Iterable[Theme]) -> list[ThemeGroup]:
    """Group ranked items by theme, themes with most votes first, unsorted items last; a theme
    that holds nothing is left out.

    The same grouping as :meth:`RoundRanking.theme_groups` (which the live screens use), for a
    list of items already ranked.
    """
    groups = {t.id: ThemeGroup(t, [], 0) for t in themes}
    unsorted = ThemeGroup(None, [], 0)
    for item in ranked:
        group = groups.get(item.contribution.theme_id, unsorted)
        group.items.append(item)
        group.votes += item.votes
        group.size += 1
        group.said += item.count
        for c in (item.contribution, *item.duplicates):
            group.stakeholders[c.stakeholder] += 1
    ordered = sorted(
        (g for g in groups.values() if g.items),
        key=lambda g: (-g.votes, -g.size, g.theme.id if g.theme else 0),
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
    """Votes on its contributions, by rule (facilitator.core.voting: dots plus scores given)."""
    presence_share: float
    voice_share: float
    """Share of the contributions."""
    votes_share: float
    linkable: bool
    """At or above the anonymity threshold: may be linked to what it said."""
    votes_cast: int = 0
    """Votes its members cast, by rule (a dot is one, a score is one), on contributions that
    count."""
    cast_share: float = 0.0
    """Share of the votes cast."""
    invited: int | None = None
    """How many of it were invited, as the facilitator said (None: not said)."""

    @property
    def voice_ratio(self) -> float | None:
        """Share of voice ÷ share of presence; 1.0 is a fair share, None when nobody is present."""
        return self.voice_share / self.presence_share if self.presence_share else None

    @property
    def turnout(self) -> float | None:
        """People present ÷ people invited (None: no number invited)."""
        return self.present / self.invited if self.invited else None


@dataclass(slots=True)
class Audit:
    groups: list[GroupFigures]
    flags: list[tuple[AuditFlag, str]]
    """Each flag with the group id it is about ("" for the room as a whole)."""
    participants: int
    contributions: int
    votes: VoteTotals
    """Votes on the contributions that count, by rule (facilitator.core.voting)."""
    gini: float | None = None
    """How unequal the contributions of the people present were: the Gini coefficient over
    every participant, those who sent nothing counted as zeros (0: everyone sent as much; near
    1: one person sent everything). None while nobody has joined or nothing was sent."""
    representation: float | None = None
    """The expected groups' presence: the lowest group's people ÷ the highest group's (1.0:
    evenly represented; 0: an expected group is missing). None without expected groups or
    while nobody has joined."""
    invited_representation: float | None = None
    """The same against the numbers invited: the lowest turnout (present ÷ invited) ÷ the
    highest, over the groups with a number invited. None when none was said."""
    quiet: list[str] = field(default_factory=list)
    """Groups with people present that have said nothing, once the room has said
    :data:`NUDGE_AFTER` contributions (what the facilitator's nudge is about)."""
    spread: dict[int, int] = field(default_factory=dict)
    """Contributions per participant → how many participants sent that many (what the Gini
    is worked out from; an event adds its rooms')."""

    def figures(self, group_id: str) -> GroupFigures | None:
        return next((g for g in self.groups if g.group_id == group_id), None)

    @property
    def missing(self) -> list[str]:
        return [
            g for flag, g in self.flags if flag in (AuditFlag.ABSENT, AuditFlag.ABSENT_REQUIRED)
        ]


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


class AuditTally:
    """The audit's counts, kept up to date one record at a time (the store feeds it), so the
    facilitator's screen reads the audit without a pass over the session; :func:`audit` builds
    the same from all records at once."""

    def __init__(self, template: Template) -> None:
        self.template = template
        self.members = Membership([g.id for g in template.groups], template.anonymity_threshold)
        """Who joined saying which group: people present per group, and the groups the
        rankings across groups compare (every round's ranking reads the same one)."""
        self.said: Counter[str] = Counter()
        self.won: Counter[str] = Counter()
        """Votes won per group, by rule (facilitator.core.voting)."""
        self.votes = VoteTotals()
        """Votes on counted contributions, by rule."""
        self._rules = {spec.id: spec.voting.rule for spec in template.rounds}
        self._counted: dict[int, str] = {}
        """Counted contribution id → its stakeholder group."""
        self._received: dict[int, VoteTotals] = {}
        """Contribution id → the votes it received, by rule."""
        self.cast: Counter[str] = Counter()
        """Votes cast per group (by the voter's group), by rule, on counted contributions."""
        self._cast_on: dict[int, Counter[str]] = {}
        """Contribution id → device → the votes it cast there, by rule."""
        self._cast_by: Counter[str] = Counter()
        """Device → the votes it cast on counted contributions, by rule."""
        self._author: dict[int, str] = {}
        """Counted contribution id → the device that sent it (phones only)."""
        self._said_by: Counter[str] = Counter()
        """Device → counted contributions it sent."""
        self.spread: Counter[int] = Counter()
        """Contributions sent → participants who sent that many (zeros included)."""
        self.invited: dict[str, int] = {}
        """Group → people invited, as the facilitator said (SessionInfo.invited)."""

    @property
    def present(self) -> Counter[str]:
        """People present per stakeholder group ("": prefer not to say)."""
        return self.members.present

    def put_participant(self, old: Participant | None, new: Participant | None) -> None:
        device = (new or old).device_id  # type: ignore[union-attr]
        before = self.members.group_of.get(device)
        if old is not None:
            self._spread(device, -1)
        self.members.put(old, new)
        if new is not None:
            self._spread(device, 1)
        after = self.members.group_of.get(device)
        if before != after and self._cast_by[device]:
            if before is not None:
                self._bump(self.cast, before, -self._cast_by[device])
            if after is not None:
                self._bump(self.cast, after, self._cast_by[device])

    def put_info(self, invited: Mapping[str, int]) -> None:
        self.invited = {g: n for g, n in invited.items() if n > 0}

    def _spread(self, device: str, sign: int) -> None:
        self._bump(self.spread, self._said_by[device], sign)  # type: ignore[arg-type]

    @staticmethod
    def _bump(counter: Counter[str] | Counter[int], key: str | int, delta: int) -> None:
        counter[key] += delta  # type: ignore[index]
        if not counter[key]:  # type: ignore[index]
            del counter[key]  # type: ignore[arg-type]

    def put_contribution(self, old: Contribution | None, new: Contribution | None) -> None:
        cid = (new or old).id  # type: ignore[union-attr]
        received = self._received.get(cid, _NONE)
        group = self._counted.pop(cid, None)
        if group is not None:
            self.said[group] -= 1
            self._count(group, received, -1)
            self._cast_here(cid, -1)
            self._sent(self._author.pop(cid, ""), -1)
        if new is not None and new.counted:
            self._counted[cid] = new.stakeholder
            self.said[new.stakeholder] += 1
            self._count(new.stakeholder, received, 1)
            self._cast_here(cid, 1)
            if new.author:
                self._author[cid] = new.author
                self._sent(new.author, 1)

    def _sent(self, device: str, delta: int) -> None:
        """A device's count of counted contributions moves (and the spread with it)."""
        if not device:
            return
        joined = device in self.members.group_of
        if joined:
            self._spread(device, -1)
        self._bump(self._said_by, device, delta)
        if joined:
            self._spread(device, 1)

    def _cast_here(self, cid: int, sign: int) -> None:
        """A contribution starts or stops counting: the votes cast on it with it."""
        for device, cast in self._cast_on.get(cid, {}).items():
            self._cast(device, sign * cast)

    def _cast(self, device: str, delta: int) -> None:
        self._bump(self._cast_by, device, delta)
        group = self.members.group_of.get(device)
        if group is not None:
            self._bump(self.cast, group, delta)

    def put_vote(self, old: Vote | None, new: Vote | None) -> None:
        for vote, sign in ((old, -1), (new, 1)):
            if vote is None or not vote.weight:
                continue
            cast = votes_of(self._rules.get(vote.round_id, "none"), vote.weight)
            received = self._received.get(vote.contribution_id, _NONE)
            self._received[vote.contribution_id] = (
                received + cast if sign > 0 else
                VoteTotals(received.dots - cast.dots, received.scores - cast.scores))
            on = self._cast_on.setdefault(vote.contribution_id, Counter())
            self._bump(on, vote.device_id, sign * cast.total)
            group = self._counted.get(vote.contribution_id)
            if group is not None:
                self._count(group, cast, sign)
                self._cast(vote.device_id, sign * cast.total)

    def _count(self, group: str, cast: VoteTotals, sign: int) -> None:
        self.won[group] += sign * cast.total
        self.votes = VoteTotals(self.votes.dots + sign * cast.dots,
                                self.votes.scores + sign * cast.scores)

    def figures(self) -> Audit:
        """Who was at the table against who was expected, and whose voice filled the room."""
        template = self.template
        return audit_of_counts(template.groups, template.anonymity_threshold, self.present,
                               self.said, self.won, self.votes, cast=self.cast,
                               spread=self.spread, invited=self.invited)


_NONE = VoteTotals()


def gini(spread: Mapping[int, int]) -> float | None:
    """The Gini coefficient of a spread (value → how many people have it): the mean absolute
    difference between two people's values over twice the mean. None for nobody, or nothing."""
    people = sum(spread.values())
    total = sum(value * n for value, n in spread.items())
    if not people or not total:
        return None
    below = below_sum = differences = 0
    for value in sorted(spread):
        n = spread[value]
        differences += n * (below * value - below_sum)
        below += n
        below_sum += n * value
    return differences / (people * total)


def audit_of_counts(groups: Sequence[StakeholderGroup], threshold: int, present: Counter[str],
                    said: Counter[str], won: Counter[str], votes: VoteTotals, *,
                    cast: Counter[str] | None = None, spread: Mapping[int, int] | None = None,
                    invited: Mapping[str, int] | None = None) -> Audit:
    """The audit from counts per stakeholder group: people present, contributions said, votes
    won and cast by rule (a session's, or an event's summed over its rooms); ``groups`` are the
    expected ones, in the order to show them; ``spread`` the contributions per participant (for
    the Gini), ``invited`` the people invited per group where the facilitator said."""
    vote_total = votes.total
    said, won = +said, +won
    cast = +(cast or Counter())
    cast_total = sum(cast.values())
    invited = invited or {}
    total_present, total_said = sum(present.values()), sum(said.values())
    ids = [g.id for g in groups]
    by_id = {g.id: g for g in groups}
    extra = sorted((set(+present) | set(said)) - set(ids) - {UNDISCLOSED})
    rows = []
    for group_id in [*ids, *extra, UNDISCLOSED]:
        group = by_id.get(group_id)
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
                linkable=group_id != UNDISCLOSED and present[group_id] >= threshold,
                votes_cast=cast[group_id],
                cast_share=_share(cast[group_id], cast_total),
                invited=invited.get(group_id) or None,
            )
        )

    flags: list[tuple[AuditFlag, str]] = []
    for group in groups:
        if present[group.id] == 0 and (group.expected or group.must_be_present):
            flags.append((AuditFlag.ABSENT_REQUIRED if group.must_be_present
                          else AuditFlag.ABSENT, group.id))
    for row in rows:
        if row.group_id != UNDISCLOSED and total_said >= 4 and row.voice_share > 0.5:
            flags.append((AuditFlag.DOMINANT, row.group_id))
    lived = [g.id for g in groups if g.lived_experience]
    if lived and not any(said[g] for g in lived):
        flags.append((AuditFlag.NO_LIVED_EXPERIENCE, ""))
    quiet = [row.group_id for row in rows if row.group_id != UNDISCLOSED and row.present
             and not row.contributions] if total_said >= NUDGE_AFTER else []
    return Audit(rows, flags, total_present, total_said, votes, gini=gini(spread or {}),
                 representation=_lowest_to_highest([present[g.id] for g in groups
                                                    if g.expected]),
                 invited_representation=_lowest_to_highest(
                     [present[g] / n for g, n in invited.items() if n > 0 and g in by_id]),
                 quiet=quiet, spread=dict(spread or {}))


def _lowest_to_highest(values: Sequence[float]) -> float | None:
    """The lowest value ÷ the highest (None: no values, or all of them 0)."""
    highest = max(values, default=0)
    return min(values) / highest if highest else None


def audit(
    template: Template,
    participants: Sequence[Participant],
    contributions: Iterable[Contribution],
    votes: Iterable[Vote],
) -> Audit:
    """Who was at the table against who was expected, and whose voice filled the room.

    Contributions count when :attr:`Contribution.counted` (merged duplicates count: someone
    said them). Only counts per stakeholder group are used, never names.
    """
    tally = AuditTally(template)
    for participant in participants:
        tally.put_participant(None, participant)
    for contribution in contributions:
        tally.put_contribution(None, contribution)
    for vote in votes:
        tally.put_vote(None, vote)
    return tally.figures()


def themes_by_group(
    named: Iterable[str], groups: Sequence[ThemeGroup]
) -> dict[str, list[tuple[ThemeGroup, int]]]:
    """For each of the ``named`` stakeholder groups (those that may be linked to what they said,
    facilitator.core.privacy, in the order to show them): the themes it raised, with how many
    contributions. Every other group is left out, so a small group cannot be recognised from
    what it said.
    """
    result: dict[str, list[tuple[ThemeGroup, int]]] = {}
    for group_id in named:
        raised = [(g, g.stakeholders[group_id]) for g in groups if g.stakeholders[group_id]]
        result[group_id] = sorted(raised, key=lambda pair: -pair[1])
    return result
