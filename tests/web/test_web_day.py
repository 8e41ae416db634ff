"""The day as the seeds run it, on the phone and the wall: template text in the participant's
language (or marked as the language it falls back to), the afternoon's ideas linked to the
morning's top bottlenecks, the day chair's lines, the timer, the counter and the join form."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from conftest import Phone, scanned

from facilitator.core.joining import wall_token
from facilitator.core.model import Contribution, Source
from facilitator.core.templates import parse_template
from facilitator.i18n import translations
from facilitator.session.library import Library
from facilitator.session.store import SessionStore
from facilitator.web.app import create_app
from facilitator.web.guard import Limits
from facilitator.web.live import PageKey

DUTCH_ONLY: dict[str, Any] = {
    "id": "buurtavond",
    "default_lang": "nl",
    "title": {"nl": "Buurtavond", "en": "Neighbourhood evening"},
    "description": {"nl": "Wat houdt de buurt tegen?", "en": "What holds the street back?"},
    "groups": [
        {"id": "residents", "name": {"nl": "Bewoners", "en": "Residents"}},
        {"id": "municipality", "name": {"nl": "Gemeente", "en": "Municipality",
                                        "ar": "البلدية"}},
    ],
    "rounds": [
        {"id": "knelpunten", "kind": "bottleneck", "minutes": 30,
         "title": {"nl": "Knelpunten", "en": "Bottlenecks"},
         "prompt": {"nl": "Wat staat in de weg?", "en": "What stands in the way?"}},
    ],
}
"""A user's template: Dutch and English, one group name in Arabic too."""

QUESTION_NOTICE = ("This question is shown in %(language)s: it has not been translated into "
                   "your language yet.")


def sentence(lang: str, message: str, **values: str) -> str:
    text = translations("web", lang).gettext(message)
    return text % values if values else text


def unescape(html: str) -> str:
    return html.replace("&#39;", "'").replace("&quot;", '"').replace("&amp;", "&")


@pytest.fixture
async def dutch_session(tmp_path: Path) -> Any:
    store = Library(tmp_path / "dutch").create(parse_template(DUTCH_ONLY), lang="nl")
    await store.go_to_round(0)
    app = create_app(store, limits=Limits(submissions=1000, votes=1000, joins=1000))
    async with TestClient(TestServer(app)) as client:
        yield store, client
    await store.close()


# -- template text in the participant's language ---------------------------------------------


async def test_a_text_missing_a_language_falls_back_to_the_sessions_and_says_so(
        dutch_session: Any) -> None:
    store, client = dutch_session
    phone = Phone(client, store.info.join_token, scanned(store))
    join_page = await phone.open("?lang=ar")
    # The groups: one in Arabic, the other in Dutch (the session's language, not English),
    # marked as Dutch, with the notice in Arabic naming Dutch in Arabic.
    assert '<span lang="nl" dir="ltr">Bewoners</span>' in join_page
    assert ">البلدية</span>" in join_page
    assert sentence("ar", "The groups are shown in %(language)s: they have not been translated "
                    "into your language yet.", language="الهولندية") in join_page
    await phone.post("join", {"lang": "ar"})
    page = await phone.open()
    assert '<h1 lang="nl" dir="ltr">Knelpunten</h1>' in page
    assert 'id="prompt" lang="nl" dir="ltr">Wat staat in de weg?</p>' in page
    assert sentence("ar", QUESTION_NOTICE, language="الهولندية") in page
    assert "What stands in the way?" not in page

    english = Phone(client, store.info.join_token, scanned(store))
    await english.join("en")
    page = await english.open()
    assert "<h1>Bottlenecks</h1>" in page  # in the page's own language: nothing to mark
    assert 'id="prompt">What stands in the way?</p>' in page
    assert "has not been translated" not in page

    wall = await (await client.get(f"/wall/{wall_token(store.info.secret)}?lang=fa")).text()
    assert '<h1 lang="nl" dir="ltr">Knelpunten</h1>' in wall
    assert sentence("fa", QUESTION_NOTICE, language="هلندی") in wall


async def test_the_session_title_follows_the_participant_unless_the_facilitator_wrote_one(
        client: TestClient, store: SessionStore, tmp_path: Path) -> None:
    phone = Phone(client, store.info.join_token, scanned(store))
    await phone.join("fa")
    page = await phone.open()
    farsi = store.template.title["fa"]
    assert store.info.title == store.template.title["nl"]  # the template's, as created
    assert f'<span class="session">{farsi}</span>' in page
    assert f"<title>{farsi}</title>" in page

    await store.update_session(title="Kennisatelier Utrecht, 12 maart")
    page = await phone.open()
    assert '<span class="session" dir="auto">Kennisatelier Utrecht, 12 maart</span>' in page


async def test_a_theme_from_the_templates_suggestions_is_shown_in_the_participants_language(
        client: TestClient, store: SessionStore) -> None:
    await store.go_to_round(1)
    spec = store.template.round("knelpunten")
    theme = await store.add_theme("knelpunten", spec.themes[3]["nl"])  # as the TUI names it
    own = await store.add_theme("knelpunten", "Eigen thema van de facilitator")
    first = await store.add_contribution("knelpunten", "Alles in ambtelijke taal",
                                         source=Source.TUI, theme_id=theme.id)
    await store.add_contribution("knelpunten", "Geen vaste contactpersoon", source=Source.TUI,
                                 theme_id=own.id)
    await store.update_round("knelpunten", voting_open=True)
    phone = Phone(client, store.info.join_token, scanned(store))
    await phone.join("uk")
    page = await phone.open()
    assert f'<p class="small theme">{spec.themes[3]["uk"]}</p>' in unescape(page)
    assert '<p class="small theme" dir="auto">Eigen thema van de facilitator</p>' in page
    assert f'id="item-{first.id}" dir="auto">Alles in ambtelijke taal</p>' in page


# -- the phone's timer, text box and join form -----------------------------------------------


async def test_the_timer_reads_like_the_tuis_past_an_hour(phone: Phone,
                                                         store: SessionStore) -> None:
    page = await phone.open()
    assert re.search(r'class="timer"[^>]*>(19:\d\d|20:00)<', page)  # 20 minutes: mm:ss
    await store.go_to_round(1)  # 75 minutes
    page = await phone.open()
    assert re.search(r'class="timer"[^>]*>1:1[45]:\d\d<', page), page


async def test_the_text_box_stops_at_the_limit_the_server_keeps(phone: Phone) -> None:
    page = await phone.open()
    assert '<textarea id="text" name="text" rows="4" required dir="auto" maxlength="500"' in page
    assert "At most 500 characters." in page
    response = await phone.send("x" * 501)  # a page without its script cannot stop it: the
    assert response.status == 400            # server stays the judge


async def test_the_start_button_comes_after_every_choice(client: TestClient,
                                                         store: SessionStore) -> None:
    page = await Phone(client, store.info.join_token, scanned(store)).open()
    buttons = [m.start() for m in re.finditer(r'<button type="submit"', page)]
    assert len(buttons) == 1
    for choice in ('name="stakeholder"', 'name="table"', 'name="name"', 'name="consent"'):
        assert page.rindex(choice) < buttons[0], choice


# -- the afternoon builds on the morning -----------------------------------------------------


async def _morning(store: SessionStore) -> list[Contribution]:
    """Seven bottlenecks; the room's dots put the last two on top."""
    await store.go_to_round(1)
    items = [await store.add_contribution("knelpunten", f"Knelpunt {n}", source=Source.TUI)
             for n in range(7)]
    await store.update_round("knelpunten", voting_open=True)
    await store.join("voter", lang="nl")
    await store.ballot_items("voter", "knelpunten")
    await store.cast_ballot("voter", "knelpunten", {items[6].id: 2, items[5].id: 1})
    await store.update_round("knelpunten", voting_open=False, submissions_open=False)
    await store.go_to_round(2)  # oplossingen: the afternoon's ideas
    return items


async def test_an_idea_sent_with_a_chosen_bottleneck_is_linked_to_it(
        phone: Phone, store: SessionStore) -> None:
    items = await _morning(store)
    page = await phone.open()
    offered = [int(cid) for cid in re.findall(r'name="answers" value="(\d+)"', page)]
    assert offered == [items[i].id for i in (6, 5, 0, 1, 2)]  # the morning's ranking, top 5
    assert store.answerable("oplossingen") == [items[i] for i in (6, 5, 0, 1, 2)]

    response = await phone.post("send", {"text": "Een wisselstage", "round": "oplossingen",
                                          "answers": str(items[5].id)}, json=True)
    assert response.status == 200, await response.text()
    [idea] = store.contributions("oplossingen")
    assert idea.links == (items[5].id,)
    # Stored exactly as the facilitator's link (the TUI's l) stores it.
    by_hand = await store.add_contribution("oplossingen", "Op papier", source=Source.TUI)
    [by_hand] = await store.update_contributions([by_hand.id], links=(items[5].id,))
    assert idea.to_doc()["links"] == by_hand.to_doc()["links"] == [items[5].id]
    page = await phone.open()
    assert "Answers:" in page and "Knelpunt 5" in page.split('id="mine"')[1]

    # Without the page's script too (a plain form), and without a choice: no link.
    response = await phone.post("send", {"text": "Zonder knelpunt", "round": "oplossingen",
                                         "answers": ""})
    assert response.status == 303
    assert [c.links for c in store.contributions("oplossingen")] == [
        (items[5].id,), (items[5].id,), ()]


@pytest.mark.parametrize("forged", ["not offered", "an idea", "no number", "negative"])
async def test_a_forged_bottleneck_is_refused_in_the_participants_language(
        new_phone: Any, client: TestClient, store: SessionStore, forged: str) -> None:
    items = await _morning(store)
    other_idea = await store.add_contribution("oplossingen", "Al een idee", source=Source.TUI)
    phone: Phone = await new_phone(client)
    await phone.join("fa")
    await phone.open()
    value = {"not offered": str(items[3].id), "an idea": str(other_idea.id),
             "no number": "drie", "negative": "-1"}[forged]
    response = await phone.post("send", {"text": "ایدهٔ من", "round": "oplossingen",
                                         "answers": value}, json=True)
    assert response.status == 400
    answer = await response.json()
    assert answer["message"] == sentence("fa", "Please choose one of the bottlenecks listed, "
                                         "or none.")
    assert [c.text for c in store.contributions("oplossingen")] == ["Al een idee"]


async def test_only_an_ideas_round_offers_bottlenecks(phone: Phone, store: SessionStore) -> None:
    await _morning(store)
    await store.go_to_round(1)
    await store.update_round("knelpunten", submissions_open=True)
    assert store.answerable("knelpunten") == []
    assert 'name="answers"' not in await phone.open()
    response = await phone.post("send", {"text": "Nog een knelpunt", "round": "knelpunten",
                                         "answers": str(store.contributions("knelpunten")[0].id)},
                                json=True)
    assert response.status == 400


# -- the day chair's lines -------------------------------------------------------------------


async def test_the_day_chairs_lines_reach_the_phones_and_the_wall(
        client: TestClient, store: SessionStore) -> None:
    await store.go_to_round(4)  # oogst: the closing distillation round
    phone = Phone(client, store.info.join_token, scanned(store))
    await phone.join("ar")
    before = PageKey.of(store)
    await store.add_note("oogst", "Betrek groepen voordat het beleid vastligt.",
                         addressed_to=("municipality", "civil_society"))
    assert PageKey.of(store) != before  # open phones reload
    page = await phone.open()
    groups = "البلدية, منظمة مجتمع مدني"
    assert sentence("ar", "To: %(groups)s", groups=groups) in page
    assert 'lang="nl" dir="auto">Betrek groepen voordat het beleid vastligt.</p>' in page
    wall = await (await client.get(f"/wall/{wall_token(store.info.secret)}?lang=en")).text()
    assert "To: Municipality, Civil-society organisation" in wall
    assert "Betrek groepen voordat het beleid vastligt." in wall
