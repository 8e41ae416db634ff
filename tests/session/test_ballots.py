"""What a device is shown to vote on, what it may vote on, and the store under pressure."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

import facilitator.session.store as store_module
from facilitator.core.errors import Reason, Refused
from facilitator.core.model import Source
from facilitator.session.store import Busy, SessionStore

ROUND = "knelpunten"  # dots: 5 dots, at most 2 per item; sample size 20 (the default)


async def fill(store: SessionStore, n: int) -> list[int]:
    await store.update_round(ROUND, submissions_open=True)
    added = await asyncio.gather(*[store.add_contribution(ROUND, f"knelpunt {i}",
                                                          source=Source.TUI) for i in range(n)])
    await store.update_round(ROUND, voting_open=True)
    return [c.id for c in added]


async def test_a_small_round_shows_every_item_and_records_that_it_did(store: SessionStore) -> None:
    ids = await fill(store, 6)
    shown = await store.ballot_items("phone", ROUND)
    assert sorted(c.id for c in shown) == ids
    assert [s.set_no for s in store.samples(ROUND)] == [0]
    again = await store.ballot_items("phone", ROUND)
    assert [c.id for c in again] == [c.id for c in shown], "the same order on every reload"
    assert len(store.samples(ROUND)) == 1, "nothing new to record"
    late = await store.add_contribution(ROUND, "laat", source=Source.TUI)
    assert late.id in {c.id for c in await store.ballot_items("phone", ROUND)}
    assert store.ranking(ROUND).seen_by(late.id) == 1
    assert not store.ranking(ROUND).sampled


async def test_a_device_votes_only_on_what_it_was_shown(store: SessionStore) -> None:
    ids = await fill(store, 30)
    shown = {c.id for c in await store.ballot_items("phone", ROUND)}
    assert len(shown) == 20
    unseen = next(cid for cid in ids if cid not in shown)
    with pytest.raises(Refused) as refused:
        await store.cast_ballot("phone", ROUND, {unseen: 1})
    assert refused.value.reason is Reason.UNKNOWN_ITEM
    with pytest.raises(Refused):
        await store.cast_ballot("never-loaded", ROUND, {ids[0]: 1})
    await store.cast_ballot("phone", ROUND, {next(iter(shown)): 2})


async def test_big_rounds_deal_stable_balanced_samples(store: SessionStore) -> None:
    ids = await fill(store, 100)
    first = [c.id for c in await store.ballot_items("d0", ROUND)]
    assert len(first) == 20 and len(set(first)) == 20
    assert [c.id for c in await store.ballot_items("d0", ROUND)] == first, "stable"
    for n in range(1, 50):
        await store.ballot_items(f"d{n}", ROUND)
    ranking = store.ranking(ROUND)
    assert ranking.sampled
    assert ranking.exposure_spread() == (10, 10), "50 devices × 20 items over 100: ten each"
    seen = Counter(cid for s in store.samples(ROUND) for cid in s.items)
    assert set(seen) == set(ids)
    await store.close()
    again = SessionStore.open(store.path, read_only=True)
    assert [c.id for c in await again.ballot_items("d0", ROUND)] == first, "after a restart"
    assert again.ranking(ROUND).exposure_spread() == (10, 10)


async def test_another_set_shows_new_items_and_keeps_the_votes_given(
    store: SessionStore,
) -> None:
    await fill(store, 45)
    first = [c.id for c in await store.ballot_items("phone", ROUND)]
    await store.cast_ballot("phone", ROUND, {first[0]: 2, first[1]: 1})
    await store.another_set("phone", ROUND)
    second = [c.id for c in await store.ballot_items("phone", ROUND)]
    assert len(second) == 20 and not set(second) & set(first)
    # the form of the second set sends its own items only: the first set's votes stay
    with pytest.raises(Refused) as over:
        await store.cast_ballot("phone", ROUND, {second[0]: 2, second[1]: 1})
    assert over.value.reason is Reason.OVER_BUDGET, "3 dots kept + 3 new > 5"
    await store.cast_ballot("phone", ROUND, {**dict.fromkeys(second, 0), second[0]: 2})
    assert store.ballot("phone", ROUND) == {first[0]: 2, first[1]: 1, second[0]: 2}
    await store.another_set("phone", ROUND)
    third = [c.id for c in await store.ballot_items("phone", ROUND)]
    assert len(third) == 5, "only five items were left unseen"
    with pytest.raises(Refused) as none_left:
        await store.another_set("phone", ROUND)
    assert none_left.value.reason is Reason.NO_MORE_ITEMS


async def test_another_set_in_a_small_round_is_refused(store: SessionStore) -> None:
    await fill(store, 5)
    await store.ballot_items("phone", ROUND)
    with pytest.raises(Refused) as refused:
        await store.another_set("phone", ROUND)
    assert refused.value.reason is Reason.NO_MORE_ITEMS


async def test_own_items_are_left_out_of_samples_where_the_rule_forbids_them(
    store: SessionStore,
) -> None:
    """oplossingen: scores, not on one's own ideas."""
    await store.join("author", lang="nl")
    await store.update_round("oplossingen", submissions_open=True)
    own = [(await store.add_contribution("oplossingen", f"mijn {i}", author="author")).id
           for i in range(3)]
    await asyncio.gather(*[store.add_contribution("oplossingen", f"idee {i}",
                                                  source=Source.TUI) for i in range(40)])
    await store.update_round("oplossingen", voting_open=True)
    shown = {c.id for c in await store.ballot_items("author", "oplossingen")}
    assert len(shown) == 20 and not shown & set(own)


async def test_a_resent_submission_is_stored_once(store: SessionStore) -> None:
    await store.join("phone", lang="nl")
    await store.update_round("checkin", submissions_open=True)
    first, again = await asyncio.gather(
        store.add_contribution("checkin", "één keer", author="phone", nonce="n0nce-abc"),
        store.add_contribution("checkin", "één keer", author="phone", nonce="n0nce-abc"),
    )
    later = await store.add_contribution("checkin", "één keer", author="phone", nonce="n0nce-abc")
    assert first.id == again.id == later.id
    assert [c.text for c in store.contributions("checkin")] == ["één keer"]
    other = await store.add_contribution("checkin", "één keer", author="phone", nonce="n0nce-xyz")
    assert other.id != first.id


async def test_a_change_whose_caller_left_before_its_commit_is_not_made(
    store: SessionStore,
) -> None:
    kept = asyncio.ensure_future(store.add_contribution("checkin", "blijft", source=Source.TUI))
    gone = asyncio.ensure_future(store.add_contribution("checkin", "weg", source=Source.TUI))
    await asyncio.sleep(0)  # both are queued; the commit task has not started on them
    gone.cancel()  # the phone hung up (aiohttp cancels the handler, and with it this wait)
    await kept
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert [c.text for c in store.contributions("checkin")] == ["blijft"]


async def test_past_a_bounded_queue_the_store_says_busy_at_once(
    store: SessionStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "MAX_QUEUED", 10)
    accepted = [asyncio.ensure_future(store.add_contribution("checkin", f"n{i}",
                                                             source=Source.TUI))
                for i in range(10)]
    await asyncio.sleep(0)  # all ten are queued
    with pytest.raises(Busy):
        await store.add_contribution("checkin", "te veel", source=Source.TUI)
    assert len(await asyncio.gather(*accepted)) == 10
    assert (await store.add_contribution("checkin", "weer ruimte", source=Source.TUI)).id == 11
