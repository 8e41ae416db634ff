"""A session, or an event of many rooms, as an open data package (Frictionless Data Package).

``facilitator export SESSION --open-data DIR`` and ``facilitator event report ... --open-data
DIR`` write a folder a researcher or a municipality's data team can read with their own tools:
one CSV per table, and ``datapackage.json`` describing them (a Table Schema per CSV, the
licence, what the session was). Everything in it comes from the report model and the session's
read model, so the package withholds what the report withholds (facilitator.core.privacy):

- no device id, no name, no key or secret of the room, no link to join it;
- a contribution carries its stakeholder group only where the report links it;
- a pooled group's contributions, votes won and votes given are left empty (not even "< n");
- ballots (``ballots.csv``, one row per vote) are numbered per round from a hash of the device
  and the round, so one person's votes in one round hang together but nothing links them to
  another round, to their contributions or to their device. A ballot names the voter's group
  only where that group may be named in the session *and* at least the anonymity threshold of
  its people voted in that round (the small ones pooled as ``pooled_groups`` pools them, by the
  round's voters), so no group's ballots can be picked out by elimination; what the phone was
  shown is not published per ballot (its gaps would point at the voter's own items);
- each group's support per item (``group_support.csv``) is the figure every face shows: named
  groups and "the other groups together", and no figure where fewer than the threshold saw it.

Text cells that a spreadsheet would run as a formula start with an apostrophe, as in the
report's CSV (the schema says so); numbers are written as numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from facilitator.core.groups import POOL, Standing
from facilitator.core.model import Vote
from facilitator.core.privacy import named_among
from facilitator.report.csv_out import safe_cell
from facilitator.report.model import GroupRow, Report
from facilitator.session.files import write_atomic
from facilitator.session.store import SessionStore

if TYPE_CHECKING:
    from facilitator.report.event_report import EventReport

LICENCES = {
    "CC-BY-4.0": ("Creative Commons Attribution 4.0",
                  "https://creativecommons.org/licenses/by/4.0/"),
    "CC0-1.0": ("Creative Commons Zero v1.0 Universal",
                "https://creativecommons.org/publicdomain/zero/1.0/"),
    "CC-BY-SA-4.0": ("Creative Commons Attribution Share-Alike 4.0",
                     "https://creativecommons.org/licenses/by-sa/4.0/"),
    "ODC-BY-1.0": ("Open Data Commons Attribution License 1.0",
                   "https://opendatacommons.org/licenses/by/1-0/"),
    "ODbL-1.0": ("Open Data Commons Open Database License 1.0",
                 "https://opendatacommons.org/licenses/odbl/1-0/"),
}
DEFAULT_LICENCE = "CC-BY-4.0"
POOLED = "pooled"
"""How the package names the pool of groups that may not be named (template ids are never
this: they are the groups' own ids, and ``pooled`` is written only in the ``group`` columns
whose description says so)."""
FORMULA_NOTE = (" A text that a spreadsheet would read as a formula (starting with =, +, -, @, a "
                "tab or a carriage return) starts with an apostrophe.")


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str
    """A Table Schema type: string, integer, number, boolean, date, datetime."""
    description: str
    required: bool = False


@dataclass(slots=True)
class Table:
    name: str
    title: str
    description: str
    columns: list[Column]
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    primary_key: tuple[str, ...] = ()
    foreign_keys: list[dict[str, Any]] = field(default_factory=list)

    def csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow([c.name for c in self.columns])
        for row in self.rows:
            writer.writerow([_cell(column, value)
                             for column, value in zip(self.columns, row, strict=True)])
        return buffer.getvalue()

    def resource(self) -> dict[str, Any]:
        fields = []
        for column in self.columns:
            description = column.description
            if column.type == "string" and column.name in _FREE_TEXT:
                description += FORMULA_NOTE
            entry: dict[str, Any] = {"name": column.name, "type": column.type,
                                     "description": description}
            if column.required:
                entry["constraints"] = {"required": True}
            fields.append(entry)
        schema: dict[str, Any] = {"fields": fields, "missingValues": [""]}
        if self.primary_key:
            schema["primaryKey"] = list(self.primary_key)
        if self.foreign_keys:
            schema["foreignKeys"] = self.foreign_keys
        return {"name": self.name, "title": self.title, "description": self.description,
                "path": f"{self.name}.csv", "profile": "tabular-data-resource", "format": "csv",
                "mediatype": "text/csv", "encoding": "utf-8", "schema": schema}


_FREE_TEXT = {"text", "title", "prompt", "name", "owner", "theme", "answers", "place"}


def _cell(column: Column, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".") if value == value else ""
    if column.type == "string":
        return safe_cell(value)
    return str(value)


def _fk(fields: Sequence[str], resource: str, to: Sequence[str]) -> dict[str, Any]:
    return {"fields": list(fields), "reference": {"resource": resource, "fields": list(to)}}


def ballot_numbers(round_id: str, devices: Iterable[str]) -> dict[str, int]:
    """Each device's ballot number in one round: 1, 2, ... in the order of a hash of the round
    and the device, so the number says nothing about when or who, and differs per round."""
    keyed = sorted((hashlib.sha256(f"{round_id}/{device}".encode()).hexdigest(), device)
                   for device in set(devices))
    return {device: n for n, (_key, device) in enumerate(keyed, start=1)}


def ballot_groups(store: SessionStore, report: Report, round_id: str, votes: Sequence[Vote]
                  ) -> dict[str, str]:
    """The group each ballot of a round may name: the voter's group where the session names it
    and the round's voters of it are not pooled (threshold and company as core/privacy.py);
    "" otherwise."""
    template = store.template
    group_of = {p.device_id: p.stakeholder for p in store.participants()}
    voters = {v.device_id for v in votes}
    counts = Counter(group_of.get(device, "") for device in voters)
    labelled = named_among(counts, template.anonymity_threshold,
                           [g.id for g in template.groups]) & report.disclosure.named
    return {device: group_of.get(device, "") if group_of.get(device, "") in labelled else ""
            for device in voters}


def session_tables(store: SessionStore, report: Report) -> list[Table]:
    """The tables of one session's package (see the module docstring)."""
    template = store.template
    rounds = Table("rounds", "Rounds", "The session's rounds, in order, with what each counted.", [
        Column("round_id", "string", "The round's id in the template.", True),
        Column("position", "integer", "Its place in the session, from 1.", True),
        Column("kind", "string", "bottleneck, ideas, audit, open or distillation.", True),
        Column("title", "string", "The round's title, in the report's language."),
        Column("prompt", "string", "The question the room answered."),
        Column("voting", "string", "How it was voted: dots, score or none.", True),
        Column("sampled", "boolean", "Whether ballots showed each phone a sample of the items "
               "(then figures are per time seen: docs/voting.md).", True),
        Column("shown", "integer", "Distinct contributions shown (merged duplicates folded "
               "in)."),
        Column("counted", "integer", "Contributions that count, duplicates included."),
        Column("hidden", "integer", "Contributions hidden by the facilitator or withdrawn."),
        Column("dots", "integer", "Dots placed on contributions that count (dot rounds)."),
        Column("scores", "integer", "Scores given on contributions that count (scored "
               "rounds)."),
        Column("across_groups", "string", "Whether the round ranks across stakeholder groups: "
               "ranked, one_group, pooled (groups too small to compare) or not_voted."),
    ], primary_key=("round_id",))
    for rv in report.rounds:
        ranking = store.view.ranking(rv.round_id)
        totals = ranking.cast
        rule = ranking.spec.voting.rule
        rounds.rows.append((rv.round_id, rv.index, rv.kind, rv.title, rv.prompt, rv.voting,
                            ranking.sampled, rv.shown, rv.said, rv.hidden,
                            totals.dots if rule == "dots" else None,
                            totals.scores if rule == "score" else None,
                            ranking.standing.value))

    themes = Table("themes", "Themes", "The themes the facilitator sorted contributions into.", [
        Column("theme_id", "integer", "The theme's number.", True),
        Column("round_id", "string", "Its round.", True),
        Column("name", "string", "Its name, as the facilitator typed it."),
    ], primary_key=("theme_id",), foreign_keys=[_fk(["round_id"], "rounds", ["round_id"])])
    for theme in sorted(store.themes(), key=lambda t: t.id):
        if not theme.removed:
            themes.rows.append((theme.id, theme.round_id, theme.name))

    contributions = Table(
        "contributions", "Contributions",
        "Every contribution that counts (hidden ones and those awaiting approval are left "
        "out), with its ranked figures. A merged duplicate has its own row, pointing at the "
        "contribution it was merged into, whose figures include it.", [
            Column("contribution_id", "integer", "The contribution's number.", True),
            Column("round_id", "string", "Its round.", True),
            Column("theme_id", "integer", "Its theme (empty: not sorted into one)."),
            Column("text", "string", "What the participant (or the facilitator, from a paper "
                   "card) wrote."),
            Column("group", "string", "The stakeholder group of its author, only where the "
                   "session may link it (at least the anonymity threshold of that group "
                   "present, and not pooled); empty otherwise."),
            Column("merged_into", "integer", "The contribution it was merged into, if any."),
            Column("rank", "integer", "Its rank by the room's votes (ties share a rank)."),
            Column("votes", "number", "Dots received, or the mean score."),
            Column("voters", "integer", "Devices that voted on it."),
            Column("seen", "integer", "Devices shown it on their ballot (sampled rounds)."),
            Column("times_said", "integer", "Itself and its merged duplicates."),
            Column("carried_rank", "integer", "Its rank in \"carried by every group\" (empty: "
                   "not ranked there)."),
            Column("differ_rank", "integer", "Its rank in \"where the groups differ\"."),
            Column("bold", "boolean", "Flagged as a bold idea."),
            Column("practical", "boolean", "Flagged as practical."),
            Column("answers", "string", "For ideas: the numbers of the bottlenecks it answers, "
                   "separated by spaces."),
        ], primary_key=("contribution_id",),
        foreign_keys=[_fk(["round_id"], "rounds", ["round_id"])])
    by_id = {c.id: c for c in store.contributions(visible_only=False)}
    for rv, appendix in zip(report.rounds, report.appendix, strict=True):
        ranking = store.view.ranking(rv.round_id)
        across = {kind: {item.contribution.id: rank for item, rank, _ in
                         ranking.across_all(kind)} for kind in ("carried", "differ")}
        for entry in appendix.items:
            c = by_id[entry.id]
            item = entry.view
            voted = item is not None and item.voting != "none"
            figure: float | None = None
            if voted:
                ranked = ranking.item(c.id)
                if ranked is not None:
                    figure = ranked.mean_score if rv.voting == "score" else ranked.votes
            contributions.rows.append((
                c.id, c.round_id, c.theme_id or None, c.text, _group_id(report, c.stakeholder),
                c.merged_into or None, int(entry.rank) if entry.rank else None,
                None if c.merged_into else figure,
                item.voters if item and voted else None,
                item.seen if item and item.sampled else None,
                item.count if item else None,
                across["carried"].get(c.id), across["differ"].get(c.id),
                bool(item and item.bold), bool(item and item.practical),
                " ".join(str(link) for link in c.links if link in by_id
                         and by_id[link].counted) or None))

    ballots = Table(
        "ballots", "Anonymous ballots",
        "One row per vote on a contribution that counts. A ballot is one device's votes in "
        "one round, numbered per round in an order that says nothing about who or when; the "
        "same person has unrelated numbers in other rounds. The voter's group is given only "
        "where the session names that group and at least the anonymity threshold of its people "
        "voted in the round; otherwise it reads \"pooled\".", [
            Column("round_id", "string", "The round.", True),
            Column("ballot", "integer", "The ballot's number within its round.", True),
            Column("group", "string", "The voter's stakeholder group, or \"pooled\".", True),
            Column("contribution_id", "integer", "What the vote is for.", True),
            Column("weight", "integer", "Dots given, or the score.", True),
        ], primary_key=("round_id", "ballot", "contribution_id"),
        foreign_keys=[_fk(["round_id"], "rounds", ["round_id"]),
                      _fk(["contribution_id"], "contributions", ["contribution_id"])])
    for spec in template.rounds:
        cast = [v for v in store.votes(spec.id)
                if v.contribution_id in by_id and by_id[v.contribution_id].counted]
        if not cast:
            continue
        numbers = ballot_numbers(spec.id, (v.device_id for v in cast))
        labels = ballot_groups(store, report, spec.id, cast)
        rows = [(spec.id, numbers[v.device_id], labels[v.device_id] or POOLED,
                 v.contribution_id, v.weight) for v in cast]
        ballots.rows += sorted(rows, key=lambda row: (row[1], row[3]))

    support = Table(
        "group_support", "Support per stakeholder group",
        "For each ranked item of a round that ranks across groups, each group's support: the "
        "share of its people who saw the item and supported it (a dot, or a score above the "
        "middle of the scale), smoothed as (supporters + 1) / (seen + 2). Groups that may not "
        "be named are one row, \"pooled\". Where fewer than the anonymity threshold of a group "
        "saw an item (sampled rounds), its figures are empty. docs/voting.md has the rule.", [
            Column("round_id", "string", "The round.", True),
            Column("contribution_id", "integer", "The ranked item.", True),
            Column("group", "string", "A stakeholder group's id, or \"pooled\".", True),
            Column("seen", "integer", "Its people who saw the item (a round that showed every "
                   "item: its people present; empty when fewer than the threshold saw it)."),
            Column("supporters", "integer", "Of those, who supported it (empty when too few "
                   "saw it)."),
            Column("support", "number", "The smoothed share."),
            Column("low", "number", "The lower end of its interval (sampled rounds)."),
            Column("high", "number", "The upper end."),
        ], primary_key=("round_id", "contribution_id", "group"),
        foreign_keys=[_fk(["contribution_id"], "contributions", ["contribution_id"])])
    for spec in template.rounds:
        ranking = store.view.ranking(spec.id)
        if ranking.standing is not Standing.RANKED:
            continue
        for ranked_item in ranking:
            cid = ranked_item.contribution.id
            for row in ranking.group_support(cid):
                shown = row.share is not None
                support.rows.append((spec.id, cid, POOLED if row.group == POOL else row.group,
                                     row.seen if shown else None,
                                     row.supporters if shown else None, row.share,
                                     row.low, row.high))

    groups = Table(
        "groups", "Who was at the table",
        "One row per stakeholder group (and \"prefer not to say\"): people present, against "
        "the people invited where the facilitator said, and their share of the contributions, "
        "the votes their contributions won and the votes they gave. A pooled group's "
        "contributions, votes and shares are empty: with the others' figures they would show "
        "who said or voted what. Presence is exact for every group.", [
            Column("group", "string", "The group's id in the template (\"\" prefer not to "
                   "say is written as prefer_not_to_say).", True),
            Column("name", "string", "The group's name."),
            Column("expected", "boolean", "Whether the template expects it at the table."),
            Column("missing", "boolean", "Expected, and nobody present."),
            Column("invited", "integer", "People invited, as the facilitator said."),
            Column("present", "integer", "People present (devices that joined saying it).",
                   True),
            Column("presence_share", "number", "Share of the people present."),
            Column("contributions", "integer", "Contributions that count."),
            Column("voice_share", "number", "Share of the contributions."),
            Column("votes_won", "integer", "Votes its contributions won (a dot is one vote, a "
                   "score is one)."),
            Column("votes_share", "number", "Share of the votes won."),
            Column("votes_given", "integer", "Votes its people gave, by the same rule."),
            Column("votes_given_share", "number", "Share of the votes given."),
            Column("pooled", "boolean", "Counted with the other small groups: figures "
                   "withheld.", True),
        ], primary_key=("group",))
    for g in report.groups:
        groups.rows.append(_group_row(g))

    actions = Table("actions", "Actions", "What was agreed, by whom, by when.", [
        Column("action_id", "integer", "The action's number.", True),
        Column("text", "string", "The action."),
        Column("owner", "string", "Who takes it on."),
        Column("due", "date", "By when."),
        Column("contribution_id", "integer", "The idea or tip it came from."),
        Column("round_id", "string", "Its round."),
    ], primary_key=("action_id",))
    for action in sorted(store.actions(), key=lambda a: a.id):
        actions.rows.append((action.id, action.text, action.owner, _date(action.due),
                             action.contribution_id if action.contribution_id in by_id
                             and by_id[action.contribution_id].counted else None,
                             action.round_id or None))

    lines = Table("chair_lines", "The day chair's lines",
                  "The lines the day chair closed the day with, each addressed to stakeholder "
                  "groups.", [
                      Column("line_id", "integer", "The line's number.", True),
                      Column("round_id", "string", "Its round.", True),
                      Column("addressed_to", "string", "The groups it is for (ids, separated "
                             "by spaces)."),
                      Column("text", "string", "The line."),
                  ], primary_key=("line_id",),
                  foreign_keys=[_fk(["round_id"], "rounds", ["round_id"])])
    for spec in template.rounds:
        for note in sorted(store.lines(spec.id), key=lambda n: n.id):
            lines.rows.append((note.id, spec.id, " ".join(note.addressed_to), note.text))

    audit = Table("audit", "The audit's figures",
                  "The room as a whole: how many took part, how equal their contributions "
                  "were, and how the expected groups were represented; then each finding.", [
                      Column("measure", "string", "What is measured (see the description of "
                             "the package).", True),
                      Column("group", "string", "The group a finding is about (empty: the "
                             "room)."),
                      Column("value", "number", "The figure (a finding: 1)."),
                  ])
    audit.rows += _audit_rows(report)
    return [rounds, themes, contributions, ballots, support, groups, actions, lines, audit]


def _group_id(report: Report, group_id: str) -> str | None:
    return group_id if group_id in report.disclosure.named else None


def _group_row(g: GroupRow) -> tuple[Any, ...]:
    withheld = g.pooled or g.contributions in ("", "–")
    return (g.group_id or "prefer_not_to_say", g.name, g.expected, g.missing, g.invited,
            g.present, g.presence_share, None if withheld else int(g.contributions),
            g.voice_share, None if withheld else int(g.votes_won), g.votes_share,
            None if withheld or not g.votes_cast else int(g.votes_cast), g.cast_share,
            g.pooled)


def _date(value: str) -> str | None:
    try:
        return dt.date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        return None


def _audit_rows(report: Report) -> list[tuple[Any, ...]]:
    audit = report.audit
    rows: list[tuple[Any, ...]] = [
        ("participants", None, audit.participants),
        ("contributions", None, audit.contributions),
        ("dots", None, audit.votes.dots),
        ("scores", None, audit.votes.scores),
        ("participants_who_sent_nothing", None, audit.spread.get(0, 0)),
        ("gini_of_contributions", None, audit.gini),
        ("representation", None, audit.representation),
        ("representation_against_invited", None, audit.invited_representation),
    ]
    withheld = report.disclosure.pooled
    for flag, group in audit.flags:
        if flag.value == "dominant" and group in withheld:
            continue  # says a pooled group's share is above one half: withheld with its share
        rows.append((f"finding:{flag.value}", group or None, 1))
    return rows


AUDIT_NOTE = (
    "audit.csv measures: participants (devices that joined), contributions (that count), dots "
    "and scores (placed on contributions that count), participants_who_sent_nothing, "
    "gini_of_contributions (0: everyone sent as many, 1: one person sent them all; those who "
    "sent nothing count as zeros), representation (the smallest expected group's people "
    "against the largest's), representation_against_invited (the lowest turnout against the "
    "highest, over the groups with a number invited), and finding:absent, "
    "finding:absent_required, finding:dominant, finding:no_lived_experience.")


def event_tables(event: EventReport, stores: Sequence[SessionStore]) -> list[Table]:
    """The tables of an event's package: each room's tables with a ``room`` column in front,
    and ``rooms``. A room's rows are what that room's own package says (so the event withholds
    what each room withholds); the event adds no total that could be subtracted."""
    room_tables = [session_tables(store, room.report)
                   for store, room in zip(stores, event.rooms, strict=True)]
    rooms = Table("rooms", "Rooms", "The event's rooms: one session each.", [
        Column("room", "integer", "The room's number in the event.", True),
        Column("title", "string", "The session's title."),
        Column("place", "string", "Where it was held."),
        Column("date", "date", "The day it was held."),
        Column("session", "string", "The session's id.", True),
    ], primary_key=("room",))
    for room in event.rooms:
        rooms.rows.append((room.number, room.title, room.place or None,
                           room.report.day.isoformat(), room.session_id))
    merged = [rooms]
    room_column = Column("room", "integer", "The room (rooms.csv).", True)
    for index, first in enumerate(room_tables[0]):
        table = Table(first.name, first.title, first.description + " Per room of the event.",
                      [room_column, *first.columns],
                      primary_key=("room", *first.primary_key) if first.primary_key else (),
                      foreign_keys=[_fk(["room", *fk["fields"]], fk["reference"]["resource"],
                                        ["room", *fk["reference"]["fields"]])
                                    for fk in first.foreign_keys]
                      + [_fk(["room"], "rooms", ["room"])])
        for room, tables in zip(event.rooms, room_tables, strict=True):
            table.rows += [(room.number, *row) for row in tables[index].rows]
        merged.append(table)
    return merged


def write_package(out_dir: Path, tables: Sequence[Table], *, name: str, title: str,
                  description: str, licence: str = DEFAULT_LICENCE,
                  created: dt.datetime | None = None) -> Path:
    """Write ``tables`` as CSV files and ``datapackage.json`` into ``out_dir`` (made if need
    be); return the path of ``datapackage.json``. Each file is written whole or not at all."""
    licence_title, licence_path = LICENCES[licence]
    out_dir.mkdir(parents=True, exist_ok=True)
    for table in tables:
        write_atomic(out_dir / f"{table.name}.csv", table.csv().encode("utf-8"))
    package = {
        "profile": "tabular-data-package",
        "name": name,
        "title": title,
        "description": description + " " + AUDIT_NOTE,
        "licenses": [{"name": licence, "title": licence_title, "path": licence_path}],
        "created": (created or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        "keywords": ["co-creation", "workshop", "participation", "stakeholder groups"],
        "resources": [table.resource() for table in tables],
    }
    path = out_dir / "datapackage.json"
    write_atomic(path, json.dumps(package, ensure_ascii=False, indent=2).encode("utf-8") + b"\n")
    return path


def package_name(text: str) -> str:
    """A package name as the spec wants it: lower case, digits, ``-``, ``_`` and ``.``."""
    from facilitator.report.write import file_stem

    return file_stem(text)


def write_session_package(store: SessionStore, out_dir: Path, *,
                          licence: str = DEFAULT_LICENCE, lang: str | None = None) -> Path:
    """One session's package (see the module docstring)."""
    from facilitator.report.model import build_report

    report = build_report(store, lang=lang)
    description = (f"A co-creation session run with facilitator: {report.template_title}, "
                   f"{report.date}{', ' + report.place if report.place else ''}. "
                   "Anonymous: no device, name or key of the room is in it, and every figure "
                   "the session's report withholds for anonymity is left out here too.")
    return write_package(out_dir, session_tables(store, report),
                         name=package_name(store.info.session_id), title=report.title,
                         description=description, licence=licence)


def write_event_package(event: EventReport, stores: Sequence[SessionStore], out_dir: Path, *,
                        licence: str = DEFAULT_LICENCE) -> Path:
    """An event's package: every room's tables, and the rooms."""
    description = (f"An event of {len(event.rooms)} rooms, each a co-creation session run "
                   "with facilitator. Anonymous: no device, name or key of a room is in it, "
                   "and every figure a room's report withholds for anonymity is left out "
                   "here too.")
    return write_package(out_dir, event_tables(event, stores), name=package_name(event.title),
                         title=event.title, description=description, licence=licence)
