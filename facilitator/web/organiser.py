"""The organiser's link: the room's read-only summary (facilitator.session.summary) for
``facilitator event watch`` on the organiser's laptop, behind a secret of its own.

The summary is built after each commit and kept as bytes (:class:`SummaryCache`), so an
answer costs the same at 20 contributions and at 20,000; the route and the cache are this
module's, registered on the participant server's application by :func:`register_routes`.
"""

from __future__ import annotations

import hmac
import time

from aiohttp import web

from facilitator.serving import ROOM_CLOCK
from facilitator.session.summary import SummaryCache
from facilitator.web import sentences as say
from facilitator.web.guard import client_address
from facilitator.web.pages import CONFIG, STORE, Refusal

SUMMARY: web.AppKey[SummaryCache] = web.AppKey("summary", SummaryCache)


def register_routes(app: web.Application) -> list[web.AbstractRouteDef]:
    """The organiser's route, and the room's summary kept in ``app`` until it shuts down."""
    summary = app[SUMMARY] = SummaryCache(app[STORE])

    async def stop_summary(app: web.Application) -> None:
        summary.close()

    app.on_shutdown.append(stop_summary)
    return [web.get(r"/o/{secret:[A-Za-z0-9_-]{1,128}}", organiser_summary)]


async def organiser_summary(request: web.Request) -> web.StreamResponse:
    """The room's read-only summary for ``facilitator event watch`` (facilitator.session.summary),
    behind the organiser link's own secret: compared in constant time, refused when the
    facilitator switched organiser access off or made a new link. Served from the summary
    built after the last commit; 304 when the organiser's laptop already has it."""
    store = request.app[STORE]
    address = client_address(request)
    config = request.app[CONFIG]
    secret = store.info.organiser_secret
    sent = request.match_info["secret"]
    right = bool(secret) and hmac.compare_digest(sent.encode(), secret.encode())
    # Wrong guesses and the right link are limited apart: a stranger guessing from the
    # organiser's address cannot lock the organiser out (the secret's 192 bits, not the limit,
    # are what make guessing hopeless).
    kind, limit = (("organiser", config.limits.ip_organiser) if right else
                   ("organiser_guesses", config.limits.ip_organiser_guesses))
    if address is not None and not config.rate.allow("ip:" + address, kind, limit):
        raise Refusal(say.TOO_FAST, headers={"Retry-After": "60"})
    if not right:
        raise Refusal(say.ORGANISER_REFUSED)
    etag, body = request.app[SUMMARY].current()
    headers = {"ETag": etag, ROOM_CLOCK: f"{time.time():.3f}"}
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type="application/json", headers=headers)
