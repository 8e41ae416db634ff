"""Every facilitator action, once: its key, its name in the TUI's language, and where it runs.

One registry feeds the keys (each screen's ``BINDINGS``, built by :func:`bindings`), the key bar
at the bottom of a screen (:class:`facilitator.tui.widgets.keybar.KeyBar`), the help screen and
the command palette (:meth:`facilitator.tui.app.FacilitatorApp.get_system_commands`), so a key,
its description and its palette entry cannot drift apart. A screen lists its commands in its
``ACTIONS``; the app's own (:data:`APP`: the report, help, quit) run on the app and work on every
screen that offers them.

Names are marked with ``N_`` and translated when shown (the language is chosen per app, after
these are defined), so no binding is ever rewritten.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from textual.binding import Binding

from facilitator.core.groups import ranked_across
from facilitator.core.templates import RoundKind, RoundSpec
from facilitator.tui.i18n import N_, _


@dataclass(frozen=True, slots=True)
class Command:
    id: str
    keys: str
    """Textual key names, comma separated; the first is the one shown."""
    action: str
    """The action it runs (``action_<name>`` of its screen, or of the app for :data:`APP`)."""
    name: str
    """What it does, in a few words (marked with ``N_``: translate with ``_``)."""
    help: str = ""
    """A longer explanation for the palette and the help screen (``N_`` too)."""
    bar: bool = False
    """Shown in the key bar at the bottom of the screen."""
    priority: bool = False

    def binding(self) -> Binding:
        return Binding(self.keys, self.action, self.name, show=False, id=self.id,
                       priority=self.priority)

    @property
    def key(self) -> str:
        """The first key, as the screen shows it ("]", "space", "F5")."""
        return key_label(self.keys.split(",")[0])

    @property
    def all_keys(self) -> str:
        return ", ".join(key_label(k) for k in self.keys.split(","))


KEY_NAMES = {"right_square_bracket": "]", "left_square_bracket": "[", "plus": "+",
             "minus": "-", "equals_sign": "=",
             "question_mark": "?", "ctrl+q": "ctrl+q", "ctrl+p": "ctrl+p"}


def key_label(key: str) -> str:
    if key in ("space", "enter", "escape", "tab"):
        return {"space": _("space"), "enter": _("enter"), "escape": _("escape"),
                "tab": _("tab")}[key]
    if (len(key) == 2 and key[0] == "f" and key[1].isdigit()) or key in ("f10", "f11", "f12"):
        return key.upper()
    return KEY_NAMES.get(key, key)


def bindings(commands: Iterable[Command]) -> list[Binding]:
    return [command.binding() for command in commands]


APP: tuple[Command, ...] = (
    Command("app.help", "question_mark,f1", "help", N_("Help and legend"),
            N_("Every key, and what the signs in the feed mean"), bar=True),
    Command("report.preview", "f5", "report_preview", N_("Report preview"),
            N_("The session report as Markdown")),
    Command("report.export", "f6", "export_report", N_("Export report"),
            N_("Write the report files (Markdown, HTML, PDF)")),
    Command("app.quit", "ctrl+q", "quit", N_("Quit"),
            N_("Leave the app; everything is saved (asks first while a round is open)"),
            priority=True),
)
"""The app's own commands: on every screen where a session is open."""

SESSION: tuple[Command, ...] = (
    Command("contribution.add", "a", "add", N_("Add"),
            N_("Add a contribution for someone without a phone (a paper card)"), bar=True),
    Command("contribution.edit", "e", "edit", N_("Edit")),
    Command("contribution.hide", "h", "hide", N_("Hide/restore"), bar=True),
    Command("contribution.approve", "y", "approve", N_("Approve"),
            N_("In a moderated round: let it reach the wall and the results")),
    Command("contribution.mark", "space", "mark", N_("Mark"),
            N_("Mark the one under the cursor (the cursor stays); marked ones are hidden, "
               "sorted or merged together")),
    Command("contribution.merge", "m", "merge", N_("Merge marked into this"),
            N_("The marked contributions become duplicates of the one under the cursor"),
            bar=True),
    Command("contribution.unmerge", "u", "unmerge", N_("Unmerge"),
            N_("On a duplicate or on the one it was merged into")),
    Command("theme.new", "t", "new_theme", N_("New theme")),
    Command("theme.rename", "T", "rename_theme", N_("Rename or remove a theme")),
    Command("theme.sort", "s", "sort", N_("Sort into theme"), bar=True),
    Command("round.submissions", "o", "toggle_submissions", N_("Open/close input"), bar=True),
    Command("round.voting", "v", "toggle_voting", N_("Open/close voting"), bar=True),
    Command("view.switch", "w,r", "switch_view", N_("Feed/results"),
            N_("Show the round's results (on the projector too) or the feed"), bar=True),
    Command("view.ranking", "R", "next_ranking", N_("Ranking"),
            N_("In a voted round's results, on this screen and the wall: most votes, carried "
               "by every group, where the groups differ"), bar=True),
    Command("view.filter", "g", "filter_group", N_("Filter by table")),
    Command("view.filter_stakeholder", "G", "filter_stakeholder",
            N_("Filter by stakeholder group"),
            N_("On the projector only groups that may be named; any group once it is not "
               "projected (P)")),
    Command("view.projected", "P", "toggle_projected", N_("Projected/own screen"),
            N_("Whether this screen is on the projector (then no small group is shown on its "
               "own)")),
    Command("idea.link", "l", "link", N_("Link to bottlenecks")),
    Command("idea.bold", "b", "bold", N_("Mark bold")),
    Command("idea.practical", "p", "practical", N_("Mark practical")),
    Command("idea.action", "x", "action", N_("Make an action")),
    Command("session.note", "n", "note", N_("Note")),
    Command("distillation.line", "d", "line", N_("Day chair's line"),
            N_("In the closing distillation round: a line to a stakeholder side")),
    Command("timer.pause", "z", "pause_timer", N_("Pause/resume timer")),
    Command("timer.plus", "plus", "add_minute", N_("+1 minute")),
    Command("round.next", "right_square_bracket", "next_round", N_("Next round"),
            N_("Asks first, and says what stays open"), bar=True),
    Command("round.previous", "left_square_bracket", "previous_round",
            N_("Previous round"), N_("Asks first, and says what is reopened")),
    Command("round.reopen", "O", "reopen_round", N_("Reopen round")),
    Command("agenda.focus", "A", "focus_agenda", N_("Agenda"),
            N_("Move to the agenda: enter goes to a round (asks first), escape comes back")),
    Command("join.fullscreen", "j", "join_screen", N_("QR full screen"), bar=True),
    Command("joining.toggle", "J", "toggle_joining", N_("Close/open joining"),
            N_("No new device may join in this round")),
    Command("joining.dialog", "c", "joining", N_("Joining: codes, table cards, people")),
    Command("organiser.link", "k", "organiser", N_("Organiser link"),
            N_("The link an organiser's event watch follows this room with: switch it off, "
               "or make a new one")),
    Command("timer.minus", "minus", "less_minute", N_("-1 minute")),
    Command("timer.set", "equals_sign", "set_time", N_("Set the time left"),
            N_("Type the minutes left in this round (5, or 2:30)")),
    Command("session.details", "i", "details", N_("Title, place and date"),
            N_("The session's title, place and date, as the report prints them")),
    Command("session.invited", "I", "invited", N_("Invited per group"),
            N_("How many people of each stakeholder group were invited: the audit sets who "
               "came against it")),
    Command("wall.open", "W", "open_wall", N_("Wall on the projector"),
            N_("Open the wall in this laptop's browser, for the projector: the QR code, the "
               "question, what arrives, the results; this terminal becomes your own screen")),
    Command("moderation.browser", "B", "moderate", N_("Moderate in the browser"),
            N_("The round's contributions in this laptop's browser, where Arabic and Farsi "
               "are shown right (◄ in the feed): approve, hide and merge there")),
    Command("network.check", "N", "network_check", N_("Why phones cannot connect"),
            N_("The address phones use, whether it answers, and what the network and the "
               "firewall let in, with what to do")),
    Command("moderation.colleague", "K", "comoderator", N_("Co-moderator link"),
            N_("A link for a colleague who reads the language: approve, hide and merge from "
               "their phone; make a new one or switch it off")),
)
"""The session screen's commands."""

REPORT: tuple[Command, ...] = (
    Command("report.close", "escape,q", "close", N_("Back to the session"), bar=True),
    Command("report.contents", "c", "contents", N_("Contents"), bar=True),
)

HOME: tuple[Command, ...] = (
    Command("home.open", "enter", "open", N_("Open"), bar=True),
    Command("home.new", "n", "new", N_("New session from template"), bar=True),
    Command("home.next", "tab", "app.focus_next", N_("Next list"), bar=True),
    Command("home.reload", "f5", "reload", N_("Refresh"), bar=True),
)

JOIN: tuple[Command, ...] = (
    Command("join.close", "escape,j,q", "close", N_("Back to the session")),
)

WATCH: tuple[Command, ...] = (
    Command("watch.pull", "r", "pull", N_("Ask every room now"), bar=True),
    Command("watch.quit", "ctrl+q", "quit", N_("Quit"), bar=True, priority=True),
)
"""The event watch (``facilitator event watch``, another app)."""


DAY: tuple[tuple[str, str], ...] = (
    ("round.submissions", N_("Input")),
    ("round.voting", N_("Voting")),
    ("view.switch", N_("Results")),
    ("round.next", N_("Next round")),
    ("join.fullscreen", N_("QR code")),
    ("distillation.line", N_("Line")),
    ("contribution.approve", N_("Approve")),
)
"""The keys a day runs on, by a short name: first in the session screen's key bar, in this
order, each in the rounds it applies to (the screen leaves out the others: voting in a round
that is not voted on, the day chair's line outside the distillation round, approving outside a
moderated one)."""


def idle_in(spec: RoundSpec) -> frozenset[str]:
    """The day's keys that do nothing in the round ``spec`` (the key bar leaves them out)."""
    idle = set()
    if not spec.participants_submit:
        idle.add("round.submissions")
    if spec.voting.rule == "none":
        idle.add("round.voting")
    if spec.kind is not RoundKind.DISTILLATION:
        idle.add("distillation.line")
    if not spec.moderated:
        idle.add("contribution.approve")
    if not ranked_across(spec):
        idle.add("view.ranking")
    return frozenset(idle)
