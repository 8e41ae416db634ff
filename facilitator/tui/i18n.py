"""The TUI's language: ``_()`` translates through the ``tui`` gettext catalog.

The language is chosen once per app (``--lang``, else the session's); strings marked with
``N_()`` (the action registry's names, declared at import time) are translated where they are
shown (facilitator.tui.actions).

Updating the catalogs after changing strings (``tests/tui/test_i18n.py`` fails until nl is
complete)::

    pybabel extract -k N_ -o /tmp/tui.pot facilitator/tui
    pybabel update -D tui -i /tmp/tui.pot -d facilitator/locale -l nl   # and -l en
"""

from __future__ import annotations

import datetime as dt
import gettext
import re
from collections.abc import Sequence

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


def decimal(value: float, places: int) -> str:
    """A number with ``places`` decimals in the TUI's language: 1.04 in English, 1,04 in
    Dutch."""
    from babel.numbers import format_decimal

    pattern = "0." + "0" * places if places else "0"
    return format_decimal(value, format=pattern, locale=language())


def group_name(template: Template, group_id: str) -> str:
    """A stakeholder group's name in the TUI's language; "" is "prefer not to say", as the
    phone offers it and the report names it."""
    if not group_id:
        return _("Prefer not to say")
    group = template.group(group_id)
    return localized(group.name, language()) if group else group_id


def loc(text: dict[str, str]) -> str:
    """Template text (title, prompt, theme) in the TUI's language."""
    return localized(text, language())


def quoted(names: Sequence[str]) -> str:
    """“A”, “B” and “C”, in the TUI's language."""
    marked = [f"“{name}”" for name in names]
    if len(marked) < 2:
        return "".join(marked)
    return _("{first} and {last}").format(first=", ".join(marked[:-1]), last=marked[-1])


_DAY_FIRST = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})")


def parse_date(typed: str) -> dt.date | None:
    """A date as a facilitator types it: 1-3-2027, 01-03-2027, 1/3/27, 1.3.2027 (day first,
    as in Dutch) or 2027-03-01. None when it is not one."""
    typed = typed.strip()
    try:
        return dt.date.fromisoformat(typed)
    except ValueError:
        pass
    found = _DAY_FIRST.fullmatch(typed)
    if found is None:
        return None
    day, month, year = (int(part) for part in found.groups())
    if year < 100:
        year += 2000
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def due_label(iso: str) -> str:
    """A stored date (ISO) as the TUI's reader reads it ("1 mrt 2027", "Mar 1, 2027"); any
    other text as it is."""
    from babel.dates import format_date

    try:
        day = dt.date.fromisoformat(iso)
    except ValueError:
        return iso
    return format_date(day, format="medium", locale=language())
