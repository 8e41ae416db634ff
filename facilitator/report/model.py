"""The one report model: everything the organisers read, built once from a session, rendered four
ways (Markdown, HTML, PDF, CSV).

Figures come from the session's read model (:mod:`facilitator.core.readmodel`: ranking, themes,
the audit, votes by rule, which groups may be named), the same object the facilitator's screen
and the wall read; this module only selects, labels and translates. Which contributions count is
decided once, by :attr:`Contribution.counted <facilitator.core.model.Contribution.counted>` (not
hidden, not waiting for approval): the ranking, the audit and every list here follow it.

Anonymous by default: a contribution is linked to its stakeholder group only when that group may
be named without anyone being recognised by elimination (facilitator.core.privacy), and to a
name only when the report is made with ``names=True`` and the participant consented to be named.
Every format renders this one model, so all four follow the same rule.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from functools import partial

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent, get_decimal_symbol

from facilitator.core.groups import POOL, AcrossRanking, GroupSupport, Standing
from facilitator.core.model import Action, Contribution, Flag, Participant, Vote, held_on
from facilitator.core.privacy import Disclosure
from facilitator.core.ranked import RankedItem
from facilitator.core.ranking import RoundRanking, ranks_within
from facilitator.core.readmodel import GroupShown, SessionView, Withheld
from facilitator.core.results import (
    UNDISCLOSED,
    Audit,
    AuditFlag,
    ThemeGroup,
)
from facilitator.core.templates import RoundKind, RoundSpec, Template, localized
from facilitator.i18n import FACILITATOR_LANGUAGES, translations
from facilitator.session.store import SessionStore

DOMAIN = "report"
TOP_N = 5
"""How many bottlenecks and ideas the summary shows."""
ITEMS_PER_THEME = 10
"""How many contributions a theme shows in its round; the appendix lists every one. A printed
report with thousands of rows twice helps nobody (and would take WeasyPrint minutes)."""
IDEAS_SHOWN = 30
"""How many ideas the Ideas section shows in full (ideas with actions are always shown)."""
COMMON_SHOWN = 1
"""How many items ranked first in "carried by every group" page one names (the others tied
with them are counted)."""
TIPS_SHOWN = 6
"""How many of the room's tips the first page shows, beside the day chair's lines (the
distillation round's section has them all)."""


@dataclass(slots=True)
class ActionView:
    text: str
    owner: str
    due: str
    """The due date in the report's language ("" = none; one that is not a date, as typed)."""
    idea: str = ""
    """The text of the idea or tip the action came from ("" = none)."""


@dataclass(slots=True)
class LineView:
    """One of the day chair's lines, as the report's first page shows it."""

    to: str
    """The stakeholder groups it is addressed to, joined in the report's language."""
    text: str


@dataclass(slots=True)
class ItemView:
    """One contribution as the report shows it (a ranked item: merged duplicates folded in)."""

    id: int
    round_title: str
    text: str
    rank: int
    voting: str
    """The round's voting rule: "dots", "score" or "none"."""
    votes: str
    """Dots received, or the mean score, formatted in the report's language ("" = not voted)."""
    voters: int
    count: int
    """How many times the room said it: itself plus merged duplicates."""
    theme: str
    group: str
    """The stakeholder group's name, only when the group may be linked to content."""
    seen: int = 0
    """How many devices were shown it on their ballot (in a sampled round, see docs/voting.md)."""
    sampled: bool = False
    author: str = ""
    bold: bool = False
    practical: bool = False
    links: list[str] = field(default_factory=list)
    """For ideas: the bottlenecks it answers."""
    actions: list[ActionView] = field(default_factory=list)
    tied: bool = False
    """Shares its rank with another item of the list it is shown in (a tie, said as one)."""
    across: str = ""
    """In a ranking across groups: each group's support ("Gemeente 62% · Other groups
    together 48%"), or the two groups furthest apart; "" elsewhere."""


@dataclass(slots=True)
class AcrossView:
    """One ranking across stakeholder groups ("carried by every group" or "where the groups
    differ") as the report shows it: items with their rank in it, ties said as one."""

    kind: str
    """"carried" or "differ"."""
    title: str
    items: list[ItemView]
    """Each with ``rank`` and ``tied`` of this ranking and ``across`` set."""
    note: str = ""
    """Why there is nothing to rank ("" when there are items): one group present, groups too
    small to compare, or nothing seen enough yet."""
    more_tied: int = 0
    """Items tied with the last one shown that are not listed."""


@dataclass(slots=True)
class ThemeView:
    name: str
    votes: str
    items: list[ItemView]
    """Best first, each ranked within the theme (1, 2, 2, 4: not by its rank in the round)."""
    more: int = 0
    """Contributions of the theme not shown here (beyond :data:`ITEMS_PER_THEME`)."""
    sorted: bool = True
    """False for the contributions not sorted into a theme."""


@dataclass(slots=True)
class RoundView:
    index: int
    round_id: str
    kind: str
    title: str
    prompt: str
    voting: str
    """"dots", "score" or "none"."""
    themes: list[ThemeView]
    notes: list[str]
    shown: int
    """Distinct contributions shown (merged duplicates folded in)."""
    said: int
    """Contributions that count (:attr:`Contribution.counted`), duplicates included."""
    hidden: int
    waiting: int = 0
    """Waiting for approval: not counted yet."""
    carried: AcrossView | None = None
    """"Carried by every group" (None: the round is not voted)."""
    differ: AcrossView | None = None
    """"Where the groups differ" (None: the round is not voted)."""


@dataclass(slots=True)
class GroupThemes:
    """What one stakeholder group raised in one bottleneck round."""

    group: str
    round_title: str
    themes: list[tuple[str, int]]


@dataclass(slots=True)
class GroupRow:
    """One row of the "who was at the table" table.

    For a pooled group (see :func:`facilitator.core.privacy.pooled_groups`) the content figures
    are withheld:
    contributions and votes won read "< n" or "≥ n" (n = the anonymity threshold) and the two
    shares are None. Otherwise, with the exact figures of the other groups and the totals on the
    cover, a reader could subtract their way to what one or two people said, and match that count
    against the unlabelled lines of the appendix.

    Presence stays exact, for every group: who was at the table is what the audit is for, it was
    visible to everyone in the room, and it links no one to a contribution or a vote. What
    presence does reveal, who is in the pool of unlabelled contributions, is safe only because
    that pool always holds at least n people (or every label is withheld) and nothing says how
    its contributions split between them.
    """

    group_id: str
    name: str
    expected: bool
    required: bool
    missing: bool
    present: int
    contributions: str
    """Exact for a group that may be named; "< n" or "≥ n" for a pooled one."""
    votes_won: str
    presence_share: float
    voice_share: float | None
    """None (withheld) for a pooled group."""
    votes_share: float | None
    pooled: bool = False
    """Counted in the pool of small groups: figures withheld, contributions not labelled."""
    votes_cast: str = ""
    """Votes its people cast: exact for a group that may be named, "< n"/"≥ n" for a pooled
    one ("" where not known: an event's rows)."""
    cast_share: float | None = None
    """Share of the votes cast; None when withheld (or not known)."""
    invited: int | None = None
    """People invited, as the facilitator said (None: not said)."""

    @property
    def voice_ratio(self) -> float | None:
        """Share of voice ÷ share of presence (1.0 is a fair share); None when withheld or
        nobody is present."""
        if self.voice_share is None or not self.presence_share:
            return None
        return self.voice_share / self.presence_share

    @property
    def turnout(self) -> float | None:
        """People present ÷ people invited (None: no number invited)."""
        return self.present / self.invited if self.invited else None


@dataclass(slots=True)
class AppendixItem:
    id: int
    rank: str
    """The rank of the item it counts towards ("" when hidden in ranking, e.g. unvoted)."""
    text: str
    theme: str
    group: str
    votes: str
    status: str
    """"" for a visible contribution, else e.g. "merged into #12"."""
    author: str = ""
    view: ItemView | None = None
    """The ranked item, for a contribution that is not merged into another."""
    carried_rank: str = ""
    """Its rank in "carried by every group" ("" when not ranked there)."""
    differ_rank: str = ""
    """Its rank in "where the groups differ"."""
    votes_figure: str = ""
    """:attr:`votes` as data, for the CSV: the dots, or the mean score with a dot decimal,
    whatever the report's language ("" when not voted on or nobody scored it)."""


@dataclass(slots=True)
class AppendixRound:
    title: str
    items: list[AppendixItem]
    """The round's counted contributions (:attr:`Contribution.counted`), merged ones included."""
    hidden: int
    """Hidden by the facilitator: not counted, not shown."""
    waiting: int = 0
    """Still waiting for approval: not counted (yet), not shown."""


@dataclass(slots=True)
class VoteRow:
    """One vote, for the CSV: never the voter's device, only the group when it may be linked."""

    round_id: str
    round_title: str
    contribution_id: int
    theme: str
    group: str
    """The contribution's group (when linkable)."""
    voter_group: str
    """The voter's group (when linkable)."""
    rule: str
    """The round's voting rule: "dots" (``weight`` is dots given) or "score" (the score)."""
    weight: int


@dataclass(slots=True)
class Report:
    lang: str
    session_id: str
    title: str
    date: str
    """The day the session was held (:func:`facilitator.core.model.held_on`), in words."""
    day: dt.date
    place: str
    template_title: str
    participants: int
    contributions: int
    """The contributions that count (:attr:`Contribution.counted`: merged duplicates in, hidden
    ones and those awaiting approval out): the same figure as the audit's and ``facilitator
    list``'s."""
    dots: int | None
    """Dots placed on the contributions that count (None: no round is dot-voted)."""
    scores: int | None
    """Scores given (None: no round is scored). Never added to the dots: a dot and a score
    are not the same thing."""
    hidden: int
    """Contributions that do not count: hidden, or still waiting for approval."""
    counted_note: str
    """What the cover's count of contributions counts, and what it leaves out."""
    lines: list[LineView]
    """The day chair's lines (distillation rounds), each to a stakeholder side: page one."""
    tips: list[ItemView]
    """The room's tips (the distillation rounds' contributions), best first; the first
    :data:`TIPS_SHOWN`, beside the lines on page one."""
    tips_more: int
    """Tips not on page one (they are in their round's section)."""
    top_bottlenecks: list[ItemView]
    top_ideas: list[ItemView]
    carried_bottlenecks: AcrossView
    """"Carried by every group" of the bottleneck rounds: the five best and the items tied
    with the fifth (by rank in their round, then by round, as "most votes")."""
    differ_bottlenecks: AcrossView
    carried_ideas: AcrossView
    differ_ideas: AcrossView
    common: list[tuple[str, list[ItemView], int]]
    """Page one's "carried by every group": per kind ("Bottlenecks", "Ideas") the items
    ranked first (ties included, at most :data:`COMMON_SHOWN`) and how many more share it."""
    voice: list[str]
    """Whose voice was heard, as sentences: how equal the contributions were (the Gini),
    the expected groups' presence, and against the numbers invited. Page one and the audit."""
    actions: list[ActionView]
    findings: list[str]
    """The audit's findings, the most important first: page one says every one of them (every
    group that was missing), as the audit section does."""
    rounds: list[RoundView]
    groups_themes: list[GroupThemes]
    ideas: list[ItemView]
    ideas_more: int
    """Ideas not shown in full in the Ideas section (they are in the appendix)."""
    groups: list[GroupRow]
    pooled_with_small: list[str]
    """Groups at or above the threshold whose contributions are not labelled either, because
    the small groups together had fewer than ``anonymity_threshold`` people present."""
    pooled_note: str
    """Says so, for the cover ("" when no such group)."""
    figures_note: str
    """What "< n" and "≥ n" in the groups table mean ("" when no group is pooled)."""
    withheld: list[str]
    """The groups whose contributions, votes won and shares are withheld (the pooled ones)."""
    withheld_note: str
    """Which figures are withheld, of which groups, and why ("" when none are)."""
    missing: list[str]
    audit_notes: list[str]
    audit_actions: list[ActionView]
    appendix: list[AppendixRound]
    named: list[str]
    """Participants who consented to be named (only with ``names``)."""
    vote_rows: list[VoteRow]
    anonymity_threshold: int
    names: bool
    audit: Audit
    """The audit's figures, all of them (render ``groups``, which withholds what it must)."""
    disclosure: Disclosure
    """Which groups this report names and pools (facilitator.core.privacy)."""
    invited: bool = False
    """Whether the facilitator said how many of some group were invited (the groups table
    then has a column for it)."""


def report_language(store: SessionStore, lang: str | None) -> str:
    chosen = lang or store.info.lang
    return chosen if chosen in FACILITATOR_LANGUAGES else "en"


def build_report(store: SessionStore, *, names: bool = False, lang: str | None = None) -> Report:
    """The report model of a session (open read-only; it may still be running elsewhere)."""
    return _Builder(store, names=names, lang=report_language(store, lang)).build()


class _Builder:
    def __init__(self, store: SessionStore, *, names: bool, lang: str) -> None:
        self.store = store
        self.names = names
        self.lang = lang
        trans = translations(DOMAIN, lang)
        self._: Callable[[str], str] = trans.gettext
        self.template: Template = store.template
        self.everything = store.contributions(visible_only=False)
        self.by_id = {c.id: c for c in self.everything}
        self.participants: list[Participant] = store.participants()
        self.people = {p.device_id: p for p in self.participants}
        self.view: SessionView = store.view
        """The session's read model, fed from the whole file on opening (the same object
        the facilitator's screen and the wall read while the session runs)."""
        self.audit: Audit = self.view.audit()
        self.disclosure: Disclosure = self.view.disclosure(self.audit)
        self.rows, self.withheld_groups = self.view.groups()
        self.ngettext = trans.ngettext
        self.pooled = self.disclosure.pooled
        self.linkable = self.disclosure.named
        self._group_names: dict[str, str] = {}
        self._decimal = get_decimal_symbol(lang)
        self.theme_names = {t.id: t.name for t in store.themes()}
        self.actions = sorted(store.actions(), key=lambda a: a.id)
        self.actions_by_item: dict[int, list[Action]] = {}
        for action in self.actions:
            if action.contribution_id:
                self.actions_by_item.setdefault(action.contribution_id, []).append(action)

    # -- small helpers -------------------------------------------------------------------------

    def text(self, value: dict[str, str]) -> str:
        return localized(value, self.lang)

    def group_name(self, group_id: str) -> str:
        name = self._group_names.get(group_id)
        if name is None:
            if group_id == UNDISCLOSED:
                name = self._("Prefer not to say")
            else:
                group = self.template.group(group_id)
                name = self.text(group.name) if group else group_id
            self._group_names[group_id] = name
        return name

    def linked_group(self, group_id: str) -> str:
        """The group's name when it may be linked to what it said, else ""."""
        return self.group_name(group_id) if group_id in self.linkable else ""

    def author(self, contribution: Contribution) -> str:
        if not self.names:
            return ""
        person = self.people.get(contribution.author)
        return person.name if person and person.consent_named and person.name else ""

    def votes_label(self, spec: RoundSpec, item: RankedItem) -> str:
        if spec.voting.rule == "score":
            if not item.voters:
                return "–"
            return f"{item.mean_score:.1f}".replace(".", self._decimal)
        if spec.voting.rule == "dots":
            return str(item.votes)
        return ""

    @staticmethod
    def votes_figure(spec: RoundSpec, item: RankedItem) -> str:
        """:meth:`votes_label` as data: a dot decimal in every language, "" for none."""
        if spec.voting.rule == "score":
            return f"{item.mean_score:.2f}" if item.voters else ""
        return str(item.votes) if spec.voting.rule == "dots" else ""

    def action_view(self, action: Action) -> ActionView:
        idea = self.by_id.get(action.contribution_id)
        return ActionView(action.text, action.owner, date_label(action.due, self.lang),
                          idea.text if idea is not None and idea.counted else "")

    def theme_name(self, theme_id: int) -> str:
        return self.theme_names.get(theme_id, "")

    def item_view(self, spec: RoundSpec, item: RankedItem) -> ItemView:
        c = item.contribution
        links = [self.by_id[i].text for i in c.links
                 if i in self.by_id and self.by_id[i].counted]
        return ItemView(
            id=c.id,
            round_title=self.text(spec.title),
            text=c.text,
            rank=item.rank,
            voting=spec.voting.rule,
            votes=self.votes_label(spec, item),
            voters=item.voters,
            count=item.count,
            seen=item.seen,
            sampled=item.sampled,
            theme=self.theme_name(c.theme_id),
            group=self.linked_group(c.stakeholder),
            author=self.author(c),
            bold=Flag.BOLD.value in c.flags,
            practical=Flag.PRACTICAL.value in c.flags,
            links=links,
            actions=[self.action_view(a) for a in self.actions_by_item.get(c.id, [])],
        )

    # -- the report ----------------------------------------------------------------------------

    def build(self) -> Report:
        _ = self._
        info = self.store.info
        rounds: list[RoundView] = []
        ranked_by_round: dict[str, list[RankedItem]] = {}
        groups_themes: list[GroupThemes] = []
        bottlenecks: list[tuple[int, int, ItemView]] = []
        ideas: list[tuple[int, int, ItemView]] = []
        tips: list[tuple[int, int, ItemView]] = []
        lines: list[LineView] = []
        appendix: list[AppendixRound] = []
        vote_rows: list[VoteRow] = []
        across: dict[RoundKind, list[tuple[int, RoundRanking, dict[int, ItemView]]]] = {
            RoundKind.BOTTLENECK: [], RoundKind.IDEAS: []}
        contributions_by_round: dict[str, list[Contribution]] = {}
        for c in self.everything:
            contributions_by_round.setdefault(c.round_id, []).append(c)

        for index, spec in enumerate(self.template.rounds, start=1):
            items = contributions_by_round.get(spec.id, [])
            votes = self.store.votes(spec.id)
            ranking = self.view.ranking(spec.id)
            ranked = ranking.ranked()
            ranked_by_round[spec.id] = ranked
            themed, raised_by = self.view.themes(spec.id, self.store.themes(spec.id))
            views = {item.contribution.id: self.item_view(spec, item) for item in ranked}
            themes = [self.theme_view(spec, group, views) for group in themed]
            rounds.append(RoundView(
                index=index,
                round_id=spec.id,
                kind=spec.kind.value,
                title=self.text(spec.title),
                prompt=self.text(spec.prompt),
                voting=spec.voting.rule,
                themes=themes,
                notes=[n.text for n in sorted(self.store.notes(spec.id), key=lambda n: n.id)
                       if not n.addressed_to],
                shown=len(ranking),
                said=ranking.said,
                hidden=ranking.hidden,
                waiting=ranking.waiting,
            ))
            if spec.voting.rule != "none":
                rounds[-1].carried = self.across_view(spec, ranking, "carried", views)
                rounds[-1].differ = self.across_view(spec, ranking, "differ", views)
                if spec.kind in across:
                    across[spec.kind].append((index, ranking, views))
            if spec.kind is RoundKind.BOTTLENECK:
                bottlenecks += [(item.rank, index, views[item.contribution.id]) for item in ranked]
                for group_id, raised in raised_by.items():
                    groups_themes.append(GroupThemes(
                        self.group_name(group_id), self.text(spec.title),
                        [(self.theme_label(g), count) for g, count in raised]))
            elif spec.kind is RoundKind.IDEAS:
                ideas += [(item.rank, index, views[item.contribution.id]) for item in ranked]
            elif spec.kind is RoundKind.DISTILLATION:
                tips += [(item.rank, index, views[item.contribution.id]) for item in ranked]
                lines += [LineView(self.addressees(n.addressed_to), n.text)
                          for n in sorted(self.store.lines(spec.id), key=lambda n: n.id)]
            appendix.append(self.appendix_round(spec, items, ranked, views, themed))
            vote_rows += self.vote_rows(spec, votes)

        groups = [self.group_row(g) for g in self.rows]
        threshold = self.template.anonymity_threshold
        pooled_with_small = [self.group_name(g.group_id) for g in self.audit.groups
                             if g.group_id in self.pooled and g.linkable]
        pooled_note = _("The smaller groups together had fewer than {n} people present, so the "
                        "contributions of {groups} are not linked to their group either.").format(
                            n=threshold, groups=", ".join(f"“{g}”" for g in pooled_with_small)
                        ) if pooled_with_small else ""
        figures_note = _("“< {n}” and “≥ {n}”: the group is counted together with the other "
                         "small groups, so its exact figures and shares are not shown and "
                         "nobody can be recognised by elimination.").format(
                             n=threshold) if any(g.pooled for g in groups) else ""
        withheld = [g.name for g in groups if g.pooled]
        cast = self.view.votes()
        rules = {spec.voting.rule for spec in self.template.rounds}
        not_counted = sum(1 for c in self.everything if not c.counted)
        day = held_on(info, [self.store.round_state(spec.id) for spec in self.template.rounds])
        findings = self.findings()
        audit_rounds = {s.id for s in self.template.rounds if s.kind is RoundKind.AUDIT}
        audit_actions = [
            self.action_view(a) for a in self.actions
            if a.round_id in audit_rounds
            or (a.contribution_id in self.by_id
                and self.by_id[a.contribution_id].round_id in audit_rounds)
        ]
        named = []
        if self.names:
            named = sorted(p.name for p in self.participants if p.consent_named and p.name)
        ranked_ideas = [view for _rank, _index, view in sorted(ideas, key=lambda t: t[:2])]
        ranked_bottlenecks = [v for _r, _i, v in sorted(bottlenecks, key=lambda t: t[:2])]
        shown_ideas = [v for n, v in enumerate(ranked_ideas) if n < IDEAS_SHOWN or v.actions]
        ranked_tips = [view for _rank, _index, view in sorted(tips, key=lambda t: (t[1], t[0]))]
        return Report(
            lang=self.lang,
            session_id=info.session_id,
            title=info.title,
            date=format_date(day, format="long", locale=self.lang),
            day=day,
            place=info.place,
            template_title=self.text(self.template.title),
            participants=len(self.participants),
            contributions=self.audit.contributions,
            dots=cast.dots if "dots" in rules else None,
            scores=cast.scores if "score" in rules else None,
            hidden=not_counted,
            counted_note=self.counted_note(not_counted),
            lines=lines,
            tips=ranked_tips[:TIPS_SHOWN],
            tips_more=max(0, len(ranked_tips) - TIPS_SHOWN),
            top_bottlenecks=best_views(ranked_bottlenecks, TOP_N),
            top_ideas=best_views(ranked_ideas, TOP_N),
            carried_bottlenecks=self.across_best(across[RoundKind.BOTTLENECK], "carried"),
            differ_bottlenecks=self.across_best(across[RoundKind.BOTTLENECK], "differ"),
            carried_ideas=self.across_best(across[RoundKind.IDEAS], "carried"),
            differ_ideas=self.across_best(across[RoundKind.IDEAS], "differ"),
            common=self.common(across),
            voice=self.voice(),
            actions=[self.action_view(a) for a in self.actions],
            findings=findings,
            rounds=rounds,
            groups_themes=groups_themes,
            ideas=shown_ideas,
            ideas_more=len(ranked_ideas) - len(shown_ideas),
            groups=groups,
            pooled_with_small=pooled_with_small,
            pooled_note=pooled_note,
            figures_note=figures_note,
            withheld=withheld,
            withheld_note=self.withheld_note(self.withheld_groups),
            missing=[self.group_name(g) for g in self.audit.missing],
            audit_notes=[n.text for n in sorted(self.store.notes(), key=lambda n: n.id)
                         if n.round_id in audit_rounds],
            audit_actions=audit_actions,
            appendix=appendix,
            named=named,
            vote_rows=vote_rows,
            anonymity_threshold=threshold,
            names=self.names,
            audit=self.audit,
            disclosure=self.disclosure,
            invited=any(g.invited for g in self.audit.groups),
        )

    # -- across the stakeholder groups (facilitator.core.groups) -------------------------------

    def across_title(self, kind: str) -> str:
        return self._("Carried by every group") if kind == "carried" else self._(
            "Where the groups differ")

    def support_label(self, rows: Sequence[GroupSupport]) -> str:
        """Each group's support: "Gemeente 62% · Other groups together 48%"."""
        return " · ".join(f"{self.bucket_name(row.group)} {percent(row.share, self.lang)}"
                          for row in rows)

    def bucket_name(self, bucket: str) -> str:
        return self._("Other groups together") if bucket == POOL else self.group_name(bucket)

    def across_label(self, kind: str, support: Sequence[GroupSupport], highest: str,
                     lowest: str) -> str:
        if kind == "carried":
            return self._("support per group: {groups}").format(
                groups=self.support_label(support))
        by = {row.group: row for row in support}
        return self._("{high} {high_share}, {low} {low_share}").format(
            high=self.bucket_name(highest), high_share=percent(by[highest].share, self.lang),
            low=self.bucket_name(lowest), low_share=percent(by[lowest].share, self.lang))

    def across_note(self, ranking: AcrossRanking) -> str:
        """Why a ranking across groups has no items."""
        _ = self._
        if ranking.standing is Standing.ONE_GROUP:
            return _("Only one stakeholder group was present: there is nothing to compare.")
        if ranking.standing is Standing.POOLED:
            return _("Too few people of each group were present to compare the groups "
                     "without showing how someone voted.")
        if ranking.waiting:
            return _("No item was seen yet by at least {n} people of every group.").format(
                n=ranking.min_seen)
        return _("None yet.")

    def across_view(self, spec: RoundSpec, ranking: RoundRanking, kind: str,
                    views: dict[int, ItemView]) -> AcrossView:
        """One round's ranking across groups: the five best and the items tied with the
        fifth."""
        found = ranking.carried(TOP_N) if kind == "carried" else ranking.differ(TOP_N)
        items = [dataclasses.replace(
            views[entry.item.contribution.id], rank=entry.rank, tied=entry.tied,
            across=self.across_label(kind, entry.support, entry.highest, entry.lowest))
            for entry in found.items]
        return AcrossView(kind, self.across_title(kind), items,
                          "" if items else self.across_note(found), found.more_tied)

    def across_best(self, rounds: Sequence[tuple[int, RoundRanking, dict[int, ItemView]]],
                    kind: str) -> AcrossView:
        """The five best of one ranking across groups over the rounds of one kind (each
        round's ranking kept: by rank, then by round, as the summary's "most votes")."""
        entries = []
        notes = []
        for index, ranking, views in rounds:
            found = ranking.carried(TOP_N) if kind == "carried" else ranking.differ(TOP_N)
            notes.append(self.across_note(found))
            for entry in found.items:
                view = dataclasses.replace(
                    views[entry.item.contribution.id], rank=entry.rank,
                    across=self.across_label(kind, entry.support, entry.highest, entry.lowest))
                entries.append((entry.rank, index, view))
        ordered = [view for _rank, _index, view in sorted(entries, key=lambda t: t[:2])]
        items = best_views(ordered, TOP_N)
        return AcrossView(kind, self.across_title(kind), items,
                          "" if items else (notes[0] if notes else self._("None yet.")))

    def common(self, across: dict[RoundKind, list[tuple[int, RoundRanking,
                                                         dict[int, ItemView]]]]
               ) -> list[tuple[str, list[ItemView], int]]:
        """Page one's line per kind: what every group carried first (see
        :attr:`Report.common`)."""
        found = []
        for label, kind in ((self._("Bottlenecks"), RoundKind.BOTTLENECK),
                            (self._("Ideas"), RoundKind.IDEAS)):
            view = self.across_best(across[kind], "carried")
            first = [item for item in view.items if view.items[0].rank == item.rank]
            if first:
                found.append((label, first[:COMMON_SHOWN], len(first) - COMMON_SHOWN))
        return found

    def voice(self) -> list[str]:
        """Whose voice was heard, as sentences (see :attr:`Report.voice`)."""
        _, audit, lang = self._, self.audit, self.lang
        sentences = []
        if audit.gini is not None:
            silent = audit.spread.get(0, 0)
            sentences.append(_("Equality of contributions (Gini; 0: even, 1: one person sent "
                               "all): {gini}; {silent} of {n} participants sent nothing.").format(
                gini=format_decimal(audit.gini, format="0.00", locale=lang),
                n=audit.participants, silent=silent))
        if audit.representation is not None:
            sentences.append(_("Presence of the expected groups: the smallest had {share} of "
                               "the people of the largest.").format(
                share=percent(audit.representation, lang)))
        turnouts = [g for g in self.audit.groups if g.turnout is not None]
        if turnouts and audit.invited_representation is not None:
            # Every group with a number invited, lowest share first: a list that names two
            # read as if the others had not been invited.
            ordered = sorted(turnouts, key=lambda g: (g.turnout or 0.0,
                                                      self.group_name(g.group_id)))
            sentences.append(_("Of those invited came, per group from the lowest share to the "
                               "highest: {groups}.").format(groups=_joined(_, [
                                   _("“{group}” {share} ({present} of {invited})").format(
                                       group=self.group_name(g.group_id),
                                       share=percent(g.turnout, lang), present=g.present,
                                       invited=g.invited)
                                   for g in ordered])))
        return sentences

    def addressees(self, group_ids: Sequence[str]) -> str:
        """Whom a line is for: "Gemeente en Maatschappelijke organisatie"."""
        return _joined(self._, [self.group_name(g) for g in group_ids])

    def theme_label(self, group: ThemeGroup) -> str:
        return group.theme.name if group.theme is not None else self._("Not sorted into a theme")

    def theme_view(self, spec: RoundSpec, group: ThemeGroup,
                   views: dict[int, ItemView]) -> ThemeView:
        votes = str(group.votes) if spec.voting.rule == "dots" else ""
        shown = group.items[:ITEMS_PER_THEME]
        ranks = ranks_within(shown)
        return ThemeView(self.theme_label(group), votes,
                         [dataclasses.replace(views[item.contribution.id], rank=rank,
                                              tied=ranks.count(rank) > 1)
                          for item, rank in zip(shown, ranks, strict=True)],
                         more=len(group.items) - len(shown), sorted=group.theme is not None)

    def appendix_round(self, spec: RoundSpec, items: list[Contribution],
                       ranked: list[RankedItem], views: dict[int, ItemView],
                       themed: list[ThemeGroup]) -> AppendixRound:
        """Every counted contribution of the round (:attr:`Contribution.counted`: the same rule
        as the ranking and the audit), by theme (in the round's theme order), then in the order
        they arrived. Hidden ones and those waiting for approval are only counted."""
        _ = self._
        labels = {item.contribution.id: self.votes_label(spec, item) for item in ranked}
        figures = {item.contribution.id: self.votes_figure(spec, item) for item in ranked}
        ranks = {item.contribution.id: item.rank for item in ranked}
        ranking = self.view.ranking(spec.id)
        across = {kind: {item.contribution.id: str(rank) for item, rank, _tied in
                         ranking.across_all(kind)} for kind in ("carried", "differ")}
        voted = spec.voting.rule != "none"
        order = {g.theme.id: n for n, g in enumerate(themed) if g.theme is not None}
        shown = []
        for c in sorted(items, key=lambda c: (order.get(c.theme_id, len(order)), c.id)):
            if not c.counted:
                continue
            status = _("merged into #{id}").format(id=c.merged_into) if c.merged_into else ""
            rank = ranks.get(c.id)
            shown.append(AppendixItem(
                id=c.id, rank=str(rank) if voted and rank else "", text=c.text,
                theme=self.theme_name(c.theme_id),
                group=self.linked_group(c.stakeholder), votes=labels.get(c.id, ""),
                status=status, author=self.author(c), view=views.get(c.id),
                carried_rank=across["carried"].get(c.id, ""),
                differ_rank=across["differ"].get(c.id, ""),
                votes_figure=figures.get(c.id, "")))
        hidden = sum(1 for c in items if c.hidden)
        return AppendixRound(self.text(spec.title), shown, hidden,
                             len(items) - len(shown) - hidden)

    def vote_rows(self, spec: RoundSpec, votes: list[Vote]) -> list[VoteRow]:
        title = self.text(spec.title)
        rows = []
        for vote in sorted(votes, key=lambda v: v.id):
            target = self.by_id.get(vote.contribution_id)
            if target is None or not target.counted:
                continue
            voter = self.people.get(vote.device_id)
            rows.append(VoteRow(spec.id, title, vote.contribution_id,
                                self.theme_name(target.theme_id),
                                self.linked_group(target.stakeholder),
                                self.linked_group(voter.stakeholder) if voter else "",
                                spec.voting.rule, vote.weight))
        return rows

    def group_row(self, row: GroupShown) -> GroupRow:
        return GroupRow(
            group_id=row.group_id,
            name=self.group_name(row.group_id),
            expected=row.expected,
            required=row.required,
            missing=row.missing,
            present=row.present,
            contributions=row.contributions,
            votes_won=row.votes_won,
            presence_share=row.presence_share,
            voice_share=row.voice_share,
            votes_share=row.votes_share,
            pooled=row.pooled,
            votes_cast=row.votes_cast,
            cast_share=row.cast_share,
            invited=row.invited,
        )

    def counted_note(self, not_counted: int) -> str:
        """What "contributions" counts on the cover: the same as the audit and ``facilitator
        list``."""
        sentence = self._("Contributions: every one that counts, merged duplicates included, as "
                          "in the audit and in “facilitator list”.")
        if not not_counted:
            return sentence
        return sentence + " " + self.ngettext(
            "{n} hidden or awaiting approval is not counted.",
            "{n} hidden or awaiting approval are not counted.", not_counted).format(n=not_counted)

    def withheld_note(self, withheld: Withheld) -> str:
        """Which figures the groups table withholds, of which groups, and why ("" for none)."""
        _ = self._
        quoted = partial(quoted_list, self._)
        small = [self.group_name(g) for g in withheld.small]
        company = [self.group_name(g) for g in withheld.company]
        sentences = []
        if small:
            sentences.append(_("Withheld for anonymity: the contributions, votes won and shares "
                               "of {groups}. Fewer than {n} people of each of these groups were "
                               "present, so their exact figures would show who said "
                               "what.").format(groups=quoted(small),
                                               n=self.template.anonymity_threshold))
        if company:
            sentences.append(_("The figures of {groups} are withheld as well, so that those of "
                               "the small groups cannot be worked out from the "
                               "totals.").format(groups=quoted(company)))
        return " ".join(sentences)

    def findings(self) -> list[str]:
        """The audit's flags as sentences, the most important first."""
        if not self.participants:
            return [self._("Nobody has joined this session yet.")]
        return audit_findings(self.audit, gettext=self._, lang=self.lang,
                              group_name=self.group_name, withheld=self.pooled)


def audit_findings(audit: Audit, *, gettext: Callable[[str], str], lang: str,
                   group_name: Callable[[str], str], withheld: Collection[str],
                   dominance_of_withheld: bool = True) -> list[str]:
    """The audit's flags as sentences, the most important first.

    A group whose figures are ``withheld`` is said to fill more than half of the contributions
    without its share (which would give its exact count); with ``dominance_of_withheld`` False
    (an event, where "more than half of the event" would narrow down what one room withheld)
    not at all. With figures withheld and no flag, the sentence does not vouch that no group
    dominated: the withheld note says why it cannot.
    """
    _ = gettext
    order = [AuditFlag.ABSENT_REQUIRED, AuditFlag.NO_LIVED_EXPERIENCE, AuditFlag.DOMINANT,
             AuditFlag.ABSENT]
    sentences = []
    for kind in order:
        for flag, group_id in audit.flags:
            if flag is not kind:
                continue
            name = group_name(group_id)
            if flag is AuditFlag.ABSENT_REQUIRED:
                sentences.append(_("Nobody from “{group}” was at the table, although this "
                                   "group must be heard.").format(group=name))
            elif flag is AuditFlag.NO_LIVED_EXPERIENCE:
                sentences.append(_("No refugee-led or lived-experience voice was heard."))
            elif flag is AuditFlag.DOMINANT and group_id in withheld:
                if dominance_of_withheld:  # no share: it would give the exact count
                    sentences.append(_("“{group}” filled more than half of the "
                                       "contributions.").format(group=name))
            elif flag is AuditFlag.DOMINANT:
                figures = audit.figures(group_id)
                share = format_percent(figures.voice_share if figures else 0.0, locale=lang)
                sentences.append(_("“{group}” filled more than half of the contributions "
                                   "({share}).").format(group=name, share=share))
            else:
                sentences.append(_("“{group}” was expected but nobody from it was "
                                   "present.").format(group=name))
    if sentences:
        return sentences
    if withheld:
        return [_("Every expected group was at the table.")]
    return [_("Every expected group was at the table and no group dominated the "
              "conversation.")]


def best_views(ranked: Sequence[ItemView], n: int) -> list[ItemView]:
    """"The ``n`` best" of items ranked best first (of one round, or of several by rank and
    then round): the first ``n`` and every later one with the rank of the n-th, when that one
    was voted on; each marked ``tied`` when it shares its rank with another of its round shown
    here. Copies: the same item elsewhere in the report keeps its own mark."""
    found = list(ranked[:n])
    if len(found) == n and found[-1].voters:
        edge = found[-1].rank
        found += itertools.takewhile(lambda view: view.rank == edge, ranked[n:])
    shared = Counter((view.round_title, view.rank) for view in found)
    return [dataclasses.replace(view, tied=shared[(view.round_title, view.rank)] > 1)
            for view in found]


def date_label(value: str, lang: str) -> str:
    """An ISO date (as the TUI stores a due date) in ``lang``, e.g. "31 maart 2027"; any other
    text as it is."""
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        return value
    return format_date(day, format="long", locale=lang)


def _joined(gettext: Callable[[str], str], names: Sequence[str]) -> str:
    """A, B and C, in the report's language."""
    if len(names) < 2:
        return "".join(names)
    return gettext("{first} and {last}").format(first=", ".join(names[:-1]), last=names[-1])


def quoted_list(gettext: Callable[[str], str], names: Sequence[str]) -> str:
    """“A”, “B” and “C”, in the report's language."""
    return _joined(gettext, [f"“{name}”" for name in names])


def percent(value: float | None, lang: str) -> str:
    """A share as a percentage; "–" for a withheld one (None)."""
    return "–" if value is None else format_percent(value, locale=lang)


def ratio_label(ratio: float | None, lang: str) -> str:
    """A voice ratio (share of voice ÷ share of presence) with two decimals; "–" when there is
    none (nobody present) or it is withheld."""
    if ratio is None:
        return "–"
    return format_decimal(ratio, format="0.00", locale=lang)
