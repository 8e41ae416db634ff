"""The home screen: recent sessions, a new session from a template, and a template's preview."""

from __future__ import annotations

import time
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, OptionList, Static
from textual.widgets.option_list import Option

from facilitator.core.errors import Refused
from facilitator.core.templates import Template
from facilitator.session.files import StoreError
from facilitator.session.library import Library, Templates
from facilitator.session.store import SessionStore
from facilitator.tui import actions
from facilitator.tui.i18n import _, language, loc
from facilitator.tui.refusals import said
from facilitator.tui.screens.dialogs import NewSession, NewSessionDialog
from facilitator.tui.widgets.agenda import kind_label
from facilitator.tui.widgets.header import voting_rule
from facilitator.tui.widgets.keybar import KeyBar


def template_preview(template: Template) -> RenderableType:
    parts: list[RenderableType] = [
        Text(loc(template.title), style="bold"),
        Text(loc(template.description)),
        Text(""),
        Text(_("Rounds"), style="bold underline"),
    ]
    rounds = Table(box=None, padding=(0, 1), show_header=False, expand=True)
    rounds.add_column(justify="right", width=3)
    rounds.add_column(ratio=1)
    rounds.add_column(justify="right", width=8)
    total = 0
    for index, spec in enumerate(template.rounds, start=1):
        total += spec.minutes
        line = Text(loc(spec.title), style="bold")
        line.append(f"\n{kind_label(spec.kind.value)}", style="cyan")
        if spec.voting.rule != "none":
            line.append(" · " + voting_rule(spec.voting), style="dim")
        rounds.add_row(f"{index}.", line, f"{spec.minutes} min")
    parts.append(rounds)
    parts.append(Text(_("{minutes} minutes in all").format(minutes=total), style="dim"))
    parts.append(Text(""))
    parts.append(Text(_("Who should be at the table"), style="bold underline"))
    for group in template.groups:
        line = Text("• " + loc(group.name))
        if group.must_be_present:
            line.append("  " + _("(must be present)"), style="bold yellow")
        elif not group.expected:
            line.append("  " + _("(welcome, not expected)"), style="dim")
        parts.append(line)
    return Group(*parts)


class HomeScreen(Screen[None]):
    CSS_PATH = "home.tcss"
    AUTO_FOCUS = "#sessions"
    ACTIONS: ClassVar[tuple[actions.Command, ...]] = actions.HOME
    BINDINGS: ClassVar[list[BindingType]] = list(actions.bindings(actions.HOME))

    class SessionOpened(Message):
        """A session was opened or made here: the app shows it and starts its server."""

        def __init__(self, store: SessionStore) -> None:
            super().__init__()
            self.store = store

    def __init__(self, library: Library, templates: Templates) -> None:
        super().__init__()
        self.library = library
        self.templates = templates
        self.loaded: dict[str, Template] = {}
        self.broken: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static(Text(_("facilitator — run a co-creation session from this laptop"),
                          style="bold"), id="home-title")
        with Horizontal(id="home-body"):
            with Vertical(id="home-left"):
                yield Static(_("Recent sessions"), classes="panel-title")
                yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
                yield Static(Text(_("No sessions yet. Choose a template below and press enter "
                                    "to start one."), style="italic"), id="no-sessions")
                yield Static(_("New session from a template"), classes="panel-title")
                yield OptionList(id="templates")
            with VerticalScroll(id="home-preview"):
                yield Static(id="preview")
        yield KeyBar([*self.ACTIONS, *actions.APP])

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        table = self.query_one("#sessions", DataTable)
        table.clear(columns=True)
        table.add_column(_("Session"), key="title")
        table.add_column(_("Date"), key="date")
        table.add_column(_("Contributions"), key="contributions")
        table.add_column(_("Participants"), key="participants")
        for entry in self.library.entries()[:50]:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.created))
            if entry.problem:  # listed all the same, so one bad file hides nothing
                title = Text(entry.session_id + ": ", style="bold red")
                title.append(_("cannot be opened ({problem})").format(problem=entry.problem),
                             style="red")
                table.add_row(title, Text(when), Text("–"), Text("–"), key=entry.session_id)
                continue
            table.add_row(Text(entry.title), Text(when), Text(str(entry.contributions)),
                          Text(str(entry.participants)), key=entry.session_id)
        good, bad = self.templates.load_all()
        self.loaded = {t.id: t for t, _path in good}
        self.broken = [str(e) for e in bad]
        options = self.query_one("#templates", OptionList)
        options.clear_options()
        for template in sorted(self.loaded.values(), key=lambda t: t.id):
            label = Text(loc(template.title), style="bold")
            label.append(f"  ({template.id})", style="dim")
            options.add_option(Option(label, id=template.id))
        if self.loaded:
            options.highlighted = 0
        (table if table.row_count else self.query_one("#templates", OptionList)).focus()
        table.display = bool(table.row_count)
        self.query_one("#no-sessions").display = not table.row_count
        self._preview()

    def _preview(self) -> None:
        options = self.query_one("#templates", OptionList)
        preview = self.query_one("#preview", Static)
        if options.highlighted is None or not self.loaded:
            preview.update(Text(_("No templates found."), style="italic"))
            return
        template_id = options.get_option_at_index(options.highlighted).id or ""
        parts: list[RenderableType] = [template_preview(self.loaded[template_id])]
        for problem in self.broken:
            parts.append(Text(problem, style="red"))
        preview.update(Group(*parts))

    @on(OptionList.OptionHighlighted, "#templates")
    def _template_highlighted(self) -> None:
        self._preview()

    @on(OptionList.OptionSelected, "#templates")
    def _template_selected(self) -> None:
        self.action_new()

    @on(DataTable.RowSelected, "#sessions")
    def _session_selected(self, event: DataTable.RowSelected) -> None:
        self._open(str(event.row_key.value))

    def action_open(self) -> None:
        focused = self.focused
        if isinstance(focused, OptionList):
            self.action_new()
            return
        table = self.query_one("#sessions", DataTable)
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
            self._open(str(key.value))

    def _open(self, session_id: str) -> None:
        try:
            store = SessionStore.open(self.library.path_for(session_id))
        except StoreError as exc:
            self.notify(said(exc), severity="error", timeout=10, markup=False)
            return
        self.post_message(self.SessionOpened(store))

    def action_new(self) -> None:
        options = self.query_one("#templates", OptionList)
        if options.highlighted is None:
            return
        template = self.loaded[options.get_option_at_index(options.highlighted).id or ""]

        def made(new: NewSession | None) -> None:
            if new is None:
                return
            try:
                store = self.library.create(
                    template, title=new.title, lang=language(), place=new.place,
                    tables=new.tables)
            except (Refused, StoreError, OSError) as exc:
                self.notify(said(exc), severity="error", timeout=10, markup=False)
                return
            self.post_message(self.SessionOpened(store))

        self.app.push_screen(NewSessionDialog(template, loc(template.title)), made)
