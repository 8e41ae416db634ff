"""The facilitator's rules: moderating contributions, themes, rounds and their timers, actions,
notes and the day chair's lines, the room's links and cards, the session's details.

Each rule takes the session as it is and one change (:mod:`facilitator.session.changes`), refuses
at once what it can tell before the commit, and returns the step the writer runs inside the
group commit (see :mod:`facilitator.session.participant_rules`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from facilitator.core.errors import Reason, Refused
from facilitator.core.joining import card_tables, checked_tables
from facilitator.core.model import (
    RANKINGS,
    Action,
    Contribution,
    HiddenBy,
    Note,
    RoundState,
    SessionInfo,
    Theme,
)
from facilitator.core.templates import RoundKind, localized
from facilitator.core.text import MAX_TITLE_CHARS
from facilitator.session.batch import Batch, Step
from facilitator.session.changes import (
    AddAction,
    AddNote,
    AddTheme,
    EditAction,
    EditLine,
    GoToRound,
    Merge,
    RemoveAction,
    RemoveNote,
    RemoveTheme,
    RenameTheme,
    RevokeCard,
    SessionChange,
    SetComoderatorLink,
    SetDetails,
    SetInvited,
    SetOrganiserLink,
    SetTables,
    SetTimer,
    ToggleFlag,
    Unmerge,
    UpdateContributions,
    UpdateRound,
    UpdateSession,
)
from facilitator.session.checks import checked_date, checked_text, existing
from facilitator.session.documents import MAX_ROOM_SIZE
from facilitator.session.opening import new_organiser_secret
from facilitator.session.state import SessionState

MAX_TIMER_MINUTES = 24 * 60
"""The time left on a round's timer can be set to at most a day."""


# -- contributions -----------------------------------------------------------------------------


def update_contributions(session: SessionState, change: UpdateContributions
                         ) -> Step[list[Contribution]]:
    fields = dict(change.fields)
    if "hidden" in fields:
        fields.setdefault("hidden_by", HiddenBy.FACILITATOR.value if fields["hidden"] else "")

    def step(batch: Batch) -> list[Contribution]:
        return [batch.update(existing(session, cid), **fields) for cid in change.ids]

    return step


def toggle_flag(session: SessionState, change: ToggleFlag) -> Step[Contribution]:
    def step(batch: Batch) -> Contribution:
        item = existing(session, change.contribution_id)
        flags = set(item.flags) ^ {change.flag.value}
        return batch.update(item, flags=tuple(sorted(flags)))

    return step


def merge(session: SessionState, change: Merge) -> Step[Contribution]:
    def step(batch: Batch) -> Contribution:
        target = existing(session, change.target_id)
        while target.merged_into:
            target = existing(session, target.merged_into)
        for cid in change.duplicate_ids:
            item = existing(session, cid)
            if item.id == target.id:
                continue
            if item.round_id != target.round_id:
                raise Refused(Reason.NOT_FOUND, f"contribution {cid} is in another round")
            batch.update(item, merged_into=target.id)
            for other in session.merged_into(cid):  # re-point earlier merges into this one
                batch.update(other, merged_into=target.id)
        return target

    return step


def unmerge(session: SessionState, change: Unmerge) -> Step[Contribution]:
    def step(batch: Batch) -> Contribution:
        return batch.update(existing(session, change.contribution_id), merged_into=0)

    return step


# -- themes ------------------------------------------------------------------------------------


def add_theme(session: SessionState, change: AddTheme) -> Step[Theme]:
    clean = checked_text(change.name, multiline=False)

    def step(batch: Batch) -> Theme:
        return batch.insert(Theme(round_id=change.round_id, name=clean, created=time.time()))

    return step


def rename_theme(session: SessionState, change: RenameTheme) -> Step[Theme]:
    clean = checked_text(change.name, multiline=False)

    def step(batch: Batch) -> Theme:
        theme = session.theme(change.theme_id)
        if theme is None:
            raise Refused(Reason.NOT_FOUND, f"theme {change.theme_id}")
        return batch.update(theme, name=clean)

    return step


def remove_theme(session: SessionState, change: RemoveTheme) -> Step[Theme]:
    """A pass over the theme's round: a facilitator's action, never a phone's."""
    theme_id = change.theme_id

    def step(batch: Batch) -> Theme:
        theme = session.theme(theme_id)
        if theme is None or theme.removed:
            raise Refused(Reason.NOT_FOUND, f"theme {theme_id}")
        for item in session.contributions(theme.round_id, visible_only=False):
            if item.theme_id == theme_id:
                batch.update(item, theme_id=0)
        return batch.update(theme, removed=True)

    return step


# -- rounds ------------------------------------------------------------------------------------


def update_round(session: SessionState, change: UpdateRound) -> Step[RoundState]:
    session.template.round(change.round_id)
    ranking = change.fields.get("ranking", RANKINGS[0])
    if ranking not in RANKINGS:
        raise Refused(Reason.NOT_FOUND, f"ranking {ranking!r}")

    def step(batch: Batch) -> RoundState:
        return batch.update(session.round_state(change.round_id), **change.fields)

    return step


def go_to_round(session: SessionState, change: GoToRound) -> Step[SessionInfo]:
    index = change.index
    if not 0 <= index < len(session.template.rounds):
        raise Refused(Reason.NOT_FOUND, f"round {index + 1}")
    spec = session.template.rounds[index]

    def step(batch: Batch) -> SessionInfo:
        state = session.round_state(spec.id)
        if not state.started:
            now = time.time()
            batch.update(
                state,
                started=True,
                submissions_open=True,
                timer_started_at=now,
                started_at=state.started_at or now,
            )
            taken = {theme.name for theme in session.themes(spec.id)}
            for suggested in spec.themes:  # the template's themes, ready to sort into
                name = localized(suggested, session.info.lang)
                if name not in taken:
                    taken.add(name)
                    batch.insert(Theme(round_id=spec.id, name=name, created=time.time()))
        return batch.update(session.info, current_round=index)

    return step


def set_timer(session: SessionState, change: SetTimer) -> Step[RoundState]:
    left_minutes = change.left_minutes
    if left_minutes is not None and not 0 <= left_minutes <= MAX_TIMER_MINUTES:
        raise Refused(Reason.TOO_LONG, f"{left_minutes} minutes")

    def step(batch: Batch) -> RoundState:
        state = session.round_state(change.round_id)
        now = time.time()
        elapsed = (
            0.0
            if change.reset
            else state.elapsed_s
            + (now - state.timer_started_at if state.timer_started_at is not None else 0.0)
        )
        go = state.timer_running if change.running is None else change.running
        if left_minutes is not None:
            duration = elapsed + left_minutes * 60.0
        else:  # time taken away stops at "time is up" (a timer already over stays so)
            duration = max(state.duration_s + change.add_minutes * 60.0,
                           min(state.duration_s, elapsed))
        return batch.update(
            state,
            elapsed_s=elapsed,
            timer_started_at=now if go else None,
            duration_s=max(0.0, duration),
        )

    return step


# -- actions, notes and the day chair's lines --------------------------------------------------


def _checked_action(change: AddAction | EditAction) -> tuple[str, str, str]:
    """An action's text, owner and due date as typed, checked."""
    return (checked_text(change.text),
            checked_text(change.owner, multiline=False, limit=MAX_TITLE_CHARS, empty=True),
            checked_date(change.due))


def add_action(session: SessionState, change: AddAction) -> Step[Action]:
    clean, owner, day = _checked_action(change)

    def step(batch: Batch) -> Action:
        return batch.insert(Action(text=clean, owner=owner, due=day,
                                   contribution_id=change.contribution_id,
                                   round_id=change.round_id, created=time.time()))

    return step


def edit_action(session: SessionState, change: EditAction) -> Step[Action]:
    clean, owner, day = _checked_action(change)

    def step(batch: Batch) -> Action:
        return batch.update(_existing_action(session, change.action_id), text=clean,
                            owner=owner, due=day, edited=time.time())

    return step


def remove_action(session: SessionState, change: RemoveAction) -> Step[Action]:
    def step(batch: Batch) -> Action:
        return batch.update(_existing_action(session, change.action_id), removed=True,
                            edited=time.time())

    return step


def add_note(session: SessionState, change: AddNote) -> Step[Note]:
    clean = checked_text(change.text)
    groups = _addressees(session, change.round_id, change.addressed_to)

    def step(batch: Batch) -> Note:
        return batch.insert(Note(round_id=change.round_id, text=clean, created=time.time(),
                                 addressed_to=groups))

    return step


def edit_line(session: SessionState, change: EditLine) -> Step[Note]:
    clean = checked_text(change.text)

    def step(batch: Batch) -> Note:
        note = _existing_note(session, change.note_id)
        groups = _addressees(session, note.round_id, change.addressed_to)
        if not groups or not note.addressed_to:
            raise Refused(Reason.UNKNOWN_GROUP, "a line is addressed to one group or more")
        return batch.update(note, text=clean, addressed_to=groups, edited=time.time())

    return step


def remove_note(session: SessionState, change: RemoveNote) -> Step[Note]:
    def step(batch: Batch) -> Note:
        return batch.update(_existing_note(session, change.note_id), removed=True,
                            edited=time.time())

    return step


def _existing_action(session: SessionState, action_id: int) -> Action:
    action = session.action(action_id)
    if not isinstance(action, Action) or action.removed:
        raise Refused(Reason.NOT_FOUND, f"action {action_id}")
    return action


def _existing_note(session: SessionState, note_id: int) -> Note:
    note = session.note(note_id)
    if not isinstance(note, Note) or note.removed:
        raise Refused(Reason.NOT_FOUND, f"note {note_id}")
    return note


def _addressees(session: SessionState, round_id: str, addressed_to: Iterable[str]
                ) -> tuple[str, ...]:
    """The stakeholder groups a line is addressed to, checked: groups of the template, in
    a distillation round only."""
    spec = session.template.round(round_id)
    groups = tuple(dict.fromkeys(addressed_to))
    for group_id in groups:
        if session.template.group(group_id) is None:
            raise Refused(Reason.UNKNOWN_GROUP, group_id)
    if groups and spec.kind is not RoundKind.DISTILLATION:
        raise Refused(Reason.NOT_DISTILLATION, round_id)
    return groups


# -- the session: links, cards, details --------------------------------------------------------


def set_organiser_link(session: SessionState, change: SetOrganiserLink) -> Step[SessionInfo]:
    secret = new_organiser_secret() if change.on else ""

    def step(batch: Batch) -> SessionInfo:
        return batch.update(session.info, organiser_secret=secret)

    return step


def set_comoderator_link(session: SessionState, change: SetComoderatorLink
                         ) -> Step[SessionInfo]:
    secret = new_organiser_secret() if change.on else ""

    def step(batch: Batch) -> SessionInfo:
        return batch.update(session.info, comoderator_secret=secret)

    return step


def revoke_card(session: SessionState, change: RevokeCard) -> Step[SessionInfo]:
    table = change.table
    if table not in card_tables(session.info):
        raise Refused(Reason.UNKNOWN_TABLE, table)

    def step(batch: Batch) -> SessionInfo:
        issued = {**session.info.card_issue, table: session.info.card_issue.get(table, 0) + 1}
        return batch.update(session.info, card_issue=issued)

    return step


def set_details(session: SessionState, change: SetDetails) -> Step[SessionInfo]:
    title = checked_text(change.title, multiline=False, limit=MAX_TITLE_CHARS)
    place = checked_text(change.place, multiline=False, limit=MAX_TITLE_CHARS, empty=True)
    day = checked_date(change.held_on)

    def step(batch: Batch) -> SessionInfo:
        return batch.update(session.info, title=title, place=place, held_on=day)

    return step


def set_tables(session: SessionState, change: SetTables) -> Step[SessionInfo]:
    names = checked_tables(change.tables)

    def step(batch: Batch) -> SessionInfo:
        return batch.update(session.info, tables=names)

    return step


def set_invited(session: SessionState, change: SetInvited) -> Step[SessionInfo]:
    numbers: dict[str, int] = {}
    for group_id, count in change.invited.items():
        if session.template.group(group_id) is None:
            raise Refused(Reason.UNKNOWN_GROUP, group_id)
        if isinstance(count, bool) or not isinstance(count, int) \
                or not 0 <= count <= MAX_ROOM_SIZE:
            raise Refused(Reason.NOT_A_NUMBER, f"{group_id}={count!r}")
        if count:
            numbers[group_id] = count

    def step(batch: Batch) -> SessionInfo:
        return batch.update(session.info, invited=numbers)

    return step


def update_session(session: SessionState, change: UpdateSession) -> Step[SessionInfo]:
    def step(batch: Batch) -> SessionInfo:
        return batch.update(session.info, **change.fields)

    return step


RULES: dict[type[SessionChange[Any]], Any] = {
    UpdateContributions: update_contributions,
    ToggleFlag: toggle_flag,
    Merge: merge,
    Unmerge: unmerge,
    AddTheme: add_theme,
    RenameTheme: rename_theme,
    RemoveTheme: remove_theme,
    UpdateRound: update_round,
    GoToRound: go_to_round,
    SetTimer: set_timer,
    AddAction: add_action,
    EditAction: edit_action,
    RemoveAction: remove_action,
    AddNote: add_note,
    EditLine: edit_line,
    RemoveNote: remove_note,
    SetOrganiserLink: set_organiser_link,
    SetComoderatorLink: set_comoderator_link,
    RevokeCard: revoke_card,
    SetDetails: set_details,
    SetTables: set_tables,
    SetInvited: set_invited,
    UpdateSession: update_session,
}
"""The rule that makes each change of the facilitator."""
