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


def parse_clock(typed: str) -> float | None:
    """A time as a facilitator types it, in seconds: minutes (``5``, ``2.5``, ``2,5``), or
    written as the clock writes it (``02:30``, ``1:12:07``). None when it is not one."""
    text = typed.strip().replace(",", ".")
    parts = text.split(":")
    if not text or len(parts) > 3:
        return None
    if len(parts) == 1:
        try:
            minutes = float(text)
        except ValueError:
            return None
        return minutes * 60 if 0 <= minutes < float("inf") else None
    if not all(part.isascii() and part.isdigit() for part in parts):
        return None
    *bigger, secs = (int(part) for part in parts)
    if secs >= 60 or (len(bigger) == 2 and bigger[1] >= 60):
        return None
    hours, minutes = bigger if len(bigger) == 2 else (0, bigger[0])
    return float(hours * 3600 + minutes * 60 + secs)
