"""Snapshots of the main screens (pytest-textual-snapshot): the session screen in Dutch and
English, the audit view, the home screen, the feed after add, merge, vote and hide, a round
change being confirmed, the help with its legend, and the quit dialog. Timers are paused, the
clock and the join token fixed, so the pictures are stable. Update with
``pytest tests/tui --snapshot-update``."""

from __future__ import annotations

import asyncio
import time
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from machine import UNDER_WINE, within
from rich.text import Text
from tui_helpers import FROZEN_NOW, in_process_host, started_when_run

from facilitator.core.model import Source
from facilitator.demo import SAMPLE, fill_demo
from facilitator.session.library import Library, Templates
from facilitator.session.store import SessionStore
from facilitator.tui.app import FacilitatorApp
from facilitator.tui.widgets.feed import FeedTable
from facilitator.web import addresses, server
from facilitator.web.capacity import OpenFiles

SIZE = (160, 45)
PHONES_REACH = "http://192.168.1.20:8080"
"""Where the room is told to go (``--public-url``): the same in every picture."""


@pytest.fixture(autouse=True)
def same_laptop_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pictures show the real host's participant page, so what differs from one machine to
    the next is fixed: its other network addresses (none) and its open-files limit."""
    monkeypatch.setattr(addresses, "lan_candidates", lambda: [])
    monkeypatch.setattr(server, "open_files", lambda loop=None: OpenFiles(4096, 1024, 4096))


def demo_session(library: Library, templates: Templates, *, round_index: int | None = None) -> Path:
    """The demo session, with fixed token and paused timers (optionally at another round)."""
    session_id = "kennisatelier-snapshot"  # a fixed name: the quit dialog shows it
    library.writable_folder()
    store = SessionStore.create(library.path_for(session_id), templates.load("kennisatelier"),
                                session_id=session_id, title="Kennisatelier Utrecht",
                                lang="nl", join_token="snapshot-token-0123456789abcdef",
                                place="Utrecht")

    async def fill() -> None:
        try:
            await store.update_session(secret="snapshot-secret")  # the same room code each time
            await fill_demo(store, tomllib.loads(SAMPLE.read_text(encoding="utf-8")))
            if round_index is not None:
                await store.go_to_round(round_index)
            for spec in store.template.rounds:
                await store.set_timer(spec.id, running=False, reset=True)
        finally:
            await store.close()

    asyncio.run(fill())
    return store.path


def session_app(library: Library, templates: Templates, path: Path, lang: str) -> FacilitatorApp:
    app = FacilitatorApp(library, templates, store=SessionStore.open(path), lang=lang,
                         host_factory=in_process_host(public_url=PHONES_REACH,
                                                      clock=lambda: FROZEN_NOW),
                         clock=lambda: FROZEN_NOW)
    started_when_run(app)
    return app


async def _settle(pilot: Any) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def _until(pilot: Any, done: Callable[[], bool], what: str) -> None:
    """Let the app run until ``done()``: the host's commit has reached the screen."""
    deadline = time.monotonic() + within(30)
    while not done():
        assert time.monotonic() < deadline, f"the screen never showed {what}"
        await pilot.pause(0.02)
    await _settle(pilot)


def _feed_shows(table: FeedTable, ids: Iterable[int]) -> bool:
    """Whether the feed's rows of ``ids`` show the session as the screen's copy holds it."""
    for cid in ids:
        fresh = table.source.cells(cid)
        for column in ("text", "who", "theme", "votes", "status"):
            cell = table.get_cell(cid, column)
            if cell is None or cell.plain != fresh.get(column, Text("")).plain:
                return False
    return True


def _merged(store: SessionStore, ids: Iterable[int], into: int) -> bool:
    return all((item := store.contribution(cid)) is not None and item.merged_into == into
               for cid in ids)


def _hidden(store: SessionStore, cid: int) -> bool:
    item = store.contribution(cid)
    return item is not None and item.hidden


def _detail_of(app: FacilitatorApp, cid: int) -> bool:
    detail = getattr(app.screen, "detail", None)
    return detail is not None and detail.id == cid


def test_session_screen_dutch(snap_compare: Any, library: Library, templates: Templates) -> None:
    app = session_app(library, templates, demo_session(library, templates), "nl")
    assert snap_compare(app, terminal_size=SIZE, run_before=_settle)


def test_session_screen_english(snap_compare: Any, library: Library,
                                templates: Templates) -> None:
    app = session_app(library, templates, demo_session(library, templates), "en")
    assert snap_compare(app, terminal_size=SIZE, run_before=_settle)


def test_session_screen_narrow(snap_compare: Any, library: Library,
                               templates: Templates) -> None:
    app = session_app(library, templates, demo_session(library, templates), "nl")
    assert snap_compare(app, terminal_size=(120, 35), run_before=_settle)


def test_audit_view(snap_compare: Any, library: Library, templates: Templates) -> None:
    app = session_app(library, templates, demo_session(library, templates, round_index=3), "en")

    assert snap_compare(app, terminal_size=SIZE, run_before=_settle)  # it opens on the audit


def test_home_screen(snap_compare: Any, library: Library, templates: Templates) -> None:
    app = FacilitatorApp(library, templates, lang="en", clock=lambda: FROZEN_NOW)
    assert snap_compare(app, terminal_size=SIZE, run_before=_settle)


@pytest.mark.xfail(UNDER_WINE, strict=False, reason=(
    "under Wine the detail of the hidden card #43 shows 'merged into #83' (in 4 of 6 runs): the "
    "keys pressed before the screen caught up act on another row, or the detail lags the "
    "cursor; a question for the screen, reported with the Windows lane"))
def test_feed_after_add_merge_vote_and_hide(snap_compare: Any, library: Library,
                                            templates: Templates) -> None:
    """The bottleneck round's feed after a paper card is added, two cards are merged (space,
    m), a phone votes and one card is hidden: the marks, counts, votes and badges as drawn."""
    path = demo_session(library, templates, round_index=1)
    app = session_app(library, templates, path, "en")

    async def work(pilot: Any) -> None:
        await _settle(pilot)
        store = app.store
        assert store is not None
        table = app.screen.query_one(FeedTable)
        await store.update_round("knelpunten", submissions_open=True, voting_open=True)
        card = await store.add_contribution("knelpunten", "Paper card: the forms are only in "
                                            "Dutch", source=Source.TUI)
        # Each key acts on what the feed shows: wait for the screen to show each change (with
        # the host it comes a frame or more after the store has it), not for a fixed time.
        await _until(pilot, lambda: table.current_id == card.id, "the card under the cursor")
        await pilot.press("up", "space", "up", "space")
        marked = set(table.marked)
        assert len(marked) == 2, marked
        table.select_id(card.id)
        await pilot.press("m")
        await _until(pilot, lambda: _merged(store, marked, card.id)
                     and _feed_shows(table, [*marked, card.id]), "the merge in the feed")
        shown = await store.ballot_items("snapshot-voter", "knelpunten")  # its own sample
        await store.cast_ballot("snapshot-voter", "knelpunten", {shown[0].id: 2})
        await _until(pilot, lambda: _feed_shows(table, [shown[0].id]), "the vote in the feed")
        await pilot.press("up", "up", "up")
        under = table.current_id
        assert under is not None
        await pilot.press("h")
        await _until(pilot, lambda: _hidden(store, under) and _feed_shows(table, [under])
                     and _detail_of(app, under), "the hidden card in the feed and its detail")
        app.clear_notifications()  # the feed is the picture, not how long a toast stays up
        await _settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=work)


def test_round_change_asks_first(snap_compare: Any, library: Library,
                                 templates: Templates) -> None:
    app = session_app(library, templates, demo_session(library, templates), "nl")

    async def ask(pilot: Any) -> None:
        await _settle(pilot)
        await pilot.press("right_square_bracket")
        await _settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=ask)


def test_the_whole_question_after_next_round(snap_compare: Any, library: Library,
                                             templates: Templates) -> None:
    """After ] and yes, the next round's question stands whole above the feed (it was cut to
    its first line until a resize)."""
    app = session_app(library, templates, demo_session(library, templates, round_index=0), "nl")

    async def next_round(pilot: Any) -> None:
        await _settle(pilot)
        await pilot.press("right_square_bracket", "y")
        await _settle(pilot)
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=next_round)


def test_help_and_legend(snap_compare: Any, library: Library, templates: Templates) -> None:
    app = session_app(library, templates, demo_session(library, templates), "en")

    async def help(pilot: Any) -> None:
        await _settle(pilot)
        await pilot.press("question_mark")
        await _settle(pilot)

    assert snap_compare(app, terminal_size=(160, 60), run_before=help)


def test_quit_dialog(snap_compare: Any, library: Library, templates: Templates) -> None:
    app = session_app(library, templates, demo_session(library, templates), "nl")

    async def quit(pilot: Any) -> None:
        await _settle(pilot)
        await pilot.press("ctrl+q")
        await _settle(pilot)
        await pilot.press("left")  # the arrow keys move between the buttons
        await _settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=quit)
