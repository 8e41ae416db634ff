"""``python -m bench store``: the group-commit store against stock TinyDB.

200 concurrent writers add contributions to a session that already holds 0, 5,000 and 20,000.
Ours: every write awaited until it is on disk (fsync). Stock: TinyDB's ``JSONStorage`` with one
``insert`` per write, run the way a naive server would (synchronously on the event loop; no
fsync, so the baseline is, if anything, flattered). Both runs share the machine and the minute,
so their ratio holds on a noisy laptop.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tinydb import TinyDB
from tinydb.storages import JSONStorage

from bench.common import StallProbe, make_session_file, percentile, verdict
from facilitator.core.model import Contribution, Source
from facilitator.session.store import SessionStore

WRITERS = 200
TEXT = "Nieuwe kaart: wie zit er niet aan tafel, en hoe bereiken we die groep wel?"


@dataclass
class Figures:
    writes: int
    seconds: float
    latencies: list[float]
    stall: float
    """Longest single loop step."""
    lateness: float
    """Longest lateness of a 1 ms sleeper (includes queueing behind the 200 writers)."""

    @property
    def per_second(self) -> float:
        return self.writes / self.seconds if self.seconds else 0.0

    def line(self, label: str) -> str:
        return (
            f"{label:<28} {self.per_second:>9,.0f}/s"
            f"  p50 {percentile(self.latencies, 50) * 1e3:7.1f} ms"
            f"  p99 {percentile(self.latencies, 99) * 1e3:7.1f} ms"
            f"  loop stall {self.stall * 1e3:6.1f} ms (sleeper late {self.lateness * 1e3:6.1f} ms)"
            f"  [{self.writes} writes]"
        )


async def _drive(write: object, budget_writes: int, budget_s: float) -> Figures:
    """Run WRITERS coroutines calling ``write(n)`` until either budget is spent."""
    latencies: list[float] = []
    probe = StallProbe()
    probe.start()
    deadline = time.perf_counter() + budget_s
    counter = iter(range(budget_writes))

    async def writer() -> None:
        for n in counter:
            if time.perf_counter() > deadline:
                return
            start = time.perf_counter()
            await write(n)  # type: ignore[operator]
            latencies.append(time.perf_counter() - start)

    began = time.perf_counter()
    await asyncio.gather(*[writer() for _ in range(WRITERS)])
    elapsed = time.perf_counter() - began
    await probe.stop()
    return Figures(len(latencies), elapsed, latencies, probe.longest_step, probe.longest)


async def ours(path: Path, round_id: str, budget_writes: int, budget_s: float) -> Figures:
    store = SessionStore.open(path)
    try:

        async def write(n: int) -> None:
            await store.add_contribution(round_id, f"{TEXT} ({n})", author=f"device-{n % 300 + 1}")

        return await _drive(write, budget_writes, budget_s)
    finally:
        await store.close()


async def stock(path: Path, round_id: str, budget_writes: int, budget_s: float) -> Figures:
    db = TinyDB(path, storage=JSONStorage, encoding="utf-8")
    table = db.table("contributions")

    async def write(n: int) -> None:
        table.insert(
            Contribution(
                round_id=round_id,
                text=f"{TEXT} ({n})",
                source=Source.WEB.value,
                author=f"device-{n % 300 + 1}",
                created=time.time(),
            ).to_doc()
        )
        await asyncio.sleep(0)  # let the other writers and the stall probe run, as a server would

    try:
        return await _drive(write, budget_writes, budget_s)
    finally:
        db.close()


def run(quick: bool = False) -> int:
    sizes = (0, 5_000) if quick else (0, 5_000, 20_000)
    our_writes, our_s = (2_000, 4.0) if quick else (6_000, 8.0)
    stock_writes, stock_s = (300, 2.0) if quick else (1_000, 4.0)
    print(f"store benchmark: {WRITERS} concurrent writers, every write awaited until durable\n")
    ok = True
    with tempfile.TemporaryDirectory(prefix="facilitator-bench-") as tmp:
        for size in sizes:
            ours_path = Path(tmp) / f"ours-{size}.json"
            stock_path = Path(tmp) / f"stock-{size}.json"
            template = make_session_file(ours_path, size)
            make_session_file(stock_path, size)
            round_id = next(r.id for r in template.rounds if r.kind == "bottleneck")
            mine = asyncio.run(ours(ours_path, round_id, our_writes, our_s))
            base = asyncio.run(stock(stock_path, round_id, stock_writes, stock_s))
            ratio = mine.per_second / base.per_second if base.per_second else float("inf")
            print(f"existing contributions: {size:,}")
            print("  " + mine.line("group commit (ours)"))
            print("  " + base.line("stock TinyDB insert"))
            print(f"  ratio ours/stock: {ratio:,.1f}x")
            if size == 5_000:
                checks = [
                    ("throughput >= 20x stock TinyDB", ratio >= 20),
                    ("p99 latency < 50 ms", percentile(mine.latencies, 99) < 0.050),
                    ("no loop stall over 20 ms", mine.stall < 0.020),
                ]
                for label, passed in checks:
                    print(f"  target {label:<34} {verdict(passed)}")
                    ok = ok and passed
            print()
    print("overall:", verdict(ok))
    return 0 if ok else 1
