"""What every page of the room's server builds on: the application's and the request's keys,
the server's configuration, a refusal and how it is answered, the language a request is
answered in, a page rendered from its template, and a posted form read. The phones' pages
(``app.py``) and the faces that register their routes beside them (``moderation.py``,
``organiser.py``) import it; it imports none of them."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from multidict import MultiDictProxy

from facilitator.core.clock import format_clock
from facilitator.core.model import Participant
from facilitator.core.text import MAX_CONTRIBUTION_CHARS, MAX_NAME_CHARS
from facilitator.i18n import PARTICIPANT_LANGUAGES, direction, template_environment, translations
from facilitator.session.store import SessionStore
from facilitator.web import sentences as say
from facilitator.web.capacity import RoomCapacity
from facilitator.web.connections import ConnectionGuard
from facilitator.web.guard import LANG_COOKIE, Limits, RateLimiter
from facilitator.web.live import LiveHub
from facilitator.web.turns import Turns

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
BODY_S = 10.0
"""How long a form's body may take to arrive once its head has (a phone sends it at once)."""

STORE: web.AppKey[SessionStore] = web.AppKey("store", SessionStore)
HUB: web.AppKey[LiveHub] = web.AppKey("hub", LiveHub)
CONFIG: web.AppKey[Config] = web.AppKey("config", object)  # type: ignore[arg-type]
LANG = web.RequestKey("lang", str)
"""The language this request is answered in, once known."""
SESSION_OK = web.RequestKey("session_ok", bool)
NEW_COOKIE = web.RequestKey("new_cookie", str)
REMEMBER_LANG = web.RequestKey("remember_lang", str)
DRAFT = web.RequestKey("draft", str)
"""The text a refused form carried, shown back so nothing typed is lost without JavaScript."""
BACK = web.RequestKey("back", str)
"""The join link's query (its code and table) that a refused join's Back link keeps."""

@dataclass(slots=True)
class Config:
    public_url: str | None
    """The address phones use (a reverse proxy, a hotspot); None: the address they asked for."""
    limits: Limits
    rate: RateLimiter
    join_base: str | None = None
    """Where phones reach the server (set once it listens), for the QR code: a wall opened on
    the laptop itself as 127.0.0.1 must still show the address phones can use."""
    max_in_flight: int = 256
    in_flight: int = 0
    turns: Turns = field(default_factory=Turns)
    """Page renders take turns of the loop (a few per turn): see facilitator.web.turns."""
    clock: Callable[[], float] = time.time
    """The wall clock the room's join code follows (tests give their own)."""
    capacity: RoomCapacity = field(default_factory=RoomCapacity.unlimited)
    """What this laptop carries (the server measures it when it starts listening)."""
    doors: ConnectionGuard | None = None
    """The connections at the door (None under aiohttp's test server)."""
    streams: int = 0
    """Live connections open now (counted by :func:`shed_load`)."""
    streams_from: Counter[str] = field(default_factory=Counter)
    """Live connections per client address."""

    @property
    def room_full(self) -> bool:
        """Whether a new phone would be one more than the laptop carries."""
        return self.streams >= self.capacity.phones


class Refusal(Exception):
    """Answer the request with this status and sentence; nothing was stored."""

    def __init__(self, answer: say.Answer, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(answer.sentence)
        self.answer = answer
        self.headers = headers or {}


# -- languages and rendering -------------------------------------------------------------------


@cache
def environment(lang: str) -> jinja2.Environment:
    """One Jinja environment per language, its catalog installed once."""
    env = template_environment(HERE / "templates", "web", lang)
    env.filters["clock"] = format_clock
    return env


def translate(lang: str, message: str) -> str:
    return translations("web", lang).gettext(message)


def accept_language(header: str) -> str | None:
    """The first participant language in an Accept-Language header, by preference."""
    choices: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in PARTICIPANT_LANGUAGES and weight > 0:
            choices.append((-weight, index, primary))
    return min(choices)[2] if choices else None


def pick_language(request: web.Request, participant: Participant | None = None) -> str:
    """The page's language: asked for now, said on joining, remembered, or the browser's."""
    asked = request.query.get("lang", "")
    if asked in PARTICIPANT_LANGUAGES:
        return asked
    if participant is not None and participant.lang in PARTICIPANT_LANGUAGES:
        return participant.lang
    remembered = request.cookies.get(LANG_COOKIE, "")
    if remembered in PARTICIPANT_LANGUAGES:
        return remembered
    browser = accept_language(request.headers.get("Accept-Language", ""))
    if browser:
        return browser
    store = request.app[STORE]
    return store.info.lang if store.info.lang in PARTICIPANT_LANGUAGES else "en"


def render_html(name: str, lang: str, **context: Any) -> str:
    context.update(
        lang=lang,
        dir=direction(lang),
        languages=PARTICIPANT_LANGUAGES,
        max_chars=MAX_CONTRIBUTION_CHARS,
        max_name=MAX_NAME_CHARS,
    )
    return environment(lang).get_template(name).render(context)


def render(
    request: web.Request, name: str, lang: str, status: int = 200, **context: Any
) -> web.Response:
    html = render_html(name, lang, **context)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def wants_json(request: web.Request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def answer(
    request: web.Request, reply: say.Answer, headers: dict[str, str] | None = None
) -> web.Response:
    """A refusal in the participant's language: JSON for the page's script, else a page."""
    lang = request.get(LANG) or pick_language(request)
    sentence = translate(lang, reply.sentence)
    if wants_json(request):
        return web.json_response(
            {"ok": False, "status": reply.status, "message": sentence, "reload": reply.stale},
            status=reply.status,
            headers=headers,
        )
    token = request.match_info.get("token", "")
    back = f"/j/{token}" if token and request.get(SESSION_OK) else ""
    if back and request.get(BACK):
        back += "?" + request[BACK]
    response = render(request, "error.html", lang, reply.status, sentence=sentence, back=back,
                      draft=request.get(DRAFT, ""))
    if headers:
        response.headers.update(headers)
    return response


# -- forms --------------------------------------------------------------------------------------


async def read_form(request: web.Request) -> MultiDictProxy[Any]:
    """The posted form; a body that cannot be parsed is a 400, never a 500, and one that takes
    longer than :data:`BODY_S` to arrive a 408 (its handler does not wait for it)."""
    try:
        async with asyncio.timeout(BODY_S):
            return await request.post()
    except TimeoutError:
        raise Refusal(say.TOO_SLOW) from None
    except (ValueError, LookupError, RuntimeError, HttpProcessingError) as exc:
        log.info("unreadable form: %s %s: %s", request.method, request.path, exc)
        raise Refusal(say.BAD_REQUEST) from None


def form_field(form: MultiDictProxy[Any], name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""
