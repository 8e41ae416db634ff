"""Flows on the round and the session: moving between rounds (], [, enter in the agenda) after
saying what stays open, reopening (O), input (o), voting (v) and joining (J) open or closed,
the timer (z, +, -, =), and the session's title, place and date (i)."""

from __future__ import annotations

import dataclasses
from typing import Any

from facilitator.core.clock import format_clock, parse_clock
from facilitator.core.model import held_on
from facilitator.session.store import MAX_TIMER_MINUTES
from facilitator.tui.i18n import _
from facilitator.tui.screens.dialogs import (
    ConfirmDialog,
    DetailsDialog,
    SessionDetails,
    TextDialog,
)
from facilitator.tui.screens.flows import Flows
from facilitator.tui.screens.invited import InvitedDialog
from facilitator.tui.shown import round_change
from facilitator.tui.widgets.header import voting_rule


class RoundFlows(Flows):
    def go(self, index: int) -> None:
        """Go to round ``index`` once the facilitator said yes (what stays open is said)."""
        if not 0 <= index < len(self.store.template.rounds):
            return
        spec = self.store.template.rounds[index]
        if index == self.session.round_index and self.store.round_state(spec.id).started:
            self.session.focus_view()
            return

        def answered(yes: bool | None) -> None:
            self.session.focus_view()
            if yes:
                self.session.write(self.store.go_to_round(index))

        self.session.app.push_screen(ConfirmDialog(
            round_change(self.store, self.session.round_index, index),
            yes=_("Go"), no=_("Stay")), answered)

    def next(self) -> None:
        if self.session.round_index + 1 >= len(self.store.template.rounds):
            self.session.notify(_("This is the last round."), severity="warning", markup=False)
            return
        self.go(self.session.round_index + 1)

    def previous(self) -> None:
        if self.session.round_index == 0:
            self.session.notify(_("This is the first round."), severity="warning",
                                markup=False)
            return
        self.go(self.session.round_index - 1)

    def reopen(self) -> None:
        fields: dict[str, Any] = {"results_shown": False}
        if self.spec.participants_submit:
            fields["submissions_open"] = True
        self.session.write(self.store.update_round(self.spec.id, **fields),
                           _("Round reopened."))
        self.session.show_feed()

    def toggle_submissions(self) -> None:
        if not self.spec.participants_submit:
            self.session.notify(_("In this round only the facilitator adds input."),
                                severity="warning", markup=False)
            return
        state = self.store.round_state(self.spec.id)
        if not state.started:  # the first o starts the round: input open, timer running
            self.session.write(self.store.go_to_round(self.session.round_index),
                               _("The round has started."))
            return
        opening = not state.submissions_open
        self.session.write(self.store.update_round(self.spec.id, submissions_open=opening),
                           _("Input is open.") if opening else _("Input is closed."))

    def toggle_voting(self) -> None:
        if self.spec.voting.rule == "none":
            self.session.notify(_("This round is not voted on."), severity="warning",
                                markup=False)
            return
        state = self.store.round_state(self.spec.id)
        opening = not state.voting_open
        self.session.write(self.store.update_round(self.spec.id, voting_open=opening),
                           (_("Voting is open: {rule}.").format(rule=voting_rule(
                               self.spec.voting)) if opening else _("Voting is closed.")))

    def toggle_joining(self) -> None:
        round_id = self.store.current_round.id
        closing = not self.store.round_state(round_id).joining_closed
        self.session.write(self.store.update_round(round_id, joining_closed=closing),
                           _("Joining is closed for this round.") if closing
                           else _("Joining is open."))

    # -- the timer ----------------------------------------------------------------------------

    def pause_timer(self) -> None:
        state = self.store.round_state(self.spec.id)
        if not state.started:
            self.session.write(self.store.go_to_round(self.session.round_index),
                               _("The round has started."))
            return
        self.session.write(self.store.set_timer(self.spec.id, running=not state.timer_running))

    def add_minute(self) -> None:
        self.session.write(self.store.set_timer(self.spec.id, add_minutes=1.0),
                           _("One minute added."))

    def less_minute(self) -> None:
        self.session.write(self.store.set_timer(self.spec.id, add_minutes=-1.0),
                           _("One minute less."))

    def set_time(self) -> None:
        """Set the time left on the round's timer (running or paused, it stays so)."""
        state = self.store.round_state(self.spec.id)
        left = max(0.0, state.remaining(self.session.desk.clock()))

        def check(typed: str) -> str | None:
            seconds = parse_clock(typed)
            if seconds is None or seconds > MAX_TIMER_MINUTES * 60:
                return _("Type the minutes left (5), or minutes and seconds (2:30).")
            return None

        def chosen(typed: str | None) -> None:
            seconds = parse_clock(typed) if typed is not None else None
            if seconds is not None:
                self.session.write(
                    self.store.set_timer(self.spec.id, left_minutes=seconds / 60),
                    _("Time left: {time}.").format(time=format_clock(seconds)))

        whole = int(left + 0.999)  # as the clock rounds: 1:13:18 is typed 73:18
        self.session.app.push_screen(TextDialog(
            _("Time left in this round (minutes, or minutes:seconds); the agenda counts it in "
              "the round's length"),
            initial=f"{whole // 60}:{whole % 60:02}", multiline=False, check=check), chosen)

    # -- the session's details ----------------------------------------------------------------

    def details(self) -> None:
        """The session's title, place and date, as the report prints them."""
        store = self.store
        rounds = [store.round_state(spec.id) for spec in store.template.rounds]
        ran_on = held_on(dataclasses.replace(store.info, held_on=""), rounds)

        def chosen(details: SessionDetails | None) -> None:
            if details is not None:
                self.session.write(store.set_details(title=details.title, place=details.place,
                                                     held_on=details.held_on),
                                   _("Saved: the report shows the session as you set it."))

        self.session.app.push_screen(DetailsDialog(store.info, ran_on), chosen)

    def invited(self) -> None:
        """How many of each stakeholder group were invited (screens/invited.py): the audit
        sets who came against it."""
        store = self.store

        def chosen(numbers: dict[str, int] | None) -> None:
            if numbers is not None:
                self.session.write(store.set_invited(numbers),
                                   _("Saved: the audit sets who came against who was "
                                     "invited."))

        self.session.app.push_screen(InvitedDialog(store.template, store.info.invited), chosen)
