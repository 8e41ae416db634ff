"""Small, fixed sessions for the report tests (conftest.py and the tests use them).

Every text, id and time is the same on every run.

Built through the store's own API (as a live session would be), then the creation time is set
to a fixed moment so the golden Markdown is stable.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from facilitator.core.model import Flag, Source
from facilitator.core.templates import load_template, parse_template
from facilitator.paths import builtin_templates_dir
from facilitator.session.store import SessionStore

SESSION_ID = "golden-20261123"
JOIN_TOKEN = "golden-join-token"
CREATED = 1_795_430_000.0
"""2026-11-23 around 10:00 UTC: the same date in every time zone from UTC-10 to UTC+12."""

SCRIPT = "<script>alert(1)</script>"
MARKUP = ("**not bold** [a link](http://evil.example) | pipe _under_ `code` <b>tag</b>\n"
          "# not a heading")
FORMULA = "=HYPERLINK(\"http://evil.example\",\"click\")"
DUTCH = "Er is één loket nodig, want de regels zijn ondoorzichtig voor nieuwkomers."
ARABIC = "لا نعرف من هو المسؤول في البلدية"
FARSI = "ما نمی‌دانیم چه کسی در شهرداری مسئول است"
HIDDEN = "This hidden remark must never be printed"

TEMPLATE: dict[str, Any] = {
    "id": "golden",
    "default_lang": "nl",
    "title": {"nl": "Gouden sjabloon", "en": "Golden template"},
    "description": {"nl": "Voor de tests.", "en": "For the tests."},
    "anonymity_threshold": 3,
    "table_groups": ["A", "B"],
    "groups": [
        {"id": "municipality", "name": {"nl": "Gemeente", "en": "Municipality"}},
        {"id": "refugee_led", "name": {"nl": "Initiatief van vluchtelingen",
                                        "en": "Refugee-led initiative"},
         "must_be_present": True, "lived_experience": True},
        {"id": "civil_society", "name": {"nl": "Maatschappelijke organisatie",
                                          "en": "Civil-society organisation"}},
        {"id": "funder", "name": {"nl": "Fonds", "en": "Funder"}, "expected": False},
    ],
    "rounds": [
        {"id": "knelpunten", "kind": "bottleneck", "minutes": 30,
         "title": {"nl": "Knelpunten", "en": "Bottlenecks"},
         "prompt": {"nl": "Wat zit de samenwerking in de weg?",
                    "en": "What gets in the way of working together?"},
         "voting": {"rule": "dots", "dots": 5, "per_item_cap": 3}},
        {"id": "ideeen", "kind": "ideas", "minutes": 30,
         "title": {"nl": "Ideeën", "en": "Ideas"},
         "prompt": {"nl": "Wat zou je doen als de regels even niet golden?",
                    "en": "What would you do if the rules did not apply?"},
         "voting": {"rule": "score", "scale_min": 1, "scale_max": 5}},
        {"id": "aan-tafel", "kind": "audit", "minutes": 15,
         "title": {"nl": "Wie zit er aan tafel?", "en": "Who is at the table?"},
         "prompt": {"nl": "Wie ontbreekt er?", "en": "Who is missing?"}},
    ],
}


@dataclass
class Fixed:
    path: Path
    ids: dict[str, int]


async def _fill(store: SessionStore) -> dict[str, int]:
    people = [
        ("m1", "municipality", "Sanne", True),
        ("m2", "municipality", "Piet", False),
        ("m3", "municipality", "", False),
        ("m4", "municipality", "", False),
        ("r1", "refugee_led", "Amal", True),
        ("u1", "", "", False),
        ("u2", "", "", False),  # says nothing: with r1 and u1 the small groups pool three people
    ]
    for device, group, name, consent in people:
        await store.join(device, lang="nl", stakeholder=group, name=name, consent_named=consent)
    for spec in store.template.rounds:
        await store.update_round(spec.id, submissions_open=True, voting_open=True)
    rules = await store.add_theme("knelpunten", "Regels & <formulieren>")
    contact = await store.add_theme("knelpunten", "Contact")
    ids: dict[str, int] = {}

    async def add(key: str, round_id: str, text: str, author: str = "", theme: int = 0) -> None:
        item = await store.add_contribution(
            round_id, text, author=author, theme_id=theme,
            source=Source.WEB if author else Source.TUI)
        ids[key] = item.id

    await add("dutch", "knelpunten", DUTCH, "m1", rules.id)
    await add("arabic", "knelpunten", ARABIC, "r1", contact.id)
    await add("script", "knelpunten", SCRIPT, "m2", contact.id)
    await add("markup", "knelpunten", MARKUP, "m3", rules.id)
    await add("dup", "knelpunten", "Te veel formulieren, en ze zijn alleen in het Nederlands.",
              "m4", rules.id)
    await add("formula", "knelpunten", FORMULA, "u1")
    await add("hidden", "knelpunten", HIDDEN, "m2")
    await add("farsi", "knelpunten", FARSI, "u1", contact.id)
    await add("idea1", "ideeen", "Eén loket voor alle aanvragen, met een vaste contactpersoon.",
              "m1")
    await add("idea2", "ideeen", "Laat initiatieven zelf de subsidieregels mee schrijven.", "r1")
    await add("audit1", "aan-tafel", "Ervaringsdeskundigen ontbraken; nodig ze persoonlijk uit.",
              "m3")

    await store.update_contributions([ids["idea1"]], links=(ids["dutch"], ids["arabic"]))
    await store.toggle_flag(ids["idea2"], Flag.BOLD)
    await store.toggle_flag(ids["idea1"], Flag.PRACTICAL)


    await store.ballot_items("m1", "knelpunten")
    await store.cast_ballot("m1", "knelpunten", {ids["dutch"]: 2, ids["arabic"]: 1})
    await store.ballot_items("m2", "knelpunten")
    await store.cast_ballot("m2", "knelpunten", {ids["arabic"]: 2, ids["dup"]: 1})
    await store.ballot_items("r1", "knelpunten")
    await store.cast_ballot("r1", "knelpunten", {ids["script"]: 1, ids["markup"]: 1,
                                                 ids["hidden"]: 1})
    await store.merge(ids["dutch"], [ids["dup"]])
    await store.update_contributions([ids["hidden"]], hidden=True)
    await store.ballot_items("m3", "ideeen")
    await store.cast_ballot("m3", "ideeen", {ids["idea1"]: 4, ids["idea2"]: 5})
    await store.ballot_items("m4", "ideeen")
    await store.cast_ballot("m4", "ideeen", {ids["idea1"]: 5, ids["idea2"]: 3})

    await store.add_action("Eén loket uitwerken als proef in de wijk", owner="Gemeente | team",
                           due="2027-03-31", contribution_id=ids["idea1"], round_id="ideeen")
    await store.add_action("Ervaringsdeskundigen persoonlijk uitnodigen", owner="Welzijn",
                           round_id="aan-tafel")
    await store.add_note("knelpunten", "Veel herkenning *aan alle tafels*.")
    await store.add_note("aan-tafel", "Niemand van een fonds was er.")
    await store.update_session(created=CREATED)
    return ids


def make_fixed_session(folder: Path) -> Fixed:
    """Write the fixed session to ``folder/sessions/<id>.json`` (a data dir the CLI can use)."""
    path = folder / "sessions" / f"{SESSION_ID}.json"
    store = SessionStore.create(path, parse_template(TEMPLATE), session_id=SESSION_ID,
                                title="Kennisatelier <Utrecht> & co", lang="nl",
                                join_token=JOIN_TOKEN, place="Utrecht, Stadskantoor")

    async def run() -> dict[str, int]:
        try:
            return await _fill(store)
        finally:
            await store.close()

    return Fixed(path, asyncio.run(run()))


# -- the elimination case -----------------------------------------------------------------------

REFUGEE_TEXT = "Niemand belt ons terug als we een vraag stellen."
MUNICIPALITY_TEXTS = (
    "De aanvraagformulieren veranderen elk jaar.",
    "We weten niet welke initiatieven er al zijn.",
    "Er is geen budget voor vertaling.",
)
WAITING_TEXT = "Deze bijdrage wacht nog op goedkeuring."


async def _fill_elimination(store: SessionStore) -> dict[str, int]:
    """Three municipality participants and one refugee-led participant (threshold 3), each with
    one contribution: labelling the three would single out the fourth."""
    for device, group in (("m1", "municipality"), ("m2", "municipality"),
                          ("m3", "municipality"), ("r1", "refugee_led")):
        await store.join(device, lang="nl", stakeholder=group)
    for spec in store.template.rounds:
        await store.update_round(spec.id, submissions_open=True, voting_open=True)
    contact = await store.add_theme("knelpunten", "Contact")
    ids: dict[str, int] = {}
    for key, device, text in (("m1", "m1", MUNICIPALITY_TEXTS[0]),
                              ("m2", "m2", MUNICIPALITY_TEXTS[1]),
                              ("m3", "m3", MUNICIPALITY_TEXTS[2]),
                              ("r1", "r1", REFUGEE_TEXT),
                              ("waiting", "m3", WAITING_TEXT)):
        item = await store.add_contribution("knelpunten", text, author=device,
                                            theme_id=contact.id, source=Source.WEB)
        ids[key] = item.id
    await store.ballot_items("m1", "knelpunten")
    await store.cast_ballot("m1", "knelpunten", {ids["r1"]: 2, ids["m2"]: 1})
    await store.ballot_items("m2", "knelpunten")
    await store.cast_ballot("m2", "knelpunten", {ids["r1"]: 1, ids["waiting"]: 2})
    await store.ballot_items("r1", "knelpunten")
    await store.cast_ballot("r1", "knelpunten", {ids["m1"]: 2})
    # Sent back for approval after an edit (as the store does in a moderated round): its dots
    # stay in the votes table but must not count.
    await store.update_contributions([ids["waiting"]], approved=False)
    await store.update_session(created=CREATED)
    return ids


def make_elimination_session(folder: Path) -> Fixed:
    path = folder / "sessions" / "elimination.json"
    store = SessionStore.create(path, parse_template(TEMPLATE), session_id="elimination",
                                title="Kleine groepen", lang="nl", join_token=JOIN_TOKEN)

    async def run() -> dict[str, int]:
        try:
            return await _fill_elimination(store)
        finally:
            await store.close()

    return Fixed(path, asyncio.run(run()))


# -- a small room -------------------------------------------------------------------------------

SMALL_ROOM_ID = "small-room"
SMALL_ROOM = (
    # device, stakeholder group, what they wrote in the bottleneck round
    ("g1", "municipality", "Contact met de gemeente gaat bijna altijd over klachten."),
    ("g2", "municipality", "We weten niet wie bij een vereniging echt beslist."),
    ("c1", "civil_society", "Onze folders zijn alleen in het Nederlands."),
    ("m1", "migrant_org", "Subsidie afgewezen omdat er geen jaarverslag was."),
    ("r1", "refugee_led", "Niemand vraagt ons mee te denken voordat het beleid er ligt."),
    ("b1", "citizen_initiative", "De weg naar de gemeenteraad kennen we niet."),
    ("e1", "lived_experience", "Voor kwetsbare gezinnen past de regeling niet."),
    ("u1", "", "Het voelt voor niemand urgent."),
)
"""Eight people, one or two from every expected group of the kennisatelier (threshold 3): every
group is there, none can be shown on its own."""


async def _fill_small_room(store: SessionStore) -> None:
    for device, group, _text in SMALL_ROOM:
        await store.join(device, lang="nl", stakeholder=group)
    for spec in store.template.rounds:
        await store.update_round(spec.id, submissions_open=True, voting_open=True)
    contact = await store.add_theme("knelpunten", "Geen gelijkwaardig contact")
    ids = []
    for n, (device, _group, text) in enumerate(SMALL_ROOM):
        item = await store.add_contribution("knelpunten", text, author=device, source=Source.WEB,
                                            theme_id=contact.id if n < 3 else 0)
        ids.append(item.id)
    idea = await store.add_contribution("oplossingen", "Zes maanden stage bij elkaar.",
                                        author="r1", source=Source.WEB)
    await store.update_contributions([idea.id], links=(ids[0],))
    await store.add_contribution("aan-tafel", "Jongeren ontbraken vandaag.", author="g1",
                                 source=Source.WEB)
    await store.ballot_items("g1", "knelpunten")
    await store.cast_ballot("g1", "knelpunten", {ids[3]: 2, ids[4]: 2})
    await store.ballot_items("m1", "knelpunten")
    await store.cast_ballot("m1", "knelpunten", {ids[0]: 2, ids[6]: 1})
    await store.ballot_items("c1", "oplossingen")
    await store.cast_ballot("c1", "oplossingen", {idea.id: 5})
    await store.add_action("Stage regelen bij een migrantenorganisatie", owner="Gemeente",
                           due="2027-03-31", contribution_id=idea.id, round_id="oplossingen")
    await store.update_session(created=CREATED)


def make_small_room_session(folder: Path) -> Path:
    """A kennisatelier session (the built-in template) of eight people."""
    path = folder / "sessions" / f"{SMALL_ROOM_ID}.json"
    template = load_template(builtin_templates_dir() / "kennisatelier.toml")
    store = SessionStore.create(path, template, session_id=SMALL_ROOM_ID,
                                title="Kennisatelier Zwolle", lang="nl", join_token=JOIN_TOKEN,
                                place="Zwolle")

    async def run() -> None:
        try:
            await _fill_small_room(store)
        finally:
            await store.close()

    asyncio.run(run())
    return path
