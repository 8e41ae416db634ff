"""The big room on the web: bounded pages, sampled ballots, shed load, quiet live updates."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer

from facilitator.core.joining import wall_token
from facilitator.core.model import Source
from facilitator.session.store import SessionStore
from facilitator.web.app import create_app
from facilitator.web.guard import Limits
from tests.web.conftest import Phone, scanned

ROUND = "knelpunten"  # the kennisatelier's bottleneck round: dots, sample size 20
VOTE_FIELD = re.compile(r'<select name="v(\d+)"')


async def big_round(store: SessionStore, items: int) -> None:
    await store.go_to_round(1)
    for start in range(0, items, 1000):
        await asyncio.gather(*[
            store.add_contribution(ROUND, f"Knelpunt {n}: de regels voor subsidie zijn te "
                                   "ingewikkeld voor kleine initiatieven", source=Source.TUI)
            for n in range(start, min(items, start + 1000))])
    await store.update_round(ROUND, voting_open=True)


async def test_the_phone_page_stays_small_however_big_the_round(
    phone: Phone, new_phone: Any, store: SessionStore
) -> None:
    await big_round(store, 30)
    small = await phone.open()
    await store.update_round(ROUND, voting_open=False)
    await big_round(store, 5000)
    other = await new_phone()
    await other.join()
    big = await other.open()
    assert len(VOTE_FIELD.findall(big)) == 20, "a sample, not the round"
    assert len(big.encode()) < 30_000
    assert len(big.encode()) < len(small.encode()) * 1.2
    assert "5030 items, too many for one phone" in big


async def test_asking_for_another_set_over_the_web(phone: Phone, store: SessionStore) -> None:
    await big_round(store, 50)
    first = set(VOTE_FIELD.findall(await phone.open()))
    response = await phone.post("another", {"round": ROUND})
    assert response.status == 303 and response.headers["Location"].endswith("#vote")
    second = set(VOTE_FIELD.findall(await phone.open()))
    assert len(second) == 20 and not first & second
    json = await phone.post("another", {"round": ROUND}, json=True)
    assert json.status == 200
    third = set(VOTE_FIELD.findall(await phone.open()))
    assert len(third) == 10
    refused = await phone.post("another", {"round": ROUND}, json=True)
    assert refused.status == 409
    assert (await refused.json())["message"] == \
        "You have already seen every item there is to vote on."


async def test_a_vote_for_an_item_the_phone_was_not_shown_is_refused(
    phone: Phone, store: SessionStore
) -> None:
    await big_round(store, 60)
    shown = {int(i) for i in VOTE_FIELD.findall(await phone.open())}
    unseen = next(c.id for c in store.contributions(ROUND) if c.id not in shown)
    response = await phone.post("vote", {"round": ROUND, f"v{unseen}": "1"}, json=True)
    assert response.status == 400
    assert store.votes(ROUND) == []


async def test_a_resent_form_is_stored_once(phone: Phone, store: SessionStore) -> None:
    html = await phone.open()
    nonce = re.search(r'name="nonce" value="([A-Za-z0-9_-]+)"', html)
    assert nonce, "the send form carries a nonce"
    form = {"text": "maar één keer", "round": "checkin", "nonce": nonce.group(1)}
    first = await phone.post("send", form, json=True)
    again = await phone.post("send", form, json=True)
    assert first.status == again.status == 200
    assert (await first.json())["id"] == (await again.json())["id"]
    assert [c.text for c in store.contributions("checkin")] == ["maar één keer"]


@pytest.fixture
async def tight(store: SessionStore) -> AsyncIterator[TestClient]:
    """A server that takes one request at a time."""
    app = create_app(store, limits=Limits(submissions=1000, votes=1000, joins=1000),
                     max_in_flight=1)
    async with TestClient(TestServer(app)) as client:
        yield client


async def test_past_the_bounded_queue_the_answer_is_503_at_once_and_nothing_is_stored(
    tight: TestClient, store: SessionStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    phone = Phone(tight, store.info.join_token, scanned(store))
    await phone.join(lang="nl")
    release = asyncio.Event()
    real = store.add_contribution

    async def slow(*args: Any, **kwargs: Any) -> Any:
        await release.wait()
        return await real(*args, **kwargs)

    monkeypatch.setattr(store, "add_contribution", slow)
    first = asyncio.ensure_future(phone.send("eerste"))
    await asyncio.sleep(0.05)
    busy = await phone.send("tweede")
    assert busy.status == 503 and busy.headers["Retry-After"] == "2"
    assert "Je tekst blijft bewaard" in (await busy.json())["message"]
    release.set()
    assert (await first).status == 200
    assert [c.text for c in store.contributions("checkin")] == ["eerste"]
    again = await phone.send("tweede")  # the page's script sends it again after Retry-After
    assert again.status == 200


async def read_events(response: Any, count: int, timeout: float = 3.0) -> list[tuple[str, Any]]:
    events: list[tuple[str, Any]] = []
    name = "message"
    async with asyncio.timeout(timeout):
        async for raw in response.content:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                events.append((name, orjson.loads(line[6:])))
                if len(events) >= count:
                    return events
    return events


async def test_live_messages_carry_a_spread_and_a_phone_hears_of_its_own_items(
    phone: Phone, new_phone: Any, store: SessionStore
) -> None:
    sent = await (await phone.send("mijn knelpunt")).json()
    other = await new_phone()
    await other.join()
    mine = await phone.client.get(f"/j/{phone.token}/events")
    theirs = await other.client.get(f"/j/{other.token}/events")
    [(name, state)] = await read_events(mine, 1)
    assert name == "state" and "spread_ms" in state and state["spread_ms"] < 100
    await read_events(theirs, 1)
    await store.update_contributions([sent["id"]], hidden=True)  # the facilitator hides it
    [(name, _)] = await read_events(mine, 1)
    assert name == "mine"
    with pytest.raises(TimeoutError):
        await read_events(theirs, 1, timeout=0.5)  # the other phone hears nothing of it
    await store.add_contribution("checkin", "van iemand anders", source=Source.TUI)
    with pytest.raises(TimeoutError):
        await read_events(mine, 1, timeout=0.5)  # nor of every new item
    mine.close()
    theirs.close()


async def test_the_wall_shows_a_top_and_how_many_saw_each_item(
    phone: Phone, new_phone: Any, store: SessionStore
) -> None:
    await big_round(store, 40)
    for _ in range(6):
        voter = await new_phone()
        await voter.join()
        shown = VOTE_FIELD.findall(await voter.open())
        await voter.post("vote", {"round": ROUND, f"v{shown[0]}": "2", f"v{shown[1]}": "1"})
    await store.update_round(ROUND, voting_open=False)
    html = await (await phone.client.get(f"/wall/{wall_token(store.info.secret)}?lang=en")).text()
    assert "items rank by votes per person who saw them" in html
    assert html.count("seen by 3") >= 1
    assert "Contributions: 40" in html
    assert html.count('<li value="') <= 20


async def test_a_round_change_brings_the_new_page_with_it_when_it_is_the_same_for_all(
    phone: Phone, store: SessionStore
) -> None:
    """Moving on to a round no phone has sent anything in: the message carries the page, in
    the phone's language, so no phone needs to ask for it. Coming back to a round where
    phones did send something: each phone reloads its own page."""
    events = await phone.client.get(f"/j/{phone.token}/events")
    await read_events(events, 1)
    await store.go_to_round(1)
    [(name, state)] = await read_events(events, 1)
    assert name == "state" and state["reload"] is False
    assert "Bottleneck analysis" in state["page"] and 'name="csrf" value=""' in state["page"]
    await phone.send("mijn knelpunt", round_id="knelpunten")
    await store.go_to_round(0)
    await read_events(events, 1)
    await store.go_to_round(1)  # back to a round this phone sent something in
    [(name, state)] = await read_events(events, 1)
    assert state.get("reload") is not False and "page" not in state
    events.close()
