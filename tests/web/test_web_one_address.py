"""A room behind one address (an access point in router mode, a proxy for ``--public-url``)
never meets the limits per address; a flood from one address still does; and a refusal speaks
the language the phone chose, with a Back link that keeps the code it scanned."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections import Counter
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestClient, TestServer

from facilitator.session.store import SessionStore
from facilitator.web.app import create_app
from facilitator.web.guard import ROOM_BEHIND_ONE_ADDRESS, Limits, Rate
from tests.web.conftest import csrf_of, scanned
from tests.web.stock_laptop import RealPhone, stock_server

PROXY = "203.0.113.10"
"""The one address a venue's phones come from, as a local proxy forwards it."""


async def test_two_hundred_phones_behind_one_address_join_and_send_within_twenty_seconds(
    tmp_path: Path
) -> None:
    async with stock_server(tmp_path, 1024) as served:
        phones = [RealPhone(served, forwarded=PROXY, lang=("nl", "en", "ar", "fa", "uk")[n % 5])
                  for n in range(200)]
        began = time.monotonic()
        listening: list[aiohttp.ClientResponse] = []

        async def arrive(n: int, phone: RealPhone) -> tuple[int, int]:
            await asyncio.sleep(n * 0.05)  # a room walking in: 200 within ten seconds
            joined, page, _ = await phone.join()
            assert joined == 303, page
            listening.append(await phone.listen())
            sent, answer = await phone.send(f"Telefoon {n} achter één adres")
            assert sent == 200, answer
            return joined, sent

        try:
            results = await asyncio.gather(*(arrive(n, p) for n, p in enumerate(phones)))
            assert time.monotonic() - began < 20
            assert Counter(results) == {(303, 200): 200}
            assert [r.status for r in listening] == [200] * 200
        finally:
            for response in listening:
                response.close()
            await asyncio.gather(*(phone.close() for phone in phones))


async def test_a_flood_from_one_address_is_still_refused(tmp_path: Path) -> None:
    """Made-up devices from one address, as fast as the server answers: a room's worth gets
    in, then one a second, the rest a 429."""
    async with stock_server(tmp_path, 1024) as served:
        flood = 2 * ROOM_BEHIND_ONE_ADDRESS
        statuses: Counter[int] = Counter()
        connector = aiohttp.TCPConnector(limit=50)
        began = time.monotonic()
        async with aiohttp.ClientSession(connector=connector,
                                         cookie_jar=aiohttp.DummyCookieJar()) as script:

            async def one() -> None:
                cookie = {"Cookie": f"device={secrets.token_hex(16)}",
                          "X-Forwarded-For": PROXY}
                link = f"{served.base}/j/{served.token}"
                async with script.get(link, params={"code": served.code()},
                                      headers=cookie) as page:
                    csrf = csrf_of(await page.text())
                async with script.post(f"{link}/join", headers={**cookie, "Origin": served.base},
                                       data={"csrf": csrf, "lang": "en", "code": served.code()},
                                       allow_redirects=False) as answer:
                    statuses[answer.status] += 1

            await asyncio.gather(*(one() for _ in range(flood)))
        took = time.monotonic() - began
        assert set(statuses) == {303, 429}
        assert ROOM_BEHIND_ONE_ADDRESS <= statuses[303] <= ROOM_BEHIND_ONE_ADDRESS + took + 2


async def test_a_refusal_speaks_the_chosen_language_and_its_back_link_keeps_the_code(
    store: SessionStore
) -> None:
    """A phone that picked Ukrainian on the join page of a Dutch session (its browser says
    English, and it keeps no language cookie), refused for its address: the page is in
    Ukrainian, and Back goes to the join link it scanned, code and table card included."""
    app = create_app(store, limits=Limits(ip_new_devices=Rate(1, 1)))
    assert store.info.lang == "nl"
    async with TestClient(TestServer(app), cookie_jar=aiohttp.DummyCookieJar()) as client:
        origin = str(client.make_url("/")).rstrip("/")
        code = scanned(store)
        statuses = []
        for _ in range(2):
            device = {"Cookie": f"device={secrets.token_hex(16)}", "Accept-Language": "en",
                      "X-Forwarded-For": PROXY}
            page = await client.get(f"/j/{store.info.join_token}", headers=device,
                                    params={"code": code, "table": "B", "lang": "uk"})
            refused = await client.post(
                f"/j/{store.info.join_token}/join", allow_redirects=False,
                headers={**device, "Origin": origin},
                data={"csrf": csrf_of(await page.text()), "lang": "uk", "code": code,
                      "table": "B"})
            statuses.append(refused.status)
        assert statuses == [303, 429]
        html = await refused.text()
        assert "Ви надсилаєте занадто швидко" in html
        back = re.search(r'<a class="button" href="([^"]+)"', html)
        assert back is not None
        assert back.group(1).replace("&amp;", "&") == \
            f"/j/{store.info.join_token}?code={code}&table=B"

