"""An answer that says "stored" means this exact input is stored: a resend is recognised as the
same input, and a form from an older page neither loses its text nor undoes what came after it.

Each test is what a phone does to the store when its page is older than the session: a send
from a form whose key was used (back button, a page that did not reload), an edit or a ballot
from a page loaded before a newer one was saved (a second tab, the back button)."""

from __future__ import annotations

import asyncio

import pytest

from facilitator.core.errors import Reason, Refused
from facilitator.core.model import Source
from facilitator.session.store import SessionStore

ROUND = "knelpunten"  # dots: 5, at most 2 per item


@pytest.fixture
async def joined(store: SessionStore) -> SessionStore:
    await store.join("phone", lang="nl")
    await store.go_to_round(1)
    return store


def texts(store: SessionStore, author: str = "phone") -> list[str]:
    return [c.text for c in store.own_contributions(ROUND, author)]


async def test_another_text_sent_with_a_used_key_is_stored_as_well(joined: SessionStore) -> None:
    first = await joined.add_contribution(ROUND, "idee A", author="phone", nonce="form-one")
    # the phone went back to the same form, typed another idea and sent it
    second = await joined.add_contribution(ROUND, "idee C", author="phone", nonce="form-one")

    assert second.id != first.id
    assert (second.text, second.nonce) == ("idee C", "form-one")
    assert texts(joined) == ["idee A", "idee C"]


async def test_a_resend_of_either_text_is_the_same_contribution(joined: SessionStore) -> None:
    a = await joined.add_contribution(ROUND, "idee A", author="phone", nonce="form-one")
    c = await joined.add_contribution(ROUND, "idee C", author="phone", nonce="form-one")
    again_a, again_c = await asyncio.gather(
        joined.add_contribution(ROUND, "idee  A ", author="phone", nonce="form-one"),  # as typed
        joined.add_contribution(ROUND, "idee C", author="phone", nonce="form-one"))

    assert (again_a.id, again_c.id) == (a.id, c.id)
    assert texts(joined) == ["idee A", "idee C"]


async def test_a_resend_after_an_edit_is_still_the_contribution_it_was(
        joined: SessionStore) -> None:
    sent = await joined.add_contribution(ROUND, "idee A", author="phone", nonce="form-one")
    await joined.edit_contribution(sent.id, "idee A, beter", device_id="phone", was="idee A")
    # the answer to the send never arrived; the phone sends the form again
    again = await joined.add_contribution(ROUND, "idee A", author="phone", nonce="form-one")

    assert again.id == sent.id
    assert texts(joined) == ["idee A, beter"]


async def test_the_key_is_the_phones_own_and_the_rounds(joined: SessionStore) -> None:
    await joined.join("other", lang="nl")
    mine = await joined.add_contribution(ROUND, "zelfde", author="phone", nonce="form-one")
    theirs = await joined.add_contribution(ROUND, "zelfde", author="other", nonce="form-one")
    await joined.update_round("checkin", submissions_open=True)
    elsewhere = await joined.add_contribution("checkin", "zelfde", author="phone",
                                              nonce="form-one")

    assert len({mine.id, theirs.id, elsewhere.id}) == 3


async def test_a_resend_that_picks_another_bottleneck_is_a_new_idea(
        joined: SessionStore) -> None:
    bottlenecks = [(await joined.add_contribution(ROUND, f"knelpunt {n}",
                                                  source=Source.TUI)).id for n in range(2)]
    await joined.go_to_round(2)
    first = await joined.add_contribution("oplossingen", "buurtfonds", author="phone",
                                          nonce="form-two", links=(bottlenecks[0],))
    same = await joined.add_contribution("oplossingen", "buurtfonds", author="phone",
                                         nonce="form-two", links=(bottlenecks[0],))
    other = await joined.add_contribution("oplossingen", "buurtfonds", author="phone",
                                          nonce="form-two", links=(bottlenecks[1],))

    assert same.id == first.id
    assert other.id != first.id and other.links == (bottlenecks[1],)


async def test_the_key_survives_reopening(joined: SessionStore) -> None:
    path = joined.path
    sent = await joined.add_contribution(ROUND, "idee A", author="phone", nonce="form-one")
    await joined.close()
    again = SessionStore.open(path)
    try:
        resent = await again.add_contribution(ROUND, "idee A", author="phone", nonce="form-one")
        other = await again.add_contribution(ROUND, "idee C", author="phone", nonce="form-one")
        assert resent.id == sent.id and other.id != sent.id
        assert texts(again) == ["idee A", "idee C"]
    finally:
        await again.close()


# -- edits -------------------------------------------------------------------------------------


async def test_an_edit_from_a_page_older_than_the_text_is_refused(joined: SessionStore) -> None:
    item = await joined.add_contribution(ROUND, "versie 1", author="phone")
    await joined.edit_contribution(item.id, "versie 2", device_id="phone", was="versie 1")

    with pytest.raises(Refused) as refused:  # the other tab still shows "versie 1"
        await joined.edit_contribution(item.id, "versie 3", device_id="phone", was="versie 1")

    assert refused.value.reason is Reason.CHANGED_SINCE
    assert joined.contribution(item.id).text == "versie 2"  # type: ignore[union-attr]


async def test_an_edit_sent_again_is_the_same_edit(joined: SessionStore) -> None:
    item = await joined.add_contribution(ROUND, "versie 1", author="phone")
    first = await joined.edit_contribution(item.id, "versie 2", device_id="phone",
                                           was="versie 1")
    again = await joined.edit_contribution(item.id, "versie 2", device_id="phone",
                                           was="versie 1")

    assert again == first
    assert (first.text, first.original_text) == ("versie 2", "versie 1")


async def test_an_edit_over_the_facilitators_is_refused_and_the_facilitator_is_not(
        joined: SessionStore) -> None:
    item = await joined.add_contribution(ROUND, "versie 1", author="phone")
    await joined.edit_contribution(item.id, "versie 1 (spelling)")  # the facilitator, in the TUI

    with pytest.raises(Refused) as refused:
        await joined.edit_contribution(item.id, "versie 2", device_id="phone", was="versie 1")
    assert refused.value.reason is Reason.CHANGED_SINCE
    fixed = await joined.edit_contribution(item.id, "versie 2", device_id="phone",
                                           was="versie  1 (spelling)")  # the page's copy
    assert fixed.text == "versie 2"


async def test_a_withdrawal_sent_twice_is_answered_as_done(joined: SessionStore) -> None:
    item = await joined.add_contribution(ROUND, "weg ermee", author="phone")
    first = await joined.withdraw(item.id, "phone")
    again = await joined.withdraw(item.id, "phone")
    assert first.hidden and again.hidden and again.id == item.id
    with pytest.raises(Refused):
        await joined.withdraw(item.id, "someone else")


# -- ballots -----------------------------------------------------------------------------------


async def ballot_ready(store: SessionStore, n: int = 4) -> list[int]:
    ids = [(await store.add_contribution(ROUND, f"knelpunt {i}", source=Source.TUI)).id
           for i in range(n)]
    await store.update_round(ROUND, voting_open=True)
    await store.ballot_items("phone", ROUND)
    return ids


async def test_a_ballot_from_an_older_page_does_not_undo_a_newer_one(
        joined: SessionStore) -> None:
    a, b, c, _ = await ballot_ready(joined)
    page = joined.ballot_revision("phone", ROUND)  # both tabs load the ballot
    saved = await joined.cast_ballot("phone", ROUND, {a: 2, b: 0}, revision=page)
    assert saved == joined.ballot_revision("phone", ROUND) > page

    with pytest.raises(Refused) as refused:  # the older tab saves what it showed
        await joined.cast_ballot("phone", ROUND, {a: 0, b: 2}, revision=page)

    assert refused.value.reason is Reason.BALLOT_CHANGED
    assert joined.ballot("phone", ROUND) == {a: 2}
    newer = await joined.cast_ballot("phone", ROUND, {a: 1, c: 2}, revision=saved)
    assert joined.ballot("phone", ROUND) == {a: 1, c: 2} and newer > saved


async def test_a_ballot_sent_again_is_the_same_ballot(joined: SessionStore) -> None:
    a, b, *_ = await ballot_ready(joined)
    page = joined.ballot_revision("phone", ROUND)
    first = await joined.cast_ballot("phone", ROUND, {a: 2, b: 1}, revision=page)
    again = await joined.cast_ballot("phone", ROUND, {a: 2, b: 1}, revision=page)

    assert again == first
    assert joined.ballot("phone", ROUND) == {a: 2, b: 1}


async def test_the_ballots_revision_survives_reopening(joined: SessionStore) -> None:
    a, *_ = await ballot_ready(joined)
    saved = await joined.cast_ballot("phone", ROUND, {a: 2}, revision=0)
    path = joined.path
    await joined.close()
    again = SessionStore.open(path, read_only=True)
    try:
        assert again.ballot_revision("phone", ROUND) == saved > 0
        assert again.ballot_revision("someone", ROUND) == 0
    finally:
        await again.close()
