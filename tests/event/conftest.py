"""Fixtures of the event tests: three rooms from three templates, and their event report."""

from __future__ import annotations

from pathlib import Path

import pytest
from event_sessions import RoomFixture, make_rooms
from pdf_helpers import REPORT_FORMATS


@pytest.fixture(scope="session")
def rooms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, RoomFixture]:
    return make_rooms(tmp_path_factory.mktemp("event") / "day")


@pytest.fixture(scope="session")
def event_written(rooms: dict[str, RoomFixture],
                  tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The event report in every format, with an event file that shows room C's "Financiering"
    with room A's "Geld"; keyed by what follows the file's stem (".md", "-groups.csv", ...)."""
    from facilitator.event.file import add_theme_mapping
    from facilitator.event.rooms import opened_rooms
    from facilitator.report.write import write_event_report
    from facilitator.session.library import Library

    folder = rooms["a"].path.parent
    event = add_theme_mapping(folder / "event.toml", rooms["c"].session_id, "Financiering",
                              "Geld")
    out = tmp_path_factory.mktemp("event-report")
    with opened_rooms([str(r.path) for r in rooms.values()], Library(out / "data")) as opened:
        paths = write_event_report(opened, title="Consultatiedag Zwolle", out_dir=out,
                                   formats=REPORT_FORMATS, event=event)
    return {p.name.removeprefix("consultatiedag-zwolle"): p for p in paths}
