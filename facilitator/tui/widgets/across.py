"""The results of a voted round across its stakeholder groups, on the facilitator's screen:
"carried by every group" and "where the groups differ" beside "most votes"
(facilitator.core.groups; the rule is in docs/voting.md).

What the results show is the round's ``ranking`` (``RoundState.ranking``), which the wall
follows too, so the room and the facilitator read the same list; ``R`` goes to the next one
(:func:`next_ranking`). Everything here is read from the session's live read model, which
keeps the rankings per ballot: a redraw costs the items it lists. Participant text goes in as
``Text``: literal, never markup.
"""

from __future__ import annotations

from collections.abc import Sequence

from babel.numbers import format_percent
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from facilitator.core.groups import (
    POOL,
    AcrossItem,
    AcrossRanking,
    GroupSupport,
    Standing,
)
from facilitator.core.model import RANKINGS
from facilitator.core.templates import RoundSpec, Template
from facilitator.session.store import SessionStore
from facilitator.tui.i18n import _, group_name, language, ngettext
from facilitator.tui.widgets.feed import one_line

SHOWN = 10
"""Items listed per ranking across groups (and every item tied with the last)."""


def next_ranking(current: str) -> str:
    """The ranking the key goes to from ``current``: most votes, carried, differ, again."""
    at = RANKINGS.index(current) if current in RANKINGS else -1
    return RANKINGS[(at + 1) % len(RANKINGS)]


def ranking_key() -> str:
    """The key that goes to the next ranking, as the key bar shows it (tui/actions.py)."""
    from facilitator.tui.actions import SESSION

    return next(command.key for command in SESSION if command.id == "view.ranking")


def ranking_title(kind: str) -> str:
    return {"votes": _("Most votes"), "carried": _("Carried by every group"),
            "differ": _("Where the groups differ")}.get(kind, _("Most votes"))


def ranking_tabs(current: str, key: str) -> Text:
    """The three rankings in a line, the one shown in reverse, and the key that switches."""
    line = Text()
    for kind in RANKINGS:
        title = f" {ranking_title(kind)} "
        line.append(title, style="bold reverse" if kind == current else "dim")
        line.append(" ")
    line.append(_("({key}: the next ranking; the wall shows the same)").format(key=key),
                style="dim italic")
    return line


def percent(share: float | None) -> str:
    """A share in the TUI's language ("62%"); "–" where too few saw the item to say."""
    return "–" if share is None else format_percent(share, locale=language())


def bucket_name(template: Template, bucket: str) -> str:
    """A group compared: its name, or "other groups together" for the pool."""
    return _("Other groups together") if bucket == POOL else group_name(template, bucket)


def support_text(template: Template, rows: Sequence[GroupSupport]) -> str:
    """Each group's support: "Gemeente 62% · Other groups together 48%"."""
    return " · ".join(f"{bucket_name(template, row.group)} {percent(row.share)}" for row in rows)


def apart_text(template: Template, item: AcrossItem) -> str:
    """The two groups furthest apart on an item: "Gemeente 62%, Migrantenorganisatie 17%"."""
    by = {row.group: row for row in item.support}
    if item.highest == item.lowest or not item.value:
        return _("the same in every group: {share}").format(share=percent(by[item.highest].share))
    return _("{high} {high_share}, {low} {low_share}").format(
        high=bucket_name(template, item.highest), high_share=percent(by[item.highest].share),
        low=bucket_name(template, item.lowest), low_share=percent(by[item.lowest].share))


def across_note(found: AcrossRanking) -> str:
    """Why a ranking across groups lists nothing ("" when it lists items)."""
    return standing_note(found.standing.value, bool(found.items), found.waiting,
                         found.min_seen)


def standing_note(standing: str, listed: bool, waiting: int, min_seen: int) -> str:
    """Why a ranking across groups lists nothing ("" when it lists items), from its plain
    figures (a room's summary carries the same)."""
    if standing == Standing.ONE_GROUP:
        return _("Only one stakeholder group is present: there is nothing to compare, so "
                 "there is no ranking across groups.")
    if standing == Standing.POOLED:
        return _("Too few people of each group are present to compare the groups without "
                 "showing how someone voted.")
    if standing == Standing.NOT_VOTED:
        return _("This round has no vote.")
    if listed:
        return ""
    if waiting:
        return _("No item was seen yet by at least {n} people of every group.").format(
            n=min_seen)
    return _("Nobody has supported an item yet.")


def rank_text(entry: AcrossItem) -> Text:
    """The rank, with "=" when it is shared (the items cannot be told apart)."""
    return Text(f"{entry.rank}=" if entry.tied else str(entry.rank),
                style="bold" if entry.tied else "")


def across_view(store: SessionStore, spec: RoundSpec, kind: str) -> RenderableType:
    """One ranking across groups of a round, as the facilitator's screen shows it."""
    ranking = store.ranking(spec.id)
    found = ranking.carried(SHOWN) if kind == "carried" else ranking.differ(SHOWN)
    template = store.template
    parts: list[RenderableType] = [Text(ranking_title(kind), style="bold underline")]
    parts.append(Text(
        _("Ranked by the product of each group's support, so one group's rejection sinks an "
          "item.") if kind == "carried" else
        _("The items one group supports and another does not, the largest gap first."),
        style="dim"))
    note = across_note(found)
    if found.standing is Standing.RANKED:
        parts.append(Text(_("Groups compared: {groups}").format(
            groups=", ".join(bucket_name(template, g) for g in found.groups)), style="italic"))
    if note:
        parts.append(Text(note, style="italic"))
        return Group(*parts)
    table = Table(show_header=True, header_style="dim", box=None, expand=True, padding=(0, 1))
    table.add_column(_("Rank"), justify="right", width=6)
    table.add_column(_("Contribution"), ratio=3)
    table.add_column(_("Support per group") if kind == "carried" else _("Furthest apart"),
                     ratio=2)
    if found.sampled:
        table.add_column(_("Seen"), justify="right", width=6)
    for entry in found.items:
        cells: list[Text | str] = [
            rank_text(entry), Text(one_line(entry.item.contribution.text)),
            Text(support_text(template, entry.support) if kind == "carried"
                 else apart_text(template, entry))]
        if found.sampled:
            cells.append(str(entry.item.seen))
        table.add_row(*cells)
    parts.append(table)
    if found.more_tied:
        parts.append(Text(ngettext("… and {n} more share the last rank shown",
                                   "… and {n} more share the last rank shown",
                                   found.more_tied).format(n=found.more_tied),
                          style="dim italic"))
    if any(entry.tied for entry in found.items):
        parts.append(Text(_("“=”: a shared rank; these items cannot be told apart."),
                          style="dim"))
    if found.waiting:
        parts.append(Text(ngettext(
            "{n} item somebody supported is not seen yet by at least {k} people of every "
            "group.",
            "{n} items somebody supported are not seen yet by at least {k} people of every "
            "group.", found.waiting).format(n=found.waiting, k=found.min_seen), style="dim"))
    return Group(*parts)
