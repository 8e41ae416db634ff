"""The room at a glance: how many participants per stakeholder group."""

from __future__ import annotations

from collections import Counter

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from facilitator.core.templates import Template
from facilitator.tui.i18n import _, group_name


class RoomPanel(Static):
    def show(self, template: Template, counts: Counter[str]) -> None:
        """``counts``: participants per stakeholder group ("" for not said)."""
        table = Table.grid(padding=(0, 1), expand=True)
        table.add_column(ratio=1, overflow="ellipsis", no_wrap=True)
        table.add_column(justify="right")
        for group in template.groups:
            n = counts.get(group.id, 0)
            missing = n == 0 and (group.expected or group.must_be_present)
            style = "bold red" if missing and group.must_be_present else (
                "red" if missing else "")
            table.add_row(Text(group_name(template, group.id), style=style),
                          Text(str(n), style="bold " + style if n else style or "dim"))
        known = {g.id for g in template.groups}
        for gid, n in sorted(counts.items()):
            if gid not in known:
                table.add_row(Text(group_name(template, gid), style="dim"), Text(str(n)))
        table.add_row(Text(_("Total"), style="bold"),
                      Text(str(sum(counts.values())), style="bold"))
        self.update(table)
