"""Fixtures of the report tests: the fixed session and its report in every format."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_session import SESSION_ID, Fixed, make_elimination_session, make_fixed_session

from facilitator.report import write_report


@pytest.fixture(scope="session")
def fixed(tmp_path_factory: pytest.TempPathFactory) -> Fixed:
    return make_fixed_session(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def written(fixed: Fixed, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The fixed session's report in every format, written once for the whole test run."""
    out = tmp_path_factory.mktemp("report")
    paths = write_report(fixed.path, formats=["md", "html", "pdf", "csv"], out_dir=out)
    return {p.name.removeprefix(SESSION_ID): p for p in paths}


@pytest.fixture(scope="session")
def elimination(tmp_path_factory: pytest.TempPathFactory) -> Fixed:
    return make_elimination_session(tmp_path_factory.mktemp("elimination"))


@pytest.fixture(scope="session")
def elimination_written(elimination: Fixed,
                        tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The elimination session's report in every format."""
    out = tmp_path_factory.mktemp("elimination-report")
    paths = write_report(elimination.path, formats=["md", "html", "pdf", "csv"], out_dir=out)
    return {p.name.removeprefix("elimination"): p for p in paths}
