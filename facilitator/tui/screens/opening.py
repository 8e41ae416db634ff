"""What the app shows while a session moves to its host process (:mod:`facilitator.host`): the host
opens the file, then the screen's copy reads it, which takes seconds for a large session."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import LoadingIndicator


class OpeningScreen(Screen[None]):
    def compose(self) -> ComposeResult:
        yield LoadingIndicator()
