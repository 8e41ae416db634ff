"""Where facilitator keeps things, on each platform."""

from __future__ import annotations

from pathlib import Path

import pytest

from facilitator.paths import APP_NAME, data_dir, user_templates_dir


def test_the_user_folders_are_named_after_the_app_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """platformdirs puts an author folder above the app's on Windows unless told not to:
    %LOCALAPPDATA%\\facilitator\\facilitator\\sessions helps nobody."""
    monkeypatch.delenv("FACILITATOR_DATA_DIR", raising=False)
    folder = data_dir()
    assert folder.name == APP_NAME and folder.parent.name != APP_NAME, folder
    templates = user_templates_dir()
    assert templates.parent.name == APP_NAME and templates.parent.parent.name != APP_NAME


def test_the_data_folder_given_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FACILITATOR_DATA_DIR", str(tmp_path / "env"))
    assert data_dir() == tmp_path / "env"
    assert data_dir(tmp_path / "option") == tmp_path / "option"
