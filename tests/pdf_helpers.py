"""Whether this machine prints PDF (WeasyPrint with its GTK/Pango libraries, which Windows does
not have, or else a Chromium-based browser: facilitator.report.pdf.pdf_engine) and reads it back
(poppler's pdftotext); the marks for tests that need the first."""

from __future__ import annotations

import shutil

import pytest


def _no_engine() -> str | None:
    from facilitator.report.pdf import PdfUnavailable, pdf_engine

    try:
        pdf_engine()
    except PdfUnavailable as exc:
        return str(exc)[:300]
    return None


def _weasyprint_missing() -> str | None:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:  # OSError: the package is there, GTK/Pango is not
        return str(exc).splitlines()[0][:160]
    return None


PDF_MISSING = _no_engine()
"""Why no PDF can be printed here (neither WeasyPrint nor a browser), or None."""
WEASYPRINT_MISSING = _weasyprint_missing()
REPORT_FORMATS = ["md", "html", "csv"] if PDF_MISSING else ["md", "html", "pdf", "csv"]
"""Every report format this machine can write."""
PDF_READABLE = PDF_MISSING is None and shutil.which("pdftotext") is not None
"""A PDF is printed and can be read back as text."""
needs_pdf = pytest.mark.skipif(PDF_MISSING is not None, reason=f"no PDF here: {PDF_MISSING}")
needs_weasyprint = pytest.mark.skipif(
    WEASYPRINT_MISSING is not None,
    reason=f"WeasyPrint cannot print PDF here: {WEASYPRINT_MISSING}")
"""For what only WeasyPrint does (a large report printed in parts on two processes)."""
