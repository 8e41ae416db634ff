"""Starting the participant server in the running loop; `facilitator serve` prints the join URL
first."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from facilitator.core.joining import room_code, wall_token
from facilitator.session.files import address_path, read_sidecar
from facilitator.session.journal import journal_path
from facilitator.session.library import Library, Templates
from facilitator.session.store import SessionStore
from facilitator.web.server import ParticipantServer

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
FIXED_NOW = 1_800_000_000.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_start_stop_urls_and_device_count(store: SessionStore) -> None:
    server = ParticipantServer(store, host="127.0.0.1", port=free_port(),
                               clock=lambda: FIXED_NOW)
    await server.start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        code = room_code(store.info.secret, FIXED_NOW)
        assert server.join_url == f"{base}/j/{store.info.join_token}?code={code}"
        assert server.wall_url == f"{base}/wall/{wall_token(store.info.secret)}"
        # recorded beside the session, for `facilitator cards`, and not in it
        assert read_sidecar(address_path(store.path)) == {"base": base}
        assert store.info.join_base == ""
        assert server.join_url == server.candidate_urls[0]
        assert server.only_loopback
        assert server.devices_seen == 0
        async with aiohttp.ClientSession() as other, other.get(server.join_url) as response:
            assert response.status == 200
        origin = server.join_url.split("/j/")[0]
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as phone:
            async with phone.get(server.join_url) as response:
                csrf = CSRF.search(await response.text())
            assert server.devices_seen == 0  # loading the page is not joining
            assert csrf is not None
            for lang in ("nl", "en"):  # joining twice is still one device
                async with phone.post(f"{base}/j/{store.info.join_token}/join",
                                      data={"csrf": csrf.group(1), "lang": lang, "code": code},
                                      headers={"Origin": origin}) as response:
                    assert response.status == 200
        assert server.devices_seen == 1
    finally:
        await server.stop()


async def test_a_taken_port_moves_to_the_next(store: SessionStore) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = ParticipantServer(store, host="127.0.0.1", port=port)
        await server.start()
        try:
            assert server.port != port and port < server.port <= port + 10
        finally:
            await server.stop()


async def test_public_url_is_what_phones_get(store: SessionStore) -> None:
    server = ParticipantServer(store, host="127.0.0.1", port=0,
                               public_url="https://room.example.org/")
    await server.start()
    try:
        code = room_code(store.info.secret, server.clock())
        assert server.join_url == f"https://room.example.org/j/{store.info.join_token}?code={code}"
        assert read_sidecar(address_path(store.path)) == {"base": "https://room.example.org"}
        assert not server.only_loopback
    finally:
        await server.stop()


async def test_stop_closes_open_live_connections(store: SessionStore) -> None:
    server = ParticipantServer(store, host="127.0.0.1", port=0)
    await server.start()
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as phone:
        page = await (await phone.get(server.join_url)).text()
        csrf = CSRF.search(page)
        assert csrf is not None
        code = server.join_url.split("code=")[1]
        origin = server.join_url.split("/j/")[0]
        joined = await phone.post(server.join_url.split("?")[0] + "/join",
                                  data={"csrf": csrf.group(1), "lang": "en", "code": code},
                                  headers={"Origin": origin}, allow_redirects=False)
        assert joined.status == 303
        response = await phone.get(server.join_url.split("?")[0] + "/events")
        await response.content.readline()
        assert server.live_connections == 1
        async with asyncio.timeout(5):
            await server.stop()
        response.close()


STOP = [signal.CTRL_BREAK_EVENT] if sys.platform == "win32" else [signal.SIGTERM, signal.SIGINT]
"""What a user sends `facilitator serve` to stop it: ctrl+break in its console on Windows (a
program can send a console's ctrl+c only to every process in it), `kill` or ctrl+c elsewhere."""


@pytest.mark.parametrize("stop", STOP, ids=[s.name for s in STOP])
async def test_serve_prints_the_join_url_first_and_stops_gracefully(
        tmp_path: Path, stop: signal.Signals) -> None:
    session = Library(tmp_path).create(Templates().load("kennisatelier"))
    token, session_id, path = session.info.join_token, session.info.session_id, session.path
    await session.close()
    port = free_port()
    # on Windows, a process group of its own, so the ctrl+break reaches serve and not pytest
    group = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP} \
        if sys.platform == "win32" else {}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "facilitator", "serve", session_id, "--host", "127.0.0.1",
        "--port", str(port), env={**os.environ, "FACILITATOR_DATA_DIR": str(tmp_path)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, **group)
    try:
        assert process.stdout is not None
        first = (await asyncio.wait_for(process.stdout.readline(), 20)).decode().strip()
        assert re.fullmatch(rf"http://127\.0\.0\.1:{port}/j/{token}\?code=[a-z2-7]{{10}}", first)
        rest = (await asyncio.wait_for(process.stdout.readline(), 5)).decode()
        assert rest.startswith("wand: ")  # in the session's language, as the TUI speaks
        codes = (await asyncio.wait_for(process.stdout.readline(), 5)).decode()
        assert "verandert elke 3 minuten" in codes and "facilitator cards" in codes
        short = re.search(rf"http://127\.0\.0\.1:{port}/r/[a-z2-7]{{10}}", codes)
        assert short, codes  # the room's short link, to type or to check the QR code by
        hint = (await asyncio.wait_for(process.stdout.readline(), 5)).decode()
        assert "hotspot" in hint or "ook" in hint or "andere" in hint
        async with aiohttp.ClientSession() as phone:
            for link in (first, short.group(0)):
                async with phone.get(link) as response:
                    assert response.status == 200 and "/j/" in str(response.url)
        try:
            process.send_signal(stop)
        except OSError as exc:  # Windows sends ctrl+break only through a console it shares
            if sys.platform != "win32":
                raise
            pytest.skip(f"this process has no console to send ctrl+break through ({exc})")
        assert await asyncio.wait_for(process.wait(), 20) == 0
        assert process.stderr is not None
        assert b"stopped" in await process.stderr.read()
        assert not journal_path(path).exists(), "the session was closed: one file"
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_the_wall_qr_shows_the_address_phones_use(store: SessionStore) -> None:
    server = ParticipantServer(store, host="0.0.0.0", port=0)
    await server.start()
    try:
        async with aiohttp.ClientSession() as laptop:
            local = f"http://127.0.0.1:{server.port}/wall/{wall_token(store.info.secret)}"
            async with laptop.get(local) as response:
                html = await response.text()
        assert server.room_link in html
    finally:
        await server.stop()
