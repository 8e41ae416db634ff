"""The live feed of a round: one DataTable row per contribution, updated row by row.

Rows are keyed by contribution id. A store event touches only the rows it names (add one row,
update a few cells), so a round with thousands of contributions stays fast. Participant text is
always a ``rich.text.Text``: never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, overload

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.coordinate import Coordinate
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist, RowKey

from facilitator.core.model import Contribution, Flag
from facilitator.tui.i18n import _

COLUMNS = ("mark", "id", "text", "who", "theme", "votes", "status")
ROW_HEIGHT = 1
"""One line per contribution (the detail panel under the feed shows the whole text)."""
TEXT_MIN, TEXT_MAX = 20, 100


def one_line(text: str) -> str:
    return " ⏎ ".join(line for line in text.splitlines() if line.strip())


class _Lines(Sequence[tuple[RowKey, int]]):
    """DataTable's line → (row, line in row) table, computed on the spot: every row of the feed
    is one line high, so there is no need to rebuild a list of all rows on every change."""

    def __init__(self, table: FeedTable) -> None:
        self.table = table

    def __len__(self) -> int:
        return self.table.row_count

    @overload
    def __getitem__(self, y: int) -> tuple[RowKey, int]: ...
    @overload
    def __getitem__(self, y: slice) -> Sequence[tuple[RowKey, int]]: ...
    def __getitem__(self, y: int | slice) -> Any:
        if isinstance(y, slice):
            return [self[i] for i in range(*y.indices(len(self)))]
        if y < 0:
            y += len(self)
        if not 0 <= y < len(self):
            raise IndexError(y)
        return (self.table._row_locations.get_key(y), 0)

    def clear(self) -> None:
        """DataTable.clear() clears its list; here there is nothing to clear."""


class FeedTable(DataTable[Text]):
    """The round's contributions as they arrive; the cursor follows the newest at the bottom."""

    DEFAULT_CSS = """
    FeedTable {
        height: 1fr;
        scrollbar-gutter: stable;  /* the text column keeps its width when rows overflow */
        overflow-x: hidden;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.marked: set[int] = set()
        self.describe: Callable[[Contribution], dict[str, Text]] = lambda c: {}
        """Cells for a contribution (set by the screen: it knows themes, groups and votes)."""
        self.accepts: Callable[[Contribution], bool] = lambda c: True
        """Whether the current filter shows a contribution."""
        self._versions: dict[str, int] = {}
        self._cells_cache: LRUCache[tuple[object, ...], list[list[Segment]]] = LRUCache(4096)
        self._lines_cache: LRUCache[tuple[object, ...], Any] = LRUCache(1024)
        self._strips_cache: LRUCache[tuple[object, ...], Strip] = LRUCache(1024)
        self._layout_version = 0

    # -- one-line rows: positions by arithmetic instead of sums over all rows ------------------

    @property
    def _y_offsets(self) -> _Lines:  # type: ignore[override]
        return _Lines(self)

    def _row_y(self, row_index: int) -> int:
        return row_index * ROW_HEIGHT + (self.header_height if self.show_header else 0)

    def _get_row_region(self, row_index: int) -> Region:
        if not self.is_valid_row_index(row_index):
            return Region(0, 0, 0, 0)
        row_width = (sum(column.get_render_width(self) for column in self.columns.values())
                     + self._row_label_column_width)
        return Region(0, self._row_y(row_index), max(self.size.width, row_width), ROW_HEIGHT)

    def _get_cell_region(self, coordinate: Coordinate) -> Region:
        if not self.is_valid_coordinate(coordinate):
            return Region(0, 0, 0, 0)
        row_index, column_index = coordinate
        columns = self.ordered_columns
        x = (sum(column.get_render_width(self) for column in columns[:column_index])
             + self._row_label_column_width)
        width = columns[column_index].get_render_width(self)
        return Region(x, self._row_y(row_index), width, ROW_HEIGHT)

    def render_lines(self, crop: Region) -> list[Strip]:
        self._base_style: Style | None = self.rich_style  # once per render, not once per line
        try:
            return super().render_lines(crop)
        finally:
            self._base_style = None

    def render_line(self, y: int) -> Strip:
        base_style = getattr(self, "_base_style", None) or self.rich_style
        scroll_x, scroll_y = self.scroll_offset
        header = self.header_height if self.show_header else 0
        if y >= header:
            y += scroll_y
        return self._render_line(y, scroll_x, scroll_x + self.size.width, base_style)

    def _render_line(self, y: int, x1: int, x2: int, base_style: Style) -> Strip:
        """DataTable's line render, cached by the row on the line and its version (the stock
        cache is keyed by the line number and the table's update count)."""
        header = self.header_height if self.show_header else 0
        index = y - header
        if y < header or not 0 <= index < self.row_count:
            return super()._render_line(y, x1, x2, base_style)
        row_key = self._row_locations.get_key(index)
        if row_key is None:
            return super()._render_line(y, x1, x2, base_style)
        key = (row_key, index, x1, x2, self.size.width, base_style,
               self.cursor_coordinate.row == index, self.hover_coordinate.row == index,
               self.cursor_type, self.show_cursor, self._show_hover_cursor,
               self._pseudo_class_state, self.app.theme, self._layout_version,
               self._versions.get(row_key.value or "", 0))
        strip = self._strips_cache.get(key)
        if strip is None:
            strip = super()._render_line(y, x1, x2, base_style)
            self._strips_cache[key] = strip
        return strip

    def _render_line_in_row(self, row_key: RowKey, line_no: int, base_style: Style,
                            cursor_location: Coordinate, hover_location: Coordinate) -> Any:
        """DataTable's row render, cached per row version (see :meth:`_render_cell`)."""
        if row_key is self._header_row_key or row_key not in self._row_locations:
            return super()._render_line_in_row(row_key, line_no, base_style, cursor_location,
                                               hover_location)
        row_index = self._row_locations.get(row_key)
        key = (row_key, line_no, row_index, base_style, cursor_location.row == row_index,
               hover_location.row == row_index, self.cursor_type, self.show_cursor,
               self._show_hover_cursor, self._pseudo_class_state, self.size.width,
               self.app.theme, self._layout_version, self._versions.get(row_key.value or "", 0))
        lines = self._lines_cache.get(key)
        if lines is None:
            lines = super()._render_line_in_row(row_key, line_no, base_style, cursor_location,
                                                hover_location)
            self._lines_cache[key] = lines
        return lines

    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False) -> list[list[Segment]]:
        """DataTable's cell render, cached per row version instead of per table change.

        The stock cache is keyed by the table's update count, so one new row re-renders every
        visible cell; here a cell renders again only when its own row changed (``upsert``).
        """
        if row_index < 0 or column_index < 0:
            return super()._render_cell(row_index, column_index, base_style, width, cursor,
                                        hover)
        row_key = self._row_locations.get_key(row_index)
        key = (row_key, column_index, row_index, base_style, width, cursor, hover,
               self._show_hover_cursor, self._pseudo_class_state,
               self._versions.get(row_key.value or "", 0) if row_key else 0)
        lines = self._cells_cache.get(key)
        if lines is None:
            lines = super()._render_cell(row_index, column_index, base_style, width, cursor,
                                         hover)
            self._cells_cache[key] = lines
        return lines

    def on_mount(self) -> None:
        labels = {
            "mark": " ",
            "id": "#",
            "text": _("Contribution"),
            "who": _("Table · group"),
            "theme": _("Theme"),
            "votes": _("Votes"),
            "status": _("Status"),
        }
        widths = {"mark": 1, "id": 3, "text": 40, "who": 13, "theme": 13, "votes": 7,
                  "status": 10}
        for key in COLUMNS:
            self.add_column(Text(labels[key], overflow="ellipsis"), key=key, width=widths[key])
        self.call_after_refresh(self.fit_text_column)

    def on_resize(self) -> None:
        self.fit_text_column()

    def fit_text_column(self) -> None:
        column = self.columns.get("text")  # type: ignore[call-overload]
        if column is None:
            return
        others = sum(c.get_render_width(self) for k, c in self.columns.items() if k != "text")
        available = self.scrollable_content_region.width
        if not available:
            return
        width = max(TEXT_MIN, min(TEXT_MAX, available - others - 2 * self.cell_padding))
        if width != column.width:
            column.width = width
            self._layout_version += 1
            self._require_update_dimensions = True
            self.refresh()

    # -- rows --------------------------------------------------------------------------------

    def _cells(self, item: Contribution) -> list[Text]:
        cells = self.describe(item)
        cells["mark"] = Text("●" if item.id in self.marked else "", style="bold yellow")
        cells["id"] = Text(str(item.id), style="dim")
        return [cells.get(key, Text("")) for key in COLUMNS]

    def load(self, items: Iterable[Contribution], *, keep: int | None = None) -> None:
        """Replace every row (a round switch or a new filter)."""
        self.clear()
        self._cells_cache.clear()
        self._lines_cache.clear()
        self._strips_cache.clear()
        self._layout_version += 1
        self._versions.clear()
        self.add_rows_keyed(c for c in items if self.accepts(c))
        if keep is not None and str(keep) in self.rows:  # type: ignore[operator]
            self.move_cursor(row=self.get_row_index(str(keep)), animate=False)
        elif self.row_count:
            self.move_cursor(row=self.row_count - 1, animate=False)

    def add_rows_keyed(self, items: Iterable[Contribution]) -> None:
        for item in items:
            self.add_row(*self._cells(item), key=str(item.id), height=ROW_HEIGHT)

    def upsert(self, item: Contribution) -> None:
        """Show a new or changed contribution: one row added, or its cells updated."""
        key = str(item.id)
        present = key in self.rows  # type: ignore[operator]
        if not self.accepts(item):
            if present:
                self.remove_row(key)
            return
        if not present:
            following = self.row_count == 0 or self.cursor_row >= self.row_count - 1
            self.add_row(*self._cells(item), key=key, height=ROW_HEIGHT)
            if following:
                # Grow the scrollable size now and scroll in the same frame, so the new row
                # is on screen in the very next redraw (DataTable would wait for idle).
                if self._require_update_dimensions:
                    self._require_update_dimensions = False
                    new_rows = self._new_rows.copy()
                    self._new_rows.clear()
                    self._update_dimensions(new_rows)
                self.move_cursor(row=self.row_count - 1, animate=False, scroll=False)
                self.scroll_end(animate=False, immediate=True, x_axis=False)
            return
        changed = False
        for column, cell in zip(COLUMNS, self._cells(item), strict=True):
            if not _same(self.get_cell(key, column), cell):
                changed = True
                self._versions[key] = self._versions.get(key, 0) + 1
                self.update_cell(key, column, cell)
        if changed:
            self.refresh_row(self.get_row_index(key))

    def get_cell(self, row_key: str, column_key: str) -> Text | None:  # type: ignore[override]
        try:
            return super().get_cell(row_key, column_key)
        except (CellDoesNotExist, RowDoesNotExist):
            return None

    @property
    def current_id(self) -> int | None:
        """The contribution under the cursor, or None in an empty feed."""
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except CellDoesNotExist:
            return None
        return int(key.value) if key.value else None

    def select_id(self, contribution_id: int) -> None:
        if str(contribution_id) in self.rows:  # type: ignore[operator]
            self.move_cursor(row=self.get_row_index(str(contribution_id)), animate=False)


def _same(a: Text | None, b: Text) -> bool:
    return a is not None and (a.plain, str(a.style), a.spans) == (b.plain, str(b.style), b.spans)


def status_text(item: Contribution, *, has_action: bool, count: int = 1) -> Text:
    """Badges for a row: hidden, merged, awaiting approval, bold, practical, links, action.

    "to approve" follows core's rule (:attr:`Contribution.counted`): a contribution that is not
    approved is left out of the results and the audit whatever the round, so it is shown as
    waiting even in a round that is not moderated (where only the facilitator's y does that).
    """
    parts: list[tuple[str, str]] = []
    if item.hidden:
        parts.append((_("hidden"), "bold red"))
    elif item.merged_into:
        parts.append((_("merged → #{id}").format(id=item.merged_into), "magenta"))
    elif not item.approved:
        parts.append((_("to approve"), "bold yellow"))
    if count > 1:
        parts.append((f"×{count}", "bold magenta"))
    if Flag.BOLD.value in item.flags:
        parts.append(("★", "bold cyan"))
    if Flag.PRACTICAL.value in item.flags:
        parts.append(("✓", "bold green"))
    if item.links:
        parts.append((f"⇢{len(item.links)}", "blue"))
    if has_action:
        parts.append(("▶", "bold green"))
    text = Text()
    for label, style in parts:
        if text:
            text.append(" ")
        text.append(label, style=style)
    return text
