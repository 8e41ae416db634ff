"""Support per stakeholder group and the two rankings across groups (facilitator.core.groups),
and the audit's "whose voice" figures (facilitator.core.results).

The promises of issue 22, checked with hypothesis as well as by hand:
- an item supported by every group ranks above one supported by one large group only;
- the rankings across groups do not depend on the order records arrived in;
- no figure of a pooled group can be recovered from what is shown: moving people between the
  pooled groups (the sizes staying what they were) changes nothing any face reads;
- the Gini of a room where one person sent everything is near 1, of an even room 0.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facilitator.core.groups import POOL, Standing, supports
from facilitator.core.model import Contribution, Participant, Sample, SessionInfo, Vote
from facilitator.core.readmodel import SessionView
from facilitator.core.results import NUDGE_AFTER, gini
from facilitator.core.templates import Template, parse_template


def _text(word: str) -> dict[str, str]:
    return {"nl": word, "en": word}


def template(rule: str = "dots", groups: tuple[str, ...] = ("a", "b", "c", "d"),
             threshold: int = 3, sample_size: int = 20) -> Template:
    voting: dict[str, Any] = {"rule": rule, "sample_size": sample_size}
    if rule == "dots":
        voting.update(dots=5, per_item_cap=1)
    return parse_template({
        "id": "t", "default_lang": "en", "title": _text("T"), "description": _text("D"),
        "anonymity_threshold": threshold,
        "groups": [{"id": g, "name": _text(g.upper())} for g in groups],
        "rounds": [{"id": "r", "kind": "bottleneck", "minutes": 5, "title": _text("R"),
                    "prompt": _text("P"), "voting": voting}],
    })


class Room:
    """Records for a view, numbered as a store would."""

    def __init__(self, sizes: dict[str, int]) -> None:
        self.people = [Participant(id=n + 1, device_id=f"dev{n}", lang="en", stakeholder=g)
                       for n, g in enumerate(g for g, k in sizes.items() for _ in range(k))]
        self.items: list[Contribution] = []
        self.votes: list[Vote] = []
        self.samples: list[Sample] = []

    def members(self, group: str) -> list[str]:
        return [p.device_id for p in self.people if p.stakeholder == group]

    def item(self) -> int:
        cid = len(self.items) + 1
        self.items.append(Contribution(id=cid, round_id="r", text=f"item {cid}"))
        return cid

    def vote(self, device: str, cid: int, weight: int = 1) -> None:
        self.votes.append(Vote(id=len(self.votes) + 1, round_id="r", contribution_id=cid,
                               device_id=device, weight=weight))

    def show(self, device: str, items: tuple[int, ...], drawn_from: int) -> None:
        self.samples.append(Sample(id=len(self.samples) + 1, round_id="r", device_id=device,
                                   items=items, set_no=1, drawn_from=drawn_from))

    def records(self) -> list[object]:
        return [*self.people, *self.items, *self.votes, *self.samples]

    def view(self, tmpl: Template, order: list[object] | None = None) -> SessionView:
        view = SessionView(tmpl)
        for record in order if order is not None else self.records():
            view.put(None, record)
        return view


def shown(view: SessionView, n: int = 50) -> tuple[Any, ...]:
    """Everything a face may read of the rankings across groups and the audit's rows."""
    ranking = view.ranking("r")
    carried, differ = view.across("r", n)
    rows, withheld = view.groups()
    # A pooled group's counts read only which side of the threshold they are on ("< 3"): the
    # rule shows that bound on purpose, so it is left out of what must not change.
    rows = [dataclasses.replace(row, contributions="", votes_won="", votes_cast="")
            if row.pooled else row for row in rows]
    return (carried, differ, [ranking.group_support(i.contribution.id) for i in ranking],
            rows, withheld, view.nudges(), view.audit().gini)


# -- by hand -----------------------------------------------------------------------------------


def test_support_is_a_dot_or_a_score_above_the_middle() -> None:
    dots, scores = template().rounds[0].voting, template("score").rounds[0].voting
    assert supports(dots, 1) and supports(dots, 2) and not supports(dots, 0)
    assert [supports(scores, w) for w in range(1, 6)] == [False, False, False, True, True]


def test_the_room_total_and_every_group_disagree_and_the_groups_win() -> None:
    """Item 1: all twelve of the large group, nobody else (the most votes). Item 2: two of three
    in each of the other groups and a few of the large one."""
    room = Room({"a": 12, "b": 3, "c": 3})
    first, second = room.item(), room.item()
    for device in room.members("a"):
        room.vote(device, first)
    for group in ("b", "c"):
        for device in room.members(group)[:2]:
            room.vote(device, second)
    for device in room.members("a")[:3]:
        room.vote(device, second)
    view = room.view(template())
    ranking = view.ranking("r")
    assert [i.contribution.id for i in ranking.top(2)] == [first, second]  # most votes
    carried, differ = view.across("r", 5)
    assert carried.standing is Standing.RANKED and carried.groups == ("a", "b", "c")
    assert [(i.item.contribution.id, i.rank) for i in carried.items] == [(second, 1), (first, 2)]
    assert [i.item.contribution.id for i in differ.items] == [first, second]
    top = differ.items[0]
    assert (top.highest, top.lowest) == ("a", "b")
    support = {row.group: row for row in top.support}
    # Every member present saw every item (not sampled): Laplace over the people present.
    assert (support["a"].seen, support["a"].supporters) == (12, 12)
    assert support["a"].share == pytest.approx(13 / 14)
    assert support["b"].share == pytest.approx(1 / 5)
    assert top.value == pytest.approx(13 / 14 - 1 / 5)


def test_one_group_present_says_so_instead_of_ranking() -> None:
    room = Room({"a": 6})
    cid = room.item()
    room.vote("dev0", cid)
    carried, differ = room.view(template()).across("r", 5)
    assert carried.standing is differ.standing is Standing.ONE_GROUP
    assert carried.items == () and carried.groups == ()


def test_groups_too_small_to_name_apart_say_so() -> None:
    """Two people of one group and two of another: nobody may be named, so nothing is compared
    (the pool never reaches the threshold, so core/privacy.py labels nothing)."""
    room = Room({"a": 2, "b": 2})
    room.vote("dev0", room.item())
    carried, _ = room.view(template()).across("r", 5)
    assert carried.standing is Standing.POOLED and carried.items == ()


def test_small_groups_and_prefer_not_to_say_are_one_pool() -> None:
    room = Room({"a": 4, "b": 1, "": 2})
    cid = room.item()
    room.vote(room.members("b")[0], cid)
    view = room.view(template())
    assert view.tally.members.buckets == ("a", POOL)
    assert view.tally.members.people == {"a": 4, POOL: 3}
    support = {row.group: row for row in view.ranking("r").group_support(cid)}
    assert (support[POOL].seen, support[POOL].supporters) == (3, 1)


def test_a_round_without_a_vote_is_not_ranked_across_groups() -> None:
    tmpl = parse_template({
        "id": "t", "default_lang": "en", "title": _text("T"), "description": _text("D"),
        "groups": [{"id": "a", "name": _text("A")}, {"id": "b", "name": _text("B")}],
        "rounds": [{"id": "r", "kind": "open", "minutes": 5, "title": _text("R"),
                    "prompt": _text("P"), "voting": {"rule": "none"}}],
    })
    carried, _ = Room({"a": 3, "b": 3}).view(tmpl).across("r", 5)
    assert carried.standing is Standing.NOT_VOTED


def test_equal_figures_share_a_rank_and_the_five_best_keep_the_ties() -> None:
    room = Room({"a": 3, "b": 3})
    items = [room.item() for _ in range(8)]
    # Items 1..6 each backed by one member of each group: all tie. Items 7, 8 by nobody.
    for n, cid in enumerate(items[:6]):
        room.vote(room.members("a")[n % 3], cid)
        room.vote(room.members("b")[n % 3], cid)
    carried, _ = room.view(template()).across("r", 5)
    assert [(i.item.contribution.id, i.rank, i.tied) for i in carried.items] == [
        (cid, 1, True) for cid in items[:6]]
    assert carried.ranked == 6  # an item nobody supported is carried by nobody
    # Listed up to a limit, the rest of the tie counted, never left unsaid.
    capped = room.view(template()).ranking("r").carried(2, limit=4)
    assert [i.rank for i in capped.items] == [1, 1, 1, 1] and capped.more_tied == 2
    assert all(i.tied for i in capped.items)
    assert room.view(template()).ranking("r").carried(0).items == ()


def test_a_sampled_round_ranks_with_intervals_and_a_minimum_exposure() -> None:
    """Three groups of 40; 30 items, each device shown 10 of them. An item seen by fewer than
    three of some group is not ranked at all; items whose intervals overlap share a rank; an
    item clearly ahead is first alone."""
    room = Room({"a": 40, "b": 40, "c": 40})
    items = [room.item() for _ in range(30)]
    rng = random.Random(5)
    for device in (p.device_id for p in room.people):
        shown_items = (*rng.sample(items[1:], 9), items[0])
        room.show(device, shown_items, drawn_from=30)
        for cid in shown_items:
            # Item 1: everybody; others: one in five, at random.
            if cid == items[0] or rng.random() < 0.2:
                room.vote(device, cid)
    late = room.item()  # sent late: seen by two devices of group a only
    room.show("dev0", (late,), drawn_from=31)
    room.show("dev1", (late,), drawn_from=31)
    room.vote("dev0", late)
    view = room.view(template(sample_size=10))
    ranking = view.ranking("r")
    assert ranking.sampled
    carried, differ = view.across("r", 5)
    assert carried.sampled and carried.min_seen == 3
    first = carried.items[0]
    assert first.item.contribution.id == items[0] and first.rank == 1 and not first.tied
    assert all(i.rank > 1 for i in carried.items[1:])
    # Every member saw item 1: its figures are what the groups said, not an estimate. The
    # others were seen by about a quarter of each group: they come with an interval.
    assert first.low == first.value == first.high
    assert all(i.low < i.value < i.high for i in carried.items[1:])
    assert carried.waiting == 1  # the late item
    assert late not in {i.item.contribution.id for i in carried.items}
    everything = ranking.across_all("carried")
    assert late not in {item.contribution.id for item, _, _ in everything}
    ranks = [rank for _, rank, _ in everything]
    assert ranks == sorted(ranks) and len(set(ranks)) < len(ranks)  # some ties, in order
    for (_, rank, tied), (_, next_rank, next_tied) in itertools.pairwise(everything):
        if next_rank == rank:
            assert tied and next_tied
    support = ranking.group_support(late)
    assert [row.share for row in support] == [None, None, None]  # seen by too few to say
    assert differ.items and all(i.low <= i.value <= i.high for i in differ.items)


def test_merged_duplicates_count_each_supporter_once() -> None:
    room = Room({"a": 3, "b": 3})
    target, duplicate = room.item(), room.item()
    room.items[1] = Contribution(id=duplicate, round_id="r", text="dup", merged_into=target)
    room.vote("dev0", target)
    room.vote("dev0", duplicate)
    room.vote("dev3", duplicate)
    view = room.view(template())
    support = {row.group: row.supporters for row in view.ranking("r").group_support(target)}
    assert support == {"a": 1, "b": 1}


def test_a_device_changing_group_moves_its_support() -> None:
    room = Room({"a": 3, "b": 3, "c": 3})
    cid = room.item()
    room.vote("dev0", cid)
    view = room.view(template())
    before = {row.group: row.supporters for row in view.ranking("r").group_support(cid)}
    assert before == {"a": 1, "b": 0, "c": 0}
    old = room.people[0]
    view.put(old, Participant(id=old.id, device_id=old.device_id, lang="en", stakeholder="b"))
    after = {row.group: row.supporters for row in view.ranking("r").group_support(cid)}
    # a has 2 people now: pooled with c (3), the pool has 5.
    assert after == {"b": 1, POOL: 0}


def test_scores_support_above_the_middle() -> None:
    room = Room({"a": 3, "b": 3})
    cid = room.item()
    for device, score in zip(room.members("a"), (5, 4, 3), strict=True):
        room.vote(device, cid, score)
    room.vote(room.members("b")[0], cid, 2)
    support = {row.group: row.supporters
               for row in room.view(template("score")).ranking("r").group_support(cid)}
    assert support == {"a": 2, "b": 0}


# -- the audit: whose voice --------------------------------------------------------------------


def test_gini_of_an_even_room_is_zero_and_of_one_voice_near_one() -> None:
    assert gini({3: 10}) == 0
    assert gini({0: 99, 40: 1}) == pytest.approx(0.99)
    assert gini({}) is None and gini({0: 5}) is None


def test_votes_cast_representation_invited_and_nudges() -> None:
    room = Room({"a": 6, "b": 3, "c": 1})
    items = [room.item() for _ in range(NUDGE_AFTER)]
    room.items = [Contribution(id=c.id, round_id="r", text=c.text, author="dev0",
                               stakeholder="a") for c in room.items]
    for device in room.members("b"):
        room.vote(device, items[0])
    room.vote("dev0", items[1])
    view = room.view(template())
    view.put(None, SessionInfo(id=1, session_id="s", title="T", lang="en", template_id="t",
                               template={}, join_token="j", created=0.0,
                               invited={"a": 12, "b": 3, "d": 4}))
    audit = view.audit()
    cast = {g.group_id: (g.votes_cast, g.cast_share) for g in audit.groups}
    assert cast["a"] == (1, 0.25) and cast["b"] == (3, 0.75)
    assert audit.representation == 0  # d is expected and missing
    # Turnout a 6/12, b 3/3, d 0/4: lowest 0 against highest 1.
    assert audit.invited_representation == 0
    # One of ten participants sent all five contributions.
    assert audit.gini == pytest.approx(0.9)
    assert audit.quiet == ["b", "c"]
    rows, _ = view.groups()
    row = {r.group_id: r for r in rows}
    assert row["b"].turnout == 1.0 and row["a"].invited == 12
    # c (one person) is pooled with b: its nudge tells its count, so only a private screen
    # shows it; b, pooled to keep c company, likewise.
    assert [n.group_id for n in view.nudges()] == []
    assert [(n.group_id, n.pooled) for n in view.nudges(private=True)] == [
        ("b", True), ("c", True)]
    assert row["c"].votes_cast == "< 3" and row["c"].cast_share is None


def test_nudges_wait_until_the_room_has_said_something() -> None:
    room = Room({"a": 3, "b": 3})
    room.items = [Contribution(id=1, round_id="r", text="x", author="dev0", stakeholder="a")]
    view = room.view(template())
    assert view.nudges() == []
    for n in range(2, NUDGE_AFTER + 1):
        view.put(None, Contribution(id=n, round_id="r", text="x", author="dev0",
                                    stakeholder="a"))
    assert [(n.group_id, n.present, n.pooled) for n in view.nudges()] == [("b", 3, False)]


# -- hypothesis --------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(large=st.integers(6, 30), others=st.lists(st.integers(3, 8), min_size=1, max_size=3),
       data=st.data())
def test_an_item_every_group_supports_ranks_above_one_only_a_large_group_supports(
        large: int, others: list[int], data: st.DataObject) -> None:
    groups = ("a", "b", "c", "d")[:1 + len(others)]
    room = Room(dict(zip(groups, (large, *others), strict=True)))
    broad, narrow = room.item(), room.item()
    for group in groups:
        members = room.members(group)
        half = (len(members) + 1) // 2
        for device in members[:data.draw(st.integers(half, len(members)))]:
            room.vote(device, broad)
    for device in room.members("a")[:data.draw(st.integers(1, large))]:
        room.vote(device, narrow)
    carried, _ = room.view(template()).across("r", 5)
    ranks = {i.item.contribution.id: i.rank for i in carried.items}
    assert ranks[broad] < ranks[narrow]


def _session(data: st.DataObject) -> tuple[Room, int]:
    """A random room, its votes and (when sampled) its samples."""
    sizes = data.draw(st.fixed_dictionaries(
        {g: st.integers(0, 6) for g in ("a", "b", "c", "d", "")}))
    room = Room(sizes)
    count = data.draw(st.integers(1, 12))
    items = [room.item() for _ in range(count)]
    sampled = data.draw(st.booleans())
    size = 4 if sampled else 20
    for person in room.people:
        if sampled:
            seen = tuple(data.draw(st.lists(st.sampled_from(items), min_size=1, max_size=4,
                                            unique=True)))
            room.show(person.device_id, seen, drawn_from=count + 4)
        else:
            seen = tuple(items)
        for cid in data.draw(st.lists(st.sampled_from(seen), max_size=3, unique=True)):
            room.vote(person.device_id, cid)
    return room, size


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_the_rankings_across_groups_do_not_depend_on_the_order_of_arrival(
        data: st.DataObject) -> None:
    room, size = _session(data)
    tmpl = template(sample_size=size)
    first = room.view(tmpl)
    records = room.records()
    random.Random(data.draw(st.integers(0, 10_000))).shuffle(records)
    again = room.view(tmpl, records)
    # Read midway too: what a read placed must not change what a later one says.
    midway = SessionView(tmpl)
    for n, record in enumerate(records):
        midway.put(None, record)
        if n % 7 == 0:
            midway.across("r", 3)
    assert shown(first) == shown(again) == shown(midway)


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_no_figure_of_a_pooled_group_can_be_recovered(data: st.DataObject) -> None:
    """Swap the groups of people in the pool (each group keeping its size, which is shown):
    every figure any face reads stays the same, so none of them depends on how the pool's
    support splits between its groups."""
    room, size = _session(data)
    tmpl = template(sample_size=size)
    view = room.view(tmpl)
    pooled = view.disclosure().pooled
    members = [n for n, p in enumerate(room.people) if p.stakeholder in pooled]
    labels = [room.people[n].stakeholder for n in members]
    random.Random(data.draw(st.integers(0, 10_000))).shuffle(labels)
    for n, label in zip(members, labels, strict=True):
        p = room.people[n]
        room.people[n] = Participant(id=p.id, device_id=p.device_id, lang="en",
                                     stakeholder=label)
    again = room.view(tmpl)
    assert again.disclosure().pooled == pooled
    assert shown(view) == shown(again)


@settings(max_examples=60, deadline=None)
@given(people=st.integers(2, 200), each=st.integers(1, 20))
def test_gini_one_voice_and_an_even_room(people: int, each: int) -> None:
    one = Room({"a": people})
    even = Room({"a": people})
    for n in range(each * people):
        one.items.append(Contribution(id=n + 1, round_id="r", text="x", author="dev0",
                                      stakeholder="a"))
        even.items.append(Contribution(id=n + 1, round_id="r", text="x",
                                       author=f"dev{n % people}", stakeholder="a"))
    lone = one.view(template()).audit().gini
    assert lone == pytest.approx((people - 1) / people) and lone >= 0.5
    if people >= 20:
        assert lone >= 0.95
    assert even.view(template()).audit().gini == 0


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_updates_on_the_way_leave_what_the_final_records_give(data: st.DataObject) -> None:
    """Votes changed and taken back, people changing group, contributions hidden and shown
    again, with reads in between: the live view ends where the final records put it."""
    room, size = _session(data)
    tmpl = template(sample_size=size)
    final = room.view(tmpl)
    live = SessionView(tmpl)
    rng = random.Random(data.draw(st.integers(0, 10_000)))
    for record in room.records():
        if isinstance(record, Participant) and rng.random() < 0.3:
            other = Participant(id=record.id, device_id=record.device_id, lang="en",
                                stakeholder=rng.choice(["a", "b", "c", "d", ""]))
            live.put(None, other)
            live.across("r", 3)
            live.put(other, record)
        elif isinstance(record, Vote) and rng.random() < 0.3:
            other_vote = Vote(id=record.id, round_id="r", contribution_id=record.contribution_id,
                              device_id=record.device_id, weight=record.weight + 1)
            live.put(None, other_vote)
            live.put(other_vote, record)
        elif isinstance(record, Contribution) and rng.random() < 0.3:
            hidden = Contribution(id=record.id, round_id="r", text=record.text, hidden=True)
            live.put(None, hidden)
            live.put(hidden, record)
        else:
            live.put(None, record)
        if rng.random() < 0.2:
            live.across("r", 3)
    assert shown(live) == shown(final)


@settings(max_examples=100, deadline=None)
@given(sizes=st.fixed_dictionaries({g: st.integers(0, 7) for g in ("a", "b", "c", "d", "")}),
       said=st.fixed_dictionaries({g: st.integers(0, 3) for g in ("a", "b", "c", "d", "")}))
def test_the_groups_named_from_presence_are_the_disclosures(
        sizes: dict[str, int], said: dict[str, int]) -> None:
    """What a join works out from the people present alone (privacy.named_among) is what the
    full disclosure names among the groups present, whatever groups nobody came for said."""
    from facilitator.core.privacy import named_among

    room = Room(sizes)
    room.items = [Contribution(id=n + 1, round_id="r", text="x", stakeholder=g)
                  for n, g in enumerate(g for g, k in said.items() for _ in range(k))]
    view = room.view(template())
    present = {g for g, n in sizes.items() if n}
    assert named_among(sizes, 3, ["a", "b", "c", "d"]) == view.disclosure().named & present
    assert set(view.tally.members.buckets) - {POOL} == view.disclosure().named & present
