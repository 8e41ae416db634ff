"""A room's organiser link on the real participant server (127.0.0.1): the read-only summary
behind its own secret, refused when wrong, revoked or switched off, never on a participant's
page, built once per commit and following the room's anonymity rule."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from event_sessions import PEOPLE, REFUGEE_TEXTS, RoomFixture, fill_room, template_of
from multidict import CIMultiDict

from facilitator.session import summary as summary_module
from facilitator.session.store import SessionStore
from facilitator.session.summary import read_summary
from facilitator.web.server import ParticipantServer


@pytest.fixture
async def room(tmp_path: Path) -> AsyncIterator[tuple[SessionStore, ParticipantServer]]:
    """Room A of the event, running: its store open for writing, its server on 127.0.0.1."""
    store = SessionStore.create(tmp_path / "zaal-a.json", template_of("a"),
                                session_id="zaal-a", title="Zaal A", lang="nl",
                                join_token="join-token-room-a-0123")
    await fill_room(store, "a", RoomFixture("a", store.path, "zaal-a"))
    await store.go_to_round(1)
    server = ParticipantServer(store, host="127.0.0.1", port=0)
    await server.start()
    try:
        yield store, server
    finally:
        await server.stop()
        await store.close()


async def _get(url: str, **headers: str) -> tuple[int, CIMultiDict[str], bytes]:
    async with aiohttp.ClientSession() as client, client.get(url, headers=headers) as response:
        return response.status, response.headers.copy(), await response.read()


async def test_the_summary_behind_the_organiser_link(room) -> None:  # type: ignore[no-untyped-def]
    store, server = room
    assert server.organiser_url == f"{server.base_url}/o/{store.info.organiser_secret}"
    status, headers, body = await _get(server.organiser_url)
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    summary = read_summary(body)
    assert (summary.session_id, summary.participants) == ("zaal-a", sum(
        n for _g, n in PEOPLE["a"]))
    assert summary.now.round_id == "knelpunten" and summary.now.submissions_open
    knelpunten = next(r for r in summary.rounds if r.id == "knelpunten")
    assert {t.name for t in knelpunten.themes} == {"Geld", "Taal en communicatie"}
    # As anonymous as the room's report: the refugee-led item is not labelled, and the groups
    # in the pool have no figures.
    refugee = next(i for i in knelpunten.top if i.text == REFUGEE_TEXTS["a"])
    assert refugee.group == ""
    assert any(i.group == "municipality" for i in knelpunten.top)
    groups = {g.id: g for g in summary.groups}
    assert groups["refugee_led"].present == 1 and groups["refugee_led"].contributions is None
    assert groups["civil_society"].contributions is None  # pooled with the small ones
    assert groups["municipality"].contributions == 4
    assert set(summary.pooled) == {"refugee_led", "civil_society", ""}
    assert summary.actions == 1 and summary.recent_actions[0].owner == "Gemeente Zwolle"


async def test_unchanged_is_304_and_a_commit_makes_a_new_one(  # type: ignore[no-untyped-def]
        room, monkeypatch: pytest.MonkeyPatch) -> None:
    store, server = room
    built = []
    real = summary_module.build_summary
    monkeypatch.setattr(summary_module, "build_summary",
                        lambda s, now=None: built.append(1) or real(s, now))
    status, headers, body = await _get(server.organiser_url)
    assert status == 200
    etag = headers["ETag"]
    for _ in range(20):  # the organiser's laptop asks again and again: nothing is rebuilt
        status, again, body = await _get(server.organiser_url, **{"If-None-Match": etag})
        assert (status, body, again["ETag"]) == (304, b"", etag)
    assert len(built) == 1
    await store.add_contribution("knelpunten", "Nieuw knelpunt", author="a-municipality-4")
    status, headers, body = await _get(server.organiser_url, **{"If-None-Match": etag})
    assert status == 200 and headers["ETag"] != etag
    assert read_summary(body).contributions == 9
    assert len(built) == 2


async def test_a_wrong_revoked_or_switched_off_link_is_refused(room) -> None:  # type: ignore[no-untyped-def]
    store, server = room
    first = server.organiser_url
    wrong = first[:-4] + ("AAAA" if not first.endswith("AAAA") else "BBBB")
    status, _, body = await _get(wrong, Accept="application/json")
    assert status == 403 and b"organisatorlink" in body and b"municipality" not in body
    await store.set_organiser_link(on=True)  # a new link: the old one is revoked
    second = server.organiser_url
    assert second != first
    assert (await _get(first))[0] == 403
    assert (await _get(second))[0] == 200
    await store.set_organiser_link(on=False)  # switched off: every link refused
    assert server.organiser_url is None
    for url in (first, second):
        status, _, body = await _get(url, Accept="application/json", **{
            "Accept-Language": "en"})
        assert status == 403 and b"organiser link is not valid" in body
    await store.set_organiser_link(on=True)
    assert (await _get(server.organiser_url))[0] == 200


async def test_the_secret_is_never_on_a_participants_page(room) -> None:  # type: ignore[no-untyped-def]
    store, server = room
    secret = store.info.organiser_secret
    assert secret and secret not in server.join_url
    for url in (server.join_url, server.wall_url, f"{server.wall_url}/qr.svg"):
        status, headers, body = await _get(url)
        assert status == 200
        assert secret.encode() not in body and secret not in str(headers)


async def test_guesses_at_the_secret_are_rate_limited(tmp_path: Path) -> None:
    """Wrong links are limited per address, and apart from the right one: someone guessing from
    the address the organiser shares (a venue's NAT) cannot lock the organiser out."""
    from facilitator.web.guard import Limits

    store = SessionStore.create(tmp_path / "zaal.json", template_of("b"), session_id="zaal",
                                title="Zaal", lang="nl", join_token="join-token-room-x-0123")
    server = ParticipantServer(store, host="127.0.0.1", port=0,
                               limits=Limits(ip_organiser=5, ip_organiser_guesses=3))
    await server.start()
    try:
        assert server.organiser_url is not None
        guess = f"{server.base_url}/o/{'A' * 32}"
        venue = {"X-Forwarded-For": "10.0.0.9"}  # through a local proxy: one address
        for _ in range(3):
            assert (await _get(guess, **venue))[0] == 403
        status, headers, _ = await _get(guess, **venue)
        assert status == 429 and headers["Retry-After"] == "60"
        for _ in range(5):  # the organiser, from the same address, is not locked out
            assert (await _get(server.organiser_url, **venue))[0] == 200
        assert (await _get(guess, **venue))[0] == 429  # and the guesser still is
        assert (await _get(server.organiser_url, **venue))[0] == 429  # its own limit
        assert (await _get(guess, **{"X-Forwarded-For": "10.0.0.10"}))[0] == 403
    finally:
        await server.stop()
        await store.close()
