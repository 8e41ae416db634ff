"""The room at a glance: how many participants per stakeholder group."""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from facilitator.tui.i18n import _
from facilitator.tui.widgets import tcss


@dataclass(frozen=True, slots=True)
class RoomRow:
    name: str
    present: int
    missing: bool = False
    """Expected, and nobody is here."""
    required: bool = False
    """Must be at the table."""
    expected: bool = True


class RoomPanel(Static):
    """One line per group and the total. Its height changes only when the number of groups
    does, so a new participant redraws it without a new layout of the screen."""

    DEFAULT_CSS = tcss(__file__)

    rows: reactive[tuple[RoomRow, ...]] = reactive(())

    def watch_rows(self, old: tuple[RoomRow, ...], rows: tuple[RoomRow, ...]) -> None:
        table = Table.grid(padding=(0, 1), expand=True)
        table.add_column(ratio=1, overflow="ellipsis", no_wrap=True)
        table.add_column(justify="right")
        for row in rows:
            style = "bold red" if row.missing and row.required else ("red" if row.missing
                                                                     else "")
            if not row.expected and not row.present:
                style = "dim"
            table.add_row(Text(row.name, style=style),
                          Text(str(row.present), style="bold " + style if row.present
                               else style or "dim"))
        table.add_row(Text(_("Total"), style="bold"),
                      Text(str(sum(r.present for r in rows)), style="bold"))
        resized = len(old) != len(rows)
        if resized:
            self.styles.height = len(rows) + 1
        self.update(table, layout=resized)
