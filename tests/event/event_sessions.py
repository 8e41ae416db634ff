"""Three rooms of one event, each from another template, with a small refugee-led group in
every room (the event tests and the watch tests use them).

- Room A, kennisatelier: 4 municipality, 3 civil society, 1 refugee-led, 1 "prefer not to say".
  The small ones pool two people, so civil society (the smallest named group) joins the pool:
  in room A civil society is withheld, though it is named in the other rooms.
- Room B, cocreatie: 3 municipality, 4 civil society, 2 refugee-led, 3 citizen initiative.
  Refugee-led alone pools two; citizen initiative (listed first of the two groups of three in
  cocreatie) joins.
- Room C, aannames with a closing distillation round: 3 municipality, 3 civil society,
  2 refugee-led, 1 migrant organisation: the pool holds three, nobody else joins.

Across the event refugee-led has five people, above every threshold, and is still never named:
it was small in each room.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from facilitator.core.model import Source
from facilitator.core.templates import Template, load_template, parse_template
from facilitator.paths import builtin_templates_dir
from facilitator.session.store import SessionStore

CREATED = 1_795_430_000.0
SCRIPT = "<script>alert('zaal')</script> **vet** | pijp"
ARABIC = "لا أحد يشرح لنا القواعد"

REFUGEE_TEXTS = {
    "a": "Onze vrijwilligers worden niet betaald voor vertaalwerk.",
    "b": "Wie Arabisch spreekt, wordt niet gehoord.",
    "c": "Men denkt dat wij alleen hulp komen vragen.",
}
LINES = (
    ("Geef elk initiatief één vaste contactpersoon bij de gemeente.", ("municipality",)),
    ("Zoek elkaar op voordat de subsidieronde begint.", ("migrant_org", "refugee_led")),
)
ACTIONS = {
    "a": ("Eén loket uitwerken met de wijkteams", "Gemeente Zwolle"),
    "b": ("Tolkenpool opzetten voor vergaderingen", "Stichting Samen"),
    "c": ("Terugbelproef starten", "Team Publiekszaken"),
    "c-audit": ("Jongerenorganisaties persoonlijk uitnodigen", "Welzijn Zwolle"),
}


@dataclass
class RoomFixture:
    letter: str
    path: Path
    session_id: str
    texts: list[str] = field(default_factory=list)
    """Every counted contribution's text."""
    refugee: set[int] = field(default_factory=set)
    """Ids of the refugee-led participants' contributions."""
    join_token: str = ""


def closing_template() -> Template:
    """aannames with a distillation round at the end (as the kennisatelier gets one)."""
    base = load_template(builtin_templates_dir() / "aannames.toml")
    data: dict[str, Any] = base.model_dump(mode="json")
    data["id"] = "aannames-slot"
    data["rounds"].append({
        "id": "slotsom", "kind": "distillation", "minutes": 20,
        "title": {"nl": "Slotsom", "en": "Distillation"},
        "prompt": {"nl": "Welke tip geef je mee?", "en": "Which tip do you pass on?"},
    })
    return parse_template(data)


PEOPLE = {
    "a": [("municipality", 4), ("civil_society", 3), ("refugee_led", 1), ("", 1)],
    "b": [("municipality", 3), ("civil_society", 4), ("refugee_led", 2),
          ("citizen_initiative", 3)],
    "c": [("municipality", 3), ("civil_society", 3), ("refugee_led", 2), ("migrant_org", 1)],
}


async def _join(store: SessionStore, letter: str) -> None:
    for group, n in PEOPLE[letter]:
        for k in range(1, n + 1):
            await store.join(f"{letter}-{group or 'quiet'}-{k}", lang="nl", stakeholder=group)
    for spec in store.template.rounds:
        await store.update_round(spec.id, submissions_open=True, voting_open=True)


async def _say(store: SessionStore, room: RoomFixture, round_id: str, text: str, device: str,
               theme: int = 0) -> int:
    item = await store.add_contribution(round_id, text, author=device, theme_id=theme,
                                        source=Source.WEB)
    room.texts.append(text)
    if "refugee_led" in device:
        room.refugee.add(item.id)
    return item.id


async def _vote(store: SessionStore, device: str, round_id: str, ballot: dict[int, int]) -> None:
    await store.ballot_items(device, round_id)
    await store.cast_ballot(device, round_id, ballot)


async def _fill_a(store: SessionStore, room: RoomFixture) -> None:
    await _join(store, "a")
    taal = await store.add_theme("knelpunten", "Taal en communicatie")
    geld = await store.add_theme("knelpunten", "Geld")
    k1 = await _say(store, room, "knelpunten", "Formulieren zijn alleen in ambtelijk Nederlands.",
                    "a-municipality-1", taal.id)
    k2 = await _say(store, room, "knelpunten", "Subsidies lopen maar één jaar.",
                    "a-municipality-2", geld.id)
    await _say(store, room, "knelpunten", "We weten niet wie bij de gemeente beslist.",
               "a-civil_society-1")
    k4 = await _say(store, room, "knelpunten", REFUGEE_TEXTS["a"], "a-refugee_led-1", geld.id)
    await _say(store, room, "knelpunten", "Niemand vraagt ons vooraf om mee te denken.",
               "a-quiet-1")
    await _say(store, room, "knelpunten", SCRIPT, "a-municipality-3", taal.id)
    i1 = await _say(store, room, "oplossingen", "Eén loket voor alle initiatieven.",
                    "a-municipality-1")
    i2 = await _say(store, room, "oplossingen", "Betaal vertalers uit het wijkbudget.",
                    "a-refugee_led-1")
    await _vote(store, "a-municipality-1", "knelpunten", {k4: 2, k2: 1})
    await _vote(store, "a-civil_society-1", "knelpunten", {k4: 1, k2: 2, k1: 1})
    await _vote(store, "a-municipality-2", "oplossingen", {i1: 4, i2: 5})
    await _vote(store, "a-civil_society-2", "oplossingen", {i1: 3, i2: 5})
    text, owner = ACTIONS["a"]
    await store.add_action(text, owner=owner, due="2027-03-31", contribution_id=i1,
                           round_id="oplossingen")


async def _fill_b(store: SessionStore, room: RoomFixture) -> None:
    await _join(store, "b")
    taal = await store.add_theme("verloren", "taal en  Communicatie")  # the same theme as A's
    tijd = await store.add_theme("verloren", "Tijd")
    v1 = await _say(store, room, "verloren", "Regels veranderen sneller dan wij kunnen volgen.",
                    "b-municipality-1", tijd.id)
    v2 = await _say(store, room, "verloren", "Vergaderingen zijn altijd onder werktijd.",
                    "b-civil_society-1", tijd.id)
    v3 = await _say(store, room, "verloren", REFUGEE_TEXTS["b"], "b-refugee_led-1", taal.id)
    await _say(store, room, "verloren", "Kleine initiatieven moeten zich groot voordoen.",
               "b-citizen_initiative-1")
    v5 = await _say(store, room, "verloren", ARABIC, "b-refugee_led-2", taal.id)
    o1 = await _say(store, room, "openingen", "Een derde oog bij elke subsidieaanvraag.",
                    "b-civil_society-2")
    o2 = await _say(store, room, "openingen", "Vergaderen in meer talen.", "b-refugee_led-1")
    await _vote(store, "b-municipality-1", "verloren", {v3: 2, v2: 1})
    await _vote(store, "b-citizen_initiative-1", "verloren", {v5: 2, v1: 1})
    await _vote(store, "b-municipality-2", "openingen", {o1: 2, o2: 2})
    await _vote(store, "b-civil_society-3", "openingen", {o2: 2})
    text, owner = ACTIONS["b"]
    await store.add_action(text, owner=owner, due="2027-05-01", contribution_id=o2,
                           round_id="openingen")


async def _fill_c(store: SessionStore, room: RoomFixture) -> None:
    await _join(store, "c")
    geld = await store.add_theme("herkennen", "Financiering")  # mapped onto "Geld" (room A)
    h1 = await _say(store, room, "herkennen", "Initiatieven zouden alleen geld willen.",
                    "c-municipality-1", geld.id)
    h2 = await _say(store, room, "herkennen", REFUGEE_TEXTS["c"], "c-refugee_led-1", geld.id)
    h3 = await _say(store, room, "herkennen", "Migrantenorganisaties worden als één groep gezien.",
                    "c-migrant_org-1")
    await _say(store, room, "ervaringen", "De aanname klopte niet toen we echt gingen praten.",
               "c-civil_society-1")
    e1 = await _say(store, room, "experimenten", "Een maand lang elke vraag terugbellen.",
                    "c-municipality-2")
    e2 = await _say(store, room, "experimenten", "Samen één aanvraag schrijven.",
                    "c-refugee_led-2")
    await _say(store, room, "slotsom", "Bel elkaar vaker op.", "c-municipality-3")
    await _say(store, room, "slotsom", "Nodig ons uit aan het begin, niet aan het eind.",
               "c-refugee_led-1")
    await _vote(store, "c-municipality-1", "herkennen", {h2: 1, h3: 1})
    await _vote(store, "c-civil_society-2", "herkennen", {h2: 1, h1: 1})
    await _vote(store, "c-civil_society-3", "experimenten", {e1: 4, e2: 5})
    text, owner = ACTIONS["c"]
    await store.add_action(text, owner=owner, contribution_id=e1, round_id="experimenten")
    text, owner = ACTIONS["c-audit"]
    await store.add_action(text, owner=owner, round_id="wie-niet")
    for line, to in LINES:
        await store.add_note("slotsom", line, addressed_to=to)


ROOMS = {
    "a": ("kennisatelier", "Zaal A: kennisatelier", "Zwolle, zaal A", _fill_a),
    "b": ("cocreatie", "Zaal B: cocreatie", "Zwolle, zaal B", _fill_b),
    "c": ("aannames-slot", "Zaal C: aannames", "Zwolle, zaal C", _fill_c),
}


def template_of(letter: str) -> Template:
    template_id = ROOMS[letter][0]
    if template_id == "aannames-slot":
        return closing_template()
    return load_template(builtin_templates_dir() / f"{template_id}.toml")


async def fill_room(store: SessionStore, letter: str, room: RoomFixture) -> None:
    await ROOMS[letter][3](store, room)
    await store.update_session(created=CREATED)


def make_room(folder: Path, letter: str) -> RoomFixture:
    """One room's session file in ``folder``, filled and closed."""
    _template_id, title, place, _fill = ROOMS[letter]
    session_id = f"zaal-{letter}-20261123"
    path = folder / f"{session_id}.json"
    store = SessionStore.create(path, template_of(letter), session_id=session_id, title=title,
                                lang="nl", join_token=f"join-token-room-{letter}-0123",
                                place=place)
    room = RoomFixture(letter, path, session_id, join_token=store.info.join_token)

    async def run() -> None:
        try:
            await fill_room(store, letter, room)
        finally:
            await store.close()

    asyncio.run(run())
    return room


def make_rooms(folder: Path) -> dict[str, RoomFixture]:
    folder.mkdir(parents=True, exist_ok=True)
    return {letter: make_room(folder, letter) for letter in ROOMS}
