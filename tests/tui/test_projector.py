"""What the room sees on the facilitator's screen (issue 19): the round's question whole after
every round change, and the screen's items that a day runs on."""

from __future__ import annotations

import webbrowser
from typing import Any

import pytest
from rich.text import Text
from textual.command import CommandPalette
from textual.widgets import Input, MarkdownViewer, Static
from tui_helpers import feed, in_process_host, plain, settle

from facilitator.core.model import Source
from facilitator.session.store import SessionStore
from facilitator.tui.app import FacilitatorApp
from facilitator.tui.i18n import loc
from facilitator.tui.screens.dialogs import ConfirmDialog
from facilitator.tui.screens.organiser import OrganiserScreen
from facilitator.tui.screens.session import SessionScreen
from facilitator.tui.widgets.agenda import Agenda
from facilitator.tui.widgets.keybar import KeyBar

SIZE = (160, 45)


def question_lines(app: Any) -> tuple[int, int]:
    """How many lines the question above the feed takes on screen, and how many it needs."""
    prompt = app.screen.query_one("#prompt", Static)
    width = prompt.content_region.width
    needed = len(Text(loc(app.screen.spec.prompt)).wrap(app.console, width))
    return prompt.content_region.height, needed


async def test_the_whole_question_after_each_round_change(make_app: Any,
                                                          store: SessionStore) -> None:
    """After ] the new round's question shows whole, however many lines it takes, and after
    [ the shorter one takes its own height again (no relayout waited for a resize)."""
    await store.go_to_round(0)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shown, needed = question_lines(app)
        assert shown == needed
        for key in ("right_square_bracket", "right_square_bracket", "left_square_bracket"):
            before = app.screen.round_index
            await pilot.press(key, "y")
            await settle(pilot)
            assert app.screen.round_index != before
            shown, needed = question_lines(app)
            assert needed >= 2 or key == "left_square_bracket"
            assert shown == needed, (app.screen.spec.id, shown, needed)


# -- the wall on the projector -----------------------------------------------------------------


@pytest.fixture
def browser_opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The addresses the app asked this laptop's browser to open (no browser is started)."""
    opened: list[str] = []

    def open_in_browser(url: str, new: int = 0, autoraise: bool = True) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr(webbrowser, "open", open_in_browser)
    monkeypatch.setenv("DISPLAY", ":0")  # a desktop to open it on (Linux without one: none)
    return opened


async def test_w_opens_the_wall_and_this_screen_becomes_the_facilitators_own(
        make_app: Any, session: SessionStore, browser_opened: list[str]) -> None:
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionScreen) and screen.projected
        assert "W opens the wall" in plain(screen.query_one("#join"))
        await pilot.press("W")
        await settle(pilot)
        assert browser_opened == [app.server.wall_url]
        assert app.wall_open and not screen.projected  # the room sees the wall
        assert any("full screen" in n.message for n in app.notified)
        header = plain(screen.query_one("#round-line", Static))
        assert "the room sees the wall" in header
        assert "W opens the wall" not in plain(screen.query_one("#join"))
        await pilot.press("P")  # the facilitator says this terminal is projected after all
        await settle(pilot)
        assert screen.projected
        assert "The wall is open as well" in app.notified[-1].message
        await pilot.press("P")
        await settle(pilot)
        assert not screen.projected and "The room sees the wall" in app.notified[-1].message


async def test_run_wall_opens_the_wall_once_the_participant_page_runs(
        library: Any, templates: Any, session: SessionStore,
        browser_opened: list[str]) -> None:
    app = FacilitatorApp(library, templates, store=session, lang="en",
                         host_factory=in_process_host(), open_wall=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert browser_opened == [app.server.wall_url]
        assert not app.screen.projected


async def test_no_browser_says_where_the_wall_is(
        make_app: Any, session: SessionStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webbrowser, "open", lambda *args, **kwargs: False)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("W")
        await settle(pilot)
        assert not app.wall_open and app.screen.projected
        assert app.server.wall_url in app.notified[-1].message


async def test_k_asks_first_on_a_projected_screen_only(make_app: Any, session: SessionStore,
                                                       browser_opened: list[str]) -> None:
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")  # not now: no secret on the screen
        await settle(pilot)
        assert isinstance(app.screen, SessionScreen)
        assert session.info.organiser_secret not in app.export_screenshot()
        await pilot.press("W")  # the wall goes on the projector: this is the own screen
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        assert isinstance(app.screen, OrganiserScreen)


# -- the key bar, the agenda, the groups on the own screen -------------------------------------


def key_bar_text(app: Any) -> str:
    return plain(app.screen.query_one(KeyBar))


@pytest.mark.parametrize("lang", ["en", "nl"])
@pytest.mark.parametrize("width", [120, 160])
async def test_the_keys_the_day_runs_on_are_in_the_key_bar(
        make_app: Any, store: SessionStore, width: int, lang: str) -> None:
    await store.go_to_round(1)  # bottlenecks: input, voting, results
    app = make_app(store, lang=lang)
    async with app.run_test(size=(width, 40)) as pilot:
        await settle(pilot)
        bar = key_bar_text(app)
        for key in (" o ", " v ", " w ", " ] ", " j ", " ? "):
            assert key in bar, (key, bar)
        assert " d " not in bar and " y " not in bar  # not in this round
        await store.go_to_round(4)  # the distillation round: moderated, the chair's lines
        await settle(pilot)
        bar = key_bar_text(app)
        assert " d " in bar and " v " not in bar
        assert " y " in bar  # the day's keys win over help's name (issue 19)
        assert bar.rstrip().endswith((" ctrl+p ", "ctrl+p  all commands",
                                      "ctrl+p  alle opdrachten"))


async def test_the_agenda_keeps_the_current_round_in_view(make_app: Any,
                                                          store: SessionStore) -> None:
    await store.go_to_round(len(store.template.rounds) - 1)  # the last round of the day
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        agenda = app.screen.query_one(Agenda)
        shown = agenda.scrollable_content_region.height
        top = agenda.scroll_offset.y
        current = agenda.highlighted
        assert current == len(store.template.rounds) - 1
        lines_before = 2 * current  # a round takes two lines
        assert top <= lines_before and lines_before + 2 <= top + shown, (top, shown)


async def test_a_paper_cards_group_on_the_facilitators_own_screen(
        make_app: Any, session: SessionStore) -> None:
    """A card typed in for the municipality: its group is withheld on a screen the room may
    see (three of them at most: a pool), and shown on the facilitator's own screen (P)."""
    card = await session.add_contribution("knelpunten", "Van een papieren kaart",
                                          source=Source.TUI, stakeholder="municipality",
                                          table_group="A")
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = feed(app)
        assert table.get_cell(card.id, "who").plain == "A · ···"
        await pilot.press("P")
        await settle(pilot)
        assert table.get_cell(card.id, "who").plain == "A · Municipality"
        assert app.screen.detail is not None and app.screen.detail.group == "Municipality"
        await pilot.press("P")
        await settle(pilot)
        assert table.get_cell(card.id, "who").plain == "A · ···"


async def test_the_report_preview_scrolls_without_tab(make_app: Any, session: SessionStore,
                                                      add: Any) -> None:
    for n in range(30):
        await add(f"Knelpunt nummer {n} met genoeg tekst om een regel te vullen")
    app = make_app(session)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        for _ in range(100):
            await pilot.pause(0.05)
            if app.screen.query(MarkdownViewer):
                break
        await settle(pilot)
        viewer = app.screen.query_one(MarkdownViewer)
        assert viewer.has_focus
        await pilot.press("pagedown", "down")
        await settle(pilot)
        assert viewer.scroll_y > 0


async def test_the_palette_searches_in_dutch(make_app: Any, session: SessionStore) -> None:
    app = make_app(session, lang="nl")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        assert app.screen.query_one(Input).placeholder == "Zoek een opdracht…"
