"""``facilitator event watch`` against three real room servers on 127.0.0.1: the overview, a
room taken down and brought back, a link refused, the event wall page and the watch TUI."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from event_sessions import PEOPLE, REFUGEE_TEXTS, ROOMS, RoomFixture, fill_room, template_of
from netproxy import SEGMENT, UnkindNetwork
from rich.console import Console
from textual.widgets import Static

from facilitator.event.wall import EventWall
from facilitator.event.watch import EventWatch, RoomState, WatchError, parse_link
from facilitator.session.store import SessionStore
from facilitator.tui.event_watch import EventWatchApp
from facilitator.tui.i18n import set_language
from facilitator.web.organiser import SUMMARY
from facilitator.web.server import ParticipantServer


@dataclass
class Running:
    letter: str
    store: SessionStore
    server: ParticipantServer

    async def restart(self) -> None:
        """Bring the room's server back on the port it had (the room laptop came back)."""
        port = self.server.port
        self.server = ParticipantServer(self.store, host="127.0.0.1", port=port)
        await self.server.start()
        assert self.server.port == port


@pytest.fixture
async def day(tmp_path: Path) -> AsyncIterator[list[Running]]:
    running = []
    for letter in ROOMS:
        store = SessionStore.create(tmp_path / f"zaal-{letter}.json", template_of(letter),
                                    session_id=f"zaal-{letter}", title=ROOMS[letter][1],
                                    lang="nl", join_token=f"join-token-room-{letter}-0123")
        await fill_room(store, letter, RoomFixture(letter, store.path, f"zaal-{letter}"))
        await store.go_to_round(1 if letter != "c" else 0)
        server = ParticipantServer(store, host="127.0.0.1", port=0)
        await server.start()
        running.append(Running(letter, store, server))
    try:
        yield running
    finally:
        for room in running:
            await room.server.stop()
            await room.store.close()


async def until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    async def wait() -> None:
        while not condition():
            await asyncio.sleep(0.05)

    await asyncio.wait_for(wait(), timeout)


def _shown(static: Static) -> str:
    console = Console(width=180, record=True, file=io.StringIO())
    console.print(static.content)
    return console.export_text()


async def _page(url: str) -> str:
    async with aiohttp.ClientSession() as client, client.get(url) as response:
        assert response.status == 200
        return await response.text()


def test_an_organiser_link_is_checked() -> None:
    link = parse_link("http://192.168.1.21:8080/o/abcDEF_-123")
    assert (link.url, link.room) == ("http://192.168.1.21:8080/o/abcDEF_-123",
                                     "192.168.1.21:8080")
    for wrong in ("http://192.168.1.21:8080/j/abc", "ftp://host/o/x", "not a link",
                  "http://host/o/"):
        with pytest.raises(WatchError, match="is not an organiser link"):
            parse_link(wrong)


async def test_three_rooms_one_down_and_back(day: list[Running]) -> None:
    watch = EventWatch([room.server.organiser_url or "" for room in day], interval=0.2)
    wall = EventWall(watch, title="Consultatiedag", lang="en", host="127.0.0.1", port=0)
    await watch.start()
    await wall.start()
    try:
        await until(lambda: all(r.state is RoomState.ONLINE for r in watch.rooms))
        picture = watch.overview()
        assert picture.online == 3
        assert picture.participants == sum(n for p in PEOPLE.values() for _g, n in p) == 30
        assert picture.contributions == 23
        assert {e.room for e in picture.top_bottlenecks} == {0, 1, 2}
        assert all(e.item.group == "" for e in picture.top_bottlenecks
                   if e.item.text in REFUGEE_TEXTS.values())
        groups = {g.id: g for g in picture.groups}
        assert groups["refugee_led"].present == 5 and groups["refugee_led"].contributions is None
        assert groups["civil_society"].contributions is None  # pooled in room A
        assert groups["municipality"].contributions == 8
        html = await _page(wall.url)
        assert all(ROOMS[room.letter][1] in html for room in day)
        assert html.count('class="room online"') == 3

        # Room B's laptop goes away; meanwhile room A goes on and room B too, on its own.
        down = day[1]
        await down.server.stop()
        await until(lambda: watch.rooms[1].state is RoomState.OFFLINE)
        await day[0].store.add_contribution("knelpunten", "Nog een knelpunt uit zaal A",
                                            author="a-municipality-4")
        await down.store.add_contribution("verloren", "Intussen in zaal B",
                                          author="b-municipality-3")
        await until(lambda: watch.overview().contributions == 24)
        picture = watch.overview()
        assert picture.online == 2
        assert watch.rooms[1].summary is not None  # what it last said still counts
        assert picture.participants == 30
        html = await _page(wall.url)
        assert html.count('class="room online"') == 2
        assert 'class="room offline"' in html and "offline since" in html

        await down.restart()
        await until(lambda: watch.rooms[1].state is RoomState.ONLINE)
        await until(lambda: watch.overview().contributions == 25)
        html = await _page(wall.url)
        assert html.count('class="room online"') == 3
        assert (await _page(f"{wall.url}/part")).count('class="room online"') == 3
    finally:
        await wall.stop()
        await watch.stop()


async def test_the_watch_over_a_network_that_splits_the_summary(day: list[Running]) -> None:
    """The venue's Wi-Fi hands a summary over in TCP segments, not in one piece as loopback
    does: every room must still be read to the end of its summary, on every pull."""
    async with contextlib.AsyncExitStack() as stack:
        nets = [await stack.enter_async_context(UnkindNetwork(room.server.port, delay=0.01))
                for room in day]
        links = [(room.server.organiser_url or "").replace(f":{room.server.port}/",
                                                           f":{net.port}/")
                 for room, net in zip(day, nets, strict=True)]
        watch = EventWatch(links, interval=0.05)
        await watch.start()
        try:
            for _pull in range(3):
                await asyncio.gather(*(watch.pull(room) for room in watch.rooms))
                assert [(r.state, r.problem) for r in watch.rooms] == [
                    (RoomState.ONLINE, "")] * 3
                for room, running in zip(watch.rooms, day, strict=True):
                    assert room.summary is not None
                    assert room.summary.session_id == running.store.session_id
                for room in watch.rooms:
                    room.etag = ""  # ask for the whole summary again, not a 304
        finally:
            await watch.stop()
        sizes = [len(room.server.app[SUMMARY].current()[1]) for room in day]
        assert min(sizes) > 3 * SEGMENT, "too small a summary to arrive in pieces"
        assert all(net.connections >= 1 for net in nets)


async def test_a_renewed_link_is_refused(day: list[Running]) -> None:
    watch = EventWatch([room.server.organiser_url or "" for room in day], interval=0.2)
    wall = EventWall(watch, title="", lang="nl", host="127.0.0.1", port=0)
    await watch.start()
    await wall.start()
    try:
        await until(lambda: all(r.state is RoomState.ONLINE for r in watch.rooms))
        await day[2].store.set_organiser_link(on=True)  # room C's facilitator renews it
        await until(lambda: watch.rooms[2].state is RoomState.REFUSED)
        html = await _page(wall.url)
        assert "geweigerd" in html
        forged = wall.url.replace(wall.token, "x" * len(wall.token))
        async with aiohttp.ClientSession() as client, client.get(forged) as wrong:
            assert wrong.status == 404
    finally:
        await wall.stop()
        await watch.stop()


async def test_the_watch_tui_shows_a_room_going_offline(day: list[Running]) -> None:
    set_language("en")
    watch = EventWatch([room.server.organiser_url or "" for room in day], interval=0.2)
    app = EventWatchApp(watch, None, title="Consultatiedag")
    async with app.run_test(size=(180, 50)) as pilot:
        await until(lambda: all(r.state is RoomState.ONLINE for r in watch.rooms))
        await pilot.pause(0.1)
        table = app.query_one("#rooms")
        assert [table.get_cell(str(n), "state").plain for n in range(3)] == ["online"] * 3
        assert table.get_cell("0", "room").plain == ROOMS["a"][1]
        assert "3 of 3 rooms online" in _shown(app.query_one("#across"))
        await day[0].server.stop()
        await until(lambda: watch.rooms[0].state is RoomState.OFFLINE)
        await pilot.pause(0.1)
        assert table.get_cell("0", "state").plain.startswith("offline since")
        assert "2 of 3 rooms online" in _shown(app.query_one("#across"))
