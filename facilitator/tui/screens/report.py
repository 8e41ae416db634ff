"""The report preview: the session report as Markdown, inside the app."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, MarkdownViewer

from facilitator.tui.i18n import N_, translate_bindings


class ReportScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", N_("Back to the session"), id="report.close"),
    ]

    def __init__(self, markdown: str) -> None:
        super().__init__()
        translate_bindings(self)
        self.markdown = markdown

    def compose(self) -> ComposeResult:
        yield MarkdownViewer(self.markdown, show_table_of_contents=True, open_links=False)
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)
