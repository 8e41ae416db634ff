"""Phones as they really behave, in a real browser (Debian's Chromium) with the page's script:
back after a send, a double tap, a reload while sending, a send while the network is gone
that the script sends again, two tabs, a join code that expires before Start is pressed, a
page load answered 503 after a send, a page that did not hear of the round change. The
network between phone and laptop is ``tests/netproxy.py`` where it matters: responses in
segments, connections reset, new ones refused.

After each, what the phone shows (its notice, its own contributions, its ballot) is what the
session's file holds, read back read-only, and every "sent" is in it exactly once. The same
situations with scripts off are in test_phones.py."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from browser_helpers import free_port, needs_chromium
from netproxy import UnkindNetwork
from phones_helpers import SENT, english, held

from facilitator.core.errors import Reason
from facilitator.core.joining import GRACE_S, ROTATE_S, room_code
from facilitator.core.model import Source
from facilitator.session.store import SessionStore
from facilitator.web import sentences as say
from facilitator.web.guard import DEVICE_COOKIE, device_id
from facilitator.web.pages import CONFIG
from facilitator.web.server import ParticipantServer

pytestmark = needs_chromium

ROUND = "knelpunten"  # dots: 5, at most 2 per item
OFFLINE = "No connection. Your text is still here: please try again."


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def server(store: SessionStore, clock: Clock) -> AsyncIterator[ParticipantServer]:
    await store.go_to_round(1)
    running = ParticipantServer(store, host="127.0.0.1", port=free_port(), clock=clock)
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def net(server: ParticipantServer) -> AsyncIterator[UnkindNetwork]:
    """The venue's Wi-Fi between the phones and the laptop."""
    async with UnkindNetwork(server.port, segment=1448, delay=0.001) as network:
        yield network


def link(store: SessionStore, port: int, clock: Clock) -> str:
    code = room_code(store.info.secret, clock())
    return f"http://127.0.0.1:{port}/j/{store.info.join_token}?code={code}&lang=en"


class BrowserPhone:
    """One phone: a browser context (its cookies), its tabs, and what went wrong in them."""

    def __init__(self, context: Any, store: SessionStore) -> None:
        self.context = context
        self.store = store
        self.errors: list[str] = []

    async def tab(self) -> Any:
        page = await self.context.new_page()
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        return page

    async def join(self, url: str) -> Any:
        page = await self.tab()
        await page.goto(url)
        await page.click("form button.primary >> nth=0")
        await page.wait_for_selector("#live[data-key]")
        return page

    async def device(self) -> str:
        cookies = await self.context.cookies()
        cookie = next(c["value"] for c in cookies if c["name"] == DEVICE_COOKIE)
        return device_id(self.store.info.secret, cookie)


@pytest.fixture
async def phones(browser: Any, store: SessionStore) -> AsyncIterator[Any]:
    made: list[BrowserPhone] = []

    async def make(script: bool = True) -> BrowserPhone:
        context = await browser.new_context(java_script_enabled=script,
                                            viewport={"width": 360, "height": 720})
        phone = BrowserPhone(context, store)
        made.append(phone)
        return phone

    yield make
    for phone in made:
        await phone.context.close()


async def mine(page: Any) -> list[str]:
    return [text.strip() for text in
            await page.locator("#mine article.mine > p:first-child").all_inner_texts()]


async def notice(page: Any) -> str:
    return str(await page.inner_text("#notice")).strip()


async def notice_is(page: Any, sentence: str, timeout_ms: float = 10_000) -> None:
    await page.wait_for_function(
        "s => { const n = document.getElementById('notice');"
        " return n && !n.hidden && n.textContent.trim() === s; }",
        arg=sentence, timeout=timeout_ms)


async def send(page: Any, text: str) -> None:
    await page.fill("form.send textarea[name=text]", text)
    await page.click("form.send button[type=submit]")


async def answered(page: Any, form: str = "form.send") -> None:
    """Until the script has the answer to the form just sent (its button is enabled again)."""
    await page.wait_for_function(
        "f => { const b = document.querySelector(f + ' button[type=submit]');"
        " return b && !b.disabled; }", arg=form)


async def shows_what_is_held(page: Any, store: SessionStore, device: str) -> None:
    file = held(store.path, device)
    assert await mine(page) == file.mine, (await mine(page), file.mine)


async def test_back_after_a_send_then_another_idea(
        store: SessionStore, server: ParticipantServer, clock: Clock, phones: Any) -> None:
    """Chromium keeps no page answered ``no-store`` in its back-forward cache: back loads the
    page again (with what was typed put back in the box). A browser that does keep it, with
    the form's used key, is the form client's case (test_phones.py)."""
    for script in (True, False):
        phone = await phones(script)
        page = await phone.join(link(store, server.port, clock))
        await send(page, f"idee A {script}")
        await page.wait_for_selector("#mine article.mine")
        await page.click("header a")  # "Change my details", then the phone's back button
        await page.wait_for_selector("form[action$='/join']")
        await page.go_back()
        await page.wait_for_selector("form.send")
        await send(page, f"idee C {script}")
        await page.wait_for_function(
            "() => document.querySelectorAll('#mine article.mine').length == 2")

        device = await phone.device()
        file = held(store.path, device)
        assert file.every_text == [f"idee A {script}", f"idee C {script}"]
        await shows_what_is_held(page, store, device)
        assert phone.errors == []


async def test_a_double_tap_on_send(store: SessionStore, server: ParticipantServer,
                                    clock: Clock, phones: Any) -> None:
    for script in (True, False):
        phone = await phones(script)
        page = await phone.join(link(store, server.port, clock))
        await page.fill("form.send textarea[name=text]", f"twee keer {script}")
        await page.dblclick("form.send button[type=submit]")
        await page.wait_for_selector("#mine article.mine")
        await page.wait_for_load_state("networkidle")

        device = await phone.device()
        assert held(store.path, device).every_text == [f"twee keer {script}"]
        await shows_what_is_held(page, store, device)


async def test_a_reload_while_sending(store: SessionStore, server: ParticipantServer,
                                      clock: Clock, phones: Any,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    phone = await phones()
    page = await phone.join(link(store, server.port, clock))
    slow = asyncio.Event()
    reached = asyncio.Event()
    real = store.add_contribution

    async def queued(*args: Any, **kwargs: Any) -> Any:
        reached.set()
        await slow.wait()
        return await real(*args, **kwargs)

    monkeypatch.setattr(store, "add_contribution", queued)
    await send(page, "halverwege herladen")
    await asyncio.wait_for(reached.wait(), 5)
    await page.reload()  # the send's request is given up
    await page.wait_for_selector("form.send")
    slow.set()
    await asyncio.sleep(0.3)

    device = await phone.device()
    file = held(store.path, device)
    assert await notice(page) != SENT
    assert file.every_text == [] and await mine(page) == []
    await page.reload()
    await shows_what_is_held(page, store, device)


@pytest.mark.parametrize("lost", ["the request", "the answer"])
async def test_a_send_while_the_network_is_gone_goes_again_by_itself(
        store: SessionStore, server: ParticipantServer, clock: Clock, phones: Any,
        net: UnkindNetwork, monkeypatch: pytest.MonkeyPatch, lost: str) -> None:
    phone = await phones()
    page = await phone.join(link(store, net.port, clock))
    await page.wait_for_function("() => document.getElementById('live').dataset.key")
    if lost == "the request":  # the Wi-Fi goes: every connection reset, none made for a while
        net.down = True
        net.blink()
    else:  # the send arrives and is stored; then the Wi-Fi blinks before the answer is back
        real = store.add_contribution

        async def then_blink(*args: Any, **kwargs: Any) -> Any:
            stored = await real(*args, **kwargs)
            net.down = True
            net.blink()
            return stored

        monkeypatch.setattr(store, "add_contribution", then_blink)
    await send(page, "zonder wifi")
    await notice_is(page, OFFLINE)
    assert await page.input_value("form.send textarea[name=text]") == "zonder wifi"
    monkeypatch.undo()
    await asyncio.sleep(1.0)
    net.down = False  # back: the script sends the same form again by itself
    await notice_is(page, SENT, timeout_ms=15_000)
    await page.wait_for_selector("#mine article.mine")

    device = await phone.device()
    assert held(store.path, device).every_text == ["zonder wifi"]
    await shows_what_is_held(page, store, device)
    assert phone.errors == []


async def test_two_tabs_an_edit_from_the_older_tab(
        store: SessionStore, server: ParticipantServer, clock: Clock, phones: Any) -> None:
    phone = await phones()
    first = await phone.join(link(store, server.port, clock))
    await send(first, "versie 1")
    await first.wait_for_selector("#mine article.mine")
    second = await phone.tab()  # the same page in a second tab
    await second.goto(first.url)
    await second.wait_for_selector("#mine article.mine")

    for tab, text in ((first, "versie 2"), (second, "versie 3")):  # both begin an edit
        await tab.click("#mine details summary")
        await tab.fill("#mine details form textarea", text)
    for tab in (first, second):  # the first saves; the second saves its edit of "versie 1"
        await tab.click("#mine details form button[type=submit]")
        await answered(tab, "#mine details form")

    device = await phone.device()
    file = held(store.path, device)
    assert file.mine == ["versie 2"], "the newer edit, told 'saved', stays"
    assert await notice(first) == english(say.EDITED)
    assert await notice(second) == english(say.REFUSALS[Reason.CHANGED_SINCE])
    await shows_what_is_held(first, store, device)
    await shows_what_is_held(second, store, device)  # the older tab shows the newest text ...
    assert await second.input_value("#mine details form textarea") == "versie 3"  # ... and keeps
    assert await second.is_visible("#mine details form textarea")  # its own, open, to save again
    await second.click("#mine details form button[type=submit]")
    await notice_is(second, english(say.EDITED))
    assert held(store.path, device).mine == ["versie 3"]
    assert phone.errors == []


async def test_two_tabs_a_ballot_from_the_older_tab(
        store: SessionStore, server: ParticipantServer, clock: Clock, phones: Any) -> None:
    phone = await phones()
    first = await phone.join(link(store, server.port, clock))
    a, b, *_ = [(await store.add_contribution(ROUND, f"knelpunt {n}", source=Source.TUI)).id
                for n in range(4)]
    await store.update_round(ROUND, voting_open=True)
    await first.goto(first.url.split("?")[0])
    second = await phone.tab()
    await second.goto(first.url)
    for tab in (first, second):
        await tab.wait_for_selector("form.vote select")

    await first.select_option(f"select[name=v{a}]", "2")
    await first.click("form.vote button[type=submit]")
    await answered(first, "form.vote")
    await second.select_option(f"select[name=v{b}]", "2")  # shows no vote on a
    await second.click("form.vote button[type=submit]")
    await answered(second, "form.vote")

    device = await phone.device()
    assert held(store.path, device).ballot == {a: 2}, "the newer ballot, told 'saved', stays"
    assert await notice(first) == english(say.VOTED)
    assert await notice(second) == english(say.REFUSALS[Reason.BALLOT_CHANGED])
    for tab in (first, second):  # both show the ballot as saved
        assert await tab.input_value(f"select[name=v{a}]") == "2"
        assert await tab.input_value(f"select[name=v{b}]") == ""
    await second.select_option(f"select[name=v{b}]", "2")  # now over the saved ballot
    await second.click("form.vote button[type=submit]")
    await notice_is(second, english(say.VOTED))
    assert held(store.path, device).ballot == {a: 2, b: 2}
    assert phone.errors == []


async def test_a_join_code_that_expires_before_start_is_pressed(
        store: SessionStore, server: ParticipantServer, clock: Clock, phones: Any) -> None:
    joined = await phones()
    page = await joined.join(link(store, server.port, clock))
    late = await phones()
    waiting = await late.tab()
    await waiting.goto(link(store, server.port, clock))
    clock.now += ROTATE_S + GRACE_S + 1

    await waiting.click("form button.primary >> nth=0")
    await waiting.wait_for_selector("main.error")
    await send(page, "na de nieuwe code")
    await notice_is(page, SENT)

    assert await waiting.inner_text("main.error h1") == \
        english(say.REFUSALS[Reason.CODE_NOT_VALID])
    assert not held(store.path, await late.device()).joined
    device = await joined.device()
    assert held(store.path, device).every_text == ["na de nieuwe code"]
    await shows_what_is_held(page, store, device)


async def test_the_page_load_after_a_send_answered_503(
        store: SessionStore, server: ParticipantServer, clock: Clock, phones: Any) -> None:
    phone = await phones()
    page = await phone.join(link(store, server.port, clock))
    config = server.app[CONFIG]
    swamped = 0

    async def after_send(route: Any) -> None:
        nonlocal swamped
        request = route.request
        if request.method == "GET" and request.resource_type == "fetch" and swamped < 2:
            swamped += 1
            config.max_in_flight = 0  # the page load after the send finds the laptop swamped
            try:
                await route.continue_()
                await asyncio.sleep(0.3)
            finally:
                config.max_in_flight = 256
        else:
            await route.continue_()

    await page.route(f"**/j/{store.info.join_token}", after_send)
    await send(page, "idee A")
    await notice_is(page, SENT)
    await send(page, "idee C")  # the next idea, from the form the phone still has
    await answered(page)

    device = await phone.device()
    assert swamped == 2
    assert held(store.path, device).every_text == ["idee A", "idee C"]
    await shows_what_is_held(page, store, device)
    assert phone.errors == []


async def test_a_page_that_did_not_hear_of_the_round_change(
        store: SessionStore, server: ParticipantServer, clock: Clock, phones: Any) -> None:
    phone = await phones()
    page = await phone.tab()
    await page.route("**/events", lambda route: route.abort())  # its live connection fails
    await page.goto(link(store, server.port, clock))
    await page.click("form button.primary >> nth=0")
    await page.wait_for_selector("form.send")
    await store.go_to_round(2)

    await send(page, "voor de vorige vraag")
    await notice_is(page, english(say.REFUSALS[Reason.ROUND_CLOSED]))

    device = await phone.device()
    assert await page.input_value("form.send textarea[name=text]") == "voor de vorige vraag"
    assert held(store.path, device).every_text == []
    await page.reload()
    assert await page.inner_text("h1") == store.template.rounds[2].title["en"]
    assert await mine(page) == held(store.path, device).mine == []
