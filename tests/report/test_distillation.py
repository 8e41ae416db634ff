"""The report opens with the day chair's lines, each to its side of the table, and the room's
tips: on page one of the PDF, and first in the Markdown and the HTML (the demo day, in Dutch and
English, and a session with more tips than page one holds)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from pdf_helpers import needs_pdf

from facilitator.core.model import Source
from facilitator.demo import create_demo
from facilitator.report import build_report, write_report
from facilitator.report.model import TIPS_SHOWN
from facilitator.session.library import Library, Templates
from facilitator.session.store import SessionStore

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                   reason="poppler-utils (pdftotext) not installed")
TO = {"nl": ("Aan Gemeente en Maatschappelijke organisatie",
             "Aan Migrantenorganisatie en Initiatief geleid door vluchtelingen"),
      "en": ("To Municipality and Civil-society organisation",
             "To Migrant organisation and Refugee-led initiative")}
HEADINGS = {"nl": ("De lijnen van de dagvoorzitter", "Tips uit de zaal", "## Samenvatting"),
            "en": ("The day chair's lines", "Tips from the room", "## Summary")}


def words(text: str) -> str:
    return " ".join(text.split())


def page_text(pdf: Path, page: int) -> str:
    return words(subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
                                check=True, capture_output=True, encoding="utf-8").stdout)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return create_demo(Library(tmp_path_factory.mktemp("demo")), Templates())


@pytest.mark.parametrize("lang", ["nl", "en"])
@needs_pdf
@needs_poppler
def test_page_one_has_the_day_chairs_lines_and_the_tips(demo: Path, tmp_path: Path,
                                                         lang: str) -> None:
    store = SessionStore.open(demo, read_only=True)
    lines = [(n.text) for n in store.lines("oogst")]
    tips = [c.text for c in store.contributions("oogst") if c.counted]
    waiting = [c.text for c in store.contributions("oogst") if not c.counted]
    assert len(lines) == 2 and len(tips) == 4 and len(waiting) == 2
    written = {p.suffix: p for p in write_report(demo, formats=["md", "html", "pdf"],
                                                 out_dir=tmp_path, lang=lang)}
    first = page_text(written[".pdf"], 1)
    heading, tips_heading, summary = HEADINGS[lang]
    for text in [heading, *TO[lang], *lines, tips_heading, *tips]:
        assert words(text) in first, text
    for text in waiting:  # not approved by the facilitator: not a tip of the room yet
        assert words(text) not in first
    assert first.index(words(lines[0])) < first.index(words(lines[1]))

    markdown = written[".md"].read_text(encoding="utf-8")
    assert markdown.index(heading) < markdown.index(tips_heading) < markdown.index(summary)
    assert f"**{TO[lang][0]}:** {lines[0]}" in markdown
    html = written[".html"].read_text(encoding="utf-8")
    assert html.index('class="distilled"') < html.index('class="facts"')
    assert html.count(lines[0]) == 1  # not repeated among the round's facilitator notes


async def test_page_one_shows_the_best_tips_and_says_how_many_more(
        store: SessionStore, tmp_path: Path) -> None:
    await store.go_to_round(4)
    for n in range(TIPS_SHOWN + 3):
        await store.add_contribution("oogst", f"Tip {n}: **geen** opmaak", source=Source.TUI)
    duplicate = await store.add_contribution("oogst", "Tip 8 nog eens", source=Source.TUI)
    last = store.contributions("oogst")[-2]
    await store.merge(last.id, [duplicate.id])  # said twice: the room's first tip
    await store.add_note("oogst", "Een lijn | met <b>tekens</b>", addressed_to=["funder"])
    report = build_report(store, lang="en")
    assert [line.to for line in report.lines] == ["Funder"]
    assert report.tips[0].text == last.text
    assert len(report.tips) == TIPS_SHOWN and report.tips_more == 3
    from facilitator.report.markdown import render_markdown

    markdown = render_markdown(report)
    assert "**To Funder:** Een lijn \\| met \\<b\\>tekens\\</b\\>" in markdown
    assert "- Tip 8: \\*\\*geen\\*\\* opmaak" in markdown
    assert "… and 3 more in the round's section." in markdown
