"""The demo session: a kennisatelier day filled with invented but realistic input.

The input is in ``sample.toml`` (participants, themes, contributions, votes, actions, notes,
referring to each other by keys); :func:`create_demo` replays it through the store, so the demo
is an ordinary session file made the way a live one is.
"""

from __future__ import annotations

import asyncio
import hashlib
import tomllib
from pathlib import Path
from typing import Any

from facilitator.core.model import Flag, Source
from facilitator.session.library import Library, Templates
from facilitator.session.store import SessionStore

SAMPLE = Path(__file__).with_name("sample.toml")
DEMO_TEMPLATE = "kennisatelier"
CURRENT_ROUND = "oplossingen"
"""The demo opens mid-day: bottlenecks found and voted, ideas coming in, voting open."""


async def _vote(store: SessionStore, device: str, round_id: str, ballot: dict[int, int]) -> None:
    """Vote as a phone does: on the items this device is shown. In a round with more items than
    a ballot holds, a scripted vote for an item the device was not shown goes to a shown one."""
    shown = [c.id for c in await store.ballot_items(device, round_id)]
    kept = {cid: weight for cid, weight in ballot.items() if cid in shown}
    spare = [cid for cid in shown if cid not in kept]
    for cid, weight in ballot.items():
        if cid not in kept and spare:
            kept[spare.pop(0)] = weight
    await store.cast_ballot(device, round_id, kept)


def _device(key: str) -> str:
    return "demo-" + hashlib.sha256(key.encode()).hexdigest()[:16]


async def fill_demo(store: SessionStore, sample: dict[str, Any]) -> None:
    """Replay the sample into a fresh kennisatelier session."""
    people = sample["participants"]
    await asyncio.gather(
        *[
            store.join(
                _device(p["key"]),
                lang=p["lang"],
                stakeholder=p["stakeholder"],
                name=p.get("name", ""),
                consent_named=p.get("consent_named", False),
                table_group=p.get("table", ""),
            )
            for p in people
        ]
    )
    themes = await asyncio.gather(
        *[store.add_theme(t["round"], t["name"]) for t in sample["themes"]]
    )
    theme_ids = {t["key"]: theme.id for t, theme in zip(sample["themes"], themes, strict=True)}
    items = sample["contributions"]
    for spec in store.template.rounds:
        await store.update_round(spec.id, submissions_open=True)
    added = await asyncio.gather(
        *[
            store.add_contribution(
                c["round"],
                c["text"],
                source=Source.WEB if c["author"] else Source.TUI,
                author=_device(c["author"]) if c["author"] else "",
                theme_id=theme_ids.get(c.get("theme", ""), 0),
            )
            for c in items
        ]
    )
    ids = {c["key"]: item.id for c, item in zip(items, added, strict=True)}
    for c in items:
        fields: dict[str, Any] = {}
        if c.get("links"):
            fields["links"] = tuple(ids[k] for k in c["links"])
        if c.get("flags"):
            fields["flags"] = tuple(Flag(f).value for f in c["flags"])
        if c.get("hidden"):
            fields["hidden"] = True
        if c.get("approved"):
            fields["approved"] = True
        if c.get("merged_into"):
            fields["merged_into"] = ids[c["merged_into"]]
        if fields:
            await store.update_contributions([ids[c["key"]]], **fields)

    ballots: dict[tuple[str, str], dict[int, int]] = {}
    rounds = {c["key"]: c["round"] for c in items}
    for vote in sample.get("votes", []):
        key = (vote["participant"], rounds[vote["contribution"]])
        ballots.setdefault(key, {})[ids[vote["contribution"]]] = vote["weight"]
    for round_id in {r for _, r in ballots}:
        await store.update_round(round_id, voting_open=True)
    await asyncio.gather(*[_vote(store, _device(p), r, b) for (p, r), b in ballots.items()])

    await asyncio.gather(
        *[
            store.add_action(
                a["text"],
                owner=a.get("owner", ""),
                due=a.get("due", ""),
                contribution_id=ids.get(a.get("idea", ""), 0),
                round_id=rounds.get(a.get("idea", ""), ""),
            )
            for a in sample.get("actions", [])
        ]
    )
    for note in sample.get("notes", []):  # in order: the day chair's lines are read in it
        await store.add_note(note["round"], note["text"], addressed_to=note.get("to", ()))

    # Mid-day: earlier rounds closed with results shown, the ideas round open for input and votes.
    order = [spec.id for spec in store.template.rounds]
    current = order.index(CURRENT_ROUND)
    for round_id in order[:current]:
        voted = store.template.round(round_id).voting.rule != "none"
        await store.update_round(
            round_id, started=True, submissions_open=False, voting_open=False, results_shown=voted
        )
    for round_id in order[current + 1 :]:
        await store.update_round(round_id, submissions_open=False, voting_open=False)
    await store.go_to_round(current)
    await store.update_round(CURRENT_ROUND, submissions_open=True, voting_open=True)
    await store.update_session(room_size=len(people))  # as the facilitator would say (key c)


def create_demo(library: Library, templates: Templates, *, title: str | None = None) -> Path:
    """Create a new demo session and return its file (closed, ready to open)."""
    sample = tomllib.loads(SAMPLE.read_text(encoding="utf-8"))
    store = library.create(
        templates.load(DEMO_TEMPLATE),
        title=title or "Kennisatelier Utrecht (demo)",
        place="Utrecht",
    )

    async def fill() -> None:
        try:
            await fill_demo(store, sample)
        finally:
            await store.close()

    asyncio.run(fill())
    return store.path
