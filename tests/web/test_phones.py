"""Phones as they really behave, with scripts off: a browser that reads the page's forms and
posts exactly what they hold (formclient.py). Back after a send, a double tap, a reload while
sending, two tabs, a join code that expires while the form is open, a page load answered 503
after a send, a page from before the round changed. After each, what the phone shows is what
the session's file holds, and every "sent" is in it exactly once.

A network less kind than loopback (tests/netproxy.py) loses a send and its answer. The same
situations in a real browser with the page's script are in test_phones_browser.py."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest
from browser_helpers import free_port
from formclient import Browser
from netproxy import UnkindNetwork
from phones_helpers import SENT, NoScriptPhone, english, held
from test_host import hosted, new_session

from facilitator.core.errors import Reason
from facilitator.core.joining import GRACE_S, ROTATE_S
from facilitator.core.model import Source
from facilitator.session.store import SessionStore
from facilitator.web import sentences as say
from facilitator.web.pages import CONFIG
from facilitator.web.server import ParticipantServer

ROUND = "knelpunten"  # dots: 5, at most 2 per item
EDITED = english(say.EDITED)
VOTED = english(say.VOTED)


class Clock:
    """The wall clock the room's join code follows, moved by the test."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def server(store: SessionStore, clock: Clock) -> AsyncIterator[ParticipantServer]:
    await store.go_to_round(1)
    running = ParticipantServer(store, host="127.0.0.1", port=free_port(), clock=clock)
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def new_phone(server: ParticipantServer, store: SessionStore, clock: Clock
                    ) -> AsyncIterator[Callable[[], NoScriptPhone]]:
    made: list[NoScriptPhone] = []

    def make() -> NoScriptPhone:
        phone = NoScriptPhone(server.base_url, store, clock)
        made.append(phone)
        return phone

    yield make
    for phone in made:
        await phone.close()


def shows_what_is_held(page_mine: list[str], store: SessionStore, device: str) -> None:
    file = held(store.path, device)
    assert page_mine == file.mine, (page_mine, file.mine)


async def test_back_after_a_send_and_another_idea_from_the_old_form(
        store: SessionStore, new_phone: Callable[[], NoScriptPhone]) -> None:
    phone = new_phone()
    tab = phone.tab()
    page = await phone.join(tab)
    form = page.form("/send")
    form.fill("text", "idee A")
    after_a = await tab.submit(form)
    assert after_a.said() == SENT and after_a.mine() == ["idee A"]

    old = tab.back()  # the page as it was: its form still holds idea A's key
    form = old.form("/send")
    form.fill("text", "idee C")
    after_c = await tab.submit(form)

    file = held(store.path, phone.device)
    assert after_c.said() == SENT
    assert file.every_text == ["idee A", "idee C"], "told 'sent', so it must be stored"
    assert after_c.mine() == file.mine


async def test_a_double_tap_on_send_stores_the_idea_once(
        store: SessionStore, new_phone: Callable[[], NoScriptPhone]) -> None:
    phone = new_phone()
    tab = phone.tab()
    form = (await phone.join(tab)).form("/send")
    form.fill("text", "twee keer getikt")
    # the second tap goes out before the first is answered; the browser shows the last answer
    first, second = await asyncio.gather(tab.submit(form), tab.submit(form))

    file = held(store.path, phone.device)
    assert first.said() == second.said() == SENT
    assert file.every_text == ["twee keer getikt"]
    assert second.mine() == file.mine


@pytest.mark.parametrize("aborted", ["before its commit", "during its commit"])
async def test_a_reload_while_sending_shows_what_was_stored(
        store: SessionStore, new_phone: Callable[[], NoScriptPhone],
        monkeypatch: pytest.MonkeyPatch, aborted: str) -> None:
    phone = new_phone()
    tab = phone.tab()
    form = (await phone.join(tab)).form("/send")
    form.fill("text", "halverwege herladen")
    slow = asyncio.Event()  # the laptop's disk, or its queue, is slow at this moment
    reached = asyncio.Event()
    if aborted == "before its commit":
        real = store.add_contribution

        async def queued(*args: object, **kwargs: object) -> object:
            reached.set()
            await slow.wait()
            return await real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(store, "add_contribution", queued)
    else:
        commit = store.file.commit

        async def writing() -> None:
            reached.set()
            await slow.wait()
            await commit()

        monkeypatch.setattr(store.file, "commit", writing)
    sending = asyncio.ensure_future(tab.submit(form))
    await asyncio.wait_for(reached.wait(), 5)
    sending.cancel()  # the reload aborts the send (its connection closes) ...
    reloaded = await tab.reload()  # ... and loads the page again
    slow.set()
    await asyncio.sleep(0.2)
    with pytest.raises(asyncio.CancelledError):
        await sending

    file = held(store.path, phone.device)
    assert reloaded.said() != SENT  # nobody said it arrived
    if aborted == "before its commit":
        assert file.every_text == [] and reloaded.mine() == []
    else:  # it was on its way to the disk: the page shows it, and the file has it
        assert file.every_text == ["halverwege herladen"] == reloaded.mine()
    again = await tab.reload()
    assert again.mine() == held(store.path, phone.device).mine


async def test_two_tabs_an_edit_from_the_older_tab_is_refused_and_keeps_its_text(
        store: SessionStore, new_phone: Callable[[], NoScriptPhone]) -> None:
    phone = new_phone()
    first_tab = phone.tab()
    form = (await phone.join(first_tab)).form("/send")
    form.fill("text", "versie 1")
    page = await first_tab.submit(form)
    second_tab = phone.tab()
    other = await second_tab.open(page.url)  # the same page in a second tab
    [item] = store.own_contributions(ROUND, phone.device)
    edit_here = page.form(f"/edit/{item.id}")
    edit_there = other.form(f"/edit/{item.id}")

    edit_here.fill("text", "versie 2")
    saved = await first_tab.submit(edit_here)
    edit_there.fill("text", "versie 3")  # the older tab still shows "versie 1"
    refused = await second_tab.submit(edit_there)

    file = held(store.path, phone.device)
    assert saved.said() == EDITED and saved.mine() == ["versie 2"]
    assert refused.status == 409
    assert refused.said() == english(say.REFUSALS[Reason.CHANGED_SINCE])
    assert refused.tree.find("textarea", id="draft").text() == "versie 3"  # type: ignore[union-attr]
    assert file.mine == ["versie 2"], "the newer edit, told 'saved', stays"
    assert (await second_tab.follow()).mine() == file.mine  # its Back link


async def ballot_page(store: SessionStore, phone: NoScriptPhone, tab: Browser) -> list[int]:
    """Items in the round, voting open, the ballot loaded in ``tab``."""
    ids = [(await store.add_contribution(ROUND, f"knelpunt {n}", source=Source.TUI)).id
           for n in range(4)]
    await store.update_round(ROUND, voting_open=True)
    await tab.open(f"/j/{store.info.join_token}")
    return ids


async def test_two_tabs_a_ballot_from_the_older_tab_does_not_undo_the_newer(
        store: SessionStore, new_phone: Callable[[], NoScriptPhone]) -> None:
    phone = new_phone()
    first_tab = phone.tab()
    await phone.join(first_tab)
    a, b, *_ = await ballot_page(store, phone, first_tab)
    second_tab = phone.tab()
    await second_tab.open(first_tab.page.url)

    here = first_tab.page.form("/vote")
    here.pick(f"v{a}", "2")
    saved = await first_tab.submit(here)
    there = second_tab.page.form("/vote")
    there.pick(f"v{b}", "2")  # this tab shows no vote on a: saving it would take a's back
    refused = await second_tab.submit(there)

    file = held(store.path, phone.device)
    assert saved.said() == VOTED and saved.ballot() == {a: 2}
    assert refused.status == 409
    assert refused.said() == english(say.REFUSALS[Reason.BALLOT_CHANGED])
    assert file.ballot == {a: 2}, "the newer ballot, told 'saved', stays"
    assert (await second_tab.follow()).ballot() == file.ballot  # its Back link


async def test_a_ballot_saved_twice_from_one_page_is_saved_once(
        store: SessionStore, new_phone: Callable[[], NoScriptPhone]) -> None:
    phone = new_phone()
    tab = phone.tab()
    await phone.join(tab)
    a, b, *_ = await ballot_page(store, phone, tab)
    form = tab.page.form("/vote")
    form.pick(f"v{a}", "2")
    form.pick(f"v{b}", "1")
    first, second = await asyncio.gather(tab.submit(form), tab.submit(form))  # a double tap

    file = held(store.path, phone.device)
    assert first.said() == second.said() == VOTED
    assert file.ballot == {a: 2, b: 1} == second.ballot()
    back = tab.back()  # the page as the phone left it, the same ballot: saved as it is
    assert (await tab.submit(back.form("/vote"))).said() == VOTED
    assert held(store.path, phone.device).ballot == {a: 2, b: 1}


async def test_a_join_code_that_expires_before_start_is_pressed(
        store: SessionStore, new_phone: Callable[[], NoScriptPhone], clock: Clock) -> None:
    late = new_phone()
    tab = late.tab()
    page = await tab.open(late.link)  # scanned; the form is filled in slowly
    joined = new_phone()
    await joined.join()
    clock.now += ROTATE_S + GRACE_S + 1

    refused = await tab.submit(page.form("/join"))
    form = joined.tabs[0].page.form("/send")
    form.fill("text", "na de nieuwe code")
    sent = await joined.tabs[0].submit(form)  # a device that joined needs no code again

    assert refused.status == 403
    assert refused.said() == english(say.REFUSALS[Reason.CODE_NOT_VALID])
    assert not held(store.path, late.device).joined
    file = held(store.path, joined.device)
    assert sent.said() == SENT and file.mine == ["na de nieuwe code"] == sent.mine()
    rescanned = await tab.open(late.link)  # the code on the screen now
    assert (await tab.submit(rescanned.form("/join"))).has_form("/send")
    assert held(store.path, late.device).joined


async def test_the_page_after_a_send_answered_503_then_another_idea(
        store: SessionStore, server: ParticipantServer,
        new_phone: Callable[[], NoScriptPhone], monkeypatch: pytest.MonkeyPatch) -> None:
    phone = new_phone()
    tab = phone.tab()
    form = (await phone.join(tab)).form("/send")
    config = server.app[CONFIG]
    real = store.add_contribution

    async def then_swamped(*args: object, **kwargs: object) -> object:
        stored = await real(*args, **kwargs)  # type: ignore[arg-type]
        config.max_in_flight = 0  # the page load after this send finds the laptop swamped
        return stored

    monkeypatch.setattr(store, "add_contribution", then_swamped)
    form.fill("text", "idee A")
    busy = await tab.submit(form)
    assert busy.status == 503 and busy.said() == english(say.BUSY)
    monkeypatch.setattr(store, "add_contribution", real)
    config.max_in_flight = 256

    old = tab.back()  # the form the phone still has: idea A's key, idea A's text
    assert old.form("/send").value("text") == "idee A"
    resent = await tab.submit(old.form("/send"))  # "did it arrive?": sent again as it is
    form = tab.back().form("/send")
    form.fill("text", "idee C")
    after_c = await tab.submit(form)

    file = held(store.path, phone.device)
    assert resent.said() == after_c.said() == SENT
    assert file.every_text == ["idee A", "idee C"]
    assert after_c.mine() == file.mine


async def test_a_page_from_before_the_round_changed(
        store: SessionStore, new_phone: Callable[[], NoScriptPhone]) -> None:
    phone = new_phone()
    tab = phone.tab()
    page = await phone.join(tab)
    await store.go_to_round(2)  # the facilitator moves on; this phone hears nothing of it
    form = page.form("/send")
    form.fill("text", "voor de vorige vraag")
    refused = await tab.submit(form)

    assert refused.status == 409
    assert refused.said() == english(say.REFUSALS[Reason.ROUND_CLOSED])
    assert refused.tree.find("textarea", id="draft").text() == "voor de vorige vraag"  # type: ignore[union-attr]
    assert held(store.path, phone.device).every_text == []
    assert [c.text for c in store.own_contributions(ROUND, phone.device)] == []

    await store.go_to_round(1)  # and back: the old page's round is the current one again
    tab.back()
    sent = await tab.submit(form)
    file = held(store.path, phone.device)
    assert sent.said() == SENT and file.every_text == ["voor de vorige vraag"] == sent.mine()


@pytest.mark.timeout(60)
async def test_in_the_host_process_too(tmp_path: Path) -> None:
    """``facilitator run`` serves the phones from a process of its own (facilitator.host) and the
    facilitator's changes go there through its copy: the same rule holds for both."""
    path = await new_session(tmp_path)
    server, copy = await hosted(path)
    phone = NoScriptPhone(server.base_url, copy)
    try:
        await copy.go_to_round(1)
        tab = phone.tab()
        form = (await phone.join(tab)).form("/send")
        form.fill("text", "idee A")
        page = await tab.submit(form)
        form = tab.back().form("/send")
        form.fill("text", "idee C")
        after_c = await tab.submit(form)
        assert after_c.said() == SENT
        assert held(path, phone.device).every_text == ["idee A", "idee C"]

        [item, _] = held_items = [c for c in copy.contributions(ROUND) if c.author]
        assert [c.text for c in held_items] == ["idee A", "idee C"]  # the TUI's copy follows
        await copy.edit_contribution(item.id, "idee A (spelling)")  # the facilitator
        edit = page.form(f"/edit/{item.id}")  # the phone's page still shows "idee A"
        edit.fill("text", "idee A, anders")
        refused = await tab.submit(edit)
        assert refused.status == 409
        assert refused.said() == english(say.REFUSALS[Reason.CHANGED_SINCE])
        assert held(path, phone.device).mine == ["idee A (spelling)", "idee C"]
    finally:
        await phone.close()
        await server.stop()
        await copy.close()


@pytest.mark.parametrize("lost", ["the request", "the answer"])
async def test_a_send_the_network_lost_then_sent_again(
        store: SessionStore, server: ParticipantServer, clock: Clock,
        monkeypatch: pytest.MonkeyPatch, lost: str) -> None:
    """Without the script, the browser shows that it has no connection; the participant sends
    the same form again once it is back."""
    async with UnkindNetwork(server.port, segment=1448, delay=0.001) as net:
        phone = NoScriptPhone(f"http://127.0.0.1:{net.port}", store, clock)
        try:
            tab = phone.tab()
            form = (await phone.join(tab)).form("/send")
            form.fill("text", "zonder wifi")
            if lost == "the request":
                net.down = True
                net.blink()
            else:  # it arrives and is stored; the Wi-Fi goes before the answer is back
                real = store.add_contribution

                async def then_blink(*args: object, **kwargs: object) -> object:
                    stored = await real(*args, **kwargs)  # type: ignore[arg-type]
                    net.blink()
                    return stored

                monkeypatch.setattr(store, "add_contribution", then_blink)
            with pytest.raises(aiohttp.ClientError):
                await tab.submit(form)
            monkeypatch.undo()
            net.down = False
            again = await tab.submit(form)  # the same form, pressed again

            file = held(store.path, phone.device)
            assert again.said() == SENT
            assert file.every_text == ["zonder wifi"] == again.mine()
        finally:
            await phone.close()
