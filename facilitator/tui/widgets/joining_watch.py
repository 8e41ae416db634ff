"""Warnings about joining: joining closed for the round, more devices than people in the room,
a burst of new devices. Hidden while there is nothing to say.

The screen hands it :class:`JoiningShown`; the rules are in ``core/joining.py`` (the burst watch
itself is :class:`facilitator.core.joining.BurstWatch`; :class:`Arrivals` keeps it with the
burst shown, fed by the screen as devices join).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from facilitator.core.joining import BURST_WINDOW_S, CARD, ROOM, Burst, BurstWatch, devices_over
from facilitator.tui.i18n import _, ngettext
from facilitator.tui.widgets import tcss

BURST_SHOWN_S = 120.0
"""How long the warning of a burst stays after the burst."""


def code_name(joined_with: str) -> str:
    """What the facilitator calls the code a device joined with."""
    if joined_with == ROOM:
        return _("the room's QR code")
    if joined_with.startswith(CARD):
        table = joined_with.removeprefix(CARD)
        return _("table card {table}").format(table=table) if table else _("the session's card")
    return _("no code")


def burst_line(burst: Burst) -> str:
    (code, count), *_others = burst.codes
    return ngettext("{n} new device within {seconds} s; {count} with {code}.",
                    "{n} new devices within {seconds} s; {count} with {code}.",
                    burst.devices).format(n=burst.devices, seconds=round(BURST_WINDOW_S),
                                          count=count, code=code_name(code))


class Arrivals:
    """New devices as they join, and the burst the screen shows: the largest count of the
    current burst, kept :data:`BURST_SHOWN_S` after it ends."""

    def __init__(self) -> None:
        self.watch = BurstWatch()
        self.shown: Burst | None = None
        self._seen_at = 0.0

    def joined(self, now: float, joined_with: str) -> None:
        self.watch.joined(now, joined_with)

    def follow(self, now: float) -> tuple[bool, bool]:
        """Whether the burst shown changed (a new one, a bigger one, or one that ended), and
        whether it is a new one (the facilitator must notice that)."""
        burst = self.watch.burst(now)
        if burst is not None:
            began = self.shown is None
            if self.shown is None or burst.devices >= self.shown.devices:
                self.shown = burst
            self._seen_at = now
            return True, began
        if self.shown is not None and now - self._seen_at > BURST_SHOWN_S:
            self.shown = None
            return True, False
        return False, False


@dataclass(frozen=True, slots=True)
class JoiningShown:
    devices: int
    people: int
    """People in the room as the facilitator said (0: not said)."""
    closed: bool
    """Joining is closed for the current round."""
    burst: Burst | None = None


class JoiningWatch(Static):
    """What the facilitator must know about who is joining, with the keys that act on it."""

    DEFAULT_CSS = tcss(__file__)

    joining: reactive[JoiningShown | None] = reactive(None)
    _lines_shown = 0

    def watch_joining(self, shown: JoiningShown | None) -> None:
        lines = joining_lines(shown) if shown is not None else []
        if bool(lines) != self.display:
            self.display = bool(lines)
        if lines:
            # Its height changes only with the number of lines: a new device is a redraw.
            self.update(Text("\n").join(lines), layout=len(lines) != self._lines_shown)
        self._lines_shown = len(lines)


def joining_lines(shown: JoiningShown) -> list[Text]:
    """The warnings, then the keys that act on them; none when all is well."""
    found: list[Text] = []
    if devices_over(shown.devices, shown.people):
        found.append(Text(_("{devices} devices for {people} people in the room.").format(
            devices=shown.devices, people=shown.people), style="bold red"))
    if shown.burst is not None:
        found.append(Text(burst_line(shown.burst), style="bold red"))
    if shown.closed:
        found.append(Text(_("Joining is closed for this round: new devices are turned "
                            "away (J opens it)."), style="bold yellow"))
    if found:
        found.append(Text(_("c: codes and table cards") if shown.closed
                          else _("J: close joining · c: codes and table cards"), style="dim"))
    return found
