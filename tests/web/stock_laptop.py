"""A laptop as it comes, for the tests of the room's limits: ``facilitator serve`` in a process
of its own, started under ``prlimit --nofile=SOFT:HARD`` as a stock desktop starts a program (a
soft limit of 1,024 on Linux, 256 on macOS, under a hard limit the program may raise it to).
The test runner's own limit is never raised; what needs a thousand connections runs in a crowd
process of its own (``tests/web/crowd.py``).

And a phone that talks to it over real connections: its own cookie jar, the join code in the
link it scanned, a source address of its own on the loopback network (127.0.0.x), and the
address a local proxy says it forwards for (``X-Forwarded-For``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from facilitator.core.joining import JoinCode, room_code
from facilitator.session.library import Library, Templates
from facilitator.web.guard import device_id

resource = pytest.importorskip("resource", reason="open-files limits are POSIX's")
PRLIMIT = shutil.which("prlimit")
HARD = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
CROWD = Path(__file__).with_name("crowd.py")
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
NONCE = re.compile(r'name="nonce" value="([A-Za-z0-9_-]+)"')


def hard_limit() -> str:
    return "unlimited" if HARD == resource.RLIM_INFINITY else str(HARD)


@dataclass
class Served:
    """A running participant server, as phones and tests reach it."""

    base: str
    token: str
    secret: str
    session: Path
    process: asyncio.subprocess.Process | None = None
    """``facilitator serve`` (None: a server in the test's own loop)."""
    lines: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, server: Any) -> Served:
        """A :class:`ParticipantServer` in the test's own loop."""
        info = server.store.info
        return cls(server.base_url, info.join_token, info.secret, server.store.path)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def code(self) -> str:
        return room_code(self.secret, time.time())

    def soft_limit(self) -> int:
        """The server's soft open-files limit, as the kernel holds it."""
        for line in Path(f"/proc/{self.pid}/limits").read_text().splitlines():
            if line.startswith("Max open files"):
                return int(line.split()[3])
        raise AssertionError("no open-files line in /proc/PID/limits")

    def open_files(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))


async def _lines(stream: asyncio.StreamReader, first_within: float) -> list[str]:
    """What ``serve`` prints when it starts: the join URL first, then a few lines."""
    lines = [(await asyncio.wait_for(stream.readline(), first_within)).decode().rstrip()]
    while True:
        try:
            line = await asyncio.wait_for(stream.readline(), 1.5)
        except TimeoutError:
            return lines
        if not line:
            return lines
        lines.append(line.decode().rstrip())


@contextlib.asynccontextmanager
async def stock_server(data_dir: Path, soft: int, hard: int | None = None, *,
                       joined: Sequence[str] = ()) -> AsyncIterator[Served]:
    """A kennisatelier session at its first round, served by ``facilitator serve`` under
    ``prlimit --nofile=SOFT:HARD`` (HARD: this machine's). ``joined``: device cookies that
    joined before (an in-room script's devices, say)."""
    if PRLIMIT is None:
        pytest.skip("needs prlimit (util-linux) to start the server with a stock limit")
    # In English, so that what ``serve`` says (in the session's language) reads as the tests
    # expect; the phones pick their own languages.
    session = Library(data_dir).create(Templates().load("kennisatelier"), lang="en")
    await session.go_to_round(0)
    secret, token = session.info.secret, session.info.join_token
    now = time.time()
    for start in range(0, len(joined), 500):
        await asyncio.gather(*(
            session.join(device_id(secret, cookie), lang="en",
                         came_with=JoinCode(room_code(secret, now), now))
            for cookie in joined[start:start + 500]))
    path = session.path
    await session.close()
    limit = f"{soft}:{hard if hard is not None else hard_limit()}"
    process = await asyncio.create_subprocess_exec(
        PRLIMIT, f"--nofile={limit}", "--", sys.executable, "-m", "facilitator", "serve",
        session.info.session_id, "--host", "127.0.0.1", "--port", "0",
        env={**os.environ, "FACILITATOR_DATA_DIR": str(data_dir)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        assert process.stdout is not None
        lines = await _lines(process.stdout, 30)
        base = lines[0].split("/j/")[0]
        yield Served(base, token, secret, path, process, lines)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()


class RealPhone:
    """One phone's browser, without its script: plain forms, its own cookies."""

    def __init__(self, served: Served, *, forwarded: str | None = None,
                 source: str | None = None, lang: str = "en") -> None:
        self.served = served
        self.lang = lang
        self.headers = {"Accept-Language": lang}
        if forwarded:
            self.headers["X-Forwarded-For"] = forwarded
        connector = aiohttp.TCPConnector(local_addr=(source, 0) if source else None)
        self.session = aiohttp.ClientSession(connector=connector,
                                             cookie_jar=aiohttp.CookieJar(unsafe=True),
                                             timeout=aiohttp.ClientTimeout(total=20))
        self.page = ""
        self.scanned: dict[str, str] = {}

    @property
    def link(self) -> str:
        return f"{self.served.base}/j/{self.served.token}"

    async def close(self) -> None:
        await self.session.close()

    async def open(self, query: dict[str, str] | None = None) -> int:
        async with self.session.get(self.link, params=query or {},
                                    headers=self.headers) as response:
            self.page = await response.text()
            return response.status

    async def post(self, action: str, form: dict[str, str], *, json_answer: bool = False
                   ) -> tuple[int, str, dict[str, str]]:
        found = CSRF.search(self.page)
        headers = {**self.headers, "Origin": self.served.base}
        if json_answer:
            headers["Accept"] = "application/json"
        async with self.session.post(f"{self.link}/{action}",
                                     data={"csrf": found.group(1) if found else "", **form},
                                     headers=headers, allow_redirects=False) as response:
            return response.status, await response.text(), dict(response.headers)

    async def scan(self, table: str = "") -> int:
        """Open the link in the QR code (a table card's, with ``table``): the join page."""
        self.scanned = {"code": self.served.code(), **({"table": table} if table else {})}
        return await self.open({**self.scanned, "lang": self.lang})

    async def start(self) -> tuple[int, str, dict[str, str]]:
        """Press Start on the join page."""
        return await self.post("join", {"lang": self.lang, **self.scanned})

    async def join(self, table: str = "") -> tuple[int, str, dict[str, str]]:
        await self.scan(table)
        return await self.start()

    async def send(self, text: str, round_id: str = "checkin") -> tuple[int, Any]:
        await self.open()
        nonce = NONCE.search(self.page)
        status, body, _ = await self.post(
            "send", {"text": text, "round": round_id, "nonce": nonce.group(1) if nonce else ""},
            json_answer=True)
        return status, json.loads(body) if body.startswith("{") else body

    async def listen(self) -> aiohttp.ClientResponse:
        """The page's live connection (the caller closes it)."""
        response = await self.session.get(f"{self.link}/events", headers=self.headers,
                                          timeout=aiohttp.ClientTimeout(total=None))
        if response.status == 200:
            await response.content.readline()
        return response


class Crowd:
    """``tests/web/crowd.py`` in a process of its own."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, mode: str, served: Served, *args: str) -> tuple[Crowd, dict[str, Any]]:
        process = await asyncio.create_subprocess_exec(
            # the options first, then `--`: a join token may begin with '-' (base64url), which
            # argparse would read as an option
            sys.executable, str(CROWD), *args, "--", mode, served.base, served.token,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        crowd = cls(process)
        return crowd, await crowd.answer(120)

    async def answer(self, within: float = 60) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), within)
        assert line, "the crowd process ended"
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def ask(self, command: str, within: float = 60) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(command.encode() + b"\n")
        await self.process.stdin.drain()
        return await self.answer(within)

    async def stop(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(Exception):
                await self.ask("stop", 30)
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
