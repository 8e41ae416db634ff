"""Who may join: the codes only the room has, and the signs that someone is stuffing devices.

A new device joins with a code it found in the room:

- **the room's code**, in the QR code on the projector (the wall) and in the facilitator's
  screen. It changes every :data:`ROTATE_S` seconds; the one before it still admits for
  :data:`GRACE_S` seconds after the change, so a phone that scanned just before has time to
  press Start. A code is therefore good for at most ``ROTATE_S + GRACE_S`` seconds.
- **a table card's code**, printed on the card with a link that picks the table. It lasts until
  the facilitator revokes the card; the card is then issued again, with a new code, and the old
  one admits nobody.

A device that has joined keeps its cookie and needs no code again. Codes are derived from the
session's secret (an HMAC of the period or of the card and its issue), so nothing is stored but
how often each card was issued, a restart changes nothing, and a code cannot be worked out from
anything a phone is given. What this does not stop is in ``docs/security.md``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from facilitator.core.model import SessionInfo
from facilitator.core.text import MAX_TITLE_CHARS, clean_text

ROTATE_S = 180.0
"""How long the room's code is shown before the next one replaces it."""
GRACE_S = 120.0
"""How long the room's previous code still admits after it was replaced."""
CODE_LENGTH = 10
"""Characters of base32 (50 bits): guessing one is hopeless even without any rate limit."""
MAX_CODE_CHARS = 64
"""A posted code longer than this is not looked at."""
ROOM = "room"
"""How a device joined (:attr:`Participant.joined_with`): with the room's code..."""
CARD = "card:"
"""...or with the card of a table: ``"card:A"`` (``"card:"`` when the session has no tables)."""

MAX_TABLES = 500
"""A session has at most this many tables (a hall of 2,000 at four a table)."""

BURST_DEVICES = 10
"""This many new devices within :data:`BURST_WINDOW_S` is a burst the facilitator hears of."""
BURST_WINDOW_S = 10.0


@dataclass(frozen=True, slots=True)
class JoinCode:
    """The join code a phone came with (as posted, maybe empty), and when it used it."""

    code: str
    at: float


def _code(secret: str, message: str) -> str:
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:CODE_LENGTH]


def period(at: float) -> int:
    """The number of the room code's period at time ``at``."""
    return math.floor(at / ROTATE_S)


def room_code(secret: str, at: float) -> str:
    """The room's code at time ``at`` (what the QR code on the projector carries)."""
    return _code(secret, f"room:{period(at)}")


def next_change(at: float) -> float:
    """When the room's code shown at ``at`` is replaced."""
    return (period(at) + 1) * ROTATE_S


def card_tables(info: SessionInfo) -> tuple[str, ...]:
    """The tables that get a card: the session's, else one card for the whole room ("")."""
    return info.tables or ("",)


class TablesProblem(StrEnum):
    """Why a list of tables cannot be the session's (each face says it in its own words)."""

    TOO_MANY = "too_many"
    TWICE = "twice"
    TOO_LONG = "too_long"


class TablesRefused(ValueError):
    def __init__(self, problem: TablesProblem, name: str = "") -> None:
        super().__init__(f"{problem.value}: {name}" if name else problem.value)
        self.problem = problem
        self.name = name


def table_names(typed: str) -> tuple[str, ...]:
    """The tables a facilitator typed: a number (``"5"``: tables 1 to 5; ``"0"`` or nothing:
    no tables, one card for the room) or names separated by commas (``"Noord, Zuid"``).
    :class:`TablesRefused` when they cannot be a session's tables."""
    text = typed.strip()
    if text.isascii() and text.isdigit():
        count = int(text)
        if count > MAX_TABLES:
            raise TablesRefused(TablesProblem.TOO_MANY)
        return tuple(str(n) for n in range(1, count + 1))
    return checked_tables(part for part in text.split(","))


def checked_tables(names: Iterable[str]) -> tuple[str, ...]:
    """Table names cleaned as typed text is, empty ones left out; :class:`TablesRefused` for
    too many, a name too long or a name given twice."""
    tables: list[str] = []
    for raw in names:
        name = clean_text(raw, multiline=False)
        if not name:
            continue
        if len(name) > MAX_TITLE_CHARS:
            raise TablesRefused(TablesProblem.TOO_LONG, name[:40] + "…")
        if name in tables:
            raise TablesRefused(TablesProblem.TWICE, name)
        tables.append(name)
    if len(tables) > MAX_TABLES:
        raise TablesRefused(TablesProblem.TOO_MANY)
    return tuple(tables)


def card_issue(info: SessionInfo, table: str) -> int:
    """How often the card of ``table`` was revoked (0: the first card is still good)."""
    return info.card_issue.get(table, 0)


def card_code(info: SessionInfo, table: str) -> str:
    """The code printed on the card of ``table`` as it is issued now."""
    return _code(info.secret, f"card:{card_issue(info, table)}:{table}")


def joined_with_card(table: str) -> str:
    return CARD + table


def admission(info: SessionInfo, code: str, at: float) -> str | None:
    """How a new device with ``code`` may join at time ``at``: :data:`ROOM`, a card
    (:func:`joined_with_card`), or None when the code admits nobody (missing, expired, from a
    revoked card, or made up). Costs a few HMACs per table, whatever the size of the session."""
    if not code or len(code) > MAX_CODE_CHARS:
        return None
    sent = code.strip().lower().encode("utf-8", "replace")
    now = period(at)
    periods = [now, now - 1] if at - now * ROTATE_S < GRACE_S else [now]
    for number in periods:
        if hmac.compare_digest(sent, _code(info.secret, f"room:{number}").encode()):
            return ROOM
    for table in card_tables(info):
        if hmac.compare_digest(sent, card_code(info, table).encode()):
            return joined_with_card(table)
    return None


def wall_token(secret: str) -> str:
    """The projector wall's part of its address. The wall shows the room's code, so it cannot
    live under the join token every phone has: a phone could read the code from anywhere."""
    return hmac.new(secret.encode(), b"wall", hashlib.sha256).hexdigest()[:32]


def moderation_token(secret: str) -> str:
    """The facilitator's moderation page's part of its address (``/m/<token>``): a secret of its
    own, not the wall's or the join link's, and only ever answered on the laptop itself."""
    return hmac.new(secret.encode(), b"moderation", hashlib.sha256).hexdigest()[:32]


def devices_over(devices: int, people: int) -> int:
    """How many more devices have joined than the facilitator says people are in the room (0
    when not more, or when the facilitator has not said)."""
    return devices - people if people > 0 and devices > people else 0


@dataclass(frozen=True, slots=True)
class Burst:
    """Many new devices at once: how many, and which codes they came with (most used first)."""

    devices: int
    codes: tuple[tuple[str, int], ...]


class BurstWatch:
    """New devices as they arrive, and whether the last :data:`BURST_WINDOW_S` seconds hold a
    burst. Holds only the arrivals of that window."""

    def __init__(self, devices: int = BURST_DEVICES, window_s: float = BURST_WINDOW_S) -> None:
        self.devices = devices
        self.window_s = window_s
        self._recent: deque[tuple[float, str]] = deque()

    def joined(self, at: float, joined_with: str) -> None:
        self._recent.append((at, joined_with))

    def burst(self, now: float) -> Burst | None:
        """The burst in the window ending at ``now``, or None."""
        while self._recent and now - self._recent[0][0] > self.window_s:
            self._recent.popleft()
        if len(self._recent) < self.devices:
            return None
        codes = Counter(joined_with for _at, joined_with in self._recent)
        return Burst(len(self._recent), tuple(codes.most_common()))
