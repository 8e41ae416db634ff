"""How many people of each stakeholder group were invited, typed in the TUI (``I``): the audit
then sets who came against who was invited (``SessionInfo.invited``, saved with
``SessionStore.set_invited``; ``facilitator new --invited`` says the same from the command
line)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label

from facilitator.core.templates import Template
from facilitator.session.documents import MAX_ROOM_SIZE
from facilitator.tui.i18n import _, group_name
from facilitator.tui.screens.dialogs import _Dialog


class InvitedDialog(_Dialog[dict[str, int]]):
    """One number per stakeholder group of the template; empty or 0: not said. Dismisses with
    every group's number (those not said left out), or None when cancelled."""

    DEFAULT_CSS = """
    InvitedDialog .invited-row { height: auto; }
    InvitedDialog .invited-name { width: 1fr; padding: 1 1 0 0; }
    InvitedDialog .invited-number { width: 12; }
    """

    def __init__(self, template: Template, invited: dict[str, int]) -> None:
        super().__init__()
        self.template = template
        self.invited = invited

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_("How many of each group were invited?"), classes="dialog-title")
            yield Label(Text(_("Empty: not said. The audit sets the people present against "
                               "these numbers; nobody is named."), style="dim"))
            for group in self.template.groups:
                with Horizontal(classes="invited-row"):
                    yield Label(Text(group_name(self.template, group.id)),
                                classes="invited-name")
                    number = self.invited.get(group.id, 0)
                    yield Input(str(number) if number else "", id=f"invited-{group.id}",
                                classes="invited-number", max_length=6, type="integer",
                                placeholder="–")
            yield Label(id="problem", classes="problem")
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#problem").display = False
        self.query_one(".invited-number", Input).focus()

    def result(self) -> dict[str, int] | None:
        numbers: dict[str, int] = {}
        for group in self.template.groups:
            typed = self.query_one(f"#invited-{group.id}", Input).value.strip()
            if not typed:
                continue
            number = int(typed) if typed.isascii() and typed.isdigit() else -1
            if not 0 <= number <= MAX_ROOM_SIZE:
                self.problem(_("“{group}”: type a number of people from 0 to {most}, or leave "
                               "it empty.").format(group=group_name(self.template, group.id),
                                                   most=MAX_ROOM_SIZE))
                self.query_one(f"#invited-{group.id}", Input).focus()
                return None
            if number:
                numbers[group.id] = number
        return numbers

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()
