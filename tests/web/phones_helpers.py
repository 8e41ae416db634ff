"""What the tests of phones as they really behave share: a real participant server on
127.0.0.1, the session as its file holds it (read back read-only, journal included), and the
check that what a phone shows is what the session holds."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from formclient import Browser, Page
from yarl import URL

from facilitator.core.joining import room_code
from facilitator.i18n import translations
from facilitator.session.store import SessionStore
from facilitator.web import sentences as say
from facilitator.web.guard import DEVICE_COOKIE, device_id


def english(answer: say.Answer) -> str:
    return translations("web", "en").gettext(answer.sentence)


SENT = english(say.SENT)


@dataclass(frozen=True)
class Held:
    """One device's part of the session as the file holds it."""

    mine: list[str]
    """Its contributions in the current round, in the order sent (withdrawn ones left out)."""
    every_text: list[str]
    """Every text it sent in the round, withdrawn ones included (a duplicate shows twice)."""
    ballot: dict[int, int]
    joined: bool


def held(path: Path, device: str) -> Held:
    """Read the session back from its file and journal, as a report would while it runs."""
    store = SessionStore.open(path, read_only=True)
    round_id = store.current_round.id
    every = [c for c in store.contributions(round_id, visible_only=False) if c.author == device]
    return Held(mine=[c.text for c in every if not c.hidden],
                every_text=[c.text for c in every],
                ballot=store.ballot(device, round_id),
                joined=store.participant(device) is not None)


def device_of(jar: aiohttp.abc.AbstractCookieJar, store: SessionStore, base: str) -> str:
    """The device id the server keeps for the phone with this cookie jar."""
    cookie = jar.filter_cookies(URL(f"{base}/j/{store.info.join_token}")).get(DEVICE_COOKIE)
    assert cookie is not None, "the phone has no device cookie"
    return device_id(store.info.secret, cookie.value)


class NoScriptPhone:
    """A phone whose browser runs no script (a form client: see formclient.py), with one tab
    or several sharing its cookies."""

    def __init__(self, base: str, store: SessionStore, clock: Callable[[], float] = time.time
                 ) -> None:
        self.base = base
        self.store = store
        self.clock = clock
        self.jar = aiohttp.CookieJar(unsafe=True)
        self.http = aiohttp.ClientSession(cookie_jar=self.jar)
        self.tabs: list[Browser] = []

    def tab(self) -> Browser:
        browser = Browser(self.http, self.base)
        self.tabs.append(browser)
        return browser

    @property
    def link(self) -> str:
        code = room_code(self.store.info.secret, self.clock())
        return f"/j/{self.store.info.join_token}?code={code}&lang=en"

    async def join(self, tab: Browser | None = None) -> Page:
        tab = tab or self.tab()
        page = await tab.open(self.link)
        page = await tab.submit(page.form("/join"))
        assert page.status == 200 and page.has_form("/send"), page.html
        return page

    @property
    def device(self) -> str:
        return device_of(self.jar, self.store, self.base)

    async def close(self) -> None:
        await self.http.close()
