"""The session header: session title, round n of N with its title and state, and the timer."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from facilitator.core.clock import format_clock
from facilitator.core.model import RoundState
from facilitator.core.templates import RoundSpec, VotingRule
from facilitator.tui.i18n import _, loc


def voting_rule(rule: VotingRule) -> str:
    if rule.rule == "dots":
        return _("{dots} dots, at most {cap} per item").format(
            dots=rule.dots, cap=rule.per_item_cap)
    if rule.rule == "score":
        return _("score {low}–{high}").format(low=rule.scale_min, high=rule.scale_max)
    return _("no voting")


class RoundHeader(Horizontal):
    """Two lines on the left (session; round and its state), the timer big on the right."""

    _timer_shown = ""

    def compose(self) -> ComposeResult:
        yield Static(id="round-line", markup=False)
        yield Static(id="timer", markup=False)

    def show_round(self, session_title: str, index: int, total: int, spec: RoundSpec,
                   state: RoundState) -> None:
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(session_title, style="bold")
        line.append("\n")
        line.append(_("Round {n} of {total}").format(n=index + 1, total=total), style="bold cyan")
        line.append(": ")
        line.append(loc(spec.title), style="bold")
        line.append("   ")
        if not state.started:
            line.append(" " + _("not started: o starts the round") + " ",
                        style="bold black on cyan")
            self.query_one("#round-line", Static).update(line)
            return
        if spec.participants_submit:
            if state.submissions_open:
                line.append(" " + _("open for input") + " ", style="bold black on green")
            else:
                line.append(" " + _("input closed") + " ", style="black on grey70")
            line.append(" ")
        if spec.voting.rule != "none":
            if state.voting_open:
                label = _("voting open") + f" ({voting_rule(spec.voting)})"
                line.append(" " + label + " ", style="bold black on yellow")
            else:
                line.append(" " + _("voting closed") + " ", style="black on grey70")
            line.append(" ")
        if state.results_shown:
            line.append(" " + _("results shown") + " ", style="bold white on blue")
        if spec.moderated:
            line.append(" " + _("moderated") + " ", style="bold white on magenta")
        self.query_one("#round-line", Static).update(line)

    def show_timer(self, state: RoundState, now: float) -> None:
        remaining = state.remaining(now)
        timer = self.query_one("#timer", Static)
        text = Text(format_clock(remaining), style="bold")
        if not state.timer_running:
            text.append(" ⏸ " + _("paused"), style="")
        if text.plain != self._timer_shown:  # a tick that changes nothing redraws nothing
            self._timer_shown = text.plain
            timer.update(text, layout=False)  # fixed size
        timer.set_class(0 < remaining <= 60, "last-minute")
        timer.set_class(remaining <= 0, "over")
        timer.set_class(not state.timer_running, "paused")
