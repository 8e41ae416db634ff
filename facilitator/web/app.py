"""The participant pages and the projector wall: thin handlers that validate, call the store and
render.

Every POST passes the same gate in the same order: known session (404), body size (413), a
readable form that arrived in time (400, 408), own origin and the device's CSRF token (403), a
device that has joined (403, except for joining itself), room for one more phone (503, for a
new device), rate limits per device and per client address (429); then the store decides (400,
409) and the disk has the last word (503). A refusal stores nothing and is answered in the
participant's language, as a page for plain forms or as JSON for the page's script.

Before any of that, the connection was let in at the door (facilitator.web.connections), and a
live connection (SSE) is counted by the overload guard for as long as it is open
(:func:`shed_load`), in all and per client address.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from email.utils import formatdate
from functools import cache
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiDictProxy

from facilitator.core.errors import Reason, Refused
from facilitator.core.groups import ranked_across
from facilitator.core.joining import (
    CARD,
    MAX_CODE_CHARS,
    JoinCode,
    admission,
    room_code,
    wall_token,
)
from facilitator.core.model import Contribution, Participant
from facilitator.core.ranked import RankedItem
from facilitator.core.ranking import top_ranked
from facilitator.core.templates import RoundKind, RoundSpec
from facilitator.core.text import MAX_NAME_CHARS
from facilitator.i18n import (
    PARTICIPANT_LANGUAGES,
)
from facilitator.net import join_url, room_link
from facilitator.qr import qr_png, qr_svg
from facilitator.serving import SECURITY_HEADERS, RegisterRoutes
from facilitator.session.files import WriteFailed
from facilitator.session.store import MAX_SETS, Busy, SessionStore
from facilitator.web import content, moderation, organiser
from facilitator.web import sentences as say
from facilitator.web.across import wall_across, wall_voice
from facilitator.web.guard import (
    COOKIE_MAX_AGE,
    DEVICE_COOKIE,
    LANG_COOKIE,
    Limits,
    RateLimiter,
    client_address,
    csrf_ok,
    csrf_token,
    device_id,
    new_cookie,
    same_origin,
    valid_cookie,
)
from facilitator.web.live import LiveHub, PageKey
from facilitator.web.pages import (
    BACK,
    CONFIG,
    DRAFT,
    HUB,
    LANG,
    NEW_COOKIE,
    REMEMBER_LANG,
    SESSION_OK,
    STORE,
    Config,
    Refusal,
    answer,
    form_field,
    pick_language,
    read_form,
    render,
    render_html,
    translate,
    wants_json,
)

log = logging.getLogger(__name__)

MAX_BODY = 16 * 1024
HERE = Path(__file__).resolve().parent
WALL_ITEMS = 60
"""The wall shows the newest contributions; older ones scroll off (the TUI has them all)."""
WALL_RESULTS = 20
MAX_IN_FLIGHT = 256
"""Requests in progress beyond which new ones are answered 503 at once (see shed_load)."""
RETRY_AFTER_S = 2
FULL_RETRY_AFTER_S = 30
"""When the room is full, a new phone may try again after this long (someone may have left)."""
MINE_SHOWN = 20
"""A phone lists its newest contributions of the round; it says how many earlier ones exist."""

CONFIRMATIONS = {
    "sent": say.SENT,
    "edited": say.EDITED,
    "edited_pending": say.EDITED_PENDING,
    "withdrawn": say.WITHDRAWN,
    "voted": say.VOTED,
    "another": say.ANOTHER_SET,
    "welcome": say.WELCOME,
}

STATIC: web.AppKey[dict[str, StaticFile]] = web.AppKey("static", dict)


@dataclass(frozen=True, slots=True)
class StaticFile:
    """The page's script or style sheet, read once: no file is opened per request, so no
    client that reads slowly can hold the session's descriptors."""

    body: bytes
    content_type: str
    etag: str
    modified: str


def static_files() -> dict[str, StaticFile]:
    types = {".js": "text/javascript", ".css": "text/css"}
    found = {}
    for path in sorted((HERE / "static").iterdir()):
        if path.suffix in types:
            body = path.read_bytes()
            found[path.name] = StaticFile(
                body, types[path.suffix], '"' + hashlib.sha256(body).hexdigest()[:16] + '"',
                formatdate(path.stat().st_mtime, usegmt=True))
    return found


# -- the gate every request passes -------------------------------------------------------------


@web.middleware
async def at_the_door(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Tell the connection guard a request is in progress on its connection (its head has
    arrived; the connection is not idle)."""
    doors = request.app[CONFIG].doors
    if doors is None:
        return await handler(request)
    transport = request.transport
    doors.request_started(transport)
    try:
        return await handler(request)
    finally:
        doors.request_ended(transport)


@web.middleware
async def shed_load(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Past :data:`MAX_IN_FLIGHT` requests in progress, answer 503 with Retry-After at once.

    Queueing more would only make every answer late (and, with phones giving up after a few
    seconds, do work nobody waits for); the page's script keeps the text and sends it again
    after Retry-After. Static files (from memory) are not counted. Live connections are counted
    apart (:func:`_live`): they cost no work while they wait, but each holds a connection.
    """
    if request.path.startswith("/static/"):
        return await handler(request)
    if request.path.endswith("/events"):
        return await _live(request, handler)
    config = request.app[CONFIG]
    if config.in_flight >= config.max_in_flight:
        raise Refusal(say.BUSY, headers={"Retry-After": str(RETRY_AFTER_S)})
    config.in_flight += 1
    try:
        return await handler(request)
    finally:
        config.in_flight -= 1


async def _live(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """A live connection, counted for as long as it is open: past the room's
    :attr:`~RoomCapacity.streams` a 503, past :attr:`~RoomCapacity.live_per_address` from one
    client address a 429 (the page's script tries again a little later, either way)."""
    config = request.app[CONFIG]
    if config.streams >= config.capacity.streams:
        raise Refusal(say.BUSY, headers={"Retry-After": str(RETRY_AFTER_S)})
    address = client_address(request)
    if address is not None and config.streams_from[address] >= config.capacity.live_per_address:
        raise Refusal(say.TOO_FAST, headers={"Retry-After": str(FULL_RETRY_AFTER_S)})
    config.streams += 1
    if address is not None:
        config.streams_from[address] += 1
    try:
        return await handler(request)
    finally:
        config.streams -= 1
        if address is not None:
            config.streams_from[address] -= 1
            if config.streams_from[address] <= 0:
                del config.streams_from[address]


@web.middleware
async def answers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Turn every refusal into a status and a sentence; never a bare 500 or a stack trace."""
    try:
        if request.content_length is not None and request.content_length > MAX_BODY:
            _session(request)  # an unknown session is still a 404
            raise Refusal(say.TOO_BIG)
        return await handler(request)
    except Refusal as exc:
        return answer(request, exc.answer, exc.headers)
    except Refused as exc:
        return answer(request, say.REFUSALS.get(exc.reason, say.BAD_REQUEST))
    except WriteFailed:
        return answer(request, say.NOT_STORED, {"Retry-After": "2"})
    except Busy:
        return answer(request, say.BUSY, {"Retry-After": str(RETRY_AFTER_S)})
    except web.HTTPRequestEntityTooLarge:
        return answer(request, say.TOO_BIG)
    except web.HTTPNotFound:
        return answer(request, say.PAGE_NOT_FOUND)
    except web.HTTPMethodNotAllowed as exc:
        return answer(request, say.NOT_ALLOWED, {"Allow": ",".join(sorted(exc.allowed_methods))})
    except web.HTTPException:
        raise  # redirects
    except Exception:
        log.exception("participant request failed: %s %s", request.method, request.path)
        return answer(request, say.BROKEN)


async def _headers(request: web.Request, response: web.StreamResponse) -> None:
    """Security headers on every answer, and the device cookie where one was just made."""
    response.headers.update(SECURITY_HEADERS)
    if not request.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
    public_url = request.app[CONFIG].public_url
    secure = request.secure or bool(public_url and public_url.lower().startswith("https://"))
    cookie = request.get(NEW_COOKIE)
    if cookie:
        path = f"/j/{request.match_info['token']}"
        response.headers.add("Set-Cookie", _cookie(DEVICE_COOKIE, cookie, path, secure))
    lang = request.get(REMEMBER_LANG)
    if lang:
        response.headers.add("Set-Cookie", _cookie(LANG_COOKIE, lang, "/", secure))


def _cookie(name: str, value: str, path: str, secure: bool) -> str:
    """A Set-Cookie value (added in the prepare hook, when aiohttp's own cookies are written);
    ``Secure`` when phones reach us over https, so the cookie never travels in the clear."""
    jar: SimpleCookie = SimpleCookie()
    jar[name] = value
    morsel = jar[name]
    morsel["path"] = path
    morsel["max-age"] = COOKIE_MAX_AGE
    morsel["httponly"] = True
    morsel["samesite"] = "Lax"
    if secure:
        morsel["secure"] = True
    return morsel.OutputString()


def _session(request: web.Request) -> SessionStore:
    store = request.app[STORE]
    token = request.match_info.get("token", "")
    if not hmac.compare_digest(token.encode(), store.info.join_token.encode()):
        raise Refusal(say.UNKNOWN_SESSION)
    request[SESSION_OK] = True
    return store


def _wall_session(request: web.Request) -> SessionStore:
    """The session of a wall address: the wall has a token of its own (it shows the room's
    join code, which no phone may read from elsewhere), derived from the session's secret."""
    store = request.app[STORE]
    token = request.match_info.get("token", "")
    if not hmac.compare_digest(token.encode(), wall_token(store.info.secret).encode()):
        raise Refusal(say.UNKNOWN_SESSION)
    return store


def _device(request: web.Request, store: SessionStore) -> str:
    """The device id from its cookie; a new cookie (set on the answer) on the first visit."""
    cookie = request.cookies.get(DEVICE_COOKIE)
    if cookie is None or not valid_cookie(cookie):
        cookie = new_cookie()
        request[NEW_COOKIE] = cookie
    return device_id(store.info.secret, cookie)


async def _form(request: web.Request, kind: str) -> tuple[SessionStore, str, MultiDictProxy[Any]]:
    """Check a POST: the session, a readable form from our own page with this device's token, a
    device that has joined (unless it is joining), and the rates of the device and its address.
    """
    store = _session(request)
    cookie = request.cookies.get(DEVICE_COOKIE)
    device = device_id(store.info.secret, cookie) if cookie and valid_cookie(cookie) else ""
    participant = store.participant(device) if device else None
    request[LANG] = pick_language(request, participant)
    form = await read_form(request)
    request[DRAFT] = form_field(form, "text")  # shown back if anything below refuses it
    if kind == "joins":
        _joining(request, form)
    config = request.app[CONFIG]
    if (
        not device
        or not same_origin(request, config.public_url)
        or not csrf_ok(store.info.secret, device, form_field(form, "csrf"))
    ):
        raise Refusal(say.FORGED)
    if participant is None and kind != "joins":
        raise Refusal(say.JOIN_FIRST)
    if participant is None and config.room_full:
        raise Refusal(say.ROOM_FULL, headers={"Retry-After": str(FULL_RETRY_AFTER_S)})
    limits = config.limits
    checks = [(device, kind, getattr(limits, kind))]
    address = client_address(request)
    if address is not None:
        checks.append(("ip:" + address, kind, getattr(limits, "ip_" + kind)))
        if participant is None:
            checks.append(("ip:" + address, "new_devices", limits.ip_new_devices))
    if not config.rate.allow_all(checks):
        raise Refusal(say.TOO_FAST, headers={"Retry-After": "60"})
    return store, device, form


def _joining(request: web.Request, form: MultiDictProxy[Any]) -> None:
    """A join form: any refusal speaks the language the phone chose on the join page, and its
    Back link keeps the join code and table of the link the phone scanned."""
    chosen = form_field(form, "lang")
    if chosen in PARTICIPANT_LANGUAGES:
        request[LANG] = chosen
    carried = {key: form_field(form, key)[:MAX_CODE_CHARS if key == "code" else MAX_NAME_CHARS]
               for key in ("code", "table")}
    request[BACK] = urlencode({key: value for key, value in carried.items() if value})


def _shown(form: MultiDictProxy[Any], name: str) -> str | None:
    """What the page showed when the form was made (the text an edit starts from, the ballot's
    revision): the store refuses a form older than what it holds. None when the form has no
    such field (every page's form has; a script's own request is not checked)."""
    value = form.get(name)
    return value if isinstance(value, str) else None


def _done(request: web.Request, token: str, what: str, extra: dict[str, Any] | None = None,
          anchor: str = "", form: dict[str, str] | None = None) -> web.StreamResponse:
    """Success: JSON for the script, else Post/Redirect/Get back to the page.

    ``form``: what the form's hidden fields hold from now on (a send form's new key, the text
    an edit starts from, the ballot's revision), so that the form sent again is not mistaken
    for this one, even when the page cannot be loaded again after it."""
    if wants_json(request):
        sentence = translate(request[LANG], CONFIRMATIONS[what].sentence)
        return web.json_response({"ok": True, "message": sentence, **(extra or {}),
                                  "form": form or {}})
    raise web.HTTPSeeOther(f"/j/{token}?ok={what}{anchor}")


def _current_open_round(store: SessionStore, form: MultiDictProxy[Any]) -> RoundSpec:
    """The round the form was for, which must still be the current one."""
    spec = store.current_round
    if form_field(form, "round") != spec.id:
        raise Refused(Reason.ROUND_CLOSED)
    return spec


# -- participant pages -------------------------------------------------------------------------


def _join_context(
    request: web.Request, store: SessionStore, lang: str, participant: Participant | None
) -> dict[str, Any]:
    """The join form's content. A new device's link carries its join code (kept in the form
    and in the language links) and, from a table card, the table to pre-select."""
    template = store.template
    groups = [(g.id, content.shown(g.name, lang, store.info.lang)) for g in template.groups]
    title = content.session_title(store, lang)
    tables = store.info.tables if any(r.uses_groups for r in template.rounds) else ()
    code = request.query.get("code", "")[:MAX_CODE_CHARS] if participant is None else ""
    card_table = request.query.get("table", "") if participant is None else ""
    table = participant.table_group if participant is not None else (
        card_table if card_table in tables else "")
    carried = {key: value for key, value in (("code", code), ("table", card_table)) if value}
    return dict(
        groups=groups,
        groups_notice=content.notice(content.GROUPS_NOTICE, lang, [name for _, name in groups]),
        tables=tables,
        table=table,
        join_code=code,
        carried=urlencode(carried),
        participant=participant,
        session=title,
        session_title=title.text,
    )


def _refused_join(request: web.Request, store: SessionStore) -> say.Answer | None:
    """Why a new device's join page cannot let it in (say so at once, before the form is filled
    in): joining closed, or a link without a code that admits it now. The same rule decides
    again when the form is sent (:meth:`SessionStore.admits`)."""
    code = request.query.get("code", "")[:MAX_CODE_CHARS]
    try:
        with _code_guesses(request, bool(code)):
            store.admits(JoinCode(code, request.app[CONFIG].clock()))
    except Refused as exc:
        return say.REFUSALS[exc.reason]
    return say.ROOM_FULL if request.app[CONFIG].room_full else None


@contextlib.contextmanager
def _code_guesses(request: web.Request, guessing: bool) -> Iterator[None]:
    """Around a check of a new device's join code: an address that sent too many codes that
    admit nobody this minute has every code refused (429) until the minute is over, and a
    code that admits nobody counts (:attr:`Limits.ip_code_guesses`)."""
    address = client_address(request)
    if not guessing or address is None:
        yield
        return
    config = request.app[CONFIG]
    key = "ip:" + address
    if config.rate.spent(key, "code_guesses", config.limits.ip_code_guesses):
        raise Refusal(say.TOO_FAST, headers={"Retry-After": "60"})
    try:
        yield
    except Refused as exc:
        if exc.reason is Reason.CODE_NOT_VALID:
            config.rate.count(key, "code_guesses", config.limits.ip_code_guesses)
        raise


def _themes(store: SessionStore, items: list[Contribution], lang: str
            ) -> dict[int, content.Shown]:
    """The theme of each of ``items`` that has one, named for this page."""
    labels = {}
    for item in items:
        label = content.theme_label(store, item.theme_id, lang)
        if label is not None:
            labels[item.id] = label
    return labels


async def participant_page(request: web.Request) -> web.StreamResponse:
    store = _session(request)
    token = store.info.join_token
    device = _device(request, store)
    participant = store.participant(device)
    lang = pick_language(request, participant)
    request[LANG] = lang
    if request.query.get("lang") in PARTICIPANT_LANGUAGES:
        request[REMEMBER_LANG] = lang
    common: dict[str, Any] = dict(token=token, csrf=csrf_token(store.info.secret, device))
    if participant is None or request.path.endswith("/me"):
        context = _join_context(request, store, lang, participant)
        refused = _refused_join(request, store) if participant is None else None
        if refused is not None:
            return render(request, "join.html", lang, refused.status, **common, **context,
                          refusal=translate(lang, refused.sentence))
        return render(request, "join.html", lang, **common, **context)

    request.app[HUB].page_loaded(device)
    items: list[Contribution] = []
    spec = store.current_round
    state = store.round_state(spec.id)
    if state.voting_open and spec.voting.rule != "none":
        items = await store.ballot_items(device, spec.id)
    confirmation = CONFIRMATIONS.get(request.query.get("ok", ""))
    await request.app[CONFIG].turns.take()
    context = round_context(store, lang, device, items)
    return render(request, "round.html", lang, csrf=common["csrf"], **context,
                  confirmation=translate(lang, confirmation.sentence) if confirmation else "")


def round_context(store: SessionStore, lang: str, device: str = "",
                  items: list[Contribution] | None = None) -> dict[str, Any]:
    """What the round page shows a device (its own contributions, its ballot ``items``), or,
    for ``device`` "", what it shows every device: the page a round change pushes to all
    phones of a language at once (see facilitator.web.live; their script fills in the form
    tokens)."""
    items = items or []
    spec = store.current_round
    state = store.round_state(spec.id)
    index = store.info.current_round
    sent = store.own_contributions(spec.id, device) if device else []
    mine = sent[-MINE_SHOWN:]
    voting = state.voting_open and spec.voting.rule != "none"
    ranking = store.ranking(spec.id)
    ballot = store.ballot(device, spec.id) if device else {}
    on_page = {item.id for item in items}
    can_send = state.started and state.submissions_open and spec.participants_submit
    answerable = store.answerable(spec.id) if can_send else []
    title = content.shown(spec.title, lang, store.info.lang)
    prompt = content.shown(spec.prompt, lang, store.info.lang)
    heading = content.session_title(store, lang)
    answered = {link: store.contribution(link) for item in mine for link in item.links}
    return dict(
        token=store.info.join_token,
        session=heading,
        session_title=heading.text,
        spec=spec,
        state=state,
        started=state.started,
        number=index + 1,
        total=len(store.template.rounds),
        title=title,
        prompt=prompt,
        notice=content.notice(content.QUESTION_NOTICE, lang, [prompt, title]),
        can_send=can_send,
        can_change=can_send and not state.voting_open,
        nonce=new_nonce() if device else "",
        answerable=answerable,
        answered={cid: item for cid, item in answered.items() if item is not None},
        themes=_themes(store, [*items, *answerable], lang),
        lines=content.chair_lines(store, spec.id, lang)
        if spec.kind is RoundKind.DISTILLATION else [],
        mine=mine,
        earlier=max(0, len(sent) - MINE_SHOWN),
        voting=voting,
        rule=spec.voting,
        items=items,
        sampled=voting and bool(device) and store.current_set(device, spec.id) is not None,
        candidates=len(ranking.candidates),
        more_sets=voting and bool(device) and store.sets_dealt(device, spec.id) < MAX_SETS
        and len(store.shown_to(device, spec.id)) < len(ranking.candidates),
        ballot=ballot,
        revision=store.ballot_revision(device, spec.id) if device else 0,
        kept=sum(weight for cid, weight in ballot.items() if cid not in on_page),
        device=device,
        remaining=max(0, round(state.remaining(time.time()))) if state.started else None,
        key=str(PageKey.of(store)),
    )


def shared_round_page(store: SessionStore, lang: str) -> str:
    """The round page as every phone of ``lang`` sees it before it has sent anything in it."""
    return render_html("round.html", lang, csrf="", confirmation="",
                       **round_context(store, lang))


async def join(request: web.Request) -> web.StreamResponse:
    store, device, form = await _form(request, "joins")
    lang = form_field(form, "lang") or request[LANG]
    if lang not in PARTICIPANT_LANGUAGES:
        raise Refused(Reason.UNKNOWN_LANGUAGE)
    request[LANG] = lang  # a refusal below speaks the language just chosen
    code = form_field(form, "code")[:MAX_CODE_CHARS]
    with _code_guesses(request, bool(code) and store.participant(device) is None):
        await store.join(
            device,
            lang=lang,
            stakeholder=form_field(form, "stakeholder"),
            name=form_field(form, "name"),
            consent_named=form_field(form, "consent") == "yes",
            table_group=form_field(form, "table"),
            came_with=JoinCode(code, request.app[CONFIG].clock()),
        )
    request[REMEMBER_LANG] = lang
    return _done(request, store.info.join_token, "welcome")


async def send(request: web.Request) -> web.StreamResponse:
    store, device, form = await _form(request, "submissions")
    text = request[DRAFT] = form_field(form, "text")
    spec = _current_open_round(store, form)
    nonce = form_field(form, "nonce")
    item = await store.add_contribution(spec.id, text, author=device,
                                        nonce=nonce if _NONCE.fullmatch(nonce) else "",
                                        links=_answers(store, spec, form))
    return _done(request, store.info.join_token, "sent", {"id": item.id}, "#mine",
                 form={"nonce": new_nonce()})


def new_nonce() -> str:
    """The key of one send form (see :meth:`SessionStore.add_contribution`)."""
    return secrets.token_urlsafe(12)


def _answers(store: SessionStore, spec: RoundSpec, form: MultiDictProxy[Any]) -> tuple[int, ...]:
    """The bottleneck an idea answers, as picked on the phone: one of those the page offers
    (:meth:`SessionStore.answerable`), or none."""
    picked = form_field(form, "answers").strip()
    if not picked:
        return ()
    offered = {item.id for item in store.answerable(spec.id)}
    if not _CONTRIBUTION_ID.fullmatch(picked) or int(picked) not in offered:
        raise Refusal(say.UNKNOWN_BOTTLENECK)
    return (int(picked),)


def _contribution_id(request: web.Request) -> int:
    return int(request.match_info["cid"])


async def edit(request: web.Request) -> web.StreamResponse:
    store, device, form = await _form(request, "submissions")
    text = request[DRAFT] = form_field(form, "text")
    cid = _contribution_id(request)
    try:
        item = await store.edit_contribution(cid, text, device_id=device,
                                             was=_shown(form, "was"))
    except Refused as exc:
        if exc.reason is Reason.ROUND_CLOSED:
            raise Refusal(say.CANNOT_CHANGE) from None
        raise
    what = "edited" if item.approved else "edited_pending"
    return _done(request, store.info.join_token, what, {"id": item.id}, "#mine",
                 form={"was": item.text})


async def withdraw(request: web.Request) -> web.StreamResponse:
    store, device, _ = await _form(request, "submissions")
    try:
        item = await store.withdraw(_contribution_id(request), device)
    except Refused as exc:
        if exc.reason is Reason.ROUND_CLOSED:
            raise Refusal(say.CANNOT_CHANGE) from None
        raise
    return _done(request, store.info.join_token, "withdrawn", {"id": item.id}, "#mine")


_NONCE = re.compile(r"[A-Za-z0-9_-]{8,32}")
_CONTRIBUTION_ID = re.compile(r"[0-9]{1,9}")
_BALLOT_FIELD = re.compile(r"v[0-9]{1,9}")
_WEIGHT = re.compile(r"-?[0-9]{1,3}")
_REVISION = re.compile(r"[0-9]{1,9}")


def _ballot(form: MultiDictProxy[Any]) -> dict[int, int]:
    """``v<id>=<weight>`` fields as a ballot; an empty field takes the vote on that item back
    (0). Only ASCII digits count (``str.isdigit`` also takes "²" and "١", which ``int`` then
    refuses or reads differently)."""
    ballot: dict[int, int] = {}
    for key, value in form.items():
        if not key.startswith("v"):
            continue
        if not isinstance(value, str) or not _BALLOT_FIELD.fullmatch(key):
            raise Refusal(say.BAD_REQUEST)
        value = value.strip()
        if not value:
            ballot[int(key[1:])] = 0
            continue
        if not _WEIGHT.fullmatch(value):
            raise Refusal(say.BAD_REQUEST)
        ballot[int(key[1:])] = int(value)
    return ballot


async def vote(request: web.Request) -> web.StreamResponse:
    store, device, form = await _form(request, "votes")
    spec = _current_open_round(store, form)
    shown = _shown(form, "revision")  # the ballot's revision on the page it came from
    if shown is not None and not _REVISION.fullmatch(shown):
        raise Refusal(say.BAD_REQUEST)
    revision = await store.cast_ballot(device, spec.id, _ballot(form),
                                       revision=int(shown) if shown is not None else None)
    return _done(request, store.info.join_token, "voted", form={"revision": str(revision)})


async def another_set(request: web.Request) -> web.StreamResponse:
    """Deal the phone another sample of items to vote on (a round too big to show whole)."""
    store, device, form = await _form(request, "votes")
    spec = _current_open_round(store, form)
    await store.another_set(device, spec.id)
    return _done(request, store.info.join_token, "another", anchor="#vote")


async def participant_events(request: web.Request) -> web.StreamResponse:
    store = _session(request)
    hub = request.app[HUB]
    cookie = request.cookies.get(DEVICE_COOKIE)
    device = device_id(store.info.secret, cookie) if cookie and valid_cookie(cookie) else ""
    participant = store.participant(device) if device else None
    if participant is None:  # only a joined phone's page listens: nobody else holds one open
        raise Refusal(say.JOIN_FIRST)
    return await hub.participant_stream(request, device, pick_language(request, participant))


async def room_link_page(request: web.Request) -> web.StreamResponse:
    """The short link in the room's QR code, ``/r/<code>``: a code that admits now (the room's,
    or a table card's) leads to the join page's full link, with the code (and a card's table);
    any other gets the join page's refusal, in the phone's language, and learns nothing of the
    session (not even its join token), and counts against its address as a wrong code on the
    join page does. A phone that joined earlier is known again on the join page by its cookie,
    whatever the code."""
    store = request.app[STORE]
    request[LANG] = pick_language(request)
    code = request.match_info["code"].lower()
    with _code_guesses(request, True):  # a wrong code counts as on the join page
        joined_with = admission(store.info, code, request.app[CONFIG].clock())
        if joined_with is None:
            raise Refused(Reason.CODE_NOT_VALID)
    table = joined_with[len(CARD):] if joined_with.startswith(CARD) else ""
    raise web.HTTPSeeOther(join_url("", store.info.join_token, code, table))


async def qr_code(request: web.Request) -> web.StreamResponse:
    """The room's QR code (for the wall: it carries the room's current code, as a short link);
    none while joining is closed, as the wall then says."""
    store = _wall_session(request)
    if store.round_state(store.current_round.id).joining_closed:
        raise Refused(Reason.JOINING_CLOSED)
    url = _room_link(request, store)
    if request.match_info["kind"] == "svg":
        return web.Response(text=_svg(url), content_type="image/svg+xml")
    return web.Response(body=_png(url), content_type="image/png")


@cache
def _svg(url: str) -> str:
    return qr_svg(url)


@cache
def _png(url: str) -> bytes:
    return qr_png(url)


def _room_link(request: web.Request, store: SessionStore) -> str:
    """The room's short link as of now: where phones reach us, with the room's current code."""
    config = request.app[CONFIG]
    base = config.public_url or config.join_base or f"{request.scheme}://{request.host}"
    return room_link(base, room_code(store.info.secret, config.clock()))


# -- the projector wall ------------------------------------------------------------------------


def wall_results(store: SessionStore, spec: RoundSpec) -> list[RankedItem]:
    """The round's best voted items, ranked exactly as the TUI and the report rank them (the
    store's live ranking: no pass over the round)."""
    return top_ranked(store.ranking(spec.id).top(WALL_RESULTS), WALL_RESULTS)


async def wall(request: web.Request) -> web.StreamResponse:
    store = _wall_session(request)
    asked = request.query.get("lang", "")
    lang = asked if asked in PARTICIPANT_LANGUAGES else (
        store.info.lang if store.info.lang in PARTICIPANT_LANGUAGES else "en")
    request[LANG] = lang
    spec = store.current_round
    state = store.round_state(spec.id)
    voted = spec.voting.rule != "none"
    results = wall_results(store, spec) if voted and not state.voting_open else []
    # The ranking the facilitator chose (R in the TUI): most votes, or one across the groups.
    ranking = state.ranking if results and ranked_across(spec) else "votes"
    title = content.shown(spec.title, lang, store.info.lang)
    prompt = content.shown(spec.prompt, lang, store.info.lang)
    heading = content.session_title(store, lang)
    return render(
        request,
        "wall.html",
        lang,
        wall=wall_token(store.info.secret),
        session=heading,
        session_title=heading.text,
        title=title,
        prompt=prompt,
        notice=content.notice(content.QUESTION_NOTICE, lang, [prompt, title]),
        themes=_themes(store, [item.contribution for item in results], lang),
        lines=content.chair_lines(store, spec.id, lang)
        if spec.kind is RoundKind.DISTILLATION else [],
        number=store.info.current_round + 1,
        total=len(store.template.rounds),
        count=store.ranking(spec.id).shown,
        newest=store.newest(spec.id, WALL_ITEMS),
        written=functools.partial(content.written, store),
        results=results,
        ranking=ranking,
        across=wall_across(store, spec, ranking, lang) if ranking != "votes" else None,
        voice=wall_voice(store, lang) if spec.kind is RoundKind.AUDIT and state.results_shown
        else None,
        rule=spec.voting,
        voting_open=state.voting_open,
        room_link=_room_link(request, store),
        joining_closed=state.joining_closed,
        devices=store.participant_count,
        remaining=max(0, round(state.remaining(time.time()))) if state.started else None,
        running=state.timer_running,
        key=request.app[HUB].wall_key,
    )


async def wall_events(request: web.Request) -> web.StreamResponse:
    _wall_session(request)
    hub = request.app[HUB]
    return await hub.stream(request, hub.wall, hub.wall_message)


async def static_file(request: web.Request) -> web.StreamResponse:
    found = request.app[STATIC].get(request.match_info["name"])
    if found is None:
        raise web.HTTPNotFound()
    headers = {"ETag": found.etag, "Last-Modified": found.modified}
    if request.headers.get("If-None-Match") == found.etag:
        return web.Response(status=304, headers=headers)
    return web.Response(body=found.body, content_type=found.content_type, charset="utf-8",
                        headers=headers)


async def healthz(request: web.Request) -> web.StreamResponse:
    return web.json_response({"ok": True})


async def no_icon(request: web.Request) -> web.StreamResponse:
    """Browsers ask for an icon on their own; answer quietly rather than with a 404 page."""
    return web.Response(status=204)


# -- the application ---------------------------------------------------------------------------


def create_app(
    store: SessionStore,
    *,
    public_url: str | None = None,
    limits: Limits | None = None,
    max_in_flight: int = MAX_IN_FLIGHT,
    clock: Callable[[], float] = time.time,
) -> web.Application:
    """The participant server's application (also what tests drive with aiohttp's client).
    ``clock``: the wall clock the room's join code follows."""
    app = web.Application(client_max_size=MAX_BODY,
                          middlewares=[at_the_door, answers, shed_load])
    app[STORE] = store
    app[STATIC] = static_files()
    app[CONFIG] = Config(
        public_url=public_url.rstrip("/") if public_url else None,
        limits=limits or Limits(),
        rate=RateLimiter(),
        max_in_flight=max_in_flight,
        clock=clock,
    )
    hub = LiveHub(store, clock, shared_page=functools.partial(shared_round_page, store))
    app[HUB] = hub
    app.on_response_prepare.append(_headers)

    async def start_hub(app: web.Application) -> None:
        hub.start()

    async def stop_hub(app: web.Application) -> None:
        hub.close()

    app.on_startup.append(start_hub)
    app.on_shutdown.append(stop_hub)
    token = r"{token:[A-Za-z0-9_-]{1,64}}"
    cid = r"{cid:\d{1,9}}"
    app.add_routes([
        web.get("/healthz", healthz),
        web.get("/favicon.ico", no_icon),
        web.get(r"/r/{code:[A-Za-z0-9]{1,64}}", room_link_page),
        web.get(f"/j/{token}", participant_page),
        web.get(f"/j/{token}/me", participant_page),
        web.post(f"/j/{token}/join", join),
        web.post(f"/j/{token}/send", send),
        web.post(f"/j/{token}/edit/{cid}", edit),
        web.post(f"/j/{token}/withdraw/{cid}", withdraw),
        web.post(f"/j/{token}/vote", vote),
        web.post(f"/j/{token}/another", another_set),
        web.get(f"/j/{token}/events", participant_events),
        web.get(f"/wall/{token}", wall),
        web.get(f"/wall/{token}/events", wall_events),
        web.get(f"/wall/{token}/qr.{{kind:svg|png}}", qr_code),
        web.get(r"/static/{name:[a-z]+\.(?:js|css)}", static_file),
    ])
    # The faces beside the phones' pages register their own routes and keep their own state
    # in the application (datasette's register_routes is the model); they build on pages.py,
    # as this module does, and never import this one.
    faces: tuple[RegisterRoutes, ...] = (moderation.register_routes, organiser.register_routes)
    for register_routes in faces:
        app.add_routes(register_routes(app))
    return app
