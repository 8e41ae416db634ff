"""The PDF on each path that prints it: WeasyPrint (Linux, where Pango is) and the browser (Edge
or Chrome on Windows and macOS; here Debian's Chromium), each forced with FACILITATOR_PDF.

The same report and cards are read back with pdftotext and a QR decoder on both paths: the
sections, Dutch with its accents, Arabic and Farsi in their order and shaped, the page header
and footer, the outline, A4."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from report_session import ARABIC, FARSI, JOIN_TOKEN, SESSION_ID, Fixed
from test_cards_cli import decoded_pages

from facilitator.core.joining import card_code
from facilitator.net import join_url
from facilitator.report import ReportError, write_cards, write_report
from facilitator.report.pdf import pdf_engine
from facilitator.session.store import SessionStore

CHROMIUM = "/usr/bin/chromium"
A4 = (595, 842)  # points, rounded


def _weasyprint_runs() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


ENGINES = [
    pytest.param("weasyprint", marks=pytest.mark.skipif(
        not _weasyprint_runs(), reason="WeasyPrint or its Pango runtime is missing")),
    pytest.param("browser", marks=[pytest.mark.browser, pytest.mark.skipif(
        not Path(CHROMIUM).is_file(),
        reason=f"{CHROMIUM} is missing (Debian package 'chromium')")]),
]
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                   reason="poppler-utils (pdftotext) not installed")
PRODUCER = {"weasyprint": "WeasyPrint", "browser": "Skia/PDF"}
"""Who made a PDF, as its Producer says: the proof that the path forced was the path taken."""


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    name: str = request.param
    monkeypatch.setenv("FACILITATOR_PDF", name)
    monkeypatch.setenv("FACILITATOR_BROWSER", CHROMIUM)
    return name


def pdftotext(pdf: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, str(pdf), "-"], check=True, capture_output=True,
                          encoding="utf-8").stdout


def pdfinfo(pdf: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True,
                         encoding="utf-8").stdout
    return {key.strip(): value.strip() for key, _, value in
            (line.partition(":") for line in out.splitlines())}


@needs_poppler
def test_the_report_pdf_on_each_path(engine: str, fixed: Fixed, tmp_path: Path) -> None:
    from pypdf import PdfReader

    paths = write_report(fixed.path, formats=["pdf"], out_dir=tmp_path)
    pdf = tmp_path / f"{SESSION_ID}.pdf"
    assert paths == [pdf]
    info = pdfinfo(pdf)
    assert info["Producer"].startswith(PRODUCER[engine])
    width, height = (round(float(v)) for v in info["Page size"].split()[0:3:2])
    assert (width, height) == A4
    pages = int(info["Pages"])
    assert pages >= 3

    text = pdftotext(pdf)
    for heading in ("Samenvatting", "Ronde 1", "Knelpunten per belanghebbende groep", "Ideeën",
                    "Wie zat er aan tafel", "Bijlage: alle bijdragen"):
        assert heading in text
    assert "één loket" in text
    # Arabic and Farsi come back in their reading order, word by word ...
    assert "المسؤول في البلدية" in text and ARABIC.split()[-1] in text
    assert "شهرداری مسئول است" in text and FARSI.split()[0] in text
    # ... and shaped: "لا" at the start of the Arabic is drawn as one glyph, the lam-alef
    # ligature, which pdftotext writes with its two letters the other way round. Unshaped
    # letters (each on its own, as a terminal shows them) would come back as "لا".
    assert "ال نعرف" in text and "لا نعرف" not in text

    # The page header (the running title, not on the cover) and footer ("n / N").
    first, second = pdftotext(pdf, "-f", "1", "-l", "1"), pdftotext(pdf, "-f", "2", "-l", "2")
    assert "Kennisatelier <Utrecht>" in " ".join(second.split()[:4])
    assert not first.startswith("Kennisatelier")  # the cover starts with its kicker
    assert f"2 / {pages}" in second or f"2/{pages}" in second
    # The outline: the report's title, its sections under it.
    outline = PdfReader(pdf).outline
    assert outline and str(outline[0].title) == "Kennisatelier <Utrecht> & co"
    assert isinstance(outline[1], list) and len(outline[1]) >= 5


@needs_poppler
def test_the_table_cards_on_each_path(engine: str, fixed: Fixed, tmp_path: Path) -> None:
    public = "http://192.0.2.10:8080"
    cards = write_cards(fixed.path, tmp_path / "cards.pdf", public_url=public)
    assert pdfinfo(cards.path)["Producer"].startswith(PRODUCER[engine])
    store = SessionStore.open(fixed.path, read_only=True)
    expected = [join_url(public, JOIN_TOKEN, card_code(store.info, table), table)
                for table in ("A", "B")]
    # One A4 page per table, its QR code read as a phone's camera reads it.
    assert decoded_pages(cards.path, tmp_path / "pages") == [[url] for url in expected]
    text = pdftotext(cards.path)
    assert "Tafel A" in text and "Tafel B" in text
    assert "بكاميرا هاتفك" in text and "دوربین" in text
    assert "Відскануйте QR-код" in text


def test_the_engine_asked_for_is_the_one_used(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    browser = tmp_path / "chrome"
    browser.write_bytes(b"")
    env = {"FACILITATOR_PDF": "browser", "FACILITATOR_BROWSER": str(browser)}
    chosen = pdf_engine(env)
    assert (chosen.name, chosen.browser) == ("browser", browser)
    with pytest.raises(Exception, match="FACILITATOR_PDF=pdfkit is not one of"):
        pdf_engine({"FACILITATOR_PDF": "pdfkit"})


def test_without_weasyprint_the_browser_prints(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    """WeasyPrint's runtime missing (as on every Windows): the browser found is the engine."""
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    browser = tmp_path / "msedge.exe"
    browser.write_bytes(b"")
    chosen = pdf_engine({"FACILITATOR_BROWSER": str(browser)})
    assert (chosen.name, chosen.browser) == ("browser", browser)


def test_with_neither_the_message_names_what_to_install(
    fixed: Fixed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from facilitator.report import browser

    monkeypatch.setitem(sys.modules, "weasyprint", None)
    monkeypatch.delenv("FACILITATOR_PDF", raising=False)
    monkeypatch.delenv("FACILITATOR_BROWSER", raising=False)
    monkeypatch.setattr(browser, "candidates", lambda *args, **kwargs: [])
    with pytest.raises(ReportError) as caught:
        write_report(fixed.path, formats=["md", "pdf"], out_dir=tmp_path)
    message = str(caught.value)
    assert "WeasyPrint cannot run here" in message and "no browser to print with" in message
    assert browser.missing_advice(sys.platform) in message
    assert f"Written: {tmp_path / (SESSION_ID + '.md')}" in message  # the rest was written
    assert not (tmp_path / f"{SESSION_ID}.pdf").exists()


def test_a_browser_that_fails_is_named_with_what_it_said(
    fixed: Fixed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A "browser" that is not one (Python itself, which refuses the browser's options) fails
    with its own words in the message, and the other files are still written."""
    monkeypatch.setenv("FACILITATOR_PDF", "browser")
    monkeypatch.setenv("FACILITATOR_BROWSER", sys.executable)
    with pytest.raises(ReportError) as caught:
        write_report(fixed.path, formats=["md", "pdf"], out_dir=tmp_path)
    message = str(caught.value)
    assert f"{sys.executable} did not print the PDF (exit code 2)" in message
    assert "--headless" in message  # what Python said about the option it does not know
    assert (tmp_path / f"{SESSION_ID}.md").exists()


def test_a_browser_that_never_answers_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A browser that starts and never finishes (hung, or held up by a policy prompt) is given
    up on after PRINT_S and ended: the report does not wait for ever."""
    import time

    from facilitator.report import browser

    marker = tmp_path / "started"
    hang = (f"import pathlib, sys, time; pathlib.Path({str(marker)!r}).write_text('x'); "
            "sys.stderr.write('waiting for a policy'); sys.stderr.flush(); time.sleep(120)")
    monkeypatch.setattr(browser, "PRINT_S", 3.0)
    monkeypatch.setattr(browser, "browser_command",
                        lambda program, profile: [sys.executable, "-c", hang])
    started = time.monotonic()
    with pytest.raises(browser.BrowserFailed,
                       match="did not finish printing within 3 s; it said: waiting for a policy"):
        browser.print_pdf("<p>x</p>", Path(sys.executable))
    assert time.monotonic() - started < 30
    assert marker.exists()  # it did start, and was ended
