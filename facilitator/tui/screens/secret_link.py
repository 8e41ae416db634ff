"""A link with a secret of its own, shown only in a dialog, never on the session screen (which
is often projected): the organiser's and the co-moderator's. The facilitator makes a new one
(the old one stops working at once) or switches it off (every such link is refused).

Each kind says what it is for and how it is shown; this dialog is the rest."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from typing import ClassVar

from rich.console import RenderableType
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from facilitator.session.store import SessionStore
from facilitator.tui.i18n import _


class SecretLinkScreen(ModalScreen[None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close")]
    LINK_ID: ClassVar[str]
    """The id of the part that shows the link (tests look there)."""

    def __init__(self, store: SessionStore, link: Callable[[], str | None]) -> None:
        super().__init__()
        self.store = store
        self._link = link

    def link(self) -> str | None:
        """The link as the participant server makes it (None: switched off, or no participant
        page running)."""
        return self._link()

    # -- what each kind says ------------------------------------------------------------------

    TITLE: ClassVar[str]
    EXPLANATION: ClassVar[str]
    OFF: ClassVar[str]
    """Said when the link is switched off."""
    NOT_RUNNING: ClassVar[str]
    """Said when it is on but no participant page runs to answer it."""

    @abstractmethod
    def is_on(self) -> bool: ...

    @abstractmethod
    async def set_link(self, *, on: bool) -> None:
        """Switch the link on with a new secret, or off."""

    def shown(self, link: str) -> RenderableType:
        """The link as this dialog shows it."""
        return Text.assemble((link, "bold"), "\n",
                             (_("New link: the old one stops working at once."), "dim"))

    # -- the dialog -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(_(self.TITLE), classes="dialog-title")
            yield Static(Text(_(self.EXPLANATION)))
            yield Static(id=self.LINK_ID)
            with Horizontal(classes="buttons"):
                yield Button(_("New link"), id="renew")
                yield Button("", id="toggle")
                yield Button(_("Close"), variant="primary", id="close")

    def on_mount(self) -> None:
        self.show()
        self.query_one("#close", Button).focus()

    def show(self) -> None:
        on = self.is_on()
        link = self.link()
        shown: RenderableType
        if not on:
            shown = Text(_(self.OFF), style="bold")
        elif link is None:
            shown = Text(_(self.NOT_RUNNING), style="bold red")
        else:
            shown = self.shown(link)
        self.query_one(f"#{self.LINK_ID}", Static).update(shown)
        self.query_one("#toggle", Button).label = _("Switch off") if on else _("Switch on")
        self.query_one("#renew", Button).disabled = not on

    @on(Button.Pressed, "#renew")
    def _renew(self) -> None:
        self.app.run_worker(self._set(on=True), exit_on_error=False)

    @on(Button.Pressed, "#toggle")
    def _toggle(self) -> None:
        self.app.run_worker(self._set(on=not self.is_on()), exit_on_error=False)

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)

    async def _set(self, *, on: bool) -> None:
        """On the app's worker: a failure is reported there (``handle_worker_error``)."""
        await self.set_link(on=on)
        self.show()
