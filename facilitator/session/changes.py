"""Every change a session can be asked for, one small frozen dataclass each.

A change is plain data: who asks what, as the caller said it. The rules that check and make it
are in :mod:`facilitator.session.participant_rules` (what phones do) and
:mod:`facilitator.session.facilitator_rules` (what the facilitator does); ``SessionStore``'s named
methods (``await store.add_contribution(...)``) build one and have it made. The type parameter
is what making the change returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from facilitator.core.joining import JoinCode
from facilitator.core.model import (
    Action,
    Contribution,
    Flag,
    Note,
    Participant,
    RoundState,
    Sample,
    SessionInfo,
    Source,
    Theme,
)

T = TypeVar("T")


class SessionChange(Generic[T]):
    """One change asked of a session; making it returns a ``T``."""

    __slots__ = ()


# -- by participants (and the facilitator on their behalf) -----------------------------------


@dataclass(frozen=True, slots=True)
class Join(SessionChange[Participant]):
    """Register a device, or update what it said about itself. ``came_with``: the join code a
    phone brought (a new device needs one that admits it now, and joining must be open in the
    current round); None: the facilitator registers the device (the demo), no code asked."""

    device_id: str
    lang: str
    stakeholder: str = ""
    name: str = ""
    consent_named: bool = False
    table_group: str = ""
    came_with: JoinCode | None = None


@dataclass(frozen=True, slots=True)
class AddContribution(SessionChange[Contribution]):
    """A contribution. From the web it must fit an open round; the facilitator may add to any
    round. Stakeholder group and table (None) are what the author said on joining.

    ``nonce`` is the key of the phone's form: the same text (and bottleneck) sent again with it
    (a retry after a 503, an answer that never arrived, a double tap) is the stored
    contribution, not a second one. Another text with a key already used (a form shown again by
    the back button) is a new contribution: what a phone is told was stored is always what it
    sent. ``links``: the bottlenecks an idea answers, each a bottleneck.
    """

    round_id: str
    text: str
    source: Source = Source.WEB
    author: str = ""
    table_group: str | None = None
    stakeholder: str | None = None
    theme_id: int = 0
    nonce: str = ""
    links: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class EditContribution(SessionChange[Contribution]):
    """A contribution's new text; the first text is kept. A participant (``device_id``) edits
    only their own, only while the round takes submissions and is not being voted on, and in a
    moderated round their edit waits for approval again.

    ``was``: the text the phone's page showed. If another text is stored now (a second tab
    saved first, the facilitator changed it) the edit is refused (``CHANGED_SINCE``); if its
    text is stored already (the same edit again) the item is returned as it is. None: no check
    (the facilitator edits what the screen shows now).
    """

    contribution_id: int
    text: str
    device_id: str | None = None
    was: str | None = None


@dataclass(frozen=True, slots=True)
class Withdraw(SessionChange[Contribution]):
    """A participant takes back their own contribution (hidden, never deleted)."""

    contribution_id: int
    device_id: str


@dataclass(frozen=True, slots=True)
class CastBallot(SessionChange[int]):
    """A device's votes on the items of ``ballot`` (contribution id → dots or score; 0 takes a
    vote back); its votes on other items of the round stay and count towards the budget. Only
    items the device was shown. Returns the ballot's revision after the save.

    ``revision``: the ballot's revision the phone's page showed. A page older than the last
    save is refused (``BALLOT_CHANGED``) unless what it sends is stored already (the same
    ballot again: answered as saved). None: no check.
    """

    device_id: str
    round_id: str
    ballot: Mapping[int, int]
    revision: int | None = None


@dataclass(frozen=True, slots=True)
class DealBallot(SessionChange[None]):
    """Record what a device is about to be shown to vote on, if that is new: its first sample
    of a big round, or a small round's items it has not seen yet."""

    device_id: str
    round_id: str


@dataclass(frozen=True, slots=True)
class AnotherSet(SessionChange[Sample]):
    """Deal a device a further sample of items it has not been shown yet."""

    device_id: str
    round_id: str


# -- by the facilitator -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UpdateContributions(SessionChange[list[Contribution]]):
    """Fields set on contributions: ``hidden``, ``approved``, ``theme_id``, ``links``...
    Hiding one records that the facilitator did (its author's phone says so)."""

    ids: tuple[int, ...]
    fields: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ToggleFlag(SessionChange[Contribution]):
    contribution_id: int
    flag: Flag


@dataclass(frozen=True, slots=True)
class Merge(SessionChange[Contribution]):
    """Duplicates merged into ``target_id``; they keep their text and count towards it. A
    target that was merged itself stands for the one it was merged into, so merges never chain;
    duplicates must be in its round, and a merge never points at itself."""

    target_id: int
    duplicate_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Unmerge(SessionChange[Contribution]):
    contribution_id: int


@dataclass(frozen=True, slots=True)
class AddTheme(SessionChange[Theme]):
    round_id: str
    name: str


@dataclass(frozen=True, slots=True)
class RenameTheme(SessionChange[Theme]):
    theme_id: int
    name: str


@dataclass(frozen=True, slots=True)
class RemoveTheme(SessionChange[Theme]):
    """A theme removed: its contributions are no longer sorted into it."""

    theme_id: int


@dataclass(frozen=True, slots=True)
class UpdateRound(SessionChange[RoundState]):
    """Submissions, voting and results opened or closed (``submissions_open=True``...), or the
    ranking the results show chosen (``ranking="carried"``, one of ``RANKINGS``)."""

    round_id: str
    fields: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class GoToRound(SessionChange[SessionInfo]):
    """Round ``index`` made current; its first visit opens its submissions and timer and makes
    the template's suggested themes (the facilitator can rename, remove and add)."""

    index: int


@dataclass(frozen=True, slots=True)
class SetTimer(SessionChange[RoundState]):
    """A round's timer paused or resumed (``running``), time added (or taken away:
    ``add_minutes`` below zero), the time left set (``left_minutes``), or started over."""

    round_id: str
    running: bool | None = None
    add_minutes: float = 0.0
    left_minutes: float | None = None
    reset: bool = False


@dataclass(frozen=True, slots=True)
class AddAction(SessionChange[Action]):
    text: str
    owner: str = ""
    due: str = ""
    contribution_id: int = 0
    round_id: str = ""


@dataclass(frozen=True, slots=True)
class EditAction(SessionChange[Action]):
    """An action corrected: its text, its owner and its due date (an ISO date or "")."""

    action_id: int
    text: str
    owner: str = ""
    due: str = ""


@dataclass(frozen=True, slots=True)
class RemoveAction(SessionChange[Action]):
    """An action removed: it stays in the file, marked removed, and is shown nowhere."""

    action_id: int


@dataclass(frozen=True, slots=True)
class AddNote(SessionChange[Note]):
    """A facilitator's note on a round; with ``addressed_to`` (stakeholder group ids of the
    template, in a distillation round only) one of the day chair's lines to those groups."""

    round_id: str
    text: str
    addressed_to: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EditLine(SessionChange[Note]):
    """One of the day chair's lines corrected: its text and the groups it is addressed to (at
    least one). The phones and the wall show the line as it is now."""

    note_id: int
    text: str
    addressed_to: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RemoveNote(SessionChange[Note]):
    """A note or one of the day chair's lines removed: it stays in the file, marked removed,
    and is shown nowhere (the phones and the wall drop a line at once)."""

    note_id: int


@dataclass(frozen=True, slots=True)
class SetOrganiserLink(SessionChange[SessionInfo]):
    """Organiser access on, with a new secret (a link given out before stops working), or off
    (every organiser link is refused until it is switched on again)."""

    on: bool


@dataclass(frozen=True, slots=True)
class SetComoderatorLink(SessionChange[SessionInfo]):
    """A co-moderator's link, with a new secret (a link given out before stops working), or
    none (every co-moderator link is refused)."""

    on: bool


@dataclass(frozen=True, slots=True)
class RevokeCard(SessionChange[SessionInfo]):
    """The table card of ``table`` revoked: its code admits no new device from now on (the
    devices that joined with it keep working), and the card is issued again with a new code,
    to be printed (``facilitator cards``)."""

    table: str


@dataclass(frozen=True, slots=True)
class SetDetails(SessionChange[SessionInfo]):
    """The session's title, its place, and the day it was held (an ISO date; "": the day its
    first round started, see :func:`~facilitator.core.model.held_on`)."""

    title: str
    place: str = ""
    held_on: str = ""


@dataclass(frozen=True, slots=True)
class SetTables(SessionChange[SessionInfo]):
    """The session's tables, each with a table card of its own (none: one card for the room).
    Participants and contributions keep the table they had; the card of a table left out
    admits nobody, and comes back as it was (revoked or not) if the table does."""

    tables: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SetInvited(SessionChange[SessionInfo]):
    """How many people of each stakeholder group were invited (a group left out, or 0: not
    said); the audit sets the people present against it. Replaces what was said before."""

    invited: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class UpdateSession(SessionChange[SessionInfo]):
    """Session metadata changed (title, place, the facilitator's view state...)."""

    fields: Mapping[str, Any]
