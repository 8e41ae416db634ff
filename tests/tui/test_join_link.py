"""The join link on the session screen (issue 19, polish point 1): people type it from the
projector, so it never breaks in the middle of a word: on one line where it fits, else without
``http://``, else broken once, before the path's ``/``."""

from __future__ import annotations

import pytest
from tui_helpers import FROZEN_NOW, link_lines_shown, settle, started_when_run

from facilitator.host.handle import Host, InProcessHost
from facilitator.session.library import Library, Templates
from facilitator.session.store import SessionStore
from facilitator.tui.app import FacilitatorApp, HostFactory
from facilitator.tui.widgets.join_panel import JoinPanel

SIZES = [(120, 40), (160, 45), (200, 60)]
LINKS = ["http://127.0.0.1:8765/r/xlcuk5hmn", "http://192.168.178.123:8765/r/eq3kfgdb76"]


def host_with(link: str) -> HostFactory:
    """The session's real host (in the test's loop), whose links are ``link``: the address a
    laptop on that network would show."""

    class LinkedHost(InProcessHost):
        @property
        def room_link(self) -> str:
            return link

        @property
        def room_links(self) -> list[str]:
            return [link]

    def make(store: SessionStore) -> Host:
        return LinkedHost(store, bind="127.0.0.1", port=0, clock=lambda: FROZEN_NOW)

    return make


def assert_whole(lines: list[str], link: str) -> None:
    assert "".join(lines) in (link, link.removeprefix("http://")), lines
    assert len(lines) <= 2, lines
    if len(lines) == 2:  # host, then path: no piece of either on the other line
        assert "/" not in lines[0].removeprefix("http://"), lines
        assert lines[1].startswith("/") and lines[1].count("/") == 2, lines


@pytest.mark.parametrize("link", LINKS, ids=["local", "lan"])
@pytest.mark.parametrize("size", SIZES, ids=lambda size: "x".join(map(str, size)))
async def test_the_link_on_the_screen_is_whole(size: tuple[int, int], link: str,
                                               library: Library, templates: Templates,
                                               session: SessionStore) -> None:
    app = FacilitatorApp(library, templates, store=session, lang="nl",
                         host_factory=host_with(link), clock=lambda: FROZEN_NOW)
    started_when_run(app)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        panels = [panel for panel in app.screen.query(JoinPanel)
                  if panel.display and panel.parent is not None and panel.parent.display]
        assert len(panels) == 1
        assert_whole(link_lines_shown(panels[0]), link)


@pytest.mark.parametrize("width", range(12, 45))
def test_link_lines_break_only_before_the_path(width: int) -> None:
    from facilitator.tui.widgets.join_panel import link_lines

    for link in LINKS:
        lines = link_lines(link, width)
        if any(len(line) > width for line in _pieces(link)):
            continue  # nothing whole fits: folded, the one case with no choice
        assert all(len(line) <= width for line in lines)
        assert_whole(lines, link)


def _pieces(link: str) -> list[str]:
    host, _, path = link.removeprefix("http://").partition("/")
    return [host, "/" + path]
