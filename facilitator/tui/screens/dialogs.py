"""Dialogs, each a typed ``ModalScreen[T]`` that dismisses with its result (None: cancelled)."""

from __future__ import annotations

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

from facilitator.core.templates import Template
from facilitator.core.text import MAX_TITLE_CHARS
from facilitator.tui.i18n import _, group_name, parse_date

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


class TextDialog(_Dialog[str]):
    """One text: a note, a theme name, an edited contribution."""

    def __init__(self, title: str, *, initial: str = "", multiline: bool = True) -> None:
        super().__init__()
        self.title_text = title
        self.initial = initial
        self.multiline = multiline

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


class ActionDialog(_Dialog[ActionInput]):
    """Turn an idea or a tip into an action with an owner and a date."""

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self.initial = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_("Action"), classes="dialog-title")
            yield TextArea(self.initial, id="text", soft_wrap=True)
            yield Label(_("Owner (who will do it)"))
            yield Input(id="owner", max_length=MAX_TITLE_CHARS)
            yield Label(_("Date (day-month-year, optional)"))
            yield Input(id="due", placeholder="31-12-2026")
            yield Label(id="problem", classes="problem")
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#problem").display = False
        self.query_one("#owner" if self.initial else "#text").focus()

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


class ThemePicker(_Dialog[int]):
    """Choose a theme (or none) to sort contributions into."""

    def __init__(self, themes: list[tuple[int, str]], *, title: str = "",
                 none: bool = True) -> None:
        super().__init__()
        self.themes = themes
        self.title_text = title or _("Sort into which theme?")
        self.none = none
        """Offer "(no theme)" too."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self.title_text), classes="dialog-title")
            options = [Option(Text(name), id=str(theme_id)) for theme_id, name in self.themes]
            if self.none:
                options.append(Option(Text(_("(no theme)"), style="italic"), id=str(NO_THEME)))
            yield OptionList(*options, id="themes")
            yield from self.buttons(_("Choose"))

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def result(self) -> int | None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return None
        option_id = options.get_option_at_index(options.highlighted).id
        return int(option_id or NO_THEME)

    @on(OptionList.OptionSelected)
    def _chosen(self) -> None:
        self.action_save()


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


class LineDialog(_Dialog[LineInput]):
    """One of the day chair's lines in a distillation round, addressed to a stakeholder side."""

    def __init__(self, template: Template) -> None:
        super().__init__()
        self.template = template

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(_("A line from the day chair"), classes="dialog-title")
            yield Label(_("To whom? (space ticks one or more groups)"))
            yield SelectionList[str](
                *[Selection(Text(group_name(self.template, g.id)), g.id)
                  for g in self.template.groups],
                id="groups",
            )
            yield Label(_("The line"))
            yield TextArea(id="text", soft_wrap=True)
            yield Label(id="problem", classes="problem")
            yield from self.buttons()

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
