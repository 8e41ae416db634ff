"""The session report (Markdown, printable HTML, PDF, CSV) and printable QR table cards.

One report model (:func:`build_report`) is rendered four ways. WeasyPrint is imported only when
a PDF is asked for.
"""

from __future__ import annotations

from facilitator.report.cards import write_cards
from facilitator.report.model import Report, build_report
from facilitator.report.write import ReportError, build_markdown, write_report

__all__ = ["Report", "ReportError", "build_markdown", "build_report", "write_cards",
           "write_report"]
