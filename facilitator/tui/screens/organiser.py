"""The organiser link: the room's read-only summary for an organiser's ``facilitator event
watch``, with its own secret (not the participants' join code). The facilitator can switch it
off (every organiser link is refused) or make a new one (the old one stops working).

The link is shown only here, never on the session screen, which is often projected: anyone who
holds the link can follow the room's summary."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from facilitator.session.store import SessionStore
from facilitator.tui.i18n import _


class OrganiserScreen(ModalScreen[None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,k", "close", "Close", id="organiser.close"),
    ]

    def __init__(self, store: SessionStore, link: Callable[[], str | None]) -> None:
        super().__init__()
        self.store = store
        self._link = link

    def link(self) -> str | None:
        """The organiser link as the participant server makes it (None: access off, or no
        participant page running)."""
        return self._link()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(_("Organiser link"), classes="dialog-title")
            yield Static(Text(_(
                "An organiser can follow this room from another laptop on the venue network "
                "with `facilitator event watch LINK`: a read-only summary (the round, the best "
                "items, who is at the table), as anonymous as the report. It is not the join "
                "code: give it to the organiser only, and do not project this screen.")))
            yield Static(id="organiser-link")
            with Horizontal(classes="buttons"):
                yield Button(_("New link"), id="renew")
                yield Button("", id="toggle")
                yield Button(_("Close"), variant="primary", id="close")

    def on_mount(self) -> None:
        self.show()
        self.query_one("#close", Button).focus()

    def show(self) -> None:
        on = bool(self.store.info.organiser_secret)
        link = self.link()
        text = Text()
        if not on:
            text.append(_("Organiser access is off: every organiser link is refused."),
                        style="bold")
        elif link is None:
            text.append(_("The participant page is not running, so neither is the organiser "
                          "link."), style="bold red")
        else:
            text.append(link, style="bold")
            text.append("\n" + _("New link: the old one stops working at once."), style="dim")
        self.query_one("#organiser-link", Static).update(text)
        toggle = self.query_one("#toggle", Button)
        toggle.label = _("Switch off") if on else _("Switch on")
        self.query_one("#renew", Button).disabled = not on

    @on(Button.Pressed, "#renew")
    def _renew(self) -> None:
        self.app.run_worker(self._set(on=True), exit_on_error=False)

    @on(Button.Pressed, "#toggle")
    def _toggle(self) -> None:
        self.app.run_worker(self._set(on=not self.store.info.organiser_secret), exit_on_error=False)

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)

    async def _set(self, *, on: bool) -> None:
        """On the app's worker: a failure is reported there (``handle_worker_error``)."""
        await self.store.set_organiser_link(on=on)
        self.show()
