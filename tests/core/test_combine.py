"""Across the rooms of an event: audits summed, rankings kept, themes matched, and nothing shown
for the event that a room withheld (facilitator.core.combine, facilitator.core.privacy)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from facilitator.core.combine import by_rank_across, combine_audits, event_groups, theme_key
from facilitator.core.privacy import Disclosure, disclosure, event_disclosure
from facilitator.core.results import UNDISCLOSED, Audit, AuditFlag, audit_of_counts
from facilitator.core.templates import Template, parse_template
from facilitator.core.voting import VoteTotals

GROUPS = ("muni", "ngo", "refugee", "citizen")


def _text(word: str) -> dict[str, str]:
    return {"nl": word, "en": word}


def _template(template_id: str, groups: tuple[str, ...] = GROUPS, threshold: int = 3,
              **group_fields: Any) -> Template:
    return parse_template({
        "id": template_id, "default_lang": "en", "title": _text("T"), "description": _text("D"),
        "anonymity_threshold": threshold,
        "groups": [{"id": g, "name": _text(g.title()), **group_fields.get(g, {})}
                   for g in groups],
        "rounds": [{"id": "b", "kind": "bottleneck", "minutes": 5, "title": _text("B"),
                    "prompt": _text("P")}],
    })


def _audit(template: Template, present: dict[str, int], said: dict[str, int],
           won: dict[str, int] | None = None) -> Audit:
    return audit_of_counts(template.groups, template.anonymity_threshold, Counter(present),
                           Counter(said), Counter(won or {}),
                           VoteTotals(dots=sum((won or {}).values())))


def test_audits_are_summed_and_flagged_again() -> None:
    lived = {"refugee": {"lived_experience": True, "must_be_present": True}}
    one, two = _template("one", **lived), _template("two", ("muni", "ngo", "funder"))
    first = _audit(one, {"muni": 3, "ngo": 1}, {"muni": 4, "ngo": 1}, {"muni": 5})
    second = _audit(two, {"muni": 2, "funder": 3}, {"muni": 1, "funder": 2}, {"funder": 4})
    combined = combine_audits([one, two], [first, second])
    rows = {g.group_id: g for g in combined.groups}
    assert [g.group_id for g in combined.groups] == ["muni", "ngo", "refugee", "citizen",
                                                      "funder"]
    assert (rows["muni"].present, rows["muni"].contributions, rows["muni"].votes_won) == (5, 5, 5)
    assert (combined.participants, combined.contributions, combined.votes) == (
        9, 8, VoteTotals(dots=9))
    assert rows["muni"].voice_share == 5 / 8
    assert (AuditFlag.ABSENT_REQUIRED, "refugee") in combined.flags  # expected in room one
    assert (AuditFlag.NO_LIVED_EXPERIENCE, "") in combined.flags
    assert (AuditFlag.DOMINANT, "muni") in combined.flags


def test_event_groups_merge_what_templates_say() -> None:
    one = _template("one", ("muni", "funder"), funder={"expected": False})
    two = _template("two", ("funder", "refugee"), refugee={"lived_experience": True})
    groups = {g.id: g for g in event_groups([one, two])}
    assert list(groups) == ["muni", "funder", "refugee"]
    assert groups["funder"].expected  # expected in room two
    assert groups["refugee"].lived_experience


def test_theme_names_match_whatever_their_case_and_spacing() -> None:
    assert theme_key("Taal en  Communicatie ") == theme_key("taal en communicatie")
    assert theme_key("ﬁnanciën") == theme_key("Financiën")  # a ligature is its letters
    assert theme_key("Geld") != theme_key("Tijd")


def test_each_rooms_first_comes_before_any_second() -> None:
    rooms = [[("a1", 1, 0.5), ("a2", 2, 1.0)], [("b1", 1, 0.9), ("b2", 1, 0.1)], [("c1", 3, 1)]]
    ordered = by_rank_across(rooms, rank=lambda t: t[1], support=lambda t: t[2])
    assert [item[0] for _room, item in ordered] == ["b1", "a1", "b2", "a2", "c1"]


# -- nothing a room withheld comes out of the event ---------------------------------------------

room = st.fixed_dictionaries({
    "present": st.fixed_dictionaries({g: st.integers(0, 6) for g in (*GROUPS, UNDISCLOSED)}),
    "said": st.fixed_dictionaries({g: st.integers(0, 8) for g in (*GROUPS, UNDISCLOSED)}),
})


def _shown(rooms: list[dict[str, Any]]) -> tuple[Any, ...]:
    """Everything an event report shows as a number: per room, the figures its own report
    shows exactly (and its totals); for the event, every figure it does not withhold."""
    templates = [_template(f"t{n}") for n in range(len(rooms))]
    audits = [_audit(t, r["present"], r["said"]) for t, r in zip(templates, rooms, strict=True)]
    rules = [disclosure(t, a) for t, a in zip(templates, audits, strict=True)]
    combined = combine_audits(templates, audits)
    shown = event_disclosure(rules)
    per_room = tuple(
        (a.participants, a.contributions,
         tuple((g.group_id, g.present, None if rule.withheld(g.group_id) else g.contributions)
               for g in a.groups))
        for a, rule in zip(audits, rules, strict=True))
    event = tuple((g.group_id, g.present, g.contributions if shown.exact(g.group_id) else None)
                  for g in combined.groups)
    return per_room, event, (combined.participants, combined.contributions)


@settings(max_examples=300, deadline=None)
@given(st.lists(room, min_size=2, max_size=4), st.data())
def test_moving_contributions_inside_a_rooms_pool_changes_nothing_shown(
        rooms: list[dict[str, Any]], data: st.DataObject) -> None:
    """Who in a room's pool said what is what the room withholds. Move contributions from one
    pooled group to another inside one room (its totals stay): if any number the event shows
    changed, subtracting would have told the two apart."""
    index = data.draw(st.integers(0, len(rooms) - 1))
    template = _template(f"t{index}")
    rule: Disclosure = disclosure(template, _audit(template, rooms[index]["present"],
                                                   rooms[index]["said"]))
    pooled = sorted(g for g in rule.pooled if rooms[index]["said"][g])
    if len(pooled) < 1 or len(rule.pooled) < 2:
        return
    giver = data.draw(st.sampled_from(pooled))
    taker = data.draw(st.sampled_from(sorted(rule.pooled - {giver})))
    moved = data.draw(st.integers(1, rooms[index]["said"][giver]))
    changed = [dict(r, said=dict(r["said"])) for r in rooms]
    changed[index]["said"][giver] -= moved
    changed[index]["said"][taker] += moved
    # The move must keep the room's pool as it was (who is pooled depends on presence, and on
    # whether a group has anything to hide: a group emptied by the move may leave the pool).
    after = disclosure(template, _audit(template, changed[index]["present"],
                                        changed[index]["said"]))
    if after.pooled != rule.pooled:
        return
    assert _shown(changed) == _shown(rooms)


def test_a_group_pooled_in_one_room_is_withheld_for_the_event() -> None:
    one, two = _template("one"), _template("two")
    # Room one: ngo (3) keeps refugee (1) and the undisclosed (1) company; room two names it.
    first = _audit(one, {"muni": 5, "ngo": 3, "refugee": 1, UNDISCLOSED: 1},
                   {"muni": 5, "ngo": 2, "refugee": 2, UNDISCLOSED: 1})
    second = _audit(two, {"muni": 4, "ngo": 4}, {"muni": 3, "ngo": 6})
    rules = [disclosure(one, first), disclosure(two, second)]
    assert "ngo" in rules[0].pooled and "ngo" in rules[1].named
    shown = event_disclosure(rules)
    assert not shown.exact("ngo") and not shown.exact("refugee")
    assert shown.exact("muni")
