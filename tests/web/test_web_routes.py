"""Every route of the participant server, and every refusal: a status, a sentence in the
participant's language, and nothing stored."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from aiohttp import ClientTimeout
from aiohttp.test_utils import TestClient, TestServer

from facilitator.core.joining import wall_token
from facilitator.core.model import Source
from facilitator.serving import CSP
from facilitator.session.files import WriteFailed
from facilitator.session.journal import SessionFile
from facilitator.session.store import SessionStore
from facilitator.web.app import create_app
from facilitator.web.guard import Limits
from tests.web.conftest import scanned

Phone = Any  # the phone fixtures' type (tests/web/conftest.py)


def contributions(store: SessionStore) -> list[str]:
    return [c.text for c in store.contributions(visible_only=False)]


# -- joining -----------------------------------------------------------------------------------


async def test_first_visit_shows_languages_groups_and_sets_a_device_cookie(
    client: TestClient, store: SessionStore
) -> None:
    response = await client.get(f"/j/{store.info.join_token}", params={"code": scanned(store)},
                                headers={"Accept-Language": "uk"})
    html = await response.text()
    assert response.status == 200
    assert 'lang="uk"' in html and "Почати" in html
    for name in ("Nederlands", "English", "العربية", "فارسی", "Українська"):
        assert name in html
    assert "Не хочу казати" in html  # prefer not to say, always offered
    assert "Муніципалітет" in html  # the groups in the page's language, as the template has it
    assert "Municipality" not in html and "Gemeente" not in html
    assert 'name="table"' in html  # kennisatelier rounds use tables
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    device = cookie.split(";")[0].split("=")[1]
    assert len(device) == 32 and int(device, 16) >= 0  # 128 random bits


async def test_join_records_language_group_name_consent_and_table(
    client: TestClient, store: SessionStore, new_phone: Any
) -> None:
    phone = await new_phone(client)
    await phone.open()
    response = await phone.post("join", {"lang": "ar", "stakeholder": "refugee_led",
                                         "name": "Amal", "consent": "yes", "table": "B"})
    assert response.status == 303
    assert response.headers["Location"].endswith("?ok=welcome")
    [participant] = store.participants()
    assert (participant.lang, participant.stakeholder, participant.name,
            participant.consent_named, participant.table_group) == (
        "ar", "refugee_led", "Amal", True, "B")
    html = await phone.open()
    assert 'dir="rtl"' in html and 'lang="ar"' in html
    assert "الافتتاح والتعارف" in html  # the round's title, in Arabic
    assert "Opening and check-in" not in html


@pytest.mark.parametrize(
    ("fields", "status"),
    [({"lang": "xx"}, 400), ({"lang": "en", "stakeholder": "nobody"}, 400),
     ({"lang": "en", "table": "Z"}, 400)],
)
async def test_join_refuses_unknown_choices(
    client: TestClient, store: SessionStore, fields: dict[str, str], status: int, new_phone: Any
) -> None:
    phone = await new_phone(client)
    await phone.open()
    response = await phone.post("join", fields, json=True)
    assert response.status == status
    assert (await response.json())["message"]
    assert store.participants() == []


async def test_details_page_is_prefilled(phone: Phone) -> None:
    html = await phone.open("/me")
    assert 'name="stakeholder" value="" checked' in html


# -- during a round ----------------------------------------------------------------------------


async def test_send_plain_form_redirects_back_with_a_confirmation(
    phone: Phone, store: SessionStore
) -> None:
    response = await phone.send("Te veel regels", json=False)
    assert response.status == 303
    assert response.headers["Location"].endswith("?ok=sent#mine")
    html = await phone.open("?ok=sent")
    assert "Thank you! Your contribution has arrived." in html
    assert "Te veel regels" in html
    assert contributions(store) == ["Te veel regels"]


async def test_send_json_edit_and_withdraw_own_contribution(
    phone: Phone, store: SessionStore
) -> None:
    response = await phone.send("first")
    body = await response.json()
    assert response.status == 200 and body["ok"] and body["id"]
    cid = body["id"]
    response = await phone.post(f"edit/{cid}", {"text": "second"}, json=True)
    assert response.status == 200
    item = store.contribution(cid)
    assert item is not None and item.text == "second" and item.original_text == "first"
    response = await phone.post(f"withdraw/{cid}", json=True)
    assert response.status == 200
    item = store.contribution(cid)
    assert item is not None and item.hidden
    assert "second" not in await phone.open()


async def test_cannot_edit_or_withdraw_someone_elses(
    phone: Phone, new_phone: Any, store: SessionStore
) -> None:
    cid = (await (await phone.send("mine")).json())["id"]
    other = await new_phone()
    await other.join("nl")
    for action in (f"edit/{cid}", f"withdraw/{cid}"):
        response = await other.post(action, {"text": "theirs"}, json=True)
        assert response.status == 403
        assert (await response.json())["message"] == "Je kunt alleen je eigen bijdragen wijzigen."
    item = store.contribution(cid)
    assert item is not None and item.text == "mine" and not item.hidden
    response = await other.post("edit/999999", {"text": "x"}, json=True)
    assert response.status == 404


@pytest.mark.parametrize(
    ("text", "status"),
    [("", 400), ("   \n\t  ", 400), ("\u200b\u202e\x1b", 400), ("x" * 501, 400),
     ("x" * 10_000, 400)],
)
async def test_bad_text_is_refused_and_nothing_stored(
    phone: Phone, store: SessionStore, text: str, status: int
) -> None:
    response = await phone.send(text)
    assert response.status == status
    assert (await response.json())["ok"] is False
    assert contributions(store) == []


async def test_500_characters_after_normalisation_fit(phone: Phone, store: SessionStore) -> None:
    text = "a\u0301" * 500  # 1000 code points, 500 after NFC
    assert (await phone.send(text)).status == 200
    assert len(contributions(store)[0]) == 500


async def test_refusal_is_in_the_participants_language(phone: Phone, store: SessionStore) -> None:
    await phone.post("join", {"lang": "fa"})
    response = await phone.send("")
    assert (await response.json())["message"] == "لطفاً اول چیزی بنویسید."
    response = await phone.send("", json=False)
    html = await response.text()
    assert response.status == 400 and 'dir="rtl"' in html and "لطفاً اول چیزی بنویسید." in html


async def test_closed_round_is_409(phone: Phone, store: SessionStore) -> None:
    await store.update_round("checkin", submissions_open=False)
    response = await phone.send("late")
    assert response.status == 409
    assert contributions(store) == []


async def test_a_stale_form_for_another_round_is_409(phone: Phone, store: SessionStore) -> None:
    await store.go_to_round(1)
    response = await phone.send("for the old round", round_id="checkin")
    assert response.status == 409
    assert contributions(store) == []


async def test_body_over_16_kb_is_413(phone: Phone, store: SessionStore) -> None:
    response = await phone.post("send", {"text": "x" * 17_000, "round": "checkin"}, json=True)
    assert response.status == 413
    assert (await response.json())["message"] == "That is too much at once, so nothing was sent."
    assert contributions(store) == []


async def test_unknown_token_is_404_in_the_browsers_language(client: TestClient) -> None:
    for path in ("/j/nope", "/wall/nope", "/j/nope/events", "/wall/nope/qr.svg"):
        response = await client.get(path, headers={"Accept-Language": "nl;q=0.9, ar"})
        assert response.status == 404
        assert "هذه الجلسة غير موجودة" in await response.text()
    response = await client.post("/j/nope/send", data={"text": "x"})
    assert response.status == 404


async def test_forged_forms_are_403(
    phone: Phone, store: SessionStore, client: TestClient, new_phone: Any
) -> None:
    token = store.info.join_token
    bad_origin = await phone.post("send", {"text": "x", "round": "checkin"},
                                  Origin="http://evil.example")
    assert bad_origin.status == 403
    bad_referer = await client.post(
        f"/j/{token}/send", data={"text": "x", "round": "checkin", "csrf": phone.csrf},
        headers={"Referer": "http://evil.example/page"})
    assert bad_referer.status == 403
    phone.csrf = "0" * 32
    assert (await phone.send("x")).status == 403
    stranger = await new_phone()  # no cookie at all
    response = await stranger.client.post(f"/j/{token}/send",
                                          data={"text": "x", "round": "checkin"})
    assert response.status == 403
    assert "Dit formulier is verlopen" in await response.text()  # the session's language
    assert contributions(store) == []


async def test_too_many_submissions_per_minute_is_429(store: SessionStore, new_phone: Any) -> None:
    app = create_app(store, limits=Limits(submissions=3))
    async with TestClient(TestServer(app)) as client:
        phone = await new_phone(client)
        await phone.join()
        statuses = [(await phone.send(f"idea {n}")).status for n in range(5)]
        assert statuses == [200, 200, 200, 429, 429]
        response = await phone.send("one more")
        assert response.headers["Retry-After"] == "60"
    assert len(contributions(store)) == 3


async def test_full_disk_is_503_and_not_acknowledged(
    phone: Phone, store: SessionStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(SessionFile, "_append", full)
    response = await phone.send("will not fit")
    assert response.status == 503
    assert (await response.json())["message"] == "Your input was not stored. Please try again."
    assert contributions(store) == []
    monkeypatch.undo()
    assert (await phone.send("fits again")).status == 200


async def test_write_failed_from_the_store_is_503(phone: Phone, store: SessionStore,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    async def failing(*args: object, **kwargs: object) -> None:
        raise WriteFailed(store.path, "disk gone")

    monkeypatch.setattr(store, "add_contribution", failing)
    response = await phone.send("x", json=False)
    assert response.status == 503 and "not stored" in await response.text()


@pytest.mark.parametrize(
    "text",
    ["[/]", "[@click=app.quit]x[/]", "<script>alert(1)</script>", "\x1b[31mred\x1b[0m",
     "<img src=x onerror=alert(1)>", "{{ 7*7 }}", "&amp; &lt;"],
)
async def test_user_text_comes_back_literally(phone: Phone, store: SessionStore, text: str) -> None:
    assert (await phone.send(text)).status == 200
    stored = contributions(store)[0]
    assert stored == text.replace("\x1b", "")
    html = await phone.open()
    escaped = (stored.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
               .replace('"', "&#34;").replace("'", "&#39;"))
    assert escaped in html
    assert "<script>alert" not in html and "<img src=x" not in html
    wall = await (await phone.client.get(f"/wall/{wall_token(store.info.secret)}")).text()
    assert escaped in wall and "<script>alert" not in wall


async def test_bidi_and_zero_width_are_stripped(phone: Phone, store: SessionStore) -> None:
    assert (await phone.send("a\u202eb\u200bc\u2066d\x00e")).status == 200
    assert contributions(store) == ["abcde"]


# -- voting ------------------------------------------------------------------------------------


async def open_voting(store: SessionStore, round_index: int = 1) -> list[int]:
    await store.go_to_round(round_index)
    spec = store.template.rounds[round_index]
    ids = [(await store.add_contribution(spec.id, f"item {n}", source=Source.TUI)).id
           for n in range(4)]
    await store.update_round(spec.id, voting_open=True)
    return ids


async def test_dot_voting_within_budget_and_cap(phone: Phone, store: SessionStore) -> None:
    ids = await open_voting(store)  # knelpunten: 5 dots, at most 2 per item
    html = await phone.open()
    assert "Voting is open" in html and "You have 5 dots" in html
    assert all(f'name="v{cid}"' in html for cid in ids)
    ok = await phone.post("vote", {"round": "knelpunten", f"v{ids[0]}": "2", f"v{ids[1]}": "2",
                                   f"v{ids[2]}": "1", f"v{ids[3]}": ""})
    assert ok.status == 303
    device = store.participants()[0].device_id
    assert store.ballot(device, "knelpunten") == {ids[0]: 2, ids[1]: 2, ids[2]: 1}
    over = await phone.post("vote", {"round": "knelpunten", f"v{ids[0]}": "2", f"v{ids[1]}": "2",
                                     f"v{ids[2]}": "2"}, json=True)
    assert over.status == 400
    assert (await over.json())["message"] == "You used more dots than you have."
    cap = await phone.post("vote", {"round": "knelpunten", f"v{ids[0]}": "3"}, json=True)
    assert cap.status == 400
    assert store.ballot(device, "knelpunten") == {ids[0]: 2, ids[1]: 2, ids[2]: 1}


async def test_items_come_in_a_random_order_per_device(
    phone: Phone, new_phone: Any, store: SessionStore
) -> None:
    await open_voting(store)
    for n in range(4, 30):
        await store.add_contribution("knelpunten", f"item {n}", source=Source.TUI)
    orders = set()
    for _ in range(4):
        other = await new_phone()
        await other.join()
        html = await other.open()
        orders.add(tuple(re.findall(r'name="v(\d+)"', html)))
    assert len(orders) > 1
    first, again = await phone.open(), await phone.open()
    assert re.findall(r'name="v(\d+)"', first) == re.findall(r'name="v(\d+)"', again)


async def test_score_voting_and_no_vote_on_own_item(phone: Phone, store: SessionStore) -> None:
    await store.go_to_round(2)  # oplossingen: score 1-5, not on your own item
    own = (await (await phone.send("own idea", round_id="oplossingen")).json())["id"]
    other = (await store.add_contribution("oplossingen", "other idea", source=Source.TUI)).id
    await store.update_round("oplossingen", voting_open=True)
    html = await phone.open()
    assert f'name="v{own}"' not in html and "Your own contribution" in html
    response = await phone.post("vote", {"round": "oplossingen", f"v{other}": "5"}, json=True)
    assert response.status == 200
    response = await phone.post("vote", {"round": "oplossingen", f"v{own}": "5"}, json=True)
    assert response.status == 400
    assert (await response.json())["message"] == "You cannot vote for your own contribution."
    response = await phone.post("vote", {"round": "oplossingen", f"v{other}": "9"}, json=True)
    assert response.status == 400


@pytest.mark.parametrize("fields", [{"vx": "1"}, {"v1": "lots"}, {"v1": "١"}, {"v1": "99999"}])
async def test_malformed_ballot_is_400(
    phone: Phone, store: SessionStore, fields: dict[str, str]
) -> None:
    await open_voting(store)
    response = await phone.post("vote", {"round": "knelpunten", **fields}, json=True)
    assert response.status == 400
    assert store.votes() == []


async def test_voting_closed_is_409(phone: Phone, store: SessionStore) -> None:
    ids = await open_voting(store)
    await store.update_round("knelpunten", voting_open=False)
    response = await phone.post("vote", {"round": "knelpunten", f"v{ids[0]}": "1"}, json=True)
    assert response.status == 409
    assert store.votes() == []


# -- live updates ------------------------------------------------------------------------------


async def read_event(response, timeout: float = 3.0) -> bytes:  # type: ignore[no-untyped-def]
    buffer = b""
    async with asyncio.timeout(timeout):
        while b"event: state" not in buffer or not buffer.endswith(b"\n\n"):
            buffer += await response.content.readany()
    return buffer


async def test_events_announce_round_changes(phone: Phone, store: SessionStore) -> None:
    response = await phone.client.get(f"/j/{phone.token}/events",
                                      timeout=ClientTimeout(total=10))
    assert response.headers["Content-Type"] == "text/event-stream"
    first = await read_event(response)
    assert b'"key":"0:1100"' in first and b'"remaining":' in first
    await store.go_to_round(1)
    assert b'"key":"1:1100"' in await read_event(response)
    await store.update_round("knelpunten", voting_open=True)
    assert b'"key":"1:1110"' in await read_event(response)
    response.close()


async def test_wall_events_on_each_contribution(phone: Phone, store: SessionStore) -> None:
    response = await phone.client.get(f"/wall/{wall_token(store.info.secret)}/events")
    assert b'"key":"w0"' in await read_event(response)
    await phone.send("hello wall")
    assert b'"key":"w1"' in await read_event(response)
    response.close()


# -- the wall, QR codes, static files, headers -------------------------------------------------


async def test_wall_shows_approved_contributions_and_totals_after_voting(
    phone: Phone, store: SessionStore
) -> None:
    ids = await open_voting(store)
    await phone.open()  # a phone votes on what its page showed it
    await phone.post("vote", {"round": "knelpunten", f"v{ids[2]}": "2", f"v{ids[0]}": "1"})
    wall_url = f"/wall/{wall_token(store.info.secret)}?lang=en"
    html = await (await phone.client.get(wall_url)).text()
    assert "item 3" in html and "Results" not in html and "Voting is open" in html
    await store.update_round("knelpunten", voting_open=False)
    html = await (await phone.client.get(wall_url)).text()
    assert "Results" in html
    assert html.index("Dots: 2") < html.index("Dots: 1")
    await store.update_contributions([ids[1]], approved=False)
    html = await (await phone.client.get(wall_url)).text()
    assert "item 1" not in html


async def test_qr_svg_and_png(client: TestClient, store: SessionStore) -> None:
    wall = wall_token(store.info.secret)
    svg = await client.get(f"/wall/{wall}/qr.svg")
    assert svg.status == 200 and svg.content_type == "image/svg+xml"
    png = await client.get(f"/wall/{wall}/qr.png")
    assert png.status == 200 and (await png.read()).startswith(b"\x89PNG")
    # under the join token every phone has, there is no QR code: it would give the room's code
    # to anyone who ever had the link
    assert (await client.get(f"/j/{store.info.join_token}/qr.svg")).status == 404


async def test_static_assets_are_local(client: TestClient) -> None:
    for path in ("/static/app.css", "/static/app.js"):
        response = await client.get(path)
        assert response.status == 200
        assert "http://" not in await response.text() and "https://" not in await response.text()


async def test_security_headers_everywhere(client: TestClient, store: SessionStore) -> None:
    for path in (f"/j/{store.info.join_token}", "/nothing", "/static/app.css", "/healthz"):
        response = await client.get(path)
        assert response.headers["Content-Security-Policy"] == CSP
        assert "frame-ancestors 'none'" in CSP and "http" not in CSP
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_healthz(client: TestClient) -> None:
    assert (await (await client.get("/healthz")).json()) == {"ok": True}


async def test_unknown_page_and_wrong_method(client: TestClient, store: SessionStore) -> None:
    response = await client.get("/admin", headers={"Accept": "application/json",
                                                   "Accept-Language": "en-GB"})
    assert response.status == 404
    assert (await response.json())["message"] == "This page does not exist."
    response = await client.delete(f"/j/{store.info.join_token}")
    assert response.status == 405


def test_no_facilitator_action_over_http(store: SessionStore) -> None:
    app = create_app(store)
    routes = {(r.method, r.resource.canonical) for r in app.router.routes()
              if r.resource is not None}
    posts = {path for method, path in routes if method == "POST"}
    # The moderation pages change what the facilitator would, each behind a door of its own
    # (tests/web/test_web_moderation.py): this laptop only, or a co-moderator's secret.
    assert posts == {
        "/j/{token}/join", "/j/{token}/send", "/j/{token}/edit/{cid}",
        "/j/{token}/withdraw/{cid}", "/j/{token}/vote", "/j/{token}/another",
        "/m/{token}/change", "/c/{secret}/change",
    }
    assert not {m for m, _ in routes} - {"GET", "HEAD", "POST"}


async def test_unknown_token_speaks_the_remembered_language(phone: Phone) -> None:
    await phone.post("join", {"lang": "uk"})
    response = await phone.client.get("/j/unknown-token", headers={"Accept-Language": "en"})
    assert response.status == 404
    assert "Такої сесії немає" in await response.text()


async def test_waiting_page_before_the_session_starts(tmp_path: Any, new_phone: Any) -> None:
    from facilitator.session.library import Library, Templates

    fresh = Library(tmp_path / "other").create(Templates().load("team-retro"))
    try:
        async with TestClient(TestServer(create_app(fresh))) as other_client:
            phone = await new_phone(other_client, code=scanned(fresh))
            phone.token = fresh.info.join_token
            await phone.join("nl")
            assert "Wachten tot de sessie begint." in await phone.open()
            response = await phone.send("too early", round_id=fresh.current_round.id)
            assert response.status == 409
    finally:
        await fresh.close()


async def test_a_refused_plain_form_shows_the_text_back(phone: Phone, store: SessionStore) -> None:
    text = "<script>alert(1)</script> " + "x" * 600
    response = await phone.send(text, json=False)
    html = await response.text()
    assert response.status == 400
    assert "&lt;script&gt;alert(1)&lt;/script&gt; xxx" in html and "<script>alert" not in html
    assert "Here it is, so you can copy it" in html
    assert contributions(store) == []


async def test_invisible_padding_does_not_count_towards_the_limit(
    phone: Phone, store: SessionStore
) -> None:
    text = "\u200b" * 600 + "kort" + "\u202e" * 600  # 1,204 characters, under 16 KB
    assert (await phone.send(text)).status == 200
    assert contributions(store) == ["kort"]


# -- review fixes: ranking on the wall, bad bodies, tables, edits once voting opens ------------


async def close_with_votes(store: SessionStore, round_id: str,
                           ballots: list[dict[int, int]]) -> None:
    for n, ballot in enumerate(ballots):
        await store.ballot_items(f"{n:032x}", round_id)
        await store.cast_ballot(f"{n:032x}", round_id, ballot)
    await store.update_round(round_id, voting_open=False)


async def test_wall_ranks_scores_by_mean_as_the_report_does(
    client: TestClient, store: SessionStore
) -> None:
    from facilitator.core.results import rank_round

    await store.go_to_round(2)  # oplossingen: score 1-5
    loved = (await store.add_contribution("oplossingen", "loved by one", source=Source.TUI)).id
    liked = (await store.add_contribution("oplossingen", "liked by two", source=Source.TUI)).id
    await store.update_round("oplossingen", voting_open=True)
    await close_with_votes(store, "oplossingen", [{loved: 5}, {liked: 3}, {liked: 3}])
    html = await (await client.get(f"/wall/{wall_token(store.info.secret)}?lang=en")).text()
    # the sum would put "liked by two" (6) first; the mean puts "loved by one" (5.0) first
    assert html.index("loved by one") < html.index("liked by two")
    assert "Average 5.0, votes: 1" in html and "Average 3.0, votes: 2" in html
    spec = store.template.round("oplossingen")
    ranked = rank_round(spec, store.contributions("oplossingen", visible_only=False),
                        store.votes("oplossingen"))
    assert [r.contribution.id for r in ranked] == [loved, liked]


async def test_wall_ties_share_a_rank_and_merged_votes_count_once(
    client: TestClient, store: SessionStore
) -> None:
    ids = await open_voting(store)  # knelpunten: dots
    await close_with_votes(store, "knelpunten",
                           [{ids[0]: 2}, {ids[1]: 2}, {ids[2]: 1}, {ids[3]: 2}])
    await store.merge(ids[2], [ids[3]])  # item 3's dots now count for item 2
    html = await (await client.get(f"/wall/{wall_token(store.info.secret)}?lang=en")).text()
    results = html[html.index('class="results"'):html.index("</ol>")]
    assert results.count('<li value="1">') == 1
    assert '<li value="1"><span class="total">Dots: 3</span> <span dir="auto">item 2' in results
    assert results.count('<li value="2">') == 2 and "item 3" not in results
    assert results.count("Dots: 2") == 2


async def test_wall_leaves_out_items_waiting_for_approval(
    client: TestClient, store: SessionStore
) -> None:
    ids = await open_voting(store)
    await close_with_votes(store, "knelpunten", [{ids[0]: 2}, {ids[1]: 1}])
    await store.update_contributions([ids[0]], approved=False)
    html = await (await client.get(f"/wall/{wall_token(store.info.secret)}?lang=en")).text()
    assert "Results" in html and "item 0" not in html and "item 1" in html


MALFORMED = [
    ("multipart/form-data; boundary=xyz", b"garbage"),
    ("multipart/form-data", b"--xyz\r\n"),
    ("multipart/form-data; boundary=xyz", b"--xyz\r\nBad Header\r\n\r\nx\r\n--xyz--\r\n"),
    ("multipart/form-data; boundary=xyz",
     b'--xyz\r\nContent-Disposition: form-data; name="text"\r\n'
     b"Content-Transfer-Encoding: weird\r\n\r\nx\r\n--xyz--\r\n"),
    ("multipart/form-data; boundary=xyz",
     b'--xyz\r\nContent-Disposition: form-data; name="text"\r\n\r\n\xff\xfe\r\n--xyz--\r\n'),
    ("application/x-www-form-urlencoded; charset=nope", b"text=x"),
]


@pytest.mark.parametrize(("content_type", "body"), MALFORMED)
@pytest.mark.parametrize("as_json", [True, False])
async def test_a_malformed_body_is_400_with_a_sentence(
    phone: Phone, store: SessionStore, content_type: str, body: bytes, as_json: bool
) -> None:
    headers = {"Origin": phone.origin, "Content-Type": content_type}
    if as_json:
        headers["Accept"] = "application/json"
    response = await phone.client.post(f"/j/{phone.token}/send", data=body, headers=headers,
                                       allow_redirects=False)
    assert response.status == 400
    if as_json:
        assert (await response.json())["message"] == (
            "That request is not valid. Please reload the page.")
    else:
        assert "That request is not valid" in await response.text()
    assert contributions(store) == []


@pytest.mark.parametrize("fields", [{"v²": "1"}, {"v١": "1"}, {"v1": "²"}, {"v1": "-"}])
async def test_unicode_digits_in_a_ballot_are_400(
    phone: Phone, store: SessionStore, fields: dict[str, str]
) -> None:
    ids = await open_voting(store)
    response = await phone.post("vote", {"round": "knelpunten", **fields}, json=True)
    assert response.status == 400, ids
    assert store.votes() == []


async def test_unknown_table_has_its_own_sentence(
    client: TestClient, store: SessionStore, new_phone: Any
) -> None:
    phone = await new_phone(client)
    await phone.open()
    response = await phone.post("join", {"lang": "nl", "table": "Z"}, json=True)
    assert response.status == 400
    assert (await response.json())["message"] == "Kies een van de genoemde tafels."
    response = await phone.post("join", {"lang": "en", "table": "Z"}, json=False)
    assert response.status == 400
    assert "Please choose one of the tables listed." in await response.text()
    assert store.participants() == []


async def test_no_edits_once_voting_opens(phone: Phone, store: SessionStore) -> None:
    await store.go_to_round(1)  # knelpunten: participants send, then dot voting
    cid = (await (await phone.send("mine", round_id="knelpunten")).json())["id"]
    html = await phone.open()
    assert f"/edit/{cid}" in html and f"/withdraw/{cid}" in html
    await store.update_round("knelpunten", voting_open=True)  # submissions stay open
    html = await phone.open()
    assert "mine" in html and 'action="/j/' in html
    assert f"/edit/{cid}" not in html and f"/withdraw/{cid}" not in html
    for action in (f"edit/{cid}", f"withdraw/{cid}"):
        response = await phone.post(action, {"text": "changed"}, json=True)
        assert response.status == 409
        assert (await response.json())["message"] == (
            "This contribution can no longer be changed: the round is closed, voting has "
            "started, or it was merged with a similar one.")
    item = store.contribution(cid)
    assert item is not None and item.text == "mine" and not item.hidden


async def test_no_edits_of_a_merged_contribution(phone: Phone, store: SessionStore) -> None:
    first = (await (await phone.send("first")).json())["id"]
    second = (await (await phone.send("second")).json())["id"]
    await store.merge(first, [second])
    html = await phone.open()
    assert "Merged with a similar contribution" in html
    assert f"/edit/{second}" not in html and f"/edit/{first}" in html
    response = await phone.post(f"edit/{second}", {"text": "changed"}, json=True)
    assert response.status == 409


async def test_an_edit_in_a_moderated_round_says_it_waits_for_approval(
    phone: Phone, store: SessionStore
) -> None:
    await store.go_to_round(4)  # oogst: moderated
    cid = (await (await phone.send("tip", round_id="oogst")).json())["id"]
    await store.update_contributions([cid], approved=True)
    response = await phone.post(f"edit/{cid}", {"text": "better tip"}, json=True)
    assert response.status == 200
    assert (await response.json())["message"] == (
        "Your change is saved. It will be shown once it is approved.")
    response = await phone.post(f"edit/{cid}", {"text": "best tip"})
    assert response.headers["Location"].endswith("?ok=edited_pending#mine")
    html = await phone.open("?ok=edited_pending")
    assert "It will be shown once it is approved." in html and "Waiting for approval" in html
