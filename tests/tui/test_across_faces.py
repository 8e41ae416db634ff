"""Issue 22's proof: one session fed to the facilitator's screen, the projector wall, the report
and the organiser's summary finds the same three rankings ("most votes", "carried by every
group", "where the groups differ"), the same ties and the same audit figures on all four.

Real parts: the session is a real TinyDB file; the wall and the organiser link are the real
participant server on 127.0.0.1; the summary is pulled by the organiser's own watch (read as
strictly as from any stranger on the network) and drawn by the event wall; the screen is the
real TUI driven by Pilot, and the key that switches the ranking (R) is what makes the wall
switch; the numbers invited are typed into the TUI's dialog.
"""

from __future__ import annotations

import html
import re
from typing import Any

import aiohttp
from babel.numbers import format_decimal, format_percent
from textual.widgets import Input, Static
from tui_helpers import plain, settle

from facilitator.event.wall import EventWall
from facilitator.event.watch import EventWatch, RoomState
from facilitator.report.markdown import md_escape, render_markdown
from facilitator.report.model import build_report
from facilitator.session.store import SessionStore
from facilitator.tui.screens.invited import InvitedDialog
from facilitator.tui.widgets.round_view import RoundView
from facilitator.web.server import ParticipantServer

SIZE = (160, 45)
GROUPS = ["municipality"] * 3 + ["refugee_led"] * 3 + ["civil_society"] * 3 + ["funder", "", ""]
"""Three named groups of three, and a pool of three (the funder alone, and two who would rather
not say: core/privacy)."""
TEXTS = ("Iedereen wil dit", "Alleen de gemeente", "Alleen de initiatieven", "Niemand",
         "Een beetje de rest")

Ranks = dict[str, tuple[int, bool]]
"""Item text → (rank, shares its rank)."""

EXPECTED: dict[str, Ranks] = {
    # 12 dots, 6, 6, 2: "Niemand" got none and ranks last, with nobody to share its place
    "votes": {TEXTS[0]: (1, False), TEXTS[1]: (2, True), TEXTS[2]: (2, True),
              TEXTS[4]: (4, False)},
    # every group 80% on the first; one group's 80% against 20% in the others ties the
    # next two; the pool's 60% puts the last below them; nobody supported "Niemand"
    "carried": {TEXTS[0]: (1, False), TEXTS[1]: (2, True), TEXTS[2]: (2, True),
                TEXTS[4]: (4, False)},
    "differ": {TEXTS[1]: (1, True), TEXTS[2]: (1, True), TEXTS[4]: (3, False),
               TEXTS[0]: (4, False)},
}


async def _day(store: SessionStore) -> None:
    await store.go_to_round(1)
    for n, group in enumerate(GROUPS):
        await store.join(f"d{n}", lang="nl", stakeholder=group)
    await store.set_organiser_link(on=True)
    items = {}
    for device, text in zip(("d0", "d1", "d3", "d4", "d9"), TEXTS, strict=True):
        items[text] = (await store.add_contribution("knelpunten", text, author=device)).id
    await store.update_round("knelpunten", voting_open=True)
    for n, group in enumerate(GROUPS):
        device = f"d{n}"
        ballot = {items[TEXTS[0]]: 1}
        if group == "municipality":
            ballot[items[TEXTS[1]]] = 2
        if group == "refugee_led":
            ballot[items[TEXTS[2]]] = 2
        if device in ("d9", "d10"):
            ballot[items[TEXTS[4]]] = 1
        await store.ballot_items(device, "knelpunten")
        await store.cast_ballot(device, "knelpunten", ballot)
    await store.update_round("knelpunten", voting_open=False)


def _tui_ranks(results: str) -> Ranks:
    found = {}
    for text in TEXTS:
        match = re.search(rf"^\s*(\d+)(=?)\s+(?:\d+\s+)?{re.escape(text)}", results, re.M)
        if match:
            found[text] = (int(match[1]), bool(match[2]))
    return found


def _tui_votes_ranks(results: str) -> Ranks:
    """Most votes on the screen: "rank votes text" (the screen numbers ranks, the wall and the
    report say the ties)."""
    ranks = {}
    for text in TEXTS:
        match = re.search(rf"^\s*(\d+)\s+(\d+)\s+{re.escape(text)}", results, re.M)
        if match and int(match[2]):
            ranks[text] = int(match[1])
    return {text: (rank, list(ranks.values()).count(rank) > 1) for text, rank in ranks.items()}


WALL_LI = re.compile(r'<li value="(\d+)"(?: data-id="\d+")?(?: class="(tied)")?>(.*?)</li>',
                     re.S)
SPAN = re.compile(r"<span[^>]*>([^<]*)</span>")


def _wall_ranks(page: str) -> Ranks:
    """The ranked list the wall shows now (most votes: ties read from equal ranks)."""
    start = page.index('class="rankings"')
    listed = page[page.index("<ol", start):page.index("</ol>", start)]
    found = []
    for rank, tied, inside in WALL_LI.findall(listed):
        [text] = [t for t in map(html.unescape, SPAN.findall(inside)) if t in TEXTS]
        found.append((text, int(rank), bool(tied)))
    ranks = [rank for _text, rank, _tied in found]
    return {text: (rank, tied or ranks.count(rank) > 1) for text, rank, tied in found}


def _votes_only(ranks: Ranks) -> Ranks:
    return {text: shown for text, shown in ranks.items() if text != TEXTS[3]}


async def test_the_four_faces_show_the_same_rankings_ties_and_audit(
        make_app: Any, store: SessionStore) -> None:
    await _day(store)
    server = ParticipantServer(store, host="127.0.0.1", port=0)
    await server.start()
    tui: dict[str, Ranks] = {}
    wall: dict[str, Ranks] = {}
    try:
        async with aiohttp.ClientSession() as browser:
            async def wall_page() -> str:
                async with browser.get(server.wall_url + "?lang=en") as response:
                    assert response.status == 200
                    return await response.text()

            app = make_app(store)
            async with app.run_test(size=SIZE) as pilot:
                await settle(pilot)
                await pilot.press("w")  # the results: most votes
                await settle(pilot)
                results = plain(app.screen.query_one(RoundView).query_one(Static))
                tui["votes"] = _tui_votes_ranks(results)
                wall["votes"] = _votes_only(_wall_ranks(await wall_page()))
                for kind in ("carried", "differ"):
                    await pilot.press("R")  # the facilitator's key: the screen and the wall
                    await settle(pilot)
                    await pilot.pause(0.6)  # the results redraw at most twice a second
                    assert store.round_state("knelpunten").ranking == kind
                    results = plain(app.screen.query_one(RoundView).query_one(Static))
                    tui[kind] = _tui_ranks(results)
                    page = await wall_page()
                    assert f'data-ranking="{kind}"' in page
                    wall[kind] = _wall_ranks(page)
                    if kind == "carried":
                        assert "Groups compared:" in page and "Other groups together" in page
                        assert "shared place" in page

                # whose voice, live, and the nudge: civil society is at the table, silent
                voice = plain(app.screen.query_one("#voice"))
                assert "Civil-society organisation: nothing said yet" in voice
                assert [n.message for n in app.notified if "said nothing" in n.message] == [
                    "“Civil-society organisation” is at the table and has said nothing yet: "
                    "invite them in?"]  # once, however often the panel is drawn again
                # the numbers invited, typed into the TUI's own dialog
                await pilot.press("I")
                await settle(pilot)
                dialog = app.screen
                assert isinstance(dialog, InvitedDialog)
                dialog.query_one("#invited-municipality", Input).value = "6"
                dialog.query_one("#invited-civil_society", Input).value = "3"
                dialog.query_one("#invited-refugee_led", Input).value = "many"
                await pilot.press("ctrl+s")
                await settle(pilot)
                assert isinstance(app.screen, InvitedDialog)  # refused, and it says why
                assert "from 0 to" in plain(app.screen.query_one("#problem"))
                assert store.info.invited == {}
                dialog.query_one("#invited-refugee_led", Input).value = "4"
                await pilot.press("ctrl+s")
                await settle(pilot)
                assert store.info.invited == {"municipality": 6, "civil_society": 3,
                                              "refugee_led": 4}
                await pilot.pause(0.3)
                voice = plain(app.screen.query_one("#voice"))
                await store.update_round("aan-tafel", results_shown=True)
                async with browser.get(server.wall_url + "?lang=en") as response:
                    before_audit = await response.text()
                await store.go_to_round(3)  # the audit round, its results shown on the wall
                async with browser.get(server.wall_url + "?lang=en") as response:
                    audit_page_wall = await response.text()
            assert server.organiser_url is not None
            watch = EventWatch([server.organiser_url])
            await watch.start()
            try:
                room = watch.rooms[0]
                await watch.pull(room)
                assert room.state is RoomState.ONLINE, room.problem
                summary = room.summary
                assert summary is not None
                event_wall = EventWall(watch, title="Dag", lang="en").render("overview.html")
            finally:
                await watch.stop()
    finally:
        await server.stop()

    report = build_report(store, lang="en")
    markdown = render_markdown(report)
    audit = store.audit()

    # -- the three rankings and their ties ----------------------------------------------------
    [printed] = [r for r in report.rounds if r.round_id == "knelpunten"]
    assert printed.carried is not None and printed.differ is not None
    [appendix] = [a for a in report.appendix if a.title == printed.title]
    report_ranks: dict[str, Ranks] = {
        "votes": {i.text: (int(i.rank), [int(j.rank) for j in appendix.items].count(int(i.rank))
                           > 1) for i in appendix.items if not i.status and i.votes != "0"},
        "carried": {i.text: (i.rank, i.tied) for i in printed.carried.items},
        "differ": {i.text: (i.rank, i.tied) for i in printed.differ.items},
    }
    [kept] = [r for r in summary.rounds if r.id == "knelpunten"]
    assert kept.carried is not None and kept.differ is not None
    top_ranks = [item.rank for item in kept.top if item.votes]
    summary_ranks: dict[str, Ranks] = {
        "votes": {i.text: (i.rank, top_ranks.count(i.rank) > 1) for i in kept.top if i.votes},
        "carried": {i.text: (i.rank, i.tied) for i in kept.carried.items},
        "differ": {i.text: (i.rank, i.tied) for i in kept.differ.items},
    }
    for kind, expected in EXPECTED.items():
        assert tui[kind] == expected, ("tui", kind)
        assert wall[kind] == expected, ("wall", kind)
        assert report_ranks[kind] == expected, ("report", kind)
        assert summary_ranks[kind] == expected, ("summary", kind)
    assert kept.ranking == "differ"  # what the room's results show, as the facilitator chose
    # -- the event wall draws the room's rankings from the summary ---------------------------
    for kind in ("carried", "differ"):
        for text, (rank, tied) in EXPECTED[kind].items():
            assert re.search(rf'<li value="{rank}" data-id="\d+"><span dir="auto">'
                             rf'{re.escape(text)}</span>' + (" <span class=\"meta\">shared "
                                                            "place</span>" if tied else ""),
                             event_wall), (kind, text)

    # -- the audit's figures ------------------------------------------------------------------
    assert audit.gini is not None and audit.representation is not None
    assert audit.invited_representation is not None
    gini = format_decimal(audit.gini, format="0.00", locale="en")
    representation = format_percent(audit.representation, locale="en")
    turnout = format_percent(audit.invited_representation, locale="en")
    assert turnout == "50%"  # the municipality 3 of 6 against civil society 3 of 3
    assert re.search(rf"Equality \(Gini\)\s+{re.escape(gini)}", voice)
    assert re.search(rf"Presence low/high\s+{re.escape(representation)}", voice)
    assert re.search(rf"Turnout low/high\s+{re.escape(turnout)}", voice)
    assert f"one person sent everything): {gini}" in audit_page_wall
    assert f"the smallest has {representation} of the people" in audit_page_wall
    assert f"the lowest turnout is {turnout} of the highest" in audit_page_wall
    assert "Whose voice" not in before_audit  # only when the audit's results are shown
    assert "nothing said" not in audit_page_wall  # the nudge is the facilitator's alone
    assert report.audit.gini == audit.gini
    [equality] = [line for line in report.voice if "Gini" in line]
    assert f"one person sent all): {gini};" in equality
    assert any(representation in line for line in report.voice)
    assert md_escape(equality) in markdown
    assert summary.voice is not None
    assert (summary.voice.gini, summary.voice.representation,
            summary.voice.invited_representation) == (
        audit.gini, audit.representation, audit.invited_representation)
    assert f"equality of contributions (Gini) {gini}" in event_wall
    assert f"lowest turnout {turnout} of the highest" in event_wall
    # votes cast per group: the same on the report's rows and the summary's
    rows, _withheld = store.view.groups()
    cast = {g.group_id: g.votes_cast for g in rows if not g.pooled and g.present}
    assert cast == {g.id: str(g.votes_cast) for g in summary.groups
                    if g.votes_cast is not None and g.present}
    names = {g.name: g.votes_cast for g in report.groups if g.present and not g.pooled}
    assert names == {"Municipality": cast["municipality"], "Refugee-led initiative":
                     cast["refugee_led"], "Civil-society organisation": cast["civil_society"]}
