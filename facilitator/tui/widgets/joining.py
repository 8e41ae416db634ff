"""Warnings about joining: joining closed for the round, more devices than people in the room,
a burst of new devices. Hidden while there is nothing to say.

The widget listens to the store itself (new participants, the round, the session) so that the
session screen only places it; the rules are in ``core/joining.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import Static

from facilitator.core.joining import (
    BURST_WINDOW_S,
    CARD,
    ROOM,
    Burst,
    BurstWatch,
    devices_over,
)
from facilitator.core.model import Change
from facilitator.store.store import SessionStore
from facilitator.tui.i18n import _

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


class _Joined(Message):
    """The store committed something the warnings depend on (only for this widget)."""

    bubble: ClassVar[bool] = False

    def __init__(self, changes: tuple[Change, ...]) -> None:
        super().__init__()
        self.changes = changes


class JoiningWatch(Static):
    """What the facilitator must know about who is joining, with the keys that act on it."""

    DEFAULT_CSS = """
    JoiningWatch {
        height: auto;
        padding: 0 1;
        border-top: solid $error;
    }
    """

    def __init__(self, store: SessionStore, *, clock: Callable[[], float] = time.monotonic,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.store = store
        self.clock = clock
        """When new devices were seen arrive (the store's commits reach the screen at once)."""
        self.arrivals = BurstWatch()
        self.burst: Burst | None = None
        """The last burst, shown until :data:`BURST_SHOWN_S` after it ended."""
        self._burst_seen_at = 0.0
        self._unsubscribe: Callable[[], None] | None = None

    def on_mount(self) -> None:
        self._unsubscribe = self.store.subscribe(self._committed)
        self.set_interval(1.0, self.show)
        self.show()

    def _committed(self, changes: tuple[Change, ...]) -> None:
        """Called by the store after each commit (in the commit task): a message to itself."""
        self.post_message(_Joined(changes))

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()

    @on(_Joined)
    def _joined(self, message: _Joined) -> None:
        now = self.clock()
        tables = set()
        for change in message.changes:
            tables.add(change.table)
            if change.table == "participants" and change.inserted:
                for participant_id in change.ids:
                    participant = self.store.participant_by_id(participant_id)
                    if participant is not None:
                        self.arrivals.joined(now, participant.joined_with)
        if tables & {"participants", "rounds", "session"}:
            self.show()

    def show(self) -> None:
        now = self.clock()
        burst = self.arrivals.burst(now)
        if burst is not None:
            if self.burst is None:  # a new burst: make sure the facilitator notices
                self.app.bell()
                self.notify(self.burst_line(burst), title=_("Many new devices at once"),
                            severity="warning", timeout=10, markup=False)
            if self.burst is None or burst.devices >= self.burst.devices:
                self.burst = burst  # the largest count of this burst
            self._burst_seen_at = now
        elif self.burst is not None and now - self._burst_seen_at > BURST_SHOWN_S:
            self.burst = None
        lines = self.lines()
        self.display = bool(lines)
        if lines:
            self.update(Text("\n").join(lines))

    def lines(self) -> list[Text]:
        """The warnings, then the keys that act on them; none when all is well."""
        store = self.store
        found: list[Text] = []
        devices, people = store.participant_count, store.info.room_size
        extra = devices_over(devices, people)
        if extra:
            found.append(Text(_("{devices} devices for {people} people in the room.").format(
                devices=devices, people=people), style="bold red"))
        if self.burst is not None:
            found.append(Text(self.burst_line(self.burst), style="bold red"))
        closed = store.round_state(store.current_round.id).joining_closed
        if closed:
            found.append(Text(_("Joining is closed for this round: new devices are turned "
                                "away (J opens it)."), style="bold yellow"))
        if found:
            found.append(Text(_("c: codes and table cards") if closed
                              else _("J: close joining · c: codes and table cards"),
                              style="dim"))
        return found

    @staticmethod
    def burst_line(burst: Burst) -> str:
        (code, count), *_others = burst.codes
        return _("{n} new devices within {seconds} s; {count} with {code}.").format(
            n=burst.devices, seconds=round(BURST_WINDOW_S), count=count, code=code_name(code))
