"""``python -m bench tui``: how fast the facilitator's screen follows the room.

Two figures, each p50/p99, in a round with 5,000 contributions, driven headless via Pilot:

- commit → row: from a submission's commit (the store's event) to the first screen render
  that contains its row in the live feed;
- key → redraw: from a key press (cursor down/up in the feed) to the first render showing
  the moved cursor.

And once per round, the report preview (F5): how long until it is on screen, and the longest
the event loop stalled meanwhile (a 5 ms heartbeat; the report is made in a thread, so the
phones and the participant server keep being served).

The baseline is the same measurement in the same run on a round with 10 contributions.
"Render" is a frame written to the terminal: the app runs with the room benchmark's driver
(:class:`bench.laptop.FrameClock`, Textual's public Driver API), which renders
every frame to terminal codes as for a real terminal and hands it over where we look.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import percentile
from facilitator.core.model import Change, Source
from facilitator.session.library import Library, Templates
from facilitator.session.store import SessionStore

TARGET_ROW_MS = 100.0
TARGET_KEY_MS = 50.0
BIG = 5000
SMALL = 10
ROUND = "knelpunten"


async def _fill(store: SessionStore, count: int) -> None:
    await store.go_to_round(1)
    devices = [f"bench-{n}" for n in range(60)]
    await asyncio.gather(*[store.join(d, lang="nl", stakeholder="municipality",
                                      table_group="ABC"[n % 3]) for n, d in enumerate(devices)])
    texts = [f"Knelpunt {n}: de regels voor subsidie zijn te ingewikkeld voor kleine "
             f"initiatieven en de termijnen te kort ({n % 17})" for n in range(count)]
    for start in range(0, count, 1000):
        await asyncio.gather(*[store.add_contribution(ROUND, text, author=devices[i % 60])
                               for i, text in enumerate(texts[start:start + 1000], start)])


async def _seen(watch: dict[str, Any], what: str) -> None:
    """Wait (at most 2 s) until the frame watcher has seen ``what`` and dropped it from
    ``watch``; then forget it and its start, so a missed one is not timed by the next."""
    deadline = time.perf_counter() + 2
    while what in watch and time.perf_counter() < deadline:
        await asyncio.sleep(0.001)
    watch.pop(what, None)
    watch.pop("since", None)


async def _measure(store: SessionStore, *, arrivals: int, keys: int,
                   report: dict[str, float] | None = None) -> tuple[list[float], list[float]]:
    from bench.laptop import FrameClock
    from facilitator.tui.app import FacilitatorApp
    from facilitator.tui.widgets.feed import FeedTable

    library = Library(store.path.parent.parent)
    app = FacilitatorApp(library, Templates(), store=store, lang="en", host_factory=None)
    row_ms: list[float] = []
    key_ms: list[float] = []
    watch: dict[str, Any] = {}
    """What the frame hook looks for: a row key, or a cursor row, and since when."""

    def frame() -> None:
        if "table" not in watch:
            return
        now = time.perf_counter()
        table = watch["table"]
        if "row" in watch and "since" in watch and _visible(table, watch["row"]):
            row_ms.append((now - watch.pop("since")) * 1000)
            watch.pop("row")
        elif "cursor" in watch and table.cursor_row == watch["cursor"] and "since" in watch:
            key_ms.append((now - watch.pop("since")) * 1000)
            watch.pop("cursor")

    clock = FrameClock(app, on_frame=frame)
    app.driver_class = clock.driver_class()

    def committed(changes: tuple[Change, ...]) -> None:
        for change in changes:
            if change.table == "contributions" and change.inserted and "row" in watch:
                watch["since"] = time.perf_counter()
                watch["row"] = str(change.ids[-1])

    async with app.run_test(headless=False, size=(160, 45)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(FeedTable)
        watch["table"] = table
        store.subscribe(committed)
        for n in range(arrivals):
            watch["row"] = "pending"  # the commit event names the row to look for
            await store.add_contribution(ROUND, f"Nieuw vanaf een telefoon {n}",
                                         author="bench-1", source=Source.WEB)
            await _seen(watch, "row")
            await asyncio.sleep(0.01)
        table.move_cursor(row=table.row_count // 2, animate=False)
        await pilot.pause()
        for n in range(keys):
            key = "down" if n % 2 == 0 else "up"
            watch["cursor"] = table.cursor_row + (1 if key == "down" else -1)
            watch["since"] = time.perf_counter()
            await pilot.press(key)
            await _seen(watch, "cursor")
            await asyncio.sleep(0.005)
        watch.clear()
        if report is not None:
            await _measure_report(app, pilot, report)
    return row_ms, key_ms


async def _measure_report(app: Any, pilot: Any, report: dict[str, float]) -> None:
    """F5: time until the preview shows the report, and the longest loop stall meanwhile."""
    from facilitator.tui.screens.report import ReportScreen

    gaps: list[float] = []
    beating = True

    async def heartbeat() -> None:
        last = time.perf_counter()
        while beating:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append((now - last) * 1000)
            last = now

    beat = asyncio.create_task(heartbeat())
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    app.report_preview()  # what F5 runs (pilot.press would wait for the screen to settle)
    deadline = started + 30
    while time.perf_counter() < deadline:
        screen = app.screen
        if isinstance(screen, ReportScreen) and (screen.markdown is not None or screen.problem):
            break
        await asyncio.sleep(0.005)
    report["ready_ms"] = (time.perf_counter() - started) * 1000
    built = len(gaps)
    await asyncio.sleep(2.0)  # the viewer mounts the Markdown (Textual's widget, in batches)
    beating = False
    await beat
    report["stall_ms"] = max(gaps[:built] or [0.0])
    report["render_stall_ms"] = max(gaps[built:] or [0.0])


def _visible(table: Any, row_key: str) -> bool:
    """The row is in the table and inside the scrolled window."""
    if table.get_cell(row_key, "id") is None:
        return False
    index = table.get_row_index(row_key)
    top = table.scroll_offset.y
    return bool(top <= index < top + table.scrollable_content_region.height - 1)


def _line(label: str, values: list[float]) -> str:
    return (f"  {label:<26} p50 {percentile(values, 50):6.1f} ms   "
            f"p90 {percentile(values, 90):6.1f} ms   p99 {percentile(values, 99):6.1f} ms"
            f"   (n={len(values)})")


def run(quick: bool = False) -> int:
    arrivals, keys = (20, 30) if quick else (100, 150)
    results: dict[int, tuple[list[float], list[float]]] = {}
    reports: dict[int, dict[str, float]] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="facilitator-bench-tui-") as folder:
        library = Library(Path(folder))
        template = Templates().load("kennisatelier")
        for count in (SMALL, BIG):
            store = library.create(template, title=f"bench {count}")

            async def go(store: SessionStore = store, count: int = count) -> None:
                await _fill(store, count)
                reports[count] = {}
                results[count] = await _measure(store, arrivals=arrivals, keys=keys,
                                                report=reports[count])

            asyncio.run(go())
    small_row, small_key = results[SMALL]
    big_row, big_key = results[BIG]
    print(f"facilitator TUI benchmark ({'quick' if quick else 'full'}; frames written to "
          f"terminal codes, 160x45; {arrivals} arrivals, {keys} key presses per round)")
    print(f"baseline: a round with {SMALL} contributions")
    print(_line("commit → row on screen", small_row))
    print(_line("key press → redraw", small_key))
    print(f"measured: a round with {BIG:,} contributions")
    print(_line("commit → row on screen", big_row))
    print(_line("key press → redraw", big_key))
    big_report = reports[BIG]
    print(f"  {'report preview (F5)':<26} ready in {big_report.get('ready_ms', 0):6.0f} ms; "
          f"longest loop stall while made {big_report.get('stall_ms', 0):5.1f} ms, "
          f"while shown {big_report.get('render_stall_ms', 0):5.1f} ms")
    row_ok = bool(big_row) and percentile(big_row, 99) < TARGET_ROW_MS
    key_ok = bool(big_key) and percentile(big_key, 99) < TARGET_KEY_MS
    missed = (arrivals - len(big_row)) + (keys - len(big_key))
    print(f"targets (p99, {BIG:,} contributions): commit → row < {TARGET_ROW_MS:.0f} ms: "
          f"{'PASS' if row_ok else 'FAIL'}; key → redraw < {TARGET_KEY_MS:.0f} ms: "
          f"{'PASS' if key_ok else 'FAIL'}")
    if missed:
        print(f"({missed} measurements timed out after 2 s and count as failures)")
    ok = row_ok and key_ok and not missed
    print(f"{'PASS' if ok else 'FAIL'} in {time.perf_counter() - started:.1f} s")
    return 0 if ok else 1
