"""The facilitator's screen names exactly the groups the printed report names (the one rule in
facilitator.core.privacy), so the projector never shows what the report withholds."""

from __future__ import annotations

import io

from rich.console import Console
from tui_helpers import feed, settle

from facilitator.report import build_report
from facilitator.session.store import SessionStore
from facilitator.tui.screens.session import SessionScreen
from facilitator.tui.widgets.round_view import audit_view

SIZE = (160, 45)


def _render(renderable: object) -> str:
    console = Console(width=150, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


async def test_screen_and_report_name_the_same_groups(make_app, session: SessionStore,
                                                      add) -> None:
    # Three from the municipality, three refugee-led, one funder: the funder alone is too small
    # a pool, so the municipality (first in the template of the two equal groups) joins it.
    muni = await add("Van de gemeente", device="device-0")
    refugee = await add("Van een initiatief", device="device-3")
    funder = await add("Van een fonds", device="device-6")
    report = build_report(SessionStore.open(session.path, read_only=True), lang="en")
    printed = {i.id: i.group for r in report.rounds for t in r.themes for i in t.items}
    assert printed == {muni.id: "", refugee.id: "Refugee-led initiative", funder.id: ""}
    rows = {g.group_id: g for g in report.groups}
    assert rows["municipality"].pooled and rows["municipality"].contributions == "< 3"

    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        assert screen.rows.named == {"refugee_led"}
        table = feed(app)
        who = {cid: table.get_cell(str(cid), "who").plain for cid in (muni.id, refugee.id,
                                                                     funder.id)}
        assert who == {muni.id: "A · ···", refugee.id: "B · Refugee-led initiative",
                       funder.id: "A · ···"}
        assert screen.feed_area.stakeholder_choices() == ["refugee_led"]

    audit_round = next(r for r in session.template.rounds if r.kind.value == "audit")
    text = _render(audit_view(session, audit_round))
    municipality = next(line for line in text.splitlines() if "Municipality" in line)
    assert "< 3" in municipality and "33%" not in municipality  # no exact share, as printed
    assert "1 (33%)" in next(line for line in text.splitlines() if "Refugee-led" in line)
