"""Which addresses phones might reach this laptop on, and the join URL built from one."""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import psutil


@dataclass(frozen=True, slots=True)
class Candidate:
    interface: str
    address: str


def lan_candidates() -> list[Candidate]:
    """Every IPv4 address of an interface that is up and not loopback, private ranges first.

    Venue Wi-Fi often isolates clients; the facilitator sees all candidates so they can pick the
    one of a phone hotspot or travel router instead.
    """
    stats = psutil.net_if_stats()
    found: list[Candidate] = []
    for name, addresses in psutil.net_if_addrs().items():
        if name in stats and not stats[name].isup:
            continue
        for addr in addresses:
            if addr.family != socket.AF_INET:
                continue
            ip = ipaddress.ip_address(addr.address)
            if ip.is_loopback or ip.is_link_local:
                continue
            found.append(Candidate(name, addr.address))
    return sorted(
        found, key=lambda c: (not ipaddress.ip_address(c.address).is_private, c.interface)
    )


_OWN: tuple[float, frozenset[str]] = (0.0, frozenset())
OWN_FOR_S = 5.0
"""How long the list of this machine's addresses is kept (an interface may come or go)."""


def own_addresses() -> frozenset[str]:
    """Every address of this machine's interfaces (IPv4 and IPv6, loopback included): a request
    from one of them, not forwarded by a proxy, comes from the laptop itself."""
    global _OWN
    at, found = _OWN
    now = time.monotonic()
    if now - at > OWN_FOR_S:
        found = frozenset(addr.address.split("%")[0] for addresses in
                          psutil.net_if_addrs().values() for addr in addresses
                          if addr.family in (socket.AF_INET, socket.AF_INET6))
        _OWN = (now, found)
    return found


def default_host() -> str:
    """The address to bind by default: the first LAN candidate, else loopback."""
    candidates = lan_candidates()
    return candidates[0].address if candidates else "127.0.0.1"


def base_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def join_url(base: str, token: str, code: str = "", table: str = "") -> str:
    """The URL in a QR code: the participant page of one session, with the join code that
    admits a new device (the room's, or a table card's) and the table a card pre-selects."""
    url = f"{base.rstrip('/')}/j/{token}"
    query = {key: value for key, value in (("code", code), ("table", table)) if value}
    return f"{url}?{urlencode(query, quote_via=quote)}" if query else url


ROOM_LINK_PATH = "/r/"
"""The short link's path: ``/r/<the room's join code>``."""


def room_link(base: str, code: str) -> str:
    """The short link in the room's QR code: the room's join code is all it carries. The code
    is an HMAC of the session's secret, so it names the session too (only that session's server
    accepts it), and the server answers with the join page's full link (:func:`join_url`).

    About 40 characters on a LAN address: a QR code of version 3 (29 modules, 33 with its quiet
    zone), small enough to scan whole from a terminal's side panel, and short enough to type.
    Lower case on purpose: an all-capital link would fit a version smaller, but some phone
    cameras do not take ``HTTP://`` for a web address."""
    return f"{base.rstrip('/')}{ROOM_LINK_PATH}{code}"


def wall_url(base: str, wall_token: str) -> str:
    """The projector wall's address (its token is not the join token: see
    ``core/joining.wall_token``)."""
    return f"{base.rstrip('/')}/wall/{wall_token}"


def moderation_url(base: str, token: str) -> str:
    """The facilitator's moderation page (answered only on the laptop itself)."""
    return f"{base.rstrip('/')}/m/{token}"


def comoderator_url(base: str, secret: str) -> str:
    """The co-moderator's link: the moderation page for a colleague's phone or laptop."""
    return f"{base.rstrip('/')}/c/{secret}"


def organiser_url(base: str, secret: str) -> str:
    """The organiser link: the room's read-only summary for ``facilitator event watch``."""
    return f"{base.rstrip('/')}/o/{secret}"
