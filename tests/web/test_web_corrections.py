"""Corrections as the room sees them: a day chair's line corrected, re-addressed or removed
reaches the phones (over their live connection) and the wall; a contribution the facilitator
hid says so on its author's phone, in the phone's language; tables are the session's."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import ClientResponse, ClientTimeout
from aiohttp.test_utils import TestClient
from conftest import Phone, scanned

from facilitator.core.joining import wall_token
from facilitator.i18n import PARTICIPANT_LANGUAGES, translations
from facilitator.session.store import SessionStore

HIDDEN = "Hidden by the facilitator: the room does not see it."


async def next_state(response: ClientResponse, timeout: float = 3.0) -> bytes:
    """The next ``state`` message of a live connection."""
    buffer = b""
    async with asyncio.timeout(timeout):
        while b"event: state" not in buffer or not buffer.endswith(b"\n\n"):
            buffer += await response.content.readany()
    return buffer


def key_of(message: bytes) -> str:
    return message.split(b'"key":"', 1)[1].split(b'"', 1)[0].decode()


async def test_a_corrected_line_reaches_the_phones_and_the_wall(
        client: TestClient, store: SessionStore) -> None:
    await store.go_to_round(4)  # oogst: the closing distillation round
    phone = Phone(client, store.info.join_token, scanned(store))
    await phone.join("en")
    line = await store.add_note("oogst", "Betrek migrantenorganisaties eerder.",
                                addressed_to=("migrant_org",))
    live = await client.get(f"/j/{phone.token}/events", timeout=ClientTimeout(total=10))
    before = key_of(await next_state(live))
    wall_url = f"/wall/{wall_token(store.info.secret)}?lang=en"

    # The same number of lines, another text and other groups: the phones still reload.
    await store.edit_line(line.id, "Betrek migrantenorganisaties voordat het beleid vastligt.",
                          addressed_to=("municipality",))
    corrected = key_of(await next_state(live))
    assert corrected != before
    page = await phone.open()
    assert "To: Municipality" in page and "To: Migrant organisation" not in page
    assert "voordat het beleid vastligt." in page and "eerder." not in page
    wall = await (await client.get(wall_url)).text()
    assert "To: Municipality" in wall and "voordat het beleid vastligt." in wall
    assert "eerder." not in wall

    await store.remove_note(line.id)
    assert key_of(await next_state(live)) not in (before, corrected)
    page = await phone.open()
    assert "voordat het beleid vastligt." not in page and "The day chair's lines" not in page
    wall = await (await client.get(wall_url)).text()
    assert "voordat het beleid vastligt." not in wall
    live.close()


@pytest.mark.parametrize("lang", sorted(PARTICIPANT_LANGUAGES))
async def test_the_author_is_told_the_facilitator_hid_it(
        client: TestClient, store: SessionStore, lang: str) -> None:
    phone = Phone(client, store.info.join_token, scanned(store))
    await phone.join(lang)
    hidden = (await (await phone.send("Een te persoonlijk voorbeeld")).json())["id"]
    withdrawn = (await (await phone.send("Toch niet")).json())["id"]
    await phone.open()
    assert (await phone.post(f"withdraw/{withdrawn}", json=True)).status == 200
    live = await client.get(f"/j/{phone.token}/events", timeout=ClientTimeout(total=10))
    await next_state(live)
    await store.update_contributions([hidden], hidden=True)
    async with asyncio.timeout(3):  # the author's phone hears its contribution changed
        buffer = b""
        while b"event: mine" not in buffer:
            buffer += await live.content.readany()
    live.close()

    page = await phone.open()
    said = translations("web", lang).gettext(HIDDEN)
    assert lang == "en" or said != HIDDEN  # translated in every language but English
    assert "Een te persoonlijk voorbeeld" in page and said in page
    assert "Toch niet" not in page  # what it withdrew itself is gone, as before
    assert f"/edit/{hidden}" not in page and f"/withdraw/{hidden}" not in page
    await store.update_contributions([hidden], hidden=False)
    assert said not in await phone.open()


async def test_the_join_form_offers_the_sessions_tables(
        client: TestClient, store: SessionStore) -> None:
    await store.set_tables(["Noord", "Zuid"])
    await store.go_to_round(1)  # the bottleneck round: participants work at tables
    phone = Phone(client, store.info.join_token, scanned(store))
    page = await phone.open()
    assert 'value="Noord"' in page and 'value="Zuid"' in page and 'value="A"' not in page
    response = await phone.post("join", {"lang": "nl", "table": "A"})
    assert response.status == 400
    await phone.post("join", {"lang": "nl", "table": "Zuid"})
    assert [p.table_group for p in store.participants()] == ["Zuid"]
