"""The report preview: the session report as Markdown, inside the app.

The Markdown is made in a thread (:meth:`FacilitatorApp.report_preview`); until it arrives
(:class:`ReportReady`) the screen says it is preparing, so the event loop, the phones and the
participant server never wait for the report.
"""

from __future__ import annotations

from typing import ClassVar

from babel.numbers import format_decimal
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.screen import Screen
from textual.widgets import MarkdownViewer, Static

from facilitator.tui import actions
from facilitator.tui.i18n import _, language, ngettext
from facilitator.tui.messages import ReportFailed, ReportReady
from facilitator.tui.widgets.keybar import KeyBar

PREVIEW_TABLE_ROWS = 10
"""Rows of each table the preview shows. Textual draws a Markdown table as one widget, on the
event loop: the appendix of a 5,000-contribution session (one 5,000-row table) would freeze the
app and the participant server for many seconds. The exported report (F6) has every row."""


def shorten_tables(markdown: str, rows: int = PREVIEW_TABLE_ROWS) -> str:
    """``markdown`` with each table cut to its header and first ``rows`` rows, and a line
    saying how many more the exported report has."""
    out: list[str] = []
    in_table = kept = dropped = 0

    def close() -> None:
        nonlocal dropped
        if dropped:
            out.append("")
            more = ngettext("… and {n} more row in the exported report (F6).",
                            "… and {n} more rows in the exported report (F6).", dropped)
            out.append("*" + more.format(n=format_decimal(dropped, locale=language())) + "*")
        dropped = 0

    for line in markdown.split("\n"):
        if line.lstrip().startswith("|"):
            if not in_table:
                in_table, kept = 1, 0
            kept += 1
            if kept <= rows + 2:  # the header and the |---| line, then the rows
                out.append(line)
            else:
                dropped += 1
            continue
        if in_table:
            in_table = 0
            close()
        out.append(line)
    if in_table:
        close()
    return "\n".join(out)


class ReportScreen(Screen[None]):
    ACTIONS: ClassVar[tuple[actions.Command, ...]] = actions.REPORT
    BINDINGS: ClassVar[list[BindingType]] = list(actions.bindings(actions.REPORT))

    def __init__(self, markdown: str | None = None) -> None:
        super().__init__()
        self.markdown = markdown
        """The report, or None while it is being prepared."""
        self.problem = ""

    def compose(self) -> ComposeResult:
        if self.markdown is None:
            yield Static(Text(_("Preparing the report…"), style="italic"), id="report-status")
        else:
            yield self._viewer(self.markdown)
        yield KeyBar([*self.ACTIONS, *actions.APP])

    def on_mount(self) -> None:
        self._read()

    def _read(self) -> None:
        """The keys scroll the report at once (up, down, page up and down), without a tab: the
        viewer itself takes the focus (Textual's lets only its parts have it)."""
        for viewer in self.query(MarkdownViewer):
            viewer.can_focus = True
            viewer.focus()

    @on(ReportReady)
    async def _ready(self, message: ReportReady) -> None:
        self.markdown = message.markdown
        await self.query("#report-status").remove()
        await self.mount(self._viewer(self.markdown), before=self.query_one(KeyBar))
        self._read()

    @staticmethod
    def _viewer(markdown: str) -> MarkdownViewer:
        # The table of contents waits for c: building it costs as much as the page itself.
        return MarkdownViewer(markdown, show_table_of_contents=False, open_links=False)

    def action_contents(self) -> None:
        for viewer in self.query(MarkdownViewer):
            viewer.show_table_of_contents = not viewer.show_table_of_contents

    @on(ReportFailed)
    def _failed(self, message: ReportFailed) -> None:
        self.problem = message.reason
        self.query_one("#report-status", Static).update(
            Text(_("The report could not be made: {error}").format(error=message.reason),
                 style="bold red"))

    def action_close(self) -> None:
        self.dismiss(None)
