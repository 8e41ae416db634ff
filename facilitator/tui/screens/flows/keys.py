"""The session screen's keys whose flows are in this package, in one place: each ``action_*``
(named in :mod:`facilitator.tui.actions`) starts the flow of its area. The session screen is
made of this and :class:`facilitator.tui.screens.session.SessionScreen`'s own."""

from __future__ import annotations

from facilitator.core.model import Flag
from facilitator.tui.screens.flows.contributions import ContributionFlows
from facilitator.tui.screens.flows.links import LinkFlows
from facilitator.tui.screens.flows.outcomes import OutcomeFlows
from facilitator.tui.screens.flows.round import RoundFlows


class SessionKeys:
    contributions: ContributionFlows
    outcomes: OutcomeFlows
    rounds: RoundFlows
    links: LinkFlows

    def action_add(self) -> None:
        self.contributions.add()

    def action_edit(self) -> None:
        self.contributions.edit()

    def action_hide(self) -> None:
        self.contributions.hide()

    def action_approve(self) -> None:
        self.contributions.approve()

    def action_unmerge(self) -> None:
        self.contributions.unmerge()

    def action_link(self) -> None:
        self.contributions.link()

    def action_bold(self) -> None:
        self.contributions.flag(Flag.BOLD)

    def action_practical(self) -> None:
        self.contributions.flag(Flag.PRACTICAL)

    def action_new_theme(self) -> None:
        self.contributions.new_theme()

    def action_rename_theme(self) -> None:
        self.contributions.rename_theme()

    def action_sort(self) -> None:
        self.contributions.sort()

    def action_action(self) -> None:
        self.outcomes.action()

    def action_note(self) -> None:
        self.outcomes.note()

    def action_line(self) -> None:
        self.outcomes.line()

    def action_toggle_submissions(self) -> None:
        self.rounds.toggle_submissions()

    def action_toggle_voting(self) -> None:
        self.rounds.toggle_voting()

    def action_toggle_joining(self) -> None:
        self.rounds.toggle_joining()

    def action_next_round(self) -> None:
        self.rounds.next()

    def action_previous_round(self) -> None:
        self.rounds.previous()

    def action_reopen_round(self) -> None:
        self.rounds.reopen()

    def action_pause_timer(self) -> None:
        self.rounds.pause_timer()

    def action_add_minute(self) -> None:
        self.rounds.add_minute()

    def action_less_minute(self) -> None:
        self.rounds.less_minute()

    def action_set_time(self) -> None:
        self.rounds.set_time()

    def action_details(self) -> None:
        self.rounds.details()

    def action_invited(self) -> None:
        self.rounds.invited()

    def action_join_screen(self) -> None:
        self.links.join_code()

    def action_joining(self) -> None:
        self.links.table_cards()

    def action_organiser(self) -> None:
        self.links.organiser()

    def action_moderate(self) -> None:
        self.links.moderate()

    def action_comoderator(self) -> None:
        self.links.comoderator()

    def action_network_check(self) -> None:
        self.links.network_check()
