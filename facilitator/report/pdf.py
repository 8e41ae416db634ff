"""PDF from the report's HTML: with WeasyPrint where its runtime is there, else with the
browser the laptop has (:mod:`facilitator.report.browser`); docs/report.md says why.

WeasyPrint needs Pango (GTK's text layout), which Linux desktops have and which no wheel brings:
a stock Windows or macOS has none. Every Windows 11 has Microsoft Edge, and most Macs Chrome or
Edge, which print the same HTML with the same page rules. ``FACILITATOR_PDF`` chooses one
(``weasyprint`` or ``browser``) instead of the first that works.

With WeasyPrint a large report is printed in parts on two processes and the parts' pages merged
with pypdf: the front (cover to audit) with the first rounds of the appendix, and the rest of the
appendix. The parts are rendered without page header and footer; those ("n / N" and the running
title) come from the same @page rules printed over N empty pages, stamped onto the merged pages.
A browser prints the whole report at once (it lays out a 5,000-contribution report in seconds).
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import multiprocessing.context
import os
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from facilitator.collector import collector_paused

if TYPE_CHECKING:
    from facilitator.report.model import Report

ENGINE_VARIABLE = "FACILITATOR_PDF"
"""``weasyprint`` or ``browser``: print with that one only (unset: WeasyPrint, else a browser)."""
ENGINES = ("weasyprint", "browser")

SYSTEM_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0"
"""The Debian/Ubuntu packages WeasyPrint needs (it loads Pango at import time)."""

PARALLEL_FROM = 300
"""Contributions in the appendix from which the PDF is printed in parallel: below, starting the
processes costs more than it saves."""

FRONT_WEIGHT = 0.4
"""The front part's print time as a share of the appendix's (about one third of the whole at
5,000 contributions), to balance the two parts."""


class PdfUnavailable(Exception):
    """No PDF could be made here; the message says why and what to install."""


@dataclass(frozen=True, slots=True)
class Engine:
    """What prints the PDF: WeasyPrint, or the browser at ``browser``."""

    name: Literal["weasyprint", "browser"]
    browser: Path | None = None


def weasyprint_advice(platform: str = sys.platform) -> str:
    """What WeasyPrint's runtime needs on ``platform``."""
    if platform == "win32":
        return ("WeasyPrint needs GTK's Pango, which Windows does not have and no wheel brings "
                "(Edge or Chrome prints the PDF instead)")
    if platform == "darwin":
        return "install Pango with Homebrew (`brew install pango`)"
    return (f"on Debian or Ubuntu install its system libraries with `sudo apt install "
            f"{SYSTEM_PACKAGES}` (and `pip install weasyprint` if the package itself is missing)")


def _weasyprint() -> Any:
    """WeasyPrint, or :class:`PdfUnavailable` saying what it lacks on this system."""
    try:
        # WeasyPrint prints a page of advice to standard output when Pango is missing: that
        # would land in the TUI's terminal or in a script's output.
        with contextlib.redirect_stdout(io.StringIO()):
            import weasyprint
    except (ImportError, OSError) as exc:
        # ImportError: the Python package is missing. OSError: it is there but cannot load Pango.
        raise PdfUnavailable(f"WeasyPrint cannot run here ({exc}): {weasyprint_advice()}"
                             ) from None
    return weasyprint


def pdf_engine(env: dict[str, str] | None = None) -> Engine:
    """The engine that prints here: the one ``FACILITATOR_PDF`` names, else WeasyPrint where
    its runtime loads, else the browser found. Raises :class:`PdfUnavailable` saying, for this
    system, what to install."""
    from facilitator.report.browser import BrowserMissing, find_browser

    env = dict(os.environ) if env is None else env
    chosen = env.get(ENGINE_VARIABLE, "").strip().lower()
    if chosen and chosen not in ENGINES:
        raise PdfUnavailable(f"PDF not written: {ENGINE_VARIABLE}={chosen} is not one of "
                             f"{', '.join(ENGINES)} (or leave it unset)")
    problems = []
    if chosen in ("", "weasyprint"):
        try:
            _weasyprint()
            return Engine("weasyprint")
        except PdfUnavailable as exc:
            problems.append(str(exc))
    if chosen in ("", "browser"):
        try:
            return Engine("browser", find_browser(env=env))
        except BrowserMissing as exc:
            problems.append(f"no browser to print with: {exc}")
    raise PdfUnavailable("PDF not written: " + "; and ".join(problems) + ".")


def print_html(html: str, engine: Engine | None = None) -> bytes:
    """One HTML document printed to PDF bytes."""
    engine = engine or pdf_engine()
    if engine.name == "browser" and engine.browser is not None:
        return _browser_print(html, engine.browser)
    return print_part(html)[0]


def _browser_print(html: str, browser: Path) -> bytes:
    from facilitator.report.browser import BrowserFailed, print_pdf

    try:
        return print_pdf(html, browser)
    except BrowserFailed as exc:
        raise PdfUnavailable(f"PDF not written: {exc}.") from None


def print_part(html: str) -> tuple[bytes, list[int]]:
    """One HTML document printed to PDF bytes by WeasyPrint (in this process or a worker), and
    the levels of its bookmarks (h1: 1, ...) in order: the merge nests the parts' outlines with
    them."""
    weasyprint = _weasyprint()
    # WeasyPrint makes millions of short-lived objects; the collector would otherwise walk the
    # session and report (still alive in the caller) again and again: a third of the time at
    # 5,000 contributions. Reference counting frees nearly all of them anyway.
    with collector_paused():
        document = weasyprint.HTML(string=html).render()
        levels = [mark[0] for page in document.pages for mark in page.bookmarks]
        pdf: bytes = document.write_pdf()
    return pdf, levels


def workers() -> int:
    return min(2, os.cpu_count() or 1)


def write_pdf(html: str, out: Path, engine: Engine | None = None) -> Path:
    """Print one HTML document (table cards, a small report, an event report) to ``out``."""
    out.write_bytes(print_html(html, engine or pdf_engine()))
    return out


def write_report_pdf(report: Report, out: Path, *, html: str | None = None) -> Path:
    """Print the report to ``out``; a large one in parts, in parallel (see the module's
    docstring). ``html`` is the report's HTML when the caller has it already."""
    from facilitator.report.html import render_html

    engine = pdf_engine()
    if engine.name == "browser" or workers() < 2 or \
            sum(len(ap.items) for ap in report.appendix) < PARALLEL_FROM:
        return write_pdf(html if html is not None else render_html(report), out, engine)
    try:
        out.write_bytes(print_in_parts(report, part_htmls(report)))
    except BrokenProcessPool:  # a worker died (memory?): one process may still manage
        return write_pdf(html if html is not None else render_html(report), out, engine)
    return out


def split_at(report: Report) -> tuple[int, int]:
    """Where the second part starts: appendix round ``k``, its item ``j`` (0: the whole round;
    else a theme's first item, the round continued). It starts on a new page. Chosen to make
    the parts' estimated print times as even as the round and theme boundaries allow."""
    total = sum(len(ap.items) for ap in report.appendix)
    best, best_cost = (0, 0), float("inf")
    before = FRONT_WEIGHT * total
    for k, ap in enumerate(report.appendix):
        for j, item in enumerate(ap.items or [None]):
            if j and item is not None and item.theme == ap.items[j - 1].theme:
                continue
            cost = max(before + j, total - (before - FRONT_WEIGHT * total) - j)
            if cost < best_cost:
                best, best_cost = (k, j), cost
        before += len(ap.items)
    return best


def part_htmls(report: Report) -> list[str]:
    """The report's HTML in two parts, without page header and footer."""
    from facilitator.report.html import render_part

    k, j = split_at(report)
    first, second = list(report.appendix[:k]), list(report.appendix[k:])
    if j:
        cut = second[0]
        # The round's counts of hidden and waiting contributions close it, in the second part.
        first.append(replace(cut, items=cut.items[:j], hidden=0, waiting=0))
        second[0] = replace(cut, items=cut.items[j:])
    return [
        render_part(report, front=True, appendix=first, appendix_head=bool(first), continued=False,
                    margins=False),
        render_part(report, front=False, appendix=second, appendix_head=not first,
                    continued=bool(j), margins=False),
    ]


def print_parts(htmls: Sequence[str]) -> list[tuple[bytes, list[int]]]:
    """Each HTML document printed to PDF, in parallel.

    The workers come from a fork server rather than a fork of this process: the TUI writes the
    report from a thread while others run, and forking a threaded process is unsafe."""
    context: multiprocessing.context.BaseContext
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["weasyprint"])
    else:
        context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers(), mp_context=context) as pool:
        return list(pool.map(print_part, htmls))


def print_in_parts(report: Report, htmls: Sequence[str]) -> bytes:
    """The parts printed in parallel, their pages merged in order and stamped with the page
    header and footer of the whole document."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import Fit, IndirectObject

    from facilitator.report.html import render_pages

    writer = PdfWriter()
    printed = print_parts(htmls)
    readers = [PdfReader(io.BytesIO(pdf)) for pdf, _ in printed]
    # The outline again as WeasyPrint nests it, across the parts: under the last bookmark of a
    # lower level, whichever part that was in.
    open_marks: list[tuple[int, IndirectObject]] = []
    for reader, (_, levels) in zip(readers, printed, strict=True):
        offset = len(writer.pages)
        writer.append(reader, import_outline=False)
        for level, mark in zip(levels, _flat_outline(reader.outline), strict=True):
            while open_marks and open_marks[-1][0] >= level:
                open_marks.pop()
            target = reader.get_destination_page_number(mark)
            fit = Fit.xyz(_number(mark.left), _number(mark.top))
            item = writer.add_outline_item(
                title=str(mark.title), page_number=offset + (target or 0),
                parent=open_marks[-1][1] if open_marks else None, fit=fit)
            open_marks.append((level, item))
    if readers[0].metadata:
        writer.add_metadata(dict(readers[0].metadata))
    stamps = PdfReader(io.BytesIO(print_part(render_pages(report, len(writer.pages)))[0]))
    if len(stamps.pages) != len(writer.pages):
        raise RuntimeError(f"page header and footer printed on {len(stamps.pages)} pages "
                           f"for {len(writer.pages)}")
    for page, stamp in zip(writer.pages, stamps.pages, strict=True):
        page.merge_page(stamp)
        page.compress_content_streams()  # merging leaves them uncompressed
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _flat_outline(outline: list[Any]) -> list[Any]:
    """A pypdf outline's bookmarks in document order (nested lists are children)."""
    flat: list[Any] = []
    for entry in outline:
        flat.extend(_flat_outline(entry) if isinstance(entry, list) else [entry])
    return flat


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None
