"""Whose voice, live on the facilitator's screen: how equal the room's contributions are (the
audit's Gini), how evenly the expected groups are present, and a nudge when a group at the
table has said nothing yet (facilitator.core.readmodel.SessionView.nudges).

The nudge is a line here for as long as it holds, and a notice once per group (not again at
every redraw); the screen decides whether a pooled group may be named in it (only on a screen
the room cannot see). The projector wall never shows it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.table import Table
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
    """A few lines under the room; its height follows the number of lines, and only a change
    of it lays the screen out again."""

    DEFAULT_CSS = tcss(__file__)

    voice: reactive[VoiceShown | None] = reactive(None, repaint=False)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.nudged: set[str] = set()
        """The groups a notice was given for (each once while this screen lives)."""
        self._height = 0

    def watch_voice(self, voice: VoiceShown | None) -> None:
        if voice is None:
            return
        table = Table.grid(padding=(0, 1), expand=True)
        table.add_column(ratio=1, overflow="ellipsis", no_wrap=True)
        table.add_column(justify="right", no_wrap=True)
        table.add_row(Text(_("Whose voice"), style="bold"), "")
        if voice.gini is not None:
            table.add_row(Text(_("Equality (Gini)")), decimal(voice.gini, 2))
            table.add_row(Text(_("Sent nothing"), style="dim"),
                          Text(f"{voice.silent}/{voice.participants}", style="dim"))
        if voice.representation:
            table.add_row(Text(_("Presence low/high")), voice.representation)
        if voice.turnout:
            table.add_row(Text(_("Turnout low/high")), voice.turnout)
        lines: list[RenderableType] = [table]
        height = table.row_count
        width = max(1, self.content_size.width or self.size.width or 24)
        for name in voice.quiet:  # wrapped, not cut: the group's name must be read whole
            line = Text("⚑ ", style="bold yellow")
            line.append(Text(_("{group}: nothing said yet").format(group=name)))
            lines.append(line)
            height += len(line.wrap(self.app.console, width))
        # Laid out again only when its height changes: a new layout redraws the whole screen,
        # and the figures change with every join and contribution (docs/tui.md, under load).
        resized = height != self._height
        if resized:
            self._height = height
            self.styles.height = height + 1  # and the line above it (voice.tcss)
        self.update(Group(*lines), layout=resized)
        new = [name for name in voice.quiet if name not in self.nudged]
        if new:
            self.nudged.update(new)
            self.notify(ngettext("{groups} is at the table and has said nothing yet: invite "
                                 "them in?",
                                 "{groups} are at the table and have said nothing yet: invite "
                                 "them in?", len(new)).format(groups=quoted(new)),
                        title=_("Whose voice"), timeout=8, markup=False)
