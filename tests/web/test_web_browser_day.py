"""The phone page in a real browser (headless Chromium) for a participant who reads Arabic or
Farsi, or reads with difficulty: the question and the groups in their language and right to left,
a text box that counts down and stops at the limit, a read-aloud button where the phone has a
voice, the timer as the TUI writes it, and an idea that says which bottleneck it answers."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import FAKE_VOICES, free_port, needs_chromium
from test_web_day import DUTCH_ONLY

from facilitator.core.model import Source
from facilitator.core.templates import parse_template
from facilitator.core.text import MAX_CONTRIBUTION_CHARS
from facilitator.i18n import translations
from facilitator.session.library import Library
from facilitator.session.store import SessionStore
from facilitator.web.server import ParticipantServer

pytestmark = needs_chromium

ARABIC_VOICE = {"lang": "ar-SA", "name": "Laila", "default": True}
DUTCH_VOICE = {"lang": "nl_NL", "name": "Xander", "default": False}  # Android writes nl_NL


@pytest.fixture
async def server(store: SessionStore) -> AsyncIterator[ParticipantServer]:
    running = ParticipantServer(store, host="127.0.0.1", port=free_port())
    await running.start()
    yield running
    await running.stop()


async def phone_page(browser: Any, url: str, voices: list[dict[str, Any]] | None = None,
                     ) -> Any:
    page = await browser.new_page(viewport={"width": 320, "height": 640})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.errors = errors
    if voices is not None:
        await page.add_init_script(FAKE_VOICES % json.dumps(voices))
    await page.goto(url)
    return page


async def join(page: Any, lang: str) -> None:
    await page.click(f"nav.langs a[hreflang={lang}]")
    await page.click("form button.primary")
    await page.wait_for_selector("#prompt")


def direction(page: Any, selector: str) -> Any:
    return page.eval_on_selector(selector, "el => getComputedStyle(el).direction")


@pytest.mark.parametrize("lang", ["ar", "fa"])
async def test_the_question_and_the_groups_in_arabic_and_farsi_right_to_left(
        store: SessionStore, server: ParticipantServer, browser: Any, lang: str) -> None:
    await store.go_to_round(1)
    template = store.template
    page = await phone_page(browser, server.join_url)
    await page.click(f"nav.langs a[hreflang={lang}]")
    await page.wait_for_selector(f"html[lang={lang}]")
    labels = await page.locator("fieldset label.choice span").all_inner_texts()
    assert labels == [group.name[lang] for group in template.groups]
    for n in range(len(template.groups)):
        assert await direction(page, f"fieldset label.choice >> nth={n + 1}") == "rtl"
    assert await page.inner_text("h1") == template.title[lang]
    await page.check(f"input[value={template.groups[3].id}]")
    await page.click("form button.primary")
    await page.wait_for_selector("#prompt")
    spec = template.round("knelpunten")
    assert await page.inner_text("h1") == spec.title[lang]
    assert await page.inner_text("#prompt") == spec.prompt[lang]
    assert await direction(page, "#prompt") == await direction(page, "h1") == "rtl"
    assert await page.locator(".fallback").count() == 0  # nothing fell back
    assert await page.evaluate("document.documentElement.scrollWidth") <= 320
    assert store.participants()[0].stakeholder == template.groups[3].id
    assert page.errors == []


async def test_a_question_in_another_language_keeps_its_own_direction(
        tmp_path: Path, browser: Any) -> None:
    store = Library(tmp_path).create(parse_template(DUTCH_ONLY), lang="nl")
    await store.go_to_round(0)
    server = ParticipantServer(store, host="127.0.0.1", port=free_port())
    await server.start()
    try:
        page = await phone_page(browser, server.join_url, voices=[DUTCH_VOICE])
        await join(page, "fa")
        assert await page.get_attribute("html", "dir") == "rtl"
        assert await page.inner_text("#prompt") == "Wat staat in de weg?"
        assert await direction(page, "#prompt") == "ltr"
        notice = translations("web", "fa").gettext(
            "This question is shown in %(language)s: it has not been translated into your "
            "language yet.") % {"language": "هلندی"}
        assert await page.inner_text(".fallback") == notice
        # Read aloud in the language the text is really in: the phone's Dutch voice.
        button = page.locator("button.speak[data-speak=prompt]")
        await button.wait_for(state="visible")
        await button.click()
        assert await page.evaluate("window.__spoken") == [
            {"text": "Wat staat in de weg?", "lang": "nl_NL"}]
        assert page.errors == []
    finally:
        await server.stop()
        await store.close()


async def test_the_character_counter_stops_at_the_limit(
        store: SessionStore, server: ParticipantServer, browser: Any) -> None:
    page = await phone_page(browser, server.join_url)
    await join(page, "nl")
    left = translations("web", "nl").gettext("Characters left: %(n)s")
    assert await page.inner_text("#text-left") == left % {"n": MAX_CONTRIBUTION_CHARS}
    await page.click("textarea[name=text]")
    await page.keyboard.type("Twaalf tekens")
    assert await page.inner_text("#text-left") == left % {"n": MAX_CONTRIBUTION_CHARS - 13}
    await page.keyboard.insert_text("x" * 600)  # pasting far too much
    value = await page.input_value("textarea[name=text]")
    assert len(value) == MAX_CONTRIBUTION_CHARS
    assert await page.inner_text("#text-left") == left % {"n": 0}
    await page.keyboard.type("meer")  # typing on changes nothing
    assert await page.input_value("textarea[name=text]") == value
    await page.click("form.send button.primary")
    await page.wait_for_selector("#mine article.mine")
    assert [c.text for c in store.contributions("checkin")] == [value]  # all of it arrived
    assert await page.inner_text("#text-left") == left % {"n": MAX_CONTRIBUTION_CHARS}
    assert page.errors == []


async def test_read_aloud_only_where_the_phone_has_a_voice(
        store: SessionStore, server: ParticipantServer, browser: Any) -> None:
    await store.go_to_round(1)
    arabic = await store.add_contribution("knelpunten", "لا نعرف من هو المسؤول",
                                          source=Source.TUI)
    dutch = await store.add_contribution("knelpunten", "Formulieren zijn te ingewikkeld",
                                         source=Source.TUI)
    await store.update_round("knelpunten", voting_open=True)
    prompt = store.template.round("knelpunten").prompt["ar"]

    # A phone with an Arabic voice: beside the question and beside each Arabic item to vote
    # on; not beside a Dutch one, which an Arabic voice cannot read.
    page = await phone_page(browser, server.join_url, voices=[DUTCH_VOICE, ARABIC_VOICE])
    await join(page, "ar")
    assert await page.is_visible("button.speak[data-speak=prompt]")
    assert await page.is_visible(f"button.speak[data-speak=item-{arabic.id}]")
    assert await page.is_hidden(f"button.speak[data-speak=item-{dutch.id}]")
    await page.click("button.speak[data-speak=prompt]")
    assert await page.evaluate("window.__spoken") == [{"text": prompt, "lang": "ar-SA"}]
    stop = translations("web", "ar").gettext("Stop reading")
    assert await page.inner_text("button.speak[data-speak=prompt]") == stop
    await page.click(f"button.speak[data-speak=item-{arabic.id}]")
    assert (await page.evaluate("window.__spoken"))[-1] == {
        "text": "لا نعرف من هو المسؤول", "lang": "ar-SA"}
    assert await page.inner_text("button.speak[data-speak=prompt]") == translations(
        "web", "ar").gettext("Read aloud")
    assert page.errors == []
    await page.close()

    # A phone whose only voice is Dutch: no button on an Arabic page.
    page = await phone_page(browser, server.join_url, voices=[DUTCH_VOICE])
    await join(page, "ar")
    assert await page.locator("button.speak:visible").count() == 0
    await page.close()

    # Voices that load late (as Chrome's do): the buttons appear when they arrive.
    page = await phone_page(browser, server.join_url, voices=[])
    await join(page, "ar")
    assert await page.locator("button.speak:visible").count() == 0
    await page.evaluate("""() => {
        window.__voices = [{lang: "ar-EG", name: "Salma", default: false}];
        window.speechSynthesis.dispatchEvent(new Event("voiceschanged"));
    }""")
    await page.wait_for_selector("button.speak[data-speak=prompt]", state="visible")
    await page.close()

    # Without JavaScript there is nothing to read aloud with: no button.
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    await page.goto(server.join_url + "&lang=ar")
    await page.click("form button.primary")
    await page.wait_for_selector("#prompt")
    assert await page.locator("button.speak").count() >= 3
    assert await page.locator("button.speak:visible").count() == 0
    await context.close()


async def test_the_phone_shows_the_timer_like_the_tui(
        store: SessionStore, server: ParticipantServer, browser: Any) -> None:
    await store.go_to_round(1)  # 75 minutes
    page = await phone_page(browser, server.join_url)
    await join(page, "fa")
    await page.wait_for_timeout(1200)  # the script has ticked at least once
    assert re.fullmatch(r"1:1[45]:\d\d", await page.inner_text(".timer"))
    await store.set_timer("knelpunten", add_minutes=-20.0)
    await page.wait_for_function(
        "() => /^5[45]:\\d\\d$/.test(document.querySelector('.timer').textContent)",
        timeout=5000)
    await store.set_timer("knelpunten", add_minutes=-50.0)
    await page.wait_for_function(
        "() => /^0[45]:\\d\\d$/.test(document.querySelector('.timer').textContent)",
        timeout=5000)


async def test_an_idea_picks_the_bottleneck_it_answers(
        store: SessionStore, server: ParticipantServer, browser: Any) -> None:
    await store.go_to_round(1)
    bottlenecks = [await store.add_contribution("knelpunten", text, source=Source.TUI)
                   for text in ("Geen vast aanspreekpunt", "Subsidie-eisen sluiten uit")]
    await store.go_to_round(2)
    page = await phone_page(browser, server.join_url)
    await join(page, "en")
    assert await page.locator("input[name=answers]").count() == 3  # none, and the two
    await page.check(f"input[name=answers][value='{bottlenecks[1].id}']")
    await page.fill("textarea[name=text]", "Een vrij potje zonder jaarverslag")
    await page.click("form.send button.primary")
    await page.wait_for_selector("#mine article.mine")
    [idea] = store.contributions("oplossingen")
    assert idea.links == (bottlenecks[1].id,)
    assert "Subsidie-eisen sluiten uit" in await page.inner_text("#mine")
    assert await page.is_checked("input[name=answers][value='']")  # the form starts over
    assert page.errors == []
