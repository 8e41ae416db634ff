"""Shared fixtures: an isolated data dir, a Library, a fresh kennisatelier session store."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from machine import UNDER_WINE, WINE_SLOWER, user_folders

from facilitator.session.library import Library, Templates
from facilitator.session.store import SessionStore

# The benchmarks (``bench/``, beside the package and not in its wheel) hold helpers the tests
# use too (the unkind network, sessions of a given size). Appended, not prepended: a facilitator
# installed from the wheel still comes first (tests/test_packaging.py runs with ``python -P``).
sys.path.append(str(Path(__file__).resolve().parents[1]))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under Wine, every test's time limit is WINE_SLOWER times as long: a limit is there to
    stop a test that hangs, not to time Wine."""
    if not UNDER_WINE:
        return
    for item in items:
        marker = item.get_closest_marker("timeout")
        seconds = marker.args[0] if marker and marker.args else item.config.getini("timeout")
        item.add_marker(pytest.mark.timeout(float(seconds) * WINE_SLOWER), append=False)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private data dir (and user config dir), so no test sees the real user's sessions."""
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv("FACILITATOR_DATA_DIR", str(folder))
    for name, value in user_folders(tmp_path).items():
        monkeypatch.setenv(name, value)
    return folder


@pytest.fixture
def library(data_dir: Path) -> Library:
    return Library(data_dir)


@pytest.fixture
def templates(data_dir: Path) -> Templates:
    return Templates()


@pytest.fixture
async def store(library: Library, templates: Templates) -> AsyncIterator[SessionStore]:
    """A new kennisatelier session, open for writing; closed (and unlocked) after the test."""
    session = library.create(templates.load("kennisatelier"), title="Test session")
    try:
        yield session
    finally:
        await session.close()
