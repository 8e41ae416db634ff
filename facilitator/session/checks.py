"""What the participants' and the facilitator's rules both check: text and dates as typed, a
contribution that exists, a round that takes input."""

from __future__ import annotations

import datetime as dt

from facilitator.core.errors import Reason, Refused
from facilitator.core.model import Contribution
from facilitator.core.text import MAX_CONTRIBUTION_CHARS, TextProblem, check_text, clean_text
from facilitator.session.state import SessionState


def checked_text(text: str, *, multiline: bool = True, limit: int = MAX_CONTRIBUTION_CHARS,
                 empty: bool = False) -> str:
    """Text as typed, cleaned; :class:`Refused` when it is too long, or empty (unless
    ``empty`` may be)."""
    clean = clean_text(text, multiline=multiline)
    problem = check_text(clean, limit)
    if problem is TextProblem.EMPTY and not empty:
        raise Refused(Reason.EMPTY)
    if problem is TextProblem.TOO_LONG:
        raise Refused(Reason.TOO_LONG)
    return clean


def checked_date(day: str) -> str:
    """An ISO date (YYYY-MM-DD) or ""; :class:`Refused` for anything else."""
    day = day.strip()
    if day:
        try:
            if dt.date.fromisoformat(day).isoformat() != day:
                raise ValueError(day)
        except ValueError:
            raise Refused(Reason.NOT_A_DATE, f"{day!r} (YYYY-MM-DD)") from None
    return day


def existing(session: SessionState, contribution_id: int) -> Contribution:
    """The contribution, or :class:`Refused` (``NOT_FOUND``)."""
    item = session.contribution(contribution_id)
    if item is None:
        raise Refused(Reason.NOT_FOUND, f"contribution {contribution_id}")
    return item


def accepts_submissions(session: SessionState, round_id: str) -> bool:
    """Whether phones may send to the round now."""
    spec = session.template.round(round_id)
    return spec.participants_submit and session.round_state(round_id).submissions_open
