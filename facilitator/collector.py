"""Garbage-collector policy, in one place.

A running session keeps thousands of long-lived records; Python's full collections walk all of
them and stall the event loop (17–40 ms at 5,000–20,000 contributions). Long-lived objects are
frozen out of the collector's sight; bursts of short-lived work (a report) pause it instead;
while phones are served, young collections run less often.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


def freeze_long_lived() -> None:
    """Move everything alive now out of the collector's sight (after a young collection, so
    recent garbage is not frozen with it)."""
    gc.collect(1)
    gc.freeze()


COLLECT_YOUNG_AFTER = 10_000
"""Allocations between young collections while serving (Python's default is 700)."""


def collect_young_less_often() -> None:
    """While phones are served: young collections every :data:`COLLECT_YOUNG_AFTER`
    allocations, the older generations after 20 of the younger (Python: 700, 10, 10).

    A request allocates a few thousand objects that are gone once it is answered. Collected
    every 700 allocations, many were caught alive and moved to the older generations, and each
    such move brought the next full collection nearer: what 2,000 phones' connections add
    since the session was frozen is walked by each one (150–290 ms at 20,000 items, a dozen
    times in a run of ``bench room``). With these thresholds the collecting phase's p99 went
    from 80 to 14 ms and voting's CPU from 1.90 to 1.76 ms per request (server alone, 20,000
    items), at the same RSS.
    """
    gc.set_threshold(COLLECT_YOUNG_AFTER, 20, 20)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No automatic collections inside; they resume afterwards if they were on.

    Unlike freeze/unfreeze this leaves what other code froze (the session being run) frozen.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
