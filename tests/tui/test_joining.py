"""The facilitator's side of joining (issue 9, item 5): a burst of new devices and more devices
than people are shown, J closes joining for the round and opens it again, and the joining
dialog (c) says how many people are in the room and revokes a table card."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from textual.widgets import Input, OptionList
from tui_helpers import CODE, CSRF, in_process_host, plain, settle

from facilitator.core.joining import BURST_DEVICES, card_code
from facilitator.session.files import address_path, read_sidecar
from facilitator.session.library import Library, Templates
from facilitator.session.store import SessionStore
from facilitator.tui.app import FacilitatorApp
from facilitator.tui.screens.dialogs import ConfirmDialog
from facilitator.tui.screens.table_cards import TableCardsDialog
from facilitator.tui.store_events import PANELS_S
from facilitator.tui.widgets.joining_watch import JoiningWatch

SIZE = (160, 45)


async def phone_joins(link: str) -> int:
    """A phone that scanned ``link``: load the page, press Start. The join's status."""
    join = link.split("?")[0]
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as phone:
        html = await (await phone.get(link)).text()
        csrf, code = CSRF.search(html), CODE.search(html)
        if csrf is None or code is None:
            return (await phone.get(link)).status  # the page said why at once
        answer = await phone.post(f"{join}/join", allow_redirects=False,
                                  data={"csrf": csrf.group(1), "lang": "nl",
                                        "code": code.group(1)},
                                  headers={"Origin": join.split("/j/")[0]})
        return answer.status


def warnings(app: FacilitatorApp) -> str:
    widget = app.screen.query_one(JoiningWatch)
    return " ".join(plain(widget).split()) if widget.display else ""


async def panels_shown(pilot: Any) -> None:
    """Settled, and the panels that count arrivals redrawn (they are at most PANELS_S late)."""
    await settle(pilot)
    await pilot.pause(PANELS_S + 0.05)


async def test_a_burst_is_shown_and_J_closes_and_reopens_joining(
        library: Library, templates: Templates, store: SessionStore) -> None:
    await store.go_to_round(1)
    app = FacilitatorApp(library, templates, store=store, lang="en",
                         host_factory=in_process_host())
    async with app.run_test(size=SIZE) as pilot:
        await panels_shown(pilot)
        server = app.server
        assert server is not None and app.server_ready
        assert warnings(app) == ""  # nothing to say: the widget takes no room
        assert await phone_joins(server.join_url) == 303
        await panels_shown(pilot)
        assert warnings(app) == ""  # one phone is no burst

        # a script with a photographed table card: a dozen devices at once
        card = server.join_url.split("?")[0] + f"?code={card_code(store.info, 'B')}&table=B"
        statuses = await asyncio.gather(*[phone_joins(card) for _ in range(BURST_DEVICES + 2)])
        assert set(statuses) == {303}
        await panels_shown(pilot)
        shown = warnings(app)
        assert "new devices within 10 s" in shown
        assert "with table card B" in shown and "J: close joining" in shown

        await pilot.press("J")
        await panels_shown(pilot)
        assert store.round_state("knelpunten").joining_closed
        assert "Joining is closed for this round" in warnings(app)
        assert await phone_joins(server.join_url) == 409  # the room's code: turned away too
        assert await phone_joins(card) == 409
        assert store.participant_count == BURST_DEVICES + 3

        await pilot.press("J")
        await panels_shown(pilot)
        assert not store.round_state("knelpunten").joining_closed
        assert "Joining is closed" not in warnings(app)
        assert await phone_joins(server.join_url) == 303
        assert store.participant_count == BURST_DEVICES + 4


async def test_more_devices_than_people_and_a_card_revoked_from_the_dialog(
        make_app: Any, store: SessionStore) -> None:
    await store.go_to_round(1)
    for n in range(5):
        await store.join(f"device-{n}", lang="nl")
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, TableCardsDialog)
        assert "Table A · card 1 · 0 devices joined with it" in str(
            dialog.query_one(OptionList).get_option_at_index(0).prompt)
        dialog.query_one("#people", Input).value = "4"
        await pilot.click("#save-people")
        await settle(pilot)
        assert store.info.room_size == 4

        old = card_code(store.info, "B")
        cards = dialog.query_one(OptionList)
        cards.focus()
        cards.highlighted = 1
        await pilot.click("#revoke")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)  # a printed card stops working: asked
        assert "Revoke the card of table B?" in str(app.screen.question)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is dialog and store.info.card_issue == {}
        await pilot.click("#revoke")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is dialog
        assert store.info.card_issue == {"B": 1} and card_code(store.info, "B") != old
        assert "card 2 (the earlier ones are revoked)" in str(
            cards.get_option_at_index(1).prompt)
        await pilot.press("escape")
        await settle(pilot)
        assert "5 devices for 4 people in the room." in \
            warnings(app)

        await pilot.press("c")
        await settle(pilot)
        people = app.screen.query_one("#people", Input)
        assert people.has_focus  # the dialog opens on the first thing to type
        await pilot.press("backspace", "1", "2", "enter")  # typing and enter saves
        await settle(pilot)
        assert store.info.room_size == 12
        people.value = "vier"
        await pilot.press("enter")
        await settle(pilot)
        assert "a whole number" in plain(app.screen.query_one("#problem"))
        assert store.info.room_size == 12
        people.value = ""
        await pilot.press("enter")
        await settle(pilot)
        assert store.info.room_size == 0  # not said: no comparison
        await pilot.press("escape")
        await settle(pilot)
        assert warnings(app) == ""


async def test_the_dialog_prints_the_cards_with_the_sessions_address(
        make_app: Any, store: SessionStore, library: Library, tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils (pdftoppm) not installed")
    app = make_app(store, public_url="http://10.1.2.3:8123")  # where the room reaches it
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert read_sidecar(address_path(store.path)) == {"base": "http://10.1.2.3:8123"}
        await pilot.press("c")
        await settle(pilot)
        await pilot.click("#print")
        for _ in range(200):  # WeasyPrint, in a thread
            await settle(pilot)
            out = library.data_dir / "reports" / store.session_id / \
                f"{store.session_id}-cards.pdf"
            if out.exists() and not app.workers:
                break
            await asyncio.sleep(0.05)
    import zxingcpp
    from PIL import Image

    subprocess.run(["pdftoppm", "-png", "-r", "100", str(out), str(tmp_path / "page")],
                   check=True)
    links = [[code.text for code in zxingcpp.read_barcodes(Image.open(page))]
             for page in sorted(tmp_path.glob("page-*.png"))]
    assert [page[0].split("?")[0] for page in links] == \
        [f"http://10.1.2.3:8123/j/{store.info.join_token}"] * 3
    assert links[2] == [f"http://10.1.2.3:8123/j/{store.info.join_token}"
                        f"?code={card_code(store.info, 'C')}&table=C"]


async def test_the_tables_are_changed_in_the_dialog_and_get_cards(
        make_app: Any, store: SessionStore) -> None:
    await store.go_to_round(1)
    await store.join("device-0", lang="nl", table_group="C")
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, TableCardsDialog)
        tables = dialog.query_one("#tables", Input)
        assert tables.value == "A, B, C"
        tables.value = "12"
        tables.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert store.info.tables == tuple(str(n) for n in range(1, 13))
        cards = dialog.query_one(OptionList)
        assert cards.option_count == 12
        assert "Table 12 · card 1" in str(cards.get_option_at_index(11).prompt)
        tables.value = "Noord, Zuid, Noord"
        await pilot.press("enter")
        await settle(pilot)
        assert "“Noord” is named twice" in plain(dialog.query_one("#problem"))
        assert len(store.info.tables) == 12
        tables.value = ""
        await pilot.press("enter")
        await settle(pilot)
        assert store.info.tables == ()
        assert "The session's card" in str(cards.get_option_at_index(0).prompt)
    assert store.participant("device-0").table_group == "C"  # kept where they sat
