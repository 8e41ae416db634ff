"""Who is asking, and may they: the device cookie, the CSRF token, the Origin check and rate
limits (the security headers every answer carries are facilitator.serving's)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web

DEVICE_COOKIE = "device"
LANG_COOKIE = "lang"
_COOKIE = re.compile(r"^[0-9a-f]{32}$")
COOKIE_MAX_AGE = 14 * 24 * 3600

def new_cookie() -> str:
    """A random device cookie (128 bits): a bearer value only the phone holds."""
    return secrets.token_hex(16)


def valid_cookie(value: str | None) -> bool:
    return value is not None and _COOKIE.match(value) is not None


def _mac(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()[:32]


def device_id(secret: str, cookie: str) -> str:
    """The id a device is stored under: derived from its cookie with the session's secret.

    The session file and its exports hold only this id, never a cookie that would let someone
    act as the participant; and a cookie a script makes up is just a new device, which must join
    (rate-limited per address) before it may send anything.
    """
    return _mac(secret, "device:" + cookie)


def csrf_token(secret: str, device: str) -> str:
    """The form token of one device in one session.

    Keyed by the session's server-side secret (never in a URL or a page), so nobody can compute
    it: a page has to be loaded with the device's cookie to learn it. Derived rather than stored,
    it survives a restart of the server and costs nothing to check.
    """
    return _mac(secret, "csrf:" + device)


def csrf_ok(secret: str, device: str, sent: str) -> bool:
    return hmac.compare_digest(csrf_token(secret, device).encode(), sent.encode("utf-8", "replace"))


def client_address(request: web.BaseRequest) -> str | None:
    """The address a request is limited under, or None for the laptop itself.

    A request from this machine that carries ``X-Forwarded-For`` came through a reverse proxy
    or tunnel here (``--public-url``): the proxy appends the address it saw, so the last entry
    counts (what a phone puts in front cannot change it). One from this machine without it is
    the laptop itself and is not limited per address (the per-device limits still apply).
    Anything else is limited by the address it comes from.
    """
    remote = request.remote or ""
    try:
        address = ipaddress.ip_address(remote.split("%")[0])
    except ValueError:
        return remote or None
    mapped = getattr(address, "ipv4_mapped", None)
    if not (address.is_loopback or (mapped is not None and mapped.is_loopback)):
        return str(address)
    forwarded = request.headers.get("X-Forwarded-For", "")
    last = forwarded.rsplit(",", 1)[-1].strip()[:64]
    return last or None


def same_origin(request: web.Request, public_url: str | None) -> bool:
    """Whether a POST comes from our own page: Origin (else Referer) must name this server.

    A request with neither (some privacy tools strip both) still needs the CSRF token.
    """
    allowed = {f"{request.scheme}://{request.host}".lower()}
    if public_url:
        parts = urlsplit(public_url)
        allowed.add(f"{parts.scheme}://{parts.netloc}".lower())
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin.lower() in allowed
    referer = request.headers.get("Referer")
    if referer is not None:
        parts = urlsplit(referer)
        return f"{parts.scheme}://{parts.netloc}".lower() in allowed
    return True


@dataclass(frozen=True, slots=True)
class Rate:
    """A limit as a burst and a pace: at most ``burst`` at once, then ``per_minute`` a minute
    (a token bucket that holds ``burst`` and fills at ``per_minute``)."""

    burst: int
    per_minute: float

    @classmethod
    def per_minute_of(cls, count: int) -> Rate:
        """``count`` a minute, all of them at once if need be."""
        return cls(count, count)


ROOM_BEHIND_ONE_ADDRESS = 500
"""The phones one client address may carry: an access point in router mode, or a proxy for
``--public-url`` that does not say which phone it forwards. The limits per address let such a
room join and send all at once; past them, they keep pace with a room, not with a script."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Limits per kind of change: per device, which do the fine work, and per client address,
    which are a burst allowance well above a room's pace.

    A device is one phone: a minute's worth of sending, voting and joining is generous for a
    person and slow for a script. An address may be a whole room (a venue's NAT, a proxy), so
    its limits let :data:`ROOM_BEHIND_ONE_ADDRESS` phones join and send at once, then refill
    at a room's pace; a script that makes up devices from one address is held to that pace.
    """

    submissions: int = 10
    """Sending, editing and withdrawing contributions, per device, a minute."""
    votes: int = 30
    joins: int = 10
    ip_submissions: Rate = Rate(2 * ROOM_BEHIND_ONE_ADDRESS, 1_200)
    """Sending, editing and withdrawing contributions, per client address: the whole room
    twice at once, then 20 a second."""
    ip_votes: Rate = Rate(4 * ROOM_BEHIND_ONE_ADDRESS, 3_000)
    ip_joins: Rate = Rate(2 * ROOM_BEHIND_ONE_ADDRESS, 300)
    """Joining and changing one's details, per client address."""
    ip_new_devices: Rate = Rate(ROOM_BEHIND_ONE_ADDRESS, 60)
    """Devices joining for the first time, per client address: the room at once, then one a
    second (latecomers)."""
    ip_organiser: int = 120
    """Organiser summaries, per client address (a watching laptop asks every few seconds)."""
    ip_organiser_guesses: int = 60
    """Wrong organiser links, per client address. Counted apart from the right one, so that
    someone guessing from the organiser's address cannot lock the organiser out."""
    ip_moderation: int = 240
    """Moderation pages and their changes, per client address (a colleague approving fast:
    two requests a change)."""
    ip_moderation_guesses: int = 60
    """Wrong moderation links, per client address; counted apart, like organiser links."""
    ip_code_guesses: int = 60
    """Join codes that admit nobody, per client address. Past it every code from that address
    waits (the right one too: otherwise a guess would still be answered). A room behind one
    address never meets it: phones with the code of the moment are not counted."""


class RateLimiter:
    """A token bucket per (device or address, kind), kept as one number: the time at which the
    bucket would be full again (GCRA, the generic cell rate algorithm). A quiet key is
    forgotten, so memory stays bounded by who is active."""

    SWEEP_S = 60.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._full_at: dict[tuple[str, str], float] = {}
        self._last_sweep = clock()

    def allow(self, key: str, kind: str, limit: Rate | int) -> bool:
        return self.allow_all([(key, kind, limit)])

    def allow_all(self, checks: list[tuple[str, str, Rate | int]]) -> bool:
        """Whether every (key, kind, limit) check has room (an ``int`` limit is so many a
        minute); counted only when all do, so a refusal by one limit uses up no other."""
        now = self._clock()
        if now - self._last_sweep > self.SWEEP_S:
            self._sweep(now)
        after: list[tuple[tuple[str, str], float]] = []
        for key, kind, limit in checks:
            rate, each = _pace(limit)
            if rate.burst < 1 or rate.per_minute <= 0:
                return False
            full_at = max(now, self._full_at.get((key, kind), now))
            if full_at + each - now > rate.burst * each + 1e-9:
                return False
            after.append(((key, kind), full_at + each))
        self._full_at.update(after)
        return True

    def spent(self, key: str, kind: str, limit: Rate | int) -> bool:
        """Whether (key, kind) has no room left, counting nothing: for what is known to count
        only after it was checked (a guess is wrong only once compared)."""
        rate, each = _pace(limit)
        now = self._clock()
        full_at = max(now, self._full_at.get((key, kind), now))
        return (rate.burst < 1 or rate.per_minute <= 0
                or full_at + each - now > rate.burst * each + 1e-9)

    def count(self, key: str, kind: str, limit: Rate | int) -> None:
        """Count one (key, kind) that :meth:`spent` let through."""
        _, each = _pace(limit)
        now = self._clock()
        if now - self._last_sweep > self.SWEEP_S:
            self._sweep(now)
        self._full_at[(key, kind)] = max(now, self._full_at.get((key, kind), now)) + each

    def _sweep(self, now: float) -> None:
        """Forget the buckets that are full again."""
        self._last_sweep = now
        for key, full_at in list(self._full_at.items()):
            if full_at <= now:
                del self._full_at[key]


def _pace(limit: Rate | int) -> tuple[Rate, float]:
    """A limit as a :class:`Rate` (an ``int`` is so many a minute), and the seconds one use of
    it takes to refill (infinite for a rate that never refills: it allows nothing)."""
    rate = limit if isinstance(limit, Rate) else Rate.per_minute_of(limit)
    return rate, 60.0 / rate.per_minute if rate.per_minute > 0 else float("inf")
