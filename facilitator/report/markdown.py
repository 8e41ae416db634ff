"""The report as Markdown: reads well in a plain editor and renders on a code forge.

Every piece of user text goes through :func:`md_escape` (or :func:`md_cell` in tables), so a
participant's ``<script>``, ``**bold**``, ``[link](x)``, ``| pipe`` or bare ``http://x`` shows as
the text they typed, and never becomes markup or a link.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from facilitator.i18n import translations
from facilitator.report.model import DOMAIN, ActionView, ItemView, Report, RoundView, percent

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
                 (_("Contributions"), str(r.contributions)),
                 (_("Votes cast"), str(r.votes))]
        self.add(*_table([_("Session"), md_cell(r.session_id)],
                         [[f"**{k}**", md_cell(v)] for k, v in facts]))
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

    def more_tips(self, n: int) -> str:
        return self._("… and {n} more in the round's section.").format(n=n)

    def summary(self) -> None:
        _, r = self._, self.r
        self.add(("## " + _("Summary")), "")
        self.add(("### " + _("Top bottlenecks")), "")
        self.ranked_list(r.top_bottlenecks)
        self.add(("### " + _("Top ideas")), "")
        self.ranked_list(r.top_ideas)
        self.add(("### " + _("Actions")), "")
        self.actions(r.actions)
        self.add(("### " + _("Who was at the table")), "", f"**{md_escape(r.finding)}**", "")
        if r.withheld_note:
            self.add(md_escape(r.withheld_note), "")

    def ranked_list(self, items: list[ItemView]) -> None:
        _ = self._
        if not items:
            self.add(("_" + _("None yet.") + "_"), "")
            return
        for item in items:
            text = md_inline(item.text)
            if item.bold:
                text = (f"**{text}** (" + _("bold idea") + ")")
            extra = []
            if item.voting == "score" and item.voters:
                extra.append(_("mean score {score} from {n} voters").format(
                    score=item.votes, n=item.voters))
            elif item.voting == "dots":
                extra.append(_("votes: {votes}").format(votes=item.votes))
            if item.sampled:
                extra.append(_("seen by {n}").format(n=item.seen))
            if item.count > 1:
                extra.append(_("said {n}×").format(n=item.count))
            tail = f" — {', '.join(extra)}" if extra else ""
            self.add(f"{item.rank}. {text}{tail}")
        self.add("")

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
            counts += "; " + _("hidden: {n}").format(n=rv.hidden)
        if rv.waiting:
            counts += "; " + _("awaiting approval: {n}").format(n=rv.waiting)
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
        lang = r.lang
        self.add(("## " + _("Who was at the table")), "")
        for finding in r.findings:
            self.add(f"- {md_escape(finding)}")
        self.add("")
        if r.withheld_note:
            self.add(md_escape(r.withheld_note), "")
        rows = []
        for g in r.groups:
            expected = _("yes") if g.expected else _("no")
            name = md_cell(g.name)
            if g.missing:
                name = (f"**{name}** (" + _("missing") + ")")
            rows.append([name, expected, str(g.present), percent(g.presence_share, lang),
                         md_cell(g.contributions), percent(g.voice_share, lang),
                         md_cell(g.votes_won), percent(g.votes_share, lang)])
        self.add(*_table([_("Group"), _("Expected"), _("Present"), _("Share of presence"),
                          _("Contributions"), _("Share of voice"), _("Votes won"),
                          _("Share of votes")], rows, ["l", "l", "r", "r", "r", "r", "r", "r"]))
        if r.figures_note:
            self.add(f"_{md_escape(r.figures_note)}_", "")
        if r.missing:
            self.add(("**" + _("Missing groups") + ":** ")
                     + ", ".join(md_escape(m) for m in r.missing), "")
        if r.audit_notes:
            self.add(("### " + _("Notes from the room")), "")
            self.add(*[f"- {md_inline(n)}" for n in r.audit_notes], "")
        if r.audit_actions:
            self.add(("### " + _("Actions to reach who was missing")), "")
            self.actions(r.audit_actions, with_idea=False)
        if r.names:
            self.add(("### " + _("Participants who agreed to be named")), "")
            self.add(", ".join(md_escape(n) for n in r.named) or ("_" + _("None.") + "_"), "")

    def appendix(self) -> None:
        _ = self._
        self.add(("## " + _("Appendix: every contribution")), "")
        for ap in self.r.appendix:
            self.add(f"### {md_escape(ap.title)}", "")
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
                self.add(_("Hidden contributions, counted but not shown: {n}.").format(
                    n=ap.hidden), "")
            if ap.waiting:
                self.add(_("Waiting for approval, not shown and not counted yet: {n}.").format(
                    n=ap.waiting), "")
