"""Shared pieces of the benchmarks: sessions of a given size, percentiles, the loop-stall probe."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from facilitator.core.model import (
    TABLES,
    Contribution,
    Participant,
    RoundState,
    SessionInfo,
    Source,
)
from facilitator.core.templates import Template
from facilitator.session.files import write_atomic
from facilitator.session.library import Templates, new_join_token


def make_session_file(
    path: Path,
    contributions: int,
    *,
    template_id: str = "kennisatelier",
    devices: int = 300,
    later: Mapping[str, int] | None = None,
) -> Template:
    """Write a session file with ``contributions`` already in its bottleneck round, which is
    current and open; ``later`` adds contributions to rounds not started yet (round id →
    how many: cards the facilitator typed in beforehand).

    Written as one document (as the store would have left it), so a 20,000-item session takes
    a second to make, not minutes.
    """
    template = Templates().load(template_id)
    round_id = next(r.id for r in template.rounds if r.kind == "bottleneck")
    now = time.time()
    data: dict[str, dict[str, object]] = {name: {} for name in TABLES}
    data["session"]["1"] = SessionInfo(
        session_id=path.stem,
        title="Benchmark",
        lang="nl",
        template_id=template.id,
        template=template.model_dump(mode="json"),
        join_token=new_join_token(),
        created=now,
        current_round=[r.id for r in template.rounds].index(round_id),
    ).to_doc()
    for index, spec in enumerate(template.rounds, start=1):
        is_open = spec.id == round_id
        data["rounds"][str(index)] = RoundState(
            round_id=spec.id,
            started=is_open,
            submissions_open=is_open,
            duration_s=spec.minutes * 60.0,
        ).to_doc()
    groups = [g.id for g in template.groups]
    for i in range(1, devices + 1):
        data["participants"][str(i)] = Participant(
            device_id=f"device-{i}", lang="nl", stakeholder=groups[i % len(groups)], joined=now
        ).to_doc()
    for i in range(1, contributions + 1):
        data["contributions"][str(i)] = Contribution(
            round_id=round_id,
            author=f"device-{i % devices + 1}",
            text=f"Knelpunt {i}: de subsidieregels vragen te veel verantwoording van kleine "
            "initiatieven, en de taal van de gemeente is voor nieuwkomers lastig te volgen.",
            stakeholder=groups[i % len(groups)],
            created=now,
        ).to_doc()
    next_id = contributions + 1
    for later_round, count in (later or {}).items():
        template.round(later_round)  # a round of this template
        for n in range(count):
            data["contributions"][str(next_id)] = Contribution(
                round_id=later_round,
                text=f"Kaart {n + 1}: een buurtfonds dat initiatieven zelf beheren, met een "
                "jaarverslag in gewone taal in plaats van een accountantsverklaring.",
                source=Source.TUI.value,
                created=now,
            ).to_doc()
            next_id += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, orjson.dumps(data))
    return template


def raise_open_files() -> None:
    """Allow this process thousands of sockets (each simulated phone holds two), as the
    participant server raises its own. For load processes only, which stand for many devices:
    a process that is measured keeps the limits it was started with (``bench room --nofile``)
    and raises them itself, as ``facilitator run`` and ``serve`` do."""
    from facilitator.web.capacity import raise_open_files as raise_as_far_as_allowed

    raise_as_far_as_allowed()


NO_LIMIT = -1
"""The open-files limit of a process where sockets have none (Windows): what
:func:`open_files_limit` yields there, shown as "unlimited" like POSIX's ``RLIM_INFINITY``."""


@contextlib.contextmanager
def open_files_limit(soft: int) -> Iterator[tuple[int, int]]:
    """Start the processes made in this block as ``prlimit --nofile=SOFT:HARD`` would: with a
    soft open-files limit of ``soft`` (at most the hard limit) under this machine's hard limit,
    which they may raise to themselves. That is what a stock desktop session gives a program
    (1,024 on Linux, 256 on macOS), whatever this process's own limit is; this process has its
    own back when the block ends. Yields the (soft, hard) the children start with: on Windows,
    which has no such limit for sockets (:mod:`facilitator.web.capacity`), they start as they
    would anyway, with (:data:`NO_LIMIT`, :data:`NO_LIMIT`)."""
    if sys.platform == "win32":
        yield NO_LIMIT, NO_LIMIT
        return
    import resource  # POSIX only

    before = resource.getrlimit(resource.RLIMIT_NOFILE)
    hard = before[1]
    wanted = soft if hard == resource.RLIM_INFINITY else min(soft, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    try:
        yield wanted, hard
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, before)


def percentile(values: Sequence[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


class StallProbe:
    """Two views of how long the event loop was kept from other work.

    ``longest_step``: the longest single callback or task step (what one piece of code held
    the loop for; a key press or a request waits at most this long behind it). ``longest``: how
    late a 1 ms sleeper was woken, which also counts every other ready task queued ahead of it,
    so it grows with the load the benchmark itself puts on the loop.
    """

    def __init__(self) -> None:
        self.longest = 0.0
        self.longest_step = 0.0
        self._task: asyncio.Task[None] | None = None
        self._original_run = asyncio.events.Handle._run

    def _timed_run(self_probe: StallProbe) -> Any:
        original = self_probe._original_run

        def run(handle: asyncio.events.Handle) -> None:
            start = time.perf_counter()
            original(handle)
            self_probe.longest_step = max(self_probe.longest_step, time.perf_counter() - start)

        return run

    async def _watch(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(0.001)
            self.longest = max(self.longest, time.perf_counter() - start - 0.001)

    def start(self) -> None:
        asyncio.events.Handle._run = self._timed_run()  # type: ignore[method-assign]
        self._task = asyncio.get_running_loop().create_task(self._watch())

    async def stop(self) -> float:
        asyncio.events.Handle._run = self._original_run  # type: ignore[method-assign]
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        return self.longest


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"
