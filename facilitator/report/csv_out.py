"""The report's contributions and votes as CSV, one row each, for spreadsheets.

Cells that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return) get a leading apostrophe, so a participant cannot plant one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from facilitator.report.model import Report

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

CONTRIBUTION_COLUMNS = ("round", "round_title", "id", "rank", "theme", "group", "text", "votes",
                        "voters", "times_said", "flags", "answers", "status", "author")
VOTE_COLUMNS = ("round", "round_title", "contribution_id", "theme", "group", "voter_group",
                "weight")


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
    rows = []
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
                entry.votes, item.voters if item else "", item.count if item else "",
                " ".join(flags), " | ".join(item.links) if item else "", entry.status,
                entry.author,
            ))
    return _write(CONTRIBUTION_COLUMNS, rows)


def votes_csv(report: Report) -> str:
    """One row per vote (device ids are never written; groups only when linkable)."""
    return _write(VOTE_COLUMNS, (
        (v.round_id, v.round_title, v.contribution_id, v.theme, v.group, v.voter_group, v.weight)
        for v in report.vote_rows
    ))
