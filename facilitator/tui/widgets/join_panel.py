"""The join panel: the QR code phones scan, the link under it, and how many devices joined.

Four parts, each redrawn only when what it shows changes: the QR code (when the room's join code
changes, every few minutes: the participant server says so, or when the screen gives it another
size), the link, the counts (every new device, without a new layout of the screen: its height
is fixed) and the hints.

A QR code that is cut does not scan, so the panel draws a whole code or none: the screen makes
the side panel as wide as the code it draws (:func:`side_scale`), and below the size where a
whole code fits beside the feed, a compact panel in the left column points to ``j`` (the code
full screen) instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.geometry import Size
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from facilitator.qr import TerminalQR, terminal_size
from facilitator.tui.i18n import _, ngettext
from facilitator.tui.widgets import tcss

LEFT_WIDTH = 26
"""The session screen's left column (the agenda and the room), in cells."""
SIDE_CHROME = 3
"""What the side panel adds to its code's width: its border and padding."""
SIDE_TEXT_ROWS = 10
"""Rows the side panel needs besides its code: its title, the link, the counts, a hint."""
SCREEN_CHROME_ROWS = 4
"""Rows of the screen outside the body: the header and the key bar."""
CENTRE_MIN = 72
"""The feed needs this many columns to show a contribution's text beside its other columns;
below it the QR code leaves the side (j still shows it, full screen)."""
CENTRE_FOR_DOUBLE = 100
"""A code at twice the size only where the feed keeps this much room."""


SIDE_TEXT_MIN = 33
"""The side panel's text never has fewer columns than this (the link may take two lines, broken
only at a ``/`` (:func:`link_lines`): the columns go to the feed)."""


def side_scale(modules: int, width: int, height: int) -> int:
    """The scale of the side panel's QR code (``modules`` across, quiet zone included) on a
    ``width`` × ``height`` screen: 2 where the feed keeps :data:`CENTRE_FOR_DOUBLE` columns, 1
    where it keeps :data:`CENTRE_MIN`, else 0 (no code beside the feed: the left column points
    to j)."""
    rows = height - SCREEN_CHROME_ROWS - SIDE_TEXT_ROWS
    for scale, centre in ((2, CENTRE_FOR_DOUBLE), (1, CENTRE_MIN)):
        if width - LEFT_WIDTH - side_width(modules, scale) >= centre \
                and terminal_size(modules, scale)[1] <= rows:
            return scale
    return 0


def side_width(modules: int, scale: int) -> int:
    """The side panel's width for a code of ``modules`` at ``scale``."""
    return max(SIDE_TEXT_MIN, terminal_size(modules, scale)[0]) + SIDE_CHROME


@dataclass(frozen=True, slots=True)
class JoinShown:
    url: str | None
    """The room's short link as of now (None: the participant page is not running)."""
    devices: int
    participants: int
    problem: str = ""
    others: tuple[str, ...] = ()
    organiser: bool | None = None
    wall: bool = False
    """The wall is open in the browser (W): the hint to open it is not needed."""
    carries: int | None = None
    """How many phones the laptop carries at once (None: not known yet)."""
    open_files: int | None = None
    """The open-files limit that decides it (None: no such limit, as on Windows)."""


def link_lines(url: str, width: int) -> list[str]:
    """The join link in lines of at most ``width`` columns, so that it never breaks where a
    reader would misread it: on one line if it fits, else without its ``http://`` (a browser
    adds it back), else broken only before a ``/``, each piece whole; a piece longer than the
    line is folded only when nothing else fits."""
    bare = url.removeprefix("http://")
    for shown in (url, bare):
        if len(shown) <= width:
            return [shown]
    for shown in (url, bare):
        lines = _at_slashes(shown)
        if all(len(line) <= width for line in lines):
            return lines
    return [part[start:start + width] for part in _at_slashes(bare)
            for start in range(0, len(part), max(1, width))]


def _at_slashes(link: str) -> list[str]:
    """``link`` in pieces that start at a ``/`` of its path (the scheme's ``//`` stays with the
    host): ``http://host:port/r/code`` gives ``http://host:port`` and ``/r/code``."""
    scheme, sep, rest = link.rpartition("://")
    host, slash, path = rest.partition("/")
    return [f"{scheme}{sep}{host}", f"{slash}{path}"] if slash else [link]


class JoinLink(Widget):
    """The join link, in lines that break only where :func:`link_lines` allows at the width the
    panel gives it."""

    DEFAULT_CSS = "JoinLink { height: auto; text-style: bold; }"

    url: reactive[str] = reactive("", layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(link_lines(self.url, width)) if self.url else 0

    def render(self) -> Text:
        return Text("\n".join(link_lines(self.url, self.content_size.width)) if self.url else "",
                    no_wrap=True)


def counts_text(devices: int, participants: int) -> Text:
    count = Text()
    count.append(str(devices), style="bold")
    count.append(" " + ngettext("device joined", "devices joined", devices))
    count.append(f"  ·  {participants} ", style="bold")
    count.append(ngettext("participant", "participants", participants))
    return count


def hints_text(shown: JoinShown) -> RenderableType:
    parts: list[RenderableType] = []
    if shown.url and shown.devices == 0:
        parts.append(Text(_("No phone yet? The venue's Wi-Fi may keep phones from reaching "
                            "this laptop: share a phone's hotspot (or a travel router), "
                            "connect the laptop to it, and start the session again."),
                          style="dim"))
    for other in shown.others:
        if other != shown.url:
            parts.append(Text(_("also: ") + other, style="dim", overflow="fold"))
    if shown.carries is not None:
        parts.append(Text(
            _("Room for {phones} phones (open files: {files})").format(
                phones=shown.carries, files=shown.open_files) if shown.open_files is not None
            else _("Room for {phones} phones").format(phones=shown.carries), style="dim"))
    if shown.url and not shown.wall:
        parts.append(Text(_("For the projector: W opens the wall in your browser."),
                          style="dim"))
    if shown.organiser is not None:  # the link only on its own screen: this one is projected
        parts.append(Text(_("Organiser link: on (k)") if shown.organiser
                          else _("Organiser link: off (k)"), style="dim"))
    return Group(*parts)


class JoinPanel(Vertical):
    """``compact``: no QR code, for narrow terminals (the QR code is then one key away, full
    screen)."""

    DEFAULT_CSS = tcss(__file__)

    join: reactive[JoinShown | None] = reactive(None, repaint=False)
    scale: reactive[int] = reactive(1, repaint=False)
    """The QR code's size (:func:`side_scale`); 0 draws none."""

    def __init__(self, *, compact: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.compact = compact

    def compose(self) -> ComposeResult:
        yield Static(classes="join-qr")
        yield JoinLink(classes="join-url")
        yield Static(classes="join-counts")
        yield Static(classes="join-hints")

    def watch_scale(self) -> None:
        if self.join is not None:
            self._show_code(self.join)

    def _show_code(self, shown: JoinShown) -> None:
        qr = self.query_one(".join-qr", Static)
        if shown.url and not self.compact and self.scale:
            qr.update(TerminalQR(shown.url, scale=self.scale))
        elif shown.url:
            pointer = Text()
            pointer.append(" j ", style="bold reverse")
            pointer.append(" " + _("the QR code to join"), style="bold")
            pointer.append("\n" + _("Too big for this window: j shows it full screen."))
            qr.update(pointer)
        else:
            qr.update(Text(shown.problem, style="bold red") if shown.problem else
                      Text(_("Starting the participant page…"), style="italic"))

    def watch_join(self, old: JoinShown | None, new: JoinShown | None) -> None:
        if new is None:
            return
        url = self.query_one(JoinLink)
        counts = self.query_one(".join-counts", Static)
        hints = self.query_one(".join-hints", Static)
        if old is None or (old.url, old.problem) != (new.url, new.problem):
            self._show_code(new)
            url.url = new.url or ""
            url.display = bool(new.url)
        if old is None or (old.devices, old.participants) != (new.devices, new.participants):
            counts.update(counts_text(new.devices, new.participants), layout=False)
        if not self.compact and (old is None or (old.devices == 0) != (new.devices == 0)
                                 or (old.others, old.organiser, old.url, old.wall,
                                     old.carries)
                                 != (new.others, new.organiser, new.url, new.wall,
                                     new.carries)):
            hints.update(hints_text(new))
