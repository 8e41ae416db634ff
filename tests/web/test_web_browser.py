"""The participant page in a real browser (headless Chromium): join in Arabic, send, vote, and
see the page follow the facilitator to the next round."""

from __future__ import annotations

from typing import Any

from browser_helpers import free_port, needs_chromium

from facilitator.core.model import Source
from facilitator.session.store import SessionStore
from facilitator.web.server import ParticipantServer

pytestmark = needs_chromium


async def test_join_in_arabic_send_vote_and_follow_the_round(
    store: SessionStore, browser: Any
) -> None:
    await store.go_to_round(1)  # knelpunten: tables, dot voting
    server = ParticipantServer(store, host="127.0.0.1", port=free_port())
    await server.start()
    try:
        page = await browser.new_page(viewport={"width": 320, "height": 640})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        await page.goto(server.join_url)
        assert await page.evaluate("document.documentElement.scrollWidth") <= 320
        await page.click("text=العربية")
        assert await page.get_attribute("html", "dir") == "rtl"
        assert await page.get_attribute("html", "lang") == "ar"
        await page.check("input[name=stakeholder][value=refugee_led]")
        await page.select_option("select[name=table]", "B")
        await page.click("form button.primary >> nth=0")
        await page.wait_for_selector("textarea[name=text]")
        assert await page.get_attribute("html", "dir") == "rtl"
        [participant] = store.participants()
        assert (participant.lang, participant.stakeholder, participant.table_group) == (
            "ar", "refugee_led", "B")
        # fits a 320 px phone: nothing wider than the screen
        assert await page.evaluate("document.documentElement.scrollWidth") <= 320

        await page.fill("textarea[name=text]", "<b>لا</b> [/] تنسيق")
        await page.click("form.send button")
        await page.wait_for_selector("#mine article.mine")
        assert await page.inner_text("#notice") == "شكرًا! وصلت مساهمتك."
        assert "<b>لا</b> [/] تنسيق" in await page.inner_text("#mine")
        assert [c.text for c in store.contributions("knelpunten")] == ["<b>لا</b> [/] تنسيق"]

        other = await store.add_contribution("knelpunten", "Formulieren", source=Source.TUI)
        samples = len(store.samples("knelpunten"))
        await page.evaluate("window.beforeVoting = true")  # gone if the page were reloaded
        await store.update_round("knelpunten", voting_open=True)  # the page says so by itself
        await page.wait_for_selector("#voting-opened:not([hidden])", timeout=5000)
        assert await page.evaluate("window.beforeVoting === true"), "no reload when voting opens"
        assert len(store.samples("knelpunten")) == samples, "no ballot dealt before it is asked"
        await page.click("#voting-opened a")  # the participant asks for the ballot
        await page.wait_for_selector("form.vote", timeout=5000)
        assert await page.evaluate("document.documentElement.scrollWidth") <= 320
        await page.select_option(f"select[name=v{other.id}]", "2")
        assert await page.inner_text(".dots-left") == "3"
        await page.click("form.vote button.primary")
        await page.wait_for_selector("#notice:not([hidden])")
        assert await page.inner_text("#notice") == "تم حفظ تصويتك."
        assert store.ballot(participant.device_id, "knelpunten") == {other.id: 2}

        pages: list[str] = []
        page.on("request", lambda request: pages.append(request.url)
                if request.resource_type in ("document", "fetch") else None)
        await page.evaluate("window.beforeTheRound = true")
        await store.go_to_round(2)  # the facilitator moves on
        # The next round's title, in Arabic: the built-in templates are in every language.
        title = store.template.rounds[2].title["ar"]
        await page.wait_for_selector(f"text={title}", timeout=5000)
        assert await page.evaluate("window.beforeTheRound === true"), "no reload"
        assert pages == [], "the new round came with the live message: nothing was asked for"
        await page.fill("textarea[name=text]", "فكرة جديدة")  # the pushed page's form works
        await page.click("form.send button.primary")
        await page.wait_for_selector("#notice:not([hidden])")
        assert [c.text for c in store.contributions(store.template.rounds[2].id)
                if c.author] == ["فكرة جديدة"]
        assert errors == []
        assert server.devices_seen == 1
    finally:
        await server.stop()


async def test_works_without_javascript(store: SessionStore, browser: Any) -> None:
    server = ParticipantServer(store, host="127.0.0.1", port=free_port())
    await server.start()
    try:
        context = await browser.new_context(java_script_enabled=False)
        page = await context.new_page()
        await page.goto(server.join_url)
        await page.click("form button.primary >> nth=0")
        await page.fill("textarea[name=text]", "zonder script")
        await page.click("form.send button")
        await page.wait_for_selector("p.ok")
        assert "zonder script" in await page.inner_text("#mine")
        await page.fill("textarea[name=text]", "   ")
        await page.click("form.send button")  # the browser's own check stops an empty form
        assert [c.text for c in store.contributions("checkin")] == ["zonder script"]
        await context.close()
    finally:
        await server.stop()
