"""Fixtures of the report tests: the fixed session and its report in every format."""

from __future__ import annotations

from pathlib import Path

import pytest
from pdf_helpers import REPORT_FORMATS
from report_session import (
    SESSION_ID,
    Fixed,
    make_elimination_session,
    make_fixed_session,
    make_small_room_session,
)

from facilitator.report import write_report


@pytest.fixture(scope="session")
def fixed(tmp_path_factory: pytest.TempPathFactory) -> Fixed:
    return make_fixed_session(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def written(fixed: Fixed, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The fixed session's report in every format, written once for the whole test run."""
    out = tmp_path_factory.mktemp("report")
    paths = write_report(fixed.path, formats=REPORT_FORMATS, out_dir=out)
    return {p.name.removeprefix(SESSION_ID): p for p in paths}


@pytest.fixture(scope="session")
def elimination(tmp_path_factory: pytest.TempPathFactory) -> Fixed:
    return make_elimination_session(tmp_path_factory.mktemp("elimination"))


@pytest.fixture(scope="session")
def elimination_written(elimination: Fixed,
                        tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The elimination session's report in every format."""
    out = tmp_path_factory.mktemp("elimination-report")
    paths = write_report(elimination.path, formats=REPORT_FORMATS, out_dir=out)
    return {p.name.removeprefix("elimination"): p for p in paths}


@pytest.fixture(scope="session")
def small_room(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_small_room_session(tmp_path_factory.mktemp("small-room"))


@pytest.fixture(scope="session")
def small_room_written(small_room: Path,
                       tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    """The small room's report as Markdown, HTML and PDF, in Dutch and in English."""
    written: dict[str, dict[str, Path]] = {}
    for lang in ("nl", "en"):
        out = tmp_path_factory.mktemp(f"small-room-{lang}")
        paths = write_report(small_room, formats=[f for f in REPORT_FORMATS if f != "csv"],
                             out_dir=out, lang=lang)
        written[lang] = {p.suffix: p for p in paths}
    return written
