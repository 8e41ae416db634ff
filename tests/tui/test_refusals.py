"""One sentence for each refusal, in the TUI's language, and one place that reports a failed
store call: the app's worker-error handler."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Label
from tui_helpers import settle

from facilitator.core.errors import Reason
from facilitator.session import files
from facilitator.session.store import SessionStore
from facilitator.tui.i18n import _, set_language
from facilitator.tui.refusals import REFUSALS
from facilitator.tui.screens.session import SessionScreen
from facilitator.tui.screens.table_cards import TableCardsDialog

SIZE = (160, 45)


def test_every_reason_has_a_sentence_and_every_sentence_a_dutch_one() -> None:
    assert set(REFUSALS) == set(Reason)
    set_language("nl")
    try:
        dutch = {reason: _(sentence) for reason, sentence in REFUSALS.items()}
    finally:
        set_language("en")
    assert all(dutch[reason] != REFUSALS[reason] for reason in Reason), "translated"
    assert len(set(dutch.values())) == len(Reason), "one sentence per reason"


async def test_a_store_refusal_is_said_in_the_tuis_language(make_app,
                                                            session: SessionStore) -> None:
    app = make_app(session, lang="nl")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        screen.write(session.add_contribution(session.current_round.id, "   "))
        await settle(pilot)
        said = [n.message for n in app.notified]
        assert _(REFUSALS[Reason.EMPTY]) in said
        assert _(REFUSALS[Reason.EMPTY]) != REFUSALS[Reason.EMPTY]  # Dutch, not English
        assert not any(Reason.EMPTY.value in text for text in said), "not the reason's code"
        assert app.is_running
        set_language("en")


async def test_the_table_cards_dialog_says_why_without_the_stores_own_words(
        make_app, session: SessionStore, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, TableCardsDialog)
        dialog.query_one("#people", Input).value = "30"
        monkeypatch.setattr(files.os, "fsync", no_space)  # the disk refuses every save
        await pilot.press("tab")
        dialog.save_people()
        await settle(pilot)
        problem = dialog.query_one("#problem", Label)
        shown = " ".join(str(problem.render()).split())
        assert problem.display and "could not be written" in shown
        assert str(session.path) not in shown, "not the store's English message"
        assert session.info.room_size != 30
        monkeypatch.undo()


def test_no_screen_flow_or_widget_shows_an_exceptions_own_text() -> None:
    """Screens, flows and widgets word a refusal with :func:`facilitator.tui.refusals.refusal`:
    no ``str(exc)`` reaches a notice or a dialog from them."""
    import facilitator.tui

    root = Path(facilitator.tui.__file__).parent
    found: list[Any] = []
    for part in ("screens", "widgets"):  # the flows are in screens/flows
        for path in (root / part).rglob("*.py"):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if "str(exc)" in line or "=exc)" in line:
                    found.append((path.relative_to(root), number, line.strip()))
    assert found == []
