"""The agenda: the session's rounds in order, the current one marked."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from facilitator.core.model import RoundState
from facilitator.core.templates import RoundSpec
from facilitator.tui.i18n import _, loc


def kind_label(kind: str) -> str:
    labels = {"bottleneck": _("bottlenecks"), "ideas": _("ideas"),
              "audit": _("who is at the table"), "open": _("open round"),
              "distillation": _("distillation")}
    return labels.get(kind, kind)


class Agenda(OptionList):
    """Enter on a round goes there (going back reopens nothing by itself)."""

    def show(self, rounds: tuple[RoundSpec, ...], states: list[RoundState], current: int) -> None:
        highlighted = self.highlighted
        options = []
        for index, (spec, state) in enumerate(zip(rounds, states, strict=True)):
            mark = "▶" if index == current else ("✓" if state.started else " ")
            text = Text(no_wrap=True, overflow="ellipsis")
            text.append(f"{mark} {index + 1}. ", style="bold" if index == current else "dim")
            text.append(loc(spec.title), style="bold" if index == current else "")
            text.append("\n    ")
            minutes = int(state.duration_s // 60)
            text.append(f"{kind_label(spec.kind.value)} · {minutes} min", style="dim")
            options.append(Option(text, id=spec.id))
        self.clear_options()
        self.add_options(options)
        self.highlighted = highlighted if highlighted is not None else current
