"""Translations from gettext ``.po`` catalogs, compiled in memory with Babel when first used.

Catalogs live in ``facilitator/locale/<lang>/LC_MESSAGES/<domain>.po``; one domain per face of
the app (``web``, ``tui``, ``report``, ``event`` for the event wall), so each can grow on its own.
"""

from __future__ import annotations

import gettext
import io
from functools import cache

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from facilitator.core.languages import (
    FACILITATOR_LANGUAGES,
    PARTICIPANT_LANGUAGES,
    RTL_LANGUAGES,
    direction,
)
from facilitator.paths import locale_dir

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

