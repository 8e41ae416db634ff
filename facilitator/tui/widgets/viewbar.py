"""The line above the feed and the results: which of the two is shown, the round's counts,
what waits for approval, and the filters. Always there, so the facilitator never has to guess
which view is on the screen (and on the projector)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from facilitator.tui.i18n import _, ngettext
from facilitator.tui.widgets import tcss


@dataclass(frozen=True, slots=True)
class ViewStatus:
    results: bool
    """The results are shown (else the feed)."""
    count: str
    """How many the round holds, in its own words ("1 bottleneck", "12 ideas")."""
    hidden: int = 0
    waiting: int = 0
    moderated: bool = False
    marked: int = 0
    table: str = ""
    """The table filter ("" for none)."""
    group: str | None = None
    """The stakeholder filter's group name (None for none)."""


def status_text(status: ViewStatus) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    for label, on in ((_("Feed"), not status.results), (_("Results"), status.results)):
        text.append(f" {label} ", style="bold reverse" if on else "dim")
    text.append(" (w)  ", style="dim")
    text.append(status.count, style="bold")
    if status.hidden:
        text.append(" · " + ngettext("{n} hidden", "{n} hidden", status.hidden).format(
            n=status.hidden), style="dim")
    if status.waiting or status.moderated:
        text.append(" · ")
        text.append(ngettext("{n} waiting for approval (y)", "{n} waiting for approval (y)",
                             status.waiting).format(n=status.waiting),
                    style="bold black on yellow" if status.waiting else "dim")
    if status.marked:
        text.append(" · ")
        text.append(ngettext("{n} marked", "{n} marked", status.marked).format(n=status.marked),
                    style="bold yellow")
    if status.table:
        text.append("   " + _("showing table {table} only (g)").format(table=status.table),
                    style="bold yellow")
    if status.group is not None:
        text.append("   " + _("showing {group} only (G)").format(group=status.group),
                    style="bold yellow")
    return text


class ViewBar(Static):
    DEFAULT_CSS = tcss(__file__)

    status: reactive[ViewStatus | None] = reactive(None)

    def watch_status(self, status: ViewStatus | None) -> None:
        if status is not None:
            self.update(status_text(status), layout=False)
