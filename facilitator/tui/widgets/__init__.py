"""Widgets of the session screen, one area each. Each takes what it shows as attributes (plain
data the screen hands down, see facilitator.tui.screens.session) and its styles from the
``.tcss`` file beside it (:func:`tcss`)."""

from __future__ import annotations

from pathlib import Path


def tcss(module_file: str) -> str:
    """The stylesheet beside a widget's module (``feed.py`` → ``feed.tcss``), as its
    ``DEFAULT_CSS``: widgets have no ``CSS_PATH`` of their own in Textual."""
    return Path(module_file).with_suffix(".tcss").read_text(encoding="utf-8")
