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


# -- right-to-left text -------------------------------------------------------------------------

_RTL_CANDIDATE = re.compile(
    "[\u0590-\u08ff\u200f\u202b\u202e\u2067\ufb1d-\ufdff\ufe70-\ufefe"
    "\U00010800-\U00010fff\U0001e800-\U0001efff]"
)
"""Every character whose bidi class is R or AL is in these blocks (a test checks all of Unicode);
a quick scan that spares the per-character look-up for the many texts without any."""
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff"
                            "\ufe70-\ufefe]")
_FARSI_LETTERS = re.compile("[\u067e\u0686\u0698\u06a9\u06af\u06cc]")
"""پ چ ژ ک گ ی: letters Farsi writes and Arabic does not (Arabic has ك and ي instead)."""
_HEBREW_SCRIPT = re.compile("[\u0590-\u05ff\ufb1d-\ufb4f]")


def text_direction(text: str) -> str:
    """The direction a browser's ``dir="auto"`` would give ``text``: "rtl" when its first strong
    character is right-to-left, "ltr" when it starts left-to-right but holds right-to-left
    characters, "" when it has none (nothing to mark: the page is left-to-right)."""
    if _RTL_CANDIDATE.search(text) is None:
        return ""
    bidi = unicodedata.bidirectional
    for char in text:
        kind = bidi(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr" if any(bidi(c) in ("R", "AL") for c in text) else ""
    return ""


def right_to_left(text: str) -> bool:
    """Whether ``text`` holds right-to-left letters (Arabic, Farsi, Hebrew...): a terminal
    without bidi support (Windows Terminal, xterm.js) draws them unjoined and in the wrong
    order."""
    return text_direction(text) != ""


def script_language(text: str, hint: str = "") -> str:
    """The language to mark right-to-left ``text`` with (its HTML ``lang``): ``hint`` (the
    writer's language, when known) if it is written in that script, else what the letters say:
    "fa" for Arabic script with letters only Farsi uses, "ar" for other Arabic script, "he" for
    Hebrew; "" for text without right-to-left letters, or in a script not told apart here."""
    if not right_to_left(text):
        return ""
    if _ARABIC_SCRIPT.search(text):
        if hint in ("ar", "fa", "ur", "ps", "ckb"):
            return hint
        return "fa" if _FARSI_LETTERS.search(text) else "ar"
    if _HEBREW_SCRIPT.search(text):
        return "he"
    return ""
