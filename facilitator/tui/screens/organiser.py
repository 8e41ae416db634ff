"""The organiser link: the room's read-only summary for an organiser's ``facilitator event
watch``, with its own secret (not the participants' join code). Anyone who holds the link can
follow the room's summary."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType

from facilitator.tui.i18n import N_
from facilitator.tui.screens.secret_link import SecretLinkScreen


class OrganiserScreen(SecretLinkScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,k", "close", "Close", id="organiser.close"),
    ]
    TITLE = N_("Organiser link")
    EXPLANATION = N_(
        "An organiser can follow this room from another laptop on the venue network "
        "with `facilitator event watch LINK`: a read-only summary (the round, the best "
        "items, who is at the table), as anonymous as the report. It is not the join "
        "code: give it to the organiser only, and do not project this screen.")
    OFF = N_("Organiser access is off: every organiser link is refused.")
    NOT_RUNNING = N_("The participant page is not running, so neither is the organiser link.")
    LINK_ID = "organiser-link"

    def is_on(self) -> bool:
        return bool(self.store.info.organiser_secret)

    async def set_link(self, *, on: bool) -> None:
        await self.store.set_organiser_link(on=on)
