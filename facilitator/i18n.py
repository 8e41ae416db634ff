"""Translations from gettext ``.po`` catalogs, compiled in memory with Babel when first used.

Catalogs live in ``facilitator/locale/<lang>/LC_MESSAGES/<domain>.po``; one domain per face of
the app (``web``, ``tui``, ``report``, ``event`` for the event wall), so each can grow on its own.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from markupsafe import Markup

from facilitator.core.languages import (
    FACILITATOR_LANGUAGES,
    PARTICIPANT_LANGUAGES,
    RTL_LANGUAGES,
    direction,
)
from facilitator.paths import locale_dir

if TYPE_CHECKING:
    import jinja2

__all__ = ["FACILITATOR_LANGUAGES", "PARTICIPANT_LANGUAGES", "RTL_LANGUAGES", "direction",
           "translations"]
"""The language lists are defined in :mod:`facilitator.core.languages` (core cannot import
Babel); they are named here too for the faces that already use this module."""


@cache
def translations(domain: str, lang: str) -> gettext.NullTranslations:
    """The catalog for ``lang``; English source strings when there is none."""
    path = locale_dir() / lang / "LC_MESSAGES" / f"{domain}.po"
    if not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=domain)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class TemplateCatalog:
    """One domain's catalog in one language, as our Jinja templates call it:
    ``_("text", name=value)``.

    Jinja's "newstyle" gettext has the right meaning (the translation is trusted markup, the
    values are escaped into it, and every message is a format string) but builds all of it again
    on every call: a hundred calls a participant page were half of its rendering. This keeps
    that meaning and looks each message up and wraps it once.
    """

    def __init__(self, domain: str, lang: str) -> None:
        self._translations = translations(domain, lang)
        self._markup: dict[str, Markup] = {}
        self._plain: dict[str, Markup] = {}

    def gettext(self, message: str, **variables: Any) -> Markup:
        if not variables:
            plain = self._plain.get(message)
            if plain is None:
                plain = self._plain[message] = self._template(message) % {}
            return plain
        return self._template(message) % variables

    def ngettext(self, singular: str, plural: str, n: int, **variables: Any) -> Markup:
        text = Markup(self._translations.ngettext(singular, plural, n))
        return text % {"num": n, **variables}

    def _template(self, message: str) -> Markup:
        markup = self._markup.get(message)
        if markup is None:
            markup = self._markup[message] = Markup(self._translations.gettext(message))
        return markup


def template_environment(folder: Path, domain: str, lang: str, *,
                         strict: bool = False) -> jinja2.Environment:
    """The Jinja environment of one folder of templates in one language: autoescape, the
    domain's catalog as ``_()``, templates read once (they ship with the package); ``strict``:
    a name the template does not get is an error, not an empty string."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=True,
        auto_reload=False,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined if strict else jinja2.Undefined,
    )
    catalog = TemplateCatalog(domain, lang)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        catalog.gettext, catalog.ngettext, newstyle=False)
    # The extension's ``_`` is an alias that looks ``gettext`` up in the context on every call;
    # a page calls it a hundred times. ``_`` is the catalog's own function instead.
    env.globals["_"] = catalog.gettext
    return env
