"""The report as Markdown: reads well in a plain editor and renders on a code forge.

Every piece of user text goes through :func:`md_escape` (or :func:`md_cell` in tables), so a
participant's ``<script>``, ``**bold**``, ``[link](x)``, ``| pipe`` or bare ``http://x`` shows as
the text they typed, and never becomes markup or a link.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from facilitator.i18n import translations
from facilitator.report.model import (
    DOMAIN,
    AcrossView,
    ActionView,
    GroupRow,
    ItemView,
    Report,
    RoundView,
    percent,
    ratio_label,
)

if TYPE_CHECKING:
    from facilitator.report.event_report import EventReport, EventRoom

# Characters with a meaning anywhere in a line (CommonMark/GFM inline syntax, HTML, entities).
_INLINE = re.compile(r"([\\`*_\[\]<>|~&])")
# Characters that start a block at the beginning of a line: headings, quotes, lists, rules,
# setext underlines, fenced code.
_LINE_START = re.compile(r"^(\s*)([#>+\-=]|\d+[.)])")
# What makes a GFM renderer (or markdown-it's linkify) turn bare text into a link by itself: a
# scheme's "://" (http://x, also inside =HYPERLINK("http://x")), a dot inside a name (www.x.nl,
# gemeente.nl) and the "@" of an address. Escaped, each still shows as typed, and is no link.
_AUTOLINK = re.compile(r":(?=//)|(?<=\w)\.(?=\w)|@")


def md_escape(text: str) -> str:
    """Escape Markdown-significant characters so the text renders as itself.

    Newlines are kept (as soft line breaks); each line is escaped at its start too.
    """
    lines = []
    for line in text.split("\n"):
        line = _INLINE.sub(r"\\\1", line)
        line = _AUTOLINK.sub(r"\\\g<0>", line)
        line = _LINE_START.sub(lambda m: m.group(1) + _escape_block(m.group(2)), line)
        lines.append(line)
    return "\n".join(lines)


def _escape_block(marker: str) -> str:
    if marker[0].isdigit():
        return marker[:-1] + "\\" + marker[-1]
    return "\\" + marker


def md_cell(text: str) -> str:
    """Escape text for a table cell: one line, ``|`` escaped, line breaks as ``<br>``."""
    lines = [md_escape(line.strip()) for line in text.split("\n") if line.strip()]
    return "<br>".join(lines) or " "


def md_inline(text: str) -> str:
    """Escape text for a list item or paragraph: continuation lines are indented."""
    return md_escape(text).replace("\n", "\n   ")


def _table(head: Sequence[str], rows: Sequence[Sequence[str]],
           align: Sequence[str] | None = None) -> list[str]:
    """A GFM table; cells must already be escaped. ``align`` per column: "l" or "r"."""
    align = align or ["l"] * len(head)
    rule = ["---:" if a == "r" else "---" for a in align]
    out = ["| " + " | ".join(head) + " |", "| " + " | ".join(rule) + " |"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return [*out, ""]


def render_markdown(report: Report) -> str:
    return _Markdown(report).render()


class _Markdown:
    def __init__(self, report: Report) -> None:
        self.r = report
        self._: Callable[[str], str] = translations(DOMAIN, report.lang).gettext
        self.out: list[str] = []

    def add(self, *lines: str) -> None:
        self.out.extend(lines)

    def render(self) -> str:
        self.cover()
        self.summary()
        for round_view in self.r.rounds:
            self.round(round_view)
        self.groups()
        self.ideas()
        self.table()
        self.appendix()
        text = "\n".join(self.out)
        return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"

    # -- sections ------------------------------------------------------------------------------

    def cover(self) -> None:
        _, r = self._, self.r
        self.add(f"# {md_escape(r.title)}", "")
        self.distilled()
        facts = [(_("Date"), r.date), (_("Place"), r.place or "–"),
                 (_("Template"), r.template_title),
                 (_("Participants"), str(r.participants)),
                 (_("Contributions"), str(r.contributions))]
        if r.dots is not None:
            facts.append((_("Dots placed"), str(r.dots)))
        if r.scores is not None:
            facts.append((_("Scores given"), str(r.scores)))
        self.add(*_table([_("Session"), md_cell(r.session_id)],
                         [[f"**{k}**", md_cell(v)] for k, v in facts]))
        self.add(f"_{md_escape(r.counted_note)}_", "")
        self.add(("**" + _("Who was at the table") + "**"), "")
        self.findings(r.findings)
        if r.voice:
            self.add(*[f"- {md_escape(sentence)}" for sentence in r.voice], "")
        self.common_ground()
        if r.withheld_note:
            self.add(md_escape(r.withheld_note), "")
        self.add(_("Anonymous report: contributions are linked to a stakeholder group only when "
                   "at least {n} people of that group were present.").format(
                       n=r.anonymity_threshold), "")
        if r.pooled_with_small:
            self.add(md_escape(r.pooled_note), "")

    def distilled(self) -> None:
        """The day chair's lines and the room's tips: what the report opens with."""
        _, r = self._, self.r
        if r.lines:
            self.add(("## " + _("The day chair's lines")), "")
            for line in r.lines:
                self.add(f"**{md_escape(_('To {groups}').format(groups=line.to))}:** "
                         f"{md_inline(line.text)}", "")
        if r.tips:
            self.add(("## " + _("Tips from the room")), "")
            self.add(*[f"- {md_inline(tip.text)}" for tip in r.tips], "")
            if r.tips_more:
                self.add(f"_{self.more_tips(r.tips_more)}_", "")

    def common_ground(self) -> None:
        """Page one's line per kind: what every group carried first (ties included)."""
        _, r = self._, self.r
        lines = []
        for label, first, more in r.common:
            line = f"- **{md_escape(label)}:** " + " / ".join(md_inline(i.text) for i in first)
            if more > 0:
                line += " " + _("(and {n} more with the same rank)").format(n=more)
            lines.append(line)
        if lines:
            self.add(("**" + _("Carried by every group") + "**"), "", *lines, "")

    def across_pair(self, carried: AcrossView | None, differ: AcrossView | None,
                    heading: str) -> None:
        """Both rankings across groups; one line when neither has anything, for one reason."""
        if carried is None or differ is None:
            return
        if not carried.items and not differ.items and carried.note == differ.note:
            self.add(f"_**{md_escape(carried.title)}, {md_escape(differ.title.lower())}:** "
                     f"{md_escape(carried.note)}_", "")
            return
        self.across(carried, heading)
        self.across(differ, heading)

    def across(self, view: AcrossView | None, heading: str) -> None:
        """One ranking across groups, under its own heading."""
        if view is None:
            return
        self.add(f"{heading} {md_escape(view.title)}", "")
        if not view.items:
            self.add(f"_{md_escape(view.note)}_", "")
            return
        self.ranked_list(view.items)
        if view.more_tied:
            self.add("_" + self._("… and {n} more with the same rank.").format(
                n=view.more_tied) + "_", "")

    def more_tips(self, n: int) -> str:
        return self._("… and {n} more in the round's section.").format(n=n)

    def summary(self) -> None:
        _, r = self._, self.r
        self.add(("## " + _("Summary")), "")
        self.add(("### " + _("Top bottlenecks")), "")
        self.ranked_list(r.top_bottlenecks)
        self.across_pair(r.carried_bottlenecks, r.differ_bottlenecks, "####")
        self.add(("### " + _("Top ideas")), "")
        self.ranked_list(r.top_ideas)
        self.across_pair(r.carried_ideas, r.differ_ideas, "####")
        self.add(("### " + _("Actions")), "")
        self.actions(r.actions)

    def findings(self, findings: list[str]) -> None:
        """The audit's findings, each one: every group that was missing is named."""
        self.add(*[f"- **{md_escape(finding)}**" for finding in findings], "")

    def ranked_list(self, items: list[ItemView]) -> None:
        _ = self._
        if not items:
            self.add(("_" + _("None yet.") + "_"), "")
            return
        for item in items:  # not a Markdown numbered list: it would renumber a tie
            self.add(f"- **{item.rank}.** {self.ranked_line(item)}")
        self.add("")

    def ranked_line(self, item: ItemView, *extra: str) -> str:
        """One ranked item: its text, votes, how many saw it and said it (and ``extra``)."""
        _ = self._
        text = md_inline(item.text)
        if item.bold:
            text = (f"**{text}** (" + _("bold idea") + ")")
        tags = []
        if item.across:  # a ranking across groups: what the groups said, not the room's votes
            tags.append(md_escape(item.across))
        elif item.voting == "score" and item.voters:
            tags.append(_("mean score {score} from {n} voters").format(
                score=item.votes, n=item.voters))
        elif item.voting == "dots":
            tags.append(_("votes: {votes}").format(votes=item.votes))
        if item.sampled and not item.across:
            tags.append(_("seen by {n}").format(n=item.seen))
        if item.count > 1 and not item.across:
            tags.append(_("said {n}×").format(n=item.count))
        if item.tied:
            tags.append(_("shared rank"))
        tags += extra
        return text + (f" — {', '.join(tags)}" if tags else "")

    def actions(self, actions: list[ActionView], *, with_idea: bool = True) -> None:
        _ = self._
        if not actions:
            self.add(("_" + _("No actions recorded.") + "_"), "")
            return
        head = [_("Action"), _("Owner"), _("Due")]
        if with_idea:
            head.append(_("From idea"))
        rows = []
        for a in actions:
            row = [md_cell(a.text), md_cell(a.owner or "–"), md_cell(a.due or "–")]
            if with_idea:
                row.append(md_cell(a.idea or "–"))
            rows.append(row)
        self.add(*_table(head, rows))

    def round(self, rv: RoundView) -> None:
        _ = self._
        self.add(("## " + _("Round {n}").format(n=rv.index) + f": {md_escape(rv.title)}"), "")
        self.add(f"> {md_inline(rv.prompt).replace(chr(10) + '   ', chr(10) + '> ')}", "")
        counts = _("Contributions shown: {shown}; counted with duplicates: {said}").format(
            shown=rv.shown, said=rv.said)
        if rv.hidden:
            counts += "; " + _("hidden, not counted: {n}").format(n=rv.hidden)
        if rv.waiting:
            counts += "; " + _("awaiting approval, not counted yet: {n}").format(n=rv.waiting)
        self.add(f"_{counts}._", "")
        voted = rv.voting != "none"
        votes_head = _("Mean score") if rv.voting == "score" else _("Votes")
        for theme in rv.themes:
            heading = md_escape(theme.name) if theme.sorted else f"_{md_escape(theme.name)}_"
            if theme.votes:
                heading += " — " + _("votes: {votes}").format(votes=theme.votes)
            self.add(f"### {heading}", "")
            head = [_("Rank") if voted else "#", _("Contribution")]
            align = ["r", "l"]
            if voted:
                head.append(votes_head)
                align.append("r")
            head += ["×", _("Group")]
            align += ["r", "l"]
            rows = []
            for item in theme.items:
                row = [str(item.rank) if voted else str(item.id), self.item_text(item)]
                if voted:
                    row.append(item.votes)
                row += [str(item.count), md_cell(item.group or "–")]
                rows.append(row)
            self.add(*_table(head, rows, align))
            if theme.more:
                self.add(f"_{self.more(theme.more)}_", "")
        if not rv.themes:
            self.add(("_" + _("No contributions in this round.") + "_"), "")
        self.across_pair(rv.carried, rv.differ, "###")
        if rv.notes:
            self.add(("**" + _("Facilitator notes") + "**"), "")
            self.add(*[f"- {md_inline(note)}" for note in rv.notes], "")

    def more(self, n: int) -> str:
        _ = self._
        return _("… and {n} more in the appendix.").format(n=n)

    def item_text(self, item: ItemView) -> str:
        text = md_cell(item.text)
        if item.bold:
            text = f"**{text}**"
        if item.author:
            text += f" — {md_cell(item.author)}"
        return text

    def groups(self) -> None:
        _ = self._
        self.add(("## " + _("Bottlenecks by stakeholder group")), "")
        self.add(_("Only groups with at least {n} people present are shown, so nobody can be "
                   "recognised from what they said.").format(n=self.r.anonymity_threshold), "")
        if not self.r.groups_themes:
            self.add(("_" + _("No group is large enough to be shown.") + "_"), "")
        for g in self.r.groups_themes:
            self.add(f"### {md_escape(g.group)}", "")
            if not g.themes:
                self.add(("_" + _("No bottlenecks raised.") + "_"), "")
                continue
            self.add(*_table([_("Theme"), _("Contributions")],
                             [[md_cell(name), str(n)] for name, n in g.themes], ["l", "r"]))

    def ideas(self) -> None:
        _ = self._
        self.add(("## " + _("Ideas")), "")
        if not self.r.ideas:
            self.add(("_" + _("No ideas yet.") + "_"), "")
            return
        for item in self.r.ideas:
            text = md_inline(item.text)
            label = f"**{text}**" if item.bold else text
            tags = []
            if item.bold:
                tags.append(_("bold"))
            if item.practical:
                tags.append(_("practical"))
            if item.voting == "score":
                tags.append(_("mean score {score} from {n} voters").format(
                    score=item.votes, n=item.voters) if item.voters else _("not voted on yet"))
            elif item.voting == "dots":
                tags.append(_("votes: {votes}").format(votes=item.votes))
            if item.sampled:
                tags.append(_("seen by {n}").format(n=item.seen))
            tail = f" _({', '.join(tags)})_" if tags else ""
            self.add(f"{item.rank}. {label}{tail}")
            for link in item.links:
                self.add("   - " + _("Answers") + f": {md_inline(link)}")
            for action in item.actions:
                owner = f" — {md_escape(action.owner)}" if action.owner else ""
                due = f" ({md_escape(action.due)})" if action.due else ""
                self.add("   - " + _("Action") + f": {md_inline(action.text)}{owner}{due}")
        self.add("")
        if self.r.ideas_more:
            self.add(f"_{self.more(self.r.ideas_more)}_", "")

    def table(self) -> None:
        _, r = self._, self.r
        self.add(("## " + _("Who was at the table")), "")
        for finding in r.findings:
            self.add(f"- {md_escape(finding)}")
        self.add("")
        if r.voice:
            self.add(*[f"- {md_escape(sentence)}" for sentence in r.voice], "")
        if r.withheld_note:
            self.add(md_escape(r.withheld_note), "")
        self.groups_table(r.groups, r.lang, r.figures_note, r.missing, invited=r.invited)
        if r.audit_notes:
            self.add(("### " + _("Notes from the room")), "")
            self.add(*[f"- {md_inline(n)}" for n in r.audit_notes], "")
        if r.audit_actions:
            self.add(("### " + _("Actions to reach who was missing")), "")
            self.actions(r.audit_actions, with_idea=False)
        if r.names:
            self.add(("### " + _("Participants who agreed to be named")), "")
            self.add(", ".join(md_escape(n) for n in r.named) or ("_" + _("None.") + "_"), "")

    def groups_table(self, groups: Sequence[GroupRow], lang: str, figures_note: str,
                     missing: Sequence[str], *, ratio: bool = False, cast: bool = True,
                     invited: bool = False) -> None:
        """The "who was at the table" table (with each group's voice ratio when ``ratio``,
        the votes its people cast when ``cast``, the people invited when ``invited``), what
        its marks mean, and the missing groups."""
        _ = self._
        rows = []
        for g in groups:
            expected = _("yes") if g.expected else _("no")
            name = md_cell(g.name)
            if g.missing:
                name = (f"**{name}** (" + _("missing") + ")")
            row = [name, expected]
            if invited:
                row.append(str(g.invited) if g.invited else "–")
            row += [str(g.present), percent(g.presence_share, lang),
                    md_cell(g.contributions), percent(g.voice_share, lang)]
            if ratio:
                row.append(ratio_label(g.voice_ratio, lang))
            row += [md_cell(g.votes_won), percent(g.votes_share, lang)]
            if cast:
                row += [md_cell(g.votes_cast), percent(g.cast_share, lang)]
            rows.append(row)
        head = [_("Group"), _("Expected")]
        if invited:
            head.append(_("Invited"))
        head += [_("Present"), _("Share of presence"), _("Contributions"), _("Share of voice")]
        if ratio:
            head.append(_("Voice ratio"))
        head += [_("Votes won"), _("Share of votes")]
        if cast:
            head += [_("Votes given"), _("Share of votes given")]
        self.add(*_table(head, rows, ["l", "l", *"r" * (len(head) - 2)]))
        if figures_note:
            self.add(f"_{md_escape(figures_note)}_", "")
        if missing:
            self.add(("**" + _("Missing groups") + ":** ")
                     + ", ".join(md_escape(m) for m in missing), "")

    def appendix(self) -> None:
        _ = self._
        self.add(("## " + _("Appendix: every contribution")), "")
        self.appendix_rounds("###")

    def appendix_rounds(self, heading: str) -> None:
        """Every round's contributions, each round under a ``heading`` ("###") of its own."""
        _ = self._
        for ap in self.r.appendix:
            self.add(f"{heading} {md_escape(ap.title)}", "")
            if ap.items:
                head = ["#", _("Rank"), _("Contribution"), _("Theme"), _("Group"), _("Votes"),
                        _("Note")]
                rows = []
                for item in ap.items:
                    text = md_cell(item.text)
                    if item.author:
                        text += f" — {md_cell(item.author)}"
                    rows.append([str(item.id), item.rank or "–", text, md_cell(item.theme or "–"),
                                 md_cell(item.group or "–"), item.votes or "–",
                                 md_cell(item.status or " ")])
                self.add(*_table(head, rows, ["r", "r", "l", "l", "l", "r", "l"]))
            else:
                self.add(("_" + _("No contributions in this round.") + "_"), "")
            if ap.hidden:
                self.add(_("Hidden contributions, not shown and not counted: {n}.").format(
                    n=ap.hidden), "")
            if ap.waiting:
                self.add(_("Waiting for approval, not shown and not counted yet: {n}.").format(
                    n=ap.waiting), "")


def render_event_markdown(event: EventReport) -> str:
    return _EventMarkdown(event).render()


class _EventMarkdown:
    """The event report as Markdown; each room's parts are drawn by the room report's own
    renderer (:class:`_Markdown` over the room's model), so they read as they do there."""

    def __init__(self, event: EventReport) -> None:
        self.e = event
        self._: Callable[[str], str] = translations(DOMAIN, event.lang).gettext
        self.out: list[str] = []

    def add(self, *lines: str) -> None:
        self.out.extend(lines)

    def room_part(self, room: EventRoom) -> _Markdown:
        """The room report's renderer, writing into this document."""
        part = _Markdown(room.report)
        part.out = self.out
        return part

    def render(self) -> str:
        self.cover()
        self.summary()
        self.per_room()
        self.distillation()
        self.agenda()
        self.themes()
        self.table()
        self.appendix()
        text = "\n".join(self.out)
        return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"

    def cover(self) -> None:
        _, e = self._, self.e
        self.add(f"# {md_escape(e.title)}", "")
        facts = [(_("Date"), e.dates), (_("Place"), " · ".join(e.places) or "–"),
                 (_("Rooms"), str(len(e.rooms))), (_("Participants"), str(e.participants)),
                 (_("Contributions"), str(e.contributions))]
        if e.dots is not None:
            facts.append((_("Dots placed"), str(e.dots)))
        if e.scores is not None:
            facts.append((_("Scores given"), str(e.scores)))
        self.add(*_table([_("Event"), " "], [[f"**{k}**", md_cell(v)] for k, v in facts]))
        self.add(_("Anonymous report: every room's contributions are linked to a stakeholder "
                   "group only as that room's own report links them, and what a room's report "
                   "withholds is withheld across the event too."), "")
        self.add("_" + _("Participants are counted per room: someone who took part in two "
                         "rooms counts twice.") + "_", "")
        if e.event_file:
            self.add("_" + md_escape(_("Event file: {file}; themes shown with another room's: "
                                       "{n}.").format(file=e.event_file, n=e.mapped)) + "_", "")
        rows = [[str(room.number), md_cell(room.title), md_cell(room.place or "–"),
                 md_cell(room.template_title), str(room.report.participants),
                 str(room.report.contributions), md_cell(room.session_id)]
                for room in e.rooms]
        self.add(("## " + _("Rooms")), "")
        self.add(*_table(["#", _("Room"), _("Place"), _("Template"), _("Participants"),
                          _("Contributions"), _("Session")], rows,
                         ["r", "l", "l", "l", "r", "r", "l"]))

    def summary(self) -> None:
        _, e = self._, self.e
        self.add(("## " + _("Summary")), "")
        self.add("_" + _("Each room's ranking stands as the room voted. Votes of different rooms "
                         "cannot be compared, so every room's first comes before any room's "
                         "second; among equals, the one a larger share of its room backed.")
                 + "_", "")
        for heading, items in ((_("Top bottlenecks across rooms"), e.top_bottlenecks),
                               (_("Top ideas across rooms"), e.top_ideas)):
            self.add(f"### {heading}", "")
            if not items:
                self.add(("_" + _("None yet.") + "_"), "")
                continue
            for n, entry in enumerate(items, start=1):
                part = self.room_part(entry.room)
                room = _("room {room}").format(room=md_escape(entry.room.label))
                rank = _("rank {n} there").format(n=entry.item.rank)
                self.add(f"{n}. {part.ranked_line(entry.item, rank, room)}")
            self.add("")
        self.add(("### " + _("Actions")), "")
        if not e.actions:
            self.add(("_" + _("No actions recorded.") + "_"), "")
        else:
            rows = [[md_cell(a.room.label), md_cell(a.action.text), md_cell(a.action.owner or "–"),
                     md_cell(a.action.due or "–"), md_cell(a.action.idea or "–")]
                    for a in e.actions]
            self.add(*_table([_("Room"), _("Action"), _("Owner"), _("Due"), _("From idea")],
                             rows))
        self.add(("### " + _("Who was at the table")), "")
        self.add(*[f"- **{md_escape(finding)}**" for finding in e.findings], "")
        if e.withheld_note:
            self.add(md_escape(e.withheld_note), "")

    def per_room(self) -> None:
        _, e = self._, self.e
        self.add(("## " + _("Per room")), "")
        for room in e.rooms:
            report = room.report
            self.add(f"### {md_escape(room.label)}", "")
            facts = [room.template_title, room.place, room.date,
                     _("Participants: {n}").format(n=report.participants),
                     _("Contributions: {n}").format(n=report.contributions)]
            self.add("_" + " · ".join(md_escape(f) for f in facts if f) + "_", "")
            part = self.room_part(room)
            for heading, items, carried, differ in (
                    (_("Top bottlenecks"), report.top_bottlenecks, report.carried_bottlenecks,
                     report.differ_bottlenecks),
                    (_("Top ideas"), report.top_ideas, report.carried_ideas,
                     report.differ_ideas)):
                self.add(f"#### {heading}", "")
                part.ranked_list(items)
                part.across_pair(carried, differ, "#####")

    def distillation(self) -> None:
        _, e = self._, self.e
        if not e.distillations:
            return
        self.add(("## " + _("Distillation")), "")
        for room in e.distillations:
            self.add(f"### {md_escape(room.label)}", "")
            for line in room.lines:
                to = (" — " + _("to {groups}").format(groups=md_escape(line.to))
                      if line.to else "")
                self.add(f"- {md_inline(line.text)}{to}")
            if room.lines:
                self.add("")
            if room.tips:
                self.add("**" + _("Tips") + "**", "")
                part = self.room_part(room)
                for n, tip in enumerate(room.tips, start=1):
                    self.add(f"{n}. {part.ranked_line(tip)}")
                self.add("")

    def agenda(self) -> None:
        _, e = self._, self.e
        self.add(("## " + _("Rounds by kind")), "")
        self.add(_("Rooms from different templates are matched by the kind of round; where "
                   "their rounds differ, each room's are listed."), "")
        for kind in e.agenda:
            self.add(f"### {md_escape(kind.label)}", "")
            if kind.same:
                self.add(_("Every room: {rounds}").format(
                    rounds="; ".join(md_escape(t) for t in kind.rooms[0][1])), "")
                continue
            rows = [[md_cell(room.label), md_cell("; ".join(titles) or "–")]
                    for room, titles in kind.rooms]
            self.add(*_table([_("Room"), _("Rounds")], rows))

    def themes(self) -> None:
        _, e = self._, self.e
        self.add(("## " + _("Themes across rooms")), "")
        self.add(_("Themes with the same name are shown together, and so are those the event "
                   "file maps onto another room's."), "")
        if not e.themes:
            self.add(("_" + _("No themes yet.") + "_"), "")
            return
        labels = e.kind_labels
        kind = ""
        for theme in e.themes:
            if theme.kind != kind:
                kind = theme.kind
                self.add(f"### {md_escape(labels.get(kind, kind))}", "")
            self.add(f"#### {md_escape(theme.name)} — " + _(
                "{n} contributions in {rooms} rooms").format(n=theme.items, rooms=theme.rooms),
                "")
            rows = []
            for place in theme.places:
                name = md_cell(place.name) + (" ⇢" if place.mapped else "")
                top = place.top
                rows.append([md_cell(place.room.label), md_cell(place.round_title), name,
                             str(place.items), place.votes or "–",
                             md_cell(top.text) if top else "–",
                             md_cell(top.group or "–") if top else "–"])
            self.add(*_table([_("Room"), _("Round"), _("Theme in the room"), _("Contributions"),
                              _("Votes"), _("Top contribution"), _("Group")], rows,
                             ["l", "l", "l", "r", "r", "l", "l"]))
        if e.mapped:
            self.add("_" + _("⇢ shown here by the event file.") + "_", "")

    def table(self) -> None:
        _, e = self._, self.e
        self.add(("## " + _("Who was at the table: the whole event")), "")
        for finding in e.findings:
            self.add(f"- {md_escape(finding)}")
        self.add("")
        if e.withheld_note:
            self.add(md_escape(e.withheld_note), "")
        self.room_part(e.rooms[0]).groups_table(e.groups, e.lang, e.figures_note, e.missing,
                                                ratio=True, cast=False)
        for room in e.rooms:
            report = room.report
            self.add(f"### {md_escape(room.label)}", "")
            for finding in report.findings:
                self.add(f"- {md_escape(finding)}")
            self.add("")
            if report.withheld_note:
                self.add(md_escape(report.withheld_note), "")
            if report.voice:
                self.add(*[f"- {md_escape(sentence)}" for sentence in report.voice], "")
            self.room_part(room).groups_table(report.groups, e.lang, report.figures_note,
                                              report.missing, ratio=True,
                                              invited=report.invited)

    def appendix(self) -> None:
        _, e = self._, self.e
        self.add(("## " + _("Appendix: every contribution")), "")
        for room in e.rooms:
            self.add(f"### {md_escape(room.label)}", "")
            self.room_part(room).appendix_rounds("####")
