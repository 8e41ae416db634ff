"""PDF from the report's HTML with WeasyPrint, imported only when a PDF is asked for.

A large report is printed in parts on two processes and the parts' pages merged with pypdf: the
front (cover to audit) with the first rounds of the appendix, and the rest of the appendix. The
parts are rendered without page header and footer; those ("n / N" and the running title) come
from the same @page rules printed over N empty pages, stamped onto the merged pages.
"""

from __future__ import annotations

import io
import multiprocessing
import multiprocessing.context
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from facilitator.collector import collector_paused

if TYPE_CHECKING:
    from facilitator.report.model import Report

SYSTEM_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0"
"""The Debian/Ubuntu packages WeasyPrint needs (it loads Pango at import time)."""

PARALLEL_FROM = 300
"""Contributions in the appendix from which the PDF is printed in parallel: below, starting the
processes costs more than it saves."""

FRONT_WEIGHT = 0.4
"""The front part's print time as a share of the appendix's (about one third of the whole at
5,000 contributions), to balance the two parts."""


class PdfUnavailable(Exception):
    """WeasyPrint or its system libraries are missing; the message says what to install."""


def _weasyprint() -> Any:
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        # ImportError: the Python package is missing. OSError: it is there but cannot load Pango.
        raise PdfUnavailable(
            f"PDF not written: WeasyPrint cannot run here ({exc}). On Debian or Ubuntu install "
            f"its system libraries with `sudo apt install {SYSTEM_PACKAGES}`"
            " (and `pip install weasyprint` if the package itself is missing); "
            "see the README, section on PDF reports."
        ) from None
    return weasyprint


def print_html(html: str) -> bytes:
    """One HTML document printed to PDF bytes."""
    return print_part(html)[0]


def print_part(html: str) -> tuple[bytes, list[int]]:
    """One HTML document printed to PDF bytes (in this process or a worker), and the levels of
    its bookmarks (h1: 1, ...) in order: the merge nests the parts' outlines with them."""
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


def write_pdf(html: str, out: Path) -> Path:
    """Print one HTML document (table cards, a small report) to ``out``."""
    _weasyprint()
    out.write_bytes(print_html(html))
    return out


def write_report_pdf(report: Report, out: Path, *, html: str | None = None) -> Path:
    """Print the report to ``out``; a large one in parts, in parallel (see the module's
    docstring). ``html`` is the report's HTML when the caller has it already."""
    from facilitator.report.html import render_html

    _weasyprint()
    if workers() < 2 or sum(len(ap.items) for ap in report.appendix) < PARALLEL_FROM:
        return write_pdf(html if html is not None else render_html(report), out)
    try:
        out.write_bytes(print_in_parts(report, part_htmls(report)))
    except BrokenProcessPool:  # a worker died (memory?): one process may still manage
        return write_pdf(html if html is not None else render_html(report), out)
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
    stamps = PdfReader(io.BytesIO(print_html(render_pages(report, len(writer.pages)))))
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
