"""The session screen's dialog flows, by area: what a key asks, and the store call it makes
with the answer.

Each flow is given the screen as a :class:`SessionContext` (what a flow needs of it, nothing
more) and never imports the screen. A flow changes nothing on screen by itself: it makes a
store call (:meth:`SessionContext.write`), and the screen shows the change when the commit
comes back. A refused or failed call is reported in one place, the app's
``handle_worker_error`` (a dialog that keeps what was typed says the same sentence itself:
:func:`facilitator.tui.refusals.said`).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Protocol

from textual.notifications import SeverityLevel

if TYPE_CHECKING:
    from textual.app import App

    from facilitator.core.model import Contribution
    from facilitator.core.templates import RoundSpec
    from facilitator.session.store import SessionStore
    from facilitator.tui.desk import Desk


class SessionContext(Protocol):
    """What a flow needs of the session screen."""

    store: SessionStore
    desk: Desk
    round_index: int
    """The round on screen (the session's current round)."""
    projected: bool
    """Whether this screen may be on the projector."""

    @property
    def spec(self) -> RoundSpec: ...

    @property
    def app(self) -> App[object]: ...

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None: ...

    def write(self, work: Awaitable[Any], done: str | None = None) -> None:
        """Make a store call in a worker; ``done`` is said once it is on disk."""
        ...

    @property
    def current_id(self) -> int | None:
        """The contribution under the feed's cursor."""
        ...

    def current(self) -> Contribution | None:
        """The contribution under the cursor; None (and the facilitator is told) when none."""
        ...

    def targets(self) -> list[int]:
        """The marked contributions, else the one under the cursor."""
        ...

    def clear_marks(self) -> None: ...

    def focus_view(self) -> None:
        """The feed or the results, whichever is shown, takes the focus."""
        ...

    def show_feed(self) -> None:
        """The feed rather than the results."""
        ...

    def show_join(self) -> None:
        """Bring the join panel up to date (a link switched on or off)."""
        ...


class Flows:
    """Flows of one area, on one session screen."""

    def __init__(self, session: SessionContext) -> None:
        self.session = session

    @property
    def store(self) -> SessionStore:
        return self.session.store

    @property
    def spec(self) -> RoundSpec:
        return self.session.spec
