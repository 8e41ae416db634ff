"""One read model for every face: the same session fed to the facilitator's screen, the
projector wall (the real participant server on 127.0.0.1) and the report shows the same ranks,
vote totals, counts and named groups."""

from __future__ import annotations

import html
import re

import aiohttp
from textual.widgets import Static
from tui_helpers import feed, plain, settle

from facilitator.report.model import build_report
from facilitator.session.store import SessionStore
from facilitator.tui.screens.session import SessionScreen
from facilitator.tui.widgets.round_view import RoundView
from facilitator.web.server import ParticipantServer

SIZE = (160, 45)
WALL_ITEM = re.compile(r'<li value="(\d+)"><span class="total">Dots: (\d+)</span> '
                       r'<span(?: lang="\w+")? dir="\w+">([^<]*)</span>')


async def test_screen_wall_and_report_show_the_same_figures(make_app,
                                                            session: SessionStore) -> None:
    for device in ("quiet-1", "quiet-2"):  # with the funder a pool of three (core/privacy)
        await session.join(device, lang="nl")
    said = {}
    for device, text in (("device-0", "Regels te ingewikkeld"), ("device-3", "Geen loket"),
                         ("device-1", "Te veel regels"), ("device-6", "Geld komt te laat"),
                         ("device-4", "Niemand belt terug")):
        said[text] = await session.add_contribution("knelpunten", text, author=device)
    await session.merge(said["Regels te ingewikkeld"].id, [said["Te veel regels"].id])
    await session.update_round("knelpunten", voting_open=True)
    ballots = {"device-2": {said["Geen loket"].id: 2, said["Geld komt te laat"].id: 2,
                            said["Regels te ingewikkeld"].id: 1},
               "device-5": {said["Regels te ingewikkeld"].id: 2, said["Geen loket"].id: 2,
                            said["Niemand belt terug"].id: 1}}
    for device, ballot in ballots.items():
        await session.ballot_items(device, "knelpunten")
        await session.cast_ballot(device, "knelpunten", ballot)
    await session.update_round("knelpunten", voting_open=False)

    report = build_report(session, lang="en")
    [printed] = [r for r in report.rounds if r.round_id == "knelpunten"]
    printed_items = {i.text: i for t in printed.themes for i in t.items}
    # ranked within their theme, as the TUI's results number them too
    theme_ranks = {text: (i.rank, i.votes) for text, i in printed_items.items()}
    [appendix] = [a for a in report.appendix if a.title == printed.title]
    # ranked in the round, as the wall ranks them
    report_ranks = {i.text: (int(i.rank), i.votes) for i in appendix.items if not i.status}
    report_groups = {text: i.group for text, i in printed_items.items()}
    assert report.dots == 10 and report_ranks["Geen loket"] == (1, "4")
    assert report_ranks.keys() == theme_ranks.keys()

    server = ParticipantServer(session, host="127.0.0.1", port=0)
    await server.start()
    try:
        async with aiohttp.ClientSession() as browser:
            page = await (await browser.get(server.wall_url + "?lang=en")).text()
    finally:
        await server.stop()
    wall_ranks = {html.unescape(text): (int(rank), votes)
                  for rank, votes, text in WALL_ITEM.findall(page)}
    assert wall_ranks == report_ranks
    assert f"Contributions: {printed.shown}" in page

    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        table = feed(app)
        feed_votes = {table.get_cell(cid, "text").plain: table.get_cell(cid, "votes").plain  # type: ignore[union-attr]
                      for cid in table.ids}
        feed_groups = {table.get_cell(cid, "text").plain:  # type: ignore[union-attr]
                       table.get_cell(cid, "who").plain.split(" · ")[-1]  # type: ignore[union-attr]
                       for cid in table.ids}
        assert f"{printed.shown} bottlenecks" in plain(screen.query_one("#view-bar", Static))
        await pilot.press("w")
        await settle(pilot)
        results = plain(screen.query_one(RoundView).query_one(Static))
    for text, (rank, votes) in theme_ranks.items():
        assert feed_votes[text] == votes
        assert re.search(rf"^\s*{rank}\s+{votes}\s+{re.escape(text)}", results, re.M), text
    for text, group in report_groups.items():  # named where the report names it, else · · ·
        assert feed_groups[text] == (group or "···")
    assert report_groups["Geen loket"] == "Refugee-led initiative"
    assert report_groups["Geld komt te laat"] == ""  # the funder: one person, pooled


async def test_votes_are_counted_by_rule_on_the_screen_and_in_the_report(
        make_app, session: SessionStore) -> None:
    """Dots as dots and scores as scores given, whatever their value (facilitator.core.voting):
    not 3 dots + 4 + 5 = 12 votes, but 3 dots and 2 scores."""
    bottleneck = await session.add_contribution("knelpunten", "Knelpunt", author="device-0")
    await session.update_round("knelpunten", voting_open=True)
    await session.ballot_items("device-1", "knelpunten")
    await session.cast_ballot("device-1", "knelpunten", {bottleneck.id: 2})
    await session.ballot_items("device-2", "knelpunten")
    await session.cast_ballot("device-2", "knelpunten", {bottleneck.id: 1})
    await session.go_to_round(2)
    idea = await session.add_contribution("oplossingen", "Idee", author="device-0")
    await session.update_round("oplossingen", voting_open=True)
    for device, score in (("device-1", 4), ("device-2", 5)):
        await session.ballot_items(device, "oplossingen")
        await session.cast_ballot(device, "oplossingen", {idea.id: score})
    report = build_report(session, lang="en")
    assert (report.dots, report.scores) == (3, 2)  # never added into one figure
    await session.go_to_round(3)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        results = plain(app.screen.query_one(RoundView).query_one(Static))  # audit opens on it
    assert "3 dots and 2 scores" in results
    assert "12" not in results.split("Stakeholder group")[0]
