"""The report as one self-contained HTML file: inline CSS, inline SVG, A4 print stylesheet.

Jinja2 with autoescape: every piece of user text is escaped by the template engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, partial
from typing import TYPE_CHECKING

import jinja2
from markupsafe import Markup

from facilitator.core.text import text_direction
from facilitator.i18n import template_environment
from facilitator.paths import PACKAGE_DIR
from facilitator.report.model import DOMAIN, AppendixRound, Report, percent, ratio_label

if TYPE_CHECKING:
    from facilitator.report.event_report import EventReport

TEMPLATES = PACKAGE_DIR / "report" / "templates"

_NO_DIR = Markup("")
_DIR = {"rtl": Markup(' dir="rtl"'), "ltr": Markup(' dir="ltr"'), "": _NO_DIR}


def dir_attr(text: str) -> Markup:
    """`` dir="rtl"`` (or ``"ltr"``) for text that needs it, else nothing.

    Only a few contributions are in a right-to-left script; marking every one ``dir="auto"``
    cost WeasyPrint (which does not implement ``auto``) a tenth of the appendix's print time in
    attribute matching, and gave right-to-left text no direction in the PDF at all. Computed
    here, both the browser and the PDF get the same answer."""
    return _DIR[text_direction(text)]


_CSS_PLAIN = frozenset(" .,:;!?()[]-_'/&+=*#%@~")


def running_title(text: str) -> Markup:
    """``text`` as a CSS string for the page header (``content: "..."``): letters, digits and
    plain punctuation as they are, every other character as a hex escape, so that nothing in a
    title can end the string, the rule or the ``<style>`` element it is written into."""
    escaped = "".join(char if char.isalnum() or char in _CSS_PLAIN else f"\\{ord(char):06x}"
                      for char in text)
    return Markup(f'"{escaped}"')


@cache
def environment(lang: str) -> jinja2.Environment:
    """A Jinja2 environment with autoescape and the report catalog of ``lang``."""
    env = template_environment(TEMPLATES, DOMAIN, lang, strict=True)
    env.globals["bidi"] = dir_attr
    env.globals["running_title"] = running_title
    return env


def render_html(report: Report) -> str:
    """The whole report as one self-contained HTML document."""
    return render_part(report, front=True, appendix=report.appendix, appendix_head=True,
                       continued=False, margins=True)


def render_part(report: Report, *, front: bool, appendix: Sequence[AppendixRound],
                appendix_head: bool, continued: bool, margins: bool) -> str:
    """The report, or a part of it for a PDF printed in parts: the cover to the audit when
    ``front``, the appendix's heading when ``appendix_head``, the ``appendix`` rounds (the first
    without its heading when it ``continued`` one of the previous part); the page header and
    footer only with ``margins`` (a part's are stamped on with :func:`render_pages`)."""
    template = environment(report.lang).get_template("report.html")
    return template.render(r=report, pct=partial(percent, lang=report.lang),
                           ratio_label=partial(ratio_label, lang=report.lang), front=front,
                           appendix=appendix, appendix_head=appendix_head, continued=continued,
                           margins=margins)


def render_pages(report: Report, pages: int) -> str:
    """``pages`` empty pages with the report's page header and footer ("n / pages")."""
    template = environment(report.lang).get_template("pages.html")
    return template.render(r=report, pages=pages)


def render_event_html(event: EventReport) -> str:
    """The event report as one self-contained HTML document (the session report's stylesheet
    and building blocks)."""
    template = environment(event.lang).get_template("event.html")
    return template.render(e=event, pct=partial(percent, lang=event.lang),
                           ratio_label=partial(ratio_label, lang=event.lang))
