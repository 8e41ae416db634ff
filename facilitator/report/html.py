"""The report as one self-contained HTML file: inline CSS, inline SVG, A4 print stylesheet.

Jinja2 with autoescape: every piece of user text is escaped by the template engine.
"""

from __future__ import annotations

from functools import cache, partial

import jinja2

from facilitator.i18n import translations
from facilitator.paths import PACKAGE_DIR
from facilitator.report.model import DOMAIN, Report, percent

TEMPLATES = PACKAGE_DIR / "report" / "templates"


@cache
def environment(lang: str) -> jinja2.Environment:
    """A Jinja2 environment with autoescape and the report catalog of ``lang``."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.install_gettext_translations(translations(DOMAIN, lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def render_html(report: Report) -> str:
    template = environment(report.lang).get_template("report.html")
    return template.render(r=report, pct=partial(percent, lang=report.lang))
