"""Small stakeholder groups cannot be recognised by elimination, in the model and every format.

The elimination session: three municipality participants and one refugee-led participant, with
an anonymity threshold of 3. Labelling the three municipality contributions would leave one
unlabelled, and the groups table (refugee-led: 1 present) would say whose it is.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pdf_helpers import needs_pdf
from report_session import MUNICIPALITY_TEXTS, REFUGEE_TEXT, WAITING_TEXT, Fixed

from facilitator.core.privacy import pooled_groups
from facilitator.core.results import UNDISCLOSED, GroupFigures
from facilitator.report import build_report
from facilitator.session.store import SessionStore

GROUP_NAMES = ("Gemeente", "Initiatief van vluchtelingen")
ITEM_TEXTS = (*MUNICIPALITY_TEXTS, REFUGEE_TEXT)

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                   reason="poppler-utils (pdftotext) not installed")


def _figures(group_id: str, present: int, contributions: int = 1,
             threshold: int = 3) -> GroupFigures:
    return GroupFigures(group_id=group_id, expected=True, present=present,
                        contributions=contributions, votes_won=0, presence_share=0.0,
                        voice_share=0.0, votes_share=0.0,
                        linkable=group_id != UNDISCLOSED and present >= threshold)


# -- the rule ------------------------------------------------------------------------------------


def test_pool_large_enough_keeps_every_label() -> None:
    groups = [_figures("municipality", 4), _figures("refugee_led", 1),
              _figures(UNDISCLOSED, 2)]
    assert pooled_groups(groups, 3) == {"refugee_led", UNDISCLOSED}


def test_smallest_labelled_group_joins_a_pool_that_is_too_small() -> None:
    groups = [_figures("municipality", 5), _figures("civil_society", 3),
              _figures("funder", 4), _figures("refugee_led", 1)]
    assert pooled_groups(groups, 3) == {"refugee_led", "civil_society"}


def test_more_groups_join_until_the_pool_is_large_enough() -> None:
    groups = [_figures("municipality", 9), _figures("civil_society", 3),
              _figures("funder", 3), _figures("refugee_led", 1)]
    # 1 + 3 = 4 ≥ 3 after one group; ties go to the group listed first.
    assert pooled_groups(groups, 5, ["municipality", "funder", "civil_society"]) == {
        "refugee_led", "funder", "civil_society"}  # 1 + 3 + 3 = 7 ≥ 5


def test_no_label_when_the_pool_can_never_be_large_enough() -> None:
    groups = [_figures("municipality", 3), _figures("refugee_led", 1)]
    assert pooled_groups(groups, 5) == {"municipality", "refugee_led"}


def test_no_pool_needs_no_company() -> None:
    # Nobody below the threshold; a group with nobody present and nothing said is not pooled;
    # contributions typed in by the facilitator ("prefer not to say", nobody present) are no
    # one's to protect.
    groups = [_figures("municipality", 4), _figures("civil_society", 0, contributions=0),
              _figures(UNDISCLOSED, 0, contributions=2)]
    assert pooled_groups(groups, 3) == {UNDISCLOSED}


# -- the model -----------------------------------------------------------------------------------


def test_model_links_no_contribution_to_a_group(elimination: Fixed) -> None:
    report = build_report(SessionStore.open(elimination.path, read_only=True))
    items = [i for a in report.appendix for i in a.items]
    assert sorted(i.text for i in items) == sorted(ITEM_TEXTS)
    assert all(i.group == "" for i in items)
    assert all(i.group == "" for r in report.rounds for t in r.themes for i in t.items)
    assert report.groups_themes == []
    assert {(v.group, v.voter_group) for v in report.vote_rows} == {("", "")}
    assert report.pooled_with_small == ["Gemeente"]
    assert "“Gemeente”" in report.pooled_note


def test_model_withholds_the_figures_of_pooled_groups(elimination: Fixed) -> None:
    report = build_report(SessionStore.open(elimination.path, read_only=True))
    rows = {g.group_id: g for g in report.groups}
    refugee, municipality = rows["refugee_led"], rows["municipality"]
    assert refugee.pooled and municipality.pooled
    assert (refugee.present, refugee.contributions, refugee.votes_won) == (1, "< 3", "≥ 3")
    assert (municipality.present, municipality.contributions) == (3, "≥ 3")
    assert refugee.voice_share is None and refugee.votes_share is None
    assert municipality.voice_share is None and municipality.votes_share is None
    assert refugee.presence_share == 0.25  # presence stays: see GroupRow
    civil = rows["civil_society"]  # nobody there, nothing said: nothing to hide
    assert not civil.pooled and civil.contributions == "0"
    assert report.figures_note
    # Dominance is still reported, without the share that would give the exact count.
    assert "“Gemeente” leverde meer dan de helft van de bijdragen." in report.findings


def test_waiting_contribution_is_not_counted_or_shown(elimination: Fixed) -> None:
    report = build_report(SessionStore.open(elimination.path, read_only=True))
    assert report.contributions == 4 and report.hidden == 1
    first = report.rounds[0]
    assert (first.shown, first.said, first.hidden, first.waiting) == (4, 4, 0, 1)
    assert (report.appendix[0].hidden, report.appendix[0].waiting) == (0, 1)
    assert all(i.text != WAITING_TEXT for a in report.appendix for i in a.items)
    assert all(v.contribution_id != elimination.ids["waiting"] for v in report.vote_rows)
    ranked = {i.id: i for t in first.themes for i in t.items}
    assert elimination.ids["waiting"] not in ranked
    assert ranked[elimination.ids["m2"]].votes == "1"  # the waiting one's dots do not count


# -- every format --------------------------------------------------------------------------------


def _without_group_table(text: str, start: str, end: str) -> str:
    """The text without the groups table section (from ``start`` up to ``end``)."""
    i = text.index(start)
    j = text.index(end, i)
    return text[:i] + text[j:]


def _assert_unlabelled(text: str) -> None:
    for name in GROUP_NAMES:
        assert name not in text


def test_markdown_links_no_contribution_to_a_group(elimination_written: dict[str, Path]) -> None:
    markdown = elimination_written[".md"].read_text(encoding="utf-8")
    rows = [line for line in markdown.splitlines()
            if line.startswith("|") and any(t in line for t in ITEM_TEXTS)]
    assert len(rows) == 8  # each text in its round's table and in the appendix
    for row in rows:
        _assert_unlabelled(row)
    table = re.search(r"^\| Initiatief van vluchtelingen \|.*$", markdown, re.M)
    assert table is not None
    # Present, share; contributions, share; votes won, share; votes its people gave, share.
    assert [c.strip() for c in table.group(0).split("|")[1:-1]] == [
        "Initiatief van vluchtelingen", "ja", "1", "25%", "\\< 3", "–", "≥ 3", "–", "\\< 3", "–"]
    assert WAITING_TEXT not in markdown
    assert "wacht op goedkeuring, nog niet meegeteld: 1" in markdown
    assert "Wachten op goedkeuring, nog niet getoond en nog niet meegeteld: 1." in markdown
    body = _without_group_table(markdown, "## Wie zat er aan tafel", "## Bijlage")
    body = body.replace("“Gemeente” leverde meer dan de helft van de bijdragen.", "")
    body = re.sub(r"^De kleinere groepen.*$", "", body, flags=re.M)
    body = re.sub(r"^Achtergehouden voor de anonimiteit: .*$", "", body, flags=re.M)  # names
    _assert_unlabelled(body)


def test_html_links_no_contribution_to_a_group(elimination_written: dict[str, Path]) -> None:
    html = elimination_written[".html"].read_text(encoding="utf-8")
    body = _without_group_table(html, '<section class="table major">',
                                '<section class="appendix major">')
    body = body.replace("“Gemeente” leverde meer dan de helft van de bijdragen.", "")
    body = re.sub(r"<p[^>]*>De kleinere groepen[^<]*</p>", "", body)
    # Which groups' figures are withheld names them, and links nothing to them.
    assert body.count('<p class="withheld">Achtergehouden voor de anonimiteit') == 1
    body = re.sub(r'<p class="withheld">[^<]*</p>', "", body)
    _assert_unlabelled(body)
    for text in ITEM_TEXTS:
        assert text in body
    row = re.search(r"<tr[^>]*><td[^>]*>Initiatief van vluchtelingen.*?</tr>", html)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0))
    assert cells[2:] == ["1", "25%", "&lt; 3", "–", "≥ 3", "–", "&lt; 3", "–"]
    assert WAITING_TEXT not in html


def test_csv_links_no_contribution_to_a_group(elimination_written: dict[str, Path]) -> None:
    rows = list(csv.DictReader(io.StringIO(
        elimination_written["-contributions.csv"].read_text(encoding="utf-8"))))
    assert sorted(r["text"] for r in rows) == sorted(ITEM_TEXTS)
    assert {r["group"] for r in rows} == {""}
    votes = list(csv.DictReader(io.StringIO(
        elimination_written["-votes.csv"].read_text(encoding="utf-8"))))
    assert len(votes) == 4  # 5 dots given, 1 on the contribution waiting for approval
    assert {(v["group"], v["voter_group"]) for v in votes} == {("", "")}


@needs_pdf
@needs_poppler
def test_pdf_links_no_contribution_to_a_group(elimination_written: dict[str, Path]) -> None:
    text = subprocess.run(["pdftotext", "-layout", str(elimination_written[".pdf"]), "-"],
                          check=True, capture_output=True, encoding="utf-8").stdout
    flat = " ".join(text.split())
    for item in ITEM_TEXTS:
        assert item in flat
    body = _without_group_table(flat, "Wie zat er aan tafel", "Bijlage: alle bijdragen")
    body = body.replace("“Gemeente” leverde meer dan de helft van de bijdragen.", "")
    body = re.sub(r"De kleinere groepen hadden .*? gekoppeld\.", "", body)
    body = re.sub(r"Achtergehouden voor de anonimiteit: .*? af te leiden zijn\.", "", body)
    _assert_unlabelled(body)
    assert re.search(r"Initiatief van vluchtelingen ja 1 25% <\s?3 – ≥\s?3 –", flat)
    assert WAITING_TEXT not in flat
