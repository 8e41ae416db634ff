"""Participant text on arrival: normalised, stripped of invisible tricks, checked for length."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

MAX_CONTRIBUTION_CHARS = 500
"""A contribution, a note, an action, a theme name."""
MAX_NAME_CHARS = 60
"""A participant's name."""
MAX_TITLE_CHARS = 200
"""A session's title and place, an action's owner; a template's titles and names."""
MAX_TEMPLATE_TEXT_CHARS = 2000
"""A template's description and round prompts."""

# C0/C1 controls except tab and newline; bidi marks, embeddings, overrides and isolates; the
# zero-width space and the byte-order mark. The zero-width (non-)joiners U+200C/U+200D are kept:
# Farsi spelling needs the ZWNJ (می‌خواهم), and emoji sequences need the ZWJ.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u200e\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]"
)
_SPACES = re.compile(r"[ \t]+")
_BLANK_LINES = re.compile(r"\n{3,}")
# What clean_text would remove or change: every control character (tab and carriage return too)
# and invisible character; white space next to a line break.
_UNTIDY_CHARACTER = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b\u200e\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]"
)
_SPACE_BY_LINE_BREAK = re.compile(r"[^\S\n]\n|\n[^\S\n]")


class TextProblem(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"


def clean_text(raw: str, *, multiline: bool = True) -> str:
    """NFC-normalise, drop control/bidi/zero-width characters, tidy white space.

    The one cleaning of text wherever it enters: from a phone, a dialog, the command line, a
    template, an imported session or a session file. Text that is clean already (most of it, when
    a session file is opened) is returned as it is, at the cost of one regular expression search.
    """
    return raw if _is_clean(raw, multiline=multiline) else _tidy(raw, multiline=multiline)


def _is_clean(text: str, *, multiline: bool) -> bool:
    """Whether :func:`_tidy` would return ``text`` as it is (a fast test, for text that mostly
    is: every string of a session file is cleaned again when the file is opened)."""
    if _UNTIDY_CHARACTER.search(text) or "  " in text:
        return False
    if text and (text[0].isspace() or text[-1].isspace()):
        return False
    if "\n" in text and (
        not multiline or "\n\n\n" in text or _SPACE_BY_LINE_BREAK.search(text)
    ):
        return False
    return unicodedata.is_normalized("NFC", text)


def _tidy(raw: str, *, multiline: bool) -> str:
    text = _INVISIBLE.sub("", raw.replace("\r\n", "\n").replace("\r", "\n"))
    text = unicodedata.normalize("NFC", text)  # after the removal, which could undo it
    if not multiline:
        text = text.replace("\n", " ")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def check_text(text: str, limit: int = MAX_CONTRIBUTION_CHARS) -> TextProblem | None:
    """Why cleaned text cannot be stored, or None when it can."""
    if not text:
        return TextProblem.EMPTY
    if len(text) > limit:
        return TextProblem.TOO_LONG
    return None
