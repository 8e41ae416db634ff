"""The join panel: the QR code phones scan, the URL under it, and how many devices joined.

Four parts, each redrawn only when what it shows changes: the QR code (when the room's join code
changes, every few minutes: the participant server says so), the address, the counts (every
new device, without a new layout of the screen: its height is fixed) and the hints.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import Static

from facilitator.qr import TerminalQR
from facilitator.tui.i18n import _, ngettext
from facilitator.tui.widgets import tcss


@dataclass(frozen=True, slots=True)
class JoinShown:
    url: str | None
    """The join link as of now (None: the participant page is not running)."""
    devices: int
    participants: int
    problem: str = ""
    others: tuple[str, ...] = ()
    organiser: bool | None = None
    carries: int | None = None
    """How many phones the laptop carries at once (None: not known yet)."""
    open_files: int | None = None
    """The open-files limit that decides it (None: no such limit, as on Windows)."""


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
        parts.append(Text(_("No phone yet? Venue Wi-Fi may keep phones apart: use a hotspot "
                            "or travel router, or --host / --public-url."), style="dim"))
    for other in shown.others:
        if other != shown.url:
            parts.append(Text(_("also: ") + other, style="dim", overflow="fold"))
    if shown.carries is not None:
        parts.append(Text(
            _("Room for {phones} phones (open files: {files})").format(
                phones=shown.carries, files=shown.open_files) if shown.open_files is not None
            else _("Room for {phones} phones").format(phones=shown.carries), style="dim"))
    if shown.organiser is not None:  # the link only on its own screen: this one is projected
        parts.append(Text(_("Organiser link: on (k)") if shown.organiser
                          else _("Organiser link: off (k)"), style="dim"))
    return Group(*parts)


class JoinPanel(Vertical):
    """``compact``: no QR code, for narrow terminals (the QR code is then one key away, full
    screen)."""

    DEFAULT_CSS = tcss(__file__)

    join: reactive[JoinShown | None] = reactive(None, repaint=False)

    def __init__(self, *, compact: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.compact = compact

    def compose(self) -> ComposeResult:
        yield Static(classes="join-qr")
        yield Static(classes="join-url")
        yield Static(classes="join-counts")
        yield Static(classes="join-hints")

    def watch_join(self, old: JoinShown | None, new: JoinShown | None) -> None:
        if new is None:
            return
        qr, url, counts, hints = self.query(Static)
        if old is None or (old.url, old.problem) != (new.url, new.problem):
            if new.url and not self.compact:
                qr.update(TerminalQR(new.url))
            elif self.compact and new.url:
                qr.update(Text(_("Join (j: QR code full screen)"), style="bold"))
            else:
                qr.update(Text(new.problem, style="bold red") if new.problem else
                          Text(_("Starting the participant page…"), style="italic"))
            url.update(Text(new.url or "", style="bold", overflow="fold"))
            url.display = bool(new.url)
        if old is None or (old.devices, old.participants) != (new.devices, new.participants):
            counts.update(counts_text(new.devices, new.participants), layout=False)
        if not self.compact and (old is None or (old.devices == 0) != (new.devices == 0)
                                 or (old.others, old.organiser, old.url, old.carries)
                                 != (new.others, new.organiser, new.url, new.carries)):
            hints.update(hints_text(new))
