"""Who is asking, and may they: the device cookie, the CSRF token, the Origin check, rate limits
and the security headers every answer carries."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
import time
from collections import deque
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web

DEVICE_COOKIE = "device"
LANG_COOKIE = "lang"
_COOKIE = re.compile(r"^[0-9a-f]{32}$")
COOKIE_MAX_AGE = 14 * 24 * 3600

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


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
class Limits:
    """Requests per minute, per kind of change: per device, and per client address on top.

    The per-address limits stop a script that makes up new devices; they are generous because
    a whole room may share one address (a venue's NAT in front of a ``--public-url``).
    """

    submissions: int = 10
    """Sending, editing and withdrawing contributions, per device."""
    votes: int = 30
    joins: int = 10
    ip_submissions: int = 120
    """Sending, editing and withdrawing contributions, per client address."""
    ip_votes: int = 300
    ip_joins: int = 120
    """Joining and changing one's details, per client address."""
    ip_new_devices: int = 60
    """Devices joining for the first time, per client address."""
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
    """A sliding one-minute window per (device or address, kind)."""

    WINDOW_S = 60.0

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], deque[float]] = {}
        self._last_sweep = time.monotonic()

    def allow(self, key: str, kind: str, per_minute: int) -> bool:
        return self.allow_all([(key, kind, per_minute)])

    def allow_all(self, checks: list[tuple[str, str, int]]) -> bool:
        """Whether every (key, kind, per minute) check has room; counted only when all do, so a
        refusal by one limit does not use up another."""
        now = time.monotonic()
        if now - self._last_sweep > self.WINDOW_S:
            self._sweep(now)
        for key, kind, per_minute in checks:
            times = self._seen.get((key, kind))
            if times is None:
                if per_minute < 1:
                    return False
                continue
            while times and now - times[0] > self.WINDOW_S:
                times.popleft()
            if len(times) >= per_minute:
                return False
        for key, kind, _ in checks:  # only what was allowed takes memory
            self._seen.setdefault((key, kind), deque()).append(now)
        return True

    def spent(self, key: str, kind: str, per_minute: int) -> bool:
        """Whether (key, kind) has used up its minute, counting nothing: for what is known to
        count only after it was checked (a guess is wrong only once compared)."""
        times = self._seen.get((key, kind))
        now = time.monotonic()
        while times and now - times[0] > self.WINDOW_S:
            times.popleft()
        return len(times or ()) >= per_minute

    def count(self, key: str, kind: str) -> None:
        """Count one (key, kind) that :meth:`spent` let through."""
        now = time.monotonic()
        if now - self._last_sweep > self.WINDOW_S:
            self._sweep(now)
        self._seen.setdefault((key, kind), deque()).append(now)

    def _sweep(self, now: float) -> None:
        """Forget keys that have been quiet for a minute, so memory stays bounded."""
        self._last_sweep = now
        for key, times in list(self._seen.items()):
            if not times or now - times[-1] > self.WINDOW_S:
                del self._seen[key]
