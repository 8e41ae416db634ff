"""Right-to-left contributions in the facilitator's TUI: marked in the feed and the detail (a
terminal without bidi, Windows Terminal among them, draws them wrong), opened where they are
shown right (B: the moderation page in this laptop's browser), and a co-moderator's link (K) made,
renewed and switched off; a colleague's change on that page shows in the feed as any other."""

from __future__ import annotations

import re
import webbrowser
from typing import Any

import aiohttp
import pytest
from textual.widgets import Static
from tui_helpers import feed, in_process_host, plain, settle

from facilitator.session.library import Library, Templates
from facilitator.session.store import SessionStore
from facilitator.tui import app as app_module
from facilitator.tui.app import FacilitatorApp
from facilitator.tui.screens.comoderator import ComoderatorScreen
from facilitator.tui.screens.dialogs import ConfirmDialog
from facilitator.tui.screens.help import HelpScreen
from facilitator.tui.screens.session import SessionScreen
from facilitator.tui.widgets.detail import ContributionDetail

ARABIC = "لا نعرف من هو المسؤول في البلدية"
FARSI = "ما نمی‌دانیم چه کسی در شهرداری مسئول است"
SIZE = (160, 45)
FORM = re.compile(r'name="csrf" value="([0-9a-f]+)"')


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The addresses the app asks the system's browser to open (nothing is opened)."""
    urls: list[str] = []
    def open_in_browser(url: str, new: int = 0, autoraise: bool = True) -> bool:
        urls.append(url)
        return True

    monkeypatch.setattr(webbrowser, "open", open_in_browser)
    monkeypatch.setenv("DISPLAY", ":0")  # a desktop to open it on
    return urls


async def test_right_to_left_contributions_are_marked(make_app: Any, session: SessionStore,
                                                      add: Any) -> None:
    arabic = await add(ARABIC)
    dutch = await add("Te veel formulieren.")
    mixed = await add("Amal zegt: " + FARSI)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = feed(app)
        cells = {cid: table.get_cell(cid, "text").plain for cid in table.ids}  # type: ignore[union-attr]
        assert cells[arabic.id] == f"◄ {ARABIC}"
        assert cells[mixed.id].startswith("◄ Amal zegt")
        assert cells[dutch.id] == "Te veel formulieren."
        table.select_id(arabic.id)
        await settle(pilot)
        detail = plain(app.screen.query_one(ContributionDetail))
        assert "Right to left" in detail and "B shows it right" in detail
        table.select_id(dutch.id)
        await settle(pilot)
        assert "Right to left" not in plain(app.screen.query_one(ContributionDetail))

        await pilot.press("question_mark")  # the legend explains the sign
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert "◄" in plain(app.screen) and "written right to left" in plain(app.screen)


async def test_b_opens_the_moderation_page_in_the_browser(
    make_app: Any, session: SessionStore, opened: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # The screen may be on the projector, and the page shows hidden contributions too.
        await pilot.press("B")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog) and opened == []
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, SessionScreen) and opened == []
        await pilot.press("P")  # this screen is the facilitator's own: no question
        await settle(pilot)
        await pilot.press("B")
        await settle(pilot)
        assert opened == [f"{app.server.moderation_url}?round=knelpunten"]
        assert any("Opened in the browser" in n.message and not n.markup
                   for n in app.notified)
        # In a console without a desktop nothing is started in the TUI's own terminal: the
        # address is said instead.
        monkeypatch.setattr(app_module, "has_desktop", lambda: False)
        await pilot.press("B")
        await settle(pilot)
        assert len(opened) == 1
        assert app.server.moderation_url in app.notified[-1].message
        assert "No browser could be opened" in app.notified[-1].message


async def test_k_makes_renews_and_switches_off_the_co_moderator_link(
    make_app: Any, session: SessionStore
) -> None:
    first = session.info.comoderator_secret
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert first not in plain(app.screen)  # the projected screen: no secret
        await pilot.press("K")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)  # asked first: it may be projected
        assert first not in app.export_screenshot()
        await pilot.press("y")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ComoderatorScreen)
        shown = plain(dialog.query_one("#comoderator-link", Static))
        assert f"/c/{first}" in shown and "▀" in shown  # the link, and its QR code

        await pilot.click("#renew")
        await settle(pilot)
        second = session.info.comoderator_secret
        assert second and second != first
        shown = plain(dialog.query_one("#comoderator-link", Static))
        assert f"/c/{second}" in shown and first not in shown

        await pilot.click("#toggle")
        await settle(pilot)
        assert session.info.comoderator_secret == ""
        assert "co-moderator link is off" in plain(dialog.query_one("#comoderator-link", Static))
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, SessionScreen)


async def test_the_palette_offers_both(make_app: Any, session: SessionStore) -> None:
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Moderate in the browser" in titles and "Co-moderator link" in titles


async def test_a_colleagues_change_shows_in_the_feed(
    library: Library, templates: Templates, session: SessionStore, opened: list[str]
) -> None:
    """The real participant server: the page B opens shows the Arabic right, and a colleague
    hiding it through the co-moderator's link is seen in the feed at once."""
    item = await session.add_contribution("knelpunten", ARABIC, author="device-4")
    app = FacilitatorApp(library, templates, store=session, lang="en",
                         host_factory=in_process_host())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("B", "y")
        await settle(pilot)
        [url] = opened
        async with aiohttp.ClientSession() as laptop:
            page = await (await laptop.get(url)).text()
        assert f'dir="rtl" lang="ar">{ARABIC}<' in page

        colleague_link = app.server.comoderator_url
        assert colleague_link is not None
        origin = colleague_link.split("/c/")[0]
        async with aiohttp.ClientSession() as colleague:
            page = await (await colleague.get(colleague_link)).text()
            answer = await colleague.post(
                f"{colleague_link}/change", allow_redirects=False, headers={"Origin": origin},
                data={"csrf": FORM.search(page).group(1),  # type: ignore[union-attr]
                      "do": "hide", "id": str(item.id), "round": "knelpunten"})
            assert answer.status == 303
        await settle(pilot)
        status = feed(app).get_cell(item.id, "status")
        assert status is not None and "hidden" in status.plain
