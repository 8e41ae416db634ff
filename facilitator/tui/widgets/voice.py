"""Whose voice, live on the facilitator's screen: how equal the room's contributions are (the
audit's Gini), how evenly the expected groups are present, and a nudge when a group at the
table has said nothing yet (facilitator.core.readmodel.SessionView.nudges).

The nudge is a line here for as long as it holds, and a notice once per group (not again at
every redraw); the screen decides whether a pooled group may be named in it (only on a screen
the room cannot see). The projector wall never shows it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from facilitator.tui.i18n import _, decimal, ngettext, quoted
from facilitator.tui.widgets import tcss


@dataclass(frozen=True, slots=True)
class VoiceShown:
    gini: float | None
    """The audit's Gini of contributions (None: nothing said yet)."""
    silent: int
    """Participants who have sent nothing."""
    participants: int
    representation: str
    """The lowest expected group's presence against the highest's ("50%"), or ""."""
    turnout: str
    """The same against the numbers invited, or "" when none were said."""
    quiet: tuple[str, ...] = ()
    """The names of the groups present that have said nothing (the nudge)."""


class VoicePanel(Static):
    """A few lines under the room; its height follows the number of lines."""

    DEFAULT_CSS = tcss(__file__)

    voice: reactive[VoiceShown | None] = reactive(None, repaint=False)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.nudged: set[str] = set()
        """The groups a notice was given for (each once while this screen lives)."""

    def watch_voice(self, voice: VoiceShown | None) -> None:
        if voice is None:
            self.update("")
            return
        lines = []
        if voice.gini is not None:
            lines.append(Text(_("Equality (Gini): {gini}").format(
                gini=decimal(voice.gini, 2))))
            lines.append(Text(_("{n} of {total} sent nothing").format(
                n=voice.silent, total=voice.participants), style="dim"))
        if voice.representation:
            lines.append(Text(_("Presence, lowest/highest: {share}").format(
                share=voice.representation)))
        if voice.turnout:
            lines.append(Text(_("Turnout, lowest/highest: {share}").format(
                share=voice.turnout)))
        for name in voice.quiet:
            line = Text("⚑ ", style="bold yellow")
            line.append(Text(_("{group}: nothing said yet").format(group=name)))
            lines.append(line)
        self.update(Group(*lines))
        new = [name for name in voice.quiet if name not in self.nudged]
        if new:
            self.nudged.update(new)
            self.notify(ngettext("{groups} is at the table and has said nothing yet: invite "
                                 "them in?",
                                 "{groups} are at the table and have said nothing yet: invite "
                                 "them in?", len(new)).format(groups=quoted(new)),
                        title=_("Whose voice"), timeout=8, markup=False)
