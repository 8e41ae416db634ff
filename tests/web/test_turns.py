"""Page renders take turns of the event loop: a few per turn, in the order they asked, and a
request that is cancelled while it waits gives its place to the next."""

from __future__ import annotations

import asyncio
from collections import Counter

from facilitator.web.turns import Turns


async def _count_turns(until: asyncio.Event) -> list[int]:
    """A counter of loop turns: a callback that schedules itself once per turn."""
    loop = asyncio.get_running_loop()
    tick = [0]

    def ticker() -> None:
        tick[0] += 1
        if not until.is_set():
            loop.call_soon(ticker)

    loop.call_soon(ticker)
    return tick


async def test_a_few_go_per_turn_of_the_loop_in_the_order_they_asked() -> None:
    turns = Turns(per_turn=3)
    done = asyncio.Event()
    tick = await _count_turns(done)
    went: list[tuple[int, int]] = []

    async def render(n: int) -> None:
        await turns.take()
        went.append((n, tick[0]))

    await asyncio.gather(*(render(n) for n in range(10)))
    done.set()
    assert [n for n, _turn in went] == list(range(10))
    per_turn = Counter(turn for _n, turn in went)
    assert max(per_turn.values()) == 3 and len(per_turn) == 4  # 3 + 3 + 3 + 1
    assert turns.waiting == 0


async def test_an_idle_server_lets_a_request_straight_through() -> None:
    turns = Turns(per_turn=2)
    for _ in range(5):
        await turns.take()  # one at a time: never a wait
        await asyncio.sleep(0)
    assert turns.waiting == 0


async def test_a_cancelled_wait_gives_its_place_to_the_next() -> None:
    turns = Turns(per_turn=1)
    went: list[int] = []

    async def render(n: int) -> None:
        await turns.take()
        went.append(n)

    tasks = [asyncio.create_task(render(n)) for n in range(4)]
    await asyncio.sleep(0)  # all have asked: 0 went, 1 to 3 wait
    tasks[1].cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert went == [0, 2, 3]
    assert turns.waiting == 0
