"""Turns of the event loop for heavy steps of a request, a few per turn.

The participant server shares its loop with the facilitator's screen. A commit that many page
loads wait for (a ballot's sample is on disk before the page shows it) wakes them all in the
same turn of the loop, and a hundred page renders of a couple of milliseconds each would hold
the loop, and the facilitator's key press, for a fifth of a second. Before rendering, a
request takes a turn: at most :data:`PER_TURN` go ahead in one turn of the loop, the others
in the turns after, in the order they asked. An idle server lets every request straight
through; a busy one spreads the same work over more, shorter turns, so nothing is slower in
total and everything else on the loop (keys, frames, the live updates) gets in between.
"""

from __future__ import annotations

import asyncio
from collections import deque

PER_TURN = 4
"""Renders of a participant page (1 to 3 ms each) that may start in one turn of the loop."""


class Turns:
    def __init__(self, per_turn: int = PER_TURN) -> None:
        self.per_turn = per_turn
        self._started = 0
        """Started in this turn of the loop."""
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._next_turn_asked = False

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    async def take(self) -> None:
        """Return in a turn of the loop with room for one more heavy step."""
        if self._started < self.per_turn and not self._waiting:
            self._started += 1
            self._ask_next_turn()
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        self._ask_next_turn()
        await waiter  # a cancelled request (its phone went away) gives its place to the next

    def _ask_next_turn(self) -> None:
        if not self._next_turn_asked:
            self._next_turn_asked = True
            asyncio.get_running_loop().call_soon(self._turn)

    def _turn(self) -> None:
        """A new turn of the loop: let the next few go (they run in the turn after this)."""
        self._next_turn_asked = False
        self._started = 0
        while self._waiting and self._started < self.per_turn:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                self._started += 1
        if self._waiting or self._started:
            self._ask_next_turn()
