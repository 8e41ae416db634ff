"""The join screen for the projector: the QR code as large as the terminal allows, in the
middle of it, the room's short link and the devices that joined under it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Center
from textual.screen import ModalScreen
from textual.widgets import Static

from facilitator.core.model import Change
from facilitator.qr import TerminalQR, largest_scale, terminal_modules
from facilitator.tui import actions
from facilitator.tui.i18n import _, ngettext
from facilitator.tui.messages import JoinLinkChanged, StoreChanged

if TYPE_CHECKING:
    from facilitator.session.store import SessionStore


class JoinCodeScreen(ModalScreen[None]):
    """Follows the room's join code as the participant server announces it, and the devices
    as they join (the store's commits): nothing is asked on a timer."""

    CSS_PATH = "join_code.tcss"
    ACTIONS: ClassVar[tuple[actions.Command, ...]] = actions.JOIN
    BINDINGS: ClassVar[list[BindingType]] = list(actions.bindings(actions.JOIN))

    def __init__(self, store: SessionStore, prompt: str, *, link: Callable[[], str | None],
                 watch_link: Callable[[Callable[[], None]], Callable[[], None] | None]) -> None:
        super().__init__()
        self.store = store
        self.prompt = prompt
        self._link = link
        """The room's short link while the participant page runs."""
        self._watch_link = watch_link
        """Calls back on each new join code; returns how to stop (None: no server)."""
        self.url: str | None = None
        self.devices = 0
        self._unsubscribe: list[Callable[[], None]] = []

    TEXT_ROWS = 5
    """Rows around the code: the prompt, a blank line, the link, the devices."""

    def compose(self) -> ComposeResult:
        yield Static(id="join-prompt")
        with Center():
            yield Static(id="join-qr")
        yield Static(id="join-url")

    def on_mount(self) -> None:
        self._unsubscribe.append(self.store.subscribe(self._committed))
        stop = self._watch_link(self._link_changed)
        if stop is not None:
            self._unsubscribe.append(stop)
        self._follow()

    def _link_changed(self) -> None:
        self.post_message(JoinLinkChanged())

    def on_unmount(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()

    def _committed(self, changes: tuple[Change, ...]) -> None:
        if any(change.table == "participants" for change in changes):
            self.post_message(StoreChanged(changes))

    @on(StoreChanged)
    @on(JoinLinkChanged)
    def _follow(self, _message: Any = None) -> None:
        link = (self._link(), self.store.participant_count)
        if link != (self.url, self.devices):
            self.url, self.devices = link
            self.show()

    def on_resize(self) -> None:
        self.show()

    def show(self) -> None:
        self.query_one("#join-prompt", Static).update(
            Text(self.prompt, style="bold", justify="center"))
        if not self.url:
            self.query_one("#join-qr", Static).update(
                Text(_("The participant page is not running."), style="bold red"))
            return
        width, height = self.size
        scale = largest_scale(terminal_modules(self.url), width, height - self.TEXT_ROWS)
        self.query_one("#join-qr", Static).update(
            TerminalQR(self.url, scale=scale) if scale else
            Text(_("This window is too small for the QR code: make it larger, or let phones "
                   "type the link below."), style="bold", justify="center"))
        line = Text(self.url, style="bold", justify="center")
        line.append("\n" + f"{self.devices} " + ngettext("device joined", "devices joined",
                                                          self.devices), style="")
        self.query_one("#join-url", Static).update(line)

    def action_close(self) -> None:
        self.dismiss(None)
