"""How a round's time is written: the same on the facilitator's screen and on the phones.

``h:mm:ss`` from an hour up (``1:12:07``), ``mm:ss`` below it (``05:07``), with a minus sign
once the time is up (the TUI shows how far over; the phones stop at ``00:00``). A part second
counts as a whole one, so the clock reads ``00:00`` only when the time is really up.
``facilitator/web/static/app.js`` writes the phone's ticking clock by the same rule.
"""

from __future__ import annotations


def format_clock(seconds: float) -> str:
    sign = "-" if seconds < 0 else ""
    whole = int(abs(seconds) + (0.999 if seconds > 0 else 0))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02}:{secs:02}" if hours else f"{sign}{minutes:02}:{secs:02}"
