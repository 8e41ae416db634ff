"""Participant text on arrival: normalised, stripped of invisible tricks, checked for length."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

MAX_CONTRIBUTION_CHARS = 500
MAX_NAME_CHARS = 60

# C0/C1 controls except tab and newline; bidi marks, embeddings, overrides and isolates; the
# zero-width space and the byte-order mark. The zero-width (non-)joiners U+200C/U+200D are kept:
# Farsi spelling needs the ZWNJ (می‌خواهم), and emoji sequences need the ZWJ.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u200e\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]"
)
_SPACES = re.compile(r"[ \t]+")
_BLANK_LINES = re.compile(r"\n{3,}")


class TextProblem(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"


def clean_text(raw: str, *, multiline: bool = True) -> str:
    """NFC-normalise, drop control/bidi/zero-width characters, tidy white space."""
    text = unicodedata.normalize("NFC", raw.replace("\r\n", "\n").replace("\r", "\n"))
    text = _INVISIBLE.sub("", text)
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
