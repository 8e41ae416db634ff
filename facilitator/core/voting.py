"""Voting rules: whether a device's ballot in a round fits the template's rule, and how votes
are counted when they are added up.

**Votes by rule** (:class:`VoteTotals`): a dot is one vote, and a score is one vote whatever its
value. So "votes" means dots given plus scores given, never the sum of 1–5 scores (which would
make a scored round outweigh a dotted one five to one). Every face counts by this rule: the
audit's votes won per group, the session's and each round's totals on the TUI, and the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from facilitator.core.errors import Reason
from facilitator.core.templates import VotingRule


@dataclass(frozen=True, slots=True)
class VoteTotals:
    """Votes added up by rule (see the module docstring)."""

    dots: int = 0
    """Dots given, in rounds voted with dots."""
    scores: int = 0
    """Scores given, in rounds voted with scores (each counts once, whatever its value)."""

    @property
    def total(self) -> int:
        return self.dots + self.scores

    def __add__(self, other: VoteTotals) -> VoteTotals:
        return VoteTotals(self.dots + other.dots, self.scores + other.scores)


def votes_of(rule: str, weight: int) -> VoteTotals:
    """What one vote record adds up to under ``rule`` ("dots", "score" or "none")."""
    if not weight or rule == "none":
        return VoteTotals()
    return VoteTotals(dots=weight) if rule == "dots" else VoteTotals(scores=1)


def check_ballot(
    rule: VotingRule,
    ballot: Mapping[int, int],
    *,
    votable: set[int],
    own: set[int],
    kept: int = 0,
) -> Reason | None:
    """Check a device's ballot for one round (contribution id → dots or score).

    ``votable`` are the items the device may vote on (visible, and shown to it); ``own`` are
    the device's own ones; ``kept`` are the dots it keeps on items outside this ballot (they
    count towards the budget). A weight of 0 means "no vote" and is always allowed. Returns
    why the ballot is refused (the reason the store refuses it with), or None.
    """
    if rule.rule == "none":
        return Reason.NOT_VOTED
    given = {cid: weight for cid, weight in ballot.items() if weight != 0}
    if any(cid not in votable for cid in given):
        return Reason.UNKNOWN_ITEM
    if not rule.own_items and any(cid in own for cid in given):
        return Reason.OWN_ITEM
    if rule.rule == "dots":
        if any(weight < 0 or weight > rule.per_item_cap for weight in given.values()):
            return Reason.OVER_CAP
        if kept + sum(given.values()) > rule.dots:
            return Reason.OVER_BUDGET
    elif any(not rule.scale_min <= weight <= rule.scale_max for weight in given.values()):
        return Reason.OUT_OF_SCALE
    return None
