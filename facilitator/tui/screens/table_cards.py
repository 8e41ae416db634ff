"""The joining dialog (key c): how many people are in the room, the session's tables, the table
cards with how many devices joined with each, revoking a card (asked first: a printed card stops
working), printing the cards, and the wall's address."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from facilitator.core.joining import (
    ROTATE_S,
    TablesRefused,
    card_issue,
    card_tables,
    joined_with_card,
    table_names,
)
from facilitator.session.documents import MAX_ROOM_SIZE
from facilitator.session.store import SessionStore
from facilitator.tui.i18n import _, ngettext
from facilitator.tui.refusals import said
from facilitator.tui.screens.dialogs import (
    TABLES_HINT,
    ConfirmDialog,
    tables_problem,
    tables_text,
)


class TableCardsDialog(ModalScreen[None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="joining.close"),
    ]

    def __init__(self, store: SessionStore, *, wall_url: Callable[[], str | None],
                 print_cards: Callable[[], None]) -> None:
        super().__init__()
        self.store = store
        self.tables = card_tables(store.info)
        self._wall_url = wall_url
        self._print_cards = print_cards

    @property
    def wall_url(self) -> str | None:
        """The wall's address while the participant page runs."""
        return self._wall_url()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(_("Joining"), classes="dialog-title")
            yield Static(id="joining-state")
            yield Static(_("People in the room (empty: not said; you are warned when devices "
                           "outnumber them)"), classes="section")
            with Horizontal(classes="row"):
                people = self.store.info.room_size
                yield Input(str(people) if people else "", id="people", type="integer")
                yield Button(_("Save"), id="save-people")
            yield Static(_(TABLES_HINT), classes="section")
            with Horizontal(classes="row"):
                yield Input(tables_text(self.store.info.tables), id="tables")
                yield Button(_("Save"), id="save-tables")
            yield Static(_("Table cards (each has its own code; a revoked card admits no new "
                           "device, the devices that joined with it keep working)"),
                         classes="section")
            yield OptionList(id="cards")
            yield Label(id="problem", classes="problem")
            with Horizontal(classes="buttons"):
                yield Button(_("Revoke card"), id="revoke", variant="error")
                yield Button(_("Print table cards"), id="print")
                yield Button(_("Close"), id="close")

    def on_mount(self) -> None:
        self.query_one("#problem").display = False
        self.show()
        self.query_one("#people", Input).focus()  # typing the number of people goes there

    def show(self) -> None:
        store = self.store
        closed = store.round_state(store.current_round.id).joining_closed
        state = Text()
        state.append(_("Joining is closed for this round (J opens it).") if closed
                     else _("Joining is open (J closes it for this round)."),
                     style="bold yellow" if closed else "bold")
        state.append("\n" + _("The room's code, in the QR code, changes every {minutes} "
                              "minutes.").format(minutes=round(ROTATE_S / 60)))
        if self.wall_url:
            state.append("\n" + _("The wall, for the projector: "))
            state.append(self.wall_url, style="bold")
        self.query_one("#joining-state", Static).update(state)
        joined = Counter(p.joined_with for p in store.participants())
        cards = self.query_one("#cards", OptionList)
        highlighted = cards.highlighted
        cards.clear_options()
        for table in self.tables:
            issue = card_issue(store.info, table)
            label = _("Table {table}").format(table=table) if table else _("The session's card")
            line = Text(f"{label} · " + _("card {number}").format(number=issue + 1))
            if issue:
                line.append(" " + _("(the earlier ones are revoked)"), style="dim")
            devices = joined[joined_with_card(table)]
            line.append(" · " + ngettext("{n} device joined with it",
                                         "{n} devices joined with it", devices).format(n=devices))
            cards.add_option(Option(line))
        if highlighted is not None:
            cards.highlighted = highlighted

    def problem(self, message: str) -> None:
        label = self.query_one("#problem", Label)
        label.update(Text(message))
        label.display = bool(message)

    def _write(self, work: Awaitable[Any], done: str) -> None:
        """A store call; what was not done is said here, in the dialog."""

        async def run() -> None:
            try:
                await work
            except Exception as exc:  # a bug must not end a live session: said, and logged
                self.problem(_("Not done: {reason}").format(reason=said(exc)))
                return
            self.problem("")
            self.show()
            self.notify(done, timeout=5, markup=False)

        self.run_worker(run(), group="joining", exit_on_error=False)

    @on(Button.Pressed, "#save-people")
    @on(Input.Submitted, "#people")
    def save_people(self) -> None:
        typed = self.query_one("#people", Input).value.strip()
        people = int(typed) if typed.isascii() and typed.isdigit() else -1 if typed else 0
        if not 0 <= people <= MAX_ROOM_SIZE:
            self.problem(_("Type how many people are in the room (a whole number), or "
                           "nothing."))
            return
        self._write(self.store.update_session(room_size=people),
                    _("People in the room: {n}.").format(n=people) if people
                    else _("People in the room: not said."))

    @on(Button.Pressed, "#save-tables")
    @on(Input.Submitted, "#tables")
    def save_tables(self) -> None:
        try:
            tables = table_names(self.query_one("#tables", Input).value)
        except TablesRefused as refused:
            self.problem(tables_problem(refused))
            return

        async def change() -> None:
            await self.store.set_tables(tables)
            self.tables = card_tables(self.store.info)

        self._write(change(), ngettext("{n} table: print the cards again for the new ones.",
                                       "{n} tables: print the cards again for the new ones.",
                                       len(tables)).format(n=len(tables)) if tables
                    else _("No tables: one card for the whole room."))

    @on(Button.Pressed, "#revoke")
    def revoke(self) -> None:
        """Revoke the chosen card, once the facilitator said yes: a card on a table stops
        letting new phones in."""
        index = self.query_one("#cards", OptionList).highlighted
        if index is None:
            self.problem(_("Choose a card first."))
            return
        table = self.tables[index]
        card = _("the card of table {table}").format(table=table) if table \
            else _("the session's card")
        question = _("Revoke {card}? The printed card stops letting new phones in (the phones "
                     "that joined with it keep working); print the cards again for a new "
                     "one.").format(card=card)

        def answered(yes: bool | None) -> None:
            if yes:
                self._write(self.store.revoke_card(table),
                            _("Card revoked: its code admits no new device. Print the cards "
                              "again for a new one."))

        self.app.push_screen(ConfirmDialog(question, yes=_("Revoke"), no=_("Keep")), answered)

    @on(Button.Pressed, "#print")
    def print_table_cards(self) -> None:
        self._print_cards()

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)
