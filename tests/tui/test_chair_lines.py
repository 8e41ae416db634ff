"""The day chair's lines in the TUI: d in the closing distillation round records a line to the
groups ticked, the round view shows the lines beside the room's tips, and d elsewhere says where
lines belong and records nothing."""

from __future__ import annotations

from textual.geometry import Region
from textual.widgets import SelectionList, Static, TextArea
from tui_helpers import plain as _plain
from tui_helpers import settle

from facilitator.core.model import Source
from facilitator.session.store import SessionStore
from facilitator.tui.screens.dialogs import LineDialog
from facilitator.tui.widgets.round_view import RoundView

SIZE = (160, 45)


async def test_d_records_a_line_to_the_groups_ticked(make_app, session: SessionStore) -> None:
    await session.go_to_round(4)  # oogst: the distillation round
    tip = await session.add_contribution("oogst", "Ga op stage bij een migrantenorganisatie",
                                         source=Source.TUI)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, LineDialog)
        await pilot.press("ctrl+s")  # nothing ticked, nothing typed: refused, dialog stays
        await pilot.pause()
        assert app.screen is dialog
        groups = dialog.query_one(SelectionList)
        await pilot.press("space", "down", "space")  # municipality, civil-society organisation
        await pilot.pause()
        # Ticked and not ticked differ in what is drawn, not only in its colour.
        drawn = [strip.text for strip in groups.render_lines(
            Region(0, 0, groups.size.width, groups.size.height)) if "▌" in strip.text]
        assert len(drawn) >= 3  # the box is drawn as it was: ▐X▌
        assert [line.split("▌", 1)[1].lstrip().startswith("✓") for line in drawn] \
            == [True, True] + [False] * (len(drawn) - 2), drawn
        dialog.query_one(TextArea).text = "Neem groepen vroeg mee [bold]in[/] het beleid."
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert list(groups.selected) == ["municipality", "civil_society"]
        [line] = session.lines("oogst")
        assert (line.text, line.addressed_to) == (
            "Neem groepen vroeg mee [bold]in[/] het beleid.", ("municipality", "civil_society"))
        await pilot.press("w")
        await settle(pilot)
        view = _plain(app.screen.query_one(RoundView).query_one(Static))
        assert "To Municipality, Civil-society organisation: Neem groepen vroeg mee [bold]in[/]" \
            in view
        assert "Tips from the room" in view and tip.text in view
        assert view.index("The day chair's lines") < view.index("Tips from the room")


async def test_d_outside_the_distillation_round_records_nothing(
        make_app, session: SessionStore) -> None:
    app = make_app(session)  # at the bottleneck round
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert not isinstance(app.screen, LineDialog)
        assert session.notes() == []
        assert any("distillation" in str(n.message) for n in app.notified)
