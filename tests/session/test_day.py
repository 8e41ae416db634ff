"""The store's part in the day as the seeds run it: the day chair's lines (notes addressed to a
stakeholder side, in the distillation round only), an idea's link to a bottleneck sent from a
phone, and which bottlenecks an ideas round offers."""

from __future__ import annotations

import pytest

from facilitator.core.errors import Reason, Refused
from facilitator.core.model import Source
from facilitator.session.store import SessionStore


async def test_the_day_chairs_lines_are_notes_addressed_to_a_side(store: SessionStore) -> None:
    first = await store.add_note("oogst", "Maak diversiteit deel van elk besluit.",
                                 addressed_to=["municipality", "civil_society", "municipality"])
    await store.add_note("oogst", "Een gewone notitie van de facilitator.")
    second = await store.add_note("oogst", "Zoek zelf de tafels op waar besloten wordt.",
                                  addressed_to=("migrant_org",))
    assert first.addressed_to == ("municipality", "civil_society")  # once each, in order
    assert [n.id for n in store.lines("oogst")] == [first.id, second.id]
    assert len(store.notes("oogst")) == 3
    path = store.path
    await store.close()
    reopened = SessionStore.open(path)
    try:
        assert [(n.text, n.addressed_to) for n in reopened.lines("oogst")] == [
            ("Maak diversiteit deel van elk besluit.", ("municipality", "civil_society")),
            ("Zoek zelf de tafels op waar besloten wordt.", ("migrant_org",))]
    finally:
        await reopened.close()


@pytest.mark.parametrize(("round_id", "groups", "reason"), [
    ("oogst", ("municipality", "nobody"), Reason.UNKNOWN_GROUP),
    ("knelpunten", ("municipality",), Reason.NOT_DISTILLATION),
])
async def test_a_line_to_an_unknown_side_or_outside_the_distillation_is_refused(
        store: SessionStore, round_id: str, groups: tuple[str, ...], reason: Reason) -> None:
    with pytest.raises(Refused) as refused:
        await store.add_note(round_id, "Een lijn", addressed_to=groups)
    assert refused.value.reason is reason
    assert store.notes() == []


async def test_an_idea_links_only_to_a_bottleneck(store: SessionStore) -> None:
    await store.go_to_round(2)
    bottleneck = await store.add_contribution("knelpunten", "Te veel regels", source=Source.TUI)
    tip = await store.add_contribution("checkin", "Geen knelpunt", source=Source.TUI)
    idea = await store.add_contribution("oplossingen", "Schrap er twee", links=(bottleneck.id,),
                                        source=Source.TUI)
    assert idea.links == (bottleneck.id,)
    for wrong in (tip.id, 999):
        with pytest.raises(Refused) as refused:
            await store.add_contribution("oplossingen", "Nog een", links=(wrong,),
                                         source=Source.TUI)
        assert refused.value.reason is Reason.NOT_FOUND
    assert len(store.contributions("oplossingen")) == 1


async def test_an_ideas_round_offers_the_top_of_every_bottleneck_round_before_it(
        store: SessionStore) -> None:
    items = [await store.add_contribution("knelpunten", f"Knelpunt {n}", source=Source.TUI)
             for n in range(8)]
    await store.update_contributions([items[0].id], hidden=True)
    await store.merge(items[1].id, [items[7].id])  # said twice: ranks first without votes
    assert [c.id for c in store.answerable("oplossingen", per_round=3)] == [
        items[1].id, items[2].id, items[3].id]
    assert len(store.answerable("oplossingen")) == 5
    assert store.answerable("knelpunten") == store.answerable("oogst") == []
