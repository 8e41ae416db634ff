"""PDF from the report's HTML with WeasyPrint, imported only when a PDF is asked for."""

from __future__ import annotations

import gc
from pathlib import Path

SYSTEM_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0"
"""The Debian/Ubuntu packages WeasyPrint needs (it loads Pango at import time)."""


class PdfUnavailable(Exception):
    """WeasyPrint or its system libraries are missing; the message says what to install."""


def write_pdf(html: str, out: Path) -> Path:
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
    # WeasyPrint makes millions of short-lived objects; the collector would otherwise walk the
    # session and report (still alive in the caller) again and again: a third of the time at
    # 5,000 contributions. Freezing moves what exists now out of its sight for the render.
    gc.freeze()
    try:
        weasyprint.HTML(string=html).write_pdf(out)
    finally:
        gc.unfreeze()
    return out
