"""The languages of the app: one list, kept here so that core can use it without Babel.

:mod:`facilitator.i18n` (the gettext catalogs, which need Babel) takes its lists from here.
"""

from __future__ import annotations

PARTICIPANT_LANGUAGES: dict[str, str] = {
    "nl": "Nederlands",
    "en": "English",
    "ar": "العربية",
    "fa": "فارسی",
    "uk": "Українська",
}
"""Languages of the participant page and of template texts, each named in itself."""
RTL_LANGUAGES = frozenset({"ar", "fa"})
FACILITATOR_LANGUAGES = ("nl", "en")
"""Languages of the TUI and the report; every template text must exist in both."""


def direction(lang: str) -> str:
    """``rtl`` or ``ltr`` for the HTML ``dir`` attribute."""
    return "rtl" if lang in RTL_LANGUAGES else "ltr"
