"""A room that cannot be held down by one client: a thousand live connections or a thousand
slow-loris connections from one address, and a body sent a byte a second, while a normal phone
joins and sends. The server runs as a stock desktop starts it (``prlimit``); the crowd is a
process of its own (``tests/web/crowd.py``)."""

from __future__ import annotations

import asyncio
import secrets
import time
from pathlib import Path

import pytest

from facilitator.session.store import SessionStore
from facilitator.web.capacity import OpenFiles, RoomCapacity
from facilitator.web.connections import HEAD_S
from facilitator.web.live import PER_DEVICE
from facilitator.web.pages import CONFIG
from facilitator.web.server import ParticipantServer
from tests.web.stock_laptop import Crowd, RealPhone, Served, stock_server

STOCK = 1024
"""A stock Linux desktop's soft limit (the server raises it, as far as the hard limit lets)."""
ATTACKER = "203.0.113.66"
"""The address the attack comes from (behind a local proxy, as a venue's phones would)."""


async def a_normal_phone_joins_and_sends(served: Served, n: int = 0) -> float:
    """What a phone that just walked in does, from an address of its own: scan, start, send.
    Returns how long it took."""
    began = time.monotonic()
    phone = RealPhone(served, forwarded=f"192.168.7.{n + 10}", source="127.0.0.3")
    try:
        status, page, _ = await phone.join()
        assert status == 303, page
        status, answer = await phone.send(f"Ik kom er gewoon door ({n})")
        assert status == 200, answer
        live = await phone.listen()
        assert live.status == 200
        live.close()
    finally:
        await phone.close()
    return time.monotonic() - began


@pytest.mark.parametrize(("soft", "hard"), [(STOCK, None), (STOCK, STOCK)])
async def test_live_connections_without_joining_hold_nothing(
    tmp_path: Path, soft: int, hard: int | None
) -> None:
    """A thousand live connections with made-up cookies (no code, never joined): each is
    refused at once, none is held, and the room answers a phone as if they were not there."""
    async with stock_server(tmp_path, soft, hard) as served:
        crowd, started = await Crowd.start("streams", served, "--count", "1000",
                                           "--forwarded", ATTACKER, "--source", "127.0.0.2")
        try:
            assert started["held"] == 0
            # refused (403), or reset at the door when too many were still sending their head
            assert set(started["statuses"]) <= {"403", "0"}
            assert started["statuses"]["403"] >= 100
            assert await a_normal_phone_joins_and_sends(served) < 10
        finally:
            await crowd.stop()


@pytest.mark.parametrize(("soft", "hard"), [(STOCK, None), (STOCK, STOCK)])
async def test_one_address_holds_no_more_than_its_share(
    tmp_path: Path, soft: int, hard: int | None
) -> None:
    """An in-room script that joined a thousand devices from one address opens three thousand
    live connections: its address holds its share and no more, each device at most
    :data:`PER_DEVICE`, and phones from elsewhere join, send and listen while it does."""
    cookies = [secrets.token_hex(16) for _ in range(1000)]
    (tmp_path / "cookies").write_text("\n".join(cookies))
    async with stock_server(tmp_path, soft, hard, joined=cookies) as served:
        share = RoomCapacity.of(OpenFiles(served.soft_limit())).live_per_address
        crowd, started = await Crowd.start(
            "streams", served, "--count", "3000", "--cookies", str(tmp_path / "cookies"),
            "--forwarded", ATTACKER, "--source", "127.0.0.2")
        try:
            statuses = started["statuses"]
            assert statuses.get("200", 0) <= share
            assert set(statuses) <= {"200", "429", "0"}  # the rest: too many, or reset
            assert statuses.get("429", 0) > 0
            held = (await crowd.ask("count"))["held"]
            assert 0 < held <= share
            for n in range(3):
                assert await a_normal_phone_joins_and_sends(served, n) < 10
            assert (await crowd.ask("count"))["held"] == held  # it was not the crowd that gave
        finally:
            await crowd.stop()


async def test_one_device_holds_few_live_connections(tmp_path: Path) -> None:
    """One joined device opening fifty live connections keeps the newest few: the oldest end
    (a phone that reconnects after its network dropped without a word is that device too)."""
    cookie = secrets.token_hex(16)
    (tmp_path / "cookies").write_text(cookie)
    async with stock_server(tmp_path, STOCK, joined=[cookie]) as served:
        crowd, started = await Crowd.start("streams", served, "--count", "50",
                                           "--cookies", str(tmp_path / "cookies"),
                                           "--forwarded", ATTACKER)
        try:
            assert started["statuses"] == {"200": 50}  # each let in, the oldest then ended
            async with asyncio.timeout(10):
                while (held := (await crowd.ask("count"))["held"]) > PER_DEVICE:
                    await asyncio.sleep(0.2)
            assert held == PER_DEVICE
        finally:
            await crowd.stop()


@pytest.mark.parametrize(("soft", "hard"), [(STOCK, None), (STOCK, STOCK)])
async def test_slow_headers_are_cut_off_and_the_room_keeps_answering(
    tmp_path: Path, soft: int, hard: int | None
) -> None:
    """A thousand connections that send a request's head a line a second (a slow-loris) from
    one address: few are let in at once, each is cut off when its head is late, and a phone
    joins and sends meanwhile."""
    async with stock_server(tmp_path, soft, hard) as served:
        slow = RoomCapacity.of(OpenFiles(served.soft_limit())).slow_per_address
        crowd, _ = await Crowd.start("slow", served, "--count", "1000",
                                     "--source", "127.0.0.2", "--hold", "60")
        try:
            for n in range(3):
                assert await a_normal_phone_joins_and_sends(served, n) < 10
            await asyncio.sleep(2)  # a second to be slow, and the next sweep
            assert 0 < (await crowd.ask("count"))["open"] <= slow
            await asyncio.sleep(HEAD_S - 2)
            counted = await crowd.ask("count")
            assert counted["longest"] < HEAD_S + 3, counted  # none lived past its deadline
            assert counted["open"] <= slow, counted
            assert served.open_files() < slow + 100
        finally:
            await crowd.stop()


async def test_a_body_sent_a_byte_a_second_is_cut_off(store: SessionStore) -> None:
    """A send whose head arrived but whose body trickles: answered 408 once the body is late,
    and the slot it took in the overload guard is free again."""
    server = ParticipantServer(store, host="127.0.0.1", port=0)
    await server.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        body = b"text=" + b"a" * 95
        writer.write(f"POST /j/{store.info.join_token}/send HTTP/1.1\r\n"
                     f"Host: 127.0.0.1:{server.port}\r\nAccept: application/json\r\n"
                     "Content-Type: application/x-www-form-urlencoded\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n".encode())
        began = time.monotonic()
        answer = b""
        async with asyncio.timeout(30):
            for byte in body:
                writer.write(bytes([byte]))
                try:
                    answer = await asyncio.wait_for(reader.read(4096), 1.0)
                except TimeoutError:
                    continue
                break
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert time.monotonic() - began < 15
        assert server.app[CONFIG].in_flight == 0
        writer.close()
    finally:
        await server.stop()
