"""The key bar at the bottom of a screen: its most used keys, in the TUI's language, from the
action registry (facilitator.tui.actions). The keys a day runs on come first, by a short name
(``actions.DAY``: open input, voting, results, next round, the QR code, and the day chair's
line and approving in the rounds that have them); then the screen's other keys of the bar.
Instead of cutting a description in half where the terminal ends, it leaves out the keys that
do not fit; help (?) and the palette (ctrl+p) end the bar, and list everything; where the day's
keys of the round do not all fit, help and the palette give way first."""

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
    ``left_out``: commands that do not apply here.

    The keys of ``first`` (the day's keys of this round) win over help's name: where they do
    not all fit beside help and the palette, help shrinks to its key, then leaves (the palette
    lists it), then the palette keeps only its key."""
    by_id = {command.id: command for command in commands}
    firsts = [_part(by_id[command_id].key, _(name)) for command_id, name in first
              if command_id in by_id and command_id not in left_out]
    others = [_part(command.key, _(command.name)) for command in commands
              if command.bar and command.id not in ALWAYS
              and command.id not in {command_id for command_id, _name in first}
              and command.id not in left_out]
    tails = _tails(commands)
    tail = next((tail for tail in tails
                 if _length([*firsts, tail]) <= width), tails[-1])
    shown: list[Text] = []
    for part in [*firsts, *others]:
        if _length([*shown, part, tail]) <= width:
            shown.append(part)
    return Text(GAP, no_wrap=True, overflow="crop").join([*shown, tail])


def _length(parts: Sequence[Text]) -> int:
    return sum(part.cell_len for part in parts) + len(GAP) * max(0, len(parts) - 1)


def _tails(commands: Sequence[Command]) -> list[Text]:
    """The bar's end, from its fullest to its shortest: help and the palette, with their
    names; help's key alone; the palette alone; the palette's key alone."""
    helps = [command for command in commands if command.id in ALWAYS]
    palette = _part("ctrl+p", _("all commands"))
    def joined(*parts: Text) -> Text:
        return Text(GAP).join(parts)

    return [joined(*(_part(command.key, _(command.name)) for command in helps), palette),
            joined(*(_key(command.key) for command in helps), palette),
            palette, _key("ctrl+p")]


def _key(key: str) -> Text:
    return Text(f" {key} ", style="bold reverse")


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
