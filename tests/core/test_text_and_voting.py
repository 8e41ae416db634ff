"""Participant text on arrival, and the ballot rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

import facilitator.core.text as text_module
from facilitator.core.errors import Reason
from facilitator.core.templates import VotingRule
from facilitator.core.text import (
    MAX_CONTRIBUTION_CHARS,
    MAX_NAME_CHARS,
    TextProblem,
    check_text,
    clean_text,
    right_to_left,
    script_language,
    text_direction,
)
from facilitator.core.voting import check_ballot

ARABIC = "لا نعرف من هو المسؤول في البلدية"
FARSI = "ما نمی‌دانیم چه کسی در شهرداری مسئول است"
DUTCH = "Er is één loket nodig."

# -- clean_text --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\x00b\x07c\x1fd\x7fe\x85f\x9fg", "abcdefg"),  # C0, DEL and C1 controls
        ("evil\u202etxt.exe", "eviltxt.exe"),  # right-to-left override
        ("x\u202ay\u202bz\u202c\u202d", "xyz"),  # embeddings and pop
        ("a\u2066b\u2067c\u2068d\u2069", "abcd"),  # isolates
        ("zero\u200bwidth\ufeff\u2060", "zerowidth"),  # zero-width space, BOM, word joiner
        ("\u200e\u200fmark", "mark"),  # LRM / RLM
        ("\x1b[31mred\x1b[0m", "[31mred[0m"),  # ESC goes, so no terminal sequence survives
        ("\x1b]0;title\x07x", "]0;titlex"),  # OSC title sequence: ESC and BEL removed
    ],
)
def test_clean_text_strips_invisible_and_control_characters(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    "text",
    [
        "التعاون بين البلدية والمنظمات",  # Arabic
        "همکاری بین شهرداری و سازمان‌ها",  # Farsi with ZWNJ (U+200C)
        "Співпраця між муніципалітетом і громадою",  # Ukrainian
        "Samenwerking met de gemeente: één knelpunt",
    ],
)
def test_clean_text_keeps_scripts(text: str) -> None:
    assert clean_text(text) == text


def test_clean_text_keeps_the_joiners_farsi_and_emoji_need() -> None:
    # Persian spelling puts a zero-width non-joiner inside words ("I want", "organisations");
    # dropping it changes how the word is written. Emoji sequences are held together by ZWJ.
    for word in ("می\u200cخواهم", "سازمان\u200cها", "👩\u200d👩\u200d👧"):
        assert clean_text(word) == word


def test_clean_text_keeps_newlines_and_tidies_space() -> None:
    assert clean_text("  line one \r\nline\ttwo\r\rthree\n\n\n\nfour  ") == (
        "line one\nline two\n\nthree\n\nfour"
    )
    assert clean_text("a\nb", multiline=False) == "a b"
    assert clean_text("tab\tkept\tas space") == "tab kept as space"


def test_clean_text_normalises_to_nfc() -> None:
    assert clean_text("e\u0301e\u0301n") == "één"


TRICKY = st.text(
    alphabet=st.sampled_from(
        list("ab é\n\t\r\x1b\x00\x85\u0301\u200b\u200c\u202e\u00a0\u3000\u2028\ufeff")
    ),
    max_size=24,
)


@given(TRICKY, st.booleans())
def test_clean_text_is_idempotent_and_its_shortcut_agrees(raw: str, multiline: bool) -> None:
    """Cleaned text comes back unchanged (by the shortcut that skips clean text), so cleaning a
    session file on every open never changes what was stored, and never misses anything."""
    once = clean_text(raw, multiline=multiline)
    assert once == text_module._tidy(raw, multiline=multiline)
    assert clean_text(once, multiline=multiline) == once
    assert text_module._tidy(once, multiline=multiline) == once
    assert not any(c in once for c in "\x1b\x00\x85\u200b\u202e\ufeff\t\r")
    if not multiline:
        assert "\n" not in once


def test_only_invisible_input_is_empty() -> None:
    cleaned = clean_text("\u200b\u202e\x00 \n\t ")
    assert cleaned == ""
    assert check_text(cleaned) is TextProblem.EMPTY


def test_limits() -> None:
    assert check_text("x" * MAX_CONTRIBUTION_CHARS) is None
    assert check_text("x" * (MAX_CONTRIBUTION_CHARS + 1)) is TextProblem.TOO_LONG
    assert check_text("x" * MAX_NAME_CHARS, MAX_NAME_CHARS) is None
    assert check_text("x" * (MAX_NAME_CHARS + 1), MAX_NAME_CHARS) is TextProblem.TOO_LONG
    assert check_text("") is TextProblem.EMPTY


_DANGEROUS = set(range(0x00, 0x09)) | set(range(0x0B, 0x20)) | set(range(0x7F, 0xA0)) | {
    0x200B, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E,
    0x2066, 0x2067, 0x2068, 0x2069, 0xFEFF,
}


@given(st.text(max_size=200))
def test_clean_text_never_leaves_controls_or_bidi(raw: str) -> None:
    cleaned = clean_text(raw)
    assert not any(ord(ch) in _DANGEROUS for ch in cleaned)
    assert "\r" not in cleaned
    assert cleaned == cleaned.strip()
    assert clean_text(cleaned) == cleaned  # idempotent


# -- check_ballot ------------------------------------------------------------------------------

DOTS = VotingRule(rule="dots", dots=5, per_item_cap=2)
SCORE = VotingRule(rule="score", scale_min=1, scale_max=5, own_items=False)
VOTABLE = {1, 2, 3, 4}


@pytest.mark.parametrize(
    ("ballot", "problem"),
    [
        ({}, None),
        ({1: 2, 2: 2, 3: 1}, None),  # exactly the budget
        ({1: 2, 2: 2, 3: 2}, Reason.OVER_BUDGET),
        ({1: 3}, Reason.OVER_CAP),
        ({1: -1}, Reason.OVER_CAP),
        ({1: 0, 2: 0}, None),  # 0 = no vote
        ({9: 1}, Reason.UNKNOWN_ITEM),
        ({9: 0}, None),  # withdrawing a vote on an item that is gone is fine
        ({1: 2, 2: 2, 3: 1, 4: 0}, None),
    ],
)
def test_dots(ballot: dict[int, int], problem: Reason | None) -> None:
    assert check_ballot(DOTS, ballot, votable=VOTABLE, own={1}) is problem


def test_dots_own_items() -> None:
    no_own = VotingRule(rule="dots", dots=5, per_item_cap=2, own_items=False)
    assert check_ballot(no_own, {1: 1}, votable=VOTABLE, own={1}) is Reason.OWN_ITEM
    assert check_ballot(no_own, {2: 1}, votable=VOTABLE, own={1}) is None
    assert check_ballot(no_own, {1: 0}, votable=VOTABLE, own={1}) is None
    assert check_ballot(DOTS, {1: 1}, votable=VOTABLE, own={1}) is None


@pytest.mark.parametrize(
    ("ballot", "problem"),
    [
        ({2: 1, 3: 5, 4: 3}, None),
        ({2: 6}, Reason.OUT_OF_SCALE),
        ({2: -1}, Reason.OUT_OF_SCALE),
        ({2: 0}, None),
        ({1: 3}, Reason.OWN_ITEM),
        ({7: 3}, Reason.UNKNOWN_ITEM),
        ({2: 5, 3: 5, 4: 5}, None),  # scores have no budget
    ],
)
def test_score(ballot: dict[int, int], problem: Reason | None) -> None:
    assert check_ballot(SCORE, ballot, votable=VOTABLE, own={1}) is problem


def test_score_scale_up_to_ten() -> None:
    rule = VotingRule(rule="score", scale_min=1, scale_max=10)
    assert check_ballot(rule, {1: 10}, votable=VOTABLE, own=set()) is None
    assert check_ballot(rule, {1: 11}, votable=VOTABLE, own=set()) is Reason.OUT_OF_SCALE


def test_a_score_scale_cannot_start_at_zero() -> None:
    """A weight of 0 means "no vote", so a 0 score could never be stored."""
    with pytest.raises(ValidationError):
        VotingRule(rule="score", scale_min=0, scale_max=10)


def test_no_voting() -> None:
    assert check_ballot(VotingRule(), {}, votable=VOTABLE, own=set()) is Reason.NOT_VOTED


@given(st.dictionaries(st.integers(1, 6), st.integers(-3, 6), max_size=6))
def test_accepted_dot_ballots_always_fit_the_rule(ballot: dict[int, int]) -> None:
    if check_ballot(DOTS, ballot, votable=VOTABLE, own=set()) is None:
        given_ = {c: w for c, w in ballot.items() if w}
        assert sum(given_.values()) <= DOTS.dots
        assert all(0 < w <= DOTS.per_item_cap for w in given_.values())
        assert set(given_) <= VOTABLE


# -- right-to-left text ------------------------------------------------------------------------


def test_text_direction() -> None:
    import sys
    import unicodedata

    assert text_direction(DUTCH) == "" and text_direction("") == ""
    assert text_direction(ARABIC) == "rtl" and text_direction(FARSI) == "rtl"
    assert text_direction("«" + ARABIC + "» ok") == "rtl"  # the first strong character counts
    assert text_direction("Amal: " + ARABIC) == "ltr"  # mixed: keep it isolated
    assert text_direction("١٢٣") == ""  # Arabic-Indic digits only: no strong character
    # The quick pre-scan must find every right-to-left character there is.
    missed = [hex(c) for c in range(sys.maxunicode + 1)
              if unicodedata.bidirectional(chr(c)) in ("R", "AL")
              and not text_module._RTL_CANDIDATE.match(chr(c))]
    assert missed == []


def test_right_to_left_by_script() -> None:
    """What the TUI marks: any text with right-to-left letters, mixed ones too (a terminal
    without bidi draws those wrong as well)."""
    assert right_to_left(ARABIC) and right_to_left(FARSI)
    assert right_to_left("Amal zegt: " + ARABIC)
    assert right_to_left("שלום")
    assert not right_to_left(DUTCH) and not right_to_left("Привіт") and not right_to_left("١٢٣")


def test_script_language() -> None:
    assert script_language(ARABIC) == "ar"
    assert script_language(FARSI) == "fa"  # ی and ک, which Arabic writes ي and ك
    assert script_language("شكرا جزيلا") == "ar"
    assert script_language(ARABIC, hint="fa") == "fa"  # the writer said which language
    assert script_language(FARSI, hint="nl") == "fa"  # a Dutch page, Farsi text
    assert script_language("שלום", hint="ar") == "he"  # the hint is for Arabic script only
    assert script_language(DUTCH, hint="ar") == ""
