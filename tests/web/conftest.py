"""Fixtures for the participant server: a fresh session in a temporary data dir, a test client
that behaves like one phone, and helpers to read the page's form tokens."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from browser_helpers import CHROMIUM

from facilitator.core.joining import room_code
from facilitator.session.library import Library, Templates
from facilitator.session.store import SessionStore
from facilitator.web.app import create_app
from facilitator.web.guard import Limits

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def scanned(store: SessionStore) -> str:
    """The room's join code as a phone scans it now (from the QR code on the projector)."""
    return room_code(store.info.secret, time.time())


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SessionStore]:
    """A kennisatelier session with its first round open."""
    session = Library(tmp_path).create(Templates().load("kennisatelier"))
    await session.go_to_round(0)
    yield session
    await session.close()


class Phone:
    """One participant's browser: a cookie jar, the page's CSRF token, the Origin it sends, and
    the join code in the link it scanned ("" for a link without one), which it keeps in every
    page it opens and every form it sends, as the join page's links and hidden field do."""

    def __init__(self, client: TestClient, token: str, code: str = "") -> None:
        self.client = client
        self.token = token
        self.code = code
        self.csrf = ""

    @property
    def origin(self) -> str:
        return str(self.client.make_url("/")).rstrip("/")

    def link(self, path: str = "") -> str:
        if not self.code or "code=" in path:
            return f"/j/{self.token}{path}"
        return f"/j/{self.token}{path}{'&' if '?' in path else '?'}code={self.code}"

    async def open(self, path: str = "", **headers: str) -> str:
        response = await self.client.get(self.link(path), headers=headers)
        html = await response.text()
        if 'name="csrf"' in html:
            self.csrf = csrf_of(html)
        return html

    async def post(self, action: str, data: dict[str, str] | None = None, *, json: bool = False,
                   **headers: str):  # type: ignore[no-untyped-def]
        body = {"csrf": self.csrf, **({"code": self.code} if self.code else {}), **(data or {})}
        sent = {"Origin": self.origin, **headers}
        if json:
            sent["Accept"] = "application/json"
        return await self.client.post(f"/j/{self.token}/{action}", data=body, headers=sent,
                                      allow_redirects=False)

    async def join(self, lang: str = "en", **fields: str) -> None:
        await self.open()
        response = await self.post("join", {"lang": lang, **fields})
        assert response.status == 303, await response.text()
        await self.open()

    async def send(self, text: str, round_id: str = "checkin", json: bool = True):  # type: ignore[no-untyped-def]
        return await self.post("send", {"text": text, "round": round_id}, json=json)


@pytest.fixture
async def client(store: SessionStore) -> AsyncIterator[TestClient]:
    app = create_app(store, limits=Limits(submissions=1000, votes=1000, joins=1000))
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.fixture
async def phone(client: TestClient, store: SessionStore) -> Phone:
    joined = Phone(client, store.info.join_token, scanned(store))
    await joined.join()
    return joined


@pytest.fixture
async def new_phone(client: TestClient, store: SessionStore) -> AsyncIterator[Any]:
    """Another phone with its own cookies, on ``client``'s server or another test client."""
    clients: list[TestClient] = []

    async def make(on: TestClient | None = None, code: str | None = None) -> Phone:
        """``code``: the join code in the link it scanned (default: the room's, now)."""
        scanned_code = scanned(store) if code is None else code
        if on is not None:
            return Phone(on, store.info.join_token, scanned_code)
        other = TestClient(client.server)
        await other.start_server()
        clients.append(other)
        return Phone(other, store.info.join_token, scanned_code)

    yield make
    for other in clients:
        await other.session.close()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """Headless Chromium (Debian's) for the browser tests."""
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield chromium
        await chromium.close()
