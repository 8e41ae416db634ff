"""The wall is the projector's face (issue 19): its QR code scans from a screenshot of the wall
at the sizes projectors give, it is large (half the screen's height at least), and the link it
carries serves the join page; the question stands whole after a round change; a paused timer
says "paused" on the wall and on the phones; a participant's Arabic or Farsi text carries its
language and direction, so the browser joins its letters right to left."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from browser_helpers import free_port, needs_chromium
from camera import codes_in, local_only, page_pixels

from facilitator.session.store import SessionStore
from facilitator.web.server import ParticipantServer

pytestmark = needs_chromium

PROJECTORS = [(1920, 1080), (1280, 720), (1024, 768)]


@pytest.fixture
async def server(store: SessionStore) -> AsyncIterator[ParticipantServer]:
    running = ParticipantServer(store, host="127.0.0.1", port=free_port())
    await running.start()
    yield running
    await running.stop()


async def wall(browser: Any, server: ParticipantServer, size: tuple[int, int]) -> Any:
    width, height = size
    page = await browser.new_page(viewport={"width": width, "height": height})
    await local_only(page)
    await page.goto(server.wall_url)
    return page


@pytest.mark.parametrize("size", PROJECTORS, ids=lambda size: "x".join(map(str, size)))
async def test_the_walls_code_scans_from_the_back_of_the_room(
        store: SessionStore, server: ParticipantServer, browser: Any,
        size: tuple[int, int]) -> None:
    await store.go_to_round(1)
    page = await wall(browser, server, size)
    image = await page_pixels(page)
    [code] = codes_in(image)
    assert code.text == server.room_link
    assert code.height >= image.height * 0.5, "a small code does not scan from the back row"
    async with aiohttp.ClientSession() as phone, phone.get(code.text) as answer:
        assert answer.status == 200 and 'name="code"' in await answer.text()


async def test_the_whole_question_after_a_round_change(
        store: SessionStore, server: ParticipantServer, browser: Any) -> None:
    """The wall follows ] by itself, and the new round's question is on the screen whole:
    every line of it inside the window, nothing cut."""
    await store.go_to_round(0)
    page = await wall(browser, server, (1280, 720))
    await store.go_to_round(1)
    question = store.template.round("knelpunten").prompt["nl"]
    await page.wait_for_function(
        "text => document.querySelector('.prompt').textContent.trim() === text", arg=question,
        timeout=10_000)
    box = await page.eval_on_selector(".prompt", """el => {
        const r = el.getBoundingClientRect();
        return {top: r.top, bottom: r.bottom, clipped: el.scrollHeight > el.clientHeight,
                lines: Math.round(r.height / parseFloat(getComputedStyle(el).lineHeight))};
    }""")
    assert box["top"] >= 0 and box["bottom"] <= 720 and not box["clipped"]
    assert box["lines"] >= 2  # a question of several lines, all of them shown
    assert question in await page.inner_text("main")


async def test_a_paused_timer_says_paused_on_the_wall_and_the_phones(
        store: SessionStore, server: ParticipantServer, browser: Any) -> None:
    await store.go_to_round(1)
    page = await wall(browser, server, (1280, 720))
    phone = await browser.new_page(viewport={"width": 360, "height": 740})
    await phone.goto(server.join_url)
    await phone.click("form button.primary")
    await phone.wait_for_selector("#prompt")
    for shown in (page, phone):
        assert not await shown.is_visible(".paused")
    await store.set_timer("knelpunten", running=False)
    for shown, word in ((page, "gepauzeerd"), (phone, "paused")):  # live, without a reload
        await shown.wait_for_selector(".paused", state="visible", timeout=10_000)
        assert (await shown.inner_text(".paused")).strip().lower() == word  # its own language
    await store.set_timer("knelpunten", running=True)
    for shown in (page, phone):
        await shown.wait_for_selector(".paused", state="hidden", timeout=10_000)


async def test_arabic_and_farsi_on_the_wall_carry_their_language(
        store: SessionStore, server: ParticipantServer, browser: Any) -> None:
    await store.go_to_round(1)
    said = {"ar": "المواعيد في البلدية طويلة جدا", "fa": "وقت‌های شهرداری خیلی دیر است",
            "nl": "De formulieren zijn alleen in het Nederlands"}
    for lang, text in said.items():
        await store.join(f"device-{lang}", lang=lang)
        await store.add_contribution("knelpunten", text, author=f"device-{lang}")
    await store.join("device-ar-nl", lang="ar")  # an Arabic page, a Dutch text
    await store.add_contribution("knelpunten", "Geen tolk bij het loket",
                                 author="device-ar-nl")
    page = await wall(browser, server, (1280, 720))
    cards = await page.eval_on_selector_all(".cards li", """items => items.map(li => ({
        text: li.textContent.trim(), lang: li.lang, dir: getComputedStyle(li).direction}))""")
    found = {card["text"]: (card["lang"], card["dir"]) for card in cards}
    assert found[said["ar"]] == ("ar", "rtl")
    assert found[said["fa"]] == ("fa", "rtl")
    assert found[said["nl"]] == ("nl", "ltr")
    assert found["Geen tolk bij het loket"] == ("", "ltr")  # not in its author's script
