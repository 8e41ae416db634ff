"""Voting rules: whether a device's ballot in a round fits the template's rule."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from facilitator.core.templates import VotingRule


class BallotProblem(StrEnum):
    NOT_VOTED = "not_voted"
    """The round has no voting."""
    UNKNOWN_ITEM = "unknown_item"
    OWN_ITEM = "own_item"
    OVER_CAP = "over_cap"
    OVER_BUDGET = "over_budget"
    OUT_OF_SCALE = "out_of_scale"


def check_ballot(
    rule: VotingRule,
    ballot: Mapping[int, int],
    *,
    votable: set[int],
    own: set[int],
    kept: int = 0,
) -> BallotProblem | None:
    """Check a device's ballot for one round (contribution id → dots or score).

    ``votable`` are the items the device may vote on (visible, and shown to it); ``own`` are
    the device's own ones; ``kept`` are the dots it keeps on items outside this ballot (they
    count towards the budget). A weight of 0 means "no vote" and is always allowed.
    """
    if rule.rule == "none":
        return BallotProblem.NOT_VOTED
    given = {cid: weight for cid, weight in ballot.items() if weight != 0}
    if any(cid not in votable for cid in given):
        return BallotProblem.UNKNOWN_ITEM
    if not rule.own_items and any(cid in own for cid in given):
        return BallotProblem.OWN_ITEM
    if rule.rule == "dots":
        if any(weight < 0 or weight > rule.per_item_cap for weight in given.values()):
            return BallotProblem.OVER_CAP
        if kept + sum(given.values()) > rule.dots:
            return BallotProblem.OVER_BUDGET
    elif any(not rule.scale_min <= weight <= rule.scale_max for weight in given.values()):
        return BallotProblem.OUT_OF_SCALE
    return None
