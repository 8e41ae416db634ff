"""One event, many rooms: what is combined across sessions, and how.

Pure functions over what each room already computed (its audit, its ranked items, its themes):
the event report (from files) and the event watch (from the rooms' live summaries) both use
them, so the two pictures of the day agree.

- **The audit** is summed per stakeholder group over the rooms (:func:`combine_audits`), with
  the flags of :func:`facilitator.core.results.audit_of_counts`. Which of its figures may be
  shown is facilitator.core.privacy's :class:`EventDisclosure`.
- **Rankings are not comparable across rooms**: a dot in a room of eight is not a dot in a room
  of forty, and some rooms score where others give dots. So the event lists each room's items in
  the order of their rank in their own room, every room's first before any second
  (:func:`by_rank_across`); among equal ranks, the item a larger share of its room backed
  (:func:`support`) comes first, then the room given first.
- **Themes** with the same name (:func:`theme_key`: case, spacing and Unicode forms aside) are
  shown together; the organiser may map one room's theme onto another name in the event file.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from facilitator.core.results import Audit, audit_of_counts
from facilitator.core.templates import StakeholderGroup, Template
from facilitator.core.voting import VoteTotals

T = TypeVar("T")


def event_groups(templates: Iterable[Template]) -> list[StakeholderGroup]:
    """The stakeholder groups of every room's template, by id, in the order first met. A group
    several templates list is expected (or must be present, or speaks from lived experience)
    at the event when any of them says so; its name is the first template's."""
    merged: dict[str, StakeholderGroup] = {}
    for template in templates:
        for group in template.groups:
            seen = merged.get(group.id)
            if seen is None:
                merged[group.id] = group
                continue
            merged[group.id] = seen.model_copy(update={
                "expected": seen.expected or group.expected,
                "must_be_present": seen.must_be_present or group.must_be_present,
                "lived_experience": seen.lived_experience or group.lived_experience,
            })
    return list(merged.values())


def combine_audits(templates: Sequence[Template], audits: Sequence[Audit]) -> Audit:
    """The event's audit: each group's people present, contributions and votes won summed over
    the rooms (room ``n`` is ``templates[n]`` with ``audits[n]``), shares and flags worked out
    again for the whole event."""
    present: Counter[str] = Counter()
    said: Counter[str] = Counter()
    won: Counter[str] = Counter()
    for room in audits:
        for figures in room.groups:
            present[figures.group_id] += figures.present
            said[figures.group_id] += figures.contributions
            won[figures.group_id] += figures.votes_won
    threshold = max((t.anonymity_threshold for t in templates), default=1)
    return audit_of_counts(event_groups(templates), threshold, present, said, won,
                           sum((room.votes for room in audits), VoteTotals()))


def theme_key(name: str) -> str:
    """What makes two theme names the same theme: not case, spacing or Unicode form."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def support(voters: int, participants: int) -> float:
    """The share of a room's participants who voted for an item."""
    return voters / participants if participants else 0.0


def by_rank_across(rooms: Sequence[Sequence[T]], rank: Callable[[T], int],
                   support: Callable[[T], float]) -> list[tuple[int, T]]:
    """Every room's items, each room's ranking kept: ordered by rank in their own room, then by
    ``support`` (the share of its room that backed the item), then by room. Returns (room
    index, item) pairs."""
    pairs = [(index, item) for index, items in enumerate(rooms) for item in items]
    return sorted(pairs, key=lambda pair: (rank(pair[1]), -support(pair[1]), pair[0]))
