"""kill -9 under load: every submission that got a 2xx is in the session file after restart.

`facilitator serve` runs as a real process; many phones send at once; the process is SIGKILLed
at a random moment; 20 cycles on the same session file.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import socket
import sys
from pathlib import Path

import aiohttp
import orjson
import pytest
from machine import within

from facilitator.session.journal import load_session
from facilitator.session.library import Library, Templates

CYCLES = 20
PHONES = 24
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
CODE = re.compile(r'name="code" value="([^"]+)"')
pytestmark = pytest.mark.slow
PHONE_TIMEOUT = aiohttp.ClientTimeout(total=20)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def start(
    session_id: str, data_dir: Path, port: int
) -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "facilitator", "serve", session_id, "--host", "127.0.0.1",
        "--port", str(port), env={**os.environ, "FACILITATOR_DATA_DIR": str(data_dir)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), within(20))
    assert line.startswith(b"http://"), line
    return process, line.decode().strip()


async def phone(link: str, name: str, acked: list[str], stop: asyncio.Event) -> None:
    """A phone that keeps sending (a new device after each few, under the rate limit); each
    device joins first, as the page asks, with the room's code from the link it scanned."""
    url = link.split("?")[0]
    origin = url.split("/j/")[0]
    n = 0
    while not stop.is_set():
        jar = aiohttp.CookieJar(unsafe=True)
        try:
            # A phone gives up on a request in the end (aiohttp's default is 5 minutes): under
            # Wine a killed server's connection can stay open instead of being reset.
            async with aiohttp.ClientSession(cookie_jar=jar, timeout=PHONE_TIMEOUT) as session:
                async with session.get(link) as page:
                    html = await page.text()
                found, code = CSRF.search(html), CODE.search(html)
                assert found and code
                async with session.post(
                    f"{url}/join",
                    data={"csrf": found.group(1), "lang": "en", "code": code.group(1)},
                    headers={"Origin": origin, "Accept": "application/json"},
                ) as response:
                    if response.status != 200:
                        assert response.status == 503, response.status
                        continue
                for _ in range(8):
                    n += 1
                    text = f"{name}-{n}"
                    async with session.post(
                        f"{url}/send", data={"csrf": found.group(1), "round": "checkin",
                                             "text": text},
                        headers={"Origin": origin, "Accept": "application/json"},
                    ) as response:
                        if 200 <= response.status < 300:
                            acked.append(text)
                        else:
                            assert response.status == 503, response.status
        except (TimeoutError, aiohttp.ClientError, ConnectionError):
            if stop.is_set():
                return
            await asyncio.sleep(0.01)


@pytest.mark.timeout(110)
async def test_acknowledged_submissions_survive_sigkill(tmp_path: Path) -> None:
    store = Library(tmp_path).create(Templates().load("kennisatelier"))
    await store.go_to_round(0)
    session_id, path = store.info.session_id, store.path
    await store.close()
    acked: list[str] = []
    rng = random.Random(4)
    for cycle in range(CYCLES):
        process, url = await start(session_id, tmp_path, free_port())
        stop = asyncio.Event()
        phones = [asyncio.create_task(phone(url, f"c{cycle}p{p}", acked, stop))
                  for p in range(PHONES)]
        await asyncio.sleep(rng.uniform(0.2, 0.9))
        process.kill()  # SIGKILL; TerminateProcess on Windows
        await process.wait()
        stop.set()
        await asyncio.gather(*phones)
        orjson.loads(path.read_bytes())  # the file always parses on its own
        stored = {doc["text"] for doc in load_session(path)[0]["contributions"].values()}
        lost = [text for text in acked if text not in stored]
        assert not lost, f"cycle {cycle}: {len(lost)} acknowledged submissions lost: {lost[:5]}"
    print(f"{len(acked)} acknowledged submissions over {CYCLES} kills, none lost")
    assert len(acked) > CYCLES * 20, "the load was too light to prove anything"
