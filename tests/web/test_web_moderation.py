"""The moderation pages: the facilitator's (this laptop only) and a co-moderator's (a link of its
own, renewed or switched off like the organiser's). Arabic and Farsi shown with their own
direction and language; approve, hide and merge reach the session file; refusals (a revoked
link, a forged form, another address, too many guesses) change nothing and say why."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request
from browser_helpers import free_port, needs_chromium

from facilitator.core.joining import moderation_token
from facilitator.core.model import Contribution, Source
from facilitator.i18n import translations
from facilitator.session.store import SessionStore
from facilitator.web import moderation
from facilitator.web.app import create_app
from facilitator.web.guard import Limits
from facilitator.web.server import ParticipantServer

ARABIC = "لا نعرف من هو المسؤول في البلدية"
FARSI = "ما نمی‌دانیم چه کسی در شهرداری مسئول است"
DUTCH = "Meer tijd voor kennismaking, ook na afloop."
FORM = re.compile(r'name="csrf" value="([0-9a-f]+)"')


async def _harvest_round(store: SessionStore) -> dict[str, Contribution]:
    """The kennisatelier's closing round (moderated), with tips from an Arabic and a Farsi
    phone waiting for approval, and a Dutch one typed in by the facilitator."""
    await store.go_to_round(4)
    await store.join("phone-ar", lang="ar", stakeholder="refugee_led")
    await store.join("phone-fa", lang="fa", stakeholder="migrant_org")
    return {
        "ar": await store.add_contribution("oogst", ARABIC, author="phone-ar"),
        "fa": await store.add_contribution("oogst", FARSI, author="phone-fa"),
        "fa2": await store.add_contribution("oogst", FARSI + " واقعاً", author="phone-fa"),
        "nl": await store.add_contribution("oogst", DUTCH, source=Source.TUI),
    }


def _on_disk(store: SessionStore, cid: int) -> Contribution:
    """The contribution as the session's file (and journal) hold it: a fresh read-only open."""
    item = SessionStore.open(store.path, read_only=True).contribution(cid)
    assert item is not None
    return item


def say(lang: str, sentence: str) -> str:
    return translations("web", lang).gettext(sentence)


# -- in a browser ------------------------------------------------------------------------------


@pytest.mark.parametrize("door", ["facilitator", "colleague"])
@needs_chromium[0]
@needs_chromium[1]
async def test_moderating_arabic_and_farsi_in_a_browser(
    store: SessionStore, browser: Any, door: str
) -> None:
    items = await _harvest_round(store)
    assert not items["ar"].approved  # a moderated round: waiting for the facilitator
    server = ParticipantServer(store, host="127.0.0.1", port=free_port())
    await server.start()
    try:
        url = server.moderation_url if door == "facilitator" else server.comoderator_url
        assert url is not None
        lang = "nl" if door == "facilitator" else "ar"  # a colleague who reads Arabic
        page = await browser.new_page(viewport={"width": 390, "height": 800})
        await page.goto(f"{url}?lang={lang}")
        assert await page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390

        # Each text in its own direction and language, whatever the page's.
        arabic = page.locator(f"#c{items['ar'].id} p.text")
        assert await arabic.inner_text() == ARABIC
        assert (await arabic.get_attribute("dir"), await arabic.get_attribute("lang")) == \
            ("rtl", "ar")
        farsi = page.locator(f"#c{items['fa'].id} p.text")
        assert (await farsi.get_attribute("dir"), await farsi.get_attribute("lang")) == \
            ("rtl", "fa")
        dutch = page.locator(f"#c{items['nl'].id} p.text")
        assert await dutch.get_attribute("dir") == "auto"
        assert await dutch.get_attribute("lang") is None
        # ... and laid out right to left: the Arabic starts at the right edge of its box.
        box = await arabic.bounding_box()
        end = await arabic.evaluate(
            "p => { const r = document.createRange(); r.selectNodeContents(p); "
            "return r.getBoundingClientRect().right; }")
        assert box is not None and abs(box["x"] + box["width"] - end) < 2

        # Only the right-to-left ones.
        await page.click("a[href$='show=rtl']")
        assert await page.locator("ol.moderation li.item").count() == 3

        # Approve the Arabic tip: it reaches the session file.
        await page.click(f"#c{items['ar'].id} button[value=approve]")
        await page.wait_for_selector("#notice")
        assert await page.inner_text("#notice") == say(lang, "Approved.")
        assert _on_disk(store, items["ar"].id).approved

        # Hide the first Farsi tip, then merge the second into the Arabic one.
        await page.click(f"#c{items['fa'].id} button[value=hide]")
        await page.wait_for_selector("#notice")
        assert _on_disk(store, items["fa"].id).hidden
        await page.check(f"#c{items['fa2'].id} input[name=pick]")
        await page.check(f"#c{items['ar'].id} input[name=keep]")
        await page.click("form.merge button")
        await page.wait_for_selector("#notice")
        assert await page.inner_text("#notice") == say(lang, "Merged.")
        assert _on_disk(store, items["fa2"].id).merged_into == items["ar"].id
        # The merged one says so, and can be taken out again.
        merged = page.locator(f"#c{items['fa2'].id}")
        assert f"#{items['ar'].id}" in await merged.locator(".meta").inner_text()
        await merged.locator("button[value=unmerge]").click()
        await page.wait_for_selector("#notice")
        assert _on_disk(store, items["fa2"].id).merged_into == 0
    finally:
        await server.stop()


# -- refusals ----------------------------------------------------------------------------------


@pytest.fixture
async def room(store: SessionStore) -> Any:
    """The moderated round, and a test client on the participant app (from 127.0.0.1)."""
    items = await _harvest_round(store)
    client = TestClient(TestServer(create_app(store, limits=Limits(ip_moderation_guesses=3))))
    await client.start_server()
    yield items, client
    await client.close()


async def _form(client: TestClient, path: str) -> str:
    response = await client.get(path)
    assert response.status == 200, await response.text()
    found = FORM.search(await response.text())
    assert found
    return found.group(1)


def _post(client: TestClient, path: str, data: dict[str, str], **headers: str) -> Any:
    origin = str(client.make_url("/")).rstrip("/")
    return client.post(f"{path}/change", data=data, headers={"Origin": origin, **headers},
                       allow_redirects=False)


async def test_a_renewed_or_switched_off_link_is_refused(store: SessionStore, room: Any) -> None:
    items, client = room
    old = f"/c/{store.info.comoderator_secret}"
    csrf = await _form(client, old)
    await store.set_comoderator_link(on=True)  # a new link: the old one stops at once
    new = f"/c/{store.info.comoderator_secret}"
    for path in (old, f"{old}?lang=fa"):
        response = await client.get(path)
        assert response.status == 403
    assert say("fa", "This moderation link is not valid (any more). Ask the facilitator for "
               "the current one.") in await (await client.get(f"{old}?lang=fa")).text()
    response = await _post(client, old, {"csrf": csrf, "do": "approve",
                                         "id": str(items["ar"].id)})
    assert response.status == 403
    assert not store.contribution(items["ar"].id).approved  # nothing changed
    assert (await client.get(new)).status == 200

    await store.set_comoderator_link(on=False)  # switched off: every link refused
    assert store.info.comoderator_secret == ""
    assert (await client.get(new)).status == 403
    response = await client.get("/c/a")
    assert response.status == 403


async def test_a_forged_or_foreign_form_changes_nothing(store: SessionStore, room: Any) -> None:
    items, client = room
    path = f"/c/{store.info.comoderator_secret}"
    csrf = await _form(client, path)
    target = str(items["ar"].id)
    for data, headers in (
        ({"do": "approve", "id": target}, {}),  # no form token
        ({"csrf": "0" * 32, "do": "approve", "id": target}, {}),  # a made-up one
        # the facilitator's page's token, sent to the colleague's door
        ({"csrf": await _form(client, f"/m/{moderation_token(store.info.secret)}"),
          "do": "approve", "id": target}, {}),
        ({"csrf": csrf, "do": "approve", "id": target},
         {"Origin": "http://evil.example"}),  # another site's page
    ):
        response = await _post(client, path, data, **headers)
        assert response.status == 403, data
        assert say(store.info.lang, "This form has expired. Please reload the page and try "
                   "again.") in await response.text()
    assert not store.contribution(items["ar"].id).approved
    # Nonsense is a 400 or a 404, with a sentence; the right form still works.
    for data, status in (({"csrf": csrf, "do": "delete", "id": target}, 400),
                         ({"csrf": csrf, "do": "approve", "id": "x1"}, 400),
                         ({"csrf": csrf, "do": "approve", "id": "999999"}, 404),
                         ({"csrf": csrf, "do": "merge", "keep": target}, 400),
                         ({"csrf": csrf, "do": "merge", "pick": target}, 400)):
        response = await _post(client, path, data)
        assert response.status == status, data
    response = await _post(client, path, {"csrf": csrf, "do": "approve", "id": target})
    assert response.status == 303
    assert response.headers["Location"].endswith(f"done=approve#c{target}")
    assert store.contribution(items["ar"].id).approved


async def test_the_facilitators_page_answers_only_this_laptop(
    store: SessionStore, room: Any
) -> None:
    _items, client = room
    path = f"/m/{moderation_token(store.info.secret)}"
    assert (await client.get(path)).status == 200  # from 127.0.0.1: the laptop
    # Through a proxy (a --public-url tunnel): not the laptop itself.
    response = await client.get(f"{path}?lang=uk", headers={"X-Forwarded-For": "192.0.2.7"})
    assert response.status == 403
    assert say("uk", "This moderation page opens only on the facilitator's laptop. A "
               "colleague needs the co-moderator's link.") in await response.text()


def _from(remote: str, **headers: str) -> Any:
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (
        (remote, 40000) if name == "peername" else default)
    return make_mocked_request("GET", "/m/x", headers=headers, transport=transport)


def test_this_laptop_is_its_own_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moderation, "own_addresses",
                        lambda: frozenset({"192.168.1.23", "fe80::1"}))
    assert moderation.from_this_laptop(_from("127.0.0.1"))
    assert moderation.from_this_laptop(_from("::1"))
    assert moderation.from_this_laptop(_from("::ffff:127.0.0.1"))
    assert moderation.from_this_laptop(_from("192.168.1.23"))  # its own Wi-Fi address
    assert moderation.from_this_laptop(_from("fe80::1%wlan0"))
    assert not moderation.from_this_laptop(_from("192.168.1.40"))  # a phone
    assert not moderation.from_this_laptop(_from("127.0.0.1", **{"X-Forwarded-For": "10.0.0.9"}))


async def test_guessing_links_is_limited_apart_from_the_right_one(
    store: SessionStore, room: Any
) -> None:
    _items, client = room
    right = f"/c/{store.info.comoderator_secret}"
    stranger = {"X-Forwarded-For": "198.51.100.4"}  # counted under the address a proxy saw
    for _ in range(3):
        assert (await client.get("/c/guess", headers=stranger)).status == 403
    response = await client.get("/c/guess", headers=stranger)
    assert response.status == 429 and response.headers["Retry-After"] == "60"
    assert (await client.get(right, headers=stranger)).status == 200  # not locked out


async def test_a_page_looks_at_a_bounded_number_of_ids(
    store: SessionStore, room: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A busy round is paged, newest first: a page costs PAGE_IDS look-ups, not the round."""
    items, client = room
    monkeypatch.setattr(moderation, "PAGE_IDS", 2)
    path = f"/c/{store.info.comoderator_secret}?lang=en"
    html = await (await client.get(path)).text()
    shown = [int(cid) for cid in re.findall(r'id="c(\d+)"', html)]
    assert shown == [items["nl"].id, items["fa2"].id]
    older = re.search(r'href="[^"]*\?(round=oogst&amp;show=all&amp;before=\d+)"', html)
    assert older, "no link to the older ones"
    html = await (await client.get(f"{path}&{older.group(1).replace('&amp;', '&')}")).text()
    assert [int(cid) for cid in re.findall(r'id="c(\d+)"', html)] == \
        [items["fa"].id, items["ar"].id]
    assert "Older contributions" not in html  # the last page


def test_the_links_in_the_session_file(tmp_path: Path) -> None:
    """A new session has a co-moderator's secret of its own; the facilitator's page's token
    is derived from the session's secret, and is neither the wall's nor the join link's."""
    from facilitator.core.joining import wall_token
    from facilitator.session.library import Library, Templates

    session = Library(tmp_path).create(Templates().load("kennisatelier"))
    info = session.info
    assert len(info.comoderator_secret) >= 32
    assert len({info.comoderator_secret, info.organiser_secret, info.join_token,
                moderation_token(info.secret), wall_token(info.secret)}) == 5
