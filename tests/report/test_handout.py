"""The PDF reads like a handout: few pages for a short session and none near-empty, the appendix
at a readable size, dates in the report's language, and a small room told which figures are
withheld instead of being vouched for."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pdf_helpers import PDF_READABLE, REPORT_FORMATS, needs_pdf
from pypdf import PdfReader
from report_session import SMALL_ROOM, Fixed

from facilitator.report import build_report, write_report
from facilitator.report.markdown import render_markdown
from facilitator.session.store import SessionStore

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                   reason="poppler-utils (pdftotext) not installed")

MARGIN = 18 / 25.4 * 72
"""The page's top and bottom margin in points (report.css: 18mm): the running title and the page
number sit in it and do not count as content."""
FULL_ENOUGH = 0.6
"""A page other than the last is "near-empty" when its content ends above this share of the
page's body: what a forced page break after a short round leaves behind."""
OLD_CLAIM = {"nl": "Alle verwachte groepen zaten aan tafel en geen enkele groep overheerste",
             "en": "Every expected group was at the table and no group dominated"}


def page_fill(pdf: Path) -> list[float]:
    """For each page, how far down its body the content reaches (0 = empty, 1 = full)."""
    boxes = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True,
                           capture_output=True, encoding="utf-8").stdout
    fill = []
    for height, words in re.findall(r'<page width="[\d.]+" height="([\d.]+)">(.*?)</page>',
                                    boxes, re.S):
        top, bottom = MARGIN, float(height) - MARGIN
        body = [y for y in map(float, re.findall(r'yMax="([\d.]+)"', words)) if top < y < bottom]
        fill.append((max(body) - top) / (bottom - top) if body else 0.0)
    return fill


def pdf_text(pdf: Path) -> str:
    return " ".join(subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True,
                                   encoding="utf-8").stdout.split())


def _assert_no_near_empty_page(pdf: Path) -> None:
    fill = page_fill(pdf)
    assert fill[-1] > 0, f"{pdf}: the last page is empty"
    near_empty = [(n, round(f, 2)) for n, f in enumerate(fill[:-1], start=1) if f < FULL_ENOUGH]
    assert near_empty == [], f"{pdf}: near-empty pages (page, fill) of {len(fill)}: {near_empty}"


# -- pages ----------------------------------------------------------------------------------------


@needs_pdf
@needs_poppler
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_short_session_prints_on_few_pages_none_near_empty(
    small_room_written: dict[str, dict[str, Path]], lang: str
) -> None:
    pdf = small_room_written[lang][".pdf"]
    # Five rounds, eight people, eleven contributions: each round on its own page made ten.
    assert len(PdfReader(pdf).pages) <= 5
    _assert_no_near_empty_page(pdf)


@needs_pdf
@needs_poppler
def test_fixed_session_has_no_near_empty_page(written: dict[str, Path]) -> None:
    # Each section on its own page made nine; the two rankings across groups (issue 22: in the
    # summary and in each of its two voted rounds, every item with each group's support) add
    # about two pages of content.
    assert len(PdfReader(written[".pdf"]).pages) <= 7
    _assert_no_near_empty_page(written[".pdf"])


@needs_pdf
@needs_poppler
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_demo_session_has_no_near_empty_page(tmp_path: Path, lang: str) -> None:
    from facilitator.demo import create_demo
    from facilitator.session.library import Library, Templates

    session = create_demo(Library(tmp_path / "data"), Templates())
    [pdf] = write_report(session, formats=["pdf"], out_dir=tmp_path / "out", lang=lang)
    _assert_no_near_empty_page(pdf)


@needs_pdf
def test_appendix_is_printed_at_a_readable_size(written: dict[str, Path]) -> None:
    """Appendix lines ("#12 · 3 · 4 — text") in at least 8.5 pt, like the rest of the report."""
    sizes: list[float] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if re.match(r"#\d+ ", text):
            sizes.append(size * cm[0] * tm[0])  # the font size in points, as placed on the page

    for page in PdfReader(written[".pdf"]).pages:
        page.extract_text(visitor_text=visit)
    assert len(sizes) >= 8  # every counted contribution of the fixed session has a line
    assert min(sizes) >= 8.5, sorted(set(round(s, 1) for s in sizes))


# -- dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "cover", "due"), [
    ("nl", "23 november 2026", "31 maart 2027"),
    ("en", "November 23, 2026", "March 31, 2027"),
])
def test_dates_are_in_the_report_language(fixed: Fixed, tmp_path: Path, lang: str, cover: str,
                                          due: str) -> None:
    report = build_report(SessionStore.open(fixed.path, read_only=True), lang=lang)
    assert report.date == cover
    assert [a.due for a in report.actions] == [due, ""]
    formats = [f for f in REPORT_FORMATS if f != "csv"]
    paths = {p.suffix: p for p in write_report(fixed.path, formats=formats, out_dir=tmp_path,
                                               lang=lang)}
    texts = [paths[".md"].read_text(encoding="utf-8"), paths[".html"].read_text(encoding="utf-8")]
    if PDF_READABLE:
        texts.append(pdf_text(paths[".pdf"]))
    for text in texts:
        assert cover in text and due in text
        assert "2027-03-31" not in text


def test_a_due_that_is_not_a_date_stays_as_typed() -> None:
    from facilitator.report.model import date_label

    assert date_label("2027-02-28", "nl") == "28 februari 2027"
    assert date_label("na de zomer", "nl") == "na de zomer"
    assert date_label("", "en") == ""


# -- withheld figures -----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_small_room_is_told_which_figures_are_withheld(small_room: Path, lang: str) -> None:
    report = build_report(SessionStore.open(small_room, read_only=True), lang=lang)
    present = [g for g in report.groups if g.present]
    assert len(present) == len({group for _d, group, _t in SMALL_ROOM}) == 7
    assert all(g.pooled for g in present)  # nobody's figures can be shown
    assert report.withheld == [g.name for g in present]
    assert not any(OLD_CLAIM[lang] in f for f in report.findings)
    assert report.findings == [{"nl": "Alle verwachte groepen zaten aan tafel.",
                                "en": "Every expected group was at the table."}[lang]]
    note = report.withheld_note
    for group in present:
        assert f"“{group.name}”" in note
    assert {"nl": "minder dan 3 mensen", "en": "Fewer than 3 people"}[lang] in note
    assert {"nl": "wie wat zei", "en": "who said what"}[lang] in note


def test_withheld_statement_in_every_format(small_room_written: dict[str, dict[str, Path]]) -> None:
    for lang, paths in small_room_written.items():
        report_note = {"nl": "Achtergehouden voor de anonimiteit", "en": "Withheld for anonymity"}
        texts = {suffix: paths[suffix].read_text(encoding="utf-8") for suffix in (".md", ".html")}
        if PDF_READABLE:
            texts[".pdf"] = pdf_text(paths[".pdf"])
        for suffix, text in texts.items():
            assert OLD_CLAIM[lang] not in text, (lang, suffix)
            # On the cover with the finding, and again with the groups table.
            assert text.count(report_note[lang]) == 2, (lang, suffix)


def test_withheld_groups_that_only_keep_the_small_ones_company(elimination: Fixed) -> None:
    """Three municipality people (enough to be shown) are pooled with one refugee-led person:
    the note says why each one's figures are withheld."""
    report = build_report(SessionStore.open(elimination.path, read_only=True))
    assert report.withheld == ["Gemeente", "Initiatief van vluchtelingen"]
    assert ("Van elk van deze groepen waren minder dan 3 mensen aanwezig"
            in report.withheld_note)
    assert "“Initiatief van vluchtelingen”. Van elk" in report.withheld_note
    assert ("Ook de cijfers van “Gemeente” worden achtergehouden, zodat die van de kleine "
            "groepen niet uit de totalen af te leiden zijn.") in report.withheld_note


def test_fixed_session_names_its_pooled_groups(fixed: Fixed) -> None:
    report = build_report(SessionStore.open(fixed.path, read_only=True), lang="en")
    assert report.withheld == ["Refugee-led initiative", "Prefer not to say"]
    assert "of “Refugee-led initiative” and “Prefer not to say”." in report.withheld_note
    assert report.withheld_note in render_markdown(report)


def test_room_where_every_group_can_be_shown_keeps_its_finding(tmp_path: Path) -> None:
    import asyncio

    from report_session import TEMPLATE

    from facilitator.core.model import Source
    from facilitator.core.templates import parse_template

    store = SessionStore.create(tmp_path / "large.json", parse_template(TEMPLATE),
                                session_id="large", title="Groot", lang="en",
                                join_token="large-join-token")

    async def fill() -> None:
        try:
            for n, group in enumerate(["municipality", "refugee_led", "civil_society"] * 3):
                await store.join(f"d{n}", lang="en", stakeholder=group)
                await store.update_round("knelpunten", submissions_open=True)
                await store.add_contribution("knelpunten", f"Knelpunt {n}", author=f"d{n}",
                                             source=Source.WEB)
        finally:
            await store.close()

    asyncio.run(fill())
    report = build_report(SessionStore.open(tmp_path / "large.json", read_only=True))
    assert report.withheld == [] and report.withheld_note == ""
    assert report.findings == [
        "Every expected group was at the table and no group dominated the conversation."]
    assert "Withheld" not in render_markdown(report)
