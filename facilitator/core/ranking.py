"""How a round ranks: votes and exposure per item, kept up to date one record at a time.

One implementation serves every face. The store feeds a :class:`RoundRanking` each record as it
changes, so the wall, the phone's ballot and the facilitator's screen read a ranking that is
already there (a new vote costs a few dictionary updates and one re-sort of one item, never a
pass over the round). The report builds the same object from all records at once
(:func:`rank_round`), so the printed ranks are the ones the room saw.

The rule, written out for facilitators in docs/voting.md:

- A *ranked item* is a visible contribution (not hidden, not merged into another, approved where
  the round moderates) together with the counted duplicates merged into it. Votes on any of them
  count for it; the devices that were shown any of them on their ballot have *seen* it.
- In a round whose ballots showed every item (at most ``sample_size`` of them), items rank as
  they always did: dots by total, then by how often the room said it; scores by mean score,
  then by how many scored it.
- In a *sampled* round (some device was shown a sample drawn from more items than
  ``sample_size``), nobody saw everything, so totals would reward the items shown most often.
  Dots rank by dots per time seen; scores by mean score, then by the share of those who saw it
  that scored it. Exposure is balanced by :class:`ExposureLevels` (least-seen items first), so
  every item's denominator is within a small margin of every other's.
- Ties share a rank; the order among tied items is by id (the earliest first).

Beside the room's ranking each item keeps its supporters and viewers per stakeholder group, for
the two rankings across groups ("carried by every group", "where the groups differ") that
:mod:`facilitator.core.groups` keeps from them (:meth:`RoundRanking.carried`,
:meth:`RoundRanking.differ`, :meth:`RoundRanking.group_support`).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from sortedcontainers import SortedList

from facilitator.core.groups import (
    AcrossGroups,
    AcrossRanking,
    GroupSupport,
    Membership,
    Standing,
    supports,
)
from facilitator.core.model import Contribution, Sample, Theme, Vote
from facilitator.core.ranked import RankedItem
from facilitator.core.templates import RoundSpec
from facilitator.core.voting import VoteTotals

MAX_MERGE_DEPTH = 8
"""Merges never chain (the store re-points them); a hand-edited chain is followed this far."""


@dataclass(slots=True)
class _Tally:
    """What is folded into one ranked item (or into a contribution not ranked right now)."""

    members: set[int] = field(default_factory=set)
    """Ids of the counted contributions whose votes sit here (the item itself included)."""
    stakeholders: Counter[str] = field(default_factory=Counter)
    """The stakeholder groups of those contributions (who said it)."""
    votes: int = 0
    scores: int = 0
    voters: Counter[str] = field(default_factory=Counter)
    seen: Counter[str] = field(default_factory=Counter)
    backers: Counter[str] = field(default_factory=Counter)
    """Device → its votes that are support (facilitator.core.groups.supports)."""
    seen_in: Counter[str] = field(default_factory=Counter)
    """Stakeholder group → devices of it in ``seen``."""
    backed_in: Counter[str] = field(default_factory=Counter)
    """Stakeholder group → devices of it in ``backers``."""


@dataclass(slots=True)
class _ThemeTotal:
    order: SortedList = field(default_factory=SortedList)
    votes: int = 0
    said: int = 0
    stakeholders: Counter[str] = field(default_factory=Counter)


@dataclass(slots=True)
class ThemeGroup:
    """A theme with its ranked items. ``theme`` None holds the items not sorted into one."""

    theme: Theme | None
    items: list[RankedItem]
    """Best first; may be cut short (see ``size`` for how many there are)."""
    votes: int
    stakeholders: Counter[str] = field(default_factory=Counter)
    """Contributions (with duplicates) per stakeholder group."""
    size: int = 0
    """How many ranked items the theme holds."""
    said: int = 0
    """How many contributions that is, with their merged duplicates."""


class ExposureLevels:
    """The ballot candidates of a round bucketed by how many devices have seen each.

    :meth:`draw` takes the least-seen items first and picks at random among equally seen ones,
    so exposure stays balanced however phones arrive. Every operation costs O(1) per item
    touched; a draw costs O(k) plus what it has to skip.
    """

    def __init__(self) -> None:
        self._level: dict[int, int] = {}
        self._buckets: dict[int, list[int]] = {}
        self._position: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._level)

    def __contains__(self, item: object) -> bool:
        return item in self._level

    def level(self, item: int) -> int:
        return self._level[item]

    def place(self, item: int, level: int) -> None:
        """Add ``item`` at ``level``, or move it there."""
        if self._level.get(item) == level:
            return
        self.discard(item)
        bucket = self._buckets.setdefault(level, [])
        self._position[item] = len(bucket)
        bucket.append(item)
        self._level[item] = level

    def discard(self, item: int) -> None:
        level = self._level.pop(item, None)
        if level is None:
            return
        bucket = self._buckets[level]
        index = self._position.pop(item)
        last = bucket.pop()
        if last != item:
            bucket[index] = last
            self._position[last] = index
        if not bucket:
            del self._buckets[level]

    def spread(self) -> tuple[int, int]:
        """The lowest and highest level (0, 0 when empty)."""
        if not self._buckets:
            return (0, 0)
        return (min(self._buckets), max(self._buckets))

    def draw(self, k: int, rng: random.Random, exclude: set[int] | frozenset[int] = frozenset()
             ) -> list[int]:
        """Up to ``k`` items, least seen first, at random among equals, none of ``exclude``."""
        chosen: list[int] = []
        for level in sorted(self._buckets):
            need = k - len(chosen)
            if need <= 0:
                break
            bucket = self._buckets[level]
            if len(bucket) <= 4 * (need + len(exclude)):
                pool = [item for item in bucket if item not in exclude]
                chosen.extend(rng.sample(pool, min(need, len(pool))))
                continue
            # A big bucket: pick random positions until enough are found (exclusions are few).
            tried: set[int] = set()
            while need and len(tried) < len(bucket):
                index = rng.randrange(len(bucket))
                if index in tried:
                    continue
                tried.add(index)
                item = bucket[index]
                if item not in exclude:
                    chosen.append(item)
                    need -= 1
        return chosen


class RoundRanking:
    """The live ranking of one round, fed record by record (see the module docstring)."""

    def __init__(self, spec: RoundSpec, membership: Membership | None = None) -> None:
        self.spec = spec
        self.membership = membership if membership is not None else Membership()
        """Who belongs to which stakeholder group (the session's, shared by every round)."""
        self.across = AcrossGroups(self.membership, spec.voting)
        """The two rankings across groups (facilitator.core.groups), kept per ballot."""
        self._took_part: set[str] = set()
        """Devices with a vote or a sample in this round (whose group change moves counts)."""
        self._recount = False
        """A device that took part changed group: count the groups again on the next read."""
        self._moved: set[int] = set()
        """Items whose counts changed since the rankings across groups were last read."""
        self.sample_size = spec.voting.sample_size
        self.sampled = False
        """Whether some ballot was drawn from more than ``sample_size`` items."""
        self._items: dict[int, Contribution] = {}
        self._weights: dict[int, dict[str, int]] = {}
        """Contribution id → device → weight (non-zero votes only)."""
        self._seen: dict[int, Counter[str]] = {}
        """Contribution id → device → how many of its samples showed it."""
        self._placed: dict[int, int] = {}
        """Contribution id → the item whose tally holds its votes."""
        self._pointing: dict[int, set[int]] = {}
        """Contribution id → the ids merged into it."""
        self._tallies: dict[int, _Tally] = {}
        self._keys: dict[int, tuple[float, ...]] = {}
        self._order: SortedList = SortedList()
        self._themes: dict[int, _ThemeTotal] = {}
        self._theme_of: dict[int, int] = {}
        """Ranked item → the theme whose order holds its key."""
        self._shares: dict[int, tuple[int, int, int, Counter[str]]] = {}
        """Ranked item → what it adds to its theme's totals: theme id, votes, count, groups."""
        self.candidates = ExposureLevels()
        """Visible items by exposure: what ballots are drawn from."""
        self.shown = 0
        """Visible, approved contributions (what the wall counts)."""
        self.said = 0
        """Contributions that count (:attr:`Contribution.counted`), merged duplicates included."""
        self.hidden = 0
        self.waiting = 0
        """Not hidden, waiting for the facilitator's approval (a moderated round)."""
        self._weight_sum = 0
        self._vote_count = 0
        """The weight and number of the non-zero votes on contributions that count."""

    # -- feeding ---------------------------------------------------------------------------

    def put_contribution(self, old: Contribution | None, new: Contribution | None) -> None:
        cid = (new or old).id  # type: ignore[union-attr]
        if old is not None and old.merged_into:
            self._pointing.get(old.merged_into, set()).discard(cid)
        if new is not None and new.merged_into:
            self._pointing.setdefault(new.merged_into, set()).add(cid)
        touched = {cid}
        if cid in self._placed:
            touched.add(self._detach(cid))
        for item, sign in ((old, -1), (new, 1)):
            if item is not None:
                self.shown += sign * (item.visible and item.approved)
                self.said += sign * item.counted
                self.hidden += sign * item.hidden
                self.waiting += sign * (not item.hidden and not item.approved)
        if new is None:
            self._items.pop(cid, None)
        else:
            self._items[cid] = new
            if new.counted:
                touched.add(self._attach(cid))
        # Duplicates merged into this one may sit elsewhere: it arrived after them (records
        # load in id order), or it was itself merged or unmerged just now.
        for other in list(self._pointing.get(cid, ())):
            home = self._placed.get(other)
            if home is not None and home != self._root(other):
                touched.add(self._detach(other))
                touched.add(self._attach(other))
        self._rekey(touched)

    def put_vote(self, old: Vote | None, new: Vote | None) -> None:
        for vote, sign in ((old, -1), (new, 1)):
            if vote is None or not vote.weight:
                continue
            weights = self._weights.setdefault(vote.contribution_id, {})
            if sign > 0:
                weights[vote.device_id] = vote.weight
                self._took_part.add(vote.device_id)
            elif weights.get(vote.device_id) == vote.weight:
                del weights[vote.device_id]
            home = self._placed.get(vote.contribution_id)
            if home is not None:
                tally = self._tallies[home]
                tally.votes += sign * vote.weight
                tally.scores += sign
                self._weight_sum += sign * vote.weight
                self._vote_count += sign
                tally.voters[vote.device_id] += sign
                if tally.voters[vote.device_id] <= 0:
                    del tally.voters[vote.device_id]
                if supports(self.spec.voting, vote.weight):
                    self._count(tally.backers, tally.backed_in, vote.device_id, sign)
                self._reorder(home)
                share = self._shares.get(home)
                if share is not None:  # the theme's total moves with it (no recount)
                    self._shares[home] = (share[0], share[1] + sign * vote.weight, *share[2:])
                    self._themes[share[0]].votes += sign * vote.weight

    def put_sample(self, old: Sample | None, new: Sample | None) -> None:
        touched: set[int] = set()
        for sample, sign in ((old, -1), (new, 1)):
            if sample is None:
                continue
            if sign > 0 and sample.drawn_from > self.sample_size and not self.sampled:
                self.sampled = True
                touched.update(self._keys)  # every key changes: rank by exposure from now on
            if sign > 0:
                self._took_part.add(sample.device_id)
            for cid in sample.items:
                seen = self._seen.get(cid)
                if seen is None:
                    seen = self._seen[cid] = Counter()
                seen[sample.device_id] += sign
                if seen[sample.device_id] <= 0:
                    del seen[sample.device_id]
                home = self._placed.get(cid)
                if home is not None:
                    tally = self._tallies[home]
                    self._count(tally.seen, tally.seen_in, sample.device_id, sign)
                    touched.add(home)
        for cid in touched:  # exposure moves ranks, never what a theme adds up
            self._reorder(cid)

    def _root(self, cid: int) -> int:
        item = self._items[cid]
        for _ in range(MAX_MERGE_DEPTH):
            target = self._items.get(item.merged_into) if item.merged_into else None
            if target is None or target.id == cid:
                break
            item = target
        return item.id

    def _attach(self, cid: int) -> int:
        home = self._root(cid)
        tally = self._tallies.setdefault(home, _Tally())
        tally.members.add(cid)
        tally.stakeholders[self._items[cid].stakeholder] += 1
        for device, weight in self._weights.get(cid, {}).items():
            tally.votes += weight
            tally.scores += 1
            tally.voters[device] += 1
            self._weight_sum += weight
            self._vote_count += 1
            if supports(self.spec.voting, weight):
                self._count(tally.backers, tally.backed_in, device, 1)
        for device, times in self._seen.get(cid, {}).items():
            self._count(tally.seen, tally.seen_in, device, times)
        self._placed[cid] = home
        return home

    def _detach(self, cid: int) -> int:
        home = self._placed.pop(cid)
        tally = self._tallies[home]
        tally.members.discard(cid)
        tally.stakeholders[self._items[cid].stakeholder] -= 1
        tally.stakeholders = +tally.stakeholders
        for device, weight in self._weights.get(cid, {}).items():
            tally.votes -= weight
            tally.scores -= 1
            tally.voters[device] -= 1
            self._weight_sum -= weight
            self._vote_count -= 1
            if supports(self.spec.voting, weight):
                self._count(tally.backers, tally.backed_in, device, -1)
        tally.voters = +tally.voters
        for device, times in self._seen.get(cid, {}).items():
            self._count(tally.seen, tally.seen_in, device, -times)
        return home

    def _count(self, devices: Counter[str], groups: Counter[str], device: str, delta: int
               ) -> None:
        """Add ``delta`` to a device's count in ``devices``, and keep ``groups`` (devices per
        stakeholder group) in step when the device comes in or goes out."""
        before = devices[device]
        after = before + delta
        if after > 0:
            devices[device] = after
        else:
            devices.pop(device, None)
        if (before > 0) != (after > 0):
            group = self.membership.group_of.get(device)
            if group is not None:
                groups[group] += 1 if after > 0 else -1
                if groups[group] <= 0:
                    del groups[group]

    def regroup(self, device: str) -> None:
        """The device joined, left or changed its stakeholder group: its counts move (on the
        next read; a device with nothing in this round moves nothing)."""
        if device in self._took_part:
            self._recount = True

    def _ranked(self, cid: int) -> bool:
        item = self._items.get(cid)
        return item is not None and item.visible and item.counted and cid in self._tallies

    def _value(self, tally: _Tally, cid: int) -> tuple[float, ...]:
        """What an item ranks by, best first when sorted ascending (ties share a rank)."""
        count = len(tally.members)
        if self.spec.voting.rule == "score":
            mean = tally.votes / tally.scores if tally.scores else 0.0
            if self.sampled:
                share = len(tally.voters) / len(tally.seen) if tally.seen else 0.0
                return (-mean, -share)
            return (-mean, -len(tally.voters))
        if self.sampled:
            return (-(tally.votes / len(tally.seen) if tally.seen else 0.0), -count)
        return (-tally.votes, -count)

    def _rekey(self, cids: Iterable[int]) -> None:
        """Place each item afresh: its rank and what it adds to its theme."""
        for cid in cids:
            if cid in self._shares:
                self._unshare(cid)
            self._reorder(cid)
            if cid in self._keys:
                self._share(cid, self._tallies[cid])

    def _reorder(self, cid: int) -> None:
        """Put an item's key where it now sorts (in the round and in its theme).

        A key that has not changed stays where it is: being seen once more does not move an
        item nobody has voted for (0 votes per view is 0 however often it is shown), and most
        items of a big round are such items while phones are dealt their samples."""
        ranked = self._ranked(cid)
        if ranked:
            tally = self._tallies[cid]
            key = (*self._value(tally, cid), cid)
            theme_id = self._shares[cid][0] if cid in self._shares else self._items[cid].theme_id
            if self._keys.get(cid) == key and self._theme_of.get(cid) == theme_id:
                self.candidates.place(cid, len(tally.seen))
                self._moved.add(cid)
                return
        old = self._keys.pop(cid, None)
        if old is not None:
            self._order.remove(old)
            self._themes[self._theme_of.pop(cid)].order.remove(old)
        if ranked:
            self._keys[cid] = key
            self._order.add(key)
            self._theme_of[cid] = theme_id
            self._themes.setdefault(theme_id, _ThemeTotal()).order.add(key)
            self.candidates.place(cid, len(tally.seen))
        else:
            self.candidates.discard(cid)
        self._moved.add(cid)  # placed across groups on the next read, once

    def _share(self, cid: int, tally: _Tally) -> None:
        theme_id = self._items[cid].theme_id
        if self._theme_of.get(cid, theme_id) != theme_id:  # moved to another theme
            key = self._keys[cid]
            self._themes[self._theme_of[cid]].order.remove(key)
            self._themes.setdefault(theme_id, _ThemeTotal()).order.add(key)
            self._theme_of[cid] = theme_id
        share = (theme_id, tally.votes, len(tally.members), +tally.stakeholders)
        self._shares[cid] = share
        total = self._themes.setdefault(theme_id, _ThemeTotal())
        total.votes += share[1]
        total.said += share[2]
        total.stakeholders.update(share[3])

    def _unshare(self, cid: int) -> None:
        theme_id, votes, said, stakeholders = self._shares.pop(cid)
        total = self._themes[theme_id]
        total.votes -= votes
        total.said -= said
        total.stakeholders.subtract(stakeholders)
        total.stakeholders = +total.stakeholders

    # -- reading ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._order)

    def __contains__(self, cid: object) -> bool:
        return cid in self._keys

    @property
    def cast(self) -> VoteTotals:
        """The round's votes by rule (facilitator.core.voting): dots given, or scores given, on
        the contributions that count."""
        rule = self.spec.voting.rule
        if rule == "dots":
            return VoteTotals(dots=self._weight_sum)
        return VoteTotals(scores=self._vote_count) if rule == "score" else VoteTotals()

    def rank_of(self, cid: int) -> int:
        """The rank of a ranked item (ties share the rank of the first of them)."""
        key = self._keys[cid]
        return int(self._order.bisect_left((*key[:-1], -1))) + 1

    def item(self, cid: int) -> RankedItem | None:
        """The ranked item ``cid`` is, or counts towards (None: not ranked)."""
        home = self._placed.get(cid)
        if home is None or home not in self._keys:
            return None
        return self._item(home)

    def top(self, n: int) -> list[RankedItem]:
        """The ``n`` best items, with their ranks."""
        return [self._item(int(key[-1])) for key in self._order.islice(0, n)]

    def best(self, n: int, at_most: int | None = None) -> list[RankedItem]:
        """"The ``n`` best": the first ``n`` items and every later one tied with the n-th
        (ties share a rank), so none is left out by the order of arrival. An item nobody voted
        on ties with nothing: with no votes there is no best to share.

        ``at_most`` bounds the list, and the work, where a page is built per request: at 20,000
        items a thousand may tie with the fifth."""
        found = self.top(n)
        if len(found) < n or not found[-1].voters:
            return found
        edge = found[-1].rank
        stop = None if at_most is None else max(at_most, n)
        for key in self._order.islice(n, stop):
            item = self._item(int(key[-1]))
            if item.rank != edge:
                break
            found.append(item)
        return found

    def __iter__(self) -> Iterator[RankedItem]:
        for key in self._order:
            yield self._item(int(key[-1]))

    def ranked(self) -> list[RankedItem]:
        return list(self)

    def _item(self, cid: int) -> RankedItem:
        tally = self._tallies[cid]
        duplicates = sorted((self._items[m] for m in tally.members if m != cid),
                            key=lambda c: c.id)
        return RankedItem(
            contribution=self._items[cid],
            duplicates=duplicates,
            votes=tally.votes,
            voters=len(tally.voters),
            rank=self.rank_of(cid),
            scores=tally.scores,
            seen=len(tally.seen),
            sampled=self.sampled,
        )

    def theme_groups(self, themes: Iterable[Theme], per_theme: int | None = None
                     ) -> list[ThemeGroup]:
        """The round's themes with their best ``per_theme`` items (all when None) and their
        totals, most voted first; items not sorted into one of ``themes`` come last. A theme
        that holds nothing (a template's theme nobody sorted into) is left out."""
        known = {theme.id: theme for theme in themes}
        groups = []
        unsorted = ThemeGroup(None, [], 0)
        for theme_id, total in self._themes.items():
            if not total.order:
                continue
            target = known.get(theme_id)
            keys = total.order if per_theme is None else total.order.islice(0, per_theme)
            items = [self._item(int(key[-1])) for key in keys]
            if target is None:
                unsorted.items.extend(items)
                unsorted.votes += total.votes
                unsorted.size += len(total.order)
                unsorted.said += total.said
                unsorted.stakeholders.update(total.stakeholders)
            else:
                groups.append(ThemeGroup(target, items, total.votes, +total.stakeholders,
                                         size=len(total.order), said=total.said))
        ordered = sorted(groups, key=lambda g: (-g.votes, -g.size,
                                                g.theme.id if g.theme else 0))
        if unsorted.items:
            unsorted.items.sort(key=lambda item: self._keys[item.contribution.id])
            if per_theme is not None:
                del unsorted.items[per_theme:]
            ordered.append(unsorted)
        return ordered

    def seen_by(self, cid: int) -> int:
        """How many devices were shown this contribution itself on their ballot."""
        return len(self._seen.get(cid, ()))

    def exposure_spread(self) -> tuple[int, int]:
        """The least and most often seen visible item (how balanced the samples are)."""
        return self.candidates.spread()

    # -- across the stakeholder groups (facilitator.core.groups) --------------------------------

    @property
    def standing(self) -> Standing:
        """Whether this round can be ranked across groups (one group present says so)."""
        if self.spec.voting.rule == "none":
            return Standing.NOT_VOTED
        return self.membership.standing()

    def carried(self, n: int, *, limit: int | None = None) -> AcrossRanking:
        """"Carried by every group": the best ``n`` and the items tied with the n-th."""
        return self._across_ranking("carried", n, limit)

    def differ(self, n: int, *, limit: int | None = None) -> AcrossRanking:
        """"Where the groups differ": the ``n`` largest gaps and the items tied with the n-th."""
        return self._across_ranking("differ", n, limit)

    def across_all(self, kind: str) -> list[tuple[RankedItem, int, bool]]:
        """Every item of one ranking across groups, best first: (item, rank, tied)."""
        if self.standing is not Standing.RANKED:
            return []
        self._fresh()
        return [(self._item(cid), rank, tied) for cid, rank, tied in
                self.across.everything(kind)]

    def group_support(self, cid: int) -> tuple[GroupSupport, ...]:
        """Each group's support of the ranked item ``cid`` is or counts towards (() when the
        round cannot be ranked across groups, or ``cid`` is not ranked)."""
        home = self._placed.get(cid)
        if home is None or home not in self._keys or self.standing is not Standing.RANKED:
            return ()
        self._fresh()
        tally = self._tallies[home]
        return self.across.support(tally.backed_in, tally.seen_in)

    def _across_ranking(self, kind: str, n: int, limit: int | None) -> AcrossRanking:
        standing = self.standing
        if standing is Standing.RANKED:
            self._fresh()
        else:
            self.across.sampled = self.sampled
        return self.across.ranking(kind, n, self._item, limit=limit, standing=standing) \
            if standing is Standing.RANKED else AcrossRanking(
                kind, standing, (), (), 0, 0, 0, self.sampled, self.membership.threshold)

    def _fresh(self) -> None:
        """Bring the rankings across groups up to date after what changed every item."""
        if self._recount:
            group_of = self.membership.group_of
            for tally in self._tallies.values():
                tally.seen_in = Counter(group_of[d] for d in tally.seen if d in group_of)
                tally.backed_in = Counter(group_of[d] for d in tally.backers if d in group_of)
            self._recount = False
            self.across.rebuild(self.sampled, self._supported())
        elif not self.across.current(self.sampled):
            self.across.rebuild(self.sampled, self._supported())
        else:
            for cid in self._moved:
                ranked = self._tallies[cid] if cid in self._keys else None
                self.across.place(cid, ranked.backed_in if ranked else None,
                                  ranked.seen_in if ranked else None)
        self._moved.clear()

    def _supported(self) -> Iterator[tuple[int, Counter[str], Counter[str]]]:
        for cid in self._keys:
            tally = self._tallies[cid]
            if tally.backers:
                yield cid, tally.backed_in, tally.seen_in


def rank_round(
    spec: RoundSpec,
    contributions: Iterable[Contribution],
    votes: Iterable[Vote],
    samples: Iterable[Sample] = (),
) -> list[RankedItem]:
    """The round's ranked items, best first, from records (what the live ranking holds too).

    ``contributions`` may include hidden and merged ones and other rounds' (which are left
    out); duplicates fold into their target; hidden ones and those waiting for approval do not
    count (see :attr:`Contribution.counted`).
    """
    ranking = RoundRanking(spec)
    for contribution in contributions:
        if contribution.round_id == spec.id:
            ranking.put_contribution(None, contribution)
    for vote in votes:
        if vote.round_id == spec.id:
            ranking.put_vote(None, vote)
    for sample in samples:
        if sample.round_id == spec.id:
            ranking.put_sample(None, sample)
    return ranking.ranked()


def ranks_within(items: Sequence[RankedItem]) -> list[int]:
    """The items' ranks counted within ``items`` alone (best first, ties sharing a rank as in
    the round): a theme's items numbered 1, 2, 2, 4 rather than by their ranks in the round."""
    ranks: list[int] = []
    for position, item in enumerate(items):
        tied = position and item.rank == items[position - 1].rank
        ranks.append(ranks[-1] if tied else position + 1)
    return ranks


def top_ranked(items: Sequence[RankedItem], n: int) -> list[RankedItem]:
    """The first ``n`` items that anybody voted on (what the wall and summaries show)."""
    return [item for item in items if item.voters][:n]
