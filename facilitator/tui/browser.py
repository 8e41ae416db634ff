"""Opening a page of the participant server in this laptop's browser, from the TUI."""

from __future__ import annotations

import os
import sys

from textual.app import App

from facilitator.tui.i18n import _


def has_desktop() -> bool:
    """Whether a browser can open beside the terminal: Windows and macOS always, elsewhere only
    under a desktop (X11 or Wayland). In a bare console Python's ``webbrowser`` would start a
    text browser in the TUI's own terminal."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def open_in_browser(app: App[object], url: str) -> bool:
    """Open ``url`` in the default browser and say so, with the address (which the facilitator
    can type in when no browser comes up); without a desktop, only say the address."""
    if has_desktop():
        app.open_url(url)
        app.notify(_("Opened in the browser: {url}").format(url=url), markup=False, timeout=8)
        return True
    app.notify(_("No desktop to open a browser on: open {url} in a browser on this laptop.")
               .format(url=url), markup=False, severity="warning", timeout=20)
    return False
