"""The room reads the facilitator's screen as a phone would (issue 19, points 1 and 2): the real
session screen at the sizes projectors give, with the real participant server on 127.0.0.1,
exported by Pilot, drawn by Chromium, decoded by zxing-cpp; the link decoded must serve the join
page. Where no whole code fits beside the feed, the screen says to press j and shows a link
short enough to type."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from camera import chromium, codes_in, svg_pixels
from tui_helpers import in_process_host, link_lines_shown, plain, settle

from facilitator.session.library import Library, Templates
from facilitator.session.store import SessionStore
from facilitator.tui.app import FacilitatorApp
from facilitator.tui.screens.join_code import JoinCodeScreen
from facilitator.tui.widgets.join_panel import JoinPanel
from tests.web.browser_helpers import needs_chromium

pytestmark = needs_chromium

SIZES = [(120, 40), (160, 45), (200, 60)]
SHORT = 45
"""A link a participant can type from the screen: the room's short link, about 40 characters."""


@pytest.fixture
async def browser() -> Any:
    async with chromium() as launched:
        yield launched


async def serves_the_join_page(link: str) -> None:
    """What a phone does with the link: open it, and find the join form with its code."""
    async with aiohttp.ClientSession() as phone, phone.get(link) as page:
        html = await page.text()
        assert page.status == 200, html
        assert "/j/" in str(page.url) and 'name="code"' in html and 'action="' in html


def app_with_server(library: Library, templates: Templates,
                    store: SessionStore) -> FacilitatorApp:
    return FacilitatorApp(library, templates, store=store, lang="en",
                          host_factory=in_process_host())


@pytest.mark.parametrize("size", SIZES, ids=lambda size: "x".join(map(str, size)))
async def test_the_session_screen_scans(size: tuple[int, int], browser: Any, library: Library,
                                        templates: Templates, store: SessionStore) -> None:
    await store.go_to_round(1)
    app = app_with_server(library, templates, store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert app.server is not None and app.server_ready
        link = app.server.room_link
        assert len(link) <= SHORT
        svg = app.export_screenshot()
        if app.server.room_link != link:  # the room's code changed just now: look again
            await settle(pilot)
            link = app.server.room_link
            svg = app.export_screenshot()
        seen = codes_in(await svg_pixels(browser, svg))
        if size == (120, 40):  # no whole code fits beside a readable feed: a pointer to j
            assert seen == []
            compact = app.screen.query_one("#join-compact", JoinPanel)
            assert compact.display and not app.screen.query_one("#right").display
            shown = plain(compact)
            assert " j " in shown and "QR code" in shown
            assert "".join(link_lines_shown(compact)) in (link, link.removeprefix("http://"))
        else:
            assert [code.text for code in seen] == [link]
            assert "join" in plain(app.screen.query_one("#join", JoinPanel))
        await serves_the_join_page(link)


@pytest.mark.parametrize("size", SIZES, ids=lambda size: "x".join(map(str, size)))
async def test_j_shows_the_code_large_and_in_the_middle(
        size: tuple[int, int], browser: Any, library: Library, templates: Templates,
        store: SessionStore) -> None:
    await store.go_to_round(1)
    app = app_with_server(library, templates, store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("j")
        await pilot.pause()
        assert isinstance(app.screen, JoinCodeScreen)
        image = await svg_pixels(browser, app.export_screenshot())
        [code] = codes_in(image)
        assert app.server is not None
        assert code.text.startswith(app.server.base_url + "/r/")  # the room's code of now
        assert abs(code.centre_x - image.width / 2) < image.width * 0.03  # in the middle
        assert code.height > image.height * 0.6  # as large as the terminal allows
        await serves_the_join_page(code.text)
