"""The TUI with the real participant server: a phone posts through the web form flow (cookie,
CSRF token, Origin) and the contribution appears in the facilitator's feed."""

from __future__ import annotations

import re

import aiohttp
from tui_helpers import feed, plain, row_texts, settle

from facilitator.store.library import Library, Templates
from facilitator.store.store import SessionStore
from facilitator.tui.app import FacilitatorApp, participant_server
from facilitator.tui.widgets.join import JoinPanel

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
CODE = re.compile(r'name="code" value="([^"]+)"')


async def test_a_phone_post_appears_in_the_feed(library: Library, templates: Templates,
                                                store: SessionStore) -> None:
    await store.go_to_round(1)
    app = FacilitatorApp(library, templates, store=store, lang="en",
                         server_factory=participant_server("127.0.0.1", 0, None))
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        server = app.server
        assert server is not None and app.server_ready
        link = server.join_url  # what the QR code on the screen says
        assert link.startswith("http://127.0.0.1:")
        join = link.split("?")[0]
        origin = join.split("/j/")[0]
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as phone:
            page = await (await phone.get(link)).text()
            csrf = CSRF.search(page).group(1)  # type: ignore[union-attr]
            code = CODE.search(page).group(1)  # type: ignore[union-attr]
            answer = await phone.post(f"{join}/join", data={"csrf": csrf, "lang": "nl",
                                                             "stakeholder": "refugee_led",
                                                             "code": code},
                                      headers={"Origin": origin}, allow_redirects=False)
            assert answer.status == 303, await answer.text()
            page = await (await phone.get(join)).text()
            csrf = CSRF.search(page).group(1)  # type: ignore[union-attr]
            text = "Vanaf mijn telefoon [/] [@click=app.quit]x[/]"
            answer = await phone.post(f"{join}/send",
                                      data={"csrf": csrf, "text": text, "round": "knelpunten"},
                                      headers={"Origin": origin, "Accept": "application/json"},
                                      allow_redirects=False)
            assert answer.status == 200, await answer.text()
        await settle(pilot)
        assert row_texts(app) == [text]
        assert feed(app).current_id == store.contributions("knelpunten")[0].id
        await pilot.pause(0.1)  # the join is a commit: the panel follows it, no poll
        assert "1 device joined" in plain(app.screen.query_one("#join", JoinPanel))
        assert server.devices_seen == 1
    assert store.closed
