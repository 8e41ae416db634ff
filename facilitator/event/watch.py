"""The organiser's laptop following every room of an event: ``facilitator event watch``.

Each room is pulled on its own (:class:`EventWatch`, one task per room over one HTTP client),
so a slow or vanished room delays no other. A room that answers keeps its latest summary; one
that stops answering is shown as offline since then (with what it last said) and is asked again,
less often the longer it stays away (at most every :data:`MAX_BACKOFF_S`), and picked up again
as soon as it answers. A room refusing the link (wrong, renewed or switched off by its
facilitator) is shown as refused. A room is a stranger on the network to this laptop: what it
answers is read to its end up to :data:`MAX_SUMMARY_BYTES`, every string cleaned and every
number checked (facilitator.session.summary, :func:`room_clock`), and a room that answers with
anything else is shown as broken, with a short reason, while the others go on. The rooms never
depend on this laptop: it only asks.

:func:`overview` turns what the rooms said into one picture of the day (the TUI and the event
wall both show it), combined by the rules of facilitator.core.combine and facilitator.core.privacy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import urlsplit

import aiohttp

from facilitator.core.combine import by_rank_across, support
from facilitator.core.privacy import EventDisclosure, event_disclosure
from facilitator.core.results import AuditFlag
from facilitator.core.templates import RoundKind
from facilitator.core.text import clean_text
from facilitator.serving import ROOM_CLOCK
from facilitator.session.summary import (
    NotASummary,
    RoomSummary,
    SummaryGroup,
    SummaryItem,
    SummaryRound,
    read_summary,
)

log = logging.getLogger(__name__)

TIMEOUT_S = 3.0
"""How long one pull may take before the room counts as offline."""
MAX_BACKOFF_S = 5.0
MAX_SUMMARY_BYTES = 1 << 20
"""A summary is tens of kilobytes; anything far bigger is not one."""
TOP_ACROSS = 5
MAX_PROBLEM_CHARS = 160
"""What is shown of why a room is broken (it may quote keys the room sent)."""
LATEST_CLOCK = 4_102_444_800.0
"""2100-01-01: a room's clock past it (or before 1970) is not a clock."""
_ETAG = re.compile(r'(W/)?"[\x21\x23-\x7e]{0,100}"')
"""An entity tag as HTTP has it; anything else is not sent back."""


def room_clock(value: str) -> float | None:
    """The room's clock from its ``X-Room-Clock`` header, or None when that is not a time
    (not a number, NaN, infinite, before 1970 or after 2100)."""
    try:
        moment = float(value)
    except ValueError:
        return None
    return moment if math.isfinite(moment) and 0.0 < moment < LATEST_CLOCK else None


class WatchError(ValueError):
    """An organiser link that is not one; the message names it."""


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    """Where the room's summary is (the link as its TUI shows it)."""
    room: str
    """Host and port, to tell the rooms apart before they have answered."""


def parse_link(text: str) -> Link:
    """An organiser link as a room's TUI shows it: ``http://HOST:PORT/o/SECRET``."""
    parts = urlsplit(text.strip())
    segments = parts.path.strip("/").split("/")
    if parts.scheme not in ("http", "https") or not parts.hostname or len(segments) != 2 \
            or segments[0] != "o" or not segments[1]:
        raise WatchError(f"{text!r} is not an organiser link; it looks like "
                         "http://HOST:PORT/o/SECRET (the room's facilitator shows it with k)")
    return Link(url=f"{parts.scheme}://{parts.netloc}/o/{segments[1]}", room=parts.netloc)


class RoomState(StrEnum):
    WAITING = "waiting"
    """Not reached yet."""
    ONLINE = "online"
    OFFLINE = "offline"
    """Did not answer (the laptop is off, asleep, or off the network)."""
    REFUSED = "refused"
    """Answered, but refuses this link (renewed or switched off by the room's facilitator)."""
    BROKEN = "broken"
    """Answered with something that is not a room summary."""


@dataclass(slots=True)
class RoomWatch:
    link: Link
    state: RoomState = RoomState.WAITING
    since: float = 0.0
    """When the room entered its state (this laptop's clock)."""
    summary: RoomSummary | None = None
    """The latest summary the room gave (kept while it is offline)."""
    seen: float | None = None
    """When the room last answered."""
    clock_offset: float = 0.0
    """The room's clock minus this laptop's, from its last answer."""
    etag: str = ""
    failures: int = 0
    problem: str = ""

    def remaining(self, now: float) -> float | None:
        """Seconds left on the room's timer now, from its last summary."""
        if self.summary is None or self.summary.now.remaining_s is None:
            return None
        left = self.summary.now.remaining_s
        if self.summary.now.running:
            left -= (now + self.clock_offset) - self.summary.built_at
        return left


class EventWatch:
    """Pulls every room's summary every ``interval`` seconds and tells subscribers what
    changed."""

    def __init__(self, links: Sequence[str | Link], *, interval: float = 2.0,
                 timeout: float = TIMEOUT_S, clock: Callable[[], float] = time.time) -> None:
        self.rooms = [RoomWatch(link if isinstance(link, Link) else parse_link(link))
                      for link in links]
        self.interval = interval
        self.timeout = timeout
        self.clock = clock
        self.version = 0
        """Goes up whenever anything shown changes."""
        self._subscribers: list[Callable[[], None]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._client: aiohttp.ClientSession | None = None

    def subscribe(self, subscriber: Callable[[], None]) -> Callable[[], None]:
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    def _changed(self) -> None:
        self.version += 1
        for subscriber in list(self._subscribers):
            subscriber()

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(limit=max(10, len(self.rooms)))
        self._client = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=self.timeout))
        self._tasks = [asyncio.create_task(self._follow(room), name=f"watch {room.link.room}")
                       for room in self.rooms]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def _follow(self, room: RoomWatch) -> None:
        while True:
            try:
                await self.pull(room)
            except Exception as exc:  # whatever a room sends, the watch and the others go on
                log.exception("pulling %s failed", room.link.room)
                self._set(room, RoomState.BROKEN, problem=type(exc).__name__)
            await asyncio.sleep(self.delay(room))

    def delay(self, room: RoomWatch) -> float:
        """The interval, growing while a room stays away (up to :data:`MAX_BACKOFF_S`)."""
        if room.failures <= 1:
            return self.interval
        grown = self.interval * 2.0 ** (room.failures - 1)
        return min(max(self.interval, MAX_BACKOFF_S), grown)

    async def pull(self, room: RoomWatch) -> None:
        """Ask one room once; update what is known of it."""
        assert self._client is not None, "start() first"
        headers = {"Accept": "application/json"}
        if room.etag and room.state is RoomState.ONLINE:
            headers["If-None-Match"] = room.etag
        try:
            async with self._client.get(room.link.url, headers=headers,
                                        allow_redirects=False) as response:
                status = response.status
                body = await read_capped(response, MAX_SUMMARY_BYTES)
                etag = response.headers.get("ETag", "")
                clock = response.headers.get(ROOM_CLOCK, "")
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            self._set(room, RoomState.OFFLINE, problem=type(exc).__name__)
            return
        now = self.clock()
        if clock:
            moment = room_clock(clock)
            if moment is None:
                self._set(room, RoomState.BROKEN, seen=now, problem=f"{ROOM_CLOCK}: not a time")
                return
            room.clock_offset = moment - now
        if status == 304:
            self._set(room, RoomState.ONLINE, seen=now)
            return
        if status == 403:
            self._set(room, RoomState.REFUSED, seen=now, problem="403")
            return
        if status != 200:
            self._set(room, RoomState.BROKEN, seen=now, problem=f"HTTP {status}")
            return
        if body is None:
            self._set(room, RoomState.BROKEN, seen=now,
                      problem=f"more than {MAX_SUMMARY_BYTES >> 20} MB")
            return
        try:
            summary = read_summary(body)
        except NotASummary as exc:
            self._set(room, RoomState.BROKEN, seen=now, problem=str(exc))
            return
        room.etag = etag if _ETAG.fullmatch(etag) else ""
        new = summary != room.summary
        room.summary = summary
        self._set(room, RoomState.ONLINE, seen=now, force=new)

    def _set(self, room: RoomWatch, state: RoomState, *, seen: float | None = None,
             problem: str = "", force: bool = False) -> None:
        now = self.clock()
        problem = clean_text(problem, multiline=False)[:MAX_PROBLEM_CHARS]
        changed = force or state is not room.state or problem != room.problem
        if state is not room.state:
            room.since = now
        room.state = state
        room.problem = problem
        room.failures = room.failures + 1 if state is RoomState.OFFLINE else 0
        if seen is not None:
            room.seen = seen
        if changed:
            self._changed()

    def overview(self) -> EventOverview:
        return overview(self.rooms, self.clock())


async def read_capped(response: aiohttp.ClientResponse, cap: int) -> bytes | None:
    """The whole body, read to its end as it arrives (over a real network, in many pieces);
    None when it is longer than ``cap`` bytes, of which no more than that is read."""
    if response.content_length is not None and response.content_length > cap:
        return None
    pieces: list[bytes] = []
    size = 0
    while piece := await response.content.read(cap + 1 - size):
        pieces.append(piece)
        size += len(piece)
        if size > cap:
            return None
    return b"".join(pieces)


# -- one picture of the day --------------------------------------------------------------------


@dataclass(slots=True)
class ItemAcross:
    room: int
    """The room's index in :attr:`EventOverview.rooms`."""
    item: SummaryItem


@dataclass(slots=True)
class GroupAcross:
    id: str
    name: dict[str, str]
    present: int
    contributions: int | None
    """None: withheld (some room pooled this group)."""
    missing: bool


@dataclass(slots=True)
class RoomAcross:
    """A room's rankings across its groups and whose voice, as its summary says them."""

    room: int
    """The room's index in :attr:`EventOverview.rooms`."""
    round: SummaryRound | None
    """The round whose rankings across groups are shown (:func:`voted_round`), or None."""


def voted_round(summary: RoomSummary) -> SummaryRound | None:
    """The round of a room whose rankings across groups say most now: the current round when
    it is voted, else the latest voted round before it with something ranked."""
    voted = [r for r in summary.rounds if r.carried is not None]
    for r in voted:
        if r.id == summary.now.round_id:
            return r
    ids = [r.id for r in summary.rounds]
    earlier = [r for r in voted if ids.index(r.id) < summary.now.index
               and r.carried is not None and r.carried.items]
    return earlier[-1] if earlier else None


@dataclass(slots=True)
class EventOverview:
    rooms: list[RoomWatch]
    now: float
    participants: int
    contributions: int
    online: int
    top_bottlenecks: list[ItemAcross] = field(default_factory=list)
    top_ideas: list[ItemAcross] = field(default_factory=list)
    groups: list[GroupAcross] = field(default_factory=list)
    no_lived_experience: bool = False
    """No room has heard a refugee-led or lived-experience voice (yet)."""
    disclosure: EventDisclosure | None = None
    across: list[RoomAcross] = field(default_factory=list)
    """Per room that has answered: its rankings across groups and whose voice."""


def _top(room: RoomSummary, kind: RoundKind) -> list[SummaryItem]:
    items = [item for r in room.rounds if r.kind is kind for item in r.top]
    return sorted(items, key=lambda item: item.rank)[:TOP_ACROSS]


def overview(rooms: Sequence[RoomWatch], now: float) -> EventOverview:
    """The day across the rooms, from each one's latest summary (an offline room counts with
    what it last said): totals, the best items (each room's ranking kept), and who is at the
    table with the event's anonymity rule (facilitator.core.privacy)."""
    known = [(n, room.summary) for n, room in enumerate(rooms) if room.summary is not None]
    summaries = [summary for _n, summary in known]
    picture = EventOverview(
        rooms=list(rooms), now=now,
        participants=sum(s.participants for s in summaries),
        contributions=sum(s.contributions for s in summaries),
        online=sum(room.state is RoomState.ONLINE for room in rooms))
    for kind, target in ((RoundKind.BOTTLENECK, picture.top_bottlenecks),
                         (RoundKind.IDEAS, picture.top_ideas)):
        lists = [[ItemAcross(n, item) for item in _top(summary, kind)] for n, summary in known]
        ordered = by_rank_across(lists, rank=lambda e: e.item.rank, support=lambda e: support(
            e.item.voters, rooms[e.room].summary.participants))  # type: ignore[union-attr]
        target += [entry for _index, entry in ordered[:TOP_ACROSS]]
    picture.across = [RoomAcross(n, voted_round(summary)) for n, summary in known]
    shown = event_disclosure(summary.disclosure() for summary in summaries)
    picture.disclosure = shown
    by_id: dict[str, list[SummaryGroup]] = {}
    for summary in summaries:
        for group in summary.groups:
            by_id.setdefault(group.id, []).append(group)
    for group_id, rows in by_id.items():
        present = sum(g.present for g in rows)
        exact = shown.exact(group_id) and all(g.contributions is not None for g in rows)
        expected = any(g.expected or g.required for g in rows)
        picture.groups.append(GroupAcross(
            id=group_id, name=next((g.name for g in rows if g.name), {}), present=present,
            contributions=sum(g.contributions or 0 for g in rows) if exact else None,
            missing=expected and present == 0))
    picture.no_lived_experience = bool(summaries) and all(
        any(flag == AuditFlag.NO_LIVED_EXPERIENCE.value for flag, _g in summary.flags)
        for summary in summaries)
    return picture
