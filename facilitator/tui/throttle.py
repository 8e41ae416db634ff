"""At most one redraw of a kind per interval, however often something asks for it."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.message_pump import MessagePump
from textual.timer import Timer


class Throttle:
    """Call ``show`` soon after :meth:`ask`, and at most once per ``interval``: the first ask
    after a quiet spell is shown at once (on the next turn of the loop), asks in between are
    folded into the next showing. A busy room asks hundreds of times a second; the screen
    only needs to catch up once per frame, or per quarter of a second for a count."""

    def __init__(self, owner: MessagePump, interval: float, show: Callable[[], None]) -> None:
        self.owner = owner
        self.interval = interval
        self.show = show
        self._timer: Timer | None = None
        self._shown_at = 0.0

    def ask(self) -> None:
        if self._timer is None:
            wait = max(0.001, self._shown_at + self.interval - time.monotonic())
            self._timer = self.owner.set_timer(wait, self._run)

    def _run(self) -> None:
        self._timer = None
        self._shown_at = time.monotonic()
        self.show()
