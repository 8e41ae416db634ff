"""Who may post: a device cookie only the phone holds, a form token only the server can make,
a device that has joined, and limits per device and per client address (review item 3); and
the count of devices that joined (item 14)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
from collections.abc import AsyncIterator
from typing import Any
from unittest import mock

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request

from facilitator.core.joining import wall_token
from facilitator.core.model import Source
from facilitator.session.journal import journal_path
from facilitator.session.store import SessionStore
from facilitator.web.app import create_app
from facilitator.web.guard import Limits, Rate, RateLimiter, client_address, device_id
from facilitator.web.server import ParticipantServer
from tests.web.conftest import scanned

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


class Script:
    """A client that sets its own cookies (no jar): what a flooding script would do, with the
    join code of a link it got hold of ("": none)."""

    def __init__(self, client: TestClient, token: str, code: str) -> None:
        self.client = client
        self.token = token
        self.code = code
        self.origin = str(client.make_url("/")).rstrip("/")

    async def page(self, cookie: str, **headers: str) -> tuple[aiohttp.ClientResponse, str]:
        response = await self.client.get(f"/j/{self.token}",
                                         params={"code": self.code} if self.code else {},
                                         headers={"Cookie": f"device={cookie}", **headers})
        html = await response.text()
        found = CSRF.search(html)
        return response, found.group(1) if found else ""

    async def post(self, cookie: str, csrf: str, action: str, data: dict[str, str],
                   **headers: str) -> aiohttp.ClientResponse:
        return await self.client.post(
            f"/j/{self.token}/{action}", data={"csrf": csrf, **data},
            headers={"Cookie": f"device={cookie}", "Origin": self.origin,
                     "Accept": "application/json", **headers},
            allow_redirects=False)

    async def join(self, cookie: str, **headers: str) -> int:
        _, csrf = await self.page(cookie, **headers)
        response = await self.post(cookie, csrf, "join", {"lang": "en", "code": self.code},
                                   **headers)
        return response.status


@pytest.fixture
async def script(store: SessionStore) -> AsyncIterator[Any]:
    clients: list[TestClient] = []

    async def make(limits: Limits | None = None, code: str | None = None,
                   **options: Any) -> Script:
        """``code``: the join code the script uses (default: the room's, now)."""
        app = create_app(store, limits=limits, **options)
        client = TestClient(TestServer(app), cookie_jar=aiohttp.DummyCookieJar())
        await client.start_server()
        clients.append(client)
        return Script(client, store.info.join_token, scanned(store) if code is None else code)

    yield make
    for client in clients:
        await client.close()


async def read_event(response: aiohttp.ClientResponse, timeout: float = 3.0) -> bytes:
    buffer = b""
    async with asyncio.timeout(timeout):
        while b"event: state" not in buffer or not buffer.endswith(b"\n\n"):
            buffer += await response.content.readany()
    return buffer


def texts(store: SessionStore) -> list[str]:
    return [c.text for c in store.contributions(visible_only=False)]


# -- the cookie, the stored id and the form token ----------------------------------------------


async def test_the_cookie_is_a_bearer_value_the_session_file_never_holds(
    phone: Any, store: SessionStore
) -> None:
    [morsel] = [m for m in phone.client.session.cookie_jar if m.key == "device"]
    value = morsel.value
    assert re.fullmatch(r"[0-9a-f]{32}", value)  # 128 random bits
    await phone.send("mine")  # acknowledged: on disk
    [participant] = store.participants()
    assert participant.device_id == device_id(store.info.secret, value) != value
    assert store.contributions("checkin")[0].author == participant.device_id
    journal = journal_path(store.path)
    assert value.encode() not in store.path.read_bytes() + journal.read_bytes()
    assert value not in str(store.snapshot())
    assert store.info.secret not in phone.csrf and store.info.secret not in await phone.open()


async def test_form_tokens_computed_from_the_join_link_are_refused(
    script: Any, store: SessionStore
) -> None:
    """The review's flood: made-up devices with a token computed from the join token alone."""
    client = await script()
    statuses = []
    for n in range(50):
        cookie = secrets.token_hex(16)
        csrf = hmac.new(store.info.join_token.encode(), cookie.encode(),
                        hashlib.sha256).hexdigest()[:32]
        response = await client.post(cookie, csrf, "send",
                                     {"text": f"flood {n}", "round": "checkin"})
        statuses.append(response.status)
    assert statuses == [403] * 50
    assert texts(store) == []


async def test_a_stored_device_id_as_cookie_is_a_stranger(
    phone: Any, script: Any, store: SessionStore
) -> None:
    """Someone who read a device id in an export cannot act as that participant."""
    cid = (await (await phone.send("mine")).json())["id"]
    stolen = store.participants()[0].device_id
    client = await script()
    response, csrf = await client.page(stolen)
    assert "/join\"" in await response.text()  # the join page: a new device
    for action in (f"edit/{cid}", f"withdraw/{cid}"):
        answer = await client.post(stolen, csrf, action, {"text": "hijacked"})
        assert answer.status == 403
    assert await client.join(stolen) == 200
    answer = await client.post(stolen, csrf, f"edit/{cid}", {"text": "hijacked"})
    assert answer.status == 403
    assert (await answer.json())["message"] == "You can only change your own contributions."
    item = store.contribution(cid)
    assert item is not None and item.text == "mine" and not item.hidden


# -- joining first -----------------------------------------------------------------------------


async def test_a_device_must_join_before_it_sends_edits_withdraws_or_votes(
    client: TestClient, store: SessionStore, new_phone: Any
) -> None:
    phone = await new_phone(client)
    await phone.open("?lang=en")  # a cookie and a form token, but no join
    cid = (await store.add_contribution("checkin", "theirs", source=Source.TUI)).id
    for action, data in (("send", {"text": "hello", "round": "checkin"}),
                         (f"edit/{cid}", {"text": "x"}), (f"withdraw/{cid}", {}),
                         ("vote", {"round": "checkin", f"v{cid}": "1"})):
        response = await phone.post(action, data, json=True)
        assert response.status == 403, action
        assert (await response.json())["message"] == (
            "Please join first: reload the page, press Start, then try again.")
    assert texts(store) == ["theirs"] and store.votes() == []

    # without JavaScript: a page that says so, keeps the text, and leads to the join page
    response = await phone.send("my idea", json=False)
    html = await response.text()
    assert response.status == 403
    assert "Please join first" in html and "my idea" in html
    assert f'href="/j/{store.info.join_token}"' in html
    assert f'action="/j/{store.info.join_token}/join"' in await phone.open()
    await phone.join()
    assert (await phone.send("my idea", json=False)).status == 303
    assert texts(store) == ["theirs", "my idea"]


async def test_join_first_is_in_the_participants_language(
    client: TestClient, new_phone: Any
) -> None:
    phone = await new_phone(client)
    await phone.open()
    response = await phone.post("send", {"text": "привіт", "round": "checkin"}, json=True,
                                **{"Accept-Language": "uk"})
    assert (await response.json())["message"].startswith("Спершу приєднайтеся")


# -- limits per client address -----------------------------------------------------------------


async def test_new_devices_per_address_are_limited(script: Any, store: SessionStore) -> None:
    client = await script(Limits(ip_new_devices=Rate(3, 3)))
    behind_nat = {"X-Forwarded-For": "10.0.0.7"}
    cookies = [secrets.token_hex(16) for _ in range(5)]
    statuses = [await client.join(cookie, **behind_nat) for cookie in cookies]
    assert statuses == [200, 200, 200, 429, 429]
    assert len(store.participants()) == 3
    # a device that joined may still change its details; another address has its own count
    assert await client.join(cookies[0], **behind_nat) == 200
    assert await client.join(secrets.token_hex(16), **{"X-Forwarded-For": "10.0.0.8"}) == 200
    assert len(store.participants()) == 4


async def test_submissions_per_address_are_limited(script: Any, store: SessionStore) -> None:
    client = await script(Limits(submissions=100, ip_submissions=Rate(4, 4)))
    nat = {"X-Forwarded-For": "203.0.113.9"}
    phones = [secrets.token_hex(16) for _ in range(2)]
    tokens = []
    for cookie in phones:
        assert await client.join(cookie, **nat) == 200
        tokens.append((await client.page(cookie, **nat))[1])
    statuses = []
    for n in range(3):
        for cookie, csrf in zip(phones, tokens, strict=True):
            response = await client.post(cookie, csrf, "send",
                                         {"text": f"{cookie[:4]} {n}", "round": "checkin"}, **nat)
            statuses.append(response.status)
    assert statuses == [200, 200, 200, 200, 429, 429]
    assert response.headers["Retry-After"] == "60"
    assert len(texts(store)) == 4


async def test_the_review_flood_is_stopped_by_the_address_limit(
    script: Any, store: SessionStore
) -> None:
    """Made-up devices that load the page and join properly: past a room's worth at once, the
    limit of one address holds them to a latecomer's pace, however many cookies the script
    invents."""
    limits = Limits(ip_new_devices=Rate(20, 60))
    client = await script(limits)
    lan = {"X-Forwarded-For": "192.168.1.66"}
    joined = sum([await client.join(secrets.token_hex(16), **lan) == 200 for _ in range(40)])
    assert 20 <= joined <= 22  # the burst, and one a second while the flood lasts
    assert len(store.participants()) == joined


async def test_the_laptop_itself_is_not_limited_per_address(
    script: Any, store: SessionStore
) -> None:
    client = await script(Limits(ip_new_devices=Rate(1, 1)))
    assert [await client.join(secrets.token_hex(16)) for _ in range(3)] == [200] * 3


def test_a_refusal_by_one_limit_uses_up_no_other() -> None:
    rate = RateLimiter()
    assert rate.allow_all([("d1", "submissions", 5), ("ip:x", "submissions", 1)])
    assert not rate.allow_all([("d2", "submissions", 5), ("ip:x", "submissions", 1)])
    # the refusal took nothing from d2: all five of its minute are still there
    assert [rate.allow_all([("d2", "submissions", 5), (f"ip:{n}", "submissions", 1)])
            for n in range(6)] == [True] * 5 + [False]


def _request(remote: str, **headers: str) -> Any:
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (
        (remote, 40000) if name == "peername" else default)
    return make_mocked_request("POST", "/j/x/send", headers=headers, transport=transport)


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [("192.168.1.20", "", "192.168.1.20"),
     ("192.168.1.20", "10.9.9.9", "192.168.1.20"),  # a phone cannot pick its own address
     ("127.0.0.1", "", None),  # the laptop itself
     ("127.0.0.1", "6.6.6.6, 198.51.100.4", "198.51.100.4"),  # what our proxy saw
     ("::1", "2001:db8::5", "2001:db8::5"),
     ("::ffff:127.0.0.1", "", None),
     ("fe80::1%eth0", "", "fe80::1")],
)
def test_client_address(remote: str, forwarded: str, expected: str | None) -> None:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    assert client_address(_request(remote, **headers)) == expected


# -- the cookie over https ---------------------------------------------------------------------


@pytest.mark.parametrize(("public_url", "secure"),
                         [(None, False), ("http://10.0.0.2:8080", False),
                          ("https://room.example.org", True)])
async def test_cookies_are_secure_when_phones_use_https(
    script: Any, store: SessionStore, public_url: str | None, secure: bool
) -> None:
    client = await script(public_url=public_url)
    response = await client.client.get(f"/j/{store.info.join_token}?lang=nl")
    cookies = response.headers.getall("Set-Cookie")
    assert {c.split("=")[0] for c in cookies} == {"device", "lang"}
    for cookie in cookies:
        assert ("; Secure" in cookie) is secure, cookie
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


# -- devices joined (item 14) ------------------------------------------------------------------


async def test_devices_joined_counts_joins_not_page_loads(
    client: TestClient, store: SessionStore, new_phone: Any
) -> None:
    wall = f"/wall/{wall_token(store.info.secret)}?lang=en"
    for _ in range(5):  # link previews, reloads without cookies: nobody joined
        link = f"/j/{store.info.join_token}?code={scanned(store)}"
        assert (await client.get(link)).status == 200
    assert "Devices joined: 0" in await (await client.get(wall)).text()
    phone = await new_phone(client)
    await phone.join()
    await phone.join("nl")  # changing one's details is still one device
    assert "Devices joined: 1" in await (await client.get(wall)).text()


async def test_the_wall_hears_when_someone_joins(
    client: TestClient, store: SessionStore, new_phone: Any
) -> None:
    response = await client.get(f"/wall/{wall_token(store.info.secret)}/events")
    assert b'"key":"w0"' in await read_event(response)
    phone = await new_phone(client)
    await phone.join()
    assert b'"key":"w1"' in await read_event(response)
    response.close()


async def test_server_devices_seen_counts_participants(store: SessionStore) -> None:
    server = ParticipantServer(store, host="127.0.0.1", port=0)
    await server.start()
    try:
        async with aiohttp.ClientSession() as browser:
            for _ in range(3):
                async with browser.get(server.join_url) as response:
                    assert response.status == 200
        assert server.devices_seen == 0
        await store.join("a" * 32, lang="en")
        assert server.devices_seen == 1
    finally:
        await server.stop()
