"""The session's records, as stored (one TinyDB table each) and as the rest of the app sees them.

Records are plain dataclasses that convert to and from the JSON documents in the session file.
Nothing is ever deleted: hiding and merging set fields and keep the original text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Self

SCHEMA_VERSION = 1


class Source(StrEnum):
    WEB = "web"
    """Sent by a participant from their phone."""
    TUI = "tui"
    """Typed in by the facilitator, e.g. from a paper card."""


class Flag(StrEnum):
    BOLD = "bold"
    PRACTICAL = "practical"


class HiddenBy(StrEnum):
    """Who hid a contribution (:attr:`Contribution.hidden_by`)."""

    AUTHOR = "author"
    """The participant withdrew it from their phone."""
    FACILITATOR = "facilitator"
    """The facilitator hid it: its author's phone says so."""


@dataclass(slots=True, kw_only=True)
class Record:
    """A document in one of the session's tables; ``id`` is its TinyDB document id (0: new)."""

    TABLE: ClassVar[str] = ""
    id: int = 0

    def to_doc(self) -> dict[str, Any]:
        doc = {}
        for name in _field_names(type(self)):
            value = getattr(self, name)
            doc[name] = list(value) if isinstance(value, tuple) else value
        return doc

    @classmethod
    def from_doc(cls, doc_id: int, doc: dict[str, Any]) -> Self:
        names = _field_names(cls)
        values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in doc.items() if k in names}
        return cls(id=doc_id, **values)


_FIELD_NAMES: dict[type[Record], tuple[str, ...]] = {}


def _field_names(cls: type[Record]) -> tuple[str, ...]:
    """The stored fields of a record type, in declaration order (``id`` is the document key)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls) if f.name != "id")
    return names


@dataclass(slots=True, kw_only=True)
class SessionInfo(Record):
    """The one document of the ``session`` table."""

    TABLE: ClassVar[str] = "session"
    session_id: str
    title: str
    lang: str
    template_id: str
    template: dict[str, Any]
    """A snapshot of the template, so a later edit of the file cannot change a past session."""
    join_token: str
    created: float
    secret: str = ""
    """A server-side secret (never in a URL) the participant web signs device cookies with."""
    organiser_secret: str = ""
    """The secret of the organiser link (``/o/<secret>``: the room's read-only summary for
    ``facilitator event watch``); "" while the facilitator has organiser access switched off.
    Never on a participant's page; a new one revokes the old link."""
    comoderator_secret: str = ""
    """The secret of the co-moderator's link (``/c/<secret>``: the round's contributions, to
    approve, hide and merge from the phone or laptop of a colleague who reads a language the
    facilitator does not); "" while it is switched off. Shown only when the facilitator asks
    for it; a new one revokes the old link."""
    place: str = ""
    current_round: int = 0
    view_state: dict[str, Any] = field(default_factory=dict)
    """The facilitator's screen state (selection, filters), so a resumed session looks the same."""
    schema_version: int = SCHEMA_VERSION
    card_issue: dict[str, int] = field(default_factory=dict)
    """Table → how often its table card was revoked and issued again (a table not listed: its
    first card). The card's code is derived from this (``core/joining.py``)."""
    room_size: int = 0
    """How many people are in the room, as the facilitator said (0: not said)."""
    join_base: str = ""
    """The address phones reached the participant page on when it last ran (``http://host:port``
    or the public URL), recorded by the server so that ``facilitator cards`` prints it."""
    tables: tuple[str, ...] = ()
    """The session's tables, each with its own table card (() : one card for the whole room).
    Chosen when the session is made (the template's by default) and changeable later; a session
    file from before tables were the session's own gets its template's on opening."""
    held_on: str = ""
    """The day the session was held, as the facilitator set it (an ISO date), or "": then it is
    the day its first round started (:func:`held_on`)."""
    invited: dict[str, int] = field(default_factory=dict)
    """Stakeholder group id → how many of it were invited, as the facilitator said (a group not
    listed: not said). The audit sets the people present against it."""


RANKINGS = ("votes", "carried", "differ")
"""The rankings a voted round's results can show, in the order the facilitator's key goes
through them (docs/voting.md)."""


@dataclass(slots=True, kw_only=True)
class RoundState(Record):
    """What is open in a round and where its timer stands (one document per template round)."""

    TABLE: ClassVar[str] = "rounds"
    round_id: str
    submissions_open: bool = False
    voting_open: bool = False
    results_shown: bool = False
    started: bool = False
    duration_s: float = 0.0
    """The timebox, template minutes plus any minutes the facilitator added."""
    timer_started_at: float | None = None
    """Wall-clock time the timer last started running, or None while paused or not started."""
    elapsed_s: float = 0.0
    """Seconds run before the last start (the timer's state while paused)."""
    joining_closed: bool = False
    """The facilitator closed joining for this round: no new device may join while it is the
    current round (devices that joined keep working)."""
    started_at: float = 0.0
    """Wall-clock time the round first started (0: not started, or started before this was
    recorded)."""
    ranking: str = "votes"
    """Which ranking the results show, on the facilitator's screen and the wall alike (one of
    :data:`RANKINGS`: most votes, carried by every group, where the groups differ)."""

    def remaining(self, now: float) -> float:
        running = now - self.timer_started_at if self.timer_started_at is not None else 0.0
        return self.duration_s - self.elapsed_s - running

    @property
    def timer_running(self) -> bool:
        return self.timer_started_at is not None


def held_on(info: SessionInfo, rounds: Iterable[RoundState]) -> dt.date:
    """The day the session was held: the day the facilitator set, else the day its first round
    started (in local time), else, for a session not started yet, the day it was made."""
    if info.held_on:
        return dt.date.fromisoformat(info.held_on)
    started = [state.started_at for state in rounds if state.started_at]
    return dt.datetime.fromtimestamp(min(started, default=info.created)).date()


@dataclass(slots=True, kw_only=True)
class Participant(Record):
    TABLE: ClassVar[str] = "participants"
    device_id: str
    lang: str
    stakeholder: str = ""
    """A stakeholder group id of the template, or "" for prefer not to say."""
    name: str = ""
    consent_named: bool = False
    table_group: str = ""
    joined: float = 0.0
    joined_with: str = ""
    """The code the device joined with: ``"room"``, ``"card:<table>"``, or "" when the
    facilitator registered it (the demo) or it joined before codes existed."""


@dataclass(slots=True, kw_only=True)
class Contribution(Record):
    TABLE: ClassVar[str] = "contributions"
    round_id: str
    text: str
    source: str = Source.WEB.value
    author: str = ""
    """The device id of the participant who sent it; "" when the facilitator typed it in."""
    stakeholder: str = ""
    """The author's stakeholder group when it was sent (kept even if they change it later)."""
    table_group: str = ""
    theme_id: int = 0
    links: tuple[int, ...] = ()
    """For ideas: the ids of the bottleneck contributions it answers."""
    flags: tuple[str, ...] = ()
    hidden: bool = False
    approved: bool = True
    """False while it waits for the facilitator's approval in a moderated round."""
    merged_into: int = 0
    """The id of the contribution this duplicate was merged into (0 = not merged)."""
    created: float = 0.0
    edited: float = 0.0
    original_text: str = ""
    """The text as first sent, kept when it is edited."""
    nonce: str = ""
    """The phone's own key for this submission: a retry of the same send is stored once."""
    hidden_by: str = ""
    """Who hid it (:class:`HiddenBy`), "" when it is not hidden or was hidden before this was
    recorded."""

    @property
    def visible(self) -> bool:
        """Shown in the round's list: not hidden and not merged into another one."""
        return not self.hidden and not self.merged_into

    @property
    def counted(self) -> bool:
        """Counts in results and the audit: not hidden, and approved where the round moderates
        (a contribution still waiting for approval has not been accepted by the room yet)."""
        return not self.hidden and self.approved


@dataclass(slots=True, kw_only=True)
class Vote(Record):
    TABLE: ClassVar[str] = "votes"
    round_id: str
    contribution_id: int
    device_id: str
    weight: int
    """Dots given, or the score."""
    created: float = 0.0
    revision: int = 0
    """The device's ballot in this round as of the save that last changed this vote (1, 2,
    ...). A ballot page carries the revision it shows, so that a save from an older page (a
    second tab, the back button) cannot undo a newer one (``SessionStore.cast_ballot``)."""


@dataclass(slots=True, kw_only=True)
class Sample(Record):
    """The items one device was shown on its ballot at once (its exposure, for fair ranking)."""

    TABLE: ClassVar[str] = "samples"
    round_id: str
    device_id: str
    items: tuple[int, ...]
    set_no: int = 0
    """1, 2, ... for the sets a device was dealt in a sampled round (it may ask for another);
    0 for the items of a round small enough to show whole, recorded as they appear."""
    drawn_from: int = 0
    """How many items there were to show: more than the round's sample size means sampled."""
    created: float = 0.0


@dataclass(slots=True, kw_only=True)
class Theme(Record):
    TABLE: ClassVar[str] = "themes"
    round_id: str
    name: str
    created: float = 0.0
    removed: bool = False
    """Removed by the facilitator (kept, as nothing is deleted; its contributions were
    unsorted)."""


@dataclass(slots=True, kw_only=True)
class Action(Record):
    TABLE: ClassVar[str] = "actions"
    text: str
    owner: str = ""
    due: str = ""
    """An ISO date (YYYY-MM-DD) or ""."""
    contribution_id: int = 0
    """The idea or tip this action came from (0 = none)."""
    round_id: str = ""
    created: float = 0.0
    edited: float = 0.0
    removed: bool = False
    """Removed by the facilitator: kept in the file, left out wherever actions are shown."""


@dataclass(slots=True, kw_only=True)
class Note(Record):
    TABLE: ClassVar[str] = "notes"
    round_id: str
    text: str
    created: float = 0.0
    addressed_to: tuple[str, ...] = ()
    """In a distillation round: the stakeholder groups (template ids) the day chair addresses
    this line to, e.g. ``("municipality", "civil_society")``; () for a facilitator's note."""
    edited: float = 0.0
    removed: bool = False
    """Removed by the facilitator: kept in the file, left out wherever notes are shown."""


RECORD_TYPES: tuple[type[Record], ...] = (
    SessionInfo,
    RoundState,
    Participant,
    Contribution,
    Vote,
    Sample,
    Theme,
    Action,
    Note,
)
TABLES: dict[str, type[Record]] = {cls.TABLE: cls for cls in RECORD_TYPES}


@dataclass(slots=True, frozen=True)
class Change:
    """What one commit changed in one table, published to subscribers after it is on disk."""

    table: str
    ids: tuple[int, ...]
    inserted: bool = False
