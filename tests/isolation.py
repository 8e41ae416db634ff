"""What keeps a test away from the real user's folders."""

from __future__ import annotations

from pathlib import Path


def user_folders(tmp_path: Path) -> dict[str, str]:
    """The environment that moves the user's config folder (their own templates) into
    ``tmp_path``: XDG on Linux, platformdirs' override variables on Windows (which platformdirs
    reads before asking Windows; macOS has no such variable, and there the tests see the user's
    real folder)."""
    return {"XDG_CONFIG_HOME": str(tmp_path / "config"),
            "WIN_PD_OVERRIDE_LOCAL_APPDATA": str(tmp_path / "config"),
            "WIN_PD_OVERRIDE_APPDATA": str(tmp_path / "config")}
