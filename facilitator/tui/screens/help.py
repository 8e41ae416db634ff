"""The help screen: every command of the screen it was opened on (keys and what they do, from
the action registry, facilitator.tui.actions), and the legend of the feed's signs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from facilitator.tui.actions import Command
from facilitator.tui.i18n import _
from facilitator.tui.widgets.feed import legend


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "close", "Close", id="help.close"),
    ]

    def __init__(self, commands: Sequence[Command]) -> None:
        super().__init__()
        self.commands = list(commands)

    @property
    def keys(self) -> list[tuple[str, str]]:
        """(keys, what they do) for every command, in the TUI's language."""
        found = [(c.all_keys, _(c.name) + (f" — {_(c.help)}" if c.help else ""))
                 for c in self.commands]
        found.append(("ctrl+p", _("Command palette: every action by name")))
        return found

    def compose(self) -> ComposeResult:
        table = Table(box=None, padding=(0, 2), show_header=False)
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        for key, description in self.keys:
            table.add_row(Text(key), Text(description))
        signs = Table(box=None, padding=(0, 2), show_header=False)
        signs.add_column(style="bold magenta", no_wrap=True)
        signs.add_column()
        for sign, meaning in legend():
            signs.add_row(Text(sign), Text(meaning))
        intro = Text(_("Every action is also in the command palette (ctrl+p). Space marks "
                       "contributions: marked ones are hidden, sorted or merged together."),
                     style="italic")
        with VerticalScroll(classes="dialog wide", id="help"):
            yield Static(Text(_("Help"), style="bold"), classes="dialog-title")
            yield Static(intro)
            yield Static(table)
            yield Static(Text("\n" + _("What the signs mean"), style="bold"))
            yield Static(signs)

    def action_close(self) -> None:
        self.dismiss(None)
