"""The phones of ``python -m bench room``: browser-like clients in a load process.

Each phone does what a phone's browser does on the participant page, no more:

- **join**: ``GET`` the join URL (the answer sets the ``device`` cookie), ``POST`` the join form
  (its hidden inputs, such as ``csrf`` and ``lang``, a stakeholder group from the radio buttons
  or "", a table when the form offers one) with an ``Origin`` header, follow the redirect and
  load the page it points to;
- keep one **live connection** (SSE) open to the page's ``data-events`` URL, reconnecting as
  ``EventSource`` does (after ``retry:`` ms, with ``Last-Event-ID``) when it drops. A
  ``state`` message carries ``key``; when it differs from the page's ``data-key`` the page is
  stale and is loaded again, after a random delay within the message's ``spread_ms`` (0 when
  absent), unless the message says ``"reload": false`` (it carried what the page needs: its key
  becomes the page's key without a request);
- **send**: ``POST`` the send form (every hidden input sent back unchanged: ``csrf``,
  ``round``, a ``nonce`` if there is one) with the text, as a plain form (no ``Accept:
  application/json``), follow the redirect, load the page;
- **vote**: from the vote form (``data-rule`` dots or score, ``data-dots``, the ``v<id>``
  selects; the per-item cap from ``data-cap`` or else the highest option) choose weights within
  the rules and ``POST`` every select, as a browser does (empty for "no vote");
- on **503 or 429** wait ``Retry-After`` and send the same form again (a retry, not an error);
  when the network loses a request (the connection reset or refused) wait 2–4 s and send the
  same form again, at most :data:`RETRIES` times, as the page's script does.

Some phones misbehave as real ones do (:class:`Habit`, a share of the room each): they press
**back** after a send and send their next idea from the form of the page before (its key
already used), **lose their Wi-Fi** for a few seconds (every connection dropped, nothing
reaches the laptop until it is back; what was in flight is sent again), or **double-tap**
(the same form twice, the second a moment after the first). The benchmark can also drop every
connection of every phone at once (:meth:`Phones.blink`, the venue's Wi-Fi blinking) and time
each phone's way back to a live connection.

Pages are read with a few precompiled regular expressions, never an HTML parser, and only the
fields above are kept; the page itself is dropped once read (at 20,000 items a page can be
megabytes). A request that takes longer than :data:`TIMEOUT_S` is abandoned and counted as a
timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import html
import multiprocessing.connection
import random
import re
import secrets
import socket
import struct
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import aiohttp
import orjson
from yarl import URL

from bench.common import raise_open_files

TIMEOUT_S = 10.0
"""Longer than this and the phone gives up on a request (an error: a timeout)."""
RECONNECT_S = 3.0
"""EventSource's reconnection delay until the server says otherwise with ``retry:``."""
RETRIES = 8
"""A form whose request the network lost is sent again at most this many times (the script's
limit, facilitator/web/static/app.js)."""
AGAIN_S = 2.0
"""The script waits this long, to twice this, before it sends such a form again."""
SCORE_ALL = 20
"""A phone scores every item when the page shows at most this many, else a few."""
SCORE_FEW = 5
HTML_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
USER_AGENT = "Mozilla/5.0 (Linux; Android 14) facilitator-bench-phone"

_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)
_INPUT = re.compile(r"<input\b([^>]*)>")
_SELECT = re.compile(r"<select\b([^>]*)>(.*?)</select>", re.S)
_OPTION = re.compile(r'<option\b[^>]*?\bvalue="([^"]*)"')
_ATTRIBUTE = re.compile(r'([\w:-]+)="([^"]*)"')
_LIVE = re.compile(r'<[a-z]+\b[^>]*\bdata-key="[^"]*"[^>]*>')
_VOTE_ITEM = re.compile(r'<select\b[^>]*\bname="(v\d+)"')


# -- reading pages ------------------------------------------------------------------------------


def _attributes(tag: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in _ATTRIBUTE.findall(tag)}


def _inputs(body: str, kind: str) -> list[dict[str, str]]:
    found = (_attributes(tag) for tag in _INPUT.findall(body))
    return [attrs for attrs in found if attrs.get("type", "text") == kind]


def _hidden(body: str) -> dict[str, str]:
    return {a["name"]: a.get("value", "") for a in _inputs(body, "hidden") if "name" in a}


def _options(select_body: str) -> list[str]:
    return [html.unescape(value) for value in _OPTION.findall(select_body)]


@dataclass(frozen=True, slots=True)
class JoinForm:
    action: str
    fields: dict[str, str]
    """The hidden inputs, sent back unchanged."""
    stakeholders: list[str]
    tables: list[str] | None
    """The table choices, or None when the form does not ask."""


@dataclass(frozen=True, slots=True)
class SendForm:
    action: str
    fields: dict[str, str]


@dataclass(frozen=True, slots=True)
class VoteForm:
    action: str
    fields: dict[str, str]
    rule: str
    dots: int
    cap: int
    items: list[str]
    """The ``v<id>`` field names, in page order."""
    weights: list[int]
    """The weights one select offers (dots 1..cap, or the score scale)."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    location: URL | None
    """Where a redirect points."""
    body: str
    size: int
    """Bytes as received."""


@dataclass(frozen=True, slots=True)
class Page:
    """What a phone keeps of a participant page."""

    key: str
    events: str
    send: SendForm | None
    vote: VoteForm | None
    size: int


def _forms(text: str) -> list[tuple[dict[str, str], str]]:
    return [(_attributes(attrs), body) for attrs, body in _FORM.findall(text)]


def read_join_form(text: str) -> JoinForm | None:
    for attrs, body in _forms(text):
        action = attrs.get("action", "")
        if action.endswith("/join"):
            radios = [a.get("value", "") for a in _inputs(body, "radio")
                      if a.get("name") == "stakeholder"]
            tables = next((_options(select) for sattrs, select in _SELECT.findall(body)
                           if _attributes(sattrs).get("name") == "table"), None)
            return JoinForm(action, _hidden(body), radios, tables)
    return None


def read_page(text: str) -> Page | None:
    """The participant page's key, live-update URL and forms; None if it is not one."""
    live = _LIVE.search(text)
    if live is None:
        return None
    attrs = _attributes(live.group(0))
    send: SendForm | None = None
    vote: VoteForm | None = None
    for form_attrs, body in _forms(text):
        action = form_attrs.get("action", "")
        if action.endswith("/send"):
            send = SendForm(action, _hidden(body))
        elif action.endswith("/vote"):
            first = _SELECT.search(body)
            weights = [int(v) for v in _options(first.group(2)) if v.isdigit()] if first else []
            rule = form_attrs.get("data-rule", "")
            dots = int(form_attrs.get("data-dots", "0") or 0)
            cap = int(form_attrs.get("data-cap", "0") or 0) or max(weights, default=0)
            vote = VoteForm(action, _hidden(body), rule, dots, cap, _VOTE_ITEM.findall(body),
                            weights)
    return Page(attrs["data-key"], attrs.get("data-events", ""), send, vote, len(text))


def choose_ballot(form: VoteForm, rng: random.Random) -> dict[str, int]:
    """Weights within the rules: dots spend the whole budget, at most the cap on one item;
    scores go to every item when there are few, else to a few of them."""
    names = list(form.items)
    rng.shuffle(names)
    ballot: dict[str, int] = {}
    if form.rule == "dots":
        left = form.dots
        for name in names:
            if left <= 0 or form.cap < 1:
                break
            weight = rng.randint(1, min(form.cap, left))
            ballot[name] = weight
            left -= weight
        for name in ballot:  # too few items for the budget: top them up to the cap
            extra = min(form.cap - ballot[name], left)
            ballot[name] += extra
            left -= extra
        return ballot
    if not form.weights:
        return ballot
    chosen = names if len(names) <= SCORE_ALL else names[:SCORE_FEW]
    return {name: rng.choice(form.weights) for name in chosen}


# -- what the phones measure --------------------------------------------------------------------


@dataclass
class Tally:
    """Everything the phones saw during one phase (a request counts in the phase it began in)."""

    requests: int = 0
    """Every request sent, a retry included (live connections not: they are counted apart)."""
    latencies_ms: list[float] = field(default_factory=list)
    """Every answered request, and every timeout as :data:`TIMEOUT_S`."""
    errors: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    page_sizes: list[int] = field(default_factory=list)
    """Participant pages as loaded (bytes)."""
    acked: int = 0
    """Joins, contributions or ballots answered with a success."""
    acked_ms: list[float] = field(default_factory=list)
    """For each of them, from the first try to the success, waits for Retry-After included."""
    reconnects: int = 0
    shed_ms: list[float] = field(default_factory=list)
    """How long each 503 (the server shedding load) took to arrive."""
    resent: int = 0
    """Forms sent again after their phone's own network lost them (its Wi-Fi, a blink): not
    errors. A connection the server dropped or refused is an error, sent again all the same."""
    habits: Counter[str] = field(default_factory=Counter)
    """What misbehaving phones did: sends from the page before, Wi-Fi losses, double taps."""
    cut: int = 0
    """Waits for a Retry-After that would have gone past the end of the phase (saturation)."""

    def failed(self, what: str) -> None:
        self.errors[what] += 1

    def summary(self) -> dict[str, Any]:
        return {"requests": self.requests, "latencies_ms": self.latencies_ms,
                "errors": dict(self.errors), "retries": self.retries,
                "page_sizes": self.page_sizes, "acked": self.acked, "acked_ms": self.acked_ms,
                "reconnects": self.reconnects, "shed_ms": self.shed_ms, "resent": self.resent,
                "habits": dict(self.habits), "cut": self.cut}


@dataclass
class Acknowledged:
    """What the server said it stored: checked against the session file after the run."""

    joins: list[str] = field(default_factory=list)
    """Device cookies."""
    texts: list[str] = field(default_factory=list)
    """Every text a phone was told was stored ("sent"): each must be in the file exactly once."""
    tried: list[str] = field(default_factory=list)
    """Every text a phone sent, told or not: none may be in the file twice."""
    ballots: dict[str, dict[int, int]] = field(default_factory=dict)
    """Device cookie → the last ballot acknowledged."""


class Habit(StrEnum):
    """How a misbehaving phone misbehaves (a well-behaved one has none)."""

    BACK = "back"
    """Every second send comes from the form of the page before (the back button)."""
    WIFI = "wifi"
    """Loses its Wi-Fi for a few seconds, once, while the room is collecting."""
    DOUBLE = "double"
    """Taps every button twice."""


class Room:
    """The phones' shared state: where the server is, the current phase's tally, the acks."""

    def __init__(self, join_url: str, seed: int) -> None:
        self.join_url = URL(join_url)
        self.origin = f"{self.join_url.scheme}://{self.join_url.host}:{self.join_url.port}"
        self.rng = random.Random(seed)
        self.tally = Tally()
        self.acked = Acknowledged()
        self.watching = False
        """During a change: phones note when their page first caught up with a new key."""
        self.live_open = 0
        self.until: float | None = None
        """The end of the phase: a phone does not wait for a Retry-After past it."""


class Phone:
    def __init__(self, room: Room, index: int, habit: Habit | None = None) -> None:
        self.room = room
        self.index = index
        self.habit = habit
        self.rng = random.Random(room.rng.random())
        self.cookies: dict[str, str] = {}
        self.page: Page | None = None
        self.key = ""
        """The key of the page as the phone shows it."""
        self.latest = ""
        """The newest key the live connection announced."""
        self.reloading: asyncio.Task[None] | None = None
        self.joined = False
        self.base_key = ""
        self.caught_up: float | None = None
        self.http = self._browser()
        self.listener: asyncio.Task[None] | None = None
        self.live: aiohttp.ClientResponse | None = None
        """The live connection while it is open."""
        self.live_since = 0.0
        """When the live connection last opened (``time.monotonic``)."""
        self.previous: Page | None = None
        """The page whose form sent the last text: what the back button shows again."""
        self.sends = 0
        self.offline_until = 0.0
        """While the clock is before this, the phone's Wi-Fi is gone."""
        self.dropped_at = 0.0
        """When the phone's network last dropped every connection (a request begun before it
        and lost is the network's doing, not the server's)."""
        self.waited_out = False
        """A Retry-After it was told to wait would have outlasted the phase."""
        self._closing: set[asyncio.Task[None]] = set()

    @staticmethod
    def _browser() -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=6, keepalive_timeout=60),
            cookie_jar=aiohttp.DummyCookieJar(),
            headers={"User-Agent": USER_AGENT, "Accept-Language": "en"},
        )

    async def close(self) -> None:
        for task in (self.listener, self.reloading):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        await self.http.close()
        await asyncio.gather(*self._closing, return_exceptions=True)

    # -- the phone's own network -----------------------------------------------------------------

    @property
    def offline(self) -> bool:
        return time.monotonic() < self.offline_until

    def drop(self, offline_s: float = 0.0) -> None:
        """Every connection of this phone gone at once, as when its Wi-Fi goes: the live one
        reset (the server reads a TCP reset), the others closed with the browser they were in;
        no new one for ``offline_s`` seconds. What was in flight is sent again by the phone."""
        self.dropped_at = time.monotonic()
        self.offline_until = self.dropped_at + offline_s
        live, self.live = self.live, None
        connection = live.connection if live is not None else None
        if connection is not None and connection.transport is not None:
            sock = connection.transport.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.transport.abort()
        old, self.http = self.http, self._browser()
        closing = asyncio.create_task(old.close())
        self._closing.add(closing)
        closing.add_done_callback(self._closing.discard)

    async def _online(self) -> None:
        """Wait until the phone's Wi-Fi is back."""
        while self.offline:
            await asyncio.sleep(max(0.0, self.offline_until - time.monotonic()))

    # -- HTTP as a browser does it ---------------------------------------------------------------

    def _headers(self, post: bool) -> dict[str, str]:
        headers = {"Accept": HTML_ACCEPT}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if post:
            headers["Origin"] = self.room.origin
        return headers

    async def fetch(self, url: URL, form: dict[str, str] | None = None,
                    expected: tuple[int, ...] = ()) -> Answer | None:
        """One GET (or POST of ``form``) as the browser sends it; None when it failed (counted
        in the tally). 503 and 429 are waited out and the same request is sent again; so is
        one the network lost, after 2–4 s, up to :data:`RETRIES` times (the page's script).
        A refusal whose status is ``expected`` is an answer, not an error."""
        lost = 0
        while True:
            tally = self.room.tally
            if self.offline:  # nothing leaves the phone: the script waits until it is back
                await self._online()
                await asyncio.sleep(self.rng.uniform(AGAIN_S, 2 * AGAIN_S))
                continue
            tally.requests += 1
            started = time.monotonic()
            try:
                async with self.http.request(
                    "POST" if form is not None else "GET", url, data=form,
                    headers=self._headers(form is not None), allow_redirects=False,
                    timeout=aiohttp.ClientTimeout(total=TIMEOUT_S),
                ) as response:
                    raw = await response.read()
                    status = response.status
                    location = response.headers.get("Location")
                    retry_after = response.headers.get("Retry-After", "")
                    for name, morsel in response.cookies.items():
                        self.cookies[name] = morsel.value
            except TimeoutError:
                tally.latencies_ms.append(TIMEOUT_S * 1000)
                tally.failed("timeout")
                return None
            except (aiohttp.ClientError, OSError) as exc:
                if started <= self.dropped_at:
                    tally.resent += 1  # the phone's own network lost it
                else:
                    tally.failed(f"connection lost ({type(exc).__name__}), sent again")
                lost += 1
                if lost > RETRIES:
                    return None
                await self._online()
                await asyncio.sleep(self.rng.uniform(AGAIN_S, 2 * AGAIN_S))
                continue
            took = (time.monotonic() - started) * 1000
            tally.latencies_ms.append(took)
            if status in (429, 503):
                if status == 503:
                    tally.shed_ms.append(took)
                wait = float(retry_after) if retry_after.isdigit() else 1.0
                if self.room.until is not None and time.monotonic() + wait > self.room.until:
                    tally.cut += 1  # the phase ends before the wait would
                    self.waited_out = True
                    return None
                tally.retries += 1
                await asyncio.sleep(wait)
                continue
            if status >= 400 and status not in expected:
                tally.failed(f"HTTP {status}")
                return None
            return Answer(status, url.join(URL(location)) if location else None,
                          raw.decode("utf-8", "replace"), len(raw))

    async def submit(self, action: str, fields: dict[str, str],
                     expected: tuple[int, ...] = ()) -> Answer | None:
        """Post a form of the page; a success counts as acknowledged, with how long it took
        from the first try (retries and their waits included). A phone that double-taps
        posts it twice, the second a moment after the first, and shows the last answer."""
        tally = self.room.tally
        started = time.monotonic()
        url = self.room.join_url.join(URL(action))
        if self.habit is Habit.DOUBLE:
            tally.habits["double taps"] += 1

            async def second() -> Answer | None:
                await asyncio.sleep(self.rng.uniform(0.05, 0.25))
                return await self.fetch(url, fields, expected)

            answers = await asyncio.gather(self.fetch(url, fields, expected), second())
            answer = answers[1] or answers[0]
        else:
            answer = await self.fetch(url, fields, expected)
        if answer is not None and answer.status < 400:
            tally.acked += 1
            tally.acked_ms.append((time.monotonic() - started) * 1000)
        return answer

    async def load(self, url: URL | None = None) -> bool:
        """Load the participant page (the page's own URL unless a redirect named another)."""
        got = await self.fetch(url or self.room.join_url)
        return got is not None and self._show(got)

    def _show(self, answer: Answer) -> bool:
        page = read_page(answer.body)
        if page is None:
            self.room.tally.failed("not a participant page")
            return False
        self.room.tally.page_sizes.append(answer.size)
        self.page = page
        self.key = page.key
        if self.listener is None and page.events:
            self.listener = asyncio.create_task(self.listen(self.room.join_url.join(
                URL(page.events))))
        return True

    def _show_pushed(self, body: str) -> None:
        """Show a page the live message brought (the same for every phone): like the page's
        script, keep this phone's form token and give each send form a nonce of its own."""
        page = read_page(body)
        if page is None:
            self.room.tally.failed("not a participant page")
            return
        self.room.tally.page_sizes.append(len(body.encode()))
        token = self.page.send.fields.get("csrf", "") if self.page and self.page.send else ""
        if page.send is not None:
            fields = dict(page.send.fields)
            if not fields.get("csrf"):
                fields["csrf"] = token
            if "nonce" in fields and not fields["nonce"]:
                fields["nonce"] = secrets.token_hex(12)
            page = replace(page, send=replace(page.send, fields=fields))
        self.page = page

    async def _after_post(self, answer: Answer) -> None:
        """Follow the redirect and load the page, as the browser does after a form."""
        if answer.location is not None and 300 <= answer.status < 400:
            await self.load(answer.location)
        elif answer.body:
            self._show(answer)
        self._check()

    # -- the live connection ---------------------------------------------------------------------

    async def listen(self, url: URL) -> None:
        retry_s = RECONNECT_S
        last_id = ""
        while True:
            pause = retry_s
            headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache",
                       **({"Last-Event-ID": last_id} if last_id else {})}
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            if self.offline:  # EventSource tries and fails until the Wi-Fi is back
                self.room.tally.reconnects += 1
                await asyncio.sleep(pause)
                continue
            try:
                async with self.http.get(url, headers=headers, timeout=aiohttp.ClientTimeout(
                        total=None, sock_connect=TIMEOUT_S, sock_read=None)) as response:
                    kind = response.headers.get("Content-Type", "")
                    if response.status in (429, 503):
                        self.room.tally.retries += 1
                        after = response.headers.get("Retry-After", "")
                        pause = float(after) if after.isdigit() else retry_s
                    elif response.status != 200 or not kind.startswith("text/event-stream"):
                        self.room.tally.failed(f"live HTTP {response.status}")
                        return  # EventSource gives up on such an answer
                    else:
                        self.room.live_open += 1
                        self.live, self.live_since = response, time.monotonic()
                        try:
                            event, data = "message", list[str]()
                            async for raw in response.content:
                                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                                if not line:
                                    if data and event == "state":
                                        self.on_state(orjson.loads("\n".join(data)))
                                    event, data = "message", []
                                    continue
                                name, _, value = line.partition(":")
                                value = value.removeprefix(" ")
                                if name == "event":
                                    event = value
                                elif name == "data":
                                    data.append(value)
                                elif name == "id":
                                    last_id = value
                                elif name == "retry" and value.isdigit():
                                    retry_s = pause = int(value) / 1000
                        finally:
                            self.room.live_open -= 1
                            if self.live is response:
                                self.live = None
            except (aiohttp.ClientError, OSError, TimeoutError, ValueError):
                pass
            self.room.tally.reconnects += 1
            await asyncio.sleep(pause)

    def on_state(self, message: Any) -> None:
        key = message.get("key") if isinstance(message, dict) else None
        if not isinstance(key, str):
            return
        self.latest = key
        if key == self.key:
            self._check()
        elif message.get("reload") is False:
            pushed = message.get("page")
            if isinstance(pushed, str) and pushed:
                self._show_pushed(pushed)  # the page came with the message, as in a browser
            self.key = key
            self._check()
        elif self.reloading is None:
            spread_ms = message.get("spread_ms")
            delay = (self.rng.uniform(0, spread_ms / 1000)
                     if isinstance(spread_ms, int | float) and spread_ms > 0 else 0.0)
            self.reloading = asyncio.create_task(self._reload(delay))

    async def _reload(self, delay: float) -> None:
        """Load the page again; once more if a newer key arrived meanwhile (at most one load
        per announcement: a page that comes back stale without news stays stale)."""
        try:
            await asyncio.sleep(delay)
            while True:
                wanted = self.latest
                if not await self.load() or self.key == self.latest or self.latest == wanted:
                    break
        finally:
            self.reloading = None
            self._check()

    def _check(self) -> None:
        """Note the moment the page caught up with a change the phases are watching."""
        if (self.room.watching and self.caught_up is None and self.reloading is None
                and self.key == self.latest and self.key != self.base_key):
            self.caught_up = time.monotonic()

    async def _settled_page(self) -> Page | None:
        """The page as the participant sees it once any reload in flight has landed."""
        while self.reloading is not None:
            await asyncio.shield(self.reloading)
        return self.page

    # -- what a participant does -----------------------------------------------------------------

    async def join(self) -> None:
        got = await self.fetch(self.room.join_url)
        if got is None:
            return
        form = read_join_form(got.body)
        if form is None:
            self.room.tally.failed("no join form")
            return
        fields = dict(form.fields)
        fields["stakeholder"] = self.rng.choice(form.stakeholders) if form.stakeholders else ""
        if form.tables is not None:
            fields["table"] = self.rng.choice(form.tables)
        answer = await self.submit(form.action, fields)
        if answer is None:
            return
        self.joined = True
        self.room.acked.joins.append(self.cookies.get("device", ""))
        await self._after_post(answer)

    async def send(self, text: str) -> None:
        page = await self._settled_page()
        if page is None or page.send is None:
            if not await self.load():
                return  # counted as what went wrong with the load
            page = self.page
        if page is None or page.send is None:
            self.room.tally.failed("no send form")
            return
        form = page.send
        self.sends += 1
        back = (self.habit is Habit.BACK and self.sends % 2 == 0 and self.previous is not None
                and self.previous.send is not None)
        if back and self.previous is not None and self.previous.send is not None:
            # back to the page before: its form, its key already used, a new idea typed in
            form, page = self.previous.send, self.previous
            self.room.tally.habits["sends from the page before"] += 1
        self.room.acked.tried.append(text)
        answer = await self.submit(form.action, {**form.fields, "text": text},
                                   expected=(409,) if back else ())
        if answer is None:
            return
        if answer.status == 409:  # the page before was of a round that has closed since
            self.room.tally.habits["refused: the page before was of an earlier round"] += 1
            await self.load()
            return
        self.room.acked.texts.append(text)
        self.previous = page
        await self._after_post(answer)

    def lose_wifi(self, seconds: float) -> None:
        """The phone's Wi-Fi goes for ``seconds``."""
        self.room.tally.habits["Wi-Fi losses"] += 1
        self.drop(seconds)

    async def vote(self) -> None:
        page = await self._settled_page()
        if page is None or page.vote is None:
            # the vote page, when the live message has not brought it (yet)
            if not await self.load():
                return
            page = self.page
        if page is None or page.vote is None or not page.vote.items:
            self.room.tally.failed("no vote form")
            return
        form = page.vote
        ballot = choose_ballot(form, self.rng)
        fields = {**form.fields, **dict.fromkeys(form.items, "")}
        fields.update({name: str(weight) for name, weight in ballot.items()})
        answer = await self.submit(form.action, fields)
        if answer is None:
            return
        self.room.acked.ballots[self.cookies.get("device", "")] = {
            int(name[1:]): weight for name, weight in ballot.items()}
        await self._after_post(answer)


# -- the phases ---------------------------------------------------------------------------------


async def _at(start: float, offset: float, action: Callable[[], Awaitable[None]]) -> None:
    await asyncio.sleep(max(0.0, start + offset - time.monotonic()))
    await action()


async def _run_until(tasks: list[asyncio.Task[None]], deadline_s: float, tally: Tally) -> None:
    """Wait for the phase's work; what is still going at the deadline is cut and counted."""
    if not tasks:
        return
    done, cut = await asyncio.wait(tasks, timeout=deadline_s)
    for task in cut:
        task.cancel()
    await asyncio.gather(*cut, return_exceptions=True)
    if cut:
        tally.errors["unfinished at the deadline"] += len(cut)
    for task in done:  # a fault of the phones themselves must show, not vanish
        problem = task.exception()
        if problem is not None:
            tally.errors[f"phone failed: {problem!r}"] += 1


class Phones:
    """The load process's side of the conversation with the benchmark."""

    def __init__(self, join_url: str, count: int, seed: int,
                 habits: dict[str, float] | None = None) -> None:
        """``habits``: the share of the room with each :class:`Habit` (none by default)."""
        self.room = Room(join_url, seed)
        given: list[Habit | None] = []
        for name, share in (habits or {}).items():
            given += [Habit(name)] * round(share * count)
        given += [None] * (count - len(given))
        self.room.rng.shuffle(given)
        self.phones = [Phone(self.room, i, habit) for i, habit in enumerate(given[:count])]

    def _begin(self) -> Tally:
        self.room.tally = Tally()
        return self.room.tally

    async def join(self, window_s: float, deadline_s: float) -> dict[str, Any]:
        tally = self._begin()
        start = time.monotonic()
        tasks = [asyncio.create_task(_at(start, self.room.rng.uniform(0, window_s), phone.join))
                 for phone in self.phones]
        await _run_until(tasks, deadline_s, tally)
        # the live connections open after the page has loaded; give the last ones a moment
        for _ in range(50):
            if self.room.live_open >= sum(p.listener is not None for p in self.phones):
                break
            await asyncio.sleep(0.1)
        return {**tally.summary(), "joined": sum(p.joined for p in self.phones),
                "live": self.room.live_open}

    def _sending(self, rate: float, seconds: float, marker: str, start: float
                 ) -> tuple[list[asyncio.Task[None]], int]:
        """The room sends ``rate`` texts a second for ``seconds`` from ``start``, each joined
        phone its share at random moments, one after the other."""
        joined = [p for p in self.phones if p.joined]
        total = round(rate * seconds) if joined else 0
        plans: dict[int, list[tuple[float, str]]] = {}
        for n in range(total):
            phone = joined[n % len(joined)]
            text = (f"{marker} phone {phone.index} idea {n}: "
                    + FILLERS[n % len(FILLERS)][: 40 + self.room.rng.randrange(120)])
            plans.setdefault(phone.index, []).append((self.room.rng.uniform(0, seconds), text))

        async def sender(phone: Phone, plan: list[tuple[float, str]]) -> None:
            for offset, text in sorted(plan):
                await _at(start, offset, functools.partial(phone.send, text))

        return [asyncio.create_task(sender(self.phones[i], plan))
                for i, plan in plans.items()], total

    async def collect(self, rate: float, seconds: float, deadline_s: float,
                      marker: str, offline_s: tuple[float, float] = (2.0, 8.0)
                      ) -> dict[str, Any]:
        """Phones send; those that lose their Wi-Fi lose it once, at a random moment, for
        ``offline_s`` (from, to) seconds."""
        tally = self._begin()
        start = time.monotonic()
        tasks, total = self._sending(rate, seconds, marker, start)
        rng = self.room.rng
        for phone in self.phones:
            if phone.joined and phone.habit is Habit.WIFI:
                loop = asyncio.get_running_loop()
                loop.call_at(loop.time() + rng.uniform(0, seconds), phone.lose_wifi,
                             rng.uniform(*offline_s))
        await _run_until(tasks, deadline_s, tally)
        return {**tally.summary(), "planned": total}

    async def blink(self, rate: float, seconds: float, at_s: float, deadline_s: float,
                    marker: str) -> dict[str, Any]:
        """The venue's Wi-Fi blinks while the room sends: ``at_s`` into the phase every
        connection of every phone is dropped at once (the live ones reset), and each phone
        finds its own way back, as a browser does. How long each took to be live again (None:
        not within the phase), and what the sends in flight became."""
        tally = self._begin()
        start = time.monotonic()
        tasks, total = self._sending(rate, seconds, marker, start)
        await asyncio.sleep(at_s)
        blinked = time.monotonic()
        for phone in self.phones:
            phone.drop()
        await _run_until(tasks, deadline_s - at_s, tally)
        joined = [p for p in self.phones if p.joined]
        end = blinked + max(0.0, deadline_s - at_s)
        while time.monotonic() < end and any(p.live_since <= blinked for p in joined):
            await asyncio.sleep(0.05)
        back = [(p.live_since - blinked) * 1000 if p.live_since > blinked else None
                for p in joined]
        return {**tally.summary(), "planned": total, "back_ms": back}

    async def saturate(self, seconds: float, deadline_s: float, marker: str
                       ) -> dict[str, Any]:
        """Every joined phone sends its next text as soon as the last was answered (and its
        page loaded), for ``seconds``: far more than the laptop can take, so it must shed.
        A phone waits out a 503 as the script does, and stops when the wait would outlast the
        phase (a 429's minute always does)."""
        tally = self._begin()
        start = time.monotonic()
        self.room.until = start + seconds

        async def rush(phone: Phone) -> None:
            n = 0
            phone.waited_out = False
            while time.monotonic() < start + seconds and not phone.waited_out:
                await phone.send(f"{marker} phone {phone.index} rush {n}: "
                                 + FILLERS[n % len(FILLERS)][:60])
                n += 1

        try:
            tasks = [asyncio.create_task(rush(p)) for p in self.phones if p.joined]
            await _run_until(tasks, deadline_s, tally)
        finally:
            self.room.until = None
        return {**tally.summary(), "seconds": time.monotonic() - start}

    def watch(self) -> Tally:
        """Before the facilitator's change: remember each page's key."""
        tally = self._begin()
        for phone in self.phones:
            phone.base_key = phone.key
            phone.caught_up = None
        self.room.watching = True
        return tally

    def unwatch(self) -> dict[str, Any]:
        """The change did not happen: what the phones saw meanwhile."""
        self.room.watching = False
        return {**self.room.tally.summary(), "told": self._told()}

    def _told(self) -> list[float | None]:
        return [p.caught_up for p in self.phones if p.joined]

    async def vote(self, window_s: float, deadline_s: float) -> dict[str, Any]:
        tally = self.room.tally  # begun by watch()
        start = time.monotonic()
        tasks = [asyncio.create_task(_at(start, self.room.rng.uniform(0, window_s), phone.vote))
                 for phone in self.phones if phone.joined]
        await _run_until(tasks, deadline_s, tally)
        self.room.watching = False
        return {**tally.summary(), "told": self._told()}

    async def change(self, deadline_s: float) -> dict[str, Any]:
        tally = self.room.tally  # begun by watch()
        end = time.monotonic() + deadline_s
        while time.monotonic() < end and any(t is None for t in self._told()):
            await asyncio.sleep(0.05)
        for phone in self.phones:  # let reloads still on their way finish, within the deadline
            if phone.reloading is not None:
                with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(asyncio.shield(phone.reloading),
                                           max(0.0, end - time.monotonic()))
        self.room.watching = False
        return {**tally.summary(), "told": self._told()}

    def acknowledged(self) -> dict[str, Any]:
        acked = self.room.acked
        return {"joins": acked.joins, "texts": acked.texts, "ballots": acked.ballots}

    async def close(self) -> None:
        await asyncio.gather(*(phone.close() for phone in self.phones))


FILLERS = (
    "the grant forms ask small initiatives for the same accounts a large organisation gives, "
    "and nobody helps them fill in the second part",
    "meetings are at ten in the morning in the town hall, when volunteers with a job cannot "
    "come, so the same three people speak for everyone",
    "letters from the municipality use words that even native speakers look up; translate "
    "the decisions that matter, not only the leaflets",
    "results have to be counted in numbers of participants, while what changed for a family "
    "does not fit in the spreadsheet",
    "refugee-led groups are invited to give their story but not to sit at the table when the "
    "budget is divided",
    "every new civil servant starts from zero; there is no one who knows who did what last "
    "year and which promises were made",
)


# -- the process --------------------------------------------------------------------------------


def main(conn: multiprocessing.connection.Connection) -> None:
    """The load process: phones driven by messages from the benchmark until it says stop.
    It stands for a room of phones, each with sockets of its own, so it may hold thousands:
    it raises its own open-files limit (the laptop, which is measured, never does here)."""
    raise_open_files()
    asyncio.run(_serve(conn))


async def _serve(conn: multiprocessing.connection.Connection) -> None:
    loop = asyncio.get_running_loop()
    phones: Phones | None = None
    try:
        while True:
            job: dict[str, Any] = await loop.run_in_executor(None, conn.recv)
            do = job.pop("do")
            if do == "stop":
                return
            if do == "setup":
                phones = Phones(**job)
                conn.send({})
                continue
            assert phones is not None, "setup comes first"
            if do == "join":
                conn.send(await phones.join(**job))
            elif do == "collect":
                conn.send(await phones.collect(**job))
            elif do == "blink":
                conn.send(await phones.blink(**job))
            elif do == "saturate":
                conn.send(await phones.saturate(**job))
            elif do == "watch":
                phones.watch()
                conn.send({})
            elif do == "vote":
                conn.send(await phones.vote(**job))
            elif do == "change":
                conn.send(await phones.change(**job))
            elif do == "unwatch":
                conn.send(phones.unwatch())
            elif do == "acknowledged":
                conn.send(phones.acknowledged())
    finally:
        if phones is not None:
            await phones.close()
