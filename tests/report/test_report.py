"""The session report: golden Markdown, escaping in every format, PDF text, CSV, names, i18n."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from pdf_helpers import PDF_READABLE, needs_pdf
from report_session import (
    ARABIC,
    DUTCH,
    FARSI,
    FORMULA,
    HIDDEN,
    MARKUP,
    SCRIPT,
    SESSION_ID,
    Fixed,
)

from facilitator.report import ReportError, build_markdown, build_report, write_report
from facilitator.report.csv_out import safe_cell
from facilitator.report.markdown import md_cell, md_escape
from facilitator.session.store import SessionStore

GOLDEN = Path(__file__).with_name("golden") / "fixed-session.nl.md"
UPDATE = os.environ.get("FACILITATOR_UPDATE_GOLDEN") == "1"
"""Run with FACILITATOR_UPDATE_GOLDEN=1 to rewrite the golden file after a deliberate change."""

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                   reason="poppler-utils (pdftotext) not installed")


def _open(fixed: Fixed) -> SessionStore:
    return SessionStore.open(fixed.path, read_only=True)


def _pdftotext(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                          encoding="utf-8").stdout


# -- golden Markdown ----------------------------------------------------------------------------


def test_markdown_matches_the_golden_file(fixed: Fixed) -> None:
    markdown = build_markdown(_open(fixed))
    if UPDATE:
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(markdown, encoding="utf-8")
    assert markdown == GOLDEN.read_text(encoding="utf-8")


def test_markdown_file_is_the_preview(fixed: Fixed, written: dict[str, Path]) -> None:
    assert written[".md"].read_text(encoding="utf-8") == build_markdown(_open(fixed))


def test_english_report_uses_english_labels_and_template_texts(fixed: Fixed) -> None:
    from facilitator.report.markdown import render_markdown

    markdown = render_markdown(build_report(_open(fixed), lang="en"))
    assert "## Summary" in markdown
    assert "## Round 1: Bottlenecks" in markdown
    assert "| Municipality |" in markdown and "| Gemeente |" not in markdown
    assert "Samenvatting" not in markdown


def test_report_sections_in_order(fixed: Fixed) -> None:
    headings = [line for line in build_markdown(_open(fixed)).splitlines()
                if line.startswith("## ")]
    assert headings == [
        "## Samenvatting", "## Ronde 1: Knelpunten", "## Ronde 2: Ideeën",
        "## Ronde 3: Wie zit er aan tafel?", "## Knelpunten per belanghebbende groep",
        "## Ideeën", "## Wie zat er aan tafel", "## Bijlage: alle bijdragen",
    ]


# -- the model ----------------------------------------------------------------------------------


def test_model_from_results(fixed: Fixed) -> None:
    report = build_report(_open(fixed))
    first = report.rounds[0]
    assert first.hidden == 1 and first.shown == 6 and first.said == 7
    merged = next(i for t in first.themes for i in t.items if i.id == fixed.ids["dutch"])
    assert merged.count == 2 and merged.votes == "3"  # the duplicate's vote counts towards it
    assert [i.id for i in report.top_bottlenecks][:2] == [fixed.ids["dutch"], fixed.ids["arabic"]]
    assert report.ideas[0].links == [DUTCH, ARABIC]
    assert report.ideas[0].actions[0].owner == "Gemeente | team"
    assert report.ideas[1].bold
    assert "Maatschappelijke organisatie" in report.missing


def test_small_groups_are_never_linked_to_content(fixed: Fixed) -> None:
    report = build_report(_open(fixed))
    arabic = next(i for a in report.appendix for i in a.items if i.id == fixed.ids["arabic"])
    assert arabic.group == ""  # one refugee-led participant: below the threshold of 3
    assert [g.group for g in report.groups_themes] == ["Gemeente"]


def test_hidden_contributions_are_neither_shown_nor_counted(fixed: Fixed,
                                                            written: dict[str, Path]) -> None:
    for suffix in (".md", ".html", "-contributions.csv"):
        assert HIDDEN not in written[suffix].read_text(encoding="utf-8")
    assert HIDDEN not in _pdftotext(written[".pdf"]) if PDF_READABLE else True
    votes = list(csv.DictReader(io.StringIO(written["-votes.csv"].read_text(encoding="utf-8"))))
    assert all(int(v["contribution_id"]) != fixed.ids["hidden"] for v in votes)
    markdown = build_markdown(_open(fixed))
    # One meaning on every page: the cover, the round and the appendix say "not counted".
    assert "Verborgen bijdragen, niet getoond en niet meegeteld: 1." in markdown
    assert "; verborgen, niet meegeteld: 1._" in markdown
    assert "wel meegeteld" not in markdown
    if PDF_READABLE:
        pdf = " ".join(_pdftotext(written[".pdf"]).split())
        assert "verborgen, niet meegeteld: 1" in pdf and "niet getoond en niet meegeteld: 1" in pdf
        assert "wel meegeteld" not in pdf


# -- names --------------------------------------------------------------------------------------


def test_anonymous_by_default(written: dict[str, Path]) -> None:
    for suffix in (".md", ".html", "-contributions.csv", "-votes.csv"):
        text = written[suffix].read_text(encoding="utf-8")
        assert "Sanne" not in text and "Amal" not in text and "Piet" not in text


def test_names_only_with_names_and_consent(fixed: Fixed, tmp_path: Path) -> None:
    markdown = build_markdown(_open(fixed), names=True)
    assert "Sanne" in markdown and "Amal" in markdown
    assert "Piet" not in markdown  # gave a name but did not consent to be named
    paths = write_report(fixed.path, formats=["html", "csv"], out_dir=tmp_path, names=True)
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert "Piet" not in text
    assert "Sanne" in (tmp_path / f"{SESSION_ID}.html").read_text(encoding="utf-8")


# -- escaping -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    SCRIPT, MARKUP, "| a | b |", "# heading", "1. list", "- item", "> quote", "a\\b", "&amp;",
    "![img](x.png)", "~~strike~~", "<http://autolink.example>", "===", "+ plus", "2) two",
])
def test_md_escape_renders_as_the_text_itself(text: str) -> None:
    html = MarkdownIt("commonmark").enable("table").enable("strikethrough").render(
        md_escape(text))
    inner = re.sub(r"^<p>|</p>\n$", "", html)
    expected = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(
        '"', "&quot;").replace("\n", "\n")
    assert inner == expected


BARE_LINKS = [
    "http://x.example", "zie https://gemeente.example/loket?id=1", '=HYPERLINK("http://x")',
    "www.gemeente.nl", "gemeente.nl/subsidie", "mail jan@gemeente.nl", "mailto:jan@x.nl",
    "ftp://files.example", "//evil.example/x", "(www.x.org)",
]


def gfm() -> MarkdownIt:
    """markdown-it as a GFM renderer: tables, strikethrough and bare links become links
    (linkify, with its fuzzy matching of names like gemeente.nl)."""
    return MarkdownIt("gfm-like")


@pytest.mark.parametrize("text", BARE_LINKS)
def test_bare_links_in_participant_text_do_not_become_links(text: str) -> None:
    assert "<a " in gfm().render(text), "the check itself sees links"
    for escaped in (md_escape(text), f"| {md_cell(text)} |\n| --- |\n| x |"):
        html = gfm().render(escaped)
        assert "<a " not in html, (escaped, html)
    html = gfm().render(md_escape(text))
    assert re.sub(r"^<p>|</p>\n$", "", html) == text.replace('"', "&quot;")


def test_no_participant_text_becomes_a_link_in_the_report(written: dict[str, Path]) -> None:
    html = gfm().render(written[".md"].read_text(encoding="utf-8"))
    assert "<a " not in html
    assert '=HYPERLINK(&quot;http://evil.example&quot;,&quot;click&quot;)' in html


def test_md_cell_keeps_a_table_intact() -> None:
    cell = md_cell("one | two\nthree")
    assert "\n" not in cell and "\\|" in cell
    html = MarkdownIt("commonmark").enable("table").render(
        f"| a | b |\n| --- | --- |\n| {cell} | x |\n")
    assert html.count("<td>") == 2


def test_user_text_is_text_in_markdown(written: dict[str, Path]) -> None:
    html = MarkdownIt("commonmark").enable("table").render(
        written[".md"].read_text(encoding="utf-8"))
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>tag</b>" not in html and "&lt;b&gt;tag&lt;/b&gt;" in html
    assert 'href="http://evil.example"' not in html
    assert "<strong>not bold</strong>" not in html
    assert "<h1>not a heading</h1>" not in html


def test_user_text_is_text_in_html(written: dict[str, Path]) -> None:
    html = written[".html"].read_text(encoding="utf-8")
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;tag&lt;/b&gt;" in html and "<b>tag</b>" not in html
    assert 'href="http://evil.example"' not in html
    assert "Kennisatelier &lt;Utrecht&gt; &amp; co" in html  # the title too
    assert "Regels &amp; &lt;formulieren&gt;" in html  # and a theme name, in the SVG chart too


def test_html_is_self_contained_and_marks_direction(written: dict[str, Path]) -> None:
    html = written[".html"].read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", html)
    assert "@import" not in html and "url(" not in html
    assert "<svg" in html and "@page" in html
    # Right-to-left text is marked where it appears; nothing else needs a dir attribute.
    assert re.search(r'dir="rtl">' + re.escape(ARABIC), html)
    assert re.search(r'dir="rtl">#\d+ · \d+ · \d+ — ' + re.escape(FARSI), html)  # appendix
    assert 'dir="auto"' not in html
    assert re.search(r"<td>" + re.escape(DUTCH), html)


@needs_pdf
@needs_poppler
def test_user_text_is_text_in_pdf(written: dict[str, Path]) -> None:
    text = _pdftotext(written[".pdf"])
    assert SCRIPT in text
    assert "**not bold** [a link](http://evil.example)" in text


def test_csv_guards_against_formulas() -> None:
    assert safe_cell("=1+1") == "'=1+1"
    for start in "=+-@":
        assert safe_cell(f"{start}x").startswith("'")
    assert safe_cell("plain") == "plain" and safe_cell(3) == "3"


def test_csv_parses_back(fixed: Fixed, written: dict[str, Path]) -> None:
    rows = list(csv.DictReader(io.StringIO(
        written["-contributions.csv"].read_text(encoding="utf-8"))))
    by_id = {int(r["id"]): r for r in rows}
    assert len(rows) == 10  # 11 contributions, 1 hidden; the merged duplicate has its own row
    assert by_id[fixed.ids["script"]]["text"] == SCRIPT
    assert by_id[fixed.ids["markup"]]["text"] == MARKUP
    assert by_id[fixed.ids["arabic"]]["text"] == ARABIC
    assert by_id[fixed.ids["formula"]]["text"] == "'" + FORMULA
    dutch = by_id[fixed.ids["dutch"]]
    assert (dutch["round"], dutch["theme"], dutch["group"], dutch["votes"], dutch["times_said"]) \
        == ("knelpunten", "Regels & <formulieren>", "Gemeente", "3", "2")
    # CSV is data: the rule named, a dot decimal in this Dutch report (the PDF says "4,5").
    assert dutch["vote_rule"] == "dots"
    assert (by_id[fixed.ids["idea1"]]["votes"], by_id[fixed.ids["idea1"]]["vote_rule"]) \
        == ("4.50", "score")
    assert by_id[fixed.ids["audit1"]]["vote_rule"] == ""
    assert by_id[fixed.ids["dup"]]["status"] == "samengevoegd met #1"
    assert by_id[fixed.ids["idea2"]]["flags"] == "bold"
    votes = list(csv.DictReader(io.StringIO(written["-votes.csv"].read_text(encoding="utf-8"))))
    assert len(votes) == 10  # 11 cast, 1 on the hidden contribution
    assert sum(int(v["weight"]) for v in votes if v["round"] == "knelpunten") == 8
    assert {v["vote_rule"] for v in votes if v["round"] == "knelpunten"} == {"dots"}
    assert sorted(int(v["weight"]) for v in votes if v["vote_rule"] == "score") == [3, 4, 5, 5]
    assert {v["voter_group"] for v in votes} <= {"Gemeente", ""}


# -- PDF ----------------------------------------------------------------------------------------


@needs_pdf
@needs_poppler
def test_pdf_has_sections_dutch_and_arabic(written: dict[str, Path]) -> None:
    text = _pdftotext(written[".pdf"])
    for heading in ("Samenvatting", "Ronde 1", "Knelpunten per belanghebbende groep", "Ideeën",
                    "Wie zat er aan tafel", "Bijlage: alle bijdragen"):
        assert heading in text
    assert "één loket" in text and DUTCH.split(",")[0] in " ".join(text.split())
    # pdftotext may spell the lam-alef ligature oddly; the other words come back as written.
    assert "المسؤول في البلدية" in text
    assert "شهرداری مسئول است" in text


def test_missing_weasyprint_still_writes_the_rest(
    fixed: Fixed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import weasyprint → ImportError
    monkeypatch.setenv("FACILITATOR_PDF", "weasyprint")  # no browser to fall back on
    with pytest.raises(ReportError) as caught:
        write_report(fixed.path, formats=["md", "pdf", "csv"], out_dir=tmp_path)
    if sys.platform.startswith("linux"):
        assert "libpango-1.0-0 libpangoft2-1.0-0" in str(caught.value)
    assert (tmp_path / f"{SESSION_ID}.md").exists()
    assert (tmp_path / f"{SESSION_ID}-votes.csv").exists()
    assert not (tmp_path / f"{SESSION_ID}.pdf").exists()


def test_report_while_the_session_is_open_for_writing(fixed: Fixed, tmp_path: Path) -> None:
    import asyncio

    store = SessionStore.open(fixed.path)  # holds the writer's lock
    try:
        paths = write_report(fixed.path, formats=["md"], out_dir=tmp_path)
        assert paths == [tmp_path / f"{SESSION_ID}.md"]
    finally:
        asyncio.run(store.close())


# -- translations -------------------------------------------------------------------------------


def test_every_report_string_has_a_dutch_translation() -> None:
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    import facilitator.report
    from facilitator.paths import locale_dir

    folder = Path(facilitator.report.__file__).parent
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2.ext:babel_extract")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    extracted = {msg for _f, _l, msg, _c, _x in extract_from_dir(folder, method_map,
                                                                  options_map=options)}
    assert len(extracted) > 50
    with (locale_dir() / "nl" / "LC_MESSAGES" / "report.po").open("rb") as handle:
        catalog = read_po(handle, locale="nl")
    def translated(message: str | tuple[str, ...]) -> bool:
        key = message if isinstance(message, str) else message[0]
        entry = catalog.get(key)
        strings = entry.string if entry is not None else ""
        return bool(strings) and all(strings if isinstance(strings, tuple) else [strings])

    missing = sorted(str(m) for m in extracted if not translated(m))
    assert missing == []
    for message in catalog:
        if message.id and isinstance(message.id, str):
            placeholders = set(re.findall(r"\{\w*\}", message.id))
            assert placeholders == set(re.findall(r"\{\w*\}", str(message.string))), message.id


def test_demo_session_reports(tmp_path: Path) -> None:
    from facilitator.demo import create_demo
    from facilitator.session.library import Library, Templates

    path = create_demo(Library(tmp_path / "data"), Templates())
    paths = write_report(path, formats=["md", "html", "csv"], out_dir=tmp_path / "out")
    assert len(paths) == 4
    markdown = paths[0].read_text(encoding="utf-8")
    assert "## Samenvatting" in markdown and "Ervaringsdeskundige" in markdown


def test_benchmark_session_reports(tmp_path: Path) -> None:
    """The benchmark's generated session (small here) goes through model, Markdown and HTML."""
    from bench.report import make_session
    from facilitator.report.html import render_html
    from facilitator.report.markdown import render_markdown
    from facilitator.report.model import ITEMS_PER_THEME

    path = tmp_path / "bench.json"
    make_session(path, 400, 1600, devices=60)
    report = build_report(SessionStore.open(path, read_only=True))
    assert sum(len(a.items) + a.hidden for a in report.appendix) == 400
    assert all(len(t.items) <= ITEMS_PER_THEME for r in report.rounds for t in r.themes)
    assert any(t.more for r in report.rounds for t in r.themes)
    markdown = render_markdown(report)
    assert "in de bijlage._" in markdown
    assert "<svg" in render_html(report)
