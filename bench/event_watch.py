"""``python -m bench event``: how many rooms one organiser laptop can watch.

N simulated rooms run in a second process: each a real session (300 contributions, 40
participants) with its real participant server on 127.0.0.1 and its organiser link on. Every
5 s each room changes (a new contribution and, for the measurement, the moment of the change
written into its ``place``), the rooms spread evenly over those 5 s: longer than the interval,
so every change is seen by a pull of its own and its delay is measured. This process runs the real
``EventWatch`` (every room pulled every 2 s, as ``facilitator event watch`` does) and renders
the event wall's overview once a second.

The watch reaches each room through the unkind network (bench.netproxy, in the
rooms' process): a summary arrives in TCP segments of 1,448 bytes, one every millisecond (about
11 Mbit/s, a busy venue Wi-Fi), as it would over the venue's network, not in the one piece
loopback hands over. ``--network loopback`` pulls straight from the rooms instead.

For each N, over a measured window after every room is online:

- **staleness**: from a room's change to the watch holding it (p50, p99); with a 2 s interval a
  change waits up to 2 s for its room's next pull, so about 1 s is the floor of the p50 and
  2 s of the p99;
- **pull**: one room's pull, from asking to having its summary (p99);
- **CPU**: this process's CPU time over the window, as a share of one core;
- **loop**: the longest single step on this process's event loop (a key press in the watch TUI
  waits at most this long behind it);
- **wall**: rendering the wall's overview of all N rooms (p99), in time and in CPU time;
- **rooms CPU**: the simulated rooms' process, as a share of one core.

Before the rooms: a room's summary built again after a commit, at 300, 5,000 and 20,000
contributions (what a pull after a change costs the room; it must not grow), and the watch TUI's
redraw with N rooms online (headless Pilot), which it does once a second.

A laptop can watch N rooms when the p99 staleness stays within the interval plus a second, the
watch needs at most half a core and one overview renders in at most 100 ms of CPU. Both
processes share this machine's cores, so the rooms' own work (which on the day runs on their
own laptops) weighs on the times too: once the rooms' process fills its core, pulls and the
loop wait for the machine, not for the watch.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import multiprocessing.connection
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import StallProbe, make_session_file, percentile

INTERVAL_S = 2.0
NETWORKS = ("wifi", "loopback")
SEGMENT_DELAY_S = 0.001
"""Between two TCP segments of an answer on the simulated venue Wi-Fi."""
CHANGE_EVERY_S = 5.0
ROOM_CONTRIBUTIONS = 300
ROOM_PARTICIPANTS = 40


# -- the rooms (a process of their own) ----------------------------------------------------------


def _rooms_process(count: int, folder: str, network: str,
                   conn: multiprocessing.connection.Connection) -> None:
    asyncio.run(_rooms(count, Path(folder), network, conn))


async def _rooms(count: int, folder: Path, network: str,
                 conn: multiprocessing.connection.Connection) -> None:
    from bench.netproxy import UnkindNetwork
    from facilitator.session.store import SessionStore
    from facilitator.web.server import ParticipantServer

    stores: list[SessionStore] = []
    servers: list[ParticipantServer] = []
    links: list[str] = []
    nets = contextlib.AsyncExitStack()
    for n in range(count):
        path = folder / f"room-{n}.json"
        make_session_file(path, ROOM_CONTRIBUTIONS, devices=ROOM_PARTICIPANTS)
        store = SessionStore.open(path)
        await store.set_organiser_link(on=True)
        server = ParticipantServer(store, host="127.0.0.1", port=0)
        await server.start()
        stores.append(store)
        servers.append(server)
        link = server.organiser_url or ""
        if network == "wifi":
            net = await nets.enter_async_context(
                UnkindNetwork(server.port, delay=SEGMENT_DELAY_S))
            link = link.replace(f":{server.port}/", f":{net.port}/", 1)
        links.append(link)
    conn.send(links)
    loop = asyncio.get_running_loop()
    cpu_start, wall_start = time.process_time(), time.perf_counter()

    async def change(n: int, store: SessionStore) -> None:
        await asyncio.sleep(n * CHANGE_EVERY_S / count)
        round_id = store.current_round.id
        k = 0
        while True:
            k += 1
            await store.add_contribution(round_id, f"Nieuw knelpunt {k} in zaal {n}",
                                         author=f"device-{k % ROOM_PARTICIPANTS + 1}")
            await store.update_session(place=f"{time.time():.6f}")
            await asyncio.sleep(CHANGE_EVERY_S)

    tasks = [loop.create_task(change(n, store)) for n, store in enumerate(stores)]
    await loop.run_in_executor(None, conn.recv)  # "stop"
    cpu = (time.process_time() - cpu_start) / (time.perf_counter() - wall_start)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await nets.aclose()
    for server in servers:
        await server.stop()
    for store in stores:
        await store.close()
    conn.send(cpu)


# -- the organiser's laptop ----------------------------------------------------------------------


@dataclass
class Figures:
    rooms: int
    staleness_p50: float
    staleness_p99: float
    pull_p99: float
    pulls_per_s: float
    cpu: float
    loop_step: float
    wall_p99: float
    wall_cpu_p99: float
    rooms_cpu: float = 0.0
    """The simulated rooms' process, as a share of one core (it shares this machine)."""

    @property
    def keeps_up(self) -> bool:
        return (self.staleness_p99 <= INTERVAL_S + 1.0 and self.cpu <= 0.5
                and self.wall_cpu_p99 <= 0.1)


async def _watch(links: list[str], measure_s: float) -> Figures:
    from facilitator.event.wall import EventWall
    from facilitator.event.watch import EventWatch, RoomState, RoomWatch

    watch = EventWatch(links, interval=INTERVAL_S)
    wall = EventWall(watch, title="Benchmark", lang="nl")
    pulls: list[float] = []
    staleness: list[float] = []
    measuring = False
    seen_place: dict[int, str] = {}
    pull = watch.pull

    async def timed_pull(room: RoomWatch) -> None:
        start = time.perf_counter()
        await pull(room)
        if measuring:
            pulls.append(time.perf_counter() - start)
        summary = room.summary
        if summary is None or not summary.place:
            return
        index = id(room)
        if seen_place.get(index) != summary.place:
            seen_place[index] = summary.place
            if measuring:
                staleness.append(time.time() - float(summary.place))

    watch.pull = timed_pull  # type: ignore[method-assign]
    await watch.start()
    try:
        deadline = time.monotonic() + 60
        while not all(room.state is RoomState.ONLINE for room in watch.rooms):
            if time.monotonic() > deadline:
                raise RuntimeError("not every simulated room came online within 60 s")
            await asyncio.sleep(0.2)
        await asyncio.sleep(INTERVAL_S)  # every room pulled at least once more
        wall.render("overview.html")  # the template compiled once, as on the day
        probe = StallProbe()
        probe.start()
        measuring = True
        walls: list[float] = []
        walls_cpu: list[float] = []
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        end = time.monotonic() + measure_s
        while time.monotonic() < end:
            start, start_cpu = time.perf_counter(), time.process_time()
            wall.render("overview.html")
            walls.append(time.perf_counter() - start)
            walls_cpu.append(time.process_time() - start_cpu)
            await asyncio.sleep(1.0)
        elapsed = time.perf_counter() - wall_start
        cpu = (time.process_time() - cpu_start) / elapsed
        measuring = False
        await probe.stop()
    finally:
        await watch.stop()
    return Figures(
        rooms=len(links), staleness_p50=percentile(staleness, 50),
        staleness_p99=percentile(staleness, 99), pull_p99=percentile(pulls, 99),
        pulls_per_s=len(pulls) / elapsed, cpu=cpu, loop_step=probe.longest_step,
        wall_p99=percentile(walls, 99), wall_cpu_p99=percentile(walls_cpu, 99))


def measure(count: int, measure_s: float, network: str = "wifi") -> Figures:
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="bench-event-") as folder:
        here, there = context.Pipe()
        rooms = context.Process(target=_rooms_process, args=(count, folder, network, there))
        rooms.start()
        try:
            if not here.poll(300):
                raise RuntimeError(f"{count} simulated rooms did not start within 300 s")
            links = here.recv()
            figures = asyncio.run(_watch(links, measure_s))
            here.send("stop")
            if here.poll(60):
                figures.rooms_cpu = here.recv()
        finally:
            rooms.join(30)
            if rooms.is_alive():
                rooms.kill()
    return figures


def summary_cost(contributions: int, builds: int = 50) -> tuple[float, int]:
    """One room's summary rebuilt after a commit (what the first pull after a change costs the
    room): median seconds per build and bytes, in a session of ``contributions``."""
    import orjson

    from facilitator.session.store import SessionStore
    from facilitator.session.summary import build_summary

    with tempfile.TemporaryDirectory(prefix="bench-summary-") as folder:
        path = Path(folder) / "room.json"
        make_session_file(path, contributions, devices=300)
        store = SessionStore.open(path, read_only=True)
        times = []
        body = b""
        for _ in range(builds):
            start = time.perf_counter()
            body = orjson.dumps(build_summary(store).model_dump(mode="json"))
            times.append(time.perf_counter() - start)
    return percentile(times, 50), len(body)


def redraw_cost(rooms: int, redraws: int = 20) -> tuple[float, float]:
    """The watch TUI's redraw (once a second, and after every change) with ``rooms`` rooms
    online, headless: median and longest, in seconds."""
    from facilitator.event.watch import EventWatch, RoomState
    from facilitator.session.store import SessionStore
    from facilitator.session.summary import build_summary
    from facilitator.tui.event_watch import EventWatchApp
    from facilitator.tui.i18n import set_language

    with tempfile.TemporaryDirectory(prefix="bench-redraw-") as folder:
        path = Path(folder) / "room.json"
        make_session_file(path, ROOM_CONTRIBUTIONS, devices=ROOM_PARTICIPANTS)
        summary = build_summary(SessionStore.open(path, read_only=True))

    async def measure() -> list[float]:
        set_language("nl")
        watch = EventWatch([f"http://127.0.0.1:{9000 + n}/o/bench" for n in range(rooms)],
                           interval=3600)
        for room in watch.rooms:
            room.summary, room.state = summary, RoomState.ONLINE

        async def no_pulls() -> None:
            """The rooms are as above: nothing to ask."""

        watch.start = no_pulls  # type: ignore[method-assign]
        app = EventWatchApp(watch, None, title="Benchmark")
        times = []
        async with app.run_test(size=(200, 60)) as pilot:
            await pilot.pause()
            for _ in range(redraws):
                start = time.perf_counter()
                app.show()
                times.append(time.perf_counter() - start)
                await pilot.pause()
        return times

    times = asyncio.run(measure())
    return percentile(times, 50), max(times)


def add_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--network", choices=NETWORKS, default="wifi",
                         help="wifi: every summary arrives in TCP segments, one a millisecond "
                              "(the default); loopback: in one piece")


def run(quick: bool = False, network: str = "wifi") -> int:
    sizes = (300, 5000) if quick else (300, 5000, 20000)
    costs = [(n, *summary_cost(n)) for n in sizes]
    print("a room's summary, built again after a commit: " + "; ".join(
        f"{n:,} contributions {seconds * 1000:.1f} ms ({size / 1000:.1f} kB)"
        for n, seconds, size in costs))
    counts = (5, 20) if quick else (10, 50, 100, 200, 400)
    redraws = [(n, *redraw_cost(n)) for n in counts]
    print("the watch TUI's redraw: " + "; ".join(
        f"{n} rooms {median * 1000:.1f} ms (longest {longest * 1000:.1f} ms)"
        for n, median, longest in redraws))
    measure_s = 10.0 if quick else 30.0
    through = ("the unkind network (1,448-byte segments, one every "
               f"{SEGMENT_DELAY_S * 1000:.0f} ms)" if network == "wifi" else "loopback")
    print(f"event watch: every room pulled every {INTERVAL_S:.0f} s through {through}, each "
          f"room changes every {CHANGE_EVERY_S:.0f} s; {measure_s:.0f} s measured per row")
    print(f"{'rooms':>6} {'stale p50':>10} {'stale p99':>10} {'pull p99':>9} {'pulls/s':>8} "
          f"{'CPU':>6} {'loop step':>10} {'wall p99':>9} {'(CPU)':>8} {'rooms CPU':>10}  "
          "keeps up")
    results = []
    for count in counts:
        f = measure(count, measure_s, network)
        results.append(f)
        print(f"{f.rooms:>6} {f.staleness_p50:>9.2f}s {f.staleness_p99:>9.2f}s "
              f"{f.pull_p99 * 1000:>7.1f}ms {f.pulls_per_s:>8.1f} {f.cpu:>6.0%} "
              f"{f.loop_step * 1000:>8.1f}ms {f.wall_p99 * 1000:>7.1f}ms "
              f"{f.wall_cpu_p99 * 1000:>6.1f}ms {f.rooms_cpu:>10.0%}  "
              f"{'yes' if f.keeps_up else 'no'}", flush=True)
    fine = [f.rooms for f in results if f.keeps_up]
    print(f"one organiser laptop keeps up with {max(fine) if fine else 0} rooms or more"
          if fine and fine[-1] == results[-1].rooms else
          f"one organiser laptop keeps up with {max(fine) if fine else 0} rooms, "
          f"not with {min(f.rooms for f in results if not f.keeps_up)}")
    return 0
