"""Where phones, the wall and the organiser reach a running session: the addresses both the
participant server and the TUI's view of a server in another process
(:class:`facilitator.host.handle.Host`) show. No aiohttp here: the TUI's process never
loads the web stack when the server runs in a process of its own."""

from __future__ import annotations

from collections.abc import Callable

from facilitator.core.joining import moderation_token, room_code, wall_token
from facilitator.net import (
    base_url,
    comoderator_url,
    default_host,
    join_url,
    lan_candidates,
    moderation_url,
    organiser_url,
    room_link,
    wall_url,
)
from facilitator.session.store import SessionStore

WILDCARDS = frozenset({"0.0.0.0", "::", ""})


class Addresses:
    """The links of one session's server, from where it listens (``host``, ``port``) and the
    session's own tokens. ``port`` is the one really bound once the server has started."""

    def __init__(self, store: SessionStore, *, host: str | None, port: int,
                 public_url: str | None, clock: Callable[[], float]) -> None:
        self.store = store
        self.host = host if host is not None else default_host()
        self.port = port
        self.public_url = public_url.rstrip("/") if public_url else None
        self.clock = clock

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url
        host = self.host
        if host in WILDCARDS:
            candidates = lan_candidates()
            host = candidates[0].address if candidates else "127.0.0.1"
        return base_url(host, self.port)

    @property
    def room_code(self) -> str:
        """The room's join code now (it changes every few minutes: ``core/joining.py``)."""
        return room_code(self.store.info.secret, self.clock())

    @property
    def join_url(self) -> str:
        """The link in the QR code as of now, with the room's current join code."""
        return join_url(self.base_url, self.store.info.join_token, self.room_code)

    @property
    def room_link(self) -> str:
        """The short link the room scans and types (``/r/<the room's code>``): the server
        answers it with :attr:`join_url`. The QR codes on the screen and the wall carry it."""
        return room_link(self.base_url, self.room_code)

    @property
    def room_links(self) -> list[str]:
        """The short link on every address the server listens on (the bound one first)."""
        code = self.room_code
        links = [self.room_link]
        if self.host in WILDCARDS or self.public_url:
            for candidate in lan_candidates():
                link = room_link(base_url(candidate.address, self.port), code)
                if link not in links:
                    links.append(link)
        return links

    @property
    def wall_url(self) -> str:
        return wall_url(self.base_url, wall_token(self.store.info.secret))

    @property
    def organiser_url(self) -> str | None:
        """The organiser link (the room's read-only summary), None while access is off."""
        secret = self.store.info.organiser_secret
        return organiser_url(self.base_url, secret) if secret else None

    @property
    def moderation_url(self) -> str:
        """The facilitator's moderation page, for this laptop's browser: the address the server
        is bound to (loopback when it listens on every address), never the public URL, which
        comes through a proxy and so not from the laptop itself."""
        host = "127.0.0.1" if self.host in WILDCARDS else self.host
        return moderation_url(base_url(host, self.port), moderation_token(self.store.info.secret))

    @property
    def comoderator_url(self) -> str | None:
        """The co-moderator's link, None while it is switched off."""
        secret = self.store.info.comoderator_secret
        return comoderator_url(self.base_url, secret) if secret else None

    @property
    def candidate_urls(self) -> list[str]:
        """The join URL on every LAN address phones might reach (the bound one first)."""
        token = self.store.info.join_token
        code = self.room_code
        urls = [self.join_url]
        for candidate in lan_candidates():
            url = join_url(base_url(candidate.address, self.port), token, code)
            if url not in urls:
                urls.append(url)
        return urls

    @property
    def only_loopback(self) -> bool:
        if self.public_url:
            return False
        if self.host in WILDCARDS:
            return not lan_candidates()
        return self.host.startswith("127.") or self.host in ("::1", "localhost")

    @property
    def devices_seen(self) -> int:
        """How many devices have joined the session (not how many loaded the page)."""
        return len(self.store.participants())
