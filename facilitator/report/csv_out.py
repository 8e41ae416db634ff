"""The report's contributions and votes as CSV, one row each, for spreadsheets.

CSV is data: numbers have a dot decimal whatever the report's language, and a ``vote_rule``
column says what a round's votes are (``dots``: dots given; ``score``: a score, and a
contribution's ``votes`` is then its mean score).

Cells that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return) get a leading apostrophe, so a participant cannot plant one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import TYPE_CHECKING

from facilitator.report.model import Report

if TYPE_CHECKING:
    from facilitator.report.event_report import EventReport

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

CONTRIBUTION_COLUMNS = ("round", "round_title", "id", "rank", "theme", "group", "text", "votes",
                        "vote_rule", "voters", "times_said", "flags", "answers", "status", "author",
                        "carried_rank", "differ_rank")
VOTE_COLUMNS = ("round", "round_title", "contribution_id", "theme", "group", "voter_group",
                "vote_rule", "weight")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _write(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()


def contributions_csv(report: Report) -> str:
    """Every shown contribution (hidden ones are left out), with its ranked figures.

    A merged duplicate gets its own row, with status ``merged into #N`` and no votes: its votes
    count towards the contribution it was merged into.
    """
    return _write(CONTRIBUTION_COLUMNS, contribution_rows(report))


def contribution_rows(report: Report) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for rv, ap in zip(report.rounds, report.appendix, strict=True):
        for entry in ap.items:
            item = entry.view
            flags = []
            if item is not None and item.bold:
                flags.append("bold")
            if item is not None and item.practical:
                flags.append("practical")
            rows.append((
                rv.round_id, rv.title, entry.id, entry.rank, entry.theme, entry.group, entry.text,
                entry.votes_figure, "" if rv.voting == "none" else rv.voting,
                item.voters if item else "", item.count if item else "",
                " ".join(flags), " | ".join(item.links) if item else "", entry.status,
                entry.author, entry.carried_rank, entry.differ_rank,
            ))
    return rows


def votes_csv(report: Report) -> str:
    """One row per vote (device ids are never written; groups only when linkable)."""
    return _write(VOTE_COLUMNS, vote_rows(report))


def vote_rows(report: Report) -> list[tuple[object, ...]]:
    return [(v.round_id, v.round_title, v.contribution_id, v.theme, v.group, v.voter_group,
             v.rule, v.weight) for v in report.vote_rows]


# -- the event report: the rooms' rows, each under its room ------------------------------------

ROOM_COLUMNS = ("room", "room_title", "session")
GROUP_COLUMNS = ("scope", "scope_title", "group", "expected", "missing", "present",
                 "presence_share", "contributions", "voice_share", "voice_ratio", "votes_won",
                 "votes_share", "withheld")


def event_contributions_csv(event: EventReport) -> str:
    """Every room's contributions, as its own report's CSV has them, under the room."""
    return _write((*ROOM_COLUMNS, *CONTRIBUTION_COLUMNS), (
        (room.number, room.title, room.session_id, *row)
        for room in event.rooms for row in contribution_rows(room.report)))


def event_votes_csv(event: EventReport) -> str:
    return _write((*ROOM_COLUMNS, *VOTE_COLUMNS), (
        (room.number, room.title, room.session_id, *row)
        for room in event.rooms for row in vote_rows(room.report)))


def event_groups_csv(event: EventReport) -> str:
    """"Who is at the table": the whole event (scope "event"), then each room (its number), with
    what each withholds left empty."""
    def share(value: float | None) -> str:
        return "" if value is None else f"{value:.4f}"

    rows = []
    scopes = [("event", event.title, event.groups)]
    scopes += [(str(room.number), room.title, room.report.groups) for room in event.rooms]
    for scope, title, groups in scopes:
        for g in groups:
            withheld = g.pooled
            rows.append((scope, title, g.name, int(g.expected), int(g.missing), g.present,
                         share(g.presence_share), "" if withheld else g.contributions,
                         share(g.voice_share), share(g.voice_ratio),
                         "" if withheld else g.votes_won, share(g.votes_share), int(withheld)))
    return _write(GROUP_COLUMNS, rows)
