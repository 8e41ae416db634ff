"""Whether this machine prints PDF (WeasyPrint with its GTK/Pango libraries, which Windows does
not have) and reads it back (poppler's pdftotext); the mark for tests that need the first."""

from __future__ import annotations

import shutil

import pytest


def _weasyprint_missing() -> str | None:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:  # OSError: the package is there, GTK/Pango is not
        return str(exc).splitlines()[0][:160]
    return None


PDF_MISSING = _weasyprint_missing()
"""Why no PDF can be printed here, or None."""
REPORT_FORMATS = ["md", "html", "csv"] if PDF_MISSING else ["md", "html", "pdf", "csv"]
"""Every report format this machine can write."""
PDF_READABLE = PDF_MISSING is None and shutil.which("pdftotext") is not None
"""A PDF is printed and can be read back as text."""
needs_pdf = pytest.mark.skipif(PDF_MISSING is not None,
                               reason=f"WeasyPrint cannot print PDF here: {PDF_MISSING}")
