"""Core rules for the day as the seeds run it: the kennisatelier closes with a distillation round,
suggested themes are found back from their name in any language, and the clock is written one
way for the TUI and the phones."""

from __future__ import annotations

import pytest

from facilitator.core.clock import format_clock, parse_clock
from facilitator.core.templates import RoundKind, load_template
from facilitator.paths import builtin_templates_dir


def test_the_kennisatelier_closes_with_the_day_chairs_distillation() -> None:
    template = load_template(builtin_templates_dir() / "kennisatelier.toml")
    kinds = [spec.kind for spec in template.rounds]
    assert kinds[-1] is RoundKind.DISTILLATION
    assert kinds.index(RoundKind.BOTTLENECK) < kinds.index(RoundKind.IDEAS)  # morning, afternoon
    closing = template.rounds[-1]
    assert closing.participants_submit and closing.moderated  # the room's tips, approved
    assert {"municipality", "migrant_org"} <= {g.id for g in template.groups}  # the two sides


def test_a_theme_is_found_back_from_its_name_in_any_language() -> None:
    template = load_template(builtin_templates_dir() / "kennisatelier.toml")
    spec = template.round("knelpunten")
    theme = spec.themes[3]
    assert spec.suggested_theme(theme["nl"]) == spec.suggested_theme(theme["fa"]) == theme
    assert spec.suggested_theme("Een eigen thema") is None


@pytest.mark.parametrize(("seconds", "shown"), [
    (4327, "1:12:07"), (3600, "1:00:00"), (3599.2, "1:00:00"), (3599, "59:59"),
    (307, "05:07"), (0.4, "00:01"), (0, "00:00"), (-65, "-01:05"), (-3700, "-1:01:40"),
])
def test_the_clock_reads_h_mm_ss_from_an_hour_and_mm_ss_below(seconds: float,
                                                               shown: str) -> None:
    assert format_clock(seconds) == shown


@pytest.mark.parametrize(("typed", "seconds"), [
    ("5", 300.0), ("2,5", 150.0), ("2.5", 150.0), ("02:30", 150.0), ("1:12:07", 4327.0),
    ("0", 0.0), (" 10 ", 600.0),
    ("", None), ("tien", None), ("-3", None), ("nan", None), ("inf", None), ("1:75", None),
    ("1:75:00", None), ("1:2:3:4", None), ("٣", 180.0),
])
def test_the_time_left_is_typed_as_minutes_or_as_the_clock_writes_it(
        typed: str, seconds: float | None) -> None:
    assert parse_clock(typed) == seconds
    if seconds is not None and ":" in typed:
        assert parse_clock(format_clock(seconds)) == seconds  # what the dialog shows reads back
