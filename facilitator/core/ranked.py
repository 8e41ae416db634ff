"""A ranked item, as every ranking of a round hands it out: the room's
(:mod:`facilitator.core.ranking`), the rankings across groups (:mod:`facilitator.core.groups`),
the report's and the wall's."""

from __future__ import annotations

from dataclasses import dataclass

from facilitator.core.model import Contribution


@dataclass(slots=True)
class RankedItem:
    """One ranked item of a round: a contribution with its merged duplicates and their votes."""

    contribution: Contribution
    duplicates: list[Contribution]
    """Counted contributions merged into this one; their votes and exposure count towards it."""
    votes: int
    """Dots received, or the sum of scores."""
    voters: int
    """Distinct devices that voted on it (or on a duplicate)."""
    rank: int = 0
    scores: int = 0
    """How many non-zero votes were folded in (one device may have scored merged duplicates)."""
    seen: int = 0
    """Distinct devices shown it (or a duplicate) on their ballot."""
    sampled: bool = False
    """Whether the round was voted on in samples, so ranks go by exposure."""

    @property
    def mean_score(self) -> float:
        return self.votes / self.scores if self.scores else 0.0

    @property
    def per_seen(self) -> float:
        """Dots (or scores) per device that saw it: what a sampled dot round ranks by."""
        return self.votes / self.seen if self.seen else 0.0

    @property
    def count(self) -> int:
        """How many times the room said this: itself plus its merged duplicates."""
        return 1 + len(self.duplicates)
