"""The organiser link in the facilitator's TUI: shown on its own screen (key k), never on the
projected session screen; a new link revokes the old one, and it can be switched off."""

from __future__ import annotations

from textual.widgets import Static
from tui_helpers import plain, settle

from facilitator.session.store import SessionStore
from facilitator.tui.screens.dialogs import ConfirmDialog
from facilitator.tui.screens.organiser import OrganiserScreen
from facilitator.tui.screens.session import SessionScreen

SIZE = (160, 45)


async def test_organiser_link_renew_and_switch_off(make_app, session: SessionStore) -> None:
    first = session.info.organiser_secret
    assert first  # a new session's organiser access is on
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        assert "Organiser link: on (k)" in plain(screen.query_one("#join"))
        assert first not in plain(screen.query_one("#join"))  # the projected screen: no secret
        await pilot.press("k")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)  # this screen may be on the projector
        assert "projector" in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, OrganiserScreen)
        assert f"/o/{first}" in plain(dialog.query_one("#organiser-link", Static))

        await pilot.click("#renew")
        await settle(pilot)
        second = session.info.organiser_secret
        assert second and second != first
        shown = plain(dialog.query_one("#organiser-link", Static))
        assert f"/o/{second}" in shown and first not in shown

        await pilot.click("#toggle")
        await settle(pilot)
        assert session.info.organiser_secret == ""
        assert "Organiser access is off" in plain(dialog.query_one("#organiser-link", Static))
        assert dialog.query_one("#renew").disabled

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, SessionScreen)
        assert "Organiser link: off (k)" in plain(app.screen.query_one("#join"))
