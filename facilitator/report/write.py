"""Write the report files of a session: what ``facilitator report`` and the TUI's export call.

Files in ``out_dir``, named after the session id (an event report's after its title, see
:func:`write_event_report`):

=============================  ============================================================
``<id>.md``                     Markdown
``<id>.html``                   one self-contained HTML file (inline CSS and SVG)
``<id>.pdf``                    the HTML printed to A4 by WeasyPrint
``<id>-contributions.csv``      one row per shown contribution (format ``csv``)
``<id>-votes.csv``              one row per vote (format ``csv``)
=============================  ============================================================
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from facilitator.report.model import Report, build_report
from facilitator.session.files import StoreError
from facilitator.session.store import SessionStore

if TYPE_CHECKING:
    from facilitator.event.file import EventFile
    from facilitator.event.rooms import Room

FORMATS = ("md", "html", "pdf", "csv")


class ReportError(StoreError):
    """The report could not be written completely; the message says why and what to do."""


def build_markdown(store: SessionStore, *, names: bool = False) -> str:
    """The report as Markdown (the TUI's in-app preview)."""
    from facilitator.report.markdown import render_markdown

    return render_markdown(build_report(store, names=names))


def _write_text(path: Path, text: str) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8", newline="")
    tmp.replace(path)
    return path


def render(report: Report, fmt: str) -> str:
    """One text format of the report: ``md`` or ``html``."""
    if fmt == "md":
        from facilitator.report.markdown import render_markdown

        return render_markdown(report)
    from facilitator.report.html import render_html

    return render_html(report)


def write_report(
    session_path: Path,
    *,
    formats: Sequence[str],
    out_dir: Path,
    names: bool = False,
    lang: str | None = None,
) -> list[Path]:
    """Write the report in each of ``formats`` (md, html, pdf, csv); return the files written.

    The session is opened read-only, so this works while the session runs. When the PDF cannot
    be made (WeasyPrint or its system libraries missing), the other formats are still written
    and then :class:`ReportError` says which packages to install.
    """
    _check_formats(formats)
    store = SessionStore.open(session_path, read_only=True)
    report = build_report(store, names=names, lang=lang)
    stem = report.session_id
    html = functools.cache(lambda: render(report, "html"))
    texts: list[tuple[str, Callable[[], str]]] = []
    if "md" in formats:
        texts.append((f"{stem}.md", lambda: render(report, "md")))
    if "html" in formats:
        texts.append((f"{stem}.html", html))
    if "csv" in formats:
        from facilitator.report.csv_out import contributions_csv, votes_csv

        texts.append((f"{stem}-contributions.csv", lambda: contributions_csv(report)))
        texts.append((f"{stem}-votes.csv", lambda: votes_csv(report)))

    def pdf(path: Path) -> Path:
        from facilitator.report.pdf import write_report_pdf

        return write_report_pdf(report, path, html=html())

    return _write_files(out_dir, texts, (f"{stem}.pdf", pdf) if "pdf" in formats else None,
                        blame=session_path)


def _check_formats(formats: Sequence[str]) -> None:
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown report format {unknown[0]!r}; choose from {', '.join(FORMATS)}")


def _write_files(out_dir: Path, texts: Sequence[tuple[str, Callable[[], str]]],
                 pdf: tuple[str, Callable[[Path], Path]] | None, *, blame: Path) -> list[Path]:
    """Write each text file into ``out_dir``, then the PDF; return the files written. When the
    PDF cannot be made (WeasyPrint or its system libraries missing), the others are written and
    then :class:`ReportError` says which packages to install."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(out_dir, f"{out_dir}: cannot create the folder ({exc.strerror})"
                          ) from None
    written: list[Path] = []
    pdf_problem: str | None = None
    try:
        for name, text in texts:
            written.append(_write_text(out_dir / name, text()))
        if pdf is not None:
            from facilitator.report.pdf import PdfUnavailable

            name, write = pdf
            try:
                written.append(write(out_dir / name))
            except PdfUnavailable as exc:
                pdf_problem = str(exc)
    except OSError as exc:
        raise ReportError(out_dir, f"{exc.filename or out_dir}: cannot write the report "
                          f"({exc.strerror})") from None
    if pdf_problem is not None:
        done = ", ".join(str(p) for p in written) or "nothing else was asked for"
        raise ReportError(blame, f"{pdf_problem} Written: {done}.")
    return written


def file_stem(title: str) -> str:
    """A file name for a title: "Consultatiedag Zwolle 2027" → "consultatiedag-zwolle-2027"."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:80] or "event"


def write_event_report(
    rooms: Sequence[Room],
    *,
    title: str,
    out_dir: Path,
    formats: Sequence[str],
    event: EventFile | None = None,
    lang: str | None = None,
) -> list[Path]:
    """Write the event report of ``rooms`` (open read-only) in each of ``formats``; return the
    files written: ``<stem>.md``, ``.html``, ``.pdf`` and, for csv, ``<stem>-contributions.csv``,
    ``<stem>-votes.csv`` and ``<stem>-groups.csv``, the stem made from ``title``. As for a
    session, a PDF that cannot be made leaves the other files written and says what to do."""
    from facilitator.report.csv_out import (
        event_contributions_csv,
        event_groups_csv,
        event_votes_csv,
    )
    from facilitator.report.event_report import build_event_report
    from facilitator.report.html import render_event_html
    from facilitator.report.markdown import render_event_markdown

    _check_formats(formats)
    report = build_event_report(rooms, title=title, event=event, lang=lang)
    stem = file_stem(title)
    html = functools.cache(lambda: render_event_html(report))
    texts: list[tuple[str, Callable[[], str]]] = []
    if "md" in formats:
        texts.append((f"{stem}.md", lambda: render_event_markdown(report)))
    if "html" in formats:
        texts.append((f"{stem}.html", html))
    if "csv" in formats:
        texts += [(f"{stem}-contributions.csv", lambda: event_contributions_csv(report)),
                  (f"{stem}-votes.csv", lambda: event_votes_csv(report)),
                  (f"{stem}-groups.csv", lambda: event_groups_csv(report))]

    def pdf(path: Path) -> Path:
        from facilitator.report.pdf import write_pdf

        return write_pdf(html(), path)

    return _write_files(out_dir, texts, (f"{stem}.pdf", pdf) if "pdf" in formats else None,
                        blame=out_dir)
