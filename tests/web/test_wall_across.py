"""The wall's rankings across groups (issue 22): the ranking the facilitator chose is the one
the wall shows once the results are revealed, it hears of a new choice live, it says why there
is nothing to rank with one group, and in Arabic and Farsi the page stays right to left while
each group's name and each item keep their own direction (real Chromium)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from browser_helpers import free_port, needs_chromium
from camera import local_only

from facilitator.core.errors import Refused
from facilitator.core.joining import wall_token
from facilitator.session.store import SessionStore
from facilitator.web.server import ParticipantServer

GROUPS = ["municipality"] * 3 + ["refugee_led"] * 3


async def voted(store: SessionStore, groups: list[str]) -> dict[str, int]:
    """The bottleneck round voted on: the first item by everyone, one more per group."""
    await store.go_to_round(1)
    for n, group in enumerate(groups):
        await store.join(f"d{n}", lang="ar" if group == "refugee_led" else "nl",
                         stakeholder=group)
    items = {text: (await store.add_contribution("knelpunten", text, author=device)).id
             for text, device in (("Samen oplossen", "d0"), ("Regels eerst", "d1"),
                                  ("التمويل متأخر", "d3"))}
    await store.update_round("knelpunten", voting_open=True)
    for n, group in enumerate(groups):
        ballot = {items["Samen oplossen"]: 1}
        ballot[items["Regels eerst" if group == "municipality" else "التمويل متأخر"]] = 2
        await store.ballot_items(f"d{n}", "knelpunten")
        await store.cast_ballot(f"d{n}", "knelpunten", ballot)
    return items


@pytest.fixture
async def server(store: SessionStore) -> AsyncIterator[ParticipantServer]:
    running = ParticipantServer(store, host="127.0.0.1", port=free_port())
    await running.start()
    yield running
    await running.stop()


async def page_of(server: ParticipantServer, lang: str = "en") -> str:
    async with aiohttp.ClientSession() as client, \
            client.get(f"{server.wall_url}?lang={lang}") as response:
        assert response.status == 200
        return await response.text()


async def test_the_wall_shows_the_chosen_ranking_once_the_results_are_revealed(
        store: SessionStore, server: ParticipantServer) -> None:
    await voted(store, GROUPS)
    await store.update_round("knelpunten", ranking="carried")
    page = await page_of(server)
    assert "Carried by every group" not in page  # voting is still open: no results at all
    await store.update_round("knelpunten", voting_open=False)
    page = await page_of(server)
    assert 'data-ranking="carried"' in page
    assert '<li class="on" aria-current="true">Carried by every group</li>' in page
    first = page.index("Samen oplossen", page.index('data-ranking="carried"'))
    assert page.index("Regels eerst", first) > first  # the item every group backs first
    assert "Municipality</bdi> <bdi dir=\"ltr\">80%</bdi>" in page
    await store.update_round("knelpunten", ranking="votes")
    page = await page_of(server)
    assert "data-ranking" not in page and "Dots: 6" in page  # most votes, as before


async def test_a_bad_ranking_is_refused_and_changes_nothing(store: SessionStore) -> None:
    await store.go_to_round(1)
    with pytest.raises(Refused):
        await store.update_round("knelpunten", ranking="loudest")
    assert store.round_state("knelpunten").ranking == "votes"


async def test_the_wall_hears_of_a_new_ranking(store: SessionStore,
                                               server: ParticipantServer) -> None:
    await voted(store, GROUPS)
    await store.update_round("knelpunten", voting_open=False)
    events = f"{server.wall_url.split('?')[0]}/events"
    async with aiohttp.ClientSession() as client, client.get(events) as response:
        first = await read_state(response)
        await store.update_round("knelpunten", ranking="differ")
        second = await read_state(response)
    assert first != second  # a new key: the wall reloads and shows the new ranking
    assert 'data-ranking="differ"' in await page_of(server)


async def read_state(response: aiohttp.ClientResponse) -> bytes:
    buffer = b""
    async with asyncio.timeout(5):
        while b"event: state" not in buffer or not buffer.endswith(b"\n\n"):
            buffer += await response.content.readany()
    return buffer.split(b"event: state")[-1]


async def test_with_one_group_the_wall_says_so_instead_of_ranking(
        store: SessionStore, server: ParticipantServer) -> None:
    await voted(store, ["municipality"] * 4)
    await store.update_round("knelpunten", voting_open=False, ranking="carried")
    page = await page_of(server)
    assert "Only one stakeholder group is present, so there is nothing to compare." in page
    across = page[page.index('data-ranking="carried"'):]
    assert "<ol" not in across[:across.index("</section>")]


ACROSS_ITEMS = """items => items.map(li => {
    const text = li.querySelector('span');
    return {text: text.textContent, dir: getComputedStyle(text).direction,
            names: [...li.querySelectorAll('.support bdi:not([dir])')].map(
                b => [b.textContent, getComputedStyle(b).direction])};
})"""


async def across_items(page: Any) -> list[dict[str, Any]]:
    """The wall's items across groups, each with its direction as drawn. A wall loaded just
    after a change swaps in its new part when the change reaches it (the hub gathers a wall's
    changes for half a second), and for a moment after the swap Chromium reports no style for
    that part (seen: document complete, the span connected, its direction ""), so read until
    every item and name has one."""
    from playwright.async_api import Error

    for _ in range(100):
        try:
            items = await page.eval_on_selector_all(".across ol li", ACROSS_ITEMS)
        except Error:  # the page was being swapped
            items = []
        if items and all(item["dir"] and all(way for _name, way in item["names"])
                         for item in items):
            return items  # type: ignore[no-any-return]
        await asyncio.sleep(0.1)
    raise AssertionError("the wall's rankings across groups were never drawn")


@needs_chromium[0]
@needs_chromium[1]
async def test_right_to_left_walls_keep_each_name_and_item_in_its_direction(
        store: SessionStore, server: ParticipantServer, browser: Any) -> None:
    await voted(store, GROUPS)
    await store.update_round("knelpunten", voting_open=False, ranking="differ")
    assert wall_token(store.info.secret) in server.wall_url
    for lang in ("ar", "fa"):
        page = await browser.new_page(viewport={"width": 1280, "height": 720})
        await local_only(page)
        await page.goto(f"{server.wall_url}?lang={lang}")
        items = await across_items(page)
        assert await page.evaluate("getComputedStyle(document.body).direction") == "rtl"
        found = {item["text"]: item for item in items}
        assert found["Regels eerst"]["dir"] == "ltr"
        assert found["التمويل متأخر"]["dir"] == "rtl"
        names = [name for item in items for name, _dir in item["names"]]
        assert names and all(direction == "rtl" for item in items
                             for _name, direction in item["names"])
        assert "Municipality" not in names  # the groups in the wall's language
        # a live reload (the facilitator switches the ranking) keeps the wall's language
        await store.update_round("knelpunten", ranking="carried")
        await page.wait_for_selector(".across[data-ranking=carried]", timeout=10_000)
        names = await page.eval_on_selector_all(
            ".across .support bdi:not([dir])", "bs => bs.map(b => b.textContent)")
        assert names and "Gemeente" not in names and "Municipality" not in names, names
        await store.update_round("knelpunten", ranking="differ")
        await page.wait_for_selector(".across[data-ranking=differ]", timeout=10_000)
        await page.close()
