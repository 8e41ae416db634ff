"""What a session's screens need of the app, handed to them rather than imported.

The app (:class:`facilitator.tui.app.FacilitatorApp`) imports its screens; a screen never
imports the app. The session screen is given a :class:`Desk` when it is made (the app is one),
the smaller screens are given the one or two callables they use (a link, a way to print the
cards), and the home screen sends messages up. The app's reactives ``server_state`` and
``wall_open`` are watched by name (``Screen.watch(self.app, ...)``). So imports run one way:
app → screens → widgets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from facilitator.preflight import Target


@dataclass(frozen=True, slots=True)
class ServerState:
    """Whether the participant page runs, and if not, why not ("" while it starts)."""

    ready: bool = False
    problem: str = ""


@dataclass(frozen=True, slots=True)
class ServerSeen:
    """What the join panel shows of the running participant server."""

    room_link: str
    """The room's short link, in the QR code."""
    room_links: tuple[str, ...]
    """The same link on the laptop's other addresses."""
    devices: int
    """Devices that have reached the page."""
    carries: int | None = None
    """How many phones this laptop can carry (None: not known)."""
    open_files: int | None = None
    """The process's open-files limit behind :attr:`carries`."""


class Desk(Protocol):
    """The app as a session's screens see it: the participant server's state and links, the
    wall, the clock, and where the view is kept until it is saved."""

    @property
    def server_state(self) -> ServerState: ...

    @property
    def wall_open(self) -> bool: ...

    last_view_state: dict[str, Any] | None
    """The session screen's view, saved on quitting at the latest."""

    @property
    def clock(self) -> Callable[[], float]:
        """The time the round's timer runs on (seconds since the epoch)."""
        ...

    def server_url(self, kind: str) -> str | None:
        """The running participant server's ``room``, ``wall``, ``organiser``, ``moderation``
        or ``comoderator`` address (None while it does not run, or that link is off)."""
        ...

    def server_seen(self) -> ServerSeen | None:
        """What the join panel shows of the server; None while it does not run."""
        ...

    def watch_join_url(self, callback: Callable[[], None]) -> Callable[[], None] | None:
        """Call ``callback`` whenever the room's join code changes; returns how to stop (None:
        no participant server)."""
        ...

    def preflight_target(self) -> Target | None:
        """What the network check checks: where the running page sends phones."""
        ...

    def open_wall(self) -> None: ...

    async def open_in_browser(self, url: str) -> bool: ...

    def print_cards(self) -> None: ...
