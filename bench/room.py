"""``python -m bench room``: the big room, 2,000 phones that behave like browsers.

Three processes per run: the benchmark (this module: it directs the phases and measures the
others from outside with psutil), the laptop (:mod:`bench.laptop`, in one of two
configurations: (a) ``facilitator run``, the Textual app with the participant server and the
store in a child process of their own (:mod:`facilitator.host`), measured apart; (b)
``facilitator serve``, the server alone) and the phones (:mod:`bench.phones`, one
load process of browser-like clients; its own CPU use is printed, to show it is not the
limit). Each configuration runs at 0, 5,000 and 20,000 contributions already in the round.

The laptop's process is started with the open-files limits of a stock desktop session: a soft
limit of 1,024 (``--nofile 256``: macOS's) under the machine's hard limit, which it may raise
to itself, as ``prlimit --nofile=1024:HARD`` would start it. The benchmark never raises the
laptop's limit; only the load process, which stands for 2,000 devices, raises its own.

A share of the phones misbehaves as real ones do (:class:`bench.phones.Habit`): 3 %
press back after a send and send the next idea from the old form, 3 % lose their Wi-Fi for
2–8 s while the room collects, 3 % tap every button twice.

The phases, in the kennisatelier's bottleneck round (dots: 5, at most 2 per item):

1. **join burst**: every phone joins at a random moment within 30 s, loads its page and opens
   its live connection;
2. **collecting**: 200 contributions a second from the whole room for 30 s;
3. **mass reconnect**: the room keeps sending; 3 s in, every connection of every phone is
   dropped at once (the venue's Wi-Fi blinks); each phone must be live again within 5 s, and
   what was in flight is sent again by its phone, stored once;
4. **voting**: the facilitator opens voting (as the TUI's ``v``: a store call); every phone
   brings its page up to date, and casts its ballot at a random moment within 60 s;
5. **round change**: the facilitator moves to the ideas round (as the TUI's ``]``); from the
   commit to every phone having an up-to-date page;
6. **saturation**: for 20 s every phone sends its next idea as soon as the last was answered,
   far more than the laptop can take: it must shed with quick 503s (the phones wait them out
   and send again), keep the facilitator's screen live, and lose nothing it acknowledged.

Voting happens in the round the room has just filled, not in the ideas round after the change:
that way the items voted on are the thousands of the round at every size (the ideas round holds
only a few cards typed in beforehand), and it is the order of the day the template describes
(bottlenecks collected, dotted, then solutions). A facilitator's change that the laptop does not
commit within 20 s ends the run there: the phases after it are reported as not run.

Per phase: requests, p50/p99 latency, errors (any answer but 2xx/3xx other than the 503/429 the
phones wait out and retry; a request over 10 s is a timeout), retries, the server's CPU per
request (the serving process's CPU time from the start of the phase until the laptop has
finished what the phase left it, over the phase's requests), the participant page as loaded,
the server's peak RSS and open files, in (a) the TUI process's CPU and RSS and the key press
→ redraw p99, and the load process's CPU (cores). After the run the session file is read back
(read-only): every join and ballot a phone was told was stored must be in it, and every text a
phone was told had arrived exactly once (no text any phone sent may be in it twice).
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import multiprocessing.connection
import os
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import psutil

from bench import laptop
from bench.common import (
    NO_LIMIT,
    make_session_file,
    open_files_limit,
    percentile,
    verdict,
)
from bench.phones import main as phones_main
from facilitator.core.text import clean_text
from facilitator.session.library import Library
from facilitator.session.store import SessionStore

ROUND = "knelpunten"
"""Where the room collects and votes (make_session_file fills and opens it)."""
NEXT_ROUND = "oplossingen"
NEXT_ROUND_CARDS = 60
"""Cards already typed into the ideas round, so the feed has rows to move the cursor through
after the round change."""
CONFIGS = {
    "a": "facilitator run: the TUI, the participant server and the store in a process of "
         "their own",
    "b": "facilitator serve: the participant server alone",
}
PHASES = ("join burst", "collecting", "mass reconnect", "voting", "round change", "saturation")
MEASURED = PHASES[:-1]
"""The phases held to the room's targets; saturation, an overload by design, has its own."""
IDLE_SHARE = 0.1
"""The laptop has finished a phase's work when it uses less than this share of a core."""
TARGET_SIZE = 20_000
TARGET_P99_MS = 300.0
TARGET_CPU_MS = 2.0
TARGET_PAGE_KB = 30.0
TARGET_RSS_MB = 500.0
TARGET_KEY_MS = 50.0
TARGET_TOLD_MS = 2000.0
"""Issue 8: a round change reaches every phone within 2 s."""
TARGET_BACK_MS = 5000.0
"""Issue 18: after the Wi-Fi blinks, every phone is live again within 5 s."""
TARGET_SHED_MS = 100.0
"""Issue 18: an overloaded laptop answers what it cannot take with a quick 503."""
STOCK_NOFILE = 1024
"""The soft open-files limit of a stock Linux desktop session (macOS: 256)."""
HABITS = {"back": 0.03, "wifi": 0.03, "double": 0.03}
LOAD_CEILING = 0.5
"""The load process is trusted while it uses at most half a core."""


@dataclass(frozen=True)
class Plan:
    phones: int
    sizes: tuple[int, ...]
    configs: tuple[str, ...]
    join_s: float
    collect_s: float
    collect_rate: float
    """Contributions per second from the whole room."""
    vote_s: float
    told_s: float
    """How long the round change may take to reach every phone before the phase is cut."""
    grace_s: float
    """After a phase's last scheduled action, for requests still on their way (> the 10 s
    timeout of a phone)."""
    settle_s: float
    """At most this long for the laptop to finish what a phase left it."""
    blink_s: float = 10.0
    """How long the room sends in the mass reconnect (at the collecting rate)."""
    blink_at_s: float = 3.0
    """When, into that phase, the Wi-Fi blinks."""
    saturate_s: float = 20.0
    habits: dict[str, float] = field(default_factory=lambda: dict(HABITS))
    """The share of phones with each misbehaviour (bench.phones.Habit)."""
    offline_s: tuple[float, float] = (2.0, 8.0)
    """How long a phone that loses its Wi-Fi is without it (from, to)."""
    nofile: int = STOCK_NOFILE
    """The soft open-files limit the laptop is started with, under the hard limit."""
    seed: int = 8

    @classmethod
    def full(cls) -> Plan:
        return cls(phones=2000, sizes=(0, 5000, 20000), configs=("a", "b"), join_s=30.0,
                   collect_s=30.0, collect_rate=200.0, vote_s=60.0, told_s=15.0, grace_s=12.0,
                   settle_s=15.0)

    @classmethod
    def quick(cls) -> Plan:
        return cls(phones=200, sizes=(0, 2000), configs=("a", "b"), join_s=5.0, collect_s=5.0,
                   collect_rate=20.0, vote_s=8.0, told_s=10.0, grace_s=12.0, settle_s=5.0,
                   blink_s=8.0, blink_at_s=1.0, saturate_s=5.0)


# -- the other processes, seen from here --------------------------------------------------------


class Worker:
    """A child process spoken to over a pipe; CPU time and memory read from outside."""

    def __init__(self, name: str, target: Callable[..., None], *args: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, theirs = context.Pipe()
        self.process: BaseProcess = context.Process(target=target, args=(theirs, *args),
                                                    name=name, daemon=True)
        self.process.start()
        assert self.process.pid is not None
        self.ps = psutil.Process(self.process.pid)

    def tell(self, job: dict[str, Any]) -> None:
        self.conn.send(job)

    def hear(self, timeout_s: float) -> dict[str, Any]:
        if not self.conn.poll(timeout_s):
            raise TimeoutError(f"{self.process.name} gave no answer in {timeout_s:.0f} s")
        answer: dict[str, Any] = self.conn.recv()
        return answer

    def ask(self, job: dict[str, Any], timeout_s: float = 120.0) -> dict[str, Any]:
        self.tell(job)
        return self.hear(timeout_s)

    def cpu_s(self) -> float:
        """Its CPU time and that of its live children (in (a) the laptop's server process)."""
        total = cpu_s(self.ps)
        for child in self.ps.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += cpu_s(child)
        return total

    def stop(self, timeout_s: float) -> str:
        """Ask it to stop; kill it when it does not within ``timeout_s``."""
        if self.process.is_alive():
            with contextlib.suppress(BrokenPipeError, OSError):
                self.tell({"do": "stop"})
            self.process.join(timeout_s)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
            return f"killed: still busy {timeout_s:.0f} s after being asked to stop"
        return "stopped when asked"


def cpu_s(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def open_files(process: psutil.Process) -> int:
    """What a process holds open: its file descriptors (files, sockets, pipes) on POSIX, where
    the open-files limit counts them; on Windows, which has no such limit and no descriptors
    for sockets, its kernel handles (files, sockets, pipes, and its threads, events and
    registry keys too, so the figure runs higher than the same server's on Linux)."""
    if sys.platform == "win32":
        return int(process.num_handles())
    return int(process.num_fds())


class PeakMemory(threading.Thread):
    """Samples a process's RSS and open files five times a second; the peaks since the last
    reset."""

    def __init__(self, process: psutil.Process) -> None:
        super().__init__(daemon=True)
        self.process = process
        self.peak = 0
        self.peak_files = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            try:
                self.peak = max(self.peak, self._rss())
                self.peak_files = max(self.peak_files, open_files(self.process))
            except psutil.Error:
                return

    def reset(self) -> int:
        peak, self.peak = self.peak, 0
        try:
            return max(peak, self._rss())
        except psutil.Error:
            return peak

    def reset_files(self) -> int:
        peak, self.peak_files = self.peak_files, 0
        return peak

    def _rss(self) -> int:
        return int(self.process.memory_info().rss)


def settle(worker: Worker, cap_s: float) -> tuple[float, bool]:
    """Wait until the laptop idles (it has answered or dropped what the phase left it); how
    long that took, and whether it was cut at ``cap_s``."""
    start = last_t = time.monotonic()
    last_cpu = worker.cpu_s()
    while time.monotonic() - start < cap_s:
        time.sleep(0.5)
        now, cpu = time.monotonic(), worker.cpu_s()
        if (cpu - last_cpu) / (now - last_t) < IDLE_SHARE:
            return now - start, False
        last_t, last_cpu = now, cpu
    return cap_s, True


# -- figures ------------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    requests: int
    p50_ms: float
    p99_ms: float
    errors: dict[str, int]
    retries: int
    cpu_ms_per_request: float
    """The server's CPU (in (a) its own process's) over the phase's requests."""
    cpu_net_ms_per_request: float
    """The same without what the server spends at rest."""
    page_sizes: list[int]
    rss_mb: float
    """The server's peak RSS."""
    load_cores: float
    acked: int
    acked_ms: list[float]
    """From each acknowledged form's first try to its success (retries included)."""
    settled_s: float
    settle_cut: bool
    key_ms: list[float] = field(default_factory=list)
    key_missed: int = 0
    told_ms: list[float | None] | None = None
    """From the facilitator's commit to each phone's page being up to date (None: never)."""
    back_ms: list[float | None] | None = None
    """In the mass reconnect: from the blink to each phone's live connection open again."""
    shed_ms: list[float] = field(default_factory=list)
    """How long each 503 took to arrive."""
    resent: int = 0
    """Forms sent again after the phone's own network lost them (not errors)."""
    habits: dict[str, int] = field(default_factory=dict)
    files: int = 0
    """The server's peak of open files (on Windows, of its handles: ``open_files``)."""
    note: str = ""
    tui_ms_per_request: float | None = None
    """In (a), the TUI's process over the same requests (it draws the screen and follows the
    session)."""
    tui_rss_mb: float | None = None

    @classmethod
    def not_run(cls, name: str) -> Phase:
        nan = float("nan")
        return cls(name, 0, nan, nan, {}, 0, nan, nan, [], nan, nan, 0, [], 0.0, False,
                   note="not run: the laptop was still swamped")

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def page_kb_max(self) -> float | None:
        """The largest participant page loaded; None when none came through."""
        return max(self.page_sizes) / 1024 if self.page_sizes else None

    @property
    def key_p99(self) -> float | None:
        return percentile(self.key_ms, 99) if self.key_ms else None

    @property
    def told_all(self) -> float | None:
        """When the last phone was up to date; None when some never were."""
        if not self.told_ms or any(t is None for t in self.told_ms):
            return None
        return max(t for t in self.told_ms if t is not None)

    @property
    def back_all(self) -> float | None:
        """When the last phone was live again after the blink; None when some never were."""
        if not self.back_ms or any(t is None for t in self.back_ms):
            return None
        return max(t for t in self.back_ms if t is not None)

    @property
    def shed_p99(self) -> float | None:
        return percentile(self.shed_ms, 99) if self.shed_ms else None


@dataclass
class Lost:
    joins: tuple[int, int]
    """(lost, acknowledged)"""
    texts: tuple[int, int]
    ballots: tuple[int, int]
    twice: int = 0
    """Texts stored more than once (of every text the phones sent, told or not)."""

    @property
    def count(self) -> int:
        return self.joins[0] + self.texts[0] + self.ballots[0] + self.twice


@dataclass
class Run:
    config: str
    size: int
    phases: list[Phase]
    lost: Lost
    joined: int
    stopped: str
    at_rest_ms: float
    """The server's CPU per second of wall time before the phones came (ms/s)."""
    tui_at_rest_ms: float | None = None
    """In (a), the TUI's process, the key probe on."""
    nofile: tuple[int, int] = (0, 0)
    """The open-files limit (soft, hard) the laptop was started with."""
    server_nofile: tuple[int, int] = (0, 0)
    """The serving process's limit at the end: what it raised its own soft limit to, if it
    did."""


def check_lost(path: Path, acked: dict[str, Any]) -> Lost:
    """Everything a phone was told was stored, read back from the session file (read-only):
    every acknowledged text exactly once, and no text any phone sent twice. A text is looked
    for as the store keeps it (:func:`clean_text` tidies white space)."""
    from facilitator.web.guard import device_id

    store = SessionStore.open(path, read_only=True)
    secret = store.info.secret
    texts = Counter(c.text for c in store.contributions(None, visible_only=False))
    lost_texts = sum(texts[clean_text(text)] == 0 for text in acked["texts"])
    twice = sum(texts[clean_text(text)] > 1
                for text in set(acked.get("tried", [])) | set(acked["texts"]))
    lost_joins = sum(store.participant(device_id(secret, cookie)) is None
                     for cookie in acked["joins"])
    lost_ballots = sum(store.ballot(device_id(secret, cookie), ROUND) != ballot
                       for cookie, ballot in acked["ballots"].items())
    return Lost((lost_joins, len(acked["joins"])), (lost_texts, len(acked["texts"])),
                (lost_ballots, len(acked["ballots"])), twice)


# -- one configuration at one size --------------------------------------------------------------


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class Session:
    """One run: a session file of ``size`` items, the laptop and the phones."""

    def __init__(self, plan: Plan, config: str, size: int, folder: Path) -> None:
        self.plan = plan
        self.config = config
        self.size = size
        self.path = Library(folder).path_for(f"room-{config}-{size}")
        make_session_file(self.path, size, later={NEXT_ROUND: NEXT_ROUND_CARDS})
        with open_files_limit(plan.nofile) as self.nofile:  # a stock desktop's, not ours
            self.laptop = Worker("laptop", laptop.main, str(self.path), config)
        self.server = self.laptop.ps
        """The process that serves the phones: in (a) the laptop's child, in (b) the laptop."""
        self.tui: psutil.Process | None = None
        """In (a), the TUI's process."""
        self.memory: PeakMemory | None = None
        self.tui_memory: PeakMemory | None = None
        self.phones: Worker | None = None
        self.swamped = False
        """The laptop did not commit a change in time: the phases after it are not run."""
        self.at_rest_ms = 0.0
        self.tui_at_rest_ms: float | None = None

    def close(self) -> None:
        """End both processes, however the run went (a finished run has stopped them)."""
        for worker in (self.phones, self.laptop):
            if worker is not None and worker.process.is_alive():
                worker.stop(3)
        for memory in (self.memory, self.tui_memory):
            if memory is not None:
                memory.done.set()

    def run(self) -> Run:
        plan = self.plan
        hello = self.laptop.hear(300)
        url = hello["url"]
        if hello.get("server_pid"):
            self.server, self.tui = psutil.Process(hello["server_pid"]), self.laptop.ps
            self.tui_memory = PeakMemory(self.tui)
            self.tui_memory.start()
        self.memory = PeakMemory(self.server)
        self.memory.start()
        settle(self.laptop, 60)  # the app loads the round's rows into its feed
        self._at_rest()
        self.phones = Worker("phones", phones_main)
        self.phones.ask({"do": "setup", "join_url": url, "count": plan.phones,
                         "seed": plan.seed, "habits": plan.habits})
        marker = f"room-{secrets.token_hex(3)}"
        phases: list[tuple[str, Callable[[Worker], dict[str, Any]]]] = [
            ("join burst", lambda p: p.ask(
                {"do": "join", "window_s": plan.join_s,
                 "deadline_s": plan.join_s + plan.grace_s}, plan.join_s + plan.grace_s + 60)),
            ("collecting", lambda p: p.ask(
                {"do": "collect", "rate": plan.collect_rate, "seconds": plan.collect_s,
                 "deadline_s": plan.collect_s + plan.grace_s, "marker": marker,
                 "offline_s": plan.offline_s}, plan.collect_s + plan.grace_s + 60)),
            ("mass reconnect", lambda p: p.ask(
                {"do": "blink", "rate": plan.collect_rate, "seconds": plan.blink_s,
                 "at_s": plan.blink_at_s, "deadline_s": plan.blink_s + plan.grace_s,
                 "marker": f"{marker} blink"}, plan.blink_s + plan.grace_s + 60)),
            ("voting", lambda p: self._told(p, "open voting", {
                "do": "vote", "window_s": plan.vote_s, "deadline_s": plan.vote_s + plan.grace_s},
                plan.vote_s + plan.grace_s)),
            ("round change", lambda p: self._told(p, "next round", {
                "do": "change", "deadline_s": plan.told_s}, plan.told_s)),
            ("saturation", lambda p: p.ask(
                {"do": "saturate", "seconds": plan.saturate_s,
                 "deadline_s": plan.saturate_s + plan.grace_s, "marker": f"{marker} rush"},
                plan.saturate_s + plan.grace_s + 60)),
        ]
        results: list[tuple[Phase, dict[str, Any]]] = []
        for name, work in phases:
            if self.swamped:
                results.append((Phase.not_run(name), {}))
            else:
                results.append(self._phase(name, work))
        joined = results[0][1].get("joined", 0)
        acked = self.phones.ask({"do": "acknowledged"})
        self.phones.stop(10)
        server_nofile = self._nofile(self.server)
        stopped = self.laptop.stop(3 if self.swamped else 20)
        self.close()
        return Run(self.config, self.size, [phase for phase, _ in results],
                   check_lost(self.path, acked), joined, stopped, self.at_rest_ms,
                   self.tui_at_rest_ms, self.nofile, server_nofile)

    @staticmethod
    def _nofile(process: psutil.Process) -> tuple[int, int]:
        if sys.platform == "win32":
            return NO_LIMIT, NO_LIMIT
        try:
            soft, hard = process.rlimit(psutil.RLIMIT_NOFILE)
        except (psutil.Error, AttributeError):
            return (0, 0)
        return int(soft), int(hard)

    def _at_rest(self, seconds: float = 3.0) -> None:
        """The server's and the TUI's CPU (ms per second) with no phones yet, the key probe on
        in (a): what every phase pays whatever the load."""
        server, tui = cpu_s(self.server), cpu_s(self.tui) if self.tui else 0.0
        self.laptop.ask({"do": "probe"})
        time.sleep(seconds)
        self.laptop.ask({"do": "probed"})
        self.at_rest_ms = (cpu_s(self.server) - server) * 1000 / seconds
        if self.tui is not None:
            self.tui_at_rest_ms = (cpu_s(self.tui) - tui) * 1000 / seconds

    def _told(self, phones_worker: Worker, change: str, job: dict[str, Any],
              seconds: float) -> dict[str, Any]:
        """The facilitator's change, with the phones watching their pages; then the phase.
        A change the laptop did not commit in time ends the phase there (and the run: the
        laptop is swamped)."""
        phones_worker.ask({"do": "watch"})
        at = self.laptop.ask({"do": change}, laptop.CHANGE_WITHIN_S + 30)["at"]
        if at is None:
            self.swamped = True
            result = phones_worker.ask({"do": "unwatch"})
            result["not_done"] = (f"the facilitator's change was not committed within "
                                  f"{laptop.CHANGE_WITHIN_S:.0f} s")
        else:
            result = phones_worker.ask(job, seconds + 60)
        result["told_ms"] = [None if t is None or at is None else (t - at) * 1000
                             for t in result.pop("told")]
        return result

    def _phase(self, name: str, work: Callable[[Worker], dict[str, Any]],
               ) -> tuple[Phase, dict[str, Any]]:
        assert self.phones is not None
        _say(f"  ({self.config}) {self.size:,} items: {name}…")
        cpu_before, load_before = cpu_s(self.server), self.phones.cpu_s()
        tui_before = cpu_s(self.tui) if self.tui is not None else 0.0
        started = time.monotonic()
        assert self.memory is not None
        self.memory.reset()
        if self.tui_memory is not None:
            self.tui_memory.reset()
        self.laptop.ask({"do": "probe"})
        result = work(self.phones)
        load_cores = (self.phones.cpu_s() - load_before) / (time.monotonic() - started)
        probed = self.laptop.ask({"do": "probed"}, 120)
        settled_s, cut = settle(self.laptop, self.plan.settle_s)
        cpu = cpu_s(self.server) - cpu_before
        tui = cpu_s(self.tui) - tui_before if self.tui is not None else None
        resting = self.at_rest_ms / 1000 * (time.monotonic() - started)
        latencies: list[float] = result["latencies_ms"]
        requests: int = result["requests"]
        # A phase in which the pages came with the live message has no requests: its CPU is
        # then per phone brought up to date (one message each).
        pushed = (len([t for t in result.get("told_ms") or [] if t is not None])
                  if not requests else 0)
        units = requests or pushed
        phase = Phase(
            name=name,
            requests=requests,
            p50_ms=percentile(latencies, 50),
            p99_ms=percentile(latencies, 99),
            errors=result["errors"],
            retries=result["retries"],
            cpu_ms_per_request=cpu * 1000 / units if units else float("nan"),
            cpu_net_ms_per_request=(max(0.0, cpu - resting) * 1000 / units if units
                                    else float("nan")),
            tui_ms_per_request=tui * 1000 / units if tui is not None and units else None,
            page_sizes=result["page_sizes"],
            rss_mb=self.memory.reset() / 2**20,
            tui_rss_mb=self.tui_memory.reset() / 2**20 if self.tui_memory is not None else None,
            load_cores=load_cores,
            acked=result["acked"],
            acked_ms=result["acked_ms"],
            settled_s=settled_s,
            settle_cut=cut,
            key_ms=probed.get("key_ms", []),
            key_missed=probed.get("missed", 0),
            told_ms=result.get("told_ms"),
            back_ms=result.get("back_ms"),
            shed_ms=result.get("shed_ms", []),
            resent=result.get("resent", 0),
            habits=result.get("habits", {}),
            files=self.memory.reset_files(),
            note=_note(name, result) + (
                f"no request: the page came with the live message to {pushed:,} phones (CPU "
                "is per phone told)" if pushed else ""),
        )
        return phase, result


def _note(name: str, result: dict[str, Any]) -> str:
    if "not_done" in result:
        return str(result["not_done"])
    waited = result["acked_ms"]
    took = (f" (from the first try: p50 {_ms(percentile(waited, 50))} ms, "
            f"p99 {_ms(percentile(waited, 99))} ms)" if waited else "")
    if name == "join burst":
        return f"{result['acked']:,} joined{took}, {result['live']:,} live connections open"
    if name in ("collecting", "mass reconnect"):
        return (f"{result['acked']:,} of {result['planned']:,} contributions "
                f"acknowledged{took}")
    if name == "saturation":
        return (f"{result['acked']:,} contributions acknowledged in {result['seconds']:.0f} s "
                f"({result['acked'] / max(result['seconds'], 1e-9):,.0f}/s){took}; "
                f"{result['retries']:,} answers waited out, {result['cut']:,} phones stopped "
                "because a wait outlasted the phase")
    if name == "voting":
        return f"{result['acked']:,} ballots acknowledged{took}"
    return ""


# -- the report ---------------------------------------------------------------------------------


def _ms(value: float | None, digits: int = 1) -> str:
    return "—" if value is None or value != value else f"{value:,.{digits}f}"


def _told_line(phase: Phase) -> str:
    told = phase.told_ms or []
    reached = [t for t in told if t is not None]
    line = f"{len(reached):,} of {len(told):,} phones up to date after the commit"
    if not reached:
        return line
    line += f": p50 {_ms(percentile(reached, 50))} ms, p99 {_ms(percentile(reached, 99))} ms"
    last = phase.told_all
    return line + (f", all within {_ms(last)} ms" if last is not None else
                   ", the others not within the phase")


def _back_line(phase: Phase) -> str:
    back = phase.back_ms or []
    live = [t for t in back if t is not None]
    line = f"{len(live):,} of {len(back):,} phones live again after the blink"
    if live:
        line += (f": p50 {_ms(percentile(live, 50))} ms, p99 {_ms(percentile(live, 99))} ms, "
                 f"the last {_ms(max(live))} ms")
    return line


def _limit(value: int) -> str:
    # psutil has RLIM_INFINITY where it reads limits (Linux, FreeBSD) only
    unlimited = (NO_LIMIT, getattr(psutil, "RLIM_INFINITY", NO_LIMIT))
    return "unlimited" if value in unlimited else f"{value:,}"


def print_plan(plan: Plan, quick: bool) -> None:
    print(f"room: {plan.phones:,} browser-like phones in a separate process; "
          f"{os.cpu_count()} CPUs{' (quick run)' if quick else ''}")
    print(f"phases: join burst ({plan.phones:,} joins in {plan.join_s:.0f} s), collecting "
          f"({plan.collect_rate:.0f}/s for {plan.collect_s:.0f} s), mass reconnect (every "
          f"connection dropped {plan.blink_at_s:.0f} s into {plan.blink_s:.0f} s of sending), "
          f"voting (opened at once, {plan.phones:,} ballots in {plan.vote_s:.0f} s), round "
          f"change (all phones at once), saturation (every phone as fast as it is answered, "
          f"{plan.saturate_s:.0f} s)")
    habits = ", ".join(f"{share:.0%} {name}" for name, share in plan.habits.items())
    print(f"misbehaving phones: {habits or 'none'} (back: the next idea from the old form; "
          f"wifi: {plan.offline_s[0]:.0f}–{plan.offline_s[1]:.0f} s without it; double: every "
          "button tapped twice)")
    if sys.platform == "win32":
        print("the laptop starts as it would: Windows has no open-files limit for sockets",
              flush=True)
    else:
        print(f"the laptop starts with a soft open-files limit of {plan.nofile:,} under the "
              "machine's hard limit (a stock desktop's; the benchmark never raises it)",
              flush=True)


def print_run(run: Run) -> None:
    print()
    print(f"({run.config}) {CONFIGS[run.config]}; {run.size:,} existing items in the round")
    tui = run.tui_at_rest_ms is not None
    print(f"  open files: started with soft {_limit(run.nofile[0])}, hard "
          f"{_limit(run.nofile[1])}; the serving process ended with soft "
          f"{_limit(run.server_nofile[0])} and held at most "
          f"{max((p.files for p in run.phases), default=0):,}"
          + (" handles (Windows counts files, sockets, threads and events together)"
             if sys.platform == "win32" else ""))
    print(f"  at rest, before the phones: the server {run.at_rest_ms:.0f} ms CPU per second"
          + (f", the TUI {run.tui_at_rest_ms:.0f} (the key probe on)" if tui else ""))
    print(f"  {'phase':<13}{'requests':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'retries':>8}"
          f"{'CPU ms/req':>11}{'page KB':>9}{'RSS MB':>8}"
          + (f"{'TUI ms/req':>11}{'TUI MB':>8}{'key→redraw p99':>16}" if tui else "")
          + f"{'load CPU':>10}")
    for p in run.phases:
        key = f"{_ms(p.key_p99)} ms" if p.key_p99 is not None else "—"
        print(f"  {p.name:<13}{p.requests:>9,}{_ms(p.p50_ms):>9}{_ms(p.p99_ms):>9}"
              f"{p.error_count:>8,}{p.retries:>8,}{_ms(p.cpu_ms_per_request, 2):>11}"
              f"{_ms(p.page_kb_max):>9}{_ms(p.rss_mb, 0):>8}"
              + (f"{_ms(p.tui_ms_per_request, 2):>11}{_ms(p.tui_rss_mb, 0):>8}{key:>16}"
                 if tui else "")
              + f"{_ms(p.load_cores, 2):>10}")
    if tui:
        print("  (CPU ms/req and RSS: the server's process; TUI: the facilitator's screen's "
              "process, over the same requests)")
    for p in run.phases:
        parts = [p.note] if p.note else []
        if p.told_ms is not None:
            parts.append(_told_line(p))
        if p.back_ms is not None:
            parts.append(_back_line(p))
        if p.shed_ms:
            parts.append(f"{len(p.shed_ms):,} answered 503 (p50 "
                         f"{_ms(percentile(p.shed_ms, 50))} ms, p99 {_ms(p.shed_p99)} ms)")
        if p.resent:
            parts.append(f"{p.resent:,} forms sent again after their phone's network lost them")
        if p.habits:
            parts.append("misbehaving: " + ", ".join(f"{what} {n:,}"
                                                     for what, n in p.habits.items()))
        if p.errors:
            parts.append("errors: " + ", ".join(
                f"{what} {n:,}" for what, n in Counter(p.errors).most_common()))
        if p.key_missed:
            parts.append(f"{p.key_missed} key presses not shown within "
                         f"{laptop.GIVE_UP_S:.0f} s (counted as {laptop.GIVE_UP_S:.0f} s)")
        if p.requests and run.at_rest_ms:
            parts.append(f"CPU {_ms(p.cpu_net_ms_per_request, 2)} ms/req net of the at-rest rate")
        parts.append(f"laptop idle {p.settled_s:.1f} s after"
                     + (" (still busy: cut there)" if p.settle_cut else ""))
        print(f"    {p.name}: " + "; ".join(parts))
    lost = run.lost
    print(f"  lost: {lost.texts[0]:,} of {lost.texts[1]:,} contributions phones were told had "
          f"arrived, {lost.ballots[0]:,} of {lost.ballots[1]:,} ballots, {lost.joins[0]:,} of "
          f"{lost.joins[1]:,} joins; {lost.twice:,} texts stored twice (read back from the "
          f"session file); laptop {run.stopped}", flush=True)


def targets(runs: Sequence[Run], *, echo: bool) -> bool:
    """The targets of issue 8, for (a) at 20,000 items (or the largest size run)."""
    real = [r for r in runs if r.config == "a"]
    if not real:
        if echo:
            print("\ntargets: set for (a), which this run left out")
        return False
    run = max(real, key=lambda r: r.size)
    changes = [p for p in run.phases if p.name in ("voting", "round change")]
    blinks = [p for p in run.phases if p.name == "mass reconnect"]
    rush = [p for p in run.phases if p.name == "saturation"]
    measured = [p for p in run.phases if p.name in MEASURED]

    def each(value: Callable[[Phase], float | None], limit: float,
             show: Callable[[float | None], str], phases: Sequence[Phase] = measured,
             *, per_request: bool = False) -> tuple[str, bool]:
        values = [(p, value(p)) for p in phases]

        def passes(phase: Phase, v: float | None) -> bool:
            if per_request and not phase.requests and phase.told_all is not None:
                return True  # nothing was asked: every page came with the live message
            return v is not None and v == v and v < limit

        def shown(phase: Phase, v: float | None) -> str:
            if per_request and not phase.requests and phase.told_all is not None:
                return "— (no requests)"
            return show(v)

        ok = bool(values) and all(passes(p, v) for p, v in values)
        return ", ".join(f"{p.name} {shown(p, v)}" for p, v in values) or "not run", ok

    def unit(name: str) -> Callable[[float | None], str]:
        return lambda v: f"{_ms(v)} {name}"

    checks = [
        (f"p99 < {TARGET_P99_MS:.0f} ms", *each(lambda p: p.p99_ms, TARGET_P99_MS, unit("ms"),
                                                per_request=True)),
        ("0 errors", *each(lambda p: p.error_count, 1, lambda v: f"{v or 0:,.0f}",
                           run.phases)),
        ("0 lost of what phones were told, 0 stored twice",
         f"{run.lost.count - run.lost.twice:,} lost, {run.lost.twice:,} twice",
         run.lost.count == 0),
        (f"server CPU < {TARGET_CPU_MS:.0f} ms per request",
         *each(lambda p: p.cpu_ms_per_request, TARGET_CPU_MS, unit("ms"))),
        (f"participant page < {TARGET_PAGE_KB:.0f} KB",
         *each(lambda p: p.page_kb_max, TARGET_PAGE_KB, unit("KB"))),
        (f"server RSS < {TARGET_RSS_MB:.0f} MB",
         *each(lambda p: p.rss_mb, TARGET_RSS_MB, unit("MB"))),
        (f"key → redraw p99 < {TARGET_KEY_MS:.0f} ms",
         *each(lambda p: p.key_p99, TARGET_KEY_MS, unit("ms"))),
        (f"every phone up to date < {TARGET_TOLD_MS / 1000:.0f} s after the facilitator's change",
         *each(lambda p: p.told_all, TARGET_TOLD_MS,
               lambda v: "not every phone" if v is None else f"{_ms(v)} ms", changes)),
        (f"every phone live again < {TARGET_BACK_MS / 1000:.0f} s after the Wi-Fi blinks",
         *each(lambda p: p.back_all, TARGET_BACK_MS,
               lambda v: "not every phone" if v is None else f"{_ms(v)} ms", blinks)),
        (f"saturation: 503s p99 < {TARGET_SHED_MS:.0f} ms",
         *each(lambda p: p.shed_p99 if p.shed_ms else -1.0, TARGET_SHED_MS,
               lambda v: "none: it kept up" if v == -1.0 else f"{_ms(v)} ms", rush)),
        (f"saturation: key → redraw p99 < {TARGET_KEY_MS:.0f} ms",
         *each(lambda p: p.key_p99, TARGET_KEY_MS, unit("ms"), rush)),
    ]
    if echo:
        note = "" if run.size == TARGET_SIZE else \
            f" (set for {TARGET_SIZE:,}; checked at the largest size of this run)"
        print(f"\ntargets for (a) at {run.size:,} existing items, every phase{note}:")
        for label, shown, ok in checks:
            print(f"  {verdict(ok)}  {label}: {shown}")
        load = max((p.load_cores for r in runs for p in r.phases if p.load_cores == p.load_cores),
                   default=0.0)
        trust = ("well below one: the phones were not the limit" if load <= LOAD_CEILING
                 else "SUSPECT: the phones may have been the limit")
        print(f"  load process: at most {load:.2f} of a core in any phase ({trust})")
    return all(ok for _, _, ok in checks)


# -- the command --------------------------------------------------------------------------------


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", choices=("a", "b", "both"), default="both",
                        help="(a) facilitator run: the TUI and its server process, (b) the "
                             "server alone, or both")
    parser.add_argument("--sizes", type=_sizes, default=None,
                        help="existing items in the round, e.g. 0,5000,20000")
    parser.add_argument("--phones", type=int, default=None, help="how many phones")
    parser.add_argument("--nofile", type=int, default=STOCK_NOFILE,
                        help="the soft open-files limit the laptop starts with, under the "
                             f"hard limit (default {STOCK_NOFILE}, a stock Linux desktop's; "
                             "256: macOS's)")


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--sizes {text!r}: numbers separated by commas") from None
    if any(size < 0 for size in sizes):
        raise argparse.ArgumentTypeError(f"--sizes {text!r}: no negative sizes")
    return sizes


def measure(plan: Plan, *, echo: bool = True) -> list[Run]:
    """Every configuration at every size, one after the other (each printed when done)."""
    runs = []
    with tempfile.TemporaryDirectory(prefix="facilitator-bench-room-") as folder:
        for config in plan.configs:
            for size in plan.sizes:
                _say(f"({config}) {size:,} existing items")
                session = Session(plan, config, size, Path(folder))
                try:
                    runs.append(session.run())
                finally:
                    session.close()
                if echo:
                    print_run(runs[-1])
    return runs


def run(quick: bool = False, config: str = "both", sizes: tuple[int, ...] | None = None,
        phones: int | None = None, nofile: int = STOCK_NOFILE) -> int:
    plan = replace(Plan.quick() if quick else Plan.full(), nofile=nofile)
    if config != "both":
        plan = replace(plan, configs=(config,))
    if sizes is not None:
        plan = replace(plan, sizes=sizes)
    if phones is not None:
        plan = replace(plan, phones=phones, collect_rate=plan.collect_rate * phones / plan.phones)
    started = time.monotonic()
    print_plan(plan, quick)
    runs = measure(plan)
    ok = targets(runs, echo=True)
    print(f"\n(took {time.monotonic() - started:.0f} s)")
    return 0 if ok else 1
