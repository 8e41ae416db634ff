"""Corrections in the store: actions and the day chair's lines edited and removed (marked, kept
in the file, left out wherever they are shown), the timer set shorter or to a value, the
session's details and day, its own tables, and who hid a contribution."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import orjson
import pytest

from facilitator.core.errors import Reason, Refused
from facilitator.core.joining import JoinCode, card_code
from facilitator.core.model import HiddenBy, Source, held_on
from facilitator.session.journal import load_session
from facilitator.session.library import Library, Templates
from facilitator.session.store import SessionStore


def on_disk(path: Path) -> dict:
    """The session as a reader finds it on disk: the file with its journal applied."""
    return load_session(path)[0]


async def test_an_action_is_corrected_in_place_and_removed_without_being_deleted(
        store: SessionStore) -> None:
    await store.update_round("oplossingen", submissions_open=True)
    idea = await store.add_contribution("oplossingen", "Wisselstage", source=Source.TUI)
    action = await store.add_action("Proef uitwerken", owner="Gemeente", due="2027-03-31",
                                    contribution_id=idea.id, round_id="oplossingen")
    edited = await store.edit_action(action.id, "Proef voor twee personen",
                                     owner="  Welzijn\u202e ", due="2027-04-30")
    assert edited.id == action.id
    assert [(a.text, a.owner, a.due) for a in store.actions_for(idea.id)] == [
        ("Proef voor twee personen", "Welzijn", "2027-04-30")]
    assert len(store.actions()) == 1
    with pytest.raises(Refused) as refused:
        await store.edit_action(action.id, "x", due="31-04-2027")
    assert refused.value.reason is Reason.NOT_A_DATE
    with pytest.raises(Refused):
        await store.edit_action(action.id, "   ")

    await store.remove_action(action.id)
    assert store.actions() == [] and store.actions_for(idea.id) == []
    with pytest.raises(Refused):  # a removed action is not there to edit
        await store.edit_action(action.id, "terug")
    await store.close()
    [doc] = on_disk(store.path)["actions"].values()
    assert (doc["text"], doc["removed"]) == ("Proef voor twee personen", True)
    again = SessionStore.open(store.path)
    try:
        assert again.actions() == [] and again.actions_for(idea.id) == []
    finally:
        await again.close()


async def test_a_line_is_readdressed_edited_and_removed(store: SessionStore) -> None:
    line = await store.add_note("oogst", "Betrek de groepen vroeg", addressed_to=["migrant_org"])
    note = await store.add_note("oogst", "Zaal was te warm")
    edited = await store.edit_line(line.id, "Betrek de groepen voordat het beleid vastligt",
                                   addressed_to=["municipality", "civil_society"])
    assert [(n.text, n.addressed_to) for n in store.lines("oogst")] == [
        ("Betrek de groepen voordat het beleid vastligt", ("municipality", "civil_society"))]
    assert edited.edited > 0
    for groups in ([], ["nobody"]):
        with pytest.raises(Refused):
            await store.edit_line(line.id, "x", addressed_to=groups)
    with pytest.raises(Refused):  # a facilitator's note is no line to re-address
        await store.edit_line(note.id, "x", addressed_to=["municipality"])

    await store.remove_note(line.id)
    assert store.lines("oogst") == []
    assert [n.id for n in store.notes("oogst")] == [note.id]
    await store.remove_note(note.id)
    assert store.notes() == []
    await store.close()
    removed = {doc["text"]: doc["removed"] for doc in on_disk(store.path)["notes"].values()}
    assert removed == {"Betrek de groepen voordat het beleid vastligt": True,
                       "Zaal was te warm": True}
    again = SessionStore.open(store.path)
    try:
        assert again.lines("oogst") == [] and again.notes() == []
    finally:
        await again.close()


async def test_the_timer_is_set_shorter_or_to_a_value(store: SessionStore) -> None:
    await store.go_to_round(1)
    state = await store.set_timer("knelpunten", running=False)
    left = state.remaining(0) if state.timer_started_at is None else None
    assert left is not None
    shorter = await store.set_timer("knelpunten", add_minutes=-1)
    assert shorter.remaining(0) == pytest.approx(left - 60)
    set_to = await store.set_timer("knelpunten", left_minutes=2.5)
    assert set_to.remaining(0) == pytest.approx(150)
    # taking time away stops at "time is up": the timer never owes time
    for _ in range(4):
        gone = await store.set_timer("knelpunten", add_minutes=-1)
    assert gone.remaining(0) == pytest.approx(0)
    with pytest.raises(Refused):
        await store.set_timer("knelpunten", left_minutes=-1)


async def test_the_session_day_is_the_day_its_first_round_started(store: SessionStore) -> None:
    state = store.round_state("checkin")
    assert state.started_at == 0
    assert held_on(store.info, [state]) == dt.date.fromtimestamp(store.info.created)
    await store.go_to_round(0)
    started = store.round_state("checkin").started_at
    assert started > 0
    await store.go_to_round(1)
    await store.go_to_round(0)  # a round visited again keeps when it first started
    assert store.round_state("checkin").started_at == started
    rounds = [store.round_state(spec.id) for spec in store.template.rounds]
    assert held_on(store.info, rounds) == dt.date.fromtimestamp(started)

    info = await store.set_details(title=" Kennisatelier\u202e Zwolle ", place="Zwolle",
                                   held_on="2027-03-14")
    assert (info.title, info.place, info.held_on) == ("Kennisatelier Zwolle", "Zwolle",
                                                      "2027-03-14")
    assert held_on(store.info, rounds) == dt.date(2027, 3, 14)
    for bad in ({"title": ""}, {"title": "x" * 201}, {"title": "t", "held_on": "14-03-2027"},
                {"title": "t", "held_on": "2027-02-30"}):
        with pytest.raises(Refused):
            await store.set_details(**bad)
    assert store.info.title == "Kennisatelier Zwolle"


async def test_a_session_owns_its_tables(library: Library, templates: Templates) -> None:
    template = templates.load("kennisatelier")
    store = library.create(template, tables=["Noord", "Zuid", "Oost", "West", "Midden"])
    try:
        assert store.info.tables == ("Noord", "Zuid", "Oost", "West", "Midden")
        await store.join("d1", lang="nl", table_group="Midden")
        with pytest.raises(Refused):
            await store.join("d2", lang="nl", table_group="A")  # the template's, not this one's
        card = card_code(store.info, "West")
        await store.revoke_card("West")
        await store.set_tables(["Noord", "Zuid"])
        assert store.info.tables == ("Noord", "Zuid")
        # a table taken away: its card admits nobody, whoever sat there keeps their table
        with pytest.raises(Refused):
            store.admits(JoinCode(card_code(store.info, "Oost"), 0))
        assert store.participant("d1").table_group == "Midden"
        await store.set_tables(["Noord", "Zuid", "West"])
        # a table given back has the card it had: the revoked one stays revoked
        with pytest.raises(Refused):
            store.admits(JoinCode(card, 0))
        assert store.admits(JoinCode(card_code(store.info, "West"), 0)) == "card:West"
    finally:
        await store.close()
    again = SessionStore.open(store.path)  # a table no longer there is still a valid file
    try:
        assert again.info.tables == ("Noord", "Zuid", "West")
    finally:
        await again.close()


async def test_a_session_from_before_keeps_its_templates_tables(store: SessionStore) -> None:
    await store.close()
    raw = orjson.loads(store.path.read_bytes())
    [info] = raw["session"].values()
    del info["tables"]
    store.path.write_bytes(orjson.dumps(raw))
    again = SessionStore.open(store.path)
    try:
        assert again.info.tables == ("A", "B", "C")
    finally:
        await again.close()


async def test_the_phone_keeps_what_the_facilitator_hid_but_not_what_it_withdrew(
        store: SessionStore) -> None:
    await store.join("dev", lang="ar")
    await store.update_round("knelpunten", submissions_open=True)
    hidden = await store.add_contribution("knelpunten", "Verborgen", author="dev")
    withdrawn = await store.add_contribution("knelpunten", "Teruggenomen", author="dev")
    [item] = await store.update_contributions([hidden.id], hidden=True)
    assert item.hidden_by == HiddenBy.FACILITATOR
    taken = await store.withdraw(withdrawn.id, "dev")
    assert taken.hidden_by == HiddenBy.AUTHOR
    assert [c.id for c in store.own_contributions("knelpunten", "dev")] == [hidden.id]
    [restored] = await store.update_contributions([hidden.id], hidden=False)
    assert (restored.hidden, restored.hidden_by) == (False, "")


async def test_list_counts_what_the_report_counts(library: Library, templates: Templates
                                                  ) -> None:
    store = library.create(templates.load("kennisatelier"))
    try:
        await store.update_round("oogst", submissions_open=True)  # moderated
        await store.update_round("knelpunten", submissions_open=True)
        await store.join("dev", lang="nl")
        kept = await store.add_contribution("knelpunten", "Telt", author="dev")
        duplicate = await store.add_contribution("knelpunten", "Telt ook", author="dev")
        await store.merge(kept.id, [duplicate.id])
        hidden = await store.add_contribution("knelpunten", "Verborgen", author="dev")
        await store.update_contributions([hidden.id], hidden=True)
        await store.add_contribution("oogst", "Wacht op goedkeuring", author="dev")
        counted = store.audit().contributions
    finally:
        await store.close()
    [entry] = library.entries()
    assert counted == entry.contributions == 2
    raw = json.loads(store.path.read_bytes())  # UTF-8, whatever the system's encoding
    assert len(raw["contributions"]) == 4  # everything is kept; only two count
