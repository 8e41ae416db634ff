"""The event wall: one page on the organiser's laptop with every room of the day (what
:func:`facilitator.event.watch.overview` puts together), for a projector or a second screen.

It runs in the watch's own loop (aiohttp ``AppRunner``, as the participant server does), on
127.0.0.1 unless told otherwise, behind a random token in its address. The page's script asks
for the overview every few seconds and swaps it in; without script the page reloads itself.
Each request renders the overview of at most a few dozen rooms, whatever their size.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import secrets
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from babel.numbers import format_decimal, format_percent

from facilitator.core.groups import POOL
from facilitator.core.results import UNDISCLOSED
from facilitator.core.templates import localized
from facilitator.event.watch import EventOverview, EventWatch, RoomState, RoomWatch
from facilitator.i18n import FACILITATOR_LANGUAGES, template_environment, translations
from facilitator.net import base_url
from facilitator.serving import SECURITY_HEADERS, listen
from facilitator.session.summary import (
    RoomSummary,
    SummaryAcross,
    SummaryAcrossItem,
    SummaryVoice,
)

DOMAIN = "event"
HERE = Path(__file__).resolve().parent
REFRESH_S = 3


@cache
def environment(lang: str) -> jinja2.Environment:
    return template_environment(HERE / "templates", DOMAIN, lang, strict=True)


class Faces:
    """How the wall names what the overview holds, in the organiser's language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._ = translations(DOMAIN, lang).gettext

    def text(self, value: dict[str, str]) -> str:
        return localized(value, self.lang)

    def group(self, summary: RoomSummary | None, group_id: str) -> str:
        if group_id == UNDISCLOSED:
            return self._("Prefer not to say")
        if summary is not None:
            for group in summary.groups:
                if group.id == group_id and group.name:
                    return self.text(group.name)
        return group_id

    def missing(self, summary: RoomSummary) -> str:
        """The room's expected groups with nobody present, by name."""
        return ", ".join(self.text(g.name) for g in summary.groups if g.missing)

    def percent(self, share: float | None) -> str:
        return "–" if share is None else format_percent(share, locale=self.lang)

    def ranking(self, kind: str) -> str:
        return self._("Carried by every group") if kind == "carried" else self._(
            "Where the groups differ")

    def bucket(self, summary: RoomSummary, group_id: str) -> str:
        return self._("Other groups together") if group_id == POOL else self.group(
            summary, group_id)

    def support(self, summary: RoomSummary, item: SummaryAcrossItem, kind: str) -> str:
        """Each group's support (carried), or the two groups furthest apart (differ)."""
        by = {row.group: row for row in item.support}
        rows = item.support if kind == "carried" or item.highest == item.lowest else [
            by[item.highest], by[item.lowest]]
        return " · ".join(f"{self.bucket(summary, row.group)} {self.percent(row.share)}"
                          for row in rows)

    def standing(self, found: SummaryAcross) -> str:
        """Why a room's ranking across groups lists nothing ("" when it lists items)."""
        _ = self._
        if found.standing == "one_group":
            return _("Only one stakeholder group is present: nothing to compare.")
        if found.standing == "pooled":
            return _("Too few people of each group to compare them without showing how "
                     "someone voted.")
        if found.items:
            return ""
        if found.waiting:
            return _("No item seen yet by at least {n} people of every group.").format(
                n=found.min_seen)
        return _("Nothing yet.")

    def voice(self, voice: SummaryVoice) -> str:
        """Whose voice in a room: equality of contributions, presence and turnout."""
        _ = self._
        said = []
        if voice.gini is not None:
            said.append(_("equality of contributions (Gini) {gini}").format(
                gini=format_decimal(voice.gini, format="0.00", locale=self.lang)))
        if voice.representation is not None:
            said.append(_("smallest expected group {share} of the largest").format(
                share=self.percent(voice.representation)))
        if voice.invited_representation is not None:
            said.append(_("lowest turnout {share} of the highest").format(
                share=self.percent(voice.invited_representation)))
        return " · ".join(said)

    def clock(self, moment: float | None) -> str:
        return dt.datetime.fromtimestamp(moment).strftime("%H:%M") if moment else "–"

    def state(self, room: RoomWatch) -> str:
        _ = self._
        if room.state is RoomState.ONLINE:
            return _("online")
        if room.state is RoomState.OFFLINE:
            return _("offline since {time}").format(time=self.clock(room.since))
        if room.state is RoomState.REFUSED:
            return _("refused: the room switched its organiser link off or made a new one")
        if room.state is RoomState.BROKEN:
            broken = _("answers, but not with a room summary")
            return f"{broken} ({room.problem})" if room.problem else broken
        return _("waiting for the first answer")

    def timer(self, room: RoomWatch, now: float) -> str:
        left = room.remaining(now)
        if left is None:
            return ""
        if left <= 0:
            return self._("time is up")
        return f"{int(left) // 60}:{int(left) % 60:02d}"


class EventWall:
    """The event wall's server."""

    def __init__(self, watch: EventWatch, *, title: str, lang: str, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.watch = watch
        self.title = title
        self.lang = lang if lang in FACILITATOR_LANGUAGES else "en"
        self.host = host
        self._asked_port = port
        self.port = port
        self.token = secrets.token_urlsafe(12)
        self._runner: web.AppRunner | None = None
        self._listening: asyncio.Server | None = None
        self.app = web.Application()
        self.app.on_response_prepare.append(self._headers)
        self.app.add_routes(self.register_routes(self.app))

    def register_routes(self, app: web.Application) -> list[web.AbstractRouteDef]:
        """The wall's page, the part its script asks for, and its files (serving.RegisterRoutes)."""
        return [
            web.get(r"/event/{token}", self.page),
            web.get(r"/event/{token}/part", self.part),
            web.static("/event-static", HERE / "static", append_version=False),
        ]

    @property
    def url(self) -> str:
        return f"{base_url(self.host, self.port)}/event/{self.token}"

    async def start(self) -> None:
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False,
                               shutdown_timeout=1.0)
        await runner.setup()
        try:
            self._listening, self.port = await listen(runner, self.host, self._asked_port)
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner

    async def stop(self) -> None:
        if self._listening is not None:
            self._listening.close()  # no new connections; the runner closes the open ones
            self._listening = None
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    @staticmethod
    async def _headers(request: web.Request, response: web.StreamResponse) -> None:
        response.headers.update(SECURITY_HEADERS)
        response.headers.setdefault("Cache-Control", "no-store")

    def _check(self, request: web.Request) -> None:
        if not hmac.compare_digest(request.match_info["token"].encode(), self.token.encode()):
            raise web.HTTPNotFound(text="no such event wall")

    def context(self) -> dict[str, Any]:
        picture: EventOverview = self.watch.overview()
        return dict(e=picture, title=self.title, faces=Faces(self.lang), token=self.token,
                    refresh=REFRESH_S, lang=self.lang)

    def render(self, name: str) -> str:
        return environment(self.lang).get_template(name).render(self.context())

    async def page(self, request: web.Request) -> web.StreamResponse:
        self._check(request)
        return web.Response(text=self.render("wall.html"), content_type="text/html",
                            charset="utf-8")

    async def part(self, request: web.Request) -> web.StreamResponse:
        self._check(request)
        return web.Response(text=self.render("overview.html"), content_type="text/html",
                            charset="utf-8")
