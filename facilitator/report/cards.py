"""Printable QR table cards: an A4 page per table with the session title, a large QR code, the
join URL and two lines of instructions in each participant language."""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup

from facilitator.i18n import PARTICIPANT_LANGUAGES, direction, translations
from facilitator.net import base_url, default_host, join_url
from facilitator.qr import qr_matrix
from facilitator.report.html import environment
from facilitator.report.model import DOMAIN, report_language
from facilitator.report.pdf import PdfUnavailable, write_pdf
from facilitator.report.write import ReportError
from facilitator.store.store import SessionStore

INSTRUCTIONS: dict[str, tuple[str, str]] = {
    "nl": ("Scan de QR-code met de camera van je telefoon.",
           "Deel je ideeën en stem mee: anoniem, zonder app of account."),
    "en": ("Scan the QR code with your phone's camera.",
           "Share your ideas and vote: anonymous, no app or account needed."),
    "ar": ("امسح رمز QR بكاميرا هاتفك.",
           "شارك أفكارك وصوّت: بدون ذكر اسمك، ولا حاجة إلى تطبيق أو حساب."),
    "fa": ("کد QR را با دوربین گوشی خود اسکن کنید.",
           "ایده‌هایتان را بفرستید و رأی دهید: ناشناس، بدون نیاز به برنامه یا حساب کاربری."),
    "uk": ("Відскануйте QR-код камерою телефона.",
           "Діліться ідеями та голосуйте: анонімно, без застосунку й облікового запису."),
}
"""What a participant reads on the card, in every participant language at once (so these are
card content, not the report's UI catalog)."""


def qr_svg_markup(url: str) -> Markup:
    """The QR code as inline SVG: one path of dark modules, crisp edges, quiet zone included."""
    matrix = qr_matrix(url, border=4)
    size = len(matrix)
    parts = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                parts.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'shape-rendering="crispEdges" class="qr" role="img" aria-label="QR">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(parts)}"/></svg>'
    )


def render_cards(store: SessionStore, url: str) -> str:
    lang = report_language(store, None)
    _ = translations(DOMAIN, lang).gettext
    tables = list(store.template.table_groups) or [""]
    order = [lang, *[code for code in PARTICIPANT_LANGUAGES if code != lang]]
    lines = [(code, PARTICIPANT_LANGUAGES[code], direction(code), INSTRUCTIONS[code])
             for code in order if code in INSTRUCTIONS]
    template = environment(lang).get_template("cards.html")
    return template.render(
        lang=lang, title=store.info.title, url=url, qr=qr_svg_markup(url),
        tables=[_("Table {name}").format(name=t) if t else "" for t in tables],
        lines=lines,
    )


def write_cards(
    session_path: Path,
    out_file: Path,
    *,
    public_url: str | None = None,
    host: str | None = None,
    port: int = 8080,
) -> Path:
    """Write the table cards PDF (one A4 page per table of the template, else one page)."""
    store = SessionStore.open(session_path, read_only=True)
    url = join_url(public_url or base_url(host or default_host(), port), store.info.join_token)
    html = render_cards(store, url)
    try:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        return write_pdf(html, out_file)
    except PdfUnavailable as exc:
        raise ReportError(session_path, str(exc)) from None
    except OSError as exc:
        message = f"{out_file}: cannot write the cards ({exc.strerror})"
        raise ReportError(out_file, message) from None
