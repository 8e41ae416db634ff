"""``python -m bench crash --cycles N``: kill -9 under load, N times over.

A real ``facilitator serve`` process (127.0.0.1, a free port; the first line it prints is the
join URL) runs one session. Simulated phones (asyncio tasks with an aiohttp client, in this
process) join through the real join page and form with its CSRF token, then keep sending
contributions and, like a browser, load the page they are sent back to and dot-vote on the items
it shows them; each device sends a few (under the per-device limits) and a new one takes over.
At a random moment the server is SIGKILLed, and started again on the same file, N times. After
every kill the session file must parse; at the end it is opened with the store, and every answer
the phones got with a 2xx must be in it:

- a contribution that was acknowledged is in the file, with its text;
- a device's votes in the file are what its acknowledged ballots add up to (a ballot sets the
  votes on the items of its page and leaves the others), with or without the one it had sent
  when the server died (that one may or may not have been written; both are right).

It prints what was acknowledged, found and lost, the temp files the kills left behind (and how
many remain once the session has been opened again: the open removes them), and whether the file
parsed every time.

``--power`` cuts the power instead: the session lies on the power-cut layer
(:mod:`bench.powercut`, a FUSE file system that forgets everything not fsynced), and
at the random moment the layer cuts (every write since its file's last fsync is lost, every name
made, moved or removed since its folder's last fsync is undone, and the disk answers nothing
more), then the server is killed, the layer unmounted and mounted again (the laptop boots) and
the server started on what the disk kept. After every cut the acknowledged contributions are
looked for in the session as it is on disk. In half the cycles the server compacts its journal
at :data:`POWER_COMPACT_BYTES` instead of 4 MB, so that cuts also land while the file is written
again and the journal replaced (at 4 MB a cycle of a second never compacts but on opening); a
fifth of the cuts come while the server starts and opens the session; after half of them the disk
keeps part of what was not synced (a torn or whole write, a folder's new names), as a disk that
had written some of the page cache back.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import orjson

from bench.powercut import PowerCutMount, Undone, unavailable
from facilitator.session.files import StoreError, stale_temp_files
from facilitator.session.journal import load_session
from facilitator.session.library import Library, Templates
from facilitator.session.store import SessionStore
from facilitator.web.guard import device_id

ROUND = "knelpunten"
"""The kennisatelier round the phones use, open for contributions and dot voting (5 dots, at
most 2 on one item, own items allowed)."""
PHONES = 24
SENDS_PER_DEVICE = 8
"""Under the per-device limit of 10 contributions a minute; then a new device takes over."""
RUN_S = (0.2, 1.0)
"""How long the server runs before each kill, drawn at random, from the first answer that
told a phone "stored" (a loaded machine, or Windows under Wine, may take seconds to give it)."""
THINK_S = (0.01, 0.15)
"""A phone's pause between two requests, drawn at random (a busy room, but one whose session
does not grow past what a long day gives over hundreds of cycles)."""
QUICK_CYCLES, DEFAULT_CYCLES = 10, 300
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
CODE = re.compile(r'name="code" value="([^"]+)"')
BALLOT = re.compile(r'<select name="v([0-9]+)"')
STARTUP_TIMEOUT_S = 30.0
POWER_COMPACT_BYTES = 16 << 10
"""The journal size at which the server compacts in some cycles under ``--power`` (see the
module docstring): about every 40 contributions."""
SMALL_JOURNAL_SHARE = 0.5
"""The share of cycles under ``--power`` with that small journal; the others keep the store's
own (which a cycle never reaches: the journal made on opening is the one that matters)."""
CUT_WHILE_OPENING = 0.2
"""The share of power cuts that come while the server starts: it opens the session and folds
the journal into the file (a second's work, most of it importing the server)."""
KEEP_SOME_SHARE = 0.5
"""The share of power cuts after which the disk keeps part of what was not synced (each file
all, none or a torn part of it; each folder all its new entries or none), as a disk that had
written some of the page cache back; the others keep none of it."""
OPENING_S = (0.2, 1.2)
"""When those cuts come, after the server was started."""
SERVE_COMPACTING_AT = (
    "import sys; import facilitator.session.journal as journal; "
    "journal.COMPACT_BYTES = int(sys.argv[1]); from facilitator.cli import main; "
    "sys.exit(main(sys.argv[2:]))")
"""``facilitator serve`` with another compaction threshold (the argument before its own)."""


@dataclass
class Device:
    """One phone's device: what it was told was stored."""

    cookie: str = ""
    """Its device cookie (the session file knows it only by an HMAC of it)."""
    ballots: list[dict[int, int]] = field(default_factory=list)
    """Every ballot it sent, in order (each over the items of its page, 0 for no vote)."""
    acked: int = -1
    """The index of its last acknowledged ballot (-1: none)."""

    def votes_after(self, count: int) -> dict[int, int]:
        """Its votes once its first ``count`` ballots are stored."""
        votes: dict[int, int] = {}
        for ballot in self.ballots[:count]:
            votes.update(ballot)
        return {item: weight for item, weight in votes.items() if weight}


@dataclass
class Soak:
    """What the phones were told, and what the kills left."""

    phones: int = PHONES
    cycles: int = 0
    texts: list[str] = field(default_factory=list)
    """Acknowledged contributions."""
    devices: list[Device] = field(default_factory=list)
    unparsed: list[int] = field(default_factory=list)
    """Cycles after which the session file (or its .bak) did not parse."""
    temp_files: list[int] = field(default_factory=list)
    """Temp files beside the session right after each kill."""
    kills_under_load: int = 0
    """Kills in a cycle in which the phones had been told "stored" at least once."""
    found_texts: int = 0
    lost_texts: list[str] = field(default_factory=list)
    found_ballots: int = 0
    lost_ballots: int = 0
    temp_files_after_open: int = -1
    seconds: float = 0.0
    power: bool = False
    """Power cuts instead of kills."""
    undone: Undone = field(default_factory=Undone)
    """What the power cuts took away, added up."""
    cuts_in_compaction: int = 0
    """Cuts while a temp file of a compaction was on disk."""
    cuts_while_opening: int = 0
    """Cuts before the server said it listens."""
    cuts_keeping_some: int = 0
    """Cuts after which the disk kept part of what was not synced."""
    small_journal_cycles: int = 0
    """Cycles in which the server compacted at :data:`POWER_COMPACT_BYTES`."""
    failure: str = ""
    """What stopped the soak before its last cycle, or kept the session from opening."""
    missing_after_cut: dict[int, int] = field(default_factory=dict)
    """Cycle → acknowledged contributions not on disk after its cut."""

    @property
    def acked_ballots(self) -> int:
        return sum(1 for d in self.devices if d.acked >= 0)

    @property
    def lost(self) -> int:
        return len(self.lost_texts) + self.lost_ballots


async def _spawn(session_id: str, data_dir: Path, log: Path, compact_bytes: int | None = None,
                 ) -> asyncio.subprocess.Process:
    """``facilitator serve`` on a free port of 127.0.0.1 (:func:`_ready` waits for it).
    ``compact_bytes``: the journal size at which it compacts, if not the store's own."""
    command = ["serve", session_id, "--host", "127.0.0.1", "--port", "0"]
    start = (["-m", "facilitator"] if compact_bytes is None
             else ["-c", SERVE_COMPACTING_AT, str(compact_bytes)])
    with log.open("ab") as errors:
        return await asyncio.create_subprocess_exec(
            sys.executable, *start, *command,
            env={**os.environ, "FACILITATOR_DATA_DIR": str(data_dir)},
            stdout=asyncio.subprocess.PIPE, stderr=errors)


async def _ready(process: asyncio.subprocess.Process, log: Path) -> str:
    """The join URL, the first line the server prints once it listens."""
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), STARTUP_TIMEOUT_S)
    except TimeoutError:
        line = b""
    if not line.startswith(b"http://"):
        await _kill(process)
        problem = log.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise RuntimeError(f"facilitator serve did not start: {line!r}\n{problem}")
    return line.decode().strip()


async def _first_answer(acked: list[int], within_s: float) -> None:
    """Until a phone has been told "stored" (at most ``within_s``): the kill comes while the
    phones are answered, however long a slow machine takes to answer the first."""
    deadline = time.monotonic() + within_s
    while not acked and time.monotonic() < deadline:
        await asyncio.sleep(0.02)


async def _kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):  # it may have ended by itself
            process.kill()  # SIGKILL; TerminateProcess on Windows
    await process.wait()


def _ballot(items: list[int], rng: random.Random) -> dict[int, int]:
    """The vote form of a page: every item on it, up to 5 dots over three of them, at most 2
    on one (the page's form sends an empty field, no vote, for the others)."""
    ballot = dict.fromkeys(items, 0)
    budget = 5
    for item in rng.sample(items, min(len(items), 3)):
        weight = min(rng.randint(1, 2), budget)
        if weight:
            ballot[item] = weight
            budget -= weight
    return ballot


async def _phone(link: str, name: str, soak: Soak, acked: list[int], rng: random.Random,
                 stop: asyncio.Event) -> None:
    """A phone that keeps sending and voting, one request at a time, a new device after each few.
    ``link`` is the join URL as scanned (with the room's code); ``acked`` counts the 2xx answers
    it got in this cycle."""
    url = link.split("?")[0]
    origin = url.split("/j/")[0]
    headers = {"Origin": origin, "Accept": "application/json"}
    numbers = itertools.count()
    timeout = aiohttp.ClientTimeout(total=10)
    while not stop.is_set():
        device = Device()
        try:
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                             timeout=timeout) as http:
                async with http.get(link) as page:
                    html = await page.text()
                found, code = CSRF.search(html), CODE.search(html)
                if found is None or code is None:
                    raise RuntimeError(f"no join form on the join page {link}")
                csrf = found.group(1)
                async with http.post(f"{url}/join", headers=headers,
                                     data={"csrf": csrf, "lang": "nl", "code": code.group(1)},
                                     ) as response:
                    if response.status != 200:
                        continue
                cookie = next((c.value for c in http.cookie_jar if c.key == "device"), "")
                device.cookie = cookie
                soak.devices.append(device)
                for _ in range(SENDS_PER_DEVICE):
                    await asyncio.sleep(rng.uniform(*THINK_S))
                    text = f"{name}-{next(numbers)}"
                    async with http.post(f"{url}/send", headers=headers,
                                         data={"csrf": csrf, "round": ROUND, "text": text},
                                         ) as response:
                        if 200 <= response.status < 300:
                            soak.texts.append(text)
                            acked.append(1)
                    async with http.get(url) as page:  # the page it is sent back to
                        shown = [int(item) for item in BALLOT.findall(await page.text())]
                    if shown and rng.random() < 0.6:
                        ballot = _ballot(shown, rng)
                        device.ballots.append(ballot)
                        form = {"csrf": csrf, "round": ROUND,
                                **{f"v{item}": str(weight) if weight else ""
                                   for item, weight in ballot.items()}}
                        async with http.post(f"{url}/vote", data=form,
                                             headers=headers) as response:
                            if 200 <= response.status < 300:
                                device.acked = len(device.ballots) - 1
                                acked.append(1)
        except (TimeoutError, aiohttp.ClientError, ConnectionError):
            if stop.is_set():
                return
            await asyncio.sleep(0.01)


def _check_after_kill(path: Path) -> bool:
    """Whether the session file and its backup parse (they must, at any moment)."""
    try:
        orjson.loads(path.read_bytes())
        backup = path.with_name(path.name + ".bak")
        if backup.exists():
            orjson.loads(backup.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return False
    return True


async def soak(cycles: int, *, data_dir: Path, phones: int = PHONES, seed: int = 9,
               progress: Callable[[Soak], None] | None = None, power: bool = False) -> Soak:
    """Run ``cycles`` kill-and-restart cycles of one session in ``data_dir`` (with ``power``,
    power cuts on the layer, whose disk and mount are made in ``data_dir``)."""
    started = time.monotonic()
    layer = PowerCutMount(data_dir / "disk", data_dir / "mnt") if power else None
    sessions = data_dir
    if layer is not None:
        layer.mount()
        sessions = layer.mountpoint / "data"  # made through the layer, like a first start
    try:
        return await _soak(cycles, sessions=sessions, log=data_dir / "serve.log",
                           layer=layer, phones=phones, seed=seed, progress=progress,
                           started=started)
    finally:
        if layer is not None:
            layer.unmount()


async def _soak(cycles: int, *, sessions: Path, log: Path, layer: PowerCutMount | None,
                phones: int, seed: int, progress: Callable[[Soak], None] | None,
                started: float) -> Soak:
    store = Library(sessions).create(Templates().load("kennisatelier"), title="Crash soak")
    await store.go_to_round([r.id for r in store.template.rounds].index(ROUND))
    await store.update_round(ROUND, voting_open=True)
    session_id, path = store.session_id, store.path
    await store.close()
    rng = random.Random(seed)
    result = Soak(phones=phones, power=layer is not None)
    for cycle in range(cycles):
        compacting = layer is not None and rng.random() < SMALL_JOURNAL_SHARE
        result.small_journal_cycles += compacting
        process = await _spawn(session_id, sessions, log,
                               POWER_COMPACT_BYTES if compacting else None)
        stop = asyncio.Event()
        acked: list[int] = []
        tasks = []
        if layer is not None and rng.random() < CUT_WHILE_OPENING:
            # The power goes while the server opens the session (and folds its journal in).
            await asyncio.sleep(rng.uniform(*OPENING_S))
            result.cuts_while_opening += 1
        else:
            try:
                url = await _ready(process, log)
            except RuntimeError as exc:
                result.failure = f"after {cycle} {'cuts' if layer else 'kills'}: {exc}"
                break
            tasks = [asyncio.create_task(_phone(url, f"c{cycle}p{p}", result, acked,
                                                random.Random(rng.random()), stop))
                     for p in range(phones)]
            await _first_answer(acked, STARTUP_TIMEOUT_S)
            await asyncio.sleep(rng.uniform(*RUN_S))
        if layer is not None:
            result.cuts_in_compaction += bool(stale_temp_files(path))
            some = rng.randrange(1 << 32) if rng.random() < KEEP_SOME_SHARE else None
            result.cuts_keeping_some += some is not None
            undone = await asyncio.to_thread(layer.cut, some)
            for name, value in vars(undone).items():
                setattr(result.undone, name, getattr(result.undone, name) + value)
        await _kill(process)
        stop.set()
        await asyncio.gather(*tasks)
        result.cycles = cycle + 1
        result.kills_under_load += bool(acked)
        if layer is not None:
            await asyncio.to_thread(layer.unmount)
            await asyncio.to_thread(layer.mount)  # the laptop boots on what the disk kept
        if not _check_after_kill(path):
            result.unparsed.append(cycle)
        result.temp_files.append(len(stale_temp_files(path)))
        if layer is not None:
            try:
                tables = load_session(path)[0]
            except StoreError:
                tables = {}
            on_disk = {doc["text"] for doc in tables.get("contributions", {}).values()}
            missing = sum(1 for text in result.texts if text not in on_disk)
            if missing:
                result.missing_after_cut[cycle] = missing
        if progress is not None:
            progress(result)

    stored: set[str] = set()
    ballots: dict[str, dict[int, int]] = {}
    try:
        final = SessionStore.open(path)  # for writing, as a restart would: it removes temp files
    except (StoreError, OSError) as exc:
        result.failure = result.failure or f"the session does not open: {exc}"
    else:
        result.temp_files_after_open = len(stale_temp_files(path))
        stored = {c.text for c in final.contributions(visible_only=False)}
        ballots = {device.cookie: final.ballot(device_id(final.info.secret, device.cookie),
                                               ROUND)
                   for device in result.devices if device.acked >= 0}
        await final.close()
    result.found_texts = sum(1 for text in result.texts if text in stored)
    result.lost_texts = [text for text in result.texts if text not in stored]
    for device in result.devices:
        if device.acked < 0:
            continue
        if ballots.get(device.cookie) in (device.votes_after(device.acked + 1),
                                      device.votes_after(device.acked + 2)):
            result.found_ballots += 1
        else:
            result.lost_ballots += 1
    result.seconds = time.monotonic() - started
    return result


def report(result: Soak) -> list[str]:
    temp = result.temp_files
    what = "power cuts" if result.power else "SIGKILLs"
    lines = [
        f"crash soak: {result.cycles} {what} of `facilitator serve` under {result.phones} phones "
        f"({result.kills_under_load} while phones were being answered"
        + (f", {result.cuts_while_opening} while it started, {result.cuts_in_compaction} "
           f"during a compaction; {result.small_journal_cycles} cycles compacting at "
           f"{POWER_COMPACT_BYTES >> 10} KB" if result.power else "")
        + f"), {result.seconds:.0f} s",
    ]
    if result.power:
        undone = result.undone
        lines.append(f"  the cuts undid: {undone.bytes:,} unsynced bytes in {undone.files:,} "
                     f"files, {undone.entries:,} names in {undone.folders:,} folders "
                     f"({result.cuts_keeping_some} cuts kept part of what was not synced)")
    lines += [
        f"  contributions: acknowledged {len(result.texts):,}, found {result.found_texts:,}, "
        f"lost {len(result.lost_texts)}",
        f"  ballots: acknowledged {result.acked_ballots:,} devices' last ballots, found "
        f"{result.found_ballots:,}, lost {result.lost_ballots}",
        f"  temp files left by the {what}: {sum(temp)} in all, at most {max(temp, default=0)} "
        f"at once; after the session was opened again: {result.temp_files_after_open}",
        f"  the file and its .bak parsed after every one: "
        f"{'yes' if not result.unparsed else 'NO, after cycles ' + str(result.unparsed[:10])}",
    ]
    if result.failure:
        lines.append(f"  STOPPED {result.failure}")
    if result.power:
        missing = result.missing_after_cut
        lines.append("  acknowledged contributions missing on disk after a cut: " + (
            "none" if not missing else
            ", ".join(f"{count} after cut {cycle + 1}" for cycle, count in
                      list(missing.items())[:10])))
    return lines


def run(quick: bool = False, cycles: int | None = None, power: bool = False) -> int:
    count = cycles or (QUICK_CYCLES if quick else DEFAULT_CYCLES)
    if power and unavailable() is not None:
        print(unavailable(), file=sys.stderr)
        return 2

    def progress(result: Soak) -> None:
        if result.cycles % 25 == 0:
            print(f"  … {result.cycles} {'cuts' if power else 'kills'}, "
                  f"{len(result.texts):,} contributions acknowledged", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(soak(count, data_dir=Path(tmp), progress=progress, power=power))
    for line in report(result):
        print(line)
    ok = (not result.lost and not result.unparsed and result.temp_files_after_open == 0
          and result.kills_under_load > 0 and not result.missing_after_cut
          and not result.failure)
    print(f"target: nothing acknowledged lost, the file always parses, no temp file left: "
          f"{'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1

