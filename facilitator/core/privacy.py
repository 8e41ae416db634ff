"""Which stakeholder groups may be named: the anonymity rule, once, for every face.

A session's TUI, its wall, its report, its summary for the organiser and the event report all
ask this module, so none of them can name a group that another hides.

- **In one session** (:func:`disclosure`): a group is *named* (linked to what it said) when at
  least the template's ``anonymity_threshold`` of its people were present and it is not in the
  pool. The pool (:func:`pooled_groups`) holds the small groups, "prefer not to say", and as
  many of the smallest named groups as it takes to give the pool enough people that nobody in
  it can be picked out by elimination. A pooled group's contributions are not labelled and its
  contributions, votes won and shares are withheld; its presence stays exact (see
  facilitator.report.model.GroupRow for why).
- **Across the rooms of an event** (:func:`event_disclosure`): an event total is the sum of the
  rooms' figures. For a group pooled in one room and exact in the others, the event total minus
  the other rooms' figures would be the very figure that room withheld. So a group's event-wide
  contributions, votes won and shares are shown only when no room pooled it; contributions keep
  the label their own room gives them, never one the event could give.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from facilitator.core.results import UNDISCLOSED, Audit, GroupFigures
from facilitator.core.templates import Template


def pooled_groups(groups: Sequence[GroupFigures], threshold: int,
                  order: Sequence[str] = ()) -> set[str]:
    """The groups whose contributions are not linked to them: one pool of "other/small groups".

    The pool holds every group below the anonymity ``threshold`` and "prefer not to say". Its
    contributions go unlabelled, and if it had fewer than ``threshold`` people present, the
    unlabelled lines could still be told apart by elimination (three labelled "municipality",
    one unlabelled, one refugee-led participant present: the unlabelled one is theirs). So the
    smallest labelled group joins the pool, then the next smallest, until the pool has at least
    ``threshold`` people; when it never gets there, nothing is labelled.

    A group with nobody present and nothing said has nothing to hide and stays out of the pool
    (its row keeps its zeros). An empty pool, or one holding only contributions the facilitator
    typed in (no author, so "prefer not to say" with nobody present), needs no company. Ties
    between labelled groups go to the one listed first in ``order`` (the template's groups),
    so the choice depends on nothing but sizes and the template.
    """
    pooled = {g.group_id for g in groups
              if not g.linkable and (g.present or g.contributions or g.votes_won)}
    people = sum(g.present for g in groups if g.group_id in pooled)
    rank = {group_id: n for n, group_id in enumerate(order)}
    labelled = sorted((g for g in groups if g.group_id not in pooled and g.linkable),
                      key=lambda g: (g.present, rank.get(g.group_id, len(rank)), g.group_id))
    for group in labelled:
        if not 0 < people < threshold:
            break
        pooled.add(group.group_id)
        people += group.present
    return pooled


def named_among(present: Mapping[str, int], threshold: int, order: Sequence[str] = ()
                ) -> frozenset[str]:
    """The groups with people present that may be named, from the people present alone: the
    same as :func:`disclosure`'s ``named`` for them (a group nobody is present for adds nobody
    to the pool, whatever it said), at a fraction of the cost, for what runs on every join
    (the rankings across groups) and for a round's voters (the open data's ballots)."""
    figures = [GroupFigures(group_id=g, expected=False, present=n, contributions=0,
                            votes_won=0, presence_share=0.0, voice_share=0.0, votes_share=0.0,
                            linkable=g != UNDISCLOSED and n >= threshold)
               for g, n in present.items() if n > 0]
    pooled = pooled_groups(figures, threshold, order)
    return frozenset(f.group_id for f in figures if f.linkable and f.group_id not in pooled)


@dataclass(frozen=True, slots=True)
class Disclosure:
    """What one session may say about its stakeholder groups."""

    threshold: int
    named: frozenset[str]
    """Groups that may be linked to what they said."""
    pooled: frozenset[str]
    """Groups counted together: contributions unlabelled, content figures withheld."""

    def may_name(self, group_id: str) -> bool:
        return group_id in self.named

    def withheld(self, group_id: str) -> bool:
        """Whether the group's contributions, votes won and shares are withheld."""
        return group_id in self.pooled

    def count(self, group_id: str, value: int) -> str:
        """A group's contributions or votes won as the session may show them: exact, or only
        which side of the threshold it is on ("< 3", "≥ 3") for a pooled group."""
        if group_id not in self.pooled:
            return str(value)
        return f"< {self.threshold}" if value < self.threshold else f"≥ {self.threshold}"


def disclosure(template: Template, audit: Audit) -> Disclosure:
    """The rule applied to one session's audit (its figures, the template's threshold, and the
    template's order of groups to break ties)."""
    threshold = template.anonymity_threshold
    pooled = pooled_groups(audit.groups, threshold, [g.id for g in template.groups])
    named = {g.group_id for g in audit.groups if g.linkable and g.group_id not in pooled}
    return Disclosure(threshold, frozenset(named), frozenset(pooled))


@dataclass(frozen=True, slots=True)
class EventDisclosure:
    """What an event may say about its stakeholder groups, given what each room may."""

    rooms: tuple[Disclosure, ...]
    withheld: frozenset[str]
    """Groups whose event-wide contributions, votes won and shares are withheld: every group
    some room pooled (see the module docstring)."""

    def exact(self, group_id: str) -> bool:
        """Whether the group's event-wide content figures may be shown."""
        return group_id not in self.withheld


def event_disclosure(rooms: Iterable[Disclosure]) -> EventDisclosure:
    rooms = tuple(rooms)
    withheld: set[str] = set()
    for room in rooms:
        withheld |= room.pooled
    return EventDisclosure(rooms, frozenset(withheld))
