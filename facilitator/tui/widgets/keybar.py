"""The key bar at the bottom of a screen: its most used keys, in the TUI's language, from the
action registry (facilitator.tui.actions). The keys a day runs on come first, by a short name
(``actions.DAY``: open input, voting, results, next round, the QR code, and the day chair's
line and approving in the rounds that have them); then the screen's other keys of the bar.
Instead of cutting a description in half where the terminal ends, it leaves out the keys that
do not fit; help (?) and the palette (ctrl+p) always fit, and list everything."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from facilitator.tui.actions import Command
from facilitator.tui.i18n import _
from facilitator.tui.widgets import tcss

GAP = "  "
ALWAYS = ("app.help",)
"""Commands that end every bar, whatever its width, with the palette."""


def _part(key: str, name: str) -> Text:
    part = Text()
    part.append(f" {key} ", style="bold reverse")
    part.append(" " + name)
    return part


def key_bar(commands: Sequence[Command], width: int, first: Sequence[tuple[str, str]] = (),
            left_out: frozenset[str] = frozenset()) -> Text:
    """The bar for ``width`` cells: ``first`` (command id, short name) in order, then the other
    ``commands`` of the bar, as many as fit whole, then help and the palette at the end.
    ``left_out``: commands that do not apply here."""
    tail = Text()
    for command in commands:
        if command.id in ALWAYS:
            tail.append_text(_part(command.key, _(command.name)))
            tail.append(GAP)
    tail.append_text(_part("ctrl+p", _("all commands")))
    by_id = {command.id: command for command in commands}
    firsts = {command_id for command_id, _name in first}
    parts = [(by_id[command_id].key, _(name)) for command_id, name in first
             if command_id in by_id and command_id not in left_out]
    parts += [(command.key, _(command.name)) for command in commands
              if command.bar and command.id not in ALWAYS and command.id not in firsts
              and command.id not in left_out]
    shown = Text(no_wrap=True, overflow="crop")
    for key, name in parts:
        part = _part(key, name)
        if shown.cell_len + part.cell_len + len(GAP) * 2 + tail.cell_len > width:
            continue
        if shown:
            shown.append(GAP)
        shown.append_text(part)
    if shown:
        shown.append(GAP)
    shown.append_text(tail)
    return shown


class KeyBar(Static):
    DEFAULT_CSS = tcss(__file__)

    def __init__(self, commands: Sequence[Command],
                 first: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__()
        self.commands = list(commands)
        self.first = first
        self.left_out: frozenset[str] = frozenset()

    def leave_out(self, command_ids: frozenset[str]) -> None:
        """Show every key but these (they do not apply to what the screen shows now)."""
        if command_ids != self.left_out:
            self.left_out = command_ids
            self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        self.update(key_bar(self.commands, self.size.width, self.first, self.left_out),
                    layout=False)
