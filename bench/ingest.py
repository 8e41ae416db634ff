"""``python -m bench ingest``: the participant server under 300 simulated phones.

The real server (aiohttp on 127.0.0.1, the real handlers, CSRF and rate limits) runs in this
process's event loop; the phones run in a separate process (aiohttp client), so their CPU does
not slow the server's loop. Each phone loads the page and joins before the clock starts. The
phones connect from this machine, so the per-address limits (meant for phones on the network)
do not apply; the per-device ones do. Measured, at 0 and 5,000 existing contributions:

- (a) as built: group commit, every acknowledged change fsynced;
- (b) the same server with commits kept in memory (``UnsyncedFile``): the upper bound;
- (c) stock TinyDB: the same server, but each changed document is written with a stock
  ``TinyDB(path)`` ``JSONStorage`` ``insert``/``update`` (read, parse, dump and write of the
  whole file), one per request.

Both baselines are TinyDB storages (engines) the store is constructed on (:func:`open_with`).

Each run has three phases. *Saturation*: every phone sends its 10 contributions (the per-device
limit) and a dot vote back to back: throughput. *Paced*: fresh phones with think time (one
request per phone per second on average, about 300 requests/s in all, far more than a real
room): p50/p99 latency under a *busy* load; and again with 5 s think time (about 60/s, still a
lively room). Every phase stops at a deadline, so the run stays bounded even for (c). The
p99 target is checked against the busy load.
Then 2,000 open live-update (SSE) connections: the server's RSS, and how long one round change
takes to reach all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import multiprocessing.connection
import os
import random
import re
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import psutil
from tinydb import TinyDB
from tinydb.table import Document

from bench.common import percentile, raise_open_files
from facilitator.collector import freeze_long_lived
from facilitator.core.model import Source
from facilitator.session.journal import SessionFile
from facilitator.session.library import Library, Templates
from facilitator.session.opening import prepare
from facilitator.session.store import SessionStore
from facilitator.web.server import ParticipantServer

PHONES = 300
ROUND = "knelpunten"
"""The kennisatelier round used: open for contributions and dot voting (5 dots, 2 per item)."""
SUBMISSIONS_PER_PHONE = 10
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
CODE = re.compile(r'name="code" value="([^"]+)"')
BALLOT = re.compile(r'<select name="v([0-9]+)"')


# -- the baseline store ------------------------------------------------------------------------


class StagedInMemory(SessionFile):
    """An engine that keeps what the store stages as documents and commits it another way
    (the baselines below), through the storage's public ``stage``/``staged``/``commit``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.documents: dict[str, dict[int, dict[str, Any] | bytes | None]] = {}

    def stage(self, table: str, doc_id: int, doc: dict[str, Any] | None) -> None:
        self.documents.setdefault(table, {})[doc_id] = doc

    def stage_encoded(self, table: str, doc_id: int, body: bytes) -> None:
        # What the store encoded once (every changed record since issue 21): kept as it came.
        # Without this the store's own storage took it, and neither baseline wrote anything.
        self.documents.setdefault(table, {})[doc_id] = body

    @property
    def staged(self) -> bool:
        return bool(self.documents)

    def take(self) -> dict[str, dict[int, dict[str, Any] | bytes | None]]:
        documents, self.documents = self.documents, {}
        return documents


class StockTinyDBFile(StagedInMemory):
    """(c): the same store, but each commit's documents are written by stock TinyDB, one
    ``insert``/``update`` per document (each one reads, parses, dumps and writes the whole
    file, and, like stock TinyDB, without fsync), on the event loop, as a handler calling TinyDB
    would. A submission touches one document, so this is one stock TinyDB write per request.
    """

    stock: TinyDB | None = None
    abandoned = False
    """Set when a phase ends: what is still queued is dropped, so the run stays bounded."""

    def attach_stock(self, path: Path, data: dict[str, dict[str, Any]]) -> None:
        self.stock = TinyDB(path, encoding="utf-8")
        self.stock.storage.write(data)

    async def commit(self) -> None:
        documents = self.take()
        if self.abandoned or self.stock is None:
            return
        for table, docs in documents.items():
            for doc_id, doc in docs.items():
                await asyncio.sleep(0)  # let finished requests answer, as per-request writes would
                target = self.stock.table(table)
                if doc is None:
                    if target.contains(doc_id=doc_id):
                        target.remove(doc_ids=[doc_id])
                    continue
                if isinstance(doc, bytes):
                    doc = orjson.loads(doc)  # stock TinyDB takes documents, and dumps them again
                if target.contains(doc_id=doc_id):
                    target.update(doc, doc_ids=[doc_id])
                else:
                    target.insert(Document(doc, doc_id=doc_id))


class UnsyncedFile(StagedInMemory):
    """(b): commits stay in memory (nothing is written): the upper bound, with the disk out."""

    async def commit(self) -> None:
        self.take()


def open_with(path: Path, engine: type[SessionFile]) -> SessionStore:
    """The session at ``path`` on another engine: the store's own constructor, given a TinyDB
    whose storage is ``engine``, its records frozen as :meth:`SessionStore.open` freezes them."""
    store = SessionStore(TinyDB(path, storage=engine, prepare=prepare))
    freeze_long_lived()
    return store


# -- the phones (in their own process) ---------------------------------------------------------


async def _open_phone(session: Any, link: str) -> tuple[str, str, list[str]]:
    """Load the join page as a new phone (``link``: the join URL as scanned, with the room's
    code), join (the page asks that before anything is sent) and load the page it is sent to:
    its device cookie, form token and the items it may vote on."""
    url = link.split("?")[0]
    async with session.get(link) as response:
        html = await response.text()
        device = response.cookies["device"].value
    found, code = CSRF.search(html), CODE.search(html)
    assert found and code, "no join form on the page"
    for _ in range(20):  # a busy server says 503 with Retry-After, and the phone tries again
        async with session.post(
            f"{url}/join",
            data={"csrf": found.group(1), "lang": "en", "code": code.group(1)},
            headers={"Origin": url.split("/j/")[0], "Accept": "application/json",
                     "Cookie": f"device={device}"},
        ) as response:
            if response.status not in (429, 503):
                break
            await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
    assert response.status == 200, f"joining failed: {response.status}"
    async with session.get(url, headers={"Cookie": f"device={device}"}) as response:
        ballot = BALLOT.findall(await response.text())
    return device, found.group(1), ballot


async def _load(job: dict[str, Any]) -> dict[str, Any]:
    import aiohttp

    url: str = job["url"].split("?")[0]
    origin = url.split("/j/")[0]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout,
                                     cookie_jar=aiohttp.DummyCookieJar()) as session:
        phones = await asyncio.gather(*[_open_phone(session, job["url"])
                                        for _ in range(job["phones"])])
        rng = random.Random(job["seed"])

        async def post(device: str, csrf: str, action: str, data: dict[str, str]) -> None:
            started = time.perf_counter()
            async with session.post(
                f"{url}/{action}",
                data={"csrf": csrf, "round": ROUND, **data},
                headers={"Origin": origin, "Accept": "application/json",
                         "Cookie": f"device={device}"},
            ) as response:
                await response.read()
                statuses[response.status] = statuses.get(response.status, 0) + 1
            latencies.append(time.perf_counter() - started)

        async def phone(index: int, device: str, csrf: str, ballot: list[str]) -> None:
            for n in range(SUBMISSIONS_PER_PHONE):
                if job["think_s"]:
                    await asyncio.sleep(rng.expovariate(1.0 / job["think_s"]))
                await post(device, csrf, "send", {"text": f"phone {index} idea {n}: " + "x" * 60})
            first, second, third = rng.sample(ballot, 3)
            await post(device, csrf, "vote", {f"v{first}": "2", f"v{second}": "2",
                                              f"v{third}": "1"})

        started = time.perf_counter()
        tasks = [asyncio.create_task(phone(i, d, c, b)) for i, (d, c, b) in enumerate(phones)]
        done, cut = await asyncio.wait(tasks, timeout=job["deadline_s"])
        elapsed = time.perf_counter() - started
        for task in cut:
            task.cancel()
        await asyncio.gather(*cut, return_exceptions=True)
        failures = [t.exception() for t in done if t.exception() is not None]
    return {
        "requests": len(latencies),
        "elapsed": elapsed,
        "throughput": len(latencies) / elapsed,
        "p50": percentile(latencies, 50) * 1000,
        "p99": percentile(latencies, 99) * 1000,
        "statuses": statuses,
        "cut": len(cut),
        "failures": [repr(f) for f in failures[:3]],
    }


async def _live(job: dict[str, Any], conn: multiprocessing.connection.Connection) -> None:
    """Open many SSE connections, report, then time one change reaching all of them."""
    import aiohttp

    connector = aiohttp.TCPConnector(limit=0)
    gate = asyncio.Semaphore(200)
    first_seen = asyncio.Event()
    connected = 0
    received: list[float] = []
    wanted = job["connections"]

    async def listen(session: aiohttp.ClientSession) -> None:
        """One phone: it joins (only a joined device gets a live connection), then listens."""
        nonlocal connected
        async with gate:
            device, _, _ = await _open_phone(session, job["url"])
            response = await session.get(job["url"].split("?")[0] + "/events",
                                         headers={"Cookie": f"device={device}"})
        keys: list[bytes] = []
        async for line in response.content:
            if line.startswith(b"data: "):
                keys.append(line)
                if len(keys) == 1:
                    connected += 1
                    if connected == wanted:
                        first_seen.set()
                elif line != keys[0]:
                    received.append(time.time())
                    break
        response.close()

    timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout,
                                     cookie_jar=aiohttp.DummyCookieJar()) as session:
        tasks = [asyncio.create_task(listen(session)) for _ in range(wanted)]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(first_seen.wait(), 60)
        conn.send({"connected": connected})
        loop = asyncio.get_running_loop()
        triggered: float = await loop.run_in_executor(None, conn.recv)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 20)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    delays = [t - triggered for t in received]
    conn.send({
        "received": len(received),
        "all_ms": max(delays) * 1000 if delays else float("nan"),
        "p50_ms": statistics.median(delays) * 1000 if delays else float("nan"),
    })


def _phones_process(conn: multiprocessing.connection.Connection) -> None:
    raise_open_files()
    while True:
        job = conn.recv()
        if job is None:
            return
        if job["kind"] == "load":
            conn.send(asyncio.run(_load(job)))
        else:
            asyncio.run(_live(job, conn))


# -- the server side ---------------------------------------------------------------------------


@dataclass
class Result:
    existing: int
    variant: str
    throughput: float
    requests: int
    p50: float
    p99: float
    paced_rate: float
    room_p50: float
    room_p99: float
    room_rate: float
    errors: str


VARIANTS = {
    "a": "(a) as built",
    "b": "(b) no persistence",
    "c": "(c) stock TinyDB",
}


async def _session(folder: Path, existing: int, variant: str) -> tuple[SessionStore, list[int]]:
    """A kennisatelier session in its bottleneck round with ``existing`` contributions."""
    first = Library(folder).create(Templates().load("kennisatelier"))
    await first.go_to_round(1)
    cards = await asyncio.gather(*[
        first.add_contribution(ROUND, f"facilitator card {n}", source=Source.TUI)
        for n in range(20)])
    for start in range(0, existing, 1000):  # in waves, as the store takes at most 5,000 at once
        await asyncio.gather(*[
            first.add_contribution(ROUND, f"earlier contribution {n}: " + "y" * 80,
                                   source=Source.TUI, author=f"{n:032x}")
            for n in range(start, min(existing, start + 1000))])
    items = [c.id for c in cards]
    await first.update_round(ROUND, voting_open=True)
    path = first.path
    await first.close()
    engines = {"b": UnsyncedFile, "c": StockTinyDBFile}
    store = SessionStore.open(path) if variant == "a" else open_with(path, engines[variant])
    if isinstance(store.file, StockTinyDBFile):
        store.file.attach_stock(folder / "stock-tinydb.json", store.snapshot())
    return store, items


async def _drain(store: SessionStore) -> None:
    """Wait until the server has finished what the phones left in flight (the baseline drops
    it instead: at 5,000 contributions it would take minutes)."""
    if isinstance(store.file, StockTinyDBFile):
        store.file.abandoned = True
        await asyncio.sleep(0.5)
        store.file.abandoned = False
        return
    for _ in range(600):
        await asyncio.sleep(0.05)
        if not store.queued:
            await asyncio.sleep(0.1)
            if not store.queued:
                return


async def _ask(conn: multiprocessing.connection.Connection, job: dict[str, Any]) -> Any:
    conn.send(job)
    return await asyncio.get_running_loop().run_in_executor(None, conn.recv)


async def _measure(conn: multiprocessing.connection.Connection, existing: int, variant: str,
                   quick: bool) -> Result:
    with tempfile.TemporaryDirectory(prefix="facilitator-bench-") as tmp:
        store, items = await _session(Path(tmp), existing, variant)
        server = ParticipantServer(store, host="127.0.0.1", port=0)
        await server.start()
        try:
            base = {"kind": "load", "url": server.join_url, "phones": PHONES, "items": items}
            saturated = await _ask(conn, {**base, "think_s": 0.0, "seed": 1,
                                          "deadline_s": 2.0 if quick else 10.0})
            await _drain(store)
            paced = await _ask(conn, {**base, "think_s": 1.0, "seed": 2,
                                      "deadline_s": 1.5 if quick else 5.0})
            await _drain(store)
            room = await _ask(conn, {**base, "think_s": 5.0, "seed": 3,
                                     "deadline_s": 2.0 if quick else 6.0})
            await _drain(store)
        finally:
            await server.stop()
            await store.close()
    statuses = {**saturated["statuses"]}
    for phase in (paced, room):
        for status, count in phase["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    errors = ", ".join(f"{count}×{status}" for status, count in sorted(statuses.items())
                       if status >= 400) or "none"
    if saturated["cut"]:
        errors += f"; {saturated['cut']} phones unfinished at the deadline"
    return Result(existing, VARIANTS[variant], saturated["throughput"], saturated["requests"],
                  paced["p50"], paced["p99"], paced["throughput"], room["p50"], room["p99"],
                  room["throughput"], errors)


async def _measure_live(conn: multiprocessing.connection.Connection,
                        connections: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="facilitator-bench-") as tmp:
        store, _ = await _session(Path(tmp), 5000, "a")
        server = ParticipantServer(store, host="127.0.0.1", port=0)
        await server.start()
        me = psutil.Process()
        before = me.memory_info().rss
        try:
            conn.send({"kind": "live", "url": server.join_url, "connections": connections})
            loop = asyncio.get_running_loop()
            hello = await loop.run_in_executor(None, conn.recv)
            rss = me.memory_info().rss
            open_now = server.live_connections
            triggered = time.time()
            await store.go_to_round(2)
            conn.send(triggered)
            done = await loop.run_in_executor(None, conn.recv)
        finally:
            await server.stop()
            await store.close()
    return {"connected": hello["connected"], "open": open_now, "rss_mb": rss / 2**20,
            "before_mb": before / 2**20, **done}


async def _run(quick: bool) -> int:
    raise_open_files()
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    phones = context.Process(target=_phones_process, args=(theirs,), daemon=True)
    phones.start()
    started = time.perf_counter()
    try:
        connections = 2000
        live = await _measure_live(ours, connections)
        sizes = (5000,) if quick else (0, 5000)  # the quick run: only where the targets bite
        results = [await _measure(ours, existing, variant, quick)
                   for existing in sizes for variant in ("a", "b", "c")]
    finally:
        ours.send(None)
        phones.join(10)
    _report(results, live, connections, time.perf_counter() - started, quick)
    return 0 if _targets(results, live, connections, echo=False) else 1


def _report(results: list[Result], live: dict[str, Any], connections: int, took: float,
            quick: bool) -> None:
    print(f"ingest: the participant server on 127.0.0.1, {PHONES} simulated phones in a separate "
          f"process, {os.cpu_count()} CPUs{' (quick run)' if quick else ''}")
    print("throughput: saturation phase (10 contributions + 1 dot vote per phone, no pauses); "
          "latency: paced phases, busy (think time 1 s per phone) and room (5 s)")
    print()
    header = (f"{'':>8}  {'':<20} {'saturation':>17} | {'busy':>24} | {'room':>24} |\n"
              f"{'existing':>8}  {'variant':<20} {'req/s':>8} {'requests':>8} | "
              f"{'req/s':>6} {'p50 ms':>8} {'p99 ms':>8} | {'req/s':>6} {'p50 ms':>8} "
              f"{'p99 ms':>8} |  errors")
    print(header)
    print("-" * len(header.splitlines()[-1]))
    for r in results:
        print(f"{r.existing:>8,}  {r.variant:<20} {r.throughput:>8.0f} {r.requests:>8} | "
              f"{r.paced_rate:>6.0f} {r.p50:>8.1f} {r.p99:>8.1f} | {r.room_rate:>6.0f} "
              f"{r.room_p50:>8.1f} {r.room_p99:>8.1f} |  {r.errors}")
    print()
    print(f"live updates: {live['connected']:,} of {connections:,} SSE connections open "
          f"({live['open']:,} counted by the server); server RSS {live['rss_mb']:.0f} MB "
          f"({live['before_mb']:.0f} MB before they opened); one round change reached "
          f"{live['received']:,} of them, p50 {live['p50_ms']:.0f} ms, all within "
          f"{live['all_ms']:.0f} ms")
    print()
    print("targets:")
    _targets(results, live, connections, echo=True)
    print(f"\n(took {took:.0f} s)")


def _targets(results: list[Result], live: dict[str, Any], connections: int, *,
             echo: bool) -> bool:
    by = {(r.existing, r.variant[:3]): r for r in results}
    a, b, c = by[(5000, "(a)")], by[(5000, "(b)")], by[(5000, "(c)")]
    checks = [
        (f"(a) ≥ 60 % of (b) at 5,000: {a.throughput:.0f} vs {b.throughput:.0f} req/s "
         f"= {a.throughput / b.throughput:.0%}", a.throughput >= 0.6 * b.throughput),
        (f"(a) ≥ 20× (c) at 5,000: {a.throughput:.0f} vs {c.throughput:.0f} req/s "
         f"= {a.throughput / c.throughput:.0f}×", a.throughput >= 20 * c.throughput),
    ]
    for existing in sorted({r.existing for r in results}):
        r = by[(existing, "(a)")]
        checks.append((f"(a) p99 < 100 ms at {existing:,}, busy load ({r.paced_rate:.0f} req/s): "
                       f"{r.p99:.1f} ms", r.p99 < 100))
    checks.append((f"{connections:,} live connections < 400 MB RSS: {live['rss_mb']:.0f} MB "
                   f"with {live['connected']:,} open",
                   live["rss_mb"] < 400 and live["connected"] == connections))
    if echo:
        for text, ok in checks:
            print(f"  {'PASS' if ok else 'FAIL'}  {text}")
    return all(ok for _, ok in checks)


def run(quick: bool = False) -> int:
    """Run the benchmark, print the table and the targets; 0 when every target is met."""
    return asyncio.run(_run(quick))
