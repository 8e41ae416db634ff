"""What the room sees on the facilitator's screen (issue 19): the round's question whole after
every round change, and the screen's items that a day runs on."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static
from tui_helpers import settle

from facilitator.store.store import SessionStore
from facilitator.tui.i18n import loc

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
