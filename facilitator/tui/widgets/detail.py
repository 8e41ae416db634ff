"""The detail under the feed: the whole of the contribution under the cursor, and what marking
and merging will do with it."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from facilitator.tui.i18n import _, ngettext
from facilitator.tui.widgets import tcss
from facilitator.tui.widgets.feed import RTL_SIGN


@dataclass(frozen=True, slots=True)
class ActionLine:
    text: str
    owner: str
    due: str
    """As the facilitator reads a date ("1-3-2027"), "" for none."""


@dataclass(frozen=True, slots=True)
class DetailShown:
    id: int
    text: str
    group: str = ""
    """The stakeholder group's name, only when it may be named."""
    table: str = ""
    original: str = ""
    merged_into: int = 0
    duplicates: int = 0
    """How many were merged into this one."""
    links: tuple[str, ...] = ()
    actions: tuple[ActionLine, ...] = ()
    marked: int = 0
    """How many other contributions are marked (m merges them into this one)."""
    rtl: bool = False
    """It holds right-to-left letters, which a terminal without bidi draws wrong."""


def detail_text(shown: DetailShown | None) -> Text:
    if shown is None:
        return Text(_("No contributions yet. They appear here as they arrive; a adds one from "
                      "a paper card."), style="italic")
    text = Text()
    text.append(f"#{shown.id}  ", style="bold")
    text.append(shown.group, style="dim")
    if shown.table:
        text.append("  " + _("table {table}").format(table=shown.table), style="dim")
    if shown.marked:
        text.append("   " + ngettext("{n} marked: m merges it into this one (#{id})",
                                     "{n} marked: m merges them into this one (#{id})",
                                     shown.marked).format(n=shown.marked, id=shown.id),
                    style="bold yellow")
    text.append("\n")
    text.append(shown.text)
    if shown.rtl:
        text.append(f"\n{RTL_SIGN} " + _(
            "Right to left: a terminal may draw it unjoined and in the wrong order. B shows it "
            "right, in the browser; K gives a colleague who reads it a link."), style="magenta")
    if shown.original:
        text.append("\n" + _("first sent as: "), style="dim")
        text.append(shown.original, style="dim")
    if shown.merged_into:
        text.append("\n" + _("merged into #{id} (u takes it out again)").format(
            id=shown.merged_into), style="magenta")
    if shown.duplicates:
        text.append("\n" + ngettext("{n} merged into this one (u takes it out again)",
                                    "{n} merged into this one (u takes them out again)",
                                    shown.duplicates).format(n=shown.duplicates),
                    style="magenta")
    for link in shown.links:
        text.append("\n⇢ ", style="blue")
        text.append(link)
    for action in shown.actions:
        text.append("\n▶ ", style="bold green")
        text.append(action.text)
        text.append(f" — {action.owner or _('no owner yet')}", style="bold")
        if action.due:
            text.append(f" · {action.due}")
    return text


class ContributionDetail(Static):
    DEFAULT_CSS = tcss(__file__)

    detail: reactive[DetailShown | None] = reactive(None, always_update=True, repaint=False)

    def watch_detail(self, shown: DetailShown | None) -> None:
        self.update(detail_text(shown), layout=False)  # fixed height: no layout per move
