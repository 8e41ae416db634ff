"""The store's commits, gathered and shown once per frame.

A busy room commits many times a second; the session screen only needs to catch up once per
frame (:data:`FRAME_S`), and the panels that count arrivals four times a second
(:data:`PANELS_S`). :class:`StoreEvents` keeps what changed until then, and :data:`AREAS` says
which areas of the screen a change of each table touches (the feed's rows are found from the
changed records themselves).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import Enum, auto

from textual.message_pump import MessagePump

from facilitator.core.model import Change
from facilitator.tui.throttle import Throttle

FRAME_S = 1 / 30
"""Store events are shown together at most this often."""
PANELS_S = 0.25
"""The panels that count what arrives (the room, the join counts, the joining watch, the view
bar's totals) are brought up to date at most this often. In a join burst they change with every
device; redrawn four times a second they read the same, and the feed and the keys keep the
frames."""


class Area(Enum):
    """An area of the session screen that is worked out from the store as a whole."""

    ROUND = auto()
    """The header: title, round, states, timer; and the round's question."""
    AGENDA = auto()
    ROOM = auto()
    JOIN = auto()
    """The join panels: the QR code, the link, the counts."""
    JOINING = auto()
    """The joining watch's warnings."""
    NAMED = auto()
    """Which stakeholder groups may be named (the feed and the detail follow)."""
    STATUS = auto()
    """The view bar."""
    DETAIL = auto()
    RESULTS = auto()
    VOICE = auto()
    """Whose voice, and the nudge about a silent group (widgets/voice.py)."""


AREAS: dict[str, frozenset[Area]] = {
    "session": frozenset({Area.ROUND, Area.AGENDA, Area.JOIN, Area.JOINING, Area.VOICE}),
    "rounds": frozenset({Area.ROUND, Area.AGENDA, Area.JOINING, Area.STATUS, Area.RESULTS}),
    "participants": frozenset({Area.ROOM, Area.JOIN, Area.JOINING, Area.NAMED,
                               Area.RESULTS, Area.VOICE}),
    "contributions": frozenset({Area.STATUS, Area.RESULTS, Area.VOICE}),
    "votes": frozenset({Area.RESULTS}),
    "samples": frozenset({Area.RESULTS}),
    "themes": frozenset({Area.RESULTS}),
    "actions": frozenset({Area.RESULTS}),
    "notes": frozenset({Area.RESULTS}),
}
"""Which areas a change of each table touches."""
PANEL_AREAS = frozenset({Area.ROOM, Area.JOIN, Area.JOINING, Area.STATUS, Area.VOICE})
"""The areas shown at most every :data:`PANELS_S`."""


class StoreEvents:
    """What the store committed since the screen last caught up (table → ids), handed to
    ``show_changes`` at most once per frame; and the panel areas asked for, handed to
    ``show_panels`` at most every :data:`PANELS_S`."""

    def __init__(self, owner: MessagePump, *,
                 show_changes: Callable[[dict[str, set[int]]], None],
                 show_panels: Callable[[frozenset[Area]], None]) -> None:
        self._pending: dict[str, set[int]] = {}
        self._frame = Throttle(owner, FRAME_S, self._changes)
        self._panels_pending: set[Area] = set()
        self._panels = Throttle(owner, PANELS_S, self._show_panels)
        self._show_changes = show_changes
        self._show_panels_of = show_panels

    def gather(self, changes: Iterable[Change]) -> None:
        for change in changes:
            self._pending.setdefault(change.table, set()).update(change.ids)
        self._frame.ask()

    def panels_soon(self, areas: Iterable[Area]) -> None:
        self._panels_pending.update(areas)
        if self._panels_pending:
            self._panels.ask()

    def _changes(self) -> None:
        tables, self._pending = self._pending, {}
        self._show_changes(tables)

    def _show_panels(self) -> None:
        areas, self._panels_pending = frozenset(self._panels_pending), set()
        self._show_panels_of(areas)


def areas_of(tables: Iterable[str]) -> set[Area]:
    """The areas a change of these tables touches."""
    areas: set[Area] = set()
    for table in tables:
        areas |= AREAS.get(table, frozenset())
    return areas
