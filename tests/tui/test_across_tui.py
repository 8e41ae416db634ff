"""The facilitator's screen across stakeholder groups (issue 22): with one group present the
results say so instead of ranking; the nudge about a silent group names a pooled group only on
the facilitator's own screen; the ranking key works in Dutch; a round without a vote has one
list and leaves the key out of the key bar."""

from __future__ import annotations

from textual.widgets import Static
from tui_helpers import plain, settle

from facilitator.session.store import SessionStore
from facilitator.tui.i18n import group_name, set_language
from facilitator.tui.widgets.keybar import KeyBar
from facilitator.tui.widgets.round_view import RoundView

SIZE = (160, 45)


async def _voted(store: SessionStore, groups: list[str]) -> None:
    await store.go_to_round(1)
    for n, group in enumerate(groups):
        await store.join(f"p{n}", lang="nl", stakeholder=group)
    first = await store.add_contribution("knelpunten", "Eerste", author="p0")
    await store.add_contribution("knelpunten", "Tweede", author="p1")
    await store.update_round("knelpunten", voting_open=True)
    for n in range(len(groups)):
        await store.ballot_items(f"p{n}", "knelpunten")
        await store.cast_ballot(f"p{n}", "knelpunten", {first.id: 1})
    await store.update_round("knelpunten", voting_open=False)


async def test_one_group_says_so_instead_of_ranking(make_app, store: SessionStore) -> None:
    await _voted(store, ["municipality"] * 5)
    app = make_app(store, lang="nl")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("R")  # from the feed straight to the results, carried by every group
        await settle(pilot)
        await pilot.pause(0.6)
        shown = plain(app.screen.query_one(RoundView).query_one(Static))
        assert "Gedragen door elke groep" in shown
        assert "Er is maar één belanghebbende groep aanwezig" in shown
        assert "Eerste" not in shown.split("Gedragen door elke groep")[-1]
        await pilot.press("R", "R")  # where the groups differ, then most votes again
        await settle(pilot)
        await pilot.pause(0.6)
        assert store.round_state("knelpunten").ranking == "votes"
        assert "Eerste" in plain(app.screen.query_one(RoundView).query_one(Static))


async def test_a_pooled_groups_nudge_only_on_the_facilitators_own_screen(
        make_app, session: SessionStore, add) -> None:
    # the municipality and the refugee-led initiative talk; the funder (one person, pooled
    # by the anonymity rule) says nothing
    for n in range(6):
        await add(f"Punt {n}", device=f"device-{n}")
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        set_language("en")
        funder = group_name(session.template, "funder")
        assert funder not in plain(app.screen.query_one("#voice"))  # may be projected
        assert not [n for n in app.notified if "said nothing" in n.message]
        await pilot.press("P")  # not on the projector: the facilitator's own screen
        await settle(pilot)
        assert f"{funder}: nothing said yet" in plain(app.screen.query_one("#voice"))
        assert [n.message for n in app.notified if "said nothing" in n.message] == [
            f"“{funder}” is at the table and has said nothing yet: invite them in?"]
        await add("Eindelijk", device="device-6")  # the funder speaks: the nudge goes
        await settle(pilot)
        await pilot.pause(0.4)
        assert "nothing said yet" not in plain(app.screen.query_one("#voice"))


async def test_a_round_without_a_vote_has_one_list(make_app, store: SessionStore) -> None:
    await store.go_to_round(0)  # the check-in: no vote
    app = make_app(store)
    async with app.run_test(size=(240, 45)) as pilot:
        await settle(pilot)
        bar = str(app.screen.query_one(KeyBar).render())
        assert " R " not in bar
        await pilot.press("R")
        await settle(pilot)
        assert any("one list only" in n.message for n in app.notified)
        assert store.round_state("checkin").ranking == "votes"
        await store.go_to_round(1)
        await settle(pilot)
        await pilot.pause(0.3)
        assert " R " in str(app.screen.query_one(KeyBar).render())  # voted: the key is there
