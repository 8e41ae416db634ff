"""The session header: session title, round n of N with its title and state, and the timer.

It shows what the screen hands it (``round_line``, ``now``); the timer reads as on the phones
(facilitator.core.clock)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Static

from facilitator.core.clock import format_clock
from facilitator.core.model import RoundState
from facilitator.core.templates import RoundSpec, VotingRule
from facilitator.tui.i18n import _, loc
from facilitator.tui.widgets import tcss


def voting_rule(rule: VotingRule) -> str:
    if rule.rule == "dots":
        return _("{dots} dots, at most {cap} per item").format(
            dots=rule.dots, cap=rule.per_item_cap)
    if rule.rule == "score":
        return _("score {low}–{high}").format(low=rule.scale_min, high=rule.scale_max)
    return _("no voting")


@dataclass(frozen=True, slots=True)
class RoundLine:
    """What the header shows of the round."""

    session_title: str
    index: int
    total: int
    spec: RoundSpec
    state: RoundState
    projected: bool = True
    """False: the facilitator said this screen is not on the projector (key P)."""
    wall: bool = False
    """The wall was opened in the browser for the projector (key W)."""


def round_text(line: RoundLine) -> Text:
    spec, state = line.spec, line.state
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(line.session_title, style="bold")
    if not line.projected and line.wall:
        text.append("   " + _("the room sees the wall; this is your own screen (P)"),
                    style="bold green")
    elif not line.projected:
        text.append("   " + _("own screen, not for the projector (P)"), style="bold red")
    text.append("\n")
    text.append(_("Round {n} of {total}").format(n=line.index + 1, total=line.total),
                style="bold cyan")
    text.append(": ")
    text.append(loc(spec.title), style="bold")
    text.append("   ")
    if not state.started:
        text.append(" " + _("not started: o starts the round") + " ", style="bold black on cyan")
        return text
    if spec.participants_submit:
        if state.submissions_open:
            text.append(" " + _("open for input") + " ", style="bold black on green")
        else:
            text.append(" " + _("input closed") + " ", style="black on grey70")
        text.append(" ")
    if spec.voting.rule != "none":
        if state.voting_open:
            label = _("voting open") + f" ({voting_rule(spec.voting)})"
            text.append(" " + label + " ", style="bold black on yellow")
        else:
            text.append(" " + _("voting closed") + " ", style="black on grey70")
        text.append(" ")
    if spec.moderated:
        text.append(" " + _("moderated") + " ", style="bold white on magenta")
    return text


class RoundHeader(Horizontal):
    """Two lines on the left (session; round and its state), the timer big on the right."""

    DEFAULT_CSS = tcss(__file__)

    round_line: reactive[RoundLine | None] = reactive(None, repaint=False)
    now: reactive[float] = reactive(0.0, repaint=False)

    def compose(self) -> ComposeResult:
        yield Static(id="round-line", markup=False)
        yield Static(id="timer", markup=False)

    def watch_round_line(self, line: RoundLine | None) -> None:
        if line is not None:
            self.query_one("#round-line", Static).update(round_text(line), layout=False)
            self._show_timer()

    def watch_now(self) -> None:
        self._show_timer()

    def _show_timer(self) -> None:
        line = self.round_line
        if line is None:
            return
        state = line.state
        remaining = state.remaining(self.now)
        timer = self.query_one("#timer", Static)
        text = Text(format_clock(remaining), style="bold")
        if not state.timer_running:
            text.append(" ⏸ " + _("paused"), style="")
        if text.plain != str(timer.content):  # a tick that changes nothing redraws nothing
            timer.update(text, layout=False)  # fixed size
        timer.set_class(0 < remaining <= 60, "last-minute")
        timer.set_class(remaining <= 0, "over")
        timer.set_class(not state.timer_running, "paused")
