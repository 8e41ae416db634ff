"""Mass reconnect as the page's script lives it, in headless Chromium through a proxy that
splits responses and resets connections (``tests/netproxy.py``): back live within 5 s of a blink
or of the Wi-Fi's return, spread rather than all at once, still trying after a refusal, and
told what changed while it was away."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

from browser_helpers import needs_chromium
from netproxy import UnkindNetwork

from facilitator.core.model import Source
from facilitator.session.store import SessionStore
from facilitator.web.pages import CONFIG
from facilitator.web.server import ParticipantServer

pytestmark = needs_chromium

BACK_WITHIN_S = 5.0


async def phones_through(browser: Any, net: UnkindNetwork, server: ParticipantServer,
                         count: int) -> list[Any]:
    """``count`` phones (a browser context each) that joined through the network."""
    pages = []
    for _ in range(count):
        context = await browser.new_context()
        page = await context.new_page()
        await page.goto(server.join_url.replace(f":{server.port}/", f":{net.port}/"))
        await page.click("form button.primary >> nth=0")
        await page.wait_for_selector("textarea[name=text]")
        pages.append(page)
    return pages


async def live_again(server: ParticipantServer, count: int, within: float) -> float:
    """How long until ``count`` phones hold a live connection again."""
    began = time.monotonic()
    async with asyncio.timeout(within):
        while server.live_connections < count:
            await asyncio.sleep(0.02)
    return time.monotonic() - began


async def test_every_page_is_back_live_within_five_seconds_of_a_blink(
    store: SessionStore, browser: Any
) -> None:
    server = ParticipantServer(store, host="127.0.0.1", port=0)
    await server.start()
    try:
        async with UnkindNetwork(server.port, segment=1448, delay=0.002) as net:
            pages = await phones_through(browser, net, server, 4)
            await live_again(server, 4, BACK_WITHIN_S)
            net.blink()
            await asyncio.sleep(0.2)
            assert server.live_connections < 4
            assert await live_again(server, 4, BACK_WITHIN_S) < BACK_WITHIN_S
            # a Wi-Fi that stays away for three seconds: back within five of its return
            net.down = True
            net.blink()
            await asyncio.sleep(3)
            net.down = False
            assert await live_again(server, 4, BACK_WITHIN_S) < BACK_WITHIN_S
            await store.go_to_round(1)  # the live connections work: every page follows
            title = store.template.rounds[1].title["en"]
            for page in pages:
                await page.wait_for_selector(f"text={title}", timeout=5000)
    finally:
        await server.stop()


async def test_news_from_while_a_phone_was_away_reaches_it(
    store: SessionStore, browser: Any
) -> None:
    """The facilitator merges a phone's idea while its Wi-Fi is away: when it is back, the
    page shows it (the news is not lost with the connection that would have carried it)."""
    server = ParticipantServer(store, host="127.0.0.1", port=0)
    await server.start()
    try:
        async with UnkindNetwork(server.port, segment=1448, delay=0.002) as net:
            [page] = await phones_through(browser, net, server, 1)
            await page.fill("textarea[name=text]", "Een buurtfonds")
            await page.click("form.send button")
            await page.wait_for_selector("#mine article.mine")
            [mine] = store.contributions("checkin")
            other = await store.add_contribution("checkin", "Buurtfonds", source=Source.TUI)
            await live_again(server, 1, BACK_WITHIN_S)
            net.down = True
            net.blink()
            await asyncio.sleep(0.3)
            await store.merge(other.id, [mine.id])
            await asyncio.sleep(1)
            net.down = False
            await page.wait_for_selector("text=Merged with a similar contribution",
                                         timeout=BACK_WITHIN_S * 1000)
    finally:
        await server.stop()


async def test_a_page_refused_when_it_reconnects_keeps_trying(
    store: SessionStore, browser: Any
) -> None:
    """A busy laptop answers a reconnecting page 503 (live connections are counted by the
    overload guard): the page tries again a moment later, and is live once there is room. The
    browser's own retry gives up for good after one refusal."""
    server = ParticipantServer(store, host="127.0.0.1", port=0)
    await server.start()
    config = server.app[CONFIG]
    roomy = config.capacity
    try:
        async with UnkindNetwork(server.port, segment=1448, delay=0.002) as net:
            await phones_through(browser, net, server, 3)
            await live_again(server, 3, BACK_WITHIN_S)
            config.capacity = dataclasses.replace(roomy, streams=2)
            net.blink()
            await live_again(server, 2, BACK_WITHIN_S)
            await asyncio.sleep(3)  # the third is refused, and asks again meanwhile
            assert server.live_connections == 2
            config.capacity = roomy
            assert await live_again(server, 3, BACK_WITHIN_S) < BACK_WITHIN_S
    finally:
        config.capacity = roomy
        await server.stop()



async def test_pages_come_back_spread_out_not_all_at_once(
    store: SessionStore, browser: Any
) -> None:
    """Two phones whose random draws are the lowest and the highest there are: after a blink
    one is back within a second, the other only after two (the browser's own retry brings
    every phone back in the same instant, three seconds on)."""
    server = ParticipantServer(store, host="127.0.0.1", port=0)
    await server.start()
    try:
        async with UnkindNetwork(server.port, segment=1448, delay=0.002) as net:
            for draw in (0.0, 0.999):
                context = await browser.new_context()
                await context.add_init_script(f"Math.random = () => {draw};")
                page = await context.new_page()
                await page.goto(server.join_url.replace(f":{server.port}/", f":{net.port}/"))
                await page.click("form button.primary >> nth=0")
                await page.wait_for_selector("textarea[name=text]")
            await live_again(server, 2, BACK_WITHIN_S)
            net.blink()
            await asyncio.sleep(0.05)
            first = await live_again(server, 1, BACK_WITHIN_S)
            second = first + await live_again(server, 2, BACK_WITHIN_S)
            assert first < 1.0 and second > 2.0, (first, second)
    finally:
        await server.stop()
