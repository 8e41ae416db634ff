"""The laptop's real limits: ``serve`` (and the session's host) raise the open-files limit as far
as the hard limit allows and say how many phones that carries; a laptop that cannot raise it
turns new phones away with a sentence in their language before the limit, never a room that
stops answering after. The server runs as a stock desktop starts it (``prlimit``), never with
this test runner's limit raised."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from facilitator.web.capacity import RAISE_TO, SESSION_FILES, OpenFiles, RoomCapacity
from tests.web.stock_laptop import HARD, RealPhone, resource, stock_server

LINUX_DESKTOP, MAC_DESKTOP = 1024, 256


@pytest.mark.parametrize("limit", [LINUX_DESKTOP, MAC_DESKTOP])
def test_what_a_limit_carries(limit: int) -> None:
    capacity = RoomCapacity.of(OpenFiles(limit))
    assert capacity.connections + capacity.backlog + SESSION_FILES == limit
    assert capacity.phones < capacity.streams < capacity.connections
    assert capacity.live_per_address <= capacity.phones // 2
    assert (capacity.phones, capacity.connections) == {1024: (684, 912), 256: (144, 192)}[limit]


@pytest.mark.parametrize("soft", [LINUX_DESKTOP, MAC_DESKTOP])
async def test_serve_raises_the_limit_and_says_what_it_carries(tmp_path: Path, soft: int) -> None:
    if HARD != resource.RLIM_INFINITY and soft >= HARD:
        pytest.skip(f"the hard limit here ({HARD}) leaves nothing to raise")
    async with stock_server(tmp_path, soft) as served:
        raised = RAISE_TO if HARD == resource.RLIM_INFINITY else min(HARD, RAISE_TO)
        assert served.soft_limit() == raised
        carries = RoomCapacity.of(OpenFiles(raised)).phones
        assert f"Open files: {raised:,} (raised from {soft:,}): room for {carries:,} phones" \
            in "\n".join(served.lines)


async def test_a_laptop_that_cannot_raise_its_limit_turns_new_phones_away_first(
    tmp_path: Path
) -> None:
    """macOS's 256 as the hard limit too: the room carries what that allows, every phone that
    joined keeps sending, and the next one is told in its own language that the room is full,
    with a Back link that keeps its join code."""
    carries = RoomCapacity.of(OpenFiles(MAC_DESKTOP)).phones
    async with stock_server(tmp_path, MAC_DESKTOP, MAC_DESKTOP) as served:
        assert re.search(rf"Open files: 256: room for {carries} phones at once.*hard limit",
                         "\n".join(served.lines))
        phones: list[RealPhone] = []
        listening = []
        late = RealPhone(served, forwarded="10.9.9.9", lang="uk")
        try:
            for n in range(carries):
                phone = RealPhone(served, forwarded=f"10.1.{n // 200}.{n % 200 + 1}")
                phones.append(phone)
                if n == carries - 1:  # the late phone scans while there is still room
                    assert await late.scan(table="C") == 200
                status, _, _ = await phone.join()
                assert status == 303, f"phone {n + 1} of {carries} could not join"
                listening.append(await phone.listen())
                assert listening[-1].status == 200
            status, page, headers = await late.start()  # and presses Start once it is full
            assert status == 503 and headers["Retry-After"] == "30"
            assert "Зала заповнена" in page  # in the language it chose
            back = re.search(r'href="(/j/[^"]+)"', page)
            assert back is not None
            link = back.group(1).replace("&amp;", "&")
            assert f"code={late.scanned['code']}" in link and "table=C" in link
            assert await late.scan() == 503  # the join page says so at once now
            assert "Зала заповнена" in late.page
            # every phone that joined carries on
            for n, phone in enumerate(phones[:carries:12]):
                status, answer = await phone.send(f"nog steeds hier {n}")
                assert status == 200, answer
            assert served.open_files() < MAC_DESKTOP
        finally:
            for response in listening:
                response.close()
            await asyncio.gather(*(phone.close() for phone in [*phones, late]))
