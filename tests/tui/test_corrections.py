"""Every slip undone in a keystroke (Pilot, on a real session store): x on an idea with an
action corrects or removes that action (never a second one), d corrects, re-addresses or
removes one of the day chair's lines, - and = set the timer shorter or to a value, i sets the
session's title, place and date."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from textual.geometry import Region
from textual.widgets import Input, Label, OptionList, SelectionList, Static, TextArea
from tui_helpers import FROZEN_NOW, feed, settle
from tui_helpers import plain as _plain

from facilitator.core.model import Source, held_on
from facilitator.session.store import SessionStore
from facilitator.tui.screens.dialogs import (
    ActionDialog,
    DetailsDialog,
    LineDialog,
    Picker,
    TextDialog,
)
from facilitator.tui.widgets.round_view import RoundView

SIZE = (160, 45)


async def test_x_on_an_idea_with_an_action_corrects_it_and_can_remove_it(
        make_app, session: SessionStore, add) -> None:
    await session.go_to_round(2)  # oplossingen
    idea = await add("Wisselstage tussen gemeente en organisatie", device="device-4")
    action = await session.add_action("Proef uitwerken", owner="Gemeente", due="2027-03-31",
                                      contribution_id=idea.id, round_id="oplossingen")
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ActionDialog)  # the action it has, to correct
        assert dialog.query_one(TextArea).text == "Proef uitwerken"
        assert dialog.query_one("#owner", Input).value == "Gemeente"
        assert dialog.query_one("#due", Input).value == "31-03-2027"
        dialog.query_one("#owner", Input).value = "Welzijnsorganisatie"
        dialog.query_one("#due", Input).value = "30-04-2027"
        await pilot.press("ctrl+s")
        await settle(pilot)
        [corrected] = session.actions()  # corrected in place: still one action
        assert (corrected.id, corrected.owner, corrected.due) == (
            action.id, "Welzijnsorganisatie", "2027-04-30")
        await pilot.press("w")
        await settle(pilot)
        view = _plain(app.screen.query_one(RoundView).query_one(Static))
        assert "Welzijnsorganisatie" in view and "Gemeente" not in view
        await pilot.press("w")
        await settle(pilot)

        await pilot.press("x")
        await pilot.pause()
        await pilot.click("#remove")
        await settle(pilot)
        assert session.actions() == [] and session.actions_for(idea.id) == []
        assert "▶" not in feed(app).get_cell(str(idea.id), "status").plain  # type: ignore[union-attr]
        assert any("Action removed." in n.message for n in app.notified)

        await pilot.press("x")  # no action now: a new one, from the idea's text
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ActionDialog)
        assert dialog.query_one(TextArea).text == idea.text
        assert not dialog.query("#remove")


async def test_x_with_two_actions_on_one_idea_asks_which(make_app, session: SessionStore,
                                                        add) -> None:
    """A session from before, where x made a second action: choose one to correct."""
    await session.go_to_round(2)
    idea = await add("Wisselstage", device="device-4")
    for owner in ("Gemeente", "Gemeente (dubbel)"):
        await session.add_action("Proef uitwerken", owner=owner, contribution_id=idea.id,
                                 round_id="oplossingen")
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, Picker)
        options = picker.query_one(OptionList)
        assert options.option_count == 3
        options.highlighted = 2  # the second action
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ActionDialog)
        await pilot.click("#remove")
        await settle(pilot)
        assert [a.owner for a in session.actions()] == ["Gemeente"]


async def test_d_corrects_readdresses_and_removes_a_line(make_app, session: SessionStore
                                                        ) -> None:
    await session.go_to_round(4)  # oogst: the distillation round
    line = await session.add_note("oogst", "Betrek de groepen eerder",
                                  addressed_to=("migrant_org",))
    await session.add_contribution("oogst", "Een tip", source=Source.TUI)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, Picker)
        options = picker.query_one(OptionList)
        assert "To Migrant organisation: Betrek de groepen eerder" in str(
            options.get_option_at_index(1).prompt)
        options.highlighted = 1
        await pilot.press("enter")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, LineDialog)
        groups = dialog.query_one(SelectionList)
        assert list(groups.selected) == ["migrant_org"]
        assert dialog.query_one(TextArea).text == "Betrek de groepen eerder"
        groups.deselect("migrant_org")
        groups.select("municipality")
        dialog.query_one(TextArea).text = "Betrek de groepen voordat het beleid vastligt"
        await pilot.press("ctrl+s")
        await settle(pilot)
        [corrected] = session.lines("oogst")
        assert (corrected.id, corrected.text, corrected.addressed_to) == (
            line.id, "Betrek de groepen voordat het beleid vastligt", ("municipality",))
        await pilot.press("w")
        await settle(pilot)
        view = _plain(app.screen.query_one(RoundView).query_one(Static))
        assert "To Municipality: Betrek de groepen voordat het beleid vastligt" in view
        assert "eerder" not in view

        await pilot.press("d")
        await pilot.pause()
        app.screen.query_one(OptionList).highlighted = 1
        await pilot.press("enter")
        await pilot.pause()
        await pilot.click("#remove")
        await settle(pilot)
        assert session.lines("oogst") == []
        view = _plain(app.screen.query_one(RoundView).query_one(Static))
        assert "vastligt" not in view and "No lines yet" in view

        await pilot.press("d")  # no line left: straight to a new one
        await pilot.pause()
        assert isinstance(app.screen, LineDialog) and app.screen.line is None


async def test_the_timer_is_set_shorter_or_to_a_value(make_app, session: SessionStore) -> None:
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("z")  # paused: what is left stands still
        await settle(pilot)
        state = session.round_state("knelpunten")
        left = state.remaining(FROZEN_NOW)
        await pilot.press("minus")
        await settle(pilot)
        assert session.round_state("knelpunten").remaining(FROZEN_NOW) == left - 60
        await pilot.press("equals_sign")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, TextDialog)
        typed = dialog.query_one(Input)
        # Prefilled as the label asks: minutes:seconds, even past an hour (not 1:13:18).
        minutes, seconds = typed.value.split(":")
        assert int(minutes) * 60 + int(seconds) == int(left - 60 + 0.999)
        assert "agenda" in dialog.title_text  # it says what else changes
        typed.value = "tien"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog  # not a time: said, nothing changed
        assert "2:30" in _plain(dialog.query_one("#problem"))
        assert session.round_state("knelpunten").remaining(FROZEN_NOW) == left - 60
        typed.value = "2:30"
        await pilot.press("enter")
        await settle(pilot)
        state = session.round_state("knelpunten")
        assert state.remaining(FROZEN_NOW) == 150 and not state.timer_running
        assert "02:30" in _plain(app.screen.query_one("#timer", Static))


def assert_whole(labels: Any, start: str) -> None:
    """The label that starts with ``start`` is drawn whole inside its dialog: wrapped, not cut
    at the dialog's edge."""
    [label] = [label for label in labels if str(label.content).startswith(start)]
    assert label.size.width <= label.parent.content_size.width
    drawn = " ".join(strip.text.strip() for strip in label.render_lines(
        Region(0, 0, label.size.width, label.size.height)))
    assert " ".join(drawn.split()) == str(label.content)


async def test_the_date_label_is_whole_in_dutch(make_app, session: SessionStore) -> None:
    app = make_app(session, lang="nl")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, DetailsDialog)
        assert_whole(app.screen.query(Label), "Datum")


async def test_i_sets_the_place_and_the_date_the_report_prints(
        make_app, session: SessionStore) -> None:
    started = dt.date.fromtimestamp(session.round_state("knelpunten").started_at)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, DetailsDialog)
        assert started.strftime("%d-%m-%Y") in _plain(dialog)
        assert_whole(dialog.query(Label), "Date")
        dialog.query_one("#place", Input).value = "Stadhuis Zwolle"
        dialog.query_one("#held-on", Input).value = "31-02-2027"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog and session.info.place == ""
        dialog.query_one("#held-on", Input).value = "14-3-2027"
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert (session.info.place, session.info.held_on) == ("Stadhuis Zwolle", "2027-03-14")
    rounds = [session.round_state(spec.id) for spec in session.template.rounds]
    assert held_on(session.info, rounds) == dt.date(2027, 3, 14)
    assert held_on(dataclasses.replace(session.info, held_on=""), rounds) == started
