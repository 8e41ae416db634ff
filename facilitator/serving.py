"""What every server of the laptop shares: the room's participant server (``facilitator/web``)
and the organiser's event wall (``facilitator/event``). Neither imports the other; both import
this.

- the security headers every answer carries;
- the organiser summary's own header (the room serves it, the organiser's watch reads it);
- how a face adds its pages to an application (:data:`RegisterRoutes`);
- one way to start listening: aiohttp's ``AppRunner`` and ``loop.create_server`` with the
  runner's public ``server`` (or a protocol factory around it), so the bound port is read from
  the listening sockets, never from a private member of aiohttp.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

from aiohttp import web

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

ROOM_CLOCK = "X-Room-Clock"
"""The room's wall clock when it sent its summary (seconds since the epoch): the organiser's
watch reads a room's timer against it, whatever the two laptops' clocks say."""

RegisterRoutes = Callable[[web.Application], Iterable[web.AbstractRouteDef]]
"""A face's pages (datasette's ``register_routes`` is the model): given the application, it
keeps what it needs there (its own ``AppKey``, its shutdown hook) and returns its routes; the
application adds them. The room's server takes its organiser and moderation pages so, and the
event wall its own."""


async def listen(runner: web.BaseRunner, host: str | None, port: int, *,
                 protocol: Callable[[], asyncio.Protocol] | None = None,
                 backlog: int = 128) -> tuple[asyncio.Server, int]:
    """Listen on ``host``:``port`` for ``runner`` (set up already), with its aiohttp server as
    the protocol factory unless ``protocol`` (one wrapped around it) is given. Returns the
    listening server, which the caller closes before ``runner.cleanup()``, and the bound port
    (the one the system picked when ``port`` is 0). An address that cannot be bound raises
    ``OSError``."""
    factory = protocol if protocol is not None else runner.server
    assert factory is not None, "runner.setup() first"
    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, host, port, backlog=backlog)
    sockets = server.sockets
    return server, sockets[0].getsockname()[1] if sockets else port
