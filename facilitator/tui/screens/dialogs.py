"""Dialogs, each a typed ``ModalScreen[T]`` that dismisses with its result (None: cancelled)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select, SelectionList, TextArea
from textual.widgets.option_list import Option
from textual.widgets.selection_list import Selection

from facilitator.core.joining import MAX_TABLES, TablesProblem, TablesRefused, table_names
from facilitator.core.model import Action, Note, SessionInfo
from facilitator.core.templates import Template
from facilitator.core.text import MAX_TITLE_CHARS
from facilitator.tui.i18n import N_, _, group_name, parse_date

T = TypeVar("T")


class _Dialog(ModalScreen[T | None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        Binding("ctrl+s", "save", "Save", id="dialog.save"),
    ]

    def buttons(self, ok: str | None = None) -> ComposeResult:
        with Horizontal(classes="buttons"):
            yield Button(ok or _("Save"), variant="primary", id="ok")
            yield Button(_("Cancel"), id="cancel")

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        result = self.result()
        if result is not None:
            self.dismiss(result)

    def result(self) -> T | None:
        raise NotImplementedError

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.action_cancel()

    def problem(self, message: str) -> None:
        label = self.query_one("#problem", Label)
        label.update(Text(message))
        label.display = bool(message)


Check = Callable[[str], str | None]
"""Says what is wrong with a typed text (None: nothing); the dialog stays open until it fits."""


class TextDialog(_Dialog[str]):
    """One text: a note, a theme name, an edited contribution, the minutes left."""

    def __init__(self, title: str, *, initial: str = "", multiline: bool = True,
                 check: Check | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.initial = initial
        self.multiline = multiline
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self.title_text), classes="dialog-title")
            if self.multiline:
                yield TextArea(self.initial, id="text", soft_wrap=True, show_line_numbers=False)
            else:
                yield Input(self.initial, id="text")
            yield Label(id="problem", classes="problem")
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#problem").display = False
        self.query_one("#text").focus()

    def result(self) -> str | None:
        widget = self.query_one("#text")
        text = widget.text if isinstance(widget, TextArea) else widget.value  # type: ignore[attr-defined]
        if not str(text).strip():
            self.problem(_("Please type something first."))
            return None
        problem = self.check(str(text)) if self.check is not None else None
        if problem:
            self.problem(problem)
            return None
        return str(text)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()


@dataclass(frozen=True, slots=True)
class NewContribution:
    text: str
    stakeholder: str
    table_group: str


SaveCard = Callable[[NewContribution], Awaitable[str | None]]
"""Stores a paper card; returns why it was not stored, or None once it is on disk."""


class ContributionDialog(_Dialog[NewContribution]):
    """A contribution typed in for someone without a phone (a paper card).

    The dialog stores the card itself (``save``) and closes only once it is stored: when the
    store refuses it or the disk fails, the dialog stays open with the typed text and says why.
    """

    def __init__(self, template: Template, round_title: str, save: SaveCard, *,
                 tables: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.template = template
        self.round_title = round_title
        self.save = save
        self.tables = tables
        """The session's tables, to say which one the card came from."""
        self.saving = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(_("Add a contribution to “{round}”").format(round=self.round_title)),
                        classes="dialog-title")
            yield TextArea(id="text", soft_wrap=True)
            groups = [(group_name(self.template, g.id), g.id) for g in self.template.groups]
            groups.append((_("not said"), ""))
            yield Label(_("Stakeholder group"))
            yield Select(groups, id="stakeholder", value="", allow_blank=False)
            if self.tables:
                yield Label(_("Table"))
                tables = [(_("none"), ""), *[(t, t) for t in self.tables]]
                yield Select(tables, id="table", value="", allow_blank=False)
            yield Label(id="problem", classes="problem")
            yield from self.buttons(_("Add"))

    def on_mount(self) -> None:
        self.query_one("#problem").display = False
        self.query_one("#text").focus()

    def action_cancel(self) -> None:
        if not self.saving:  # a card on its way to the disk is not taken back halfway
            self.dismiss(None)

    def action_save(self) -> None:
        card = self.result()
        if card is None or self.saving:
            return
        self.saving = True
        self.query_one("#ok", Button).disabled = True
        self.run_worker(self._store(card), group="card", exit_on_error=False)

    async def _store(self, card: NewContribution) -> None:
        try:
            problem = await self.save(card)
        finally:
            self.saving = False
            self.query_one("#ok", Button).disabled = False
        if problem is None:
            self.dismiss(card)
        else:
            self.problem(_("Not added: {reason}").format(reason=problem))

    def result(self) -> NewContribution | None:
        text = self.query_one("#text", TextArea).text
        if not text.strip():
            self.problem(_("Please type the contribution first."))
            return None
        stakeholder = self.query_one("#stakeholder", Select).value
        tables = self.query("#table")
        table = tables.first(Select).value if tables else ""
        return NewContribution(
            text=text,
            stakeholder=str(stakeholder) if stakeholder is not Select.NULL else "",
            table_group=str(table) if table is not Select.NULL else "",
        )


@dataclass(frozen=True, slots=True)
class ActionInput:
    text: str
    owner: str
    due: str
    remove: bool = False
    """Remove the action being edited (it stays in the file, shown nowhere)."""


def typed_date(iso: str) -> str:
    """A stored date (ISO) as the dialogs ask for one: day-month-year."""
    try:
        day = dt.date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{day.day:02d}-{day.month:02d}-{day.year}"


class ActionDialog(_Dialog[ActionInput]):
    """Turn an idea or a tip into an action with an owner and a date; or, given the action
    it has (``action``), correct it or remove it."""

    def __init__(self, text: str = "", *, action: Action | None = None) -> None:
        super().__init__()
        self.initial = action.text if action is not None else text
        self.action = action

    def compose(self) -> ComposeResult:
        action = self.action
        with Vertical(classes="dialog"):
            yield Label(_("Action") if action is None else _("Edit the action"),
                        classes="dialog-title")
            yield TextArea(self.initial, id="text", soft_wrap=True)
            yield Label(_("Owner (who will do it)"))
            yield Input(action.owner if action else "", id="owner", max_length=MAX_TITLE_CHARS)
            yield Label(_("Date (day-month-year, optional)"))
            yield Input(typed_date(action.due) if action else "", id="due",
                        placeholder="31-12-2026")
            yield Label(id="problem", classes="problem")
            with Horizontal(classes="buttons"):
                yield Button(_("Save"), variant="primary", id="ok")
                if action is not None:
                    yield Button(_("Remove action"), variant="error", id="remove")
                yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#problem").display = False
        self.query_one("#owner" if self.initial else "#text").focus()

    @on(Button.Pressed, "#remove")
    def _remove(self) -> None:
        assert self.action is not None
        self.dismiss(ActionInput(self.action.text, self.action.owner, self.action.due,
                                 remove=True))

    def result(self) -> ActionInput | None:
        text = self.query_one("#text", TextArea).text
        due = self.query_one("#due", Input).value.strip()
        if not text.strip():
            self.problem(_("Please describe the action."))
            return None
        if due:
            day = parse_date(due)
            if day is None:
                self.problem(_("That is not a date: type it as 31-12-2026 (day, month, "
                               "year)."))
                return None
            due = day.isoformat()
        return ActionInput(text=text, owner=self.query_one("#owner", Input).value, due=due)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()


NO_THEME = 0


class Picker(_Dialog[int]):
    """Choose one of a list: each choice an id and what it says (participant text is shown as
    text, never markup); ``extra`` choices come after them, in italics."""

    def __init__(self, choices: list[tuple[int, str]], *, title: str,
                 extra: tuple[tuple[int, str], ...] = (), wide: bool = False) -> None:
        super().__init__()
        self.choices = choices
        self.title_text = title
        self.extra = extra
        self.wide = wide

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide" if self.wide else "dialog"):
            yield Label(Text(self.title_text), classes="dialog-title")
            options = [Option(Text(text), id=str(choice)) for choice, text in self.choices]
            options += [Option(Text(text, style="italic"), id=str(choice))
                        for choice, text in self.extra]
            yield OptionList(*options, id="choices")
            yield from self.buttons(_("Choose"))

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def result(self) -> int | None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return None
        return int(options.get_option_at_index(options.highlighted).id or 0)

    @on(OptionList.OptionSelected)
    def _chosen(self) -> None:
        self.action_save()


class ThemePicker(Picker):
    """Choose a theme (or none) to sort contributions into."""

    def __init__(self, themes: list[tuple[int, str]], *, title: str = "",
                 none: bool = True) -> None:
        super().__init__(themes, title=title or _("Sort into which theme?"),
                         extra=((NO_THEME, _("(no theme)")),) if none else ())


class LinkPicker(_Dialog[tuple[int, ...]]):
    """Tick the bottlenecks an idea answers."""

    def __init__(self, choices: list[tuple[int, str]], selected: tuple[int, ...]) -> None:
        super().__init__()
        self.choices = choices
        self.selected = selected

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(_("Which bottlenecks does this idea answer? (space ticks)"),
                        classes="dialog-title")
            yield SelectionList[int](
                *[Selection(Text(f"#{cid} {text}"), cid, cid in self.selected)
                  for cid, text in self.choices],
                id="links",
            )
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def result(self) -> tuple[int, ...] | None:
        return tuple(sorted(self.query_one(SelectionList).selected))


@dataclass(frozen=True, slots=True)
class ThemeEdit:
    name: str
    remove: bool = False


class ThemeDialog(_Dialog[ThemeEdit]):
    """Rename a theme, or remove it (its contributions then have no theme)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.theme_name = name

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(_("New name for the theme")), classes="dialog-title")
            yield Input(self.theme_name, id="text")
            yield Label(id="problem", classes="problem")
            with Horizontal(classes="buttons"):
                yield Button(_("Save"), variant="primary", id="ok")
                yield Button(_("Remove theme"), variant="error", id="remove")
                yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#problem").display = False
        self.query_one("#text").focus()

    def result(self) -> ThemeEdit | None:
        name = self.query_one("#text", Input).value
        if not name.strip():
            self.problem(_("Please type something first."))
            return None
        return ThemeEdit(name)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#remove")
    def _remove(self) -> None:
        self.dismiss(ThemeEdit(self.theme_name, remove=True))


@dataclass(frozen=True, slots=True)
class LineInput:
    text: str
    groups: tuple[str, ...]
    """The stakeholder groups (ids) the line is addressed to, in the template's order."""
    remove: bool = False
    """Remove the line being edited (it stays in the file; the phones and the wall drop it)."""


class LineDialog(_Dialog[LineInput]):
    """One of the day chair's lines in a distillation round, addressed to a stakeholder side;
    or, given a line (``line``), that line to correct, re-address or remove."""

    def __init__(self, template: Template, *, line: Note | None = None) -> None:
        super().__init__()
        self.template = template
        self.line = line

    def compose(self) -> ComposeResult:
        line = self.line
        ticked = set(line.addressed_to) if line is not None else set()
        with Vertical(classes="dialog wide"):
            yield Label(_("A line from the day chair") if line is None
                        else _("Correct the day chair's line"), classes="dialog-title")
            yield Label(_("To whom? (space ticks one or more groups)"))
            yield SelectionList[str](
                *[Selection(self._prompt(g.id, g.id in ticked), g.id, g.id in ticked)
                  for g in self.template.groups],
                id="groups",
            )
            yield Label(_("The line"))
            yield TextArea(line.text if line is not None else "", id="text", soft_wrap=True)
            yield Label(id="problem", classes="problem")
            with Horizontal(classes="buttons"):
                yield Button(_("Save"), variant="primary", id="ok")
                if line is not None:
                    yield Button(_("Remove line"), variant="error", id="remove")
                yield Button(_("Cancel"), id="cancel")

    def _prompt(self, group_id: str, ticked: bool) -> Text:
        """A group as the list shows it: a ticked one with ✓ and in bold, so ticked and not
        ticked differ on a projector without colour (the list's box is the same in both)."""
        prompt = Text()
        prompt.append("✓ " if ticked else "  ", style="bold")
        prompt.append(group_name(self.template, group_id), style="bold" if ticked else "")
        return prompt

    @on(SelectionList.SelectedChanged, "#groups")
    def _ticked(self, changed: SelectionList.SelectedChanged[str]) -> None:
        groups = changed.selection_list
        for index, group in enumerate(self.template.groups):
            groups.replace_option_prompt_at_index(
                index, self._prompt(group.id, group.id in groups.selected))

    @on(Button.Pressed, "#remove")
    def _remove(self) -> None:
        assert self.line is not None
        self.dismiss(LineInput(self.line.text, self.line.addressed_to, remove=True))

    def on_mount(self) -> None:
        self.query_one("#problem").display = False
        self.query_one(SelectionList).focus()

    def result(self) -> LineInput | None:
        ticked = set(self.query_one(SelectionList).selected)
        groups = tuple(g.id for g in self.template.groups if g.id in ticked)
        text = self.query_one("#text", TextArea).text
        if not groups:
            self.problem(_("Tick the groups the line is for (space)."))
            return None
        if not text.strip():
            self.problem(_("Please type the line first."))
            return None
        return LineInput(text=text, groups=groups)


def tables_text(tables: tuple[str, ...]) -> str:
    """A session's tables as the dialogs show them for typing: "5" for tables 1 to 5, else
    their names separated by commas ("" for none)."""
    if tables == tuple(str(n) for n in range(1, len(tables) + 1)) and tables:
        return str(len(tables))
    return ", ".join(tables)


def tables_problem(refused: TablesRefused) -> str:
    """Why typed tables cannot be the session's, in the TUI's language."""
    if refused.problem is TablesProblem.TOO_MANY:
        return _("At most {n} tables.").format(n=MAX_TABLES)
    if refused.problem is TablesProblem.TWICE:
        return _("The table “{name}” is named twice.").format(name=refused.name)
    return _("A table's name is too long: “{name}”.").format(name=refused.name)


TABLES_HINT = N_("Tables: a number (tables 1, 2, 3…) or names separated by commas; empty: no "
                 "tables, one card for the whole room")


@dataclass(frozen=True, slots=True)
class NewSession:
    title: str
    place: str
    tables: tuple[str, ...]


class NewSessionDialog(_Dialog[NewSession]):
    """A new session from a template: its title, its place and its tables (each table gets a
    card; the template's tables to start with)."""

    def __init__(self, template: Template, title: str) -> None:
        super().__init__()
        self.template = template
        self.initial_title = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_("New session"), classes="dialog-title")
            yield Label(_("Title"))
            yield Input(self.initial_title, id="title", max_length=MAX_TITLE_CHARS)
            yield Label(_("Place (optional)"))
            yield Input(id="place", max_length=MAX_TITLE_CHARS)
            yield Label(_(TABLES_HINT))
            yield Input(tables_text(self.template.table_groups), id="tables")
            yield Label(id="problem", classes="problem")
            yield from self.buttons(_("Start"))

    def on_mount(self) -> None:
        self.query_one("#problem").display = False
        self.query_one("#title").focus()

    def result(self) -> NewSession | None:
        title = self.query_one("#title", Input).value
        if not title.strip():
            self.problem(_("Please give the session a title."))
            return None
        try:
            tables = table_names(self.query_one("#tables", Input).value)
        except TablesRefused as refused:
            self.problem(tables_problem(refused))
            return None
        return NewSession(title, self.query_one("#place", Input).value, tables)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()


@dataclass(frozen=True, slots=True)
class SessionDetails:
    title: str
    place: str
    held_on: str
    """An ISO date, or "": the day the first round started."""


class DetailsDialog(_Dialog[SessionDetails]):
    """The session's title, place and the day it was held (the report prints them)."""

    def __init__(self, info: SessionInfo, ran_on: dt.date) -> None:
        super().__init__()
        self.info = info
        self.ran_on = ran_on
        """The day the session's first round started (or it was made): the date when none
        is typed."""

    def compose(self) -> ComposeResult:
        info = self.info
        with Vertical(classes="dialog"):
            yield Label(_("The session: title, place and date"), classes="dialog-title")
            yield Label(_("Title"))
            yield Input(info.title, id="title", max_length=MAX_TITLE_CHARS)
            yield Label(_("Place (optional)"))
            yield Input(info.place, id="place", max_length=MAX_TITLE_CHARS)
            yield Label(_("Date (day-month-year); empty: the day the first round started, "
                          "{day}").format(day=typed_date(self.ran_on.isoformat())),
                        classes="wraps")
            yield Input(typed_date(info.held_on), id="held-on", placeholder="31-12-2026")
            yield Label(id="problem", classes="problem")
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#problem").display = False
        self.query_one("#title").focus()

    def result(self) -> SessionDetails | None:
        title = self.query_one("#title", Input).value
        if not title.strip():
            self.problem(_("Please give the session a title."))
            return None
        typed = self.query_one("#held-on", Input).value.strip()
        day = parse_date(typed) if typed else None
        if typed and day is None:
            self.problem(_("That is not a date: type it as 31-12-2026 (day, month, year)."))
            return None
        return SessionDetails(title, self.query_one("#place", Input).value,
                              day.isoformat() if day else "")

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question: y or the first button says yes; n, escape or the second says no;
    the arrow keys move between the buttons, and the dialog says so."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "answer(False)", "No", id="confirm.no"),
        Binding("y,j", "answer(True)", "Yes", id="confirm.yes"),
        Binding("left,up", "app.focus_previous", "Previous button", show=False),
        Binding("right,down", "app.focus_next", "Next button", show=False),
    ]

    def __init__(self, question: str, *, yes: str = "", no: str = "") -> None:
        super().__init__()
        self.question = question
        self.yes = yes or _("Yes")
        self.no = no or _("No")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self.question), classes="dialog-title")
            with Horizontal(classes="buttons"):
                yield Button(f"{self.yes} (y)", variant="error", id="yes")
                yield Button(f"{self.no} (n)", variant="primary", id="no")
            yield Label(Text(_("← → choose · enter presses · escape is no"), style="dim"))

    def on_mount(self) -> None:
        self.query_one("#no").focus()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")
