"""Ranking, themes and the "who is at the table" audit, on small hand-made sessions."""

from __future__ import annotations

from typing import Any

import pytest

from facilitator.core.model import Contribution, Participant, Theme, Vote
from facilitator.core.privacy import disclosure
from facilitator.core.results import (
    UNDISCLOSED,
    AuditFlag,
    audit,
    by_theme,
    rank_round,
    themes_by_group,
)
from facilitator.core.templates import RoundSpec, Template, parse_template
from facilitator.core.voting import VoteTotals


def _text(word: str) -> dict[str, str]:
    return {"nl": word, "en": word}


def _template(**extra: Any) -> Template:
    data: dict[str, Any] = {
        "id": "t",
        "default_lang": "en",
        "title": _text("T"),
        "description": _text("D"),
        "anonymity_threshold": 3,
        "groups": [
            {"id": "muni", "name": _text("Municipality")},
            {"id": "ngo", "name": _text("NGO")},
            {"id": "citizen", "name": _text("Citizens")},
            {"id": "refugee", "name": _text("Refugee-led"), "must_be_present": True,
             "lived_experience": True},
            {"id": "funder", "name": _text("Funder"), "expected": False},
        ],
        "rounds": [
            {"id": "dots", "kind": "bottleneck", "minutes": 10, "title": _text("B"),
             "prompt": _text("P"), "voting": {"rule": "dots", "dots": 5, "per_item_cap": 3}},
            {"id": "score", "kind": "ideas", "minutes": 10, "title": _text("I"),
             "prompt": _text("P"), "voting": {"rule": "score", "scale_min": 1, "scale_max": 5}},
        ],
    }
    data.update(extra)
    return parse_template(data)


TEMPLATE = _template()
DOTS: RoundSpec = TEMPLATE.round("dots")
SCORE: RoundSpec = TEMPLATE.round("score")


def c(cid: int, round_id: str = "dots", stakeholder: str = "", **fields: Any) -> Contribution:
    return Contribution(id=cid, round_id=round_id, text=f"item {cid}", stakeholder=stakeholder,
                        **fields)


def v(cid: int, device: str, weight: int, round_id: str = "dots") -> Vote:
    return Vote(round_id=round_id, contribution_id=cid, device_id=device, weight=weight)


def ranks(ranked: list[Any]) -> list[tuple[int, int, int]]:
    return [(item.contribution.id, item.votes, item.rank) for item in ranked]


# -- rank_round --------------------------------------------------------------------------------


def test_dots_rank_by_total_and_ties_share_a_rank() -> None:
    items = [c(1), c(2), c(3), c(4), c(5)]
    votes = [v(2, "a", 3), v(2, "b", 2), v(3, "a", 2), v(3, "c", 1), v(4, "b", 3), v(5, "c", 1)]
    assert ranks(rank_round(DOTS, items, votes)) == [
        (2, 5, 1), (3, 3, 2), (4, 3, 2), (5, 1, 4), (1, 0, 5),
    ]


def test_no_votes_all_share_first_rank_in_arrival_order() -> None:
    assert ranks(rank_round(DOTS, [c(3), c(1), c(2)], [])) == [(1, 0, 1), (2, 0, 1), (3, 0, 1)]


def test_merged_duplicates_fold_votes_and_count() -> None:
    items = [c(1), c(2, merged_into=1), c(3, merged_into=2), c(4), c(5)]
    votes = [v(1, "a", 1), v(2, "b", 2), v(3, "c", 1), v(4, "a", 3), v(5, "d", 4)]
    ranked = rank_round(DOTS, items, votes)
    by_id = {item.contribution.id: item for item in ranked}
    assert set(by_id) == {1, 4, 5}  # duplicates are not listed on their own
    assert by_id[1].votes == 4 and by_id[1].count == 3 and by_id[1].voters == 3
    assert {d.id for d in by_id[1].duplicates} == {2, 3}  # a chain of merges reaches the root
    # 4 votes each for 1 and 5: the one the room said more often ranks first, no shared rank
    assert ranks(ranked) == [(1, 4, 1), (5, 4, 2), (4, 3, 3)]


def test_hidden_items_are_left_out_with_their_votes() -> None:
    items = [c(1), c(2, hidden=True), c(3)]
    votes = [v(2, "a", 3), v(3, "a", 1)]
    ranked = rank_round(DOTS, items, votes)
    assert ranks(ranked) == [(3, 1, 1), (1, 0, 2)]


def test_hidden_duplicate_does_not_count_as_said_again() -> None:
    items = [c(1), c(2, merged_into=1, hidden=True)]
    (item,) = rank_round(DOTS, items, [])
    assert item.count == 1 and item.duplicates == []


def test_other_rounds_and_zero_votes_are_ignored() -> None:
    items = [c(1), c(2), c(10, round_id="score")]
    votes = [v(1, "a", 0), v(10, "a", 5, round_id="score"), v(2, "a", 1)]
    assert ranks(rank_round(DOTS, items, votes)) == [(2, 1, 1), (1, 0, 2)]
    (only,) = rank_round(DOTS, items, votes)[:1]
    assert only.voters == 1


def test_score_rule_ranks_by_mean_then_voters() -> None:
    items = [c(i, "score") for i in (1, 2, 3, 4)]
    votes = [
        v(1, "a", 5, "score"),  # mean 5 from one voter
        v(2, "a", 4, "score"), v(2, "b", 4, "score"), v(2, "c", 4, "score"),  # 4.0 x3
        v(3, "a", 5, "score"), v(3, "b", 3, "score"),  # 4.0 x2
        v(4, "b", 4, "score"), v(4, "c", 4, "score"),  # 4.0 x2: ties with 3
    ]
    ranked = rank_round(SCORE, items, votes)
    assert [(i.contribution.id, i.mean_score, i.rank) for i in ranked] == [
        (1, 5.0, 1), (2, 4.0, 2), (3, 4.0, 3), (4, 4.0, 3),
    ]


def test_score_mean_stays_on_the_scale_after_a_merge() -> None:
    """One device scored both items before the facilitator merged them: the merged item's
    mean score must still be a score on the 1-5 scale, not the sum of the two."""
    items = [c(1, "score"), c(2, "score", merged_into=1)]
    votes = [v(1, "a", 5, "score"), v(2, "a", 5, "score"), v(1, "b", 3, "score")]
    (item,) = rank_round(SCORE, items, votes)
    assert SCORE.voting.scale_min <= item.mean_score <= SCORE.voting.scale_max, item.mean_score


def test_merge_cycle_does_not_hang() -> None:
    items = [c(1, merged_into=2), c(2, merged_into=1), c(3)]
    ranked = rank_round(DOTS, items, [v(1, "a", 1)])
    assert [i.contribution.id for i in ranked] == [3]


# -- by_theme ----------------------------------------------------------------------------------


def test_by_theme_orders_themes_by_votes_puts_unsorted_last_and_leaves_out_empty() -> None:
    themes = [Theme(id=1, round_id="dots", name="Rules"), Theme(id=2, round_id="dots", name="Talk"),
              Theme(id=3, round_id="dots", name="Empty")]
    items = [c(1, stakeholder="muni", theme_id=1), c(2, stakeholder="ngo", theme_id=2),
             c(3, stakeholder="ngo", theme_id=2, merged_into=2), c(4, theme_id=0)]
    ranked = rank_round(DOTS, items, [v(1, "a", 2), v(2, "a", 3), v(4, "b", 1)])
    groups = by_theme(ranked, themes)
    assert [(g.theme.name if g.theme else None, g.votes) for g in groups] == [
        ("Talk", 3), ("Rules", 2), (None, 1),  # a theme that holds nothing is left out
    ]
    assert groups[0].stakeholders["ngo"] == 2  # the duplicate counts for its author's group


# -- audit -------------------------------------------------------------------------------------


def _room() -> tuple[list[Participant], list[Contribution], list[Vote]]:
    people = [Participant(id=i, device_id=f"m{i}", lang="nl", stakeholder="muni")
              for i in (1, 2, 3)]
    people += [Participant(id=4, device_id="n1", lang="en", stakeholder="ngo"),
               Participant(id=5, device_id="x1", lang="ar", stakeholder=UNDISCLOSED)]
    said = [c(1, stakeholder="muni", theme_id=1), c(2, stakeholder="muni", theme_id=1),
            c(3, stakeholder="muni", theme_id=2), c(4, stakeholder="muni", merged_into=1),
            c(5, stakeholder="ngo", theme_id=2), c(6, stakeholder=UNDISCLOSED, theme_id=2),
            c(7, stakeholder="ngo", hidden=True)]
    votes = [v(1, "n1", 2), v(5, "m1", 3), v(5, "m2", 1), v(6, "m3", 2), v(7, "x1", 3),
             v(2, "x1", 0)]
    return people, said, votes


def test_audit_figures() -> None:
    people, said, votes = _room()
    result = audit(TEMPLATE, people, said, votes)
    assert (result.participants, result.contributions, result.votes) == (5, 6, VoteTotals(8))
    assert [g.group_id for g in result.groups] == [
        "muni", "ngo", "citizen", "refugee", "funder", UNDISCLOSED,
    ]
    muni = result.figures("muni")
    assert muni is not None
    assert (muni.present, muni.contributions, muni.votes_won) == (3, 4, 2)
    assert muni.presence_share == pytest.approx(3 / 5)
    assert muni.voice_share == pytest.approx(4 / 6)
    assert muni.votes_share == pytest.approx(2 / 8)
    assert muni.voice_ratio == pytest.approx((4 / 6) / (3 / 5))
    assert muni.linkable and muni.expected

    ngo = result.figures("ngo")
    assert ngo is not None
    assert (ngo.present, ngo.contributions, ngo.votes_won) == (1, 1, 4)  # hidden one left out
    assert ngo.votes_share == pytest.approx(4 / 8)
    assert not ngo.linkable

    undisclosed = result.figures(UNDISCLOSED)
    assert undisclosed is not None and not undisclosed.linkable and not undisclosed.expected
    citizen = result.figures("citizen")
    assert citizen is not None and citizen.voice_ratio is None and citizen.present == 0
    funder = result.figures("funder")
    assert funder is not None and not funder.expected
    assert sum(g.presence_share for g in result.groups) == pytest.approx(1.0)
    assert sum(g.voice_share for g in result.groups) == pytest.approx(1.0)


def test_audit_flags() -> None:
    people, said, votes = _room()
    result = audit(TEMPLATE, people, said, votes)
    assert sorted(result.flags) == sorted([
        (AuditFlag.ABSENT, "citizen"),
        (AuditFlag.ABSENT_REQUIRED, "refugee"),
        (AuditFlag.DOMINANT, "muni"),
        (AuditFlag.NO_LIVED_EXPERIENCE, ""),
    ])
    assert sorted(result.missing) == ["citizen", "refugee"]  # not funder: not expected


def test_no_lived_experience_flag_goes_when_they_speak() -> None:
    people, said, votes = _room()
    people.append(Participant(id=9, device_id="r1", lang="fa", stakeholder="refugee"))
    said.append(c(9, stakeholder="refugee"))
    flags = {flag for flag, _ in audit(TEMPLATE, people, said, votes).flags}
    assert AuditFlag.NO_LIVED_EXPERIENCE not in flags
    assert AuditFlag.ABSENT_REQUIRED not in flags


def test_present_but_silent_lived_experience_is_still_flagged() -> None:
    people, said, votes = _room()
    people.append(Participant(id=9, device_id="r1", lang="fa", stakeholder="refugee"))
    flags = audit(TEMPLATE, people, said, votes).flags
    assert (AuditFlag.NO_LIVED_EXPERIENCE, "") in flags
    assert (AuditFlag.ABSENT_REQUIRED, "refugee") not in flags


def test_dominant_needs_more_than_half_and_a_few_contributions() -> None:
    people = [Participant(id=1, device_id="a", lang="nl", stakeholder="muni"),
              Participant(id=2, device_id="b", lang="nl", stakeholder="ngo")]
    half = [c(1, stakeholder="muni"), c(2, stakeholder="muni"), c(3, stakeholder="ngo"),
            c(4, stakeholder="ngo")]
    assert not any(f == AuditFlag.DOMINANT for f, _ in audit(TEMPLATE, people, half, []).flags)
    few = [c(1, stakeholder="muni"), c(2, stakeholder="muni"), c(3, stakeholder="ngo")]
    assert not any(f == AuditFlag.DOMINANT for f, _ in audit(TEMPLATE, people, few, []).flags)


def test_undisclosed_voice_is_never_dominant() -> None:
    people = [Participant(id=1, device_id="a", lang="nl")]
    said = [c(i) for i in range(1, 6)]
    result = audit(TEMPLATE, people, said, [])
    assert not any(f == AuditFlag.DOMINANT for f, _ in result.flags)


def test_linkable_threshold_follows_the_template() -> None:
    people, said, votes = _room()
    strict = _template(anonymity_threshold=4)
    figures = audit(strict, people, said, votes).figures("muni")
    assert figures is not None and not figures.linkable
    lenient = _template(anonymity_threshold=1)
    result = audit(lenient, people, said, votes)
    assert [g.group_id for g in result.groups if g.linkable] == ["muni", "ngo"]


def test_empty_room() -> None:
    result = audit(TEMPLATE, [], [], [])
    assert result.participants == result.contributions == result.votes.total == 0
    assert all(g.presence_share == 0 and g.voice_ratio is None for g in result.groups)
    assert (AuditFlag.ABSENT_REQUIRED, "refugee") in result.flags


def test_themes_by_group_leaves_out_small_groups() -> None:
    people, said, votes = _room()
    themes = [Theme(id=1, round_id="dots", name="Rules"), Theme(id=2, round_id="dots", name="Talk")]
    groups = by_theme(rank_round(DOTS, said, votes), themes)
    # ngo (1) and "prefer not to say" (1) pool only two people: municipality joins them.
    assert disclosure(TEMPLATE, audit(TEMPLATE, people, said, votes)).named == set()
    people.append(Participant(id=6, device_id="x2", lang="nl", stakeholder=UNDISCLOSED))
    named = disclosure(TEMPLATE, audit(TEMPLATE, people, said, votes)).named
    result = themes_by_group(named, groups)
    assert set(result) == {"muni"}  # ngo (1 person) and the undisclosed are never linked
    assert [(g.theme.name if g.theme else None, n) for g, n in result["muni"]] == [
        ("Rules", 3), ("Talk", 1),
    ]


def test_votes_are_added_up_by_rule() -> None:
    """A dot is one vote and a score is one vote whatever its value: 3 dots and two scores of
    5 and 4 are 5 votes, not 12, in the session's total and in each group's votes won."""
    people = [Participant(id=1, device_id="m1", lang="nl", stakeholder="muni")]
    said = [c(1, stakeholder="muni"), c(2, "score", stakeholder="ngo"),
            c(3, "score", stakeholder="ngo", hidden=True)]
    votes = [v(1, "m1", 3), v(2, "m1", 5, "score"), v(2, "x1", 4, "score"),
             v(3, "m1", 5, "score")]  # the last on a hidden one: not counted
    result = audit(TEMPLATE, people, said, votes)
    assert result.votes == VoteTotals(dots=3, scores=2) and result.votes.total == 5
    assert [(g.group_id, g.votes_won) for g in result.groups if g.votes_won] == [
        ("muni", 3), ("ngo", 2)]
    assert rank_round(SCORE, said, votes)[0].votes == 9  # the ranking still adds the scores
    from facilitator.core.ranking import RoundRanking

    ranking = RoundRanking(SCORE)
    for item in said:
        if item.round_id == "score":
            ranking.put_contribution(None, item)
    for vote in votes:
        if vote.round_id == "score":
            ranking.put_vote(None, vote)
    assert ranking.cast == VoteTotals(scores=2)
    assert (ranking.said, ranking.hidden, ranking.waiting) == (1, 1, 0)
