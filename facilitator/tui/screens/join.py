"""The join screen for the projector: the QR code as large as the terminal allows."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Middle
from textual.screen import ModalScreen
from textual.widgets import Static

from facilitator.qr import TerminalQR
from facilitator.tui.i18n import N_, _, ngettext, translate_bindings


class JoinScreen(ModalScreen[None]):
    CSS_PATH = "join.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,j,q", "close", N_("Back to the session"), id="join.close"),
    ]

    def __init__(self, link: Callable[[], tuple[str | None, int]], prompt: str) -> None:
        """``link``: the join URL as of now (None: the page is not running) and how many
        devices have joined; asked again every second, as the room's code changes."""
        super().__init__()
        translate_bindings(self)
        self.link = link
        self.url, self.devices = link()
        self.prompt = prompt

    def compose(self) -> ComposeResult:
        with Middle(), Center():
            yield Static(id="join-prompt")
            yield Static(id="join-qr")
            yield Static(id="join-url")

    def on_mount(self) -> None:
        self.show()
        self.set_interval(1.0, self._follow)

    def _follow(self) -> None:
        link = self.link()
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
        scale = 1
        for candidate in (3, 2):
            qr = TerminalQR(self.url, scale=candidate)
            if qr.width + 2 <= width and qr.height + 6 <= height:
                scale = candidate
                break
        self.query_one("#join-qr", Static).update(TerminalQR(self.url, scale=scale))
        line = Text(self.url, style="bold", justify="center")
        line.append("\n" + f"{self.devices} " + ngettext("device joined", "devices joined",
                                                          self.devices), style="")
        self.query_one("#join-url", Static).update(line)

    def action_close(self) -> None:
        self.dismiss(None)
