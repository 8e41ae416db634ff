"""Who is asking, and may they: the device cookie, the CSRF token, the Origin check, rate limits
and the security headers every answer carries."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections import deque
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web

DEVICE_COOKIE = "device"
LANG_COOKIE = "lang"
_DEVICE_ID = re.compile(r"^[0-9a-f]{32}$")
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


def new_device_id() -> str:
    """A random device id (128 bits); the cookie is the only thing that knows it."""
    return secrets.token_hex(16)


def valid_device_id(value: str | None) -> bool:
    return value is not None and _DEVICE_ID.match(value) is not None


def csrf_token(join_token: str, device_id: str) -> str:
    """The form token of one device in one session.

    Derived (HMAC keyed by the session's secret join token) rather than stored, so it survives a
    restart of the server and costs nothing to check; another site can neither read the device
    cookie nor this token.
    """
    mac = hmac.new(join_token.encode(), device_id.encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def csrf_ok(join_token: str, device_id: str, sent: str) -> bool:
    return hmac.compare_digest(csrf_token(join_token, device_id).encode(), sent.encode())


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
    """Requests per device per minute, per kind of change."""

    submissions: int = 10
    """Sending, editing and withdrawing contributions."""
    votes: int = 30
    joins: int = 10


class RateLimiter:
    """A sliding one-minute window per (device, kind)."""

    WINDOW_S = 60.0

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], deque[float]] = {}
        self._last_sweep = time.monotonic()

    def allow(self, device_id: str, kind: str, per_minute: int) -> bool:
        now = time.monotonic()
        if now - self._last_sweep > self.WINDOW_S:
            self._sweep(now)
        times = self._seen.setdefault((device_id, kind), deque())
        while times and now - times[0] > self.WINDOW_S:
            times.popleft()
        if len(times) >= per_minute:
            return False
        times.append(now)
        return True

    def _sweep(self, now: float) -> None:
        """Forget devices that have been quiet for a minute, so memory stays bounded."""
        self._last_sweep = now
        for key, times in list(self._seen.items()):
            if not times or now - times[-1] > self.WINDOW_S:
                del self._seen[key]
