"""The live feed of a round: one line per contribution, however many there are.

Built on Textual's Line API (a ``ScrollView`` whose ``render_line`` draws only the lines on
screen), not on ``DataTable``. A round of a big room holds tens of thousands of contributions
and takes hundreds a minute; DataTable keeps a widget-wide row order that it rebuilds after
every change and walks on every cursor move (18 % of the laptop's CPU at 20,000 rows under the
room benchmark), and making it fast meant overriding its private methods. The evaluation of
the alternatives (textual-fastdatatable among them) is in docs/tui.md.

The feed holds the order of the rows and asks its :class:`RowSource` (an attribute the screen
sets: the read model's view of a contribution) for a row's cells only when it draws that row.
A new contribution is appended to a list, a changed one gets a new version, a change that
touches every row (a renamed theme, a group that may now be named) a new generation, and a
frame draws the lines in view, each cached until its row changes: the cost follows what changed
and what is on screen, never the size of the round.

Participant text is always a ``rich.text.Text``: never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar, Protocol

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from facilitator.core.model import Contribution, Flag
from facilitator.tui.i18n import _
from facilitator.tui.widgets import tcss

COLUMNS = ("mark", "id", "text", "who", "theme", "votes", "status")
WIDTHS = {"mark": 1, "id": 5, "text": 40, "who": 13, "theme": 13, "votes": 7, "status": 14}
"""Column widths; the text column takes what the others leave (within TEXT_MIN..TEXT_MAX)."""
TEXT_MIN, TEXT_MAX = 20, 100
GAP = 1
"""Spaces between two columns."""
LAYOUT_AFTER_S = 1.0
"""Rows added below a feed that already scrolls change its height without a new layout of the
screen (a layout redraws every widget: at 200 new contributions a second that was most of the
laptop's time); the screen is laid out again this long after, for the scroll bar."""


RTL_SIGN = "◄"
"""Before a contribution with right-to-left letters (Arabic, Farsi...): a terminal without bidi,
Windows Terminal among them, draws it unjoined and in the wrong order (B shows it right)."""


def one_line(text: str) -> str:
    return " ⏎ ".join(line for line in text.splitlines() if line.strip())


class RowSource(Protocol):
    """Where the feed's cells come from (the screen's view of the read model)."""

    def cells(self, contribution_id: int) -> dict[str, Text]:
        """The cells of one row: ``text``, ``who``, ``theme``, ``votes``, ``status``."""
        ...


class _NoRows:
    def cells(self, contribution_id: int) -> dict[str, Text]:
        return {}


class FeedTable(ScrollView, can_focus=True):
    """The round's contributions as they arrive; the cursor follows the newest at the bottom
    unless the facilitator moved it up. The header line stays on top."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "feed--header", "feed--cursor", "feed--even", "feed--odd",
    }
    DEFAULT_CSS = tcss(__file__)

    cursor_row: reactive[int] = reactive(0, init=False, repaint=False)
    """The row under the cursor (0 is the first contribution; the header is not a row). A move
    redraws its old and new lines, not the whole feed."""

    highlighted: reactive[int | None] = reactive(None, init=False, repaint=False,
                                                 always_update=True)
    """The contribution under the cursor, set on every move (None: the feed is empty). The
    screen watches it rather than waiting for a message, so that the detail of the new
    contribution is drawn in the same frame as the cursor: one frame per key press, not two.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.marked: set[int] = set()
        self.source: RowSource = _NoRows()
        """The cells of each row (set by the screen: it knows themes, groups and votes)."""
        self._ids: list[int] = []
        self._row_of: dict[int, int] = {}
        self._cells: dict[int, tuple[int, int, list[Text]]] = {}
        """Contribution id → (generation, version, cells) as last asked of the source."""
        self._versions: dict[int, int] = {}
        self._generation = 0
        self._lines: LRUCache[tuple[object, ...], Strip] = LRUCache(2048)
        self._text_width = WIDTHS["text"]
        self._layout = 0
        self._labels: list[Text] = []
        self._layout_timer: Timer | None = None

    # -- reading -----------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._ids)

    @property
    def ids(self) -> Sequence[int]:
        """The contribution ids shown, top to bottom."""
        return self._ids

    @property
    def current_id(self) -> int | None:
        """The contribution under the cursor, or None in an empty feed."""
        return self._ids[self.cursor_row] if self._ids else None

    def get_cell(self, row_key: str | int, column: str) -> Text | None:
        """What a row shows in a column (None: no such row)."""
        cid = int(row_key)
        if cid not in self._row_of:
            return None
        return self._row_cells(cid)[COLUMNS.index(column)]

    def get_row_index(self, row_key: str | int) -> int:
        return self._row_of[int(row_key)]

    # -- rows --------------------------------------------------------------------------------

    def _row_cells(self, cid: int) -> list[Text]:
        version = self._versions.get(cid, 0)
        cached = self._cells.get(cid)
        if cached is not None and cached[0] == self._generation and cached[1] == version:
            return cached[2]
        cells = self.source.cells(cid)
        cells["mark"] = Text("●" if cid in self.marked else "", style="bold yellow")
        cells["id"] = Text(str(cid), style="dim")
        row = [cells.get(key, Text("")) for key in COLUMNS]
        self._cells[cid] = (self._generation, version, row)
        return row

    def load(self, ids: Iterable[int], *, keep: int | None = None) -> None:
        """Show these contributions, in this order (a round switch or a new filter). Nothing
        per row is asked of the source until a row is drawn."""
        self._ids = list(ids)
        self._row_of = {cid: row for row, cid in enumerate(self._ids)}
        self._cells.clear()
        self._versions.clear()
        self._lines.clear()
        self._sized()
        if keep is not None and keep in self._row_of:
            self._move(self._row_of[keep], force=True)
        else:
            self._move(max(0, len(self._ids) - 1), force=True)
        self.refresh()

    def add(self, contribution_ids: Iterable[int]) -> None:
        """New contributions: rows appended, once per frame however many arrived (the cursor
        follows them from the last row, in one move). Ones already shown stay where they are.
        """
        new = [cid for cid in dict.fromkeys(contribution_ids) if cid not in self._row_of]
        if not new:
            return
        following = not self._ids or self.cursor_row >= len(self._ids) - 1
        first = len(self._ids)
        for cid in new:
            self._row_of[cid] = len(self._ids)
            self._ids.append(cid)
        self._sized()
        if following:
            self._move(len(self._ids) - 1)
        for row in range(max(first, len(self._ids) - self.size.height), len(self._ids)):
            self._refresh_row(row)  # only the last screenful can be in view

    def changed(self, contribution_ids: Iterable[int]) -> None:
        """These rows show something new: asked of the source again when next drawn."""
        for cid in contribution_ids:
            row = self._row_of.get(cid)
            if row is not None:
                self._versions[cid] = self._versions.get(cid, 0) + 1
                self._refresh_row(row)

    def changed_all(self) -> None:
        """Every row may show something new (a renamed theme, a group that may be named):
        costs nothing now, each row is asked again when it is next drawn."""
        self._generation += 1
        self.refresh()

    def remove_row(self, contribution_id: int) -> None:
        """Take a row out (the filter no longer shows it): a pass over the rows after it."""
        row = self._row_of.pop(contribution_id, None)
        if row is None:
            return
        del self._ids[row]
        self._cells.pop(contribution_id, None)
        for later in range(row, len(self._ids)):
            self._row_of[self._ids[later]] = later
        self._sized()
        self._move(min(self.cursor_row, max(0, len(self._ids) - 1)), force=True)
        self.refresh()

    def select_id(self, contribution_id: int) -> None:
        if contribution_id in self._row_of:
            self._move(self._row_of[contribution_id])

    def move_cursor(self, *, row: int, animate: bool = False, scroll: bool = True) -> None:
        self._move(row)

    # -- the cursor --------------------------------------------------------------------------

    def _move(self, row: int, *, force: bool = False) -> None:
        row = max(0, min(row, len(self._ids) - 1)) if self._ids else 0
        if row == self.cursor_row and not force:
            self._into_view(row)
            return
        if row == self.cursor_row:  # same row, another contribution under it
            self._refresh_row(row)
            self._into_view(row)
            self.highlighted = self.current_id
            return
        self.cursor_row = row

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._refresh_row(old)
        self._refresh_row(new)
        self._into_view(new)
        self.highlighted = self.current_id

    def _into_view(self, row: int) -> None:
        height = self.scrollable_content_region.height - 1  # the header takes a line
        if height <= 0:
            return
        top = round(self.scroll_offset.y)
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        self._move(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self._move(self.cursor_row + 1)

    def action_page_up(self) -> None:
        self._move(self.cursor_row - max(1, self.scrollable_content_region.height - 2))

    def action_page_down(self) -> None:
        self._move(self.cursor_row + max(1, self.scrollable_content_region.height - 2))

    def action_first(self) -> None:
        self._move(0)

    def action_last(self) -> None:
        self._move(len(self._ids) - 1)

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:  # below the header
            self._move(round(self.scroll_offset.y) + event.y - 1)

    # -- layout and drawing ------------------------------------------------------------------

    def on_mount(self) -> None:
        self._labels = [Text(label, overflow="ellipsis") for label in (
            " ", "#", _("Contribution"), _("Table · group"), _("Theme"), _("Votes"),
            _("Status"))]
        self._sized()

    def on_resize(self) -> None:
        others = sum(WIDTHS[key] + GAP for key in COLUMNS if key != "text")
        width = max(TEXT_MIN, min(TEXT_MAX, self.scrollable_content_region.width - others - 1))
        if width != self._text_width:
            self._text_width = width
            self._layout += 1
            self._lines.clear()
        self._sized()
        self._into_view(self.cursor_row)

    def _sized(self) -> None:
        size = Size(sum(self._width(key) + GAP for key in COLUMNS), len(self._ids) + 1)
        old = self.virtual_size
        if size == old:
            return
        if self.show_vertical_scrollbar and size.width == old.width and size.height > old.height:
            # Longer only: scrolling and drawing follow at once, the scroll bar a little later.
            self.set_reactive(FeedTable.virtual_size, size)
            if self._layout_timer is None:
                self._layout_timer = self.set_timer(LAYOUT_AFTER_S, self._lay_out)
        else:
            self.virtual_size = size

    def _lay_out(self) -> None:
        self._layout_timer = None
        self.refresh(layout=True)

    def _width(self, column: str) -> int:
        return self._text_width if column == "text" else WIDTHS[column]

    def _refresh_row(self, row: int) -> None:
        y = row + 1 - round(self.scroll_offset.y)
        if 1 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            return self._draw(self._labels, self.get_component_rich_style("feed--header"),
                              width, ("header", self._layout, width))
        row = round(self.scroll_offset.y) + y - 1
        if not 0 <= row < len(self._ids):
            return Strip.blank(width, self.rich_style)
        cid = self._ids[row]
        cursor = row == self.cursor_row
        name = "feed--cursor" if cursor else ("feed--odd" if row % 2 else "feed--even")
        style = self.get_component_rich_style(name)
        key = (cid, self._generation, self._versions.get(cid, 0), name, self.has_focus, width,
               self._layout)
        strip = self._lines.get(key)
        if strip is not None:
            return strip
        return self._draw(self._row_cells(cid), style, width, key, plain_cells=cursor)

    def _draw(self, cells: list[Text], style: Style, width: int, key: tuple[object, ...],
              *, plain_cells: bool = False) -> Strip:
        strip = self._lines.get(key)
        if strip is None:
            line = Text(no_wrap=True, overflow="crop")
            for column, cell in zip(COLUMNS, cells, strict=True):
                size = self._width(column)
                fitted = cell.copy()
                fitted.truncate(size, overflow="ellipsis")
                fitted.align("right" if column == "votes" else "left", size)
                if plain_cells:  # on the cursor line the cursor's colours win
                    fitted.stylize(style)
                line.append_text(fitted)
                line.append(" " * GAP)
            segments = list(line.render(self.app.console))
            strip = Strip(Segment.apply_style(segments, style), line.cell_len)
            strip = strip.extend_cell_length(width, style).crop(0, width)
            self._lines[key] = strip
        return strip


def status_text(item: Contribution, *, has_action: bool, count: int = 1,
                width: int = WIDTHS["status"]) -> Text:
    """Badges for a row: hidden, merged, awaiting approval, bold, practical, links, action
    (their signs are explained by :func:`legend`). Only whole badges are shown: when they do
    not fit in ``width`` the last ones give way to "…", never half a word.

    "to approve" follows core's rule (:attr:`Contribution.counted`): a contribution that is not
    approved is left out of the results and the audit whatever the round, so it is shown as
    waiting even in a round that is not moderated (where only the facilitator's y does that).
    """
    parts: list[tuple[str, str]] = []
    if item.hidden:
        parts.append((_("hidden"), "bold red"))
    elif item.merged_into:
        parts.append((f"→ #{item.merged_into}", "magenta"))
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
    fits = sum(len(label) for label, _style in parts) + len(parts) - 1 <= width
    text = Text()
    for label, style in parts:
        if not fits and text.cell_len + len(label) + (1 if text else 0) + 2 > width:
            text.append(" …" if text else "…", style="dim")
            break
        if text:
            text.append(" ")
        text.append(label, style=style)
    return text


def legend() -> list[tuple[str, str]]:
    """What the signs in the feed and the results mean (the help screen shows it)."""
    return [
        ("●", _("marked (space): hidden, sorted or merged together")),
        ("✎", _("typed in by the facilitator (a paper card)")),
        (RTL_SIGN, _("written right to left (Arabic, Farsi): this terminal may draw it wrong; "
                     "B shows it right, in the browser")),
        ("→ #12", _("merged into #12 (u takes it out again)")),
        ("×3", _("said 3 times: itself and 2 merged into it")),
        ("★", _("a bold idea (b)")),
        ("✓", _("a practical idea (p)")),
        ("⇢2", _("answers 2 bottlenecks (l)")),
        ("▶", _("has an action (x)")),
        ("…", _("more badges than fit: the detail below the feed has them all")),
        ("(3)", _("in the results: how many scored it, or how many of a group raised a theme")),
        ("· · ·", _("a group that stays anonymous: fewer than the threshold were present")),
    ]
