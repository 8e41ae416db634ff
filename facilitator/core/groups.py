"""Support per stakeholder group, and the two rankings across the groups at the table.

The room's own ranking (:class:`facilitator.core.ranking.RoundRanking`) adds everybody's votes
up, so a group that is half the room decides its top. This module asks each group separately
and ranks by what the groups say together; the rule is written out for facilitators in
docs/voting.md ("Support per group").

- **Members** (:class:`Membership`): a device belongs to the stakeholder group it said when it
  joined (:attr:`Participant.stakeholder`, its latest word). Groups that may be named
  (facilitator.core.privacy) are compared one by one; every other group, and "prefer not to
  say", is one *pool* (:data:`POOL`), the same pool the report keeps its figures in. A device
  that never joined belongs to no group.
- **Support**: a member supports an item when they gave it a dot, or a score above the middle
  of the scale (4 and 5 of 1–5), on it or on a duplicate merged into it. The share of a group's
  members who saw the item and supported it is smoothed as Pol.is does (Laplace:
  ``(supporters + 1) / (seen + 2)``). In a sampled round *seen* is the members shown it on
  their ballot; in a round whose ballots showed every item, every member present saw it.
- **Carried by every group**: the product of the groups' smoothed support, so one group's
  rejection sinks an item. **Where the groups differ**: the gap between the group that
  supports it most and the one that supports it least.
- **Ties and uncertainty**: in a sampled round each figure has an interval (from the Beta
  posterior of the smoothed share, narrowed by the part of the group that saw the item: when
  every member saw it, nothing is left to estimate); items rank by its lower end, and an item
  shares the rank of the first item of its run while its interval reaches that item's lower
  end. An item needs to have been seen by at least the anonymity threshold of every group
  before it is ranked at all. In a round whose ballots showed everything the figures are exact
  (counted with fractions), so only equal figures tie.

Only the counts are kept live (per item and group, by :class:`RoundRanking`); each ranking is a
sorted list updated per ballot for the items it touches (:class:`AcrossGroups`). What changes
every item at once (who may be named, how many people are present in a round that is not
sampled, a device changing group) marks the lists stale; the next read rebuilds them, once.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from sortedcontainers import SortedList

from facilitator.core.model import Participant
from facilitator.core.ranked import RankedItem
from facilitator.core.templates import RoundKind, RoundSpec, VotingRule

POOL = "_pool"
"""The bucket of every group that may not be named (and of "prefer not to say"). Template group
ids start with a letter, so this never names a real group."""

Z = 1.96
"""How wide an interval is: about 95% of the posterior either side of the estimate."""

MORE_TIED_COUNTED = 1000
"""How far a read counts the items tied beyond those it lists (the rest is "at least")."""


class Standing(StrEnum):
    """Whether a round can be ranked across its groups, as the faces say it."""

    RANKED = "ranked"
    """Two or more groups can be told apart: the ranking is there (it may still be empty)."""
    NOT_VOTED = "not_voted"
    """The round has no vote."""
    ONE_GROUP = "one_group"
    """Everybody present said the same group (or nobody has joined): nothing to compare."""
    POOLED = "pooled"
    """Several groups are present, but too few of each to be named apart (core/privacy.py)."""


class Membership:
    """Which stakeholder group each device joined with, people present per group, and which
    groups the rankings across groups tell apart (one instance per session, shared by the audit
    and every round's ranking)."""

    def __init__(self, order: Sequence[str] = (), threshold: int = 1) -> None:
        self.order = tuple(order)
        """The template's group ids, in the order to show them."""
        self.threshold = threshold
        """The anonymity threshold: also the exposure a group needs on an item in a sampled
        round before its support there is shown or counted."""
        self.group_of: dict[str, str] = {}
        """Device id → the group it said ("" prefer not to say)."""
        self.present: Counter[str] = Counter()
        self.named: frozenset[str] = frozenset()
        self.buckets: tuple[str, ...] = ()
        """The groups compared: named groups with people present, then :data:`POOL` when it
        holds anybody."""
        self.people: dict[str, int] = {}
        """Bucket → people present in it."""
        self.bucket_of: dict[str, str] = {}
        """Group id → its bucket, for every group with people present."""
        self.index_of: dict[str, int] = {}
        """Group id → the position of its bucket in :attr:`buckets`."""
        self.headcount: tuple[int, ...] = ()
        """People present per bucket, in the order of :attr:`buckets`."""
        self.regrouped = 0
        """Bumped whenever the buckets change (every ranking's lists go stale)."""
        self.recounted = 0
        """Bumped whenever the people in a bucket change (rounds not sampled go stale)."""

    def put(self, old: Participant | None, new: Participant | None) -> None:
        if old is not None:
            self.present[old.stakeholder] -= 1
            if self.present[old.stakeholder] <= 0:
                del self.present[old.stakeholder]
            self.group_of.pop(old.device_id, None)
        if new is not None:
            self.present[new.stakeholder] += 1
            self.group_of[new.device_id] = new.stakeholder

    def name(self, named: Iterable[str]) -> None:
        """Set the groups that may be named (facilitator.core.privacy) and work out the
        buckets again; a change makes the rankings stale."""
        named = frozenset(named)
        if named == self.named and self.present.keys() == self.bucket_of.keys():
            # The same groups present, the same named: only how many people are in them.
            people = dict.fromkeys(self.buckets, 0)
            for group, count in self.present.items():
                people[self.bucket_of[group]] += count
            if people != self.people:
                self.recounted += 1
                self.people = people
                self.headcount = tuple(people[b] for b in self.buckets)
            return
        present = [g for g in self.order if self.present.get(g)]
        present += sorted(g for g in self.present if g not in self.order and g)
        own = tuple(g for g in present if g in named)
        bucket_of = {g: (g if g in named else POOL) for g in (*present, "")
                     if self.present.get(g)}
        pooled = sum(n for g, n in self.present.items() if bucket_of.get(g) == POOL)
        buckets = own + ((POOL,) if pooled else ())
        people = {b: 0 for b in buckets}
        for group, count in self.present.items():
            people[bucket_of[group]] += count
        if (buckets, bucket_of) != (self.buckets, self.bucket_of):
            self.regrouped += 1
        if people != self.people:
            self.recounted += 1
        self.named, self.buckets, self.bucket_of, self.people = named, buckets, bucket_of, people
        self.index_of = {g: buckets.index(b) for g, b in bucket_of.items()}
        self.headcount = tuple(people[b] for b in buckets)

    def standing(self) -> Standing:
        if len(self.buckets) >= 2:
            return Standing.RANKED
        named_or_not = [g for g in self.present if g]
        if len(named_or_not) >= 2 or (named_or_not and self.present.get("")):
            return Standing.POOLED
        return Standing.ONE_GROUP


def ranked_across(spec: RoundSpec) -> bool:
    """Whether a round's results can show the rankings across groups beside "most votes": a
    voted round other than the audit (every face asks this, so they agree on it)."""
    return spec.voting.rule != "none" and spec.kind is not RoundKind.AUDIT


def supports(rule: VotingRule, weight: int) -> bool:
    """Whether a vote is support: any dot, or a score above the middle of the scale."""
    if rule.rule == "dots":
        return weight > 0
    if rule.rule == "score":
        return 2 * weight > rule.scale_min + rule.scale_max
    return False


@dataclass(frozen=True, slots=True)
class GroupSupport:
    """One group's support for one item, as every face may show it."""

    group: str
    """A group id that may be named, or :data:`POOL` (the other groups together)."""
    seen: int
    """Members who saw it (in a round not sampled: members present)."""
    supporters: int
    share: float | None
    """The smoothed share ``(supporters + 1) / (seen + 2)``; None when fewer than the anonymity
    threshold saw it (too few to say, and too few to show)."""
    low: float | None
    high: float | None
    """The interval around ``share`` (equal to it in a round not sampled)."""


@dataclass(frozen=True, slots=True)
class AcrossItem:
    """One item of a ranking across groups."""

    item: RankedItem
    """The ranked item (text, votes, merged duplicates, exposure) as the room's ranking has it."""
    rank: int
    """Ties share the rank of the first of them."""
    tied: bool
    """Shares its rank with another item of the round."""
    value: float
    """Carried: the product of the groups' shares; differ: the largest gap between two."""
    low: float
    high: float
    support: tuple[GroupSupport, ...]
    """Each group's support, in the order of :attr:`AcrossRanking.groups`."""
    highest: str
    """The group that supports it most (ties: the first in the order)."""
    lowest: str
    """The group that supports it least."""


@dataclass(frozen=True, slots=True)
class AcrossRanking:
    """One ranking across groups of one round, as the faces read it: plain data."""

    kind: str
    """``"carried"`` (carried by every group) or ``"differ"`` (where the groups differ)."""
    standing: Standing
    groups: tuple[str, ...]
    """The groups compared (ids that may be named, then :data:`POOL`)."""
    items: tuple[AcrossItem, ...]
    """The best ``n`` and every item tied with the n-th (up to a limit: see ``more_tied``)."""
    more_tied: int
    """Items tied with the last one listed that were left out (counted up to
    :data:`MORE_TIED_COUNTED`)."""
    ranked: int
    """Items in this ranking (supported by somebody, and seen enough where sampled)."""
    waiting: int
    """Items somebody supported that too few of some group saw (a sampled round)."""
    sampled: bool
    min_seen: int
    """In a sampled round: the members of every group that must have seen an item."""


@dataclass(frozen=True, slots=True)
class _Figures:
    value: float | Fraction
    low: float | Fraction
    high: float | Fraction
    backed: tuple[int, ...]
    seen: tuple[int, ...]
    highest: int
    lowest: int
    """Positions in the membership's buckets."""


def _unseen(seen: int, people: int) -> float:
    """The finite-population correction: how much of a group's support is still unknown
    when ``seen`` of its ``people`` saw the item (1: a sample from a crowd; 0: all of them
    saw it, and the share is what the group said, not an estimate)."""
    if people <= 1 or seen >= people:
        return 0.0
    return (people - seen) / (people - 1)


class AcrossGroups:
    """The two rankings across groups of one round, kept per ballot (see the module docstring).

    The round's ranking calls :meth:`place` with an item's counts per group whenever they may
    have changed, and :meth:`rebuild` when everything must be placed again.
    """

    KINDS = ("carried", "differ")

    def __init__(self, membership: Membership, rule: VotingRule) -> None:
        self.membership = membership
        self.rule = rule
        self.sampled = False
        self._order: dict[str, SortedList] = {kind: SortedList() for kind in self.KINDS}
        self._keys: dict[str, dict[int, tuple[object, ...]]] = {k: {} for k in self.KINDS}
        self._figures: dict[str, dict[int, _Figures]] = {k: {} for k in self.KINDS}
        self._waiting: set[int] = set()
        self._built = (-1, -1)
        """The membership's (regrouped, recounted) the lists were built for."""

    # -- upkeep ----------------------------------------------------------------------------

    def current(self, sampled: bool) -> bool:
        """Whether the lists hold for the membership as it is now (else rebuild first)."""
        m = self.membership
        if sampled != self.sampled or self._built[0] != m.regrouped:
            return False
        return sampled or self._built[1] == m.recounted

    def rebuild(self, sampled: bool, entries: Iterable[tuple[int, Counter[str], Counter[str]]]
                ) -> None:
        """Place every item afresh: ``entries`` are (item, supporters per group, seen per
        group) of every ranked item somebody supports."""
        self.sampled = sampled
        for kind in self.KINDS:
            self._order[kind].clear()
            self._keys[kind].clear()
            self._figures[kind].clear()
        self._waiting.clear()
        self._built = (self.membership.regrouped, self.membership.recounted)
        if len(self.membership.buckets) < 2 or self.rule.rule == "none":
            return
        for cid, backed_in, seen_in in entries:
            self.place(cid, backed_in, seen_in)

    def place(self, cid: int, backed_in: Counter[str] | None, seen_in: Counter[str] | None
              ) -> None:
        """Put an item where its counts now place it (None: it is not ranked any more)."""
        if self._built == (-1, -1):
            return  # never built: the first read builds everything
        self._waiting.discard(cid)
        found = None
        if backed_in and seen_in is not None and len(self.membership.buckets) >= 2:
            found = self._measure(*self._counts(backed_in, seen_in))
            if found is None:
                self._waiting.add(cid)
        for kind, figures in zip(self.KINDS, found or (None, None), strict=True):
            keys = self._keys[kind]
            key = None if figures is None else (-figures.low, -figures.value, cid)
            old = keys.get(cid)
            if old == key:
                if figures is not None:
                    self._figures[kind][cid] = figures
                continue
            if old is not None:
                self._order[kind].remove(old)
                del keys[cid]
                del self._figures[kind][cid]
            if figures is not None:
                keys[cid] = key  # type: ignore[assignment]
                self._order[kind].add(key)
                self._figures[kind][cid] = figures

    def support(self, backed_in: Counter[str], seen_in: Counter[str]) -> tuple[GroupSupport, ...]:
        """Each group's support of one item (for any item, ranked here or not)."""
        return self._support(*self._counts(backed_in, seen_in))

    def _counts(self, backed_in: Counter[str], seen_in: Counter[str]
                ) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Supporters and members who saw it, per bucket (in the order of the buckets)."""
        m = self.membership
        index = m.index_of
        backed = [0] * len(m.buckets)
        for group, count in backed_in.items():
            at = index.get(group)
            if at is not None:
                backed[at] += count
        if not self.sampled:
            seen = list(m.headcount)
        else:
            seen = [0] * len(m.buckets)
            for group, count in seen_in.items():
                at = index.get(group)
                if at is not None:
                    seen[at] += count
        # A supporter saw the item, whatever order the records came in (a vote read before
        # the sample that showed it, as a session file lists them).
        return tuple(backed), tuple(max(n, s) for n, s in zip(seen, backed, strict=True))

    def _support(self, backed: Sequence[int], seen: Sequence[int]) -> tuple[GroupSupport, ...]:
        rows = []
        m = self.membership
        for bucket, s, n, people in zip(m.buckets, backed, seen, m.headcount, strict=True):
            if self.sampled and n < m.threshold:
                rows.append(GroupSupport(bucket, n, s, None, None, None))
                continue
            share = (s + 1) / (n + 2)
            spread = Z * math.sqrt(share * (1 - share) / (n + 3) * _unseen(n, people)) \
                if self.sampled else 0.0
            rows.append(GroupSupport(bucket, n, s, share, max(0.0, share - spread),
                                     min(1.0, share + spread)))
        return tuple(rows)

    def _measure(self, backed: tuple[int, ...], seen: tuple[int, ...]
                 ) -> tuple[_Figures, _Figures] | None:
        """Both rankings' figures of one item (carried, differ), or None when some group saw
        it too little to say (a sampled round)."""
        if self.sampled and min(seen) < self.membership.threshold:
            return None
        shares: list[float] | list[Fraction]
        if self.sampled:
            shares = [(s + 1) / (n + 2) for s, n in zip(backed, seen, strict=True)]
        else:
            shares = [Fraction(s + 1, n + 2) for s, n in zip(backed, seen, strict=True)]
        count = len(shares)
        high = max(range(count), key=lambda i: (shares[i], -i))
        low = min(range(count), key=lambda i: (shares[i], i))
        product = math.prod(shares)  # type: ignore[arg-type]
        gap = shares[high] - shares[low]
        if not self.sampled:
            return (_Figures(product, product, product, backed, seen, high, low),
                    _Figures(gap, gap, gap, backed, seen, high, low))
        # Beta(s + 1, n - s + 1) per group: the variance of the log of its mean is
        # b / (a (n + 3)); of a share p, p (1 - p) / (n + 3); each shrunk by the part of the
        # group that saw the item (_unseen). Normal on the log for the product (a product of
        # shares is skewed), normal for the gap.
        people = self.membership.headcount
        log_var = sum((n - s + 1) / ((s + 1) * (n + 3)) * _unseen(n, k)
                      for s, n, k in zip(backed, seen, people, strict=True))
        spread = Z * math.sqrt(log_var)
        gap_var = sum(float(shares[i]) * (1 - float(shares[i])) / (seen[i] + 3)
                      * _unseen(seen[i], people[i]) for i in (high, low))
        gap_spread = Z * math.sqrt(gap_var)
        return (_Figures(product, product * math.exp(-spread), product * math.exp(spread),
                         backed, seen, high, low),
                _Figures(gap, max(0.0, float(gap) - gap_spread), float(gap) + gap_spread,
                         backed, seen, high, low))

    # -- reading ---------------------------------------------------------------------------

    def ranking(self, kind: str, n: int, item: Callable[[int], RankedItem], *,
                limit: int | None = None, standing: Standing = Standing.RANKED
                ) -> AcrossRanking:
        """The best ``n`` of one ranking and every item tied with the n-th, at most ``limit``
        items (default ``2 n``; None via :meth:`everything` lists all)."""
        order = self._order[kind]
        figures = self._figures[kind]
        cap = max(n, 2 * n if limit is None else limit)
        listed: list[tuple[int, int]] = []
        more = 0
        for position, (cid, rank) in enumerate(self._ranks(kind)):
            if position >= n and (not listed or rank != listed[-1][1]):
                break
            if len(listed) < cap:
                listed.append((cid, rank))
            elif more < MORE_TIED_COUNTED:
                more += 1
            else:
                break
        ranks = Counter(rank for _, rank in listed)
        if more:
            ranks[listed[-1][1]] += more
        items = tuple(self._across(cid, rank, ranks[rank] > 1, figures[cid], item)
                      for cid, rank in listed)
        return AcrossRanking(kind, standing, self.membership.buckets if standing is
                             Standing.RANKED else (), items, more, len(order),
                             len(self._waiting), self.sampled, self.membership.threshold)

    def everything(self, kind: str) -> list[tuple[int, int, bool]]:
        """Every ranked item of one ranking: (item, rank, tied), best first."""
        ranks = list(self._ranks(kind))
        counts = Counter(rank for _, rank in ranks)
        return [(cid, rank, counts[rank] > 1) for cid, rank in ranks]

    def figures(self, kind: str, cid: int) -> tuple[float, float, float] | None:
        found = self._figures[kind].get(cid)
        if found is None:
            return None
        return float(found.value), float(found.low), float(found.high)

    def _ranks(self, kind: str, start: int = 0) -> Iterable[tuple[int, int]]:
        """(item, rank) best first: an item shares the rank of the first item of its run
        while its interval reaches that item's lower end (exact figures: while equal)."""
        figures = self._figures[kind]
        leader_low: float | Fraction | None = None
        rank = 0
        for position, key in enumerate(self._order[kind]):
            cid = int(key[-1])  # type: ignore[call-overload]
            found = figures[cid]
            if leader_low is None or found.high < leader_low:
                leader_low, rank = found.low, position + 1
            if position >= start:
                yield cid, rank

    def _across(self, cid: int, rank: int, tied: bool, found: _Figures,
                item: Callable[[int], RankedItem]) -> AcrossItem:
        buckets = self.membership.buckets
        return AcrossItem(item(cid), rank, tied, float(found.value), float(found.low),
                          float(found.high), self._support(found.backed, found.seen),
                          buckets[found.highest], buckets[found.lowest])
