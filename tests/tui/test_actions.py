"""Pilot tests: every facilitator action, by keyboard, on a real session store."""

from __future__ import annotations

import errno
import io
from typing import Any

import pytest
from textual.widgets import Input, Label, OptionList, Static, TextArea
from tui_helpers import TRICKY, feed, row_texts, settle
from tui_helpers import plain as _plain

import facilitator.session.files as files
from facilitator.core.model import Flag, Source
from facilitator.session.files import read_sidecar, view_path
from facilitator.session.store import SessionStore
from facilitator.tui.screens.dialogs import (
    ActionDialog,
    ConfirmDialog,
    ContributionDialog,
    LinkPicker,
    TextDialog,
    ThemeDialog,
    ThemePicker,
)
from facilitator.tui.screens.help import HelpScreen
from facilitator.tui.screens.join_code import JoinCodeScreen
from facilitator.tui.screens.session import VIEW_ROUND, SessionScreen
from facilitator.tui.widgets.header import RoundHeader
from facilitator.tui.widgets.round_view import RoundView

SIZE = (160, 45)




async def test_participant_text_is_shown_literally(make_app, session: SessionStore, add) -> None:
    for text in TRICKY:
        await add(text)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert row_texts(app) == TRICKY
        await add("live: [/] [@click=app.quit]x[/]")
        await settle(pilot)
        assert row_texts(app)[-1] == "live: [/] [@click=app.quit]x[/]"
        detail = app.screen.query_one("#detail", Static)
        assert "[@click=app.quit]x[/]" in _plain(detail)
        await pilot.press("w")
        await settle(pilot)
        assert "[@click=app.quit]klik hier[/]" in _plain(app.screen.query_one(RoundView)
                                                          .query_one(Static))
        assert app.is_running


async def test_contribution_appears_as_it_arrives(make_app, session: SessionStore, add) -> None:
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert feed(app).row_count == 0
        item = await add("Te weinig tijd voor elkaar")
        await settle(pilot)
        assert row_texts(app) == ["Te weinig tijd voor elkaar"]
        assert feed(app).current_id == item.id


async def test_add_contribution_from_a_paper_card(make_app, session: SessionStore) -> None:
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, ContributionDialog)
        app.screen.query_one(TextArea).text = "Van een papieren kaartje [/]"
        await pilot.press("ctrl+s")
        await settle(pilot)
        items = session.contributions("knelpunten")
        assert [(c.text, c.source) for c in items] == [("Van een papieren kaartje [/]", "tui")]
        assert row_texts(app) == ["✎ Van een papieren kaartje [/]"]


async def test_a_paper_card_stays_open_with_its_text_when_the_disk_fails(
        make_app, session: SessionStore, monkeypatch: pytest.MonkeyPatch) -> None:
    card = "Een kaartje dat niet verloren mag gaan"
    real_fsync = files.os.fsync

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ContributionDialog)
        dialog.query_one(TextArea).text = card
        monkeypatch.setattr(files.os, "fsync", no_space)  # the disk refuses every save
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dialog, "the dialog stays open"
        assert dialog.query_one(TextArea).text == card, "with the text as typed"
        problem = dialog.query_one("#problem", Label)
        assert problem.display
        assert "could not be written" in " ".join(_plain(problem).split())
        assert session.contributions("knelpunten") == []

        monkeypatch.setattr(files.os, "fsync", real_fsync)  # space again: the same card saves
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, ContributionDialog)
        assert [c.text for c in session.contributions("knelpunten")] == [card]


async def test_empty_paper_card_is_not_added(make_app, session: SessionStore) -> None:
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ContributionDialog)
        await pilot.press("escape")
        await settle(pilot)
        assert session.contributions() == []


async def test_edit_keeps_the_original(make_app, session: SessionStore, add) -> None:
    item = await add("Eerste versie")
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, TextDialog)
        assert app.screen.query_one(TextArea).text == "Eerste versie"
        app.screen.query_one(TextArea).text = "Tweede versie"
        await pilot.press("ctrl+s")
        await settle(pilot)
        edited = session.contribution(item.id)
        assert edited is not None
        assert (edited.text, edited.original_text) == ("Tweede versie", "Eerste versie")
        assert row_texts(app) == ["Tweede versie"]


async def test_hide_and_restore(make_app, session: SessionStore, add) -> None:
    item = await add("Iets kwetsends")
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("h")
        await settle(pilot)
        assert session.contribution(item.id).hidden  # type: ignore[union-attr]
        assert "hidden" in feed(app).get_cell(str(item.id), "status").plain  # type: ignore[union-attr]
        await pilot.press("h")
        await settle(pilot)
        assert not session.contribution(item.id).hidden  # type: ignore[union-attr]


async def test_approve_in_a_moderated_round(make_app, session: SessionStore, add) -> None:
    await session.go_to_round(4)  # oogst: moderated
    item = await add("Tip: bel eerst")
    assert not item.approved
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "to approve" in feed(app).get_cell(str(item.id), "status").plain  # type: ignore[union-attr]
        await pilot.press("y")
        await settle(pilot)
        assert session.contribution(item.id).approved  # type: ignore[union-attr]
        assert "to approve" not in feed(app).get_cell(str(item.id), "status").plain  # type: ignore[union-attr]


async def test_merge_duplicates_keeps_originals(make_app, session: SessionStore, add) -> None:
    first = await add("Regels te ingewikkeld")
    second = await add("Subsidieregels te complex")
    third = await add("Te veel regels")
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        table = feed(app)
        table.select_id(second.id)
        await pilot.press("space")
        assert table.current_id == second.id  # marking leaves the cursor where it is
        await pilot.press("down", "space")
        table.select_id(first.id)
        await pilot.pause()
        detail = _plain(app.screen.query_one("#detail", Static))
        assert f"2 marked: m merges them into this one (#{first.id})" in detail
        await pilot.press("m")
        await settle(pilot)
        assert [c.id for c in session.merged_into(first.id)] == [second.id, third.id]
        assert session.contribution(second.id).text == "Subsidieregels te complex"  # type: ignore[union-attr]
        assert f"→ #{first.id}" in table.get_cell(str(second.id), "status").plain  # type: ignore[union-attr]
        assert table.marked == set()
        await pilot.pause(0.4)
        assert "×3" in table.get_cell(str(first.id), "status").plain  # type: ignore[union-attr]
        table.select_id(second.id)
        await pilot.press("u")
        await settle(pilot)
        assert session.contribution(second.id).merged_into == 0  # type: ignore[union-attr]
        await pilot.pause(0.4)
        assert "×2" in table.get_cell(str(first.id), "status").plain  # type: ignore[union-attr]
        table.select_id(first.id)  # undo from the card the others were merged into
        await pilot.press("u")
        await settle(pilot)
        assert session.merged_into(first.id) == []
        await pilot.pause(0.2)
        assert "×" not in table.get_cell(str(first.id), "status").plain  # type: ignore[union-attr]


async def test_themes_create_rename_and_sort(make_app, session: SessionStore, add) -> None:
    item = await add("Ambtelijke taal")
    suggested = [t.name for t in session.themes("knelpunten")]
    assert suggested == [t["nl"] for t in session.template.round("knelpunten").themes]
    assert suggested  # the template's themes are there as soon as the round starts
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, TextDialog)
        assert app.screen.query_one(Input).value == ""  # every suggestion exists already
        app.screen.query_one(Input).value = "Taal"
        await pilot.press("enter")
        await settle(pilot)
        theme = session.themes("knelpunten")[-1]
        assert theme.name == "Taal"
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, ThemePicker)
        app.screen.query_one(OptionList).highlighted = len(suggested)
        await pilot.press("enter")
        await settle(pilot)
        assert session.contribution(item.id).theme_id == theme.id  # type: ignore[union-attr]
        assert feed(app).get_cell(str(item.id), "theme").plain == "Taal"  # type: ignore[union-attr]
        await pilot.press("T")
        await pilot.pause()
        assert isinstance(app.screen, ThemePicker)
        app.screen.query_one(OptionList).highlighted = len(suggested)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ThemeDialog)
        app.screen.query_one(Input).value = "Taal en jargon [/]"
        await pilot.press("enter")
        await settle(pilot)
        assert session.theme(theme.id).name == "Taal en jargon [/]"  # type: ignore[union-attr]
        await pilot.pause(0.1)
        assert feed(app).get_cell(str(item.id), "theme").plain == "Taal en jargon [/]"  # type: ignore[union-attr]
        # A template theme nobody needs can go: its contributions are unsorted.
        await session.update_contributions([item.id], theme_id=session.themes("knelpunten")[0].id)
        await pilot.press("T")
        await pilot.pause()
        await pilot.press("enter")  # the first theme
        await pilot.pause()
        await pilot.click("#remove")
        await settle(pilot)
        assert [t.name for t in session.themes("knelpunten")] == [*suggested[1:],
                                                                  "Taal en jargon [/]"]
        assert session.contribution(item.id).theme_id == 0  # type: ignore[union-attr]
        await pilot.pause(0.1)
        assert feed(app).get_cell(str(item.id), "theme").plain == ""  # type: ignore[union-attr]


async def test_open_and_close_submissions_and_voting(make_app, session: SessionStore) -> None:
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        assert session.round_state("knelpunten").submissions_open
        await pilot.press("o")
        await settle(pilot)
        assert not session.round_state("knelpunten").submissions_open
        header = app.screen.query_one(RoundHeader).query_one("#round-line", Static)
        assert "input closed" in _plain(header)
        await pilot.press("v")
        await settle(pilot)
        assert session.round_state("knelpunten").voting_open
        assert "5 dots, at most 2 per item" in _plain(header)
        await pilot.press("v")
        await settle(pilot)
        assert not session.round_state("knelpunten").voting_open


async def test_voting_refused_in_a_round_without_voting(make_app, session: SessionStore) -> None:
    await session.go_to_round(3)  # aan-tafel: rule none
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v")
        await settle(pilot)
        assert not session.round_state("aan-tafel").voting_open


async def test_votes_show_in_the_feed(make_app, session: SessionStore, add) -> None:
    item = await add("Geen vaste contactpersoon", device="device-1")
    await session.update_round("knelpunten", voting_open=True)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await session.ballot_items("device-2", "knelpunten")
        await session.cast_ballot("device-2", "knelpunten", {item.id: 2})
        await settle(pilot)
        await pilot.pause(0.3)
        assert feed(app).get_cell(str(item.id), "votes").plain == "2"  # type: ignore[union-attr]


async def test_show_results_switches_to_the_round_view(make_app, session: SessionStore,
                                                       add) -> None:
    await add("Wantrouwen", device="device-3")
    await session.add_theme("knelpunten", "Vertrouwen")
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await settle(pilot)
        assert session.round_state("knelpunten").results_shown
        screen = app.screen
        assert isinstance(screen, SessionScreen) and screen.view == VIEW_ROUND
        text = _plain(screen.query_one(RoundView).query_one(Static))
        assert "Bottlenecks by theme" in text and "Wantrouwen" in text
        await pilot.press("w")
        assert screen.view != VIEW_ROUND


async def test_bottleneck_view_names_groups_above_the_threshold(
        make_app, session: SessionStore, add) -> None:
    # Two who prefer not to say join the funder: a pool of three, so nobody in it can be
    # picked out and the municipality may be named (facilitator.core.privacy).
    for device in ("quiet-1", "quiet-2"):
        await session.join(device, lang="nl")
    theme = await session.add_theme("knelpunten", "Geld")
    for device in ("device-0", "device-2", "device-6"):  # two municipality, one funder
        item = await add(f"Geld van {device}", device=device)
        await session.update_contributions([item.id], theme_id=theme.id)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("w")
        await settle(pilot)
        text = _plain(app.screen.query_one(RoundView).query_one(Static))
        assert "raised by: Municipality (2)" in text
        assert "Funder" not in text  # one person: never linked to what they said


async def test_ideas_link_flags_and_actions(make_app, session: SessionStore, add) -> None:
    bottleneck = await add("Subsidie te kort")
    await session.go_to_round(2)  # oplossingen
    idea = await add("Meerjarige subsidie", device="device-4")
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, LinkPicker)
        await pilot.press("space")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert session.contribution(idea.id).links == (bottleneck.id,)  # type: ignore[union-attr]
        await pilot.press("b", "p")
        await settle(pilot)
        flags = session.contribution(idea.id).flags  # type: ignore[union-attr]
        assert set(flags) == {Flag.BOLD.value, Flag.PRACTICAL.value}
        await pilot.press("x")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ActionDialog)
        assert dialog.query_one(TextArea).text == "Meerjarige subsidie"
        dialog.query_one("#owner", Input).value = "Gemeente Utrecht"
        dialog.query_one("#due", Input).value = "31-13-2026"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog  # a wrong date is refused, nothing stored
        assert session.actions() == []
        dialog.query_one("#due", Input).value = "31-12-2026"  # as a Dutch user types it
        await pilot.press("ctrl+s")
        await settle(pilot)
        [action] = session.actions()
        assert (action.owner, action.due, action.contribution_id) == (
            "Gemeente Utrecht", "2026-12-31", idea.id)
        assert "▶" in feed(app).get_cell(str(idea.id), "status").plain  # type: ignore[union-attr]
        await pilot.press("w")
        await settle(pilot)
        text = _plain(app.screen.query_one(RoundView).query_one(Static))
        assert "★ bold" in text and "Subsidie te kort" in text and "Gemeente Utrecht" in text


async def test_facilitator_note(make_app, session: SessionStore) -> None:
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await pilot.pause()
        app.screen.query_one(TextArea).text = "Tafel C had weinig tijd"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert [n.text for n in session.notes("knelpunten")] == ["Tafel C had weinig tijd"]


async def test_audit_view_flags_and_answers(make_app, session: SessionStore, add) -> None:
    await add("Wij zijn er", device="device-0")
    await session.go_to_round(3)
    await session.add_note("aan-tafel", "Jongeren ontbreken")
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.query_one(RoundView).display  # the audit round opens on the audit
        text = _plain(app.screen.query_one(RoundView).query_one(Static))
        assert "Who is at the table?" in text
        assert "Absent, and this group must be at the table: Person with lived experience" in text
        assert "Expected but absent: Civil-society organisation" in text
        assert "More than half of the voice: Municipality" not in text  # only one contribution
        assert "Jongeren ontbreken" in text
        await pilot.press("x")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ActionDialog)
        dialog.query_one(TextArea).text = "Jongerenwerk uitnodigen"
        dialog.query_one("#owner", Input).value = "Sanne"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.pause(0.8)
        text = _plain(app.screen.query_one(RoundView).query_one(Static))
        assert "Jongerenwerk uitnodigen" in text and "Sanne" in text


async def test_timer_pause_resume_and_add_minute(make_app, session: SessionStore) -> None:
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        before = session.round_state("knelpunten").duration_s
        await pilot.press("z")
        await settle(pilot)
        assert not session.round_state("knelpunten").timer_running
        await pilot.press("plus")
        await settle(pilot)
        assert session.round_state("knelpunten").duration_s == before + 60
        await pilot.press("z")
        await settle(pilot)
        assert session.round_state("knelpunten").timer_running


async def test_timer_colours_and_bell(make_app, session: SessionStore) -> None:
    now = [0.0]
    state = session.round_state("knelpunten")
    assert state.timer_started_at is not None
    now[0] = state.timer_started_at + state.duration_s - 30  # 30 s left
    app = make_app(session, clock=lambda: now[0])
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.6)
        timer = app.screen.query_one("#timer", Static)
        assert timer.has_class("last-minute") and "00:30" in _plain(timer)
        now[0] += 31
        await pilot.pause(0.6)
        assert timer.has_class("over")
        assert bells == [1]
        await pilot.pause(0.6)
        assert bells == [1]  # once


async def test_rounds_forward_back_and_agenda(make_app, session: SessionStore, add) -> None:
    await add("Knelpunt")
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right_square_bracket")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)  # never by accident: it asks, and says
        assert "Round 2 keeps its state for when you come back: input open, voting closed" \
            in dialog.question
        assert "Round 3 starts: input opens and its timer runs." in dialog.question
        await pilot.press("n")
        await settle(pilot)
        assert session.info.current_round == 1
        await pilot.press("right_square_bracket")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert session.info.current_round == 2
        assert session.round_state("oplossingen").submissions_open
        assert feed(app).row_count == 0
        await session.update_round("knelpunten", submissions_open=False)
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert "Round 2 comes back as you left it: input closed" in app.screen.question  # type: ignore[attr-defined]
        await pilot.press("y")
        await settle(pilot)
        assert session.info.current_round == 1
        assert row_texts(app) == ["Knelpunt"]
        await pilot.press("tab")  # tab never parks the focus in the agenda
        assert app.focused is not app.screen.query_one("#agenda")
        await pilot.press("A")
        agenda = app.screen.query_one("#agenda", OptionList)
        assert app.focused is agenda and "escape" in str(agenda.border_title)
        agenda.highlighted = 0
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert session.info.current_round == 0
        assert app.focused is feed(app)


async def test_reopen_round(make_app, session: SessionStore) -> None:
    await session.update_round("knelpunten", submissions_open=False, results_shown=True)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("O")
        await settle(pilot)
        state = session.round_state("knelpunten")
        assert state.submissions_open and not state.results_shown


async def test_filter_by_table(make_app, session: SessionStore, add) -> None:
    await add("Van tafel A", device="device-0")
    await add("Van tafel B", device="device-1")
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        await pilot.pause()
        assert row_texts(app) == ["Van tafel A"]
        await add("Nog een van B", device="device-3")
        await settle(pilot)
        assert row_texts(app) == ["Van tafel A"]
        await pilot.press("g")
        await pilot.pause()
        assert row_texts(app) == ["Van tafel B", "Nog een van B"]
        await pilot.press("g", "g")
        await pilot.pause()
        assert len(row_texts(app)) == 3


async def test_resume_where_it_was_left(make_app, session: SessionStore, add,
                                        library: Any) -> None:
    first = await add("Eerste", device="device-0")
    await add("Tweede", device="device-0")
    await add("Derde", device="device-1")
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        feed(app).select_id(first.id)
        await pilot.press("g", "w")
        await pilot.pause()
    assert read_sidecar(view_path(session.path)) == \
        {"view": VIEW_ROUND, "filter": "A", "selected": first.id}
    assert session.info.view_state == {}, "the view is the TUI's, not the session's"
    again = SessionStore.open(session.path)
    app = make_app(again)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        assert (screen.view, screen.feed_area.table_filter) == (VIEW_ROUND, "A")
        assert feed(app).current_id == first.id
        assert again.info.current_round == 1


async def test_quit_asks_while_a_round_is_open(make_app, session: SessionStore) -> None:
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen) and app.is_running
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
    assert app.return_code == 0
    assert session.closed


async def test_quit_without_asking_when_the_round_is_closed(make_app,
                                                            session: SessionStore) -> None:
    await session.update_round("knelpunten", submissions_open=False)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.server_ready
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0
    assert session.closed  # the host was stopped, and closed the session


async def test_help_screen_lists_every_binding(make_app, session: SessionStore) -> None:
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        descriptions = [d for _k, d in app.screen.keys]
        for binding in SessionScreen.BINDINGS:
            assert any(d.startswith(binding.description) for d in descriptions)  # type: ignore[union-attr]
            assert binding.id  # type: ignore[union-attr]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)


async def test_command_palette_offers_every_action(make_app, session: SessionStore) -> None:
    from facilitator.tui import actions

    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        names = [c.title for c in app.get_system_commands(app.screen)]
        for command in actions.SESSION:
            assert command.name in names
        assert {"Report preview", "Export report", "Quit"} <= set(names)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"new theme")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert isinstance(app.screen, TextDialog)


async def test_join_screen_full_screen(make_app, session: SessionStore) -> None:
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j")
        await pilot.pause()
        assert isinstance(app.screen, JoinCodeScreen)
        assert app.server is not None
        assert app.screen.url == app.server.room_link  # the room's link, not the long one
        assert "/r/" in app.screen.url
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)


async def test_language_defaults_to_the_session(make_app, session: SessionStore) -> None:
    assert session.info.lang == "nl"
    app = make_app(session, lang=None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.lang == "nl"
        header = _plain(app.screen.query_one(RoundHeader).query_one("#round-line", Static))
        assert "Ronde 2 van 5" in header


async def test_dutch_screens(make_app, session: SessionStore) -> None:
    app = make_app(session, lang="nl")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        header = _plain(app.screen.query_one(RoundHeader).query_one("#round-line", Static))
        assert "Ronde 2 van 5" in header and "Knelpuntenanalyse" in header
        await pilot.press("question_mark")
        await pilot.pause()
        assert any("Bijdrage" in d or "bijdrage" in d for _k, d in app.screen.keys)


async def test_source_is_kept(make_app, session: SessionStore, add) -> None:
    item = await add("Van de facilitator", source=Source.TUI)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert row_texts(app) == ["✎ Van de facilitator"]
        assert item.source == "tui"


async def test_without_a_participant_server(make_app, session: SessionStore) -> None:
    app = make_app(session, server=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "participant page is off" in _plain(app.screen.query_one("#join"))
        await pilot.press("j")
        await pilot.pause()
        assert isinstance(app.screen, JoinCodeScreen) and app.screen.url is None


async def test_report_preview_and_export(make_app, session: SessionStore, add,
                                         library: Any) -> None:
    from textual.widgets import MarkdownViewer

    from facilitator.tui.screens.report import ReportScreen

    await add("Knelpunt met [/] erin")
    app = make_app(session)
    app.report_formats = ("md",)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        await pilot.pause(0.2)
        assert isinstance(app.screen, ReportScreen)
        assert "Test session" in (app.screen.markdown or "")
        assert app.screen.query_one(MarkdownViewer)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
        await pilot.press("f6")
        await settle(pilot)
        written = list((library.data_dir / "reports" / session.session_id).glob("*.md"))
        assert written, "no report written"
        assert "Knelpunt met" in written[0].read_text(encoding="utf-8")


async def test_the_feed_follows_the_newest_past_a_screenful(make_app, session: SessionStore,
                                                             add) -> None:
    app = make_app(session)
    async with app.run_test(size=(120, 35)) as pilot:
        table = feed(app)
        for n in range(45):
            item = await add(f"Bijdrage {n}")
            await settle(pilot, rounds=1)
        await settle(pilot)
        index = table.get_row_index(str(item.id))
        top = table.scroll_offset.y
        assert top <= index < top + table.scrollable_content_region.height - 1
        assert table.current_id == item.id
        assert not table.show_horizontal_scrollbar


async def test_a_fresh_session_starts_its_first_round(make_app, store: SessionStore) -> None:
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        header = app.screen.query_one(RoundHeader).query_one("#round-line", Static)
        assert "not started" in _plain(header)
        await pilot.press("o")
        await settle(pilot)
        state = store.round_state("checkin")
        assert state.started and state.submissions_open and state.timer_running
        assert "open for input" in _plain(header)


async def test_round_view_lists_the_top_of_a_big_round(session: SessionStore, add) -> None:
    from rich.console import Console

    from facilitator.tui.widgets.round_view import TOP, round_view

    await session.go_to_round(2)
    for n in range(TOP + 20):
        await add(f"Idee {n}", device=f"device-{n % 7}")
    console = Console(width=150, record=True, file=io.StringIO())
    console.print(round_view(session, session.current_round))
    text = console.export_text()
    assert "… and 20 more" in text


async def test_a_cursor_move_draws_the_new_detail_in_the_same_frame(
        make_app, session: SessionStore, add) -> None:
    """A key press is one frame: the cursor and the detail of the contribution now under it
    are written together, never the cursor first and the detail a frame later."""
    from bench.laptop import FrameClock

    for n in range(6):
        await add(f"knelpunt nummer {n}")
    app = make_app(session)
    frames: list[tuple[int | None, str]] = []

    def frame() -> None:
        found = app.screen.query("#detail")
        if isinstance(app.screen, SessionScreen) and found:
            frames.append((feed(app).current_id, _plain(found.first(Static))))

    clock = FrameClock(app, on_frame=frame)
    app.driver_class = clock.driver_class()
    async with app.run_test(headless=False, size=SIZE) as pilot:
        await settle(pilot)
        texts = {c.id: c.text for c in session.contributions(session.current_round.id)}
        for key in ("up", "up", "down"):
            before = len(frames)
            clock.press(key)
            await settle(pilot)
            drawn = frames[before:]
            assert drawn, "the press was never drawn"
            for cid, shown in drawn:
                assert cid is not None and texts[cid] in shown, (key, cid, shown)
