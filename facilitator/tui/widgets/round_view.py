"""The round views, built from the session's read model (facilitator.core.readmodel: the
same ranks, counts, vote totals and named groups as the wall and the report; never recomputed
here).

- bottleneck: themes with votes and rank (numbered within the theme; a theme nobody sorted
  into is left out), and which stakeholder groups raised each theme;
- ideas: ranked, bold ones marked, the bottlenecks each answers, and its action;
- audit: who is at the table, with flags, and the room's notes and actions;
- open: ranked (or simply listed) contributions;
- distillation: the day chair's lines, each to a stakeholder side, then the room's tips.

Participant text goes in as ``Text``: literal, never markup.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

from facilitator.core.groups import ranked_across
from facilitator.core.model import Contribution, Flag, Note
from facilitator.core.ranked import RankedItem
from facilitator.core.ranking import ranks_within
from facilitator.core.readmodel import Withheld
from facilitator.core.results import AuditFlag
from facilitator.core.templates import RoundKind, RoundSpec
from facilitator.core.voting import VoteTotals
from facilitator.session.store import SessionStore
from facilitator.tui.i18n import _, decimal, due_label, group_name, ngettext, quoted
from facilitator.tui.widgets import tcss
from facilitator.tui.widgets.across import (
    across_view,
    percent,
    ranking_key,
    ranking_tabs,
)
from facilitator.tui.widgets.feed import one_line

TOP = 100
"""The round view lists this many items at most (the feed has them all)."""
PER_THEME = 30


def _more(total: int, shown: int) -> list[RenderableType]:
    if total <= shown:
        return []
    return [Text(ngettext("… and {n} more (it is in the feed, w)",
                          "… and {n} more (all of them are in the feed, w)",
                          total - shown).format(n=total - shown), style="dim italic")]


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _pct(share: float) -> str:
    return f"{share * 100:.0f}%"


def votes_label(spec: RoundSpec, item: RankedItem) -> str:
    if spec.voting.rule == "score":
        label = f"{decimal(item.mean_score, 1)} ({item.voters})" if item.voters else "–"
    elif spec.voting.rule == "dots":
        label = str(item.votes)
    else:
        return ""
    if item.sampled:  # each phone voted on a sample: say how many saw it (docs/voting.md)
        label = _("{votes} · seen {n}").format(votes=label, n=item.seen)
    return label


def votes_text(votes: VoteTotals) -> str:
    """Votes by rule (facilitator.core.voting): "12 dots", "40 scores", "12 dots and 40
    scores"."""
    parts = []
    if votes.dots:
        parts.append(ngettext("{n} dot", "{n} dots", votes.dots).format(n=votes.dots))
    if votes.scores:
        parts.append(ngettext("{n} score", "{n} scores", votes.scores).format(n=votes.scores))
    if not parts:
        return _("no votes yet")
    return _("{first} and {last}").format(first=parts[0], last=parts[1]) if len(parts) == 2 \
        else parts[0]


def withheld_text(store: SessionStore, withheld: Withheld) -> str:
    """The report's sentence about withheld figures (facilitator.report.model), in the TUI's
    language: whose figures, and why."""
    sentences = []
    if withheld.small:
        sentences.append(_("Withheld for anonymity: the contributions, votes won and shares of "
                           "{groups}. Fewer than {n} people of each of these groups were "
                           "present, so their exact figures would show who said what.").format(
            groups=quoted([group_name(store.template, g) for g in withheld.small]),
            n=store.template.anonymity_threshold))
    if withheld.company:
        sentences.append(_("The figures of {groups} are withheld as well, so that those of the "
                           "small groups cannot be worked out from the totals.").format(
            groups=quoted([group_name(store.template, g) for g in withheld.company])))
    return " ".join(sentences)


def _title(text: str) -> Text:
    return Text(text, style="bold underline")


def bottleneck_view(store: SessionStore, spec: RoundSpec) -> RenderableType:
    ranking = store.ranking(spec.id)
    groups, raised = store.view.themes(spec.id, store.themes(spec.id), PER_THEME)
    who: dict[int, list[str]] = {}
    for group_id, pairs in raised.items():
        for theme_group, count in pairs:
            key = theme_group.theme.id if theme_group.theme else 0
            who.setdefault(key, []).append(f"{group_name(store.template, group_id)} ({count})")
    parts: list[RenderableType] = [_title(_("Bottlenecks by theme"))]
    if not len(ranking):
        parts.append(Text(_("No bottlenecks yet."), style="italic"))
    for rank, group in enumerate(groups, start=1):
        name = group.theme.name if group.theme else _("Not sorted into a theme")
        head = Text()
        head.append(f"\n{rank}. " if group.theme else "\n", style="bold")
        head.append(name, style="bold cyan")
        said = ngettext("{n} bottleneck", "{n} bottlenecks", group.said).format(n=group.said)
        head.append("  " + (f"{votes_text(VoteTotals(dots=group.votes))} · {said}"
                            if spec.voting.rule == "dots" else said), style="bold")
        parts.append(head)
        raised_by = who.get(group.theme.id if group.theme else 0, [])
        if raised_by:
            parts.append(Text(_("raised by: ") + ", ".join(raised_by), style="italic"))
        table = Table(show_header=True, header_style="dim", box=None, expand=True,
                      padding=(0, 1))
        table.add_column(_("Rank"), justify="right", width=6)
        table.add_column(_("Votes"), justify="right", width=16 if ranking.sampled else 7)
        table.add_column(_("Contribution"), ratio=1)
        table.add_column("×", justify="right", width=3)
        shown = group.items[:PER_THEME]
        for item, rank in zip(shown, ranks_within(shown), strict=True):  # within the theme
            table.add_row(str(rank), votes_label(spec, item),
                          Text(one_line(item.contribution.text)),
                          str(item.count) if item.count > 1 else "")
        parts.append(table)
        parts.extend(_more(group.size, PER_THEME))
    return Group(*parts)


def ideas_view(store: SessionStore, spec: RoundSpec) -> RenderableType:
    ranking = store.ranking(spec.id)
    parts: list[RenderableType] = [_title(_("Ideas, ranked"))]
    if not len(ranking):
        parts.append(Text(_("No ideas yet."), style="italic"))
    table = Table(show_header=True, header_style="dim", box=None, expand=True, padding=(0, 1),
                  show_lines=False)
    table.add_column(_("Rank"), justify="right", width=6)
    table.add_column(_("Votes"), justify="right", width=18 if ranking.sampled else 8)
    table.add_column(_("Idea"), ratio=3)
    table.add_column(_("Answers bottlenecks"), ratio=2)
    table.add_column(_("Action"), ratio=2)
    for item in ranking.top(TOP):
        idea = item.contribution
        text = Text()
        if Flag.BOLD.value in idea.flags:
            text.append("★ " + _("bold") + " ", style="bold cyan")
        if Flag.PRACTICAL.value in idea.flags:
            text.append("✓ " + _("practical") + " ", style="green")
        text.append(one_line(idea.text))
        links = Text()
        for link in idea.links:
            target: Contribution | None = store.contribution(link)
            if target is not None:
                if links:
                    links.append("\n")
                links.append(f"#{target.id} ", style="dim")
                links.append(shorten(one_line(target.text), 70))
        done = Text()
        for action in store.actions_for(idea.id):
            if done:
                done.append("\n")
            done.append("▶ ", style="bold green")
            done.append(action.owner or _("no owner yet"), style="bold")
            if action.due:
                done.append(f" · {due_label(action.due)}")
        table.add_row(str(item.rank), votes_label(spec, item), text, links, done)
    parts.append(table)
    parts.extend(_more(len(ranking), TOP))
    return Group(*parts)


def audit_flag_text(store: SessionStore, flag: AuditFlag, group_id: str) -> str:
    texts = {
        AuditFlag.ABSENT: _("Expected but absent: {group}"),
        AuditFlag.ABSENT_REQUIRED: _("Absent, and this group must be at the table: {group}"),
        AuditFlag.DOMINANT: _("More than half of the voice: {group}"),
        AuditFlag.NO_LIVED_EXPERIENCE: _("No refugee-led or lived-experience voice was heard"),
    }
    return texts[flag].format(group=group_name(store.template, group_id))


def voice_lines(store: SessionStore) -> list[str]:
    """Whose voice, in sentences: how equal the contributions were, and how evenly the
    expected groups came (against each other, and against the numbers invited)."""
    audit = store.audit()
    lines = []
    if audit.gini is not None:
        lines.append(_("Equality of contributions (Gini; 0: even, 1: one person sent all): "
                       "{gini}; {silent} of {n} participants sent nothing.").format(
            gini=decimal(audit.gini, 2), silent=audit.spread.get(0, 0), n=audit.participants))
    if audit.representation is not None:
        lines.append(_("Presence of the expected groups: the smallest has {share} of the "
                       "people of the largest.").format(share=percent(audit.representation)))
    if audit.invited_representation is not None:
        lines.append(_("Against the numbers invited (I): the lowest turnout is {share} of the "
                       "highest.").format(share=percent(audit.invited_representation)))
    return lines


def audit_view(store: SessionStore, spec: RoundSpec) -> RenderableType:
    result = store.audit()
    rows, withheld = store.view.groups()
    parts: list[RenderableType] = [_title(_("Who is at the table?"))]
    parts.append(Text(_("In the whole session: {participants}, {contributions}, {votes}.")
                      .format(participants=ngettext("{n} participant", "{n} participants",
                                                    result.participants).format(
                                                        n=result.participants),
                              contributions=ngettext("{n} contribution", "{n} contributions",
                                                     result.contributions).format(
                                                         n=result.contributions),
                              votes=votes_text(result.votes))))
    table = Table(show_header=True, header_style="bold", expand=True, padding=(0, 1))
    table.add_column(_("Stakeholder group"), ratio=3)
    table.add_column(_("Expected"), justify="center")
    table.add_column(_("Present"), justify="right")
    table.add_column(_("Contributions"), justify="right")
    table.add_column(_("Votes won"), justify="right")
    table.add_column(_("Votes cast"), justify="right")
    table.add_column(_("Voice ratio"), justify="right")
    invited = any(g.invited for g in rows)
    if invited:
        table.add_column(_("Invited"), justify="right")
    for g in rows:  # as the report shows them: a pooled group's figures withheld
        ratio = g.voice_ratio
        ratio_text = Text("–" if ratio is None else decimal(ratio, 2))
        if g.uneven:
            ratio_text.stylize("bold yellow")
        present = Text(f"{g.present} ({_pct(g.presence_share)})")
        if g.present == 0 and g.expected:
            present.stylize("bold red")
        cells: list[RenderableType] = [
            Text(group_name(store.template, g.group_id)),
            _("yes") if g.expected else _("no"),
            present,
            g.contributions if g.voice_share is None
            else f"{g.contributions} ({_pct(g.voice_share)})",
            g.votes_won if g.votes_share is None else f"{g.votes_won} ({_pct(g.votes_share)})",
            g.votes_cast if g.cast_share is None else f"{g.votes_cast} ({_pct(g.cast_share)})",
            ratio_text,
        ]
        if invited:
            cells.append("–" if g.turnout is None else f"{g.invited} ({_pct(g.turnout)})")
        table.add_row(*cells)
    parts.append(table)
    parts.extend(Text(line) for line in voice_lines(store))
    parts.append(Text(_("Voice ratio = share of contributions ÷ share of presence (1.00 is a "
                        "fair share; at most {low} or at least {high} is marked). Votes: a dot "
                        "is one vote, a score is one vote whatever its value.").format(
                            low=decimal(0.5, 2), high=decimal(1.5, 2)), style="dim"))
    if withheld:
        parts.append(Text(withheld_text(store, withheld), style="bold"))
        parts.append(Text(_("“< {n}” and “≥ {n}”: counted with the other small groups, as in "
                            "the report, so nobody can be recognised by elimination.").format(
                                n=store.template.anonymity_threshold), style="dim"))
    if result.flags:
        parts.append(_title("\n" + _("Flags")))
        for flag, group_id in result.flags:
            parts.append(Text("⚑ " + audit_flag_text(store, flag, group_id), style="bold red"))
    parts.append(_title("\n" + _("Who is not here, and how do we reach them?")))
    notes: list[Note] = store.notes(spec.id)
    answers = [c for c in store.earliest(spec.id, TOP) if c.counted]  # as core counts them
    if not notes and not answers:
        parts.append(Text(_("No answers yet: add a note (n) or an action (x)."), style="italic"))
    for note in notes:
        parts.append(Text("✎ ").append(Text(note.text)))
    for answer in answers:
        parts.append(Text("• ").append(Text(one_line(answer.text))))
    actions = [a for a in store.actions() if a.round_id == spec.id]
    if actions:
        parts.append(_title("\n" + _("Actions")))
    for action in actions:
        line = Text("▶ ", style="bold green")
        line.append(Text(action.text))
        line.append(f"  — {action.owner or _('no owner yet')}", style="bold")
        if action.due:
            line.append(f" · {due_label(action.due)}")
        parts.append(line)
    return Group(*parts)


def open_view(store: SessionStore, spec: RoundSpec, title: str = "") -> RenderableType:
    ranking = store.ranking(spec.id)
    parts: list[RenderableType] = [_title(title or _("Contributions"))]
    table = Table(show_header=True, header_style="dim", box=None, expand=True, padding=(0, 1))
    if spec.voting.rule != "none":
        table.add_column(_("Rank"), justify="right", width=6)
        table.add_column(_("Votes"), justify="right", width=18 if ranking.sampled else 8)
    table.add_column(_("Contribution"), ratio=1)
    voted = spec.voting.rule != "none"
    if voted:
        for item in ranking.top(TOP):
            table.add_row(str(item.rank), votes_label(spec, item),
                          Text(one_line(item.contribution.text)))
    else:
        for contribution in store.earliest(spec.id, TOP):
            if contribution.counted:
                table.add_row(Text(one_line(contribution.text)))
    parts.append(table)
    parts.extend(_more(len(ranking), TOP))
    notes = [note for note in store.notes(spec.id) if not note.addressed_to]
    if notes:
        parts.append(_title("\n" + _("Facilitator notes")))
        for note in notes:
            parts.append(Text("✎ ").append(Text(note.text)))
    return Group(*parts)


def distillation_view(store: SessionStore, spec: RoundSpec) -> RenderableType:
    parts: list[RenderableType] = [_title(_("The day chair's lines"))]
    lines = store.lines(spec.id)
    if not lines:
        parts.append(Text(_("No lines yet: d writes one, addressed to a stakeholder side."),
                          style="italic"))
    for line in lines:
        to = ", ".join(group_name(store.template, g) for g in line.addressed_to)
        parts.append(Text.assemble(("→ " + _("To {groups}").format(groups=to) + ": ", "bold"),
                                   line.text))
    parts.append(Text(""))
    parts.append(open_view(store, spec, _("Tips from the room")))
    return Group(*parts)


def round_view(store: SessionStore, spec: RoundSpec) -> RenderableType:
    """The round's results: for a voted round, the ranking the round shows (most votes, or
    one across the groups: widgets/across.py), under the line that names the three."""
    if ranked_across(spec):
        shown = store.round_state(spec.id).ranking
        tabs = ranking_tabs(shown, ranking_key())
        if shown != "votes":
            return Group(tabs, Text(""), across_view(store, spec, shown))
        return Group(tabs, Text(""), _by_kind(store, spec))
    return _by_kind(store, spec)


def _by_kind(store: SessionStore, spec: RoundSpec) -> RenderableType:
    builders = {
        RoundKind.BOTTLENECK: bottleneck_view,
        RoundKind.IDEAS: ideas_view,
        RoundKind.AUDIT: audit_view,
        RoundKind.OPEN: open_view,
        RoundKind.DISTILLATION: distillation_view,
    }
    return builders[spec.kind](store, spec)


class RoundView(VerticalScroll):
    """A scrollable view of the round's results: shows what the screen hands it."""

    DEFAULT_CSS = tcss(__file__)

    results: reactive[RenderableType | None] = reactive(None, always_update=True,
                                                        repaint=False)

    def compose(self) -> ComposeResult:
        yield Static(id="round-view-body")

    def watch_results(self, results: RenderableType | None) -> None:
        if results is not None:
            self.query_one("#round-view-body", Static).update(results)
