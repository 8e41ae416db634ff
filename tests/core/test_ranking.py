"""The live ranking and the exposure-balanced samples (facilitator.core.ranking).

Three promises, checked with hypothesis as well as by hand:
- fed one record at a time, in any order and with updates, the live ranking equals the ranking
  built from the final records at once (so the wall, the TUI and the report agree);
- ballot samples keep exposure balanced: least-seen first, so no visible item is seen by more
  than a small margin more devices than another, however phones arrive;
- an item's rank does not depend on the order in which phones arrived, and a sampled round does
  not reward an item for having been shown more often.
"""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from facilitator.core.model import Contribution, Sample, Theme, Vote
from facilitator.core.ranking import (
    ExposureLevels,
    RoundRanking,
    rank_round,
    ranks_within,
)
from facilitator.core.results import by_theme
from facilitator.core.templates import RoundSpec, parse_template


def _text(word: str) -> dict[str, str]:
    return {"nl": word, "en": word}


def _spec(rule: str = "dots", sample_size: int = 5) -> RoundSpec:
    voting: dict[str, Any] = {"rule": rule, "sample_size": sample_size}
    if rule == "dots":
        voting.update(dots=5, per_item_cap=3)
    template = parse_template({
        "id": "t", "default_lang": "en", "title": _text("T"), "description": _text("D"),
        "groups": [{"id": "g", "name": _text("G")}],
        "rounds": [{"id": "r", "kind": "bottleneck", "minutes": 5, "title": _text("R"),
                    "prompt": _text("P"), "voting": voting}],
    })
    return template.rounds[0]


DOTS = _spec()
SCORES = _spec("score")


def item(cid: int, **fields: Any) -> Contribution:
    return Contribution(id=cid, round_id="r", text=f"item {cid}", **fields)


def vote(vid: int, cid: int, device: str, weight: int) -> Vote:
    return Vote(id=vid, round_id="r", contribution_id=cid, device_id=device, weight=weight)


def sample(sid: int, device: str, items: tuple[int, ...], drawn_from: int = 0,
           set_no: int = 1) -> Sample:
    return Sample(id=sid, round_id="r", device_id=device, items=items, set_no=set_no,
                  drawn_from=drawn_from)


def figures(ranked: list[Any]) -> list[tuple[Any, ...]]:
    return [(i.contribution.id, i.rank, i.votes, i.voters, i.scores, i.seen, i.count,
             sorted(d.id for d in i.duplicates)) for i in ranked]


# -- by hand -----------------------------------------------------------------------------------


def test_a_small_round_ranks_by_total_as_before() -> None:
    items = [item(1), item(2), item(3)]
    votes = [vote(1, 1, "a", 1), vote(2, 2, "a", 2), vote(3, 2, "b", 1), vote(4, 3, "b", 3)]
    ranked = rank_round(DOTS, items, votes)
    assert [(i.contribution.id, i.votes, i.rank) for i in ranked] == [(2, 3, 1), (3, 3, 1),
                                                                       (1, 1, 3)]
    assert not ranked[0].sampled


def test_a_sampled_round_ranks_dots_per_time_seen() -> None:
    """Item 1 was shown to four devices and got 4 dots; item 2 to two and got 3. Totals would
    put 1 first only because it was shown more often; per time seen, 2 is liked better."""
    items = [item(n) for n in range(1, 8)]
    samples = [sample(1, "a", (1, 2), drawn_from=7), sample(2, "b", (1, 2), drawn_from=7),
               sample(3, "c", (1, 3), drawn_from=7), sample(4, "d", (1, 3), drawn_from=7)]
    votes = [vote(1, 1, "a", 1), vote(2, 1, "b", 1), vote(3, 1, "c", 1), vote(4, 1, "d", 1),
             vote(5, 2, "a", 2), vote(6, 2, "b", 1)]
    ranked = rank_round(DOTS, items, votes, samples)
    assert ranked[0].sampled
    top = {i.contribution.id: i for i in ranked}
    assert (top[1].votes, top[1].seen) == (4, 4) and (top[2].votes, top[2].seen) == (3, 2)
    assert top[2].rank == 1 and top[1].rank == 2
    assert top[2].per_seen == 1.5


def test_merged_duplicates_bring_their_votes_and_exposure() -> None:
    items = [item(1), item(2, merged_into=1), item(3)]
    samples = [sample(1, "a", (1, 3)), sample(2, "b", (2, 3))]
    votes = [vote(1, 1, "a", 2), vote(2, 2, "b", 1)]
    [first, second] = rank_round(DOTS, items, votes, samples)
    assert first.contribution.id == 1 and [d.id for d in first.duplicates] == [2]
    assert (first.votes, first.voters, first.seen, first.count) == (3, 2, 2, 2)
    assert second.contribution.id == 3 and second.seen == 2


def test_a_target_that_arrives_after_its_duplicate_still_collects_it() -> None:
    ranking = RoundRanking(DOTS)
    ranking.put_vote(None, vote(1, 5, "a", 2))
    ranking.put_contribution(None, item(5, merged_into=9))  # the duplicate comes first
    ranking.put_contribution(None, item(9))
    [only] = ranking.ranked()
    assert only.contribution.id == 9 and only.votes == 2 and [d.id for d in only.duplicates] == [5]


def test_unmerge_and_hide_move_votes_back_and_out() -> None:
    ranking = RoundRanking(DOTS)
    one, two = item(1), item(2)
    ranking.put_contribution(None, one)
    ranking.put_contribution(None, two)
    ranking.put_vote(None, vote(1, 2, "a", 3))
    merged = dataclasses.replace(two, merged_into=1)
    ranking.put_contribution(two, merged)
    assert [(i.contribution.id, i.votes) for i in ranking] == [(1, 3)]
    ranking.put_contribution(merged, two)
    assert [(i.contribution.id, i.votes) for i in ranking] == [(2, 3), (1, 0)]
    hidden = dataclasses.replace(two, hidden=True)
    ranking.put_contribution(two, hidden)
    assert [(i.contribution.id, i.votes) for i in ranking] == [(1, 0)]
    assert 2 not in ranking.candidates


def test_theme_groups_match_by_theme_and_cut_short_without_losing_totals() -> None:
    themes = [Theme(id=1, round_id="r", name="Geld"), Theme(id=2, round_id="r", name="Tijd")]
    items = [item(n, theme_id=(n % 3), stakeholder="g" if n % 2 else "") for n in range(1, 10)]
    votes = [vote(n, n, f"d{n}", n % 4) for n in range(1, 10)]
    ranking = RoundRanking(DOTS)
    for record in items:
        ranking.put_contribution(None, record)
    for record in votes:
        ranking.put_vote(None, record)
    expected = by_theme(ranking.ranked(), themes)
    got = ranking.theme_groups(themes)
    assert [(g.theme.id if g.theme else 0, g.votes, g.size, g.said, g.stakeholders,
             [i.contribution.id for i in g.items]) for g in got] == \
        [(g.theme.id if g.theme else 0, g.votes, g.size, g.said, g.stakeholders,
          [i.contribution.id for i in g.items]) for g in expected]
    short = ranking.theme_groups(themes, per_theme=1)
    assert all(len(g.items) <= 1 for g in short)
    assert [(g.votes, g.size) for g in short] == [(g.votes, g.size) for g in got]


def test_draw_takes_the_least_seen_first_and_skips_exclusions() -> None:
    levels = ExposureLevels()
    for n in range(1, 11):
        levels.place(n, 0 if n <= 3 else 1)
    drawn = levels.draw(5, random.Random(1), exclude={2})
    assert set(drawn[:2]) == {1, 3} and 2 not in drawn and len(drawn) == 5
    levels.discard(1)
    assert 1 not in levels and len(levels) == 9 and levels.spread() == (0, 1)


# -- properties --------------------------------------------------------------------------------


@st.composite
def round_histories(draw: Any) -> list[tuple[str, Any]]:
    """A sequence of record changes as a store would feed them (inserts and updates)."""
    ops: list[tuple[str, Any]] = []
    items: dict[int, Contribution] = {}
    votes: dict[tuple[str, int], Vote] = {}
    next_vote = 1
    for _ in range(draw(st.integers(1, 60))):
        kind = draw(st.sampled_from(["add", "add", "vote", "vote", "merge", "hide", "unmerge",
                                     "sample"]))
        if kind == "add" or not items:
            cid = len(items) + 1
            items[cid] = item(cid, stakeholder=draw(st.sampled_from(["g", ""])),
                              theme_id=draw(st.integers(0, 2)))
            ops.append(("c", (None, items[cid])))
        elif kind == "vote":
            cid = draw(st.sampled_from(sorted(items)))
            device = draw(st.sampled_from("abcdef"))
            weight = draw(st.integers(0, 3))
            old = votes.get((device, cid))
            if old is None:
                new = vote(next_vote, cid, device, weight)
                next_vote += 1
            else:
                new = dataclasses.replace(old, weight=weight)
            votes[(device, cid)] = new
            ops.append(("v", (old, new)))
        elif kind in ("merge", "hide", "unmerge"):
            cid = draw(st.sampled_from(sorted(items)))
            old = items[cid]
            if kind == "merge":
                roots = [c for c in items.values() if not c.merged_into and c.id != cid]
                if not roots or any(c.merged_into == cid for c in items.values()):
                    continue
                new = dataclasses.replace(old, merged_into=draw(st.sampled_from(roots)).id)
            elif kind == "hide":
                new = dataclasses.replace(old, hidden=not old.hidden)
            else:
                new = dataclasses.replace(old, merged_into=0)
            items[cid] = new
            ops.append(("c", (old, new)))
        else:
            chosen = draw(st.lists(st.sampled_from(sorted(items)), min_size=1, max_size=4,
                                   unique=True))
            record = sample(len(ops) + 1, draw(st.sampled_from("abcdef")), tuple(chosen),
                            drawn_from=draw(st.integers(1, 8)))
            ops.append(("s", (None, record)))
    return ops


def _final(ops: list[tuple[str, Any]]) -> tuple[list[Contribution], list[Vote], list[Sample]]:
    contributions: dict[int, Contribution] = {}
    votes: dict[int, Vote] = {}
    samples: dict[int, Sample] = {}
    for kind, (_, new) in ops:
        {"c": contributions, "v": votes, "s": samples}[kind][new.id] = new
    return list(contributions.values()), list(votes.values()), list(samples.values())


@settings(max_examples=200, deadline=None)
@given(round_histories(), st.sampled_from([DOTS, SCORES]), st.randoms(use_true_random=False))
def test_live_ranking_equals_the_ranking_of_the_final_records(
    ops: list[tuple[str, Any]], spec: RoundSpec, rnd: random.Random
) -> None:
    live = RoundRanking(spec)
    feed = {"c": live.put_contribution, "v": live.put_vote, "s": live.put_sample}
    for kind, (old, new) in ops:
        feed[kind](old, new)
    contributions, votes, samples = _final(ops)
    rnd.shuffle(contributions)  # the order records are read in does not matter either
    rnd.shuffle(votes)
    rnd.shuffle(samples)
    assert figures(live.ranked()) == figures(rank_round(spec, contributions, votes, samples))


@settings(max_examples=150, deadline=None)
@given(
    items=st.integers(6, 60),
    devices=st.integers(1, 120),
    k=st.integers(3, 12),
    extra_sets=st.lists(st.integers(0, 119), max_size=20),
    late=st.integers(0, 10),
    seed=st.integers(0, 2**32),
)
def test_exposure_stays_balanced_however_phones_arrive(
    items: int, devices: int, k: int, extra_sets: list[int], late: int, seed: int
) -> None:
    """Every device draws k items; some ask for another set (which leaves out what they saw);
    some items arrive while voting runs. Each draw takes the least-seen items there are, so:
    with every item there from the start, no item ends up seen by more than one device more
    than another (two when devices also asked for further sets)."""
    rng = random.Random(seed)
    spec = _spec(sample_size=k)
    ranking = RoundRanking(spec)
    for cid in range(1, items + 1):
        ranking.put_contribution(None, item(cid))
    shown: dict[str, set[int]] = {}
    next_id = 1
    arrivals = [f"d{n}" for n in range(devices)]
    for n in extra_sets:  # a device asks for another set some time after its first
        if n < devices:
            arrivals.insert(rng.randrange(n + 1, len(arrivals) + 1), f"d{n}")
    for step, device in enumerate(arrivals):
        if late and step == len(arrivals) // 2:
            for cid in range(items + 1, items + late + 1):
                ranking.put_contribution(None, item(cid))
        exclude = shown.get(device, set())
        before = {cid: ranking.seen_by(cid) for cid in range(1, items + late + 1)
                  if cid in ranking.candidates}
        drawn = ranking.candidates.draw(k, rng, exclude=exclude)
        passed_over = [before[cid] for cid in before if cid not in drawn and cid not in exclude]
        if drawn and passed_over:
            assert max(before[cid] for cid in drawn) <= min(passed_over), "least seen first"
        assert len(drawn) == min(k, len(before) - len(exclude & set(before)))
        ranking.put_sample(None, sample(next_id, device, tuple(drawn),
                                        drawn_from=len(ranking.candidates)))
        next_id += 1
        shown.setdefault(device, set()).update(drawn)
    counts = [ranking.seen_by(cid) for cid in range(1, items + late + 1)]
    assert ranking.exposure_spread() == (min(counts), max(counts))
    if not late:
        assert max(counts) - min(counts) <= (2 if extra_sets else 1), counts


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_rank_does_not_depend_on_the_order_phones_arrive(seed: int) -> None:
    """40 items, four of them liked (and clearly apart: 90, 60, 35 and 10 % of those who see
    them give a dot), the rest not; 1,500 phones with 8-item samples, so each item is seen 300
    times. Whatever order the phones come in, the four come out on top, in order of how well
    they are liked (the chance of another outcome is below one in a billion per run)."""
    liked = {cid: 0.0 for cid in range(1, 41)} | {40: 0.9, 39: 0.6, 38: 0.35, 37: 0.1}

    def run(order_seed: int) -> list[int]:
        rng = random.Random(order_seed)
        ranking = RoundRanking(_spec(sample_size=8))
        for cid in liked:
            ranking.put_contribution(None, item(cid))
        phones = list(range(1500))
        rng.shuffle(phones)
        vid = 1
        for n, phone in enumerate(phones):
            drawn = ranking.candidates.draw(8, rng)
            ranking.put_sample(None, sample(n + 1, f"p{phone}", tuple(drawn), drawn_from=40))
            for cid in drawn:
                if rng.random() < liked[cid]:
                    ranking.put_vote(None, vote(vid, cid, f"p{phone}", 1))
                    vid += 1
        return [i.contribution.id for i in ranking.top(4)]

    assert run(seed) == run(seed + 1) == [40, 39, 38, 37]


def test_an_item_shown_more_often_gains_nothing_from_it() -> None:
    """Two items liked exactly as much (every device that sees one gives it one dot); one is
    shown to three times as many devices. Per time seen they tie."""
    ranking = RoundRanking(DOTS)
    for cid in range(1, 8):
        ranking.put_contribution(None, item(cid))
    sid = vid = 1
    for n in range(30):
        shown = (1,) if n % 4 else (1, 2)
        ranking.put_sample(None, sample(sid, f"p{n}", shown, drawn_from=7))
        sid += 1
        for cid in shown:
            ranking.put_vote(None, vote(vid, cid, f"p{n}", 1))
            vid += 1
    one, two = ranking.item(1), ranking.item(2)
    assert one is not None and two is not None
    assert one.seen == 30 and two.seen == 8 and one.votes > two.votes
    assert one.rank == two.rank == 1
    assert Counter(i.rank for i in ranking)[1] == 2


def test_the_five_best_include_every_item_tied_with_the_fifth() -> None:
    ranking = RoundRanking(DOTS)
    for cid in range(1, 10):
        ranking.put_contribution(None, item(cid))
    # dots: 1→5, 2→4, 3→3, 4 to 7→2 each (tied for fourth), 8 and 9 none
    for vid, (cid, weight) in enumerate([(1, 3), (1, 2), (2, 3), (2, 1), (3, 3), (4, 2),
                                         (5, 2), (6, 2), (7, 2)], start=1):
        ranking.put_vote(None, vote(vid, cid, f"d{vid}", weight))
    best = ranking.best(5)
    assert [(i.contribution.id, i.rank) for i in best] == [
        (1, 1), (2, 2), (3, 3), (4, 4), (5, 4), (6, 4), (7, 4)]
    assert [i.contribution.id for i in ranking.best(3)] == [1, 2, 3]  # no tie at the edge
    assert ranks_within(best[3:]) == [1, 1, 1, 1]
    assert ranks_within([best[0], best[2], best[4]]) == [1, 2, 3]  # not 1, 3, 4


def test_the_ties_at_the_edge_can_be_bounded_where_a_page_is_built() -> None:
    """A phone's page offers the five best bottlenecks: with a thousand items tied with the
    fifth (20,000 items and 2,000 ballots), the list, and the work, stop at ``at_most``."""
    ranking = RoundRanking(DOTS)
    for cid in range(1, 1001):
        ranking.put_contribution(None, item(cid))
        ranking.put_vote(None, vote(cid, cid, f"d{cid}", 1))
    assert len(ranking.best(5)) == 1000  # every item shares the first rank
    bounded = ranking.best(5, at_most=10)
    assert len(bounded) == 10 and {i.rank for i in bounded} == {1}
    assert len(ranking.best(5, at_most=3)) == 5  # never fewer than the five


def test_with_no_votes_there_is_no_tie_to_extend() -> None:
    ranking = RoundRanking(DOTS)
    for cid in range(1, 10):
        ranking.put_contribution(None, item(cid))
    assert len(ranking.best(5)) == 5


def test_a_theme_that_holds_nothing_is_left_out() -> None:
    themes = [Theme(id=1, round_id="r", name="Geld"), Theme(id=2, round_id="r", name="Leeg")]
    ranking = RoundRanking(DOTS)
    ranking.put_contribution(None, item(1, theme_id=1))
    ranking.put_contribution(None, item(2))
    assert [g.theme.name if g.theme else None for g in ranking.theme_groups(themes)] == [
        "Geld", None]
