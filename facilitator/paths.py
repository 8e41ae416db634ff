"""Where facilitator keeps things: every path the app uses is decided here."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import platformdirs

APP_NAME = "facilitator"
# No author folder: on Windows platformdirs would put one above the app's, and a folder named
# after the app twice (%LOCALAPPDATA%\facilitator\facilitator) helps nobody.
APP_AUTHOR: Literal[False] = False
PACKAGE_DIR = Path(__file__).resolve().parent


def data_dir(override: str | Path | None = None) -> Path:
    """Sessions live here: ``--data-dir``, else ``FACILITATOR_DATA_DIR``, else the user data dir."""
    chosen = override or os.environ.get("FACILITATOR_DATA_DIR")
    if chosen:
        return Path(chosen).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def sessions_dir(base: Path) -> Path:
    return base / "sessions"


def builtin_templates_dir() -> Path:
    """The shipped templates: inside the wheel, or ``session_templates/`` of a source checkout."""
    packaged = PACKAGE_DIR / "session_templates"
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / "session_templates"


def user_templates_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)) / "templates"


def template_dirs(extra: Path | None = None) -> list[Path]:
    """Template folders in order of precedence, lowest first: built-in, user's, ``--templates``."""
    dirs = [builtin_templates_dir(), user_templates_dir()]
    if extra is not None:
        dirs.append(extra)
    return dirs


def locale_dir() -> Path:
    return PACKAGE_DIR / "locale"
