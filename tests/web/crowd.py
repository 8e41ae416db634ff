"""Many clients at once against a participant server, as a process of its own.

The room's hostile and crowded tests need a thousand connections and more. The test runner keeps
the open-files limit it was started with (a stock desktop's 1,024, say), so the crowd runs here
and raises its own: it plays a thousand phones or a thousand attackers, not the server under
test, whose limit is the point of the tests.

    python tests/web/crowd.py MODE BASE_URL TOKEN [options]

Modes:

- ``streams``: open ``--count`` live connections (``/j/TOKEN/events``), each with the device
  cookie ``--cookies`` gives it in turn (made-up ones without), and hold the ones the server
  lets in;
- ``slow``: open ``--count`` connections that send a request's head a line a second (a
  slow-loris);
- ``herd``: like ``streams``, through an :class:`UnkindNetwork` of this process; on ``blink``
  every connection is reset at once and every phone connects again at once (no spread: the
  worst case), while ``--senders`` of them send a contribution through it, each retried with
  the same nonce until it is acknowledged.

Each mode prints one JSON line when its clients are in place, then answers commands on stdin
(``count``, ``blink``, ``stop``) with a JSON line each.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import resource
import secrets
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from netproxy import UnkindNetwork

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
NONCE = re.compile(r'name="nonce" value="([A-Za-z0-9_-]+)"')
ROUND = re.compile(r'name="round" value="([A-Za-z0-9_-]+)"')


def say(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


class Client:
    """One raw HTTP/1.1 connection (asyncio streams: no pool, no retries of its own)."""

    def __init__(self, host: str, port: int, source: str | None, forwarded: str | None) -> None:
        self.host, self.port, self.source, self.forwarded = host, port, source, forwarded
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(
            self.host, self.port, local_addr=(self.source, 0) if self.source else None)

    def headers(self, cookie: str | None) -> str:
        lines = [f"Host: {self.host}:{self.port}", "Accept-Language: en"]
        if cookie:
            lines.append(f"Cookie: device={cookie}")
        if self.forwarded:
            lines.append(f"X-Forwarded-For: {self.forwarded}")
        return "".join(line + "\r\n" for line in lines)

    async def request(self, method: str, path: str, cookie: str | None, body: bytes = b"",
                      extra: str = "") -> tuple[int, dict[str, str], bytes]:
        """One request on a fresh connection; the whole answer."""
        await self.open()
        assert self.reader is not None and self.writer is not None
        head = f"{method} {path} HTTP/1.1\r\n{self.headers(cookie)}{extra}"
        if body:
            head += ("Content-Type: application/x-www-form-urlencoded\r\n"
                     f"Content-Length: {len(body)}\r\n")
        self.writer.write((head + "Connection: close\r\n\r\n").encode() + body)
        raw = await self.reader.read()
        self.close()
        top, _, rest = raw.partition(b"\r\n\r\n")
        lines = top.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
        fields = {k.strip().lower(): v.strip() for k, _, v in
                  (line.partition(":") for line in lines[1:])}
        return status, fields, rest

    async def stream(self, path: str, cookie: str | None) -> int:
        """Open a live connection: its status (200: it is held, read on by :meth:`held`)."""
        await self.open()
        assert self.reader is not None and self.writer is not None
        self.writer.write(f"GET {path} HTTP/1.1\r\n{self.headers(cookie)}"
                          "Accept: text/event-stream\r\n\r\n".encode())
        status_line = await self.reader.readline()
        parts = status_line.split()
        status = int(parts[1]) if len(parts) > 1 else 0
        if status != 200:
            self.close()
        return status

    async def held(self) -> None:
        """Read a held stream until the server or the network ends it."""
        assert self.reader is not None
        with contextlib.suppress(ConnectionError, OSError):
            while await self.reader.read(4096):
                pass
        self.close()

    def close(self) -> None:
        if self.writer is not None:
            with contextlib.suppress(Exception):
                self.writer.close()
            self.writer = None


def raise_own_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 16384 if hard == resource.RLIM_INFINITY else min(hard, 16384)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


async def commands() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


def cookies_of(args: argparse.Namespace) -> list[str]:
    if args.cookies:
        return Path(args.cookies).read_text().split()
    return [secrets.token_hex(16) for _ in range(args.count)]


async def streams_mode(args: argparse.Namespace, host: str, port: int) -> None:
    cookies = cookies_of(args)
    path = f"/j/{args.token}/events"
    clients = [Client(host, port, args.source, args.forwarded) for _ in range(args.count)]
    statuses: Counter[str] = Counter()
    holding: set[asyncio.Task[None]] = set()

    async def one(index: int, client: Client) -> None:
        try:
            status = await client.stream(path, cookies[index % len(cookies)])
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            status = 0
        statuses[str(status)] += 1
        if status == 200:
            task = asyncio.ensure_future(client.held())
            holding.add(task)
            task.add_done_callback(holding.discard)

    for start in range(0, len(clients), 200):
        await asyncio.gather(*(one(i, c) for i, c in enumerate(clients[start:start + 200],
                                                                start)))
    say(mode="streams", statuses=dict(statuses), held=len(holding))
    stdin = await commands()
    while line := (await stdin.readline()).decode().strip():
        if line == "count":
            say(held=len(holding))
        elif line == "stop":
            break
    for task in holding:
        task.cancel()
    for client in clients:
        client.close()
    say(stopped=True)


async def slow_mode(args: argparse.Namespace, host: str, port: int) -> None:
    """A slow-loris: a request line, then a header line a second, never the blank line."""
    started = time.monotonic()
    ended: list[float] = []
    open_now = 0

    async def one() -> None:
        nonlocal open_now
        client = Client(host, port, args.source, None)
        try:
            await client.open()
        except (ConnectionError, OSError):
            ended.append(0.0)
            return
        assert client.writer is not None and client.reader is not None
        open_now += 1
        begun = time.monotonic()
        try:
            client.writer.write(f"GET /j/{args.token} HTTP/1.1\r\n".encode())
            for n in range(args.hold):
                try:
                    await asyncio.wait_for(client.reader.read(1), 1.0)
                except TimeoutError:
                    client.writer.write(f"X-Line-{n}: a\r\n".encode())
                    await client.writer.drain()
                    continue
                break  # the server answered or closed it: this connection is over
        except (ConnectionError, OSError):
            pass
        finally:
            open_now -= 1
            ended.append(time.monotonic() - begun)
            client.close()

    tasks = [asyncio.ensure_future(one()) for _ in range(args.count)]
    await asyncio.sleep(2.0)
    say(mode="slow", open=open_now, refused=sum(1 for t in ended if t < 1.0))
    stdin = await commands()
    while line := (await stdin.readline()).decode().strip():
        if line == "count":
            say(open=open_now, ended=len(ended), longest=max(ended, default=0.0),
                elapsed=time.monotonic() - started)
        elif line == "stop":
            break
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    say(stopped=True)


async def herd_mode(args: argparse.Namespace, host: str, port: int) -> None:
    """Phones holding live connections through an unkind network that blinks."""
    cookies = cookies_of(args)
    path = f"/j/{args.token}/events"
    async with UnkindNetwork(port, segment=1448, delay=0.0) as net:
        live: set[int] = set()
        connected_at: dict[int, float] = {}
        back = asyncio.Event()
        stopping = False
        attempts = Counter[str]()

        async def phone(index: int) -> None:
            cookie = cookies[index % len(cookies)]
            while not stopping:
                client = Client("127.0.0.1", net.port, None, args.forwarded)
                try:
                    status = await client.stream(path, cookie)
                except (ConnectionError, OSError, asyncio.IncompleteReadError):
                    status = 0
                attempts[str(status)] += 1
                if status != 200:
                    client.close()
                    await asyncio.sleep(0.2)  # refused or reset: at once, nearly
                    continue
                live.add(index)
                connected_at[index] = time.monotonic()
                if len(live) == args.count:
                    back.set()
                await client.held()
                live.discard(index)

        phones = [asyncio.ensure_future(phone(i)) for i in range(args.count)]
        async with asyncio.timeout(120):
            await back.wait()
        say(mode="herd", live=len(live), statuses=dict(attempts))
        stdin = await commands()
        while line := (await stdin.readline()).decode().strip():
            if line == "count":
                say(live=len(live))
            elif line == "blink":
                back.clear()
                attempts.clear()
                blinked = time.monotonic()
                senders = [asyncio.ensure_future(send(net.port, args, cookies[i], i))
                           for i in range(args.senders)]
                net.blink()
                try:  # every phone has connected again since the blink
                    async with asyncio.timeout(60):
                        while sum(1 for i in live if connected_at[i] > blinked) < args.count:
                            await asyncio.sleep(0.02)
                except TimeoutError:
                    pass
                again = max(connected_at.values()) - blinked
                sent = await asyncio.gather(*senders)
                say(live=sum(1 for i in live if connected_at[i] > blinked),
                    back_within_s=round(again, 3), statuses=dict(attempts), sent=sent)
            elif line == "stop":
                break
        stopping = True
        for task in phones:
            task.cancel()
        await asyncio.gather(*phones, return_exceptions=True)
    say(stopped=True)


async def send(port: int, args: argparse.Namespace, cookie: str, index: int) -> dict[str, Any]:
    """A phone that sends one contribution while the network blinks: load the page for its
    form, send, and send again with the same nonce until an answer arrives."""
    text = f"Na de knipper {index}: {secrets.token_hex(4)}"
    base = f"/j/{args.token}"
    origin = f"http://127.0.0.1:{port}"
    tries = 0
    while True:
        tries += 1
        client = Client("127.0.0.1", port, None, args.forwarded)
        try:
            status, _, html = await client.request("GET", base, cookie)
            page = html.decode()
            csrf, nonce, round_id = (CSRF.search(page), NONCE.search(page), ROUND.search(page))
            if status != 200 or not (csrf and nonce and round_id):
                raise ConnectionError(f"page {status}")
            break
        except (ConnectionError, OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            await asyncio.sleep(0.2)
    form = urlencode({"csrf": csrf.group(1), "nonce": nonce.group(1),
                      "round": round_id.group(1), "text": text}).encode()
    while True:
        tries += 1
        client = Client("127.0.0.1", port, None, args.forwarded)
        try:
            status, _, body = await client.request(
                "POST", base + "/send", cookie, form,
                extra=f"Origin: {origin}\r\nAccept: application/json\r\n")
        except (ConnectionError, OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            await asyncio.sleep(0.2)
            continue
        if status == 200:
            return {"text": text, "id": json.loads(body)["id"], "tries": tries}
        if status not in (0, 503):
            return {"text": text, "status": status, "tries": tries}
        await asyncio.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("streams", "slow", "herd"))
    parser.add_argument("base")
    parser.add_argument("token")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--cookies", help="a file of device cookies, one a line")
    parser.add_argument("--forwarded", help="X-Forwarded-For (a phone behind a local proxy)")
    parser.add_argument("--source", help="the local address to connect from (127.0.0.x)")
    parser.add_argument("--hold", type=int, default=60, help="slow: header lines to send")
    parser.add_argument("--senders", type=int, default=0, help="herd: phones that send")
    args = parser.parse_args()
    raise_own_limit()
    parts = urlsplit(args.base)
    assert parts.hostname is not None and parts.port is not None
    modes = {"streams": streams_mode, "slow": slow_mode, "herd": herd_mode}
    asyncio.run(modes[args.mode](args, parts.hostname, parts.port))


if __name__ == "__main__":
    main()
