"""Whatever a phone posts to the submission and vote forms: never a 500, and a refusal stores
nothing."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from urllib.parse import urlencode

from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitator.core.model import Source
from facilitator.session.library import Library, Templates
from facilitator.web.app import create_app
from facilitator.web.guard import Limits
from tests.web.conftest import scanned

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')

texts = st.one_of(
    st.text(max_size=600),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40).map(lambda s: s * 30),
    st.sampled_from(["[/]", "[@click=app.quit]x[/]", "<script>x</script>", "\x1b[2J", "\u202e",
                     " ", "x" * 501, "\x00"]),
)
fields = st.dictionaries(
    st.one_of(st.sampled_from(["round", "csrf", "v1", "v2", "v3", "v999"]),
              st.text(max_size=8)),
    st.one_of(st.text(max_size=12), st.integers(-10, 10).map(str)),
    max_size=6,
)


def state(store) -> tuple[object, ...]:  # type: ignore[no-untyped-def]
    return (
        [(c.id, c.text, c.hidden) for c in store.contributions(visible_only=False)],
        [(v.contribution_id, v.device_id, v.weight) for v in store.votes()],
    )


def test_forms_never_fail_and_refusals_store_nothing(tmp_path: Path) -> None:
    loop = asyncio.new_event_loop()
    store = Library(tmp_path).create(Templates().load("kennisatelier"))

    async def setup() -> tuple[TestClient, str, str]:
        await store.go_to_round(1)
        for n in range(3):
            await store.add_contribution("knelpunten", f"item {n}", source=Source.TUI)
        await store.update_round("knelpunten", voting_open=True)
        app = create_app(store, limits=Limits(submissions=10**6, votes=10**6))
        client = TestClient(TestServer(app))
        await client.start_server()
        code = scanned(store)
        page = await client.get(f"/j/{store.info.join_token}", params={"code": code})
        found = CSRF.search(await page.text())
        assert found
        origin = str(client.make_url("/")).rstrip("/")
        joined = await client.post(f"/j/{store.info.join_token}/join",
                                   data={"csrf": found.group(1), "lang": "en", "code": code},
                                   headers={"Origin": origin}, allow_redirects=False)
        assert joined.status == 303  # a phone that joined: the forms reach the store
        return client, found.group(1), origin

    client, csrf, origin = loop.run_until_complete(setup())

    async def post(action: str, data: dict[str, str], as_json: bool) -> int:
        headers = {"Origin": origin, "Content-Type": "application/x-www-form-urlencoded"}
        if as_json:
            headers["Accept"] = "application/json"
        response = await client.post(f"/j/{store.info.join_token}/{action}", data=urlencode(data),
                                     headers=headers, allow_redirects=False)
        await response.read()
        return response.status

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(text=texts, extra=fields, action=st.sampled_from(["send", "vote", "edit/1"]),
           keep_csrf=st.booleans(), as_json=st.booleans())
    def check(text: str, extra: dict[str, str], action: str, keep_csrf: bool,
              as_json: bool) -> None:
        data = {"text": text, "round": "knelpunten", **extra}
        if keep_csrf:
            data["csrf"] = csrf
        before = state(store)
        status = loop.run_until_complete(post(action, data, as_json))
        assert status < 500, (status, data)
        if status >= 400:
            assert state(store) == before

    try:
        check()
    finally:
        loop.run_until_complete(client.close())
        loop.run_until_complete(store.close())
        loop.close()
