"""The co-moderator's link: the round's contributions on a colleague's phone or laptop, shown
with their own direction (Arabic and Farsi read right there, where this terminal may not draw
them), to approve, hide and merge (``facilitator/web/moderation.py``). Like the organiser link
it has a secret of its own, which the facilitator renews (the old link stops working) or
switches off.

The link and its QR code are shown only here, never on the session screen, which is often
projected: whoever holds the link can change what the room sees."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from facilitator.qr import TerminalQR
from facilitator.session.store import SessionStore
from facilitator.tui.i18n import _


class ComoderatorScreen(ModalScreen[None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,K", "close", "Close", id="comoderator.close"),
    ]

    def __init__(self, store: SessionStore, link: Callable[[], str | None]) -> None:
        super().__init__()
        self.store = store
        self._link = link

    def link(self) -> str | None:
        """The co-moderator's link as the participant server makes it (None: switched off, or
        no participant page running)."""
        return self._link()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(_("Co-moderator link"), classes="dialog-title")
            yield Static(Text(_(
                "A colleague who reads a language you do not (Arabic, Farsi...) can moderate "
                "with you from their own phone or laptop on the venue network: the round's "
                "contributions shown right, to approve, hide and merge. What they change shows "
                "here at once. Give the link to that colleague only (let them scan the code), "
                "and do not project this screen.")))
            yield Static(id="comoderator-link")
            with Horizontal(classes="buttons"):
                yield Button(_("New link"), id="renew")
                yield Button("", id="toggle")
                yield Button(_("Close"), variant="primary", id="close")

    def on_mount(self) -> None:
        self.show()
        self.query_one("#close", Button).focus()

    def show(self) -> None:
        on = bool(self.store.info.comoderator_secret)
        link = self.link()
        shown: RenderableType
        if not on:
            shown = Text(_("The co-moderator link is off: every co-moderator link is refused."),
                         style="bold")
        elif link is None:
            shown = Text(_("The participant page is not running, so neither is the "
                           "co-moderator link."), style="bold red")
        else:
            shown = Group(TerminalQR(link), Text(link, style="bold"),
                          Text(_("New link: the old one stops working at once."), style="dim"))
        self.query_one("#comoderator-link", Static).update(shown)
        toggle = self.query_one("#toggle", Button)
        toggle.label = _("Switch off") if on else _("Switch on")
        self.query_one("#renew", Button).disabled = not on

    @on(Button.Pressed, "#renew")
    def _renew(self) -> None:
        self.app.run_worker(self._set(on=True), exit_on_error=False)

    @on(Button.Pressed, "#toggle")
    def _toggle(self) -> None:
        self.app.run_worker(self._set(on=not self.store.info.comoderator_secret),
                        exit_on_error=False)

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)

    async def _set(self, *, on: bool) -> None:
        """On the app's worker: a failure is reported there (``handle_worker_error``)."""
        await self.store.set_comoderator_link(on=on)
        self.show()
