"""The machine the tests run on: the user's folders a test must keep away from, and Wine."""

from __future__ import annotations

import sys
from pathlib import Path


def _under_wine() -> bool:
    if sys.platform != "win32":
        return False
    import ctypes

    try:
        return hasattr(ctypes.WinDLL("ntdll"), "wine_get_version")
    except OSError:
        return False


UNDER_WINE = _under_wine()
"""Windows Python running under Wine (the Windows lane in CI): Windows' semantics, not its
speed."""

WINE_SLOWER = 4
"""How much longer a test may take under Wine (the Windows lane): each Windows process starts in
seconds there, and the lane runs two test folders side by side."""


def within(seconds: float) -> float:
    """A test's wait for another process (to start, to answer, to exit): ``seconds``, and
    WINE_SLOWER times as long under Wine. The wait stops a test that hangs; it times nothing."""
    return seconds * WINE_SLOWER if UNDER_WINE else seconds


def user_folders(tmp_path: Path) -> dict[str, str]:
    """The environment that moves the user's config folder (their own templates) into
    ``tmp_path``: XDG on Linux, platformdirs' override variables on Windows (which platformdirs
    reads before asking Windows; macOS has no such variable, and there the tests see the user's
    real folder)."""
    return {"XDG_CONFIG_HOME": str(tmp_path / "config"),
            "WIN_PD_OVERRIDE_LOCAL_APPDATA": str(tmp_path / "config"),
            "WIN_PD_OVERRIDE_APPDATA": str(tmp_path / "config")}
