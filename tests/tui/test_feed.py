"""The feed against Textual's stock DataTable: the same rows, added, changed, marked and removed
the same way, scrolled to the same places, must show the same lines. The stock widget is the
oracle for which row is drawn where; the feed only draws faster (lines cached per row, cells
asked of its source as rows come into view)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable

from facilitator.tui.widgets.feed import COLUMNS, FeedTable

SIZE = (230, 14)


class Cells:
    """A row source holding its cells in a dict (the screen's source reads the store)."""

    def __init__(self) -> None:
        self.rows: dict[int, dict[str, Text]] = {}
        self.asked: list[int] = []

    def put(self, cid: int, text: str, *, votes: str = "", status: str = "") -> dict[str, Text]:
        self.rows[cid] = {"text": Text(text), "who": Text(f"T{cid % 3}"),
                          "theme": Text(f"theme{cid % 4}"), "votes": Text(votes),
                          "status": Text(status)}
        return self.rows[cid]

    def cells(self, contribution_id: int) -> dict[str, Text]:
        self.asked.append(contribution_id)
        return dict(self.rows.get(contribution_id, {}))


class Side(App[None]):
    CSS = "Horizontal > * { width: 1fr; height: 1fr; }"

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield FeedTable(id="feed")
            yield DataTable(id="stock", cursor_type="row", zebra_stripes=True)


def _tokens(strip: Any) -> list[str]:
    return str(strip.text).split()


async def _same(pilot: Any, feed: FeedTable, stock: DataTable[Any]) -> None:
    await pilot.pause()
    height = feed.size.height
    assert height == stock.size.height and height > 5
    for offset in sorted({0, 7, max(0, feed.row_count - height + 1)}):
        feed.scroll_to(y=offset, animate=False, immediate=True)
        stock.scroll_to(y=offset, animate=False, immediate=True)
        for y in range(height):
            assert _tokens(feed.render_line(y)) == _tokens(stock.render_line(y)), (offset, y)


async def test_the_feed_draws_what_the_stock_table_draws() -> None:
    source = Cells()
    app = Side()
    async with app.run_test(size=SIZE) as pilot:
        feed = app.query_one(FeedTable)
        stock: DataTable[Any] = app.query_one("#stock", DataTable)
        feed.source = source
        labels = [Text(label) for label in ("#", "Contribution", "Table · group", "Theme",
                                             "Votes", "Status")]
        stock.add_column(Text(""), key="mark")
        for key, label in zip(COLUMNS[1:], labels, strict=True):
            stock.add_column(label, key=key)

        def stock_row(cid: int, cells: dict[str, Text]) -> list[Text]:
            return [Text("●" if cid in feed.marked else ""), Text(str(cid)),
                    *(cells[key] for key in COLUMNS[2:])]

        for cid in range(1, 31):
            stock.add_row(*stock_row(cid, source.put(cid, f"idea {cid}")), key=str(cid))
        feed.load(range(1, 31))
        assert source.asked == []  # nothing is asked until a row is drawn
        await _same(pilot, feed, stock)
        assert len(set(source.asked)) < 30 + 1  # only rows that came into view

        # a new contribution, with text that would be markup if it were parsed
        stock.add_row(*stock_row(31, source.put(31, "kapot [/] [@click=app.quit]x")),
                      key="31")
        feed.add([31])
        await _same(pilot, feed, stock)

        # a frame's worth of new ones at once (one named twice, one already shown): the cursor
        # on the last row follows them to the new last row
        feed.move_cursor(row=feed.row_count - 1)
        for cid in (32, 33):
            stock.add_row(*stock_row(cid, source.put(cid, f"idea {cid}")), key=str(cid))
        feed.add([32, 33, 32, 31])
        await _same(pilot, feed, stock)
        assert feed.row_count == 33 and feed.current_id == 33

        # a vote and a merge change two rows; a third is marked
        for cid, votes, status in ((5, "3", "×2"), (6, "", "→ #5")):
            cells = source.put(cid, f"idea {cid}", votes=votes, status=status)
            for key in ("votes", "status"):
                stock.update_cell(str(cid), key, cells[key], update_width=True)
        feed.changed([5, 6])
        feed.marked.add(12)
        feed.changed([12])
        stock.update_cell("12", "mark", Text("●"), update_width=True)
        await _same(pilot, feed, stock)

        # hidden by a filter: the row leaves both tables, the rows after it move up
        stock.remove_row("10")
        feed.remove_row(10)
        await _same(pilot, feed, stock)
        assert feed.ids == [int(str(row.value)) for row in stock.rows]
