"""Pilot tests for the review's findings: the report preview off the event loop, text that is
never read as markup in notifications, results and audit counted by core's rule, Dutch
numbers and words in the audit, and the feed filtered by stakeholder group."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, MarkdownViewer, OptionList, Static
from tui_helpers import feed, plain, row_texts, settle

from facilitator.core.model import Source
from facilitator.session.files import SessionCorrupt, StoreError
from facilitator.session.store import SessionStore
from facilitator.tui import app as app_module
from facilitator.tui.i18n import decimal, group_name, set_language
from facilitator.tui.screens.dialogs import TextDialog, ThemePicker
from facilitator.tui.screens.report import ReportScreen
from facilitator.tui.screens.session import SessionScreen
from facilitator.tui.view_saver import save_view
from facilitator.tui.widgets.round_view import audit_view

SIZE = (160, 45)


def notifications(app: Any) -> list[Any]:
    return list(app.notified)


def toast_texts(app: Any) -> list[str]:
    return [toast.render().plain for toast in app.screen.query("Toast")]


# -- 9: the report preview is made off the event loop ------------------------------------------


async def test_report_preview_is_made_in_a_thread(make_app, session: SessionStore, add,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from facilitator import report

    await add("Knelpunt voor het verslag")
    release = threading.Event()
    seen: dict[str, Any] = {}
    real = report.build_markdown

    def slow_build(store: SessionStore, **kwargs: Any) -> str:
        seen["thread"] = threading.current_thread()
        seen["read_only"] = store.read_only
        seen["same_store"] = store is session
        assert release.wait(10), "the test never let the report finish"
        return real(store, **kwargs)

    monkeypatch.setattr(report, "build_markdown", slow_build)
    app = make_app(session)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await pilot.pause(0.2)
        screen = app.screen
        assert isinstance(screen, ReportScreen)
        assert screen.markdown is None
        assert "Preparing the report" in plain(screen.query_one("#report-status", Static))
        # The loop is free while the report is being made: the session still takes input.
        item = await add("Terwijl het verslag wordt gemaakt")
        assert session.contribution(item.id) is not None
        await pilot.pause(0.1)
        assert seen["thread"] is not threading.main_thread()
        assert seen["read_only"] and not seen["same_store"]
        release.set()
        await settle(pilot)
        await pilot.pause(0.2)
        assert screen.markdown is not None and "Test session" in screen.markdown
        assert screen.query_one(MarkdownViewer)
        assert not screen.query("#report-status")
        viewer = screen.query_one(MarkdownViewer)
        assert not viewer.show_table_of_contents  # built on request: it costs as much again
        await pilot.press("c")
        await pilot.pause()
        assert viewer.show_table_of_contents
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)


async def test_report_preview_failure_is_shown_literally(make_app, session: SessionStore,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(path: Any) -> str:
        raise ValueError("kapot [/] [@click=app.quit]x")

    monkeypatch.setattr(app_module, "report_markdown", broken)
    app = make_app(session)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        await pilot.pause(0.2)
        assert isinstance(app.screen, ReportScreen)
        assert "kapot [/] [@click=app.quit]x" in plain(app.screen.query_one("#report-status",
                                                                          Static))
        assert any("kapot [/] [@click=app.quit]x" in t for t in toast_texts(app))
        assert app.is_running and app.return_code is None


# -- 15: user and file text in notifications is never markup -------------------------------------


@pytest.mark.parametrize("name", ["[/]", "[@click=app.quit]x"])
async def test_theme_names_in_notifications_are_literal(make_app, session: SessionStore, add,
                                                        name: str) -> None:
    await add("Iets om in te delen")
    app = make_app(session)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, TextDialog)
        app.screen.query_one(Input).value = name
        await pilot.press("enter")
        await settle(pilot)
        await pilot.pause(0.2)
        theme = session.themes("knelpunten")[-1]
        assert theme.name == name
        wanted = f"Theme added: {name}"
        assert any(n.message == wanted and not n.markup for n in notifications(app))
        assert wanted in toast_texts(app)  # drawn as typed, not parsed
        for toast in app.screen.query("Toast"):  # a click must not run a planted action
            await pilot.click(toast)
        await pilot.pause()
        assert app.is_running and app.return_code is None
        # Sorting into the theme names it again.
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, ThemePicker)
        app.screen.query_one(OptionList).highlighted = len(session.themes("knelpunten")) - 1
        await pilot.press("enter")
        await settle(pilot)
        await pilot.pause(0.2)
        assert f"1 sorted into: {name}" in toast_texts(app)
        assert app.is_running and app.return_code is None


async def test_store_errors_on_the_home_screen_are_literal(make_app, library: Any,
                                                           templates: Any,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    from facilitator.tui.screens import home

    store = library.create(templates.load("kennisatelier"), title="Beschadigd")
    await store.close()

    def refuse(path: Any, **kwargs: Any) -> SessionStore:
        raise SessionCorrupt(path, "unexpected content: '[/]' [@click=app.quit]x")

    monkeypatch.setattr(home.SessionStore, "open", refuse)
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # open the session under the cursor
        await pilot.pause(0.2)
        assert any("'[/]' [@click=app.quit]x" in n.message and not n.markup
                   for n in notifications(app))
        assert any("[@click=app.quit]x" in t for t in toast_texts(app))
        assert app.is_running and app.return_code is None


async def test_refusals_are_literal(make_app, session: SessionStore) -> None:
    """A failed store call is said in the TUI's words, never with the exception's own text;
    what it quotes (a file's name) is shown as it is, never as markup."""
    app = make_app(session)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionScreen)

        quoted = Path("[/] [@click=app.quit]x")  # a backslash on Windows, markup all the same

        async def fail() -> None:
            raise StoreError(quoted, "an English message, with a path")

        screen.write(fail())
        await settle(pilot)
        await pilot.pause(0.2)
        assert any(str(quoted) in t for t in toast_texts(app))
        assert not any("an English message" in t for t in toast_texts(app))
        assert app.is_running

        async def bug() -> None:
            raise RuntimeError("[/] a bug's own words")

        screen.write(bug())
        await settle(pilot)
        await pilot.pause(0.2)
        assert any("RuntimeError" in t and "log" in t for t in toast_texts(app))
        assert not any("a bug's own words" in t for t in toast_texts(app))
        assert app.is_running


# -- 18: results and the audit count what core counts --------------------------------------------


async def test_unapproved_contributions_are_not_counted(make_app, session: SessionStore,
                                                        add) -> None:
    kept = await add("Telt mee", device="device-0")
    taken_back = await add("Telt niet mee", device="device-3")
    app = make_app(session)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        feed(app).select_id(taken_back.id)
        await pilot.press("y")  # takes the approval back, even in a round without moderation
        await settle(pilot)
        assert not session.contribution(taken_back.id).approved  # type: ignore[union-attr]
        status = feed(app).get_cell(str(taken_back.id), "status")
        assert status is not None and "to approve" in status.plain
        result = session.audit()
        assert result.contributions == 1
        by_group = {g.group_id: g.contributions for g in result.groups}
        assert by_group["municipality"] == 1 and by_group["refugee_led"] == 0
        assert kept.id in feed(app).ids


async def test_audit_answers_leave_out_those_awaiting_approval(session: SessionStore) -> None:
    audit_round = next(r for r in session.template.rounds if r.kind.value == "audit")
    await session.go_to_round(session.template.rounds.index(audit_round))
    shown = await session.add_contribution(audit_round.id, "Wijkteams", source=Source.TUI)
    waiting = await session.add_contribution(audit_round.id, "Nog niet goedgekeurd",
                                             source=Source.TUI)
    await session.update_contributions([waiting.id], approved=False)
    set_language("en")
    text = _render(audit_view(session, audit_round))
    assert shown.text in text and waiting.text not in text


def _render(renderable: Any) -> str:
    import io

    from rich.console import Console

    console = Console(width=150, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


# -- (a): the audit in Dutch ---------------------------------------------------------------------


async def test_audit_in_dutch_uses_decimal_commas_and_clear_words(session: SessionStore,
                                                                  add) -> None:
    for device in ("quiet-1", "quiet-2"):  # with the funder a pool of three: see core/privacy
        await session.join(device, lang="nl")
    for device in ("device-0", "device-0", "device-3"):
        await add("Iets", device=device)
    audit_round = next(r for r in session.template.rounds if r.kind.value == "audit")
    set_language("nl")
    try:
        text = _render(audit_view(session, audit_round))
        ratio = session.audit().groups[0].voice_ratio
        assert decimal(1.04, 2) == "1,04"
    finally:
        set_language("en")
    assert "Stemverhouding" not in text
    assert "Inbrengverhouding" in text
    assert ratio is not None
    assert f"{ratio:.2f}".replace(".", ",") in text
    assert f"{ratio:.2f}" not in text


# -- (b): the feed filtered by stakeholder group ---------------------------------------------------


async def test_filter_by_stakeholder_group(make_app, session: SessionStore, add) -> None:
    for device in ("quiet-1", "quiet-2"):  # with the funder, a pool of three: see below
        await session.join(device, lang="nl")
    await add("Van de gemeente", device="device-0")  # municipality (3 present)
    await add("Van een initiatief", device="device-3")  # refugee_led (3 present)
    await add("Van een fonds", device="device-6")  # funder: 1 present, stays anonymous
    app = make_app(session)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        assert "funder" not in screen.feed_area.stakeholder_choices()
        seen: list[tuple[str | None, list[str]]] = []
        for _ in range(len(screen.feed_area.stakeholder_choices()) + 1):
            await pilot.press("G")
            await pilot.pause()
            seen.append((screen.feed_area.stakeholder_filter, row_texts(app)))
        shown = dict(seen)
        assert shown["municipality"] == ["Van de gemeente"]
        assert shown["refugee_led"] == ["Van een initiatief"]
        assert shown[None] == ["Van de gemeente", "Van een initiatief", "Van een fonds"]
        assert seen[-1][0] is None  # the cycle ends with every group again
        await pilot.press("G")
        await pilot.pause()
        prompt = plain(screen.query_one("#view-bar", Static))
        name = group_name(session.template, str(screen.feed_area.stakeholder_filter))
        assert f"showing {name} only (G)" in prompt
        assert screen.view_state()["stakeholder_filter"] == screen.feed_area.stakeholder_filter
        # With the table filter too: both must match.
        await pilot.press("g")  # table A: device-0 sat at A, device-3 at B
        await pilot.pause()
        assert screen.feed_area.table_filter == "A"
        assert row_texts(app) == (["Van de gemeente"]
                                  if screen.feed_area.stakeholder_filter == "municipality" else [])


async def test_stakeholder_filter_survives_a_restart(make_app, session: SessionStore,
                                                     add) -> None:
    await add("Van de gemeente", device="device-0")
    await add("Van een initiatief", device="device-3")
    save_view(session.path, {"view": "feed-view", "filter": "", "selected": 0,
                             "stakeholder_filter": "refugee_led"})
    app = make_app(session)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert row_texts(app) == ["Van een initiatief"]


async def test_stakeholder_filter_never_picks_out_a_small_group(make_app,
                                                                session: SessionStore,
                                                                add) -> None:
    await add("Van een fonds", device="device-6")
    save_view(session.path, {"view": "feed-view", "filter": "", "selected": 0,
                             "stakeholder_filter": "funder"})
    app = make_app(session)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        assert screen.feed_area.stakeholder_filter is None
        assert row_texts(app) == ["Van een fonds"]


def test_the_preview_cuts_long_tables_short() -> None:
    from facilitator.tui.screens.report import shorten_tables

    set_language("nl")
    try:
        rows = "\n".join(f"| {n} | bijdrage {n} |" for n in range(1234))
        markdown = (f"# Verslag\n\n| # | Tekst |\n|---|---|\n{rows}\n\n"
                    "## Daarna\n\n| a |\n|---|\n| 1 |\n")
        short = shorten_tables(markdown, 5)
    finally:
        set_language("en")
    lines = short.splitlines()
    assert lines[:9] == ["# Verslag", "", "| # | Tekst |", "|---|---|", "| 0 | bijdrage 0 |",
                         "| 1 | bijdrage 1 |", "| 2 | bijdrage 2 |", "| 3 | bijdrage 3 |",
                         "| 4 | bijdrage 4 |"]
    assert lines[9] == ""  # a blank line ends the table before the note
    assert "1.229" in lines[10] and "(F6)" in lines[10]
    assert lines[11:] == ["", "## Daarna", "", "| a |", "|---|", "| 1 |"]
