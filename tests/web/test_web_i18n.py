"""Every participant-facing string of the web code and templates has a translation in every
participant language."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import facilitator.web
from facilitator.i18n import PARTICIPANT_LANGUAGES, direction, translations
from facilitator.paths import locale_dir

WEB = Path(facilitator.web.__file__).parent


def extracted() -> set[str]:
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        WEB, method_map, options_map=options, keywords={"_": None, "N_": None, "gettext": None}
    ):
        assert isinstance(message, str), f"plural or odd message: {message!r}"
        found.add(message)
    return found


def test_extraction_finds_the_messages() -> None:
    messages = extracted()
    assert "Please write something first." in messages  # from sentences.py
    assert "Who do you speak for?" in messages  # from a template
    assert len(messages) > 50


@pytest.mark.parametrize("lang", sorted(PARTICIPANT_LANGUAGES))
def test_every_message_is_translated(lang: str) -> None:
    path = locale_dir() / lang / "LC_MESSAGES" / "web.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain="web")
    missing = sorted(
        m for m in extracted()
        if m not in catalog or not catalog[m].string or catalog[m].fuzzy
    )
    assert not missing, f"{path}: no translation for {missing}"


@pytest.mark.parametrize("lang", sorted(PARTICIPANT_LANGUAGES))
def test_placeholders_survive_translation(lang: str) -> None:
    for message in extracted():
        if "%(" in message:
            names = sorted(part.split(")")[0] for part in message.split("%(")[1:])
            text = translations("web", lang).gettext(message)
            assert sorted(part.split(")")[0] for part in text.split("%(")[1:]) == names, text


def test_right_to_left_languages() -> None:
    assert direction("ar") == direction("fa") == "rtl"
    assert direction("uk") == direction("nl") == "ltr"


FALLBACK_NOTICE = ("This question is shown in %(language)s: it has not been translated into your "
                   "language yet.")
"""Beside a template text that is not in the participant's language (core.templates.localized_in
says which language it is in instead)."""


@pytest.mark.parametrize("lang", sorted(PARTICIPANT_LANGUAGES))
def test_fallback_notice_names_the_language_in_every_catalog(lang: str) -> None:
    from babel import Locale

    text = translations("web", lang).gettext(FALLBACK_NOTICE)
    if lang != "en":
        assert text != FALLBACK_NOTICE, f"no {lang} translation of the fallback notice"
    name = Locale.parse(lang).languages["en"]  # English, in the page's language
    assert name in text % {"language": name}
    assert text.count("%(language)s") == 1
