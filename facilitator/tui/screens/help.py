"""The help screen: every key of the session screen with what it does."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from facilitator.tui.i18n import N_, _, translate_bindings


def key_label(key: str) -> str:
    names = {"right_square_bracket": "]", "left_square_bracket": "[", "plus": "+",
             "question_mark": "?", "space": _("space"), "enter": _("enter")}
    return ", ".join(names.get(k, k) for k in key.split(","))


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "close", N_("Close"), id="help.close"),
    ]

    def __init__(self, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        translate_bindings(self)
        self.keys = keys

    def compose(self) -> ComposeResult:
        table = Table(box=None, padding=(0, 2), show_header=False)
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        for key, description in self.keys:
            table.add_row(Text(key), Text(description))
        intro = Text(_("Keys of the session screen. Every action is also in the command "
                       "palette (ctrl+p). Space marks contributions: marked ones are "
                       "hidden, sorted or merged together."), style="italic")
        with VerticalScroll(classes="dialog wide", id="help"):
            yield Static(Text(_("Help"), style="bold"), classes="dialog-title")
            yield Static(intro)
            yield Static(table)

    def action_close(self) -> None:
        self.dismiss(None)
