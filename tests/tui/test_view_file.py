"""The facilitator's view (which view, the filters, the cursor) is the screen's own: kept in a
file beside the session, never in the session, so a cursor move is no commit and no phone or
wall hears of it; and the view is where the facilitator left it after a resume. (Showing the
results, w, is not the screen's own: the room sees them, and the round records it.)"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest
from tui_helpers import feed, phone_in_room, settle

from facilitator.core.joining import next_change, wall_token
from facilitator.core.model import Change
from facilitator.session.files import read_sidecar, view_path
from facilitator.session.store import SessionStore
from facilitator.tui import view_saver
from facilitator.tui.screens.session import VIEW_ROUND, SessionScreen
from facilitator.tui.view_saver import save_view

SIZE = (160, 45)


async def heard_in(live: aiohttp.ClientResponse, seconds: float) -> bytes:
    """What a live connection sent within ``seconds``, its keep-alive comments left out."""
    buffer = b""
    try:
        async with asyncio.timeout(seconds):
            while True:
                chunk = await live.content.readany()
                if not chunk:
                    break
                buffer += chunk
    except TimeoutError:
        pass
    return b"".join(line + b"\n" for line in buffer.split(b"\n")
                    if line and not line.startswith(b":"))


async def until_quiet(live: aiohttp.ClientResponse, quiet_s: float = 1.0) -> bytes:
    """What a live connection sends on connecting and after, until it has been quiet for
    ``quiet_s``: its first state, and any news of what came just before (the wall hears the
    contributions added before it connected half a second later, and under Wine on a busy
    machine later still)."""
    heard = b""
    for _ in range(30):
        more = await heard_in(live, quiet_s)
        if not more and heard:
            break
        heard += more
    return heard


async def test_a_cursor_move_sends_nothing_to_phones_or_the_wall(
        make_app: Any, session: SessionStore, add: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(view_saver, "SAVE_VIEW_AFTER_S", 0.2)  # saved soon after a move
    for n in range(4):
        await add(f"Knelpunt {n}", device=f"device-{n}")
    app = make_app(session, clock=time.time)  # the QR code's join code as the server's
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        server = app.server
        assert server is not None and app.server_ready
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as phone:
            join = await phone_in_room(phone, server.join_url)
            origin = join.split("/j/")[0]
            headers = {"Accept": "text/event-stream"}
            live = await phone.get(f"{join}/events", headers=headers)
            wall = await phone.get(f"{origin}/wall/{wall_token(session.info.secret)}/events",
                                   headers=headers)
            assert live.status == wall.status == 200
            assert b"event: state" in await until_quiet(live)  # what it hears on connecting
            assert b"event: state" in await until_quiet(wall)
            rotates_at = next_change(time.time())  # the wall shows the room's code
            await settle(pilot)
            commits: list[tuple[Change, ...]] = []
            session.subscribe(commits.append)

            start = feed(app).current_id
            await pilot.press("up", "up", "down", "up")  # the cursor (the newest is last)
            await settle(pilot)
            moved = feed(app).current_id
            assert moved not in (None, start)
            await pilot.press("g")  # and the table filter
            await settle(pilot)
            for _ in range(50):  # the view is saved once it stands still
                await pilot.pause(0.1)
                if read_sidecar(view_path(session.path)) == app.last_view_state:
                    break
            saved = read_sidecar(view_path(session.path))
            assert saved == app.last_view_state
            assert saved is not None and saved["filter"] == "A"

            assert await heard_in(live, 1.5) == b"", "a phone heard of a cursor move"
            heard = await heard_in(wall, 0.5)
            if time.time() < rotates_at:  # else the new room code was news to the wall
                assert heard == b"", "the wall heard of a cursor move"
            assert commits == [], "a cursor move was a change of the session"
            live.close()
            wall.close()
    assert session.info.view_state == {}


async def test_the_view_survives_a_resume(make_app: Any, session: SessionStore, add: Any,
                                          library: Any) -> None:
    items = [await add(f"Knelpunt {n}", device=f"device-{n}") for n in range(3)]
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        feed(app).select_id(items[2].id)  # at table A
        await pilot.press("g", "w")  # the table filter (A), the round's view
        await settle(pilot)
    again = SessionStore.open(session.path)
    app = make_app(again)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        assert (screen.view, screen.feed_area.table_filter) == (VIEW_ROUND, "A")
        await pilot.press("w")
        await settle(pilot)
        assert feed(app).current_id == items[2].id


async def test_a_session_from_before_keeps_the_view_in_its_document(
        make_app: Any, session: SessionStore) -> None:
    await session.update_session(view_state={"view": VIEW_ROUND, "filter": "B"})
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        assert (screen.view, screen.feed_area.table_filter) == (VIEW_ROUND, "B")


@pytest.mark.parametrize("content", [b"", b"{not json", b"[1, 2]",
                                     b'{"view": "feed-view", "selected": "x"}'])
async def test_a_damaged_view_file_is_no_reason_not_to_open(
        make_app: Any, session: SessionStore, content: bytes) -> None:
    await session.update_session(view_state={"view": VIEW_ROUND, "filter": "B"})
    save_view(session.path, {"view": VIEW_ROUND})
    view_path(session.path).write_bytes(content)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionScreen)  # opened, with the view it had before
        assert (screen.view, screen.feed_area.table_filter) == (VIEW_ROUND, "B")
