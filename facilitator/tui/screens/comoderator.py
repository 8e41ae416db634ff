"""The co-moderator's link: the round's contributions on a colleague's phone or laptop, shown
with their own direction (Arabic and Farsi read right there, where this terminal may not draw
them), to approve, hide and merge (``facilitator/web/moderation.py``). Whoever holds the link
can change what the room sees, so it has a secret of its own, like the organiser link."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group, RenderableType
from textual.binding import Binding, BindingType

from facilitator.qr import TerminalQR
from facilitator.tui.i18n import N_
from facilitator.tui.screens.secret_link import SecretLinkScreen


class ComoderatorScreen(SecretLinkScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,K", "close", "Close", id="comoderator.close"),
    ]
    TITLE = N_("Co-moderator link")
    EXPLANATION = N_(
        "A colleague who reads a language you do not (Arabic, Farsi...) can moderate "
        "with you from their own phone or laptop on the venue network: the round's "
        "contributions shown right, to approve, hide and merge. What they change shows "
        "here at once. Give the link to that colleague only (let them scan the code), "
        "and do not project this screen.")
    OFF = N_("The co-moderator link is off: every co-moderator link is refused.")
    NOT_RUNNING = N_("The participant page is not running, so neither is the co-moderator link.")
    LINK_ID = "comoderator-link"

    def is_on(self) -> bool:
        return bool(self.store.info.comoderator_secret)

    async def set_link(self, *, on: bool) -> None:
        await self.store.set_comoderator_link(on=on)

    def shown(self, link: str) -> RenderableType:
        """With its QR code: the colleague scans it rather than typing a secret."""
        return Group(TerminalQR(link), super().shown(link))
