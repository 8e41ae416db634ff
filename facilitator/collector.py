"""Garbage-collector policy, in one place.

A running session keeps thousands of long-lived records; Python's full collections walk all of
them and stall the event loop (17–40 ms at 5,000–20,000 contributions). Long-lived objects are
frozen out of the collector's sight; bursts of short-lived work (a report) pause it instead.
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
