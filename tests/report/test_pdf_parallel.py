"""A large report's PDF is printed in two parts in parallel and merged: the page numbers and the
running header are those of the whole document, and every contribution is in it."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
from pdf_helpers import needs_weasyprint
from report_session import Fixed

from bench.report import make_session
from facilitator.report import build_report, pdf
from facilitator.session.store import SessionStore

pytestmark = [needs_weasyprint,
              pytest.mark.skipif(shutil.which("pdftotext") is None,
                                 reason="poppler-utils (pdftotext) not installed")]


@pytest.fixture(autouse=True)
def weasyprint(monkeypatch: pytest.MonkeyPatch) -> None:
    """Printing in parts is WeasyPrint's (a browser prints the whole report at once)."""
    monkeypatch.setenv("FACILITATOR_PDF", "weasyprint")


def _page_text(path: Path, page: int) -> str:
    return subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(path), "-"],
                          check=True, capture_output=True, encoding="utf-8").stdout


def _pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True,
                          encoding="utf-8").stdout
    match = re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE)
    assert match is not None
    return int(match.group(1))


class Spy:
    def __init__(self) -> None:
        self.calls: list[int] = []
        self.real = pdf.print_parts

    def __call__(self, htmls: Sequence[str]) -> list[bytes]:
        self.calls.append(len(htmls))
        return self.real(htmls)


def test_large_report_prints_in_parallel_with_page_numbers_of_the_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if pdf.workers() < 2:
        pytest.skip("one CPU: the PDF is printed in one process")
    session = tmp_path / "large.json"
    make_session(session, pdf.PARALLEL_FROM + 100, 4 * pdf.PARALLEL_FROM, devices=100)
    report = build_report(SessionStore.open(session, read_only=True))
    spy = Spy()
    monkeypatch.setattr(pdf, "print_parts", spy)
    out = pdf.write_report_pdf(report, tmp_path / "large.pdf")
    assert spy.calls == [2]

    pages = _pages(out)
    assert pages > 5
    texts = [_page_text(out, n) for n in range(1, pages + 1)]
    for n, text in enumerate(texts, start=1):
        lines = [line for line in text.splitlines() if line.strip()]
        assert lines[-1].strip() == f"{n} / {pages}", f"page {n}"
        # The running header: the title on every page but the cover.
        assert (lines[0].strip() == report.title) == (n > 1), f"page {n}"
    # Both parts are there, in order: the cover first, the appendix's last round last.
    assert report.title in " ".join(texts[0].split())
    ids = {int(i) for i in re.findall(r"#(\d+)", "".join(texts))}
    assert {item.id for ap in report.appendix for item in ap.items} <= ids
    last = report.appendix[-1].items[-1]
    assert f"#{last.id}" in texts[-1]


def test_small_report_prints_in_one_process(fixed: Fixed, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    spy = Spy()
    monkeypatch.setattr(pdf, "print_parts", spy)
    report = build_report(SessionStore.open(fixed.path, read_only=True))
    out = pdf.write_report_pdf(report, tmp_path / "small.pdf")
    assert spy.calls == []
    pages = _pages(out)
    assert "".join(_page_text(out, pages).split()).endswith(f"{pages}/{pages}")


def test_printing_leaves_the_running_session_frozen_and_collection_on(
    fixed: Fixed, tmp_path: Path
) -> None:
    """The TUI exports a PDF in its own process: printing must not thaw the live session that
    the store froze out of the collector's sight, nor leave automatic collection off."""
    import gc

    report = build_report(SessionStore.open(fixed.path, read_only=True))
    gc.freeze()
    frozen = gc.get_freeze_count()
    try:
        pdf.write_report_pdf(report, tmp_path / "small.pdf")
        # Frozen objects that die by reference counting leave the count; a thaw empties it.
        assert gc.get_freeze_count() > frozen // 2
        assert gc.isenabled()
    finally:
        gc.unfreeze()
