"""The join panel: the QR code phones scan, the URL under it, and how many devices joined."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text
from textual.widgets import Static

from facilitator.qr import TerminalQR
from facilitator.tui.i18n import _, ngettext


def join_renderable(url: str | None, *, devices: int, participants: int, problem: str = "",
                    others: list[str] | None = None, scale: int = 1,
                    qr: bool = True, organiser: bool | None = None) -> RenderableType:
    parts: list[RenderableType] = []
    if url:
        if qr:
            parts.append(TerminalQR(url, scale=scale))
        else:
            parts.append(Text(_("Join (j: QR code full screen)"), style="bold"))
        parts.append(Text(url, style="bold", overflow="fold"))
    elif problem:
        parts.append(Text(problem, style="bold red"))
    else:
        parts.append(Text(_("Starting the participant page…"), style="italic"))
    count = Text()
    count.append(str(devices), style="bold")
    count.append(" " + ngettext("device joined", "devices joined", devices))
    count.append(f"  ·  {participants} ", style="bold")
    count.append(ngettext("participant", "participants", participants))
    parts.append(count)
    if url and devices == 0 and qr:
        parts.append(Text(_("No phone yet? Venue Wi-Fi may keep phones apart: use a hotspot "
                            "or travel router, or --host / --public-url."), style="dim"))
    for other in (others or []) if qr else []:
        if other != url:
            parts.append(Text(_("also: ") + other, style="dim", overflow="fold"))
    if organiser is not None and qr:  # the link only on its own screen: this one is projected
        parts.append(Text(_("Organiser link: on (k)") if organiser
                          else _("Organiser link: off (k)"), style="dim"))
    return Group(*parts)


class JoinPanel(Static):
    """Shows whatever the screen gives it (the screen knows the server). ``compact``: no QR
    code, for narrow terminals (the QR code is then one key away, full screen)."""

    def __init__(self, *, compact: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.compact = compact
        self._shown: tuple[object, ...] | None = None

    def show(self, url: str | None, *, devices: int, participants: int, problem: str = "",
             others: list[str] | None = None, organiser: bool | None = None) -> None:
        shown = (url, devices, participants, problem, tuple(others or ()), organiser)
        if shown == self._shown:  # drawing a QR code is not free: only when something changed
            return
        self._shown = shown
        self.update(join_renderable(url, devices=devices, participants=participants,
                                    problem=problem, others=others, qr=not self.compact,
                                    organiser=organiser))
