"""The key bar at the bottom of a screen: its most used keys, in the TUI's language, from the
action registry (facilitator.tui.actions). Instead of cutting a description in half where the
terminal ends, it leaves out the keys that do not fit; help (?) and the palette (ctrl+p) always
fit, and list everything."""

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


def key_bar(commands: Sequence[Command], width: int) -> Text:
    """The bar for ``width`` cells: as many of ``commands`` as fit whole, then help and the
    palette at the end."""
    tail = Text()
    for command in commands:
        if command.id in ALWAYS:
            tail.append_text(_part(command.key, _(command.name)))
            tail.append(GAP)
    tail.append_text(_part("ctrl+p", _("all commands")))
    shown = Text(no_wrap=True, overflow="crop")
    for command in commands:
        if command.id in ALWAYS:
            continue
        part = _part(command.key, _(command.name))
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

    def __init__(self, commands: Sequence[Command]) -> None:
        super().__init__()
        self.commands = [c for c in commands if c.bar]

    def on_resize(self) -> None:
        self.update(key_bar(self.commands, self.size.width), layout=False)
