"""The moderation pages: a round's contributions in a browser, where Arabic and Farsi are shown
joined and in their order (a terminal without bidi, Windows Terminal among them, cannot), with
approve, hide and merge.

One page, two doors:

- ``/m/<token>``, the facilitator's own, which the TUI opens in this laptop's browser. Its token
  is derived from the session's secret (``core.joining.moderation_token``, like the wall's), and
  it answers only requests from the laptop itself (a loopback address or one of the laptop's
  own, not forwarded by a proxy): a link read off the projected screen works nowhere else.
- ``/c/<secret>``, the co-moderator's, for the phone or laptop of a colleague who reads the
  language: a secret of its own (``SessionInfo.comoderator_secret``), which the facilitator
  renews (the old link is refused at once) or switches off, as the organiser link.

Every change is a store call (``update_contributions``, ``merge``, ``unmerge``), so the TUI shows
it as any other. A change passes the participant forms' checks: the link (403), a readable form
(400), our own Origin and the page's form token (403; derived from the link, so a renewed link's
forms are refused too), the rate per client address (429; wrong links are counted apart, so that
guessing cannot lock a colleague out). Refusals are a status and a sentence in the page's
language. A page looks at no more than :data:`PAGE_IDS` ids, whatever the size of the round.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from facilitator.core.errors import Reason, Refused
from facilitator.core.joining import moderation_token
from facilitator.core.model import Contribution
from facilitator.core.templates import RoundSpec
from facilitator.core.text import right_to_left, script_language, text_direction
from facilitator.i18n import PARTICIPANT_LANGUAGES
from facilitator.net import own_addresses
from facilitator.session.store import SessionStore
from facilitator.web import content
from facilitator.web import sentences as say
from facilitator.web.guard import client_address, csrf_ok, csrf_token, same_origin
from facilitator.web.pages import (
    CONFIG,
    LANG,
    REMEMBER_LANG,
    STORE,
    Refusal,
    form_field,
    pick_language,
    read_form,
    render,
    translate,
)

PAGE_IDS = 400
"""Contribution ids a page looks at (newest first); older ones are a link away."""
SHOWS = ("all", "rtl", "waiting")
"""What a page lists: every contribution, those with right-to-left text, those waiting for
approval (in a moderated round)."""
_ID = re.compile(r"[0-9]{1,9}")
CHANGES = {"approve": ("approved", True), "unapprove": ("approved", False),
           "hide": ("hidden", True), "restore": ("hidden", False)}


@dataclass(frozen=True, slots=True)
class Door:
    """How a request came in: its page's path, and what its form token is derived from."""

    path: str
    key: str
    colleague: bool


@dataclass(frozen=True, slots=True)
class View:
    round_id: str
    show: str
    before: int | None

    def query(self, **extra: str) -> str:
        values = {"round": self.round_id, "show": self.show, **extra}
        if self.before is not None:
            values["before"] = str(self.before)
        return urlencode(values)


@dataclass(frozen=True, slots=True)
class Row:
    """A contribution as the page lists it."""

    id: int
    text: str
    dir: str
    """"rtl", "ltr", or "auto" for text without right-to-left letters."""
    lang: str
    """The language of right-to-left text ("" otherwise: the page's own)."""
    rtl: bool
    approved: bool
    hidden: bool
    merged_into: int
    theme: content.Shown | None


def from_this_laptop(request: web.BaseRequest) -> bool:
    """Whether a request comes from the laptop itself: from a loopback address or one of the
    laptop's own, and not through a proxy (which says so in ``X-Forwarded-For``). A phone on
    the network cannot send from the laptop's address: it would never see the answer."""
    if "X-Forwarded-For" in request.headers:
        return False
    try:
        address = ipaddress.ip_address((request.remote or "").split("%")[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return address.is_loopback or str(address) in own_addresses()


def _door(request: web.Request) -> Door:
    store = request.app[STORE]
    config = request.app[CONFIG]
    request[LANG] = pick_language(request)
    colleague = "secret" in request.match_info
    sent = request.match_info["secret" if colleague else "token"]
    expected = (store.info.comoderator_secret if colleague
                else moderation_token(store.info.secret))
    right = bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())
    kind, limit = (("moderation", config.limits.ip_moderation) if right else
                   ("moderation_guesses", config.limits.ip_moderation_guesses))
    address = client_address(request)
    if address is not None and not config.rate.allow("ip:" + address, kind, limit):
        raise Refusal(say.TOO_FAST, headers={"Retry-After": "60"})
    if not right:
        raise Refusal(say.MODERATION_REFUSED)
    if not colleague and not from_this_laptop(request):
        raise Refusal(say.NOT_THIS_LAPTOP)
    return Door(("/c/" if colleague else "/m/") + sent, expected, colleague)


def _form_token(store: SessionStore, door: Door) -> str:
    return csrf_token(store.info.secret, "moderate:" + door.key)


def _view(store: SessionStore, source: Mapping[str, Any]) -> View:
    """The round, filter and page asked for (anything unknown: the current round, all of it,
    from its newest)."""
    rounds = {spec.id for spec in store.template.rounds}
    round_id = source.get("round", "")
    show = source.get("show", "")
    before = source.get("before", "")
    return View(round_id if round_id in rounds else store.current_round.id,
                show if show in SHOWS else "all",
                int(before) if isinstance(before, str) and _ID.fullmatch(before) else None)


def _wanted(item: Contribution, show: str, spec: RoundSpec) -> bool:
    if show == "rtl":
        return right_to_left(item.text)
    if show == "waiting":
        return spec.moderated and not item.approved and item.visible
    return True


def _row(store: SessionStore, item: Contribution, lang: str) -> Row:
    author = store.participant(item.author) if item.author else None
    direction = text_direction(item.text)
    return Row(id=item.id, text=item.text, dir=direction or "auto",
               lang=script_language(item.text, author.lang if author else ""),
               rtl=direction != "", approved=item.approved, hidden=item.hidden,
               merged_into=item.merged_into,
               theme=content.theme_label(store, item.theme_id, lang) if item.theme_id else None)


async def page(request: web.Request) -> web.StreamResponse:
    door = _door(request)
    store = request.app[STORE]
    lang = request[LANG]
    if request.query.get("lang") in PARTICIPANT_LANGUAGES:
        request[REMEMBER_LANG] = lang
    view = _view(store, request.query)
    spec = store.template.round(view.round_id)
    items, older = store.walk_back(view.round_id, view.before, PAGE_IDS)
    done = request.query.get("done", "")
    heading = content.session_title(store, lang)
    return render(
        request, "moderate.html", lang,
        session=heading, session_title=heading.text, colleague=door.colleague,
        base=door.path, csrf=_form_token(store, door), view=view, spec=spec,
        title=content.shown(spec.title, lang, store.info.lang),
        rounds=[(number, other.id, content.shown(other.title, lang, store.info.lang))
                for number, other in enumerate(store.template.rounds, start=1)],
        current=store.current_round.id,
        rows=[_row(store, item, lang) for item in items if _wanted(item, view.show, spec)],
        older=View(view.round_id, view.show, older).query() if older else "",
        newest=View(view.round_id, view.show, None).query(),
        confirmation=translate(lang, say.MODERATED[done]) if done in say.MODERATED else "",
    )


def _contribution_id(value: str) -> int:
    if not _ID.fullmatch(value):
        raise Refusal(say.BAD_REQUEST)
    return int(value)


async def change(request: web.Request) -> web.StreamResponse:
    """One change from a moderation page, then back to the page where it was made."""
    door = _door(request)
    store = request.app[STORE]
    form = await read_form(request)
    if not same_origin(request, request.app[CONFIG].public_url) or not csrf_ok(
            store.info.secret, "moderate:" + door.key, form_field(form, "csrf")):
        raise Refusal(say.FORGED)
    view = _view(store, {key: form_field(form, key) for key in ("round", "show", "before")})
    what = form_field(form, "do")
    if what == "merge":
        keep = form_field(form, "keep")
        picked = [_contribution_id(value) for value in form.getall("pick", [])
                  if isinstance(value, str)]
        if not keep:
            raise Refusal(say.MERGE_WHAT)
        target = _contribution_id(keep)
        duplicates = [cid for cid in dict.fromkeys(picked) if cid != target]
        if not duplicates:
            raise Refusal(say.MERGE_WHAT)
        await store.merge(target, duplicates)
    elif what == "unmerge" or what in CHANGES:
        target = _contribution_id(form_field(form, "id"))
        if store.contribution(target) is None:
            raise Refused(Reason.NOT_FOUND, f"contribution {target}")
        if what == "unmerge":
            await store.unmerge(target)
        else:
            name, value = CHANGES[what]
            await store.update_contributions([target], **{name: value})
    else:
        raise Refusal(say.BAD_REQUEST)
    raise web.HTTPSeeOther(f"{door.path}?{view.query(done=what)}#c{target}")


def register_routes(app: web.Application) -> list[web.AbstractRouteDef]:
    """The moderation pages' routes (``create_app`` adds them)."""
    token = r"{token:[0-9a-f]{32}}"
    secret = r"{secret:[A-Za-z0-9_-]{1,128}}"
    return [
        web.get(f"/m/{token}", page),
        web.post(f"/m/{token}/change", change),
        web.get(f"/c/{secret}", page),
        web.post(f"/c/{secret}/change", change),
    ]
