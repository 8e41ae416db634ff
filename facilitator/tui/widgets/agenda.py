"""The agenda: the session's rounds in order, the current one marked.

Enter on a round asks the screen to go there (:class:`Agenda.RoundChosen`); the screen asks
the facilitator first. The agenda is reached with A (not with tab, which stays in the feed and
the results), says so while it has the focus, and escape leaves it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from facilitator.tui.i18n import _, ngettext
from facilitator.tui.widgets import tcss


def kind_label(kind: str) -> str:
    labels = {"bottleneck": _("bottlenecks"), "ideas": _("ideas"),
              "audit": _("who is at the table"), "open": _("open round"),
              "distillation": _("distillation")}
    return labels.get(kind, kind)


@dataclass(frozen=True, slots=True)
class AgendaRow:
    title: str
    kind: str
    minutes: int
    started: bool
    current: bool


class Agenda(OptionList, can_focus=False):
    DEFAULT_CSS = tcss(__file__)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Back", show=False),
    ]

    rows: reactive[tuple[AgendaRow, ...]] = reactive((), always_update=False)

    class RoundChosen(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    class Left(Message):
        """The facilitator left the agenda (escape)."""

    def watch_rows(self, rows: tuple[AgendaRow, ...]) -> None:
        highlighted = self.highlighted
        options = []
        for index, row in enumerate(rows):
            mark = "▶" if row.current else ("✓" if row.started else " ")
            text = Text(no_wrap=True, overflow="ellipsis")
            text.append(f"{mark} {index + 1}. ", style="bold" if row.current else "dim")
            text.append(row.title, style="bold" if row.current else "")
            text.append("\n    ")
            text.append(f"{kind_label(row.kind)} · " + ngettext(
                "{n} min", "{n} min", row.minutes).format(n=row.minutes), style="dim")
            options.append(Option(text))
        self.clear_options()
        self.add_options(options)
        current = next((i for i, row in enumerate(rows) if row.current), 0)
        self.highlighted = highlighted if highlighted is not None and self.has_focus \
            else current
        self.scroll_to_highlight()

    def on_resize(self) -> None:
        """However little room the agenda gets, the round it points at stays in view."""
        self.scroll_to_highlight()

    def enter(self) -> None:
        """Take the focus (key A): tab never parks it here."""
        self.can_focus = True
        self.focus()
        self.border_title = _("enter: go to the round · escape: back")

    def on_blur(self) -> None:
        self.can_focus = False
        self.border_title = ""

    def action_leave(self) -> None:
        self.post_message(self.Left())

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.RoundChosen(event.option_index))
