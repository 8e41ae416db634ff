"""Printable QR table cards: an A4 page per table with the session title, a large QR code, the
join URL and two lines of instructions in each participant language.

Each card's link is the session's real address (where its participant page runs, as the server
recorded it, unless ``--public-url``/``--host``/``--port`` say otherwise) with the table's own
join code (``core/joining.py``) and the table, which the join page then pre-selects.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from facilitator.core.joining import card_code, card_issue, card_tables
from facilitator.i18n import PARTICIPANT_LANGUAGES, direction, translations
from facilitator.net import base_url, default_host, join_url
from facilitator.qr import qr_matrix
from facilitator.report.html import environment
from facilitator.report.model import DOMAIN, report_language
from facilitator.report.pdf import PdfUnavailable, write_pdf
from facilitator.report.write import ReportError
from facilitator.session.documents import checked_join_base
from facilitator.session.files import address_path, read_sidecar
from facilitator.session.store import SessionStore

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


DEFAULT_PORT = 8080


@dataclass(frozen=True, slots=True)
class Card:
    """One table's card: its table ("" for a session without tables), which issue of the card
    it is (1 until the facilitator revokes it), and its link."""

    table: str
    number: int
    url: str


@dataclass(frozen=True, slots=True)
class Cards:
    """The cards written: the PDF, the address they send phones to, and where it came from."""

    path: Path
    base: str
    recorded: bool
    """True: the address the session's participant page last ran on (the server records it)."""


def table_cards(store: SessionStore, base: str) -> list[Card]:
    """Every table's card as issued now, its link pointing at ``base``."""
    info = store.info
    return [Card(table, card_issue(info, table) + 1,
                 join_url(base, info.join_token, card_code(info, table), table))
            for table in card_tables(info)]


def cards_base(store: SessionStore, *, public_url: str | None = None, host: str | None = None,
               port: int | None = None) -> tuple[str, bool]:
    """Where the cards send phones: ``public_url``; else ``host``/``port`` (this laptop's
    address, port 8080, for the one not given); else the address the session's participant page
    last ran on; else this laptop's address and port 8080. With whether it was the recorded
    address."""
    if public_url:
        return public_url.rstrip("/"), False
    if host is None and port is None:
        recorded = recorded_base(store)
        if recorded:
            return recorded, True
    return base_url(host or default_host(), port or DEFAULT_PORT), False


def recorded_base(store: SessionStore) -> str | None:
    """The address the session's participant page last ran on: the address file the server
    writes beside the session, else what a session from before it kept in its document."""
    sidecar = read_sidecar(address_path(store.path))
    recorded = checked_join_base(sidecar.get("base")) if sidecar is not None else None
    return recorded or store.info.join_base or None


def render_cards(store: SessionStore, base: str) -> str:
    lang = report_language(store, None)
    _ = translations(DOMAIN, lang).gettext
    order = [lang, *[code for code in PARTICIPANT_LANGUAGES if code != lang]]
    lines = [(code, PARTICIPANT_LANGUAGES[code], direction(code), INSTRUCTIONS[code])
             for code in order if code in INSTRUCTIONS]
    template = environment(lang).get_template("cards.html")
    cards = [
        dict(label=_("Table {name}").format(name=card.table) if card.table else "",
             number=_("Card {number}").format(number=card.number), url=card.url,
             qr=qr_svg_markup(card.url))
        for card in table_cards(store, base)
    ]
    return template.render(lang=lang, title=store.info.title, cards=cards, lines=lines)


def write_cards(
    session_path: Path,
    out_file: Path,
    *,
    public_url: str | None = None,
    host: str | None = None,
    port: int | None = None,
) -> Cards:
    """Write the table cards PDF (one A4 page per table of the template, else one page)."""
    store = SessionStore.open(session_path, read_only=True)
    base, recorded = cards_base(store, public_url=public_url, host=host, port=port)
    html = render_cards(store, base)
    try:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        return Cards(write_pdf(html, out_file), base, recorded)
    except PdfUnavailable as exc:
        raise ReportError(session_path, str(exc)) from None
    except OSError as exc:
        message = f"{out_file}: cannot write the cards ({exc.strerror})"
        raise ReportError(out_file, message) from None
