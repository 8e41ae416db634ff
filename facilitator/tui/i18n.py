"""The TUI's language: ``_()`` translates through the ``tui`` gettext catalog.

The language is chosen once per app (``--lang``, else the session's); strings marked with
``N_()`` (binding descriptions, declared at import time) are translated when a screen is built.

Updating the catalogs after changing strings (``tests/tui/test_i18n.py`` fails until nl is
complete)::

    pybabel extract -k N_ -o /tmp/tui.pot facilitator/tui
    pybabel update -D tui -i /tmp/tui.pot -d facilitator/locale -l nl   # and -l en
"""

from __future__ import annotations

import dataclasses
import gettext

from textual.dom import DOMNode

from facilitator.core.templates import Template, localized
from facilitator.i18n import FACILITATOR_LANGUAGES, translations

_state: dict[str, gettext.NullTranslations | str] = {
    "lang": "en",
    "catalog": gettext.NullTranslations(),
}


def set_language(lang: str | None) -> str:
    """Use ``lang`` for every later ``_()``; unknown languages fall back to English."""
    chosen = lang if lang in FACILITATOR_LANGUAGES else "en"
    _state["lang"] = chosen
    _state["catalog"] = translations("tui", chosen)
    return chosen


def language() -> str:
    return str(_state["lang"])


def _(message: str) -> str:
    catalog = _state["catalog"]
    assert isinstance(catalog, gettext.NullTranslations)
    return catalog.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    catalog = _state["catalog"]
    assert isinstance(catalog, gettext.NullTranslations)
    return catalog.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later with ``_()``."""
    return message


def translate_bindings(node: DOMNode) -> None:
    """Translate the binding descriptions of one widget, screen or app (after ``__init__``)."""
    keys = node._bindings.key_to_bindings
    for key, bindings in list(keys.items()):
        keys[key] = [
            dataclasses.replace(
                b,
                description=_(b.description) if b.description else "",
                tooltip=_(b.tooltip) if b.tooltip else "",
            )
            for b in bindings
        ]


def decimal(value: float, places: int) -> str:
    """A number with ``places`` decimals in the TUI's language: 1.04 in English, 1,04 in
    Dutch."""
    from babel.numbers import format_decimal

    pattern = "0." + "0" * places if places else "0"
    return format_decimal(value, format=pattern, locale=language())


def group_name(template: Template, group_id: str) -> str:
    """A stakeholder group's name in the TUI's language; "" is "prefer not to say"."""
    if not group_id:
        return _("not said")
    group = template.group(group_id)
    return localized(group.name, language()) if group else group_id


def loc(text: dict[str, str]) -> str:
    """Template text (title, prompt, theme) in the TUI's language."""
    return localized(text, language())
