"""Session files on the facilitator's screen: escapes from an import or a hand-edited file never
reach the terminal; a damaged file is listed as such and hides nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from rich.text import Text
from textual.widgets import DataTable, Static
from tui_helpers import plain, settle

from facilitator.session.library import Library, Templates
from facilitator.session.store import SessionStore
from facilitator.tui.screens.home import HomeScreen

OSC = "\x1b]2;PWNED\x1b\\"
RED = "\x1b[41m"
SIZE = (160, 45)


def _with_escapes(tables: dict[str, Any]) -> None:
    info = next(iter(tables["session"].values()))
    info["title"] = f"{RED}Sessie{OSC}"
    for spec in info["template"]["rounds"]:
        for lang in spec["prompt"]:
            spec["prompt"][lang] += f" {OSC}"
        for lang in spec["title"]:
            spec["title"][lang] = RED + spec["title"][lang]


async def _new_session(library: Library, templates: Templates) -> Path:
    store = library.create(templates.load("kennisatelier"), title="Atelier")
    await store.go_to_round(1)
    await store.close()
    return store.path


async def _shown_without_escapes(make_app: Any, store: SessionStore) -> None:
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        prompt = plain(app.screen.query_one("#prompt", Static))
        assert "]2;PWNED" in prompt, prompt  # the text is there, harmless
        assert "\x1b" not in prompt
        assert "\x1b" not in app.sub_title and "Sessie" in app.sub_title
        header = "".join(plain(s) for s in app.screen.query(Static))
        assert "\x1b" not in header


async def test_escapes_in_an_imported_session_never_reach_the_screen(
    make_app: Any, library: Library, templates: Templates, tmp_path: Path
) -> None:
    path = await _new_session(library, templates)
    tables = orjson.loads(path.read_bytes())
    _with_escapes(tables)
    file = tmp_path / "export.json"
    file.write_bytes(orjson.dumps({"format": "facilitator-session", "version": 1,
                                   "tables": tables}))
    entry = library.import_file(file)
    await _shown_without_escapes(make_app, SessionStore.open(entry.path))


async def test_escapes_in_a_hand_edited_file_never_reach_the_screen(
    make_app: Any, library: Library, templates: Templates
) -> None:
    path = await _new_session(library, templates)
    tables = orjson.loads(path.read_bytes())
    _with_escapes(tables)
    path.write_bytes(orjson.dumps(tables))
    await _shown_without_escapes(make_app, SessionStore.open(path))


async def test_a_damaged_session_is_listed_as_unreadable_and_hides_nothing(
    make_app: Any, library: Library, templates: Templates
) -> None:
    good = await _new_session(library, templates)
    bad = library.create(templates.load("team-retro"), title="Kapot")
    await bad.close()
    tables = orjson.loads(bad.path.read_bytes())
    next(iter(tables["session"].values()))["created"] = 1e308
    bad.path.write_bytes(orjson.dumps(tables))

    app = make_app(None)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        table = app.screen.query_one("#sessions", DataTable)
        rows = {str(key.value): table.get_row(key) for key in table.rows}
        assert set(rows) == {good.stem, bad.session_id}
        assert isinstance(rows[good.stem][0], Text) and rows[good.stem][0].plain == "Atelier"
        bad_title = rows[bad.session_id][0]
        assert isinstance(bad_title, Text)
        assert "cannot be opened" in bad_title.plain and "session.1.created" in bad_title.plain

        table.focus()
        table.move_cursor(row=table.get_row_index(bad.session_id))
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, HomeScreen), "a bad file does not open"
        toasts = [str(toast.render()) for toast in app.screen.query("Toast")]
        assert any("session.1.created" in text for text in toasts), toasts
