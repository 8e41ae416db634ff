"""A round paged newest first for the moderation pages, at a bounded cost per page."""

from __future__ import annotations

from facilitator.core.model import Source
from facilitator.session.store import SessionStore


async def test_walk_back_pages_one_round_among_others(store: SessionStore) -> None:
    ids: dict[str, list[int]] = {"checkin": [], "knelpunten": []}
    for n in range(7):  # two rounds' contributions interleaved, as a revisited round has them
        for round_id in ids:
            item = await store.add_contribution(round_id, f"{round_id} {n}", source=Source.TUI)
            ids[round_id].append(item.id)
    hidden = ids["checkin"][3]
    await store.update_contributions([hidden], hidden=True)
    wanted = list(reversed(ids["checkin"]))  # newest first, the hidden one included

    seen: list[int] = []
    before: int | None = None
    pages = 0
    while True:
        found, before = store.walk_back("checkin", before, 4)  # 4 ids: 2 of this round
        assert len(found) <= 2
        seen += [item.id for item in found]
        pages += 1
        if not before:
            break
    assert seen == wanted and pages == 4
    assert store.walk_back("aan-tafel", None, 4) == ([], 0)  # a round without any
    assert [c.id for c in store.walk_back("knelpunten", None, 100)[0]] == \
        list(reversed(ids["knelpunten"]))
