"""Flows that show the room's ways in on a screen of their own: the join code full screen (j),
the people, tables and table cards (c), the organiser's link (k), the moderation page in this
laptop's browser (B), the co-moderator's link (K) and the network check (N). A secret is
shown on a screen that may be projected only once the facilitator says yes."""

from __future__ import annotations

from collections.abc import Callable

from facilitator.tui.i18n import _
from facilitator.tui.screens.comoderator import ComoderatorScreen
from facilitator.tui.screens.dialogs import ConfirmDialog
from facilitator.tui.screens.flows import Flows
from facilitator.tui.screens.join_code import JoinCodeScreen
from facilitator.tui.screens.organiser import OrganiserScreen
from facilitator.tui.screens.preflight import PreflightScreen
from facilitator.tui.screens.table_cards import TableCardsDialog


class LinkFlows(Flows):
    def join_code(self) -> None:
        desk = self.session.desk
        self.session.app.push_screen(JoinCodeScreen(
            self.store, _("Scan to join: {title}").format(title=self.store.info.title),
            link=lambda: desk.server_url("room"), watch_link=desk.watch_join_url))

    def table_cards(self) -> None:
        desk = self.session.desk
        self.session.app.push_screen(TableCardsDialog(
            self.store, wall_url=lambda: desk.server_url("wall"), print_cards=desk.print_cards))

    def _unless_projected(self, question: str, show: Callable[[], object]) -> None:
        """``show`` at once on the facilitator's own screen; on one that may be what the room
        sees, only once the facilitator says yes to ``question``."""
        if not self.session.projected:
            show()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                show()

        self.session.app.push_screen(ConfirmDialog(
            question + "\n" + _("(W puts the wall on the projector; P says this screen is your "
                                "own.)"), yes=_("Show it"), no=_("Not now")), answered)

    def organiser(self) -> None:
        desk = self.session.desk
        self._unless_projected(
            _("This screen may be on the projector, and the organiser link is a secret: "
              "whoever reads it can follow this room. Show it here?"),
            lambda: self.session.app.push_screen(
                OrganiserScreen(self.store, lambda: desk.server_url("organiser")),
                lambda _: self.session.show_join()))

    def moderate(self) -> None:
        """The round's contributions in this laptop's browser, right-to-left text shown right
        (the moderation page, facilitator/web/moderation.py)."""
        url = self.session.desk.server_url("moderation")
        if url is None:
            self.session.notify(_("The participant page is not running, so neither is the "
                                  "moderation page."), severity="warning", markup=False)
            return
        self._unless_projected(
            _("This screen may be on the projector, and the moderation page shows hidden "
              "contributions and those waiting for approval too. Open it here?"),
            lambda: self.session.app.run_worker(
                self._open(f"{url}?round={self.spec.id}"), group="browser",
                exit_on_error=False))

    async def _open(self, url: str) -> None:
        if await self.session.desk.open_in_browser(url):
            self.session.notify(_("Opened in the browser: {url}").format(url=url),
                                markup=False, timeout=8)
        else:
            self.session.notify(_("No browser could be opened from here: open {url} in a "
                                  "browser on this laptop.").format(url=url),
                                severity="warning", timeout=30, markup=False)

    def comoderator(self) -> None:
        desk = self.session.desk
        self._unless_projected(
            _("This screen may be on the projector, and the co-moderator link is a secret: "
              "whoever reads it can change what the room sees. Show it here?"),
            lambda: self.session.app.push_screen(
                ComoderatorScreen(self.store, lambda: desk.server_url("comoderator"))))

    def network_check(self) -> None:
        self.session.app.push_screen(PreflightScreen(self.session.desk.preflight_target))
