"""What the command line says, in the facilitator's language: the ``cli`` gettext catalog.

The language is chosen as the TUI chooses its own (``facilitator/tui/i18n.py``): ``--lang``
where the command has it, else the session's language where the command runs a session
(``serve``), else the language of the facilitator's system when it is Dutch or English (the
``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES`` and ``LANG`` variables, as gettext reads them; on
Windows, where they are seldom set, its display language), else Dutch. The messages of the
parts below the command line (a session file that cannot be read, a template with a wrong key)
stay in English: they name a file and a key for whoever fixes it.

Kept light: ``facilitator --help`` must start fast, so an English run reads no catalog at all.
Update the catalogs after changing strings::

    pybabel extract -o /tmp/cli.pot facilitator/cli.py
    pybabel update -D cli -i /tmp/cli.pot -d facilitator/locale -l nl   # and -l en
"""

from __future__ import annotations

import gettext
import os
import sys

LANGUAGES = ("nl", "en")
DEFAULT = "nl"
"""The language when nothing says which (the TUI's too)."""

_catalog: dict[str, gettext.NullTranslations] = {"now": gettext.NullTranslations()}


def use_language(lang: str) -> str:
    """Speak ``lang`` (nl or en) from now on; returns it."""
    chosen = lang if lang in LANGUAGES else DEFAULT
    if chosen == "en":  # the source strings are English: no catalog to read
        _catalog["now"] = gettext.NullTranslations()
    else:
        from facilitator.i18n import translations

        _catalog["now"] = translations("cli", chosen)
    return chosen


def _(message: str) -> str:
    return _catalog["now"].gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _catalog["now"].ngettext(singular, plural, n)


def system_language(environ: dict[str, str] | None = None) -> str | None:
    """Dutch or English when the facilitator's system is in that language, else None."""
    env = os.environ if environ is None else environ
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            return _language_of(value.split(":")[0])
    return windows_language()


def windows_language() -> str | None:
    """Dutch or English when Windows shows its own menus in that language (the display
    language a user picks in Settings, not the regional format of dates and numbers); None
    elsewhere, where the variables above are the system's language."""
    if sys.platform == "win32":
        import ctypes

        langid = ctypes.windll.kernel32.GetUserDefaultUILanguage()
        return {0x13: "nl", 0x09: "en"}.get(langid & 0x3FF)  # its primary language
    return None


def _language_of(tag: str) -> str | None:
    """``nl`` for "nl_NL.UTF-8", "nl-BE" or "Dutch_Netherlands"; ``en`` likewise."""
    lowered = tag.lower()
    for lang, name in (("nl", "dutch"), ("en", "english")):
        if (lowered[:2] == lang and (len(lowered) == 2 or lowered[2] in "_-.@")) \
                or lowered.startswith(name):
            return lang
    return None


def language_asked(argv: list[str], environ: dict[str, str] | None = None) -> str:
    """The language of a command line before it is parsed (its help text is in it):
    ``--lang`` on it, else the system's, else Dutch."""
    for index, word in enumerate(argv):
        if word == "--lang" and index + 1 < len(argv) and argv[index + 1] in LANGUAGES:
            return argv[index + 1]
        if word.startswith("--lang=") and word[7:] in LANGUAGES:
            return word[7:]
    return system_language(environ) or DEFAULT
