"""Joining needs something only the room has (issue 9, item 5): the room's join code, which
changes every few minutes, or a table card's code, which the facilitator can revoke; a device
that joined keeps working; the facilitator can close joining for the round."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from facilitator.core.joining import GRACE_S, ROTATE_S, card_code, room_code, wall_token
from facilitator.core.model import Source
from facilitator.session.store import SessionStore
from facilitator.web.app import create_app
from facilitator.web.guard import Limits, RateLimiter
from facilitator.web.pages import CONFIG

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
START = 1_800_000_000.0
"""The room's code changes here (a multiple of ROTATE_S): the tests move the clock from it."""
assert START % ROTATE_S == 0

NO_CODE = "To join, scan the QR code on the screen or on your table card."
NOT_VALID = "This join code is no longer valid. Please scan the QR code on the screen again."
CLOSED = "Joining is closed for now. Please ask the facilitator."


class Clock:
    def __init__(self) -> None:
        self.now = START + 10.0

    def __call__(self) -> float:
        return self.now


class Device:
    """A scripted device: its own cookie (no jar), the form token it was given, and a link."""

    def __init__(self, client: TestClient, store: SessionStore, clock: Clock) -> None:
        self.client = client
        self.store = store
        self.clock = clock
        self.cookie = secrets.token_hex(16)
        self.csrf = ""
        self.origin = str(client.make_url("/")).rstrip("/")

    @property
    def path(self) -> str:
        return f"/j/{self.store.info.join_token}"

    async def open(self, code: str = "", **query: str) -> tuple[int, str]:
        params = {**({"code": code} if code else {}), **query}
        response = await self.client.get(self.path, params=params,
                                         headers={"Cookie": f"device={self.cookie}",
                                                  "Accept-Language": "en"})
        html = await response.text()
        found = CSRF.search(html)
        if found:
            self.csrf = found.group(1)
        return response.status, html

    async def post(self, action: str, data: dict[str, str]) -> tuple[int, str]:
        response = await self.client.post(
            f"{self.path}/{action}", data={"csrf": self.csrf, **data},
            headers={"Cookie": f"device={self.cookie}", "Origin": self.origin,
                     "Accept": "application/json", "Accept-Language": "en"},
            allow_redirects=False)
        return response.status, (await response.json())["message"]

    async def form_token(self) -> None:
        """A form token from a page this device could load (with the room's code of now): what
        a script that once had a good link would post with."""
        await self.open(room_code(self.store.info.secret, self.clock()))

    async def join(self, code: str, **fields: str) -> tuple[int, str]:
        """Load the page as a link with ``code`` would, then post the join form with it (when
        the page refused at once, with a form token from elsewhere, as a script would)."""
        await self.open(code)
        if not self.csrf:
            await self.form_token()
        return await self.post("join", {"lang": "en", "code": code, **fields})


@pytest.fixture
async def room(store: SessionStore) -> AsyncIterator[tuple[Clock, Callable[[], Device]]]:
    """The participant server of a session with its first round open, on a clock the test
    moves; devices with a cookie of their own each."""
    await store.go_to_round(0)
    clock = Clock()
    app = create_app(store, clock=clock, limits=Limits(submissions=1000, votes=1000,
                                                       joins=1000))
    async with TestClient(TestServer(app), cookie_jar=aiohttp.DummyCookieJar()) as client:
        yield clock, lambda: Device(client, store, clock)


def code_at(store: SessionStore, at: float) -> str:
    return room_code(store.info.secret, at)


# -- the room's code ---------------------------------------------------------------------------


async def test_a_script_with_no_code_or_a_stale_one_makes_no_device(
        room: Any, store: SessionStore) -> None:
    """The issue's stuffed vote: 65 scripted devices from one address (the laptop itself, where
    no per-address limit applies). Without the room's current code not one of them joins, so
    not one ballot counts."""
    clock, device = room
    item = await store.add_contribution("checkin", "twee stippen", source=Source.TUI)
    await store.update_round("checkin", voting_open=True)
    stale = code_at(store, clock.now - ROTATE_S - GRACE_S - 1)  # shown seven minutes ago
    answers = []
    for n in range(65):
        script = device()
        code = "" if n % 2 else stale
        status, html = await script.open(code)
        assert status == 403 and 'action="' not in html  # no form: said at once, on the page
        assert (NO_CODE if not code else NOT_VALID) in html
        # the join posted anyway, with a form token from a page it could load once
        await script.form_token()
        answers.append(await script.post("join", {"lang": "en", "code": code}))
        answers.append(await script.post("vote", {"round": "checkin", f"v{item.id}": "1"}))
    joins, votes = answers[::2], answers[1::2]
    assert {status for status, _ in joins + votes} == {403}
    assert {message for _, message in joins} == {NO_CODE, NOT_VALID}
    assert store.participants() == [] and store.votes() == []


async def test_the_current_code_admits_and_the_last_one_within_its_grace(
        room: Any, store: SessionStore) -> None:
    clock, device = room
    assert (await device().join(code_at(store, clock.now)))[0] == 200  # fresh
    previous = code_at(store, clock.now)
    clock.now = START + ROTATE_S + GRACE_S - 1  # the code has changed; the old one in its grace
    assert code_at(store, clock.now) != previous
    late = device()
    status, html = await late.open(previous)
    assert status == 200 and f'name="code" value="{previous}"' in html
    assert (await late.post("join", {"lang": "en", "code": previous}))[0] == 200
    clock.now = START + ROTATE_S + GRACE_S + 1  # past the grace: refused, in their language
    status, message = await device().join(previous)
    assert (status, message) == (403, NOT_VALID)
    too_late = device()
    await too_late.open(code_at(store, clock.now))
    response = await too_late.client.post(
        f"{too_late.path}/join", data={"csrf": too_late.csrf, "lang": "uk", "code": previous},
        headers={"Cookie": f"device={too_late.cookie}", "Origin": too_late.origin})
    assert response.status == 403
    assert "Цей код для приєднання вже не дійсний" in await response.text()
    assert len(store.participants()) == 2


async def test_joined_devices_keep_working_after_the_code_changed(
        room: Any, store: SessionStore) -> None:
    clock, device = room
    phone = device()
    assert (await phone.join(code_at(store, clock.now)))[0] == 200
    clock.now += 24 * 3600  # the next day: every code since has expired
    status, html = await phone.open()  # no code in the link: its cookie is enough
    assert status == 200 and 'action="/j/' in html and "/send" in html
    assert (await phone.post("send", {"round": "checkin", "text": "nog hier"}))[0] == 200
    await store.go_to_round(1)
    item = await store.add_contribution("knelpunten", "ander idee", source=Source.TUI)
    await store.update_round("knelpunten", voting_open=True)
    await phone.open()
    assert (await phone.post("vote", {"round": "knelpunten", f"v{item.id}": "1"}))[0] == 200
    # changing one's details is joining again, and needs no code either
    assert (await phone.post("join", {"lang": "nl", "table": "B"}))[0] == 200
    assert store.participants()[0].table_group == "B"
    assert len(store.participants()) == 1


async def test_the_join_page_keeps_the_code_and_the_cards_table_in_its_links(
        room: Any, store: SessionStore) -> None:
    _clock, device = room
    code = card_code(store.info, "B")
    status, html = await device().open(code, table="B")
    assert status == 200
    assert f'<input type="hidden" name="code" value="{code}">' in html
    assert '<option value="B" selected>B</option>' in html  # the card picked the table
    assert f"?lang=ar&amp;code={code}&amp;table=B" in html  # a language link keeps both


# -- table cards -------------------------------------------------------------------------------


async def test_a_revoked_card_code_admits_no_new_device(room: Any, store: SessionStore) -> None:
    clock, device = room
    card = card_code(store.info, "A")
    first = device()
    assert (await first.join(card))[0] == 200
    assert store.participants()[0].joined_with == "card:A"
    clock.now += 6 * 3600  # a card's code does not expire
    assert (await device().join(card))[0] == 200
    await store.revoke_card("A")
    assert card_code(store.info, "A") != card
    status, html = await device().open(card, table="A")
    assert status == 403 and NOT_VALID in html
    assert await device().join(card) == (403, NOT_VALID)
    assert len(store.participants()) == 2
    # the devices that joined with it keep working; the other tables' cards still admit
    await first.open()
    assert (await first.post("send", {"round": "checkin", "text": "kaart A"}))[0] == 200
    assert (await device().join(card_code(store.info, "B")))[0] == 200
    assert (await device().join(card_code(store.info, "A")))[0] == 200  # the new card A


async def test_an_unknown_table_has_no_card(store: SessionStore) -> None:
    from facilitator.core.errors import Refused

    with pytest.raises(Refused):
        await store.revoke_card("Z")
    assert store.info.card_issue == {}


# -- closing joining for the round -------------------------------------------------------------


async def test_closed_joining_refuses_new_devices_and_keeps_the_joined(
        room: Any, store: SessionStore) -> None:
    clock, device = room
    phone = device()
    assert (await phone.join(code_at(store, clock.now)))[0] == 200
    waiting = device()  # a join page opened before the facilitator closed joining
    await waiting.form_token()
    await store.update_round("checkin", joining_closed=True)
    status, html = await device().open(code_at(store, clock.now))
    assert status == 409 and CLOSED in html
    card = card_code(store.info, "A")
    assert await waiting.post("join", {"lang": "en", "code": card}) == (409, CLOSED)
    await phone.open()
    assert (await phone.post("send", {"round": "checkin", "text": "ik mag nog"}))[0] == 200
    assert (await phone.post("join", {"lang": "nl"}))[0] == 200
    # for the round: the next round is open to join again, and so is this one once reopened
    await store.go_to_round(1)
    assert (await device().join(code_at(store, clock.now)))[0] == 200
    await store.go_to_round(0)
    assert (await device().open(code_at(store, clock.now)))[0] == 409
    wall = await (await phone.client.get(f"/wall/{wall_token(store.info.secret)}?lang=en"))\
        .text()
    assert CLOSED in wall and "qr.svg" not in wall  # the projector says so, and shows no code
    await store.update_round("checkin", joining_closed=False)
    assert (await device().join(code_at(store, clock.now)))[0] == 200
    assert len(store.participants()) == 3


# -- the room's short link --------------------------------------------------------------------


async def test_the_short_link_leads_to_the_join_page_with_its_code(
        room: Any, store: SessionStore) -> None:
    """``/r/<code>`` (the QR code on the screen, about 40 characters) answers with the join
    page's full link; a new device joins from there as from the long link."""
    clock, device = room
    phone = device()
    code = code_at(store, clock.now)
    token = store.info.join_token
    for typed in (code, code.upper()):  # typed in capitals, it still works
        answer = await phone.client.get(f"/r/{typed}", allow_redirects=False)
        assert answer.status == 303
        assert answer.headers["Location"] == f"/j/{token}?code={code}"
    status, html = await phone.open(code)
    assert status == 200 and f'name="code" value="{code}"' in html
    assert (await phone.post("join", {"lang": "en", "code": code}))[0] == 200
    assert len(store.participants()) == 1


async def test_a_short_link_that_admits_nobody_gives_nothing_away(
        room: Any, store: SessionStore) -> None:
    """An expired or made-up code in a short link gets the join page's refusal in the phone's
    language, and no join token: a short link forwarded after the meeting leads nowhere."""
    clock, device = room
    client = device().client
    old = code_at(store, clock.now)
    clock.now += ROTATE_S + 1  # the next code: the old one still admits, for its grace
    answer = await client.get(f"/r/{old}", allow_redirects=False)
    assert answer.status == 303
    clock.now += GRACE_S
    for code in (old, "aaaaaaaaaa", "x"):
        answer = await client.get(f"/r/{code}", allow_redirects=False,
                                  headers={"Accept-Language": "nl"})
        page = await answer.text()
        assert answer.status == 403, code
        assert "niet meer geldig" in page  # in the phone's language
        assert store.info.join_token not in page


async def test_a_card_code_in_a_short_link_picks_its_table(room: Any, store: SessionStore) -> None:
    _clock, device = room
    code = card_code(store.info, "B")
    answer = await device().client.get(f"/r/{code}", allow_redirects=False)
    assert answer.headers["Location"] == f"/j/{store.info.join_token}?code={code}&table=B"


async def test_a_joined_phone_scans_again_while_joining_is_closed(
        room: Any, store: SessionStore) -> None:
    """Joining closed: the short link still leads to the join page, where a phone that joined
    before is known by its cookie and a new one is turned away."""
    clock, device = room
    joined, new = device(), device()
    code = code_at(store, clock.now)
    await joined.join(code)
    await store.update_round(store.current_round.id, joining_closed=True)
    for phone, status in ((joined, 200), (new, 409)):
        answer = await phone.client.get(f"/r/{code}", allow_redirects=False)
        assert answer.status == 303
        page = await phone.client.get(answer.headers["Location"],
                                      headers={"Cookie": f"device={phone.cookie}"})
        assert page.status == status


# -- the wall ----------------------------------------------------------------------------------


async def test_the_room_code_is_on_the_wall_and_nowhere_a_phone_can_reach(
        room: Any, store: SessionStore) -> None:
    """The wall shows the current code; it has an address of its own, so a phone (or anyone a
    join link was forwarded to) cannot read the code from outside the room."""
    clock, device = room
    client = device().client
    token, wall = store.info.join_token, wall_token(store.info.secret)
    for path in (f"/wall/{token}", f"/wall/{token}/qr.svg", f"/j/{token}/qr.svg",
                 f"/wall/{token}/events"):
        assert (await client.get(path)).status == 404, path
    html = await (await client.get(f"/wall/{wall}")).text()
    assert f"/r/{code_at(store, clock.now)}<" in html  # the room's short link
    clock.now += ROTATE_S
    html = await (await client.get(f"/wall/{wall}")).text()
    assert f"/r/{code_at(store, clock.now)}<" in html
    phone = device()
    await phone.join(code_at(store, clock.now))
    status, page = await phone.open()
    assert status == 200 and code_at(store, clock.now) not in page and wall not in page


async def test_the_wall_reloads_when_the_code_changes(store: SessionStore) -> None:
    """The wall's live updates say so when the room's code changes, so the projector always
    shows the current QR code."""
    started = time.monotonic()

    def clock() -> float:  # 0.3 s before the code changes, running
        return START + ROTATE_S - 0.3 + time.monotonic() - started

    app = create_app(store, clock=clock)
    async with TestClient(TestServer(app)) as client:
        response = await client.get(f"/wall/{wall_token(store.info.secret)}/events")
        keys = []
        async with asyncio.timeout(5):
            async for line in response.content:
                if line.startswith(b"data: "):
                    keys.append(json.loads(line[6:])["key"])
                    if len(keys) == 2:
                        break
        response.close()
    assert keys == ["w0", "w1"]
    assert time.monotonic() - started < 2


async def test_while_joining_is_closed_the_wall_draws_no_code(
        room: Any, store: SessionStore) -> None:
    clock, device = room
    client = device().client
    wall = wall_token(store.info.secret)
    english = {"Accept-Language": "en"}
    for kind in ("svg", "png"):
        response = await client.get(f"/wall/{wall}/qr.{kind}")
        assert response.status == 200 and response.content_type.startswith("image/")
    await store.update_round("checkin", joining_closed=True)
    for kind in ("svg", "png"):
        response = await client.get(f"/wall/{wall}/qr.{kind}", headers=english)
        assert response.status == 409 and response.content_type == "text/html"
        page = await response.text()
        assert CLOSED in page and code_at(store, clock.now) not in page
    await store.update_round("checkin", joining_closed=False)
    assert (await client.get(f"/wall/{wall}/qr.svg")).status == 200


# -- guessing codes ----------------------------------------------------------------------------

VENUE = "203.0.113.7"
"""The one address a venue's phones reach the laptop from (an access point in router mode, a
reverse proxy in front of --public-url), as the proxy on the laptop says in X-Forwarded-For."""
TOO_FAST = "You are sending too fast. Please wait a minute and try again."


async def _join_page(client: TestClient, store: SessionStore, code: str,
                     address: str = VENUE) -> tuple[int, str]:
    """A new device (a cookie of its own) opening a join link with ``code`` from ``address``."""
    response = await client.get(
        f"/j/{store.info.join_token}", params={"code": code},
        headers={"Cookie": f"device={secrets.token_hex(16)}", "X-Forwarded-For": address,
                 "Accept-Language": "en"})
    return response.status, await response.text()


async def test_a_room_behind_one_address_joins_and_a_guesser_there_is_held(
        room: Any, store: SessionStore) -> None:
    """200 phones opening the join link within 20 s through one address, some with a code gone
    stale, all get the join form (or the stale code's sentence); a script guessing codes from
    the same address is answered for a minute's allowance of wrong codes, and then answered for
    none, the right code included, while other addresses carry on."""
    clock, device = room
    client = device().client
    # The limits on a clock the test moves: a guess refills in a second, and on a loaded
    # machine (Windows under Wine) the requests below took longer than that on a real one.
    minute = Clock()
    client.app[CONFIG].rate = RateLimiter(minute)
    stale = code_at(store, clock.now - ROTATE_S - GRACE_S - 1)
    for n in range(200):
        clock.now += 0.1  # 200 phones in 20 s
        status, html = await _join_page(client, store, stale if n % 10 == 0 else
                                        code_at(store, clock.now))
        assert (status, NOT_VALID in html) == ((403, True) if n % 10 == 0 else (200, False)), n
    allowance = Limits().ip_code_guesses - 20  # the stale ones counted too
    guesses = [await _join_page(client, store, f"{n:010d}") for n in range(allowance)]
    assert {(status, NOT_VALID in html) for status, html in guesses} == {(403, True)}
    status, html = await _join_page(client, store, "0" * 10)
    assert status == 429 and TOO_FAST in html
    status, html = await _join_page(client, store, code_at(store, clock.now))
    assert status == 429 and 'action="' not in html  # no answer to any code this minute
    assert (await _join_page(client, store, code_at(store, clock.now), "198.51.100.4"))[0] == 200
    minute.now += 1.0  # one wrong code a second refills: one more guess, then held again
    status, html = await _join_page(client, store, "1" * 10)
    assert status == 403 and NOT_VALID in html
    assert (await _join_page(client, store, "2" * 10))[0] == 429


async def test_codes_guessed_with_the_join_form_count_too(store: SessionStore) -> None:
    await store.go_to_round(0)
    clock = Clock()
    limits = Limits(joins=1000, ip_joins=1000, ip_new_devices=1000, ip_code_guesses=5)
    app = create_app(store, clock=clock, limits=limits)
    async with TestClient(TestServer(app), cookie_jar=aiohttp.DummyCookieJar()) as client:
        script = Device(client, store, clock)
        await script.form_token()

        async def post(code: str) -> tuple[int, str]:
            response = await client.post(
                f"/j/{store.info.join_token}/join",
                data={"csrf": script.csrf, "lang": "en", "code": code},
                headers={"Cookie": f"device={script.cookie}", "Origin": script.origin,
                         "Accept": "application/json", "X-Forwarded-For": VENUE,
                         "Accept-Language": "en"})
            return response.status, (await response.json())["message"]

        for n in range(5):
            assert await post(f"{n:010d}") == (403, NOT_VALID)
        assert await post(code_at(store, clock.now)) == (429, TOO_FAST)
        assert (await _join_page(client, store, code_at(store, clock.now)))[0] == 429
        assert store.participants() == []


async def test_codes_guessed_with_the_short_link_count_too(store: SessionStore) -> None:
    """The room's short link is another door for a code: wrong ones count against the address
    as on the join page, and past the allowance it leads nowhere, the right code included."""
    await store.go_to_round(0)
    clock = Clock()
    app = create_app(store, clock=clock, limits=Limits(ip_code_guesses=5))
    async with TestClient(TestServer(app), cookie_jar=aiohttp.DummyCookieJar()) as client:

        async def short(code: str, address: str = VENUE) -> int:
            response = await client.get(f"/r/{code}", allow_redirects=False,
                                        headers={"X-Forwarded-For": address})
            return response.status

        assert await short(code_at(store, clock.now)) == 303  # a right code does not count
        for n in range(5):
            assert await short(f"{n:010d}") == 403
        assert await short(code_at(store, clock.now)) == 429
        assert (await _join_page(client, store, code_at(store, clock.now)))[0] == 429
        assert await short(code_at(store, clock.now), "198.51.100.4") == 303
