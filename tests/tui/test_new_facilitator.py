"""The facilitator's screen tried as a new facilitator would (issue 10): what the screen says
and does at each step, by keyboard, on a real session store."""

from __future__ import annotations

import pytest
from textual.widgets import Button, Static
from tui_helpers import feed, plain, settle

from facilitator.session.store import SessionStore
from facilitator.tui import actions
from facilitator.tui.i18n import parse_date, set_language
from facilitator.tui.screens.dialogs import ConfirmDialog
from facilitator.tui.screens.help import HelpScreen
from facilitator.tui.screens.report import ReportScreen
from facilitator.tui.screens.session import VIEW_FEED, VIEW_ROUND, SessionScreen
from facilitator.tui.widgets.feed import WIDTHS, status_text
from facilitator.tui.widgets.round_view import RoundView

SIZE = (160, 45)


def view_bar(app) -> str:  # type: ignore[no-untyped-def]
    return plain(app.screen.query_one("#view-bar", Static))


async def test_one_indicator_of_the_view_and_r_and_w_are_one(make_app,
                                                              session: SessionStore) -> None:
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionScreen) and screen.view == VIEW_FEED
        assert "Feed" in view_bar(app) and "Results" in view_bar(app)
        await pilot.press("r")
        await settle(pilot)
        assert screen.view == VIEW_ROUND
        assert session.round_state("knelpunten").results_shown  # what the room sees
        await pilot.press("w")
        await settle(pilot)
        assert screen.view == VIEW_FEED
        assert not session.round_state("knelpunten").results_shown
        binding = next(c for c in actions.SESSION if c.id == "view.switch")
        assert binding.keys == "w,r"  # one action, two keys: they cannot drift apart


async def test_waiting_for_approval_is_always_in_view(make_app, session: SessionStore) -> None:
    await session.go_to_round(4)  # the distillation round is moderated
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "0 waiting for approval (y)" in view_bar(app)  # said even when none wait
        await session.add_contribution("oogst", "Een tip", author="device-0")
        await settle(pilot)
        await pilot.pause(0.1)
        assert "1 waiting for approval (y)" in view_bar(app)
        await pilot.press("w")
        await settle(pilot)
        assert "1 waiting for approval (y)" in view_bar(app)  # in the results too
        await pilot.press("w", "y")
        await settle(pilot)
        await pilot.pause(0.1)
        assert "0 waiting for approval (y)" in view_bar(app)
        assert "1 tip" in view_bar(app)  # and its plural is right


async def test_the_audit_round_opens_on_the_audit(make_app, session: SessionStore) -> None:
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right_square_bracket", "y")
        await settle(pilot)
        await pilot.press("right_square_bracket", "y")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        assert session.current_round.kind.value == "audit"
        assert screen.view == VIEW_ROUND
        assert "Who is at the table?" in plain(screen.query_one(RoundView).query_one(Static))


async def test_the_legend_is_one_key_away(make_app, session: SessionStore) -> None:
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        bar = plain(app.screen.query_one("KeyBar"))
        assert "? " in bar and "Help and legend" in bar and "ctrl+p" in bar
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = "\n".join(plain(s) for s in app.screen.query(Static))
        for sign in ("★", "✓", "×3", "→ #12", "⇢2", "▶", "(3)"):
            assert sign in text


def test_no_status_word_is_cut_in_half(session: SessionStore) -> None:
    from facilitator.core.model import Contribution, Flag

    item = Contribution(id=7, round_id="knelpunten", text="x", merged_into=1234, approved=True,
                        flags=(Flag.BOLD.value, Flag.PRACTICAL.value), links=(1, 2, 3))
    for lang in ("en", "nl"):
        set_language(lang)
        try:
            text = status_text(item, has_action=True, count=12).plain
            hidden = status_text(Contribution(id=8, round_id="knelpunten", text="x",
                                              hidden=True), has_action=False).plain
            waiting = status_text(Contribution(id=9, round_id="knelpunten", text="x",
                                               approved=False), has_action=True).plain
        finally:
            set_language("en")
        for shown in (text, hidden, waiting):
            assert len(shown) <= WIDTHS["status"]
            for word in shown.split():
                assert word in ("…", "→", "#1234", "×12", "★", "✓", "⇢3", "▶", "hidden",
                                "verborgen", "to", "approve", "goed", "te", "keuren",
                                "goedkeuren"), (lang, shown)


async def test_the_quit_dialog_says_its_keys_and_arrows_move(make_app,
                                                             session: SessionStore) -> None:
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+q")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        labels = [str(b.label) for b in dialog.query(Button)]
        assert labels == ["Quit (y)", "Stay (n)"]
        assert app.focused is dialog.query_one("#no")
        await pilot.press("left")
        assert app.focused is dialog.query_one("#yes")
        await pilot.press("right")
        assert app.focused is dialog.query_one("#no")
        await pilot.press("left", "enter")
        await pilot.pause()
    assert app.return_code == 0


async def test_every_palette_entry_works_on_every_screen(make_app, session: SessionStore,
                                                         monkeypatch) -> None:
    """What the palette offers runs on the screen it is offered on: the report preview and
    the export too, from the report screen and the help."""
    app = make_app(session)
    ran: list[str] = []
    monkeypatch.setattr(type(app), "report_preview", lambda self: ran.append("preview"))
    monkeypatch.setattr(type(app), "export_report", lambda self: ran.append("export"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(ReportScreen("# Report"))
        await pilot.pause()
        for screen in (app.screen, app.screen_stack[-2]):
            for command, target in app.commands_of(screen):
                name = command.action.removeprefix("app.")
                owner = app if command.action.startswith("app.") else target
                assert callable(getattr(owner, f"action_{name}", None)), (screen, command.id)
        for title in ("Report preview", "Export report"):  # through the palette itself
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*title)
            await pilot.pause(0.3)
            await pilot.press("enter")
            await pilot.pause(0.3)
        assert ran == ["preview", "export"]


async def test_stakeholder_filter_in_a_small_room(make_app, session: SessionStore) -> None:
    """Every group is small here (three or fewer): on a screen that may be projected the feed
    is never narrowed to one (the report pools them), and G says why; on the facilitator's
    own screen (P) it is, and the header says the screen is not for the projector."""
    await session.add_contribution("knelpunten", "Van het fonds", author="device-6")
    await session.add_contribution("knelpunten", "Van de gemeente", author="device-0")
    app = make_app(session)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        assert "funder" not in screen.feed_area.stakeholder_choices()
        await pilot.press("P")
        await pilot.pause()
        assert "own screen, not for the projector (P)" in plain(screen.query_one("#header"))
        assert "funder" in screen.feed_area.stakeholder_choices()
        while screen.feed_area.stakeholder_filter != "funder":
            await pilot.press("G")
            await pilot.pause()
        assert [feed(app).get_cell(cid, "text").plain for cid in feed(app).ids] == [  # type: ignore[union-attr]
            "Van het fonds"]
        await pilot.press("P")  # back on the projector: the pooled group is not shown alone
        await pilot.pause()
        assert screen.feed_area.stakeholder_filter is None
        assert len(feed(app).ids) == 2


@pytest.mark.parametrize(("typed", "iso"), [
    ("1-3-2027", "2027-03-01"), ("01-03-2027", "2027-03-01"), ("1/3/27", "2027-03-01"),
    ("1.3.2027", "2027-03-01"), ("2027-03-01", "2027-03-01"), ("31-2-2027", None),
    ("morgen", None), ("", None)])
def test_dates_as_a_dutch_user_types_them(typed: str, iso: str | None) -> None:
    day = parse_date(typed)
    assert (day.isoformat() if day else None) == iso


async def test_plurals_and_names_agree_with_the_phone_and_the_report(
        make_app, session: SessionStore) -> None:
    from facilitator.tui.i18n import group_name, ngettext

    set_language("nl")
    try:
        assert ngettext("{n} bottleneck", "{n} bottlenecks", 1).format(n=1) == "1 knelpunt"
        assert ngettext("{n} contribution", "{n} contributions", 1).format(n=1) == \
            "1 bijdrage"
        assert ngettext("{n} contribution", "{n} contributions", 2).format(n=2) == \
            "2 bijdragen"
        assert group_name(session.template, "") == "Zeg ik liever niet"  # as on the phone
        from facilitator.tui.i18n import _

        assert _("Owner (who will do it)").startswith("Trekker")  # as in the report
    finally:
        set_language("en")
