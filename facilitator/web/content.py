"""Template text on the phone and the wall: in the participant's language where the template has
it, else in the language it falls back to, marked as such.

A user's template may stop at Dutch and English. An Arabic participant then reads the question
in the session's language (else English, else Dutch: :func:`~facilitator.core.templates.
localized_in`); the page marks that text with its own ``lang`` and ``dir`` (so the browser picks
the right font, direction and voice) and says, in the page's language, which language it is
shown in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from babel import Locale
from markupsafe import Markup

from facilitator.core.model import Contribution, Note
from facilitator.core.templates import Localized, localized_in
from facilitator.i18n import direction, translations
from facilitator.session.store import SessionStore
from facilitator.web.sentences import N_

QUESTION_NOTICE = N_("This question is shown in %(language)s: it has not been translated into "
                     "your language yet.")
GROUPS_NOTICE = N_("The groups are shown in %(language)s: they have not been translated into "
                   "your language yet.")


@dataclass(frozen=True, slots=True)
class Shown:
    """A text as a page shows it, with the language it is in ("" when nobody knows: a title
    or theme the facilitator typed)."""

    text: str
    lang: str
    foreign: bool = False
    """In another language than the page's: marked with its own ``lang`` and ``dir``."""

    @property
    def attrs(self) -> Markup:
        """The attributes the text's element needs: its own language and direction when it is
        foreign, ``dir="auto"`` when its language is unknown, else none (the page's)."""
        if self.foreign:
            return Markup(' lang="{}" dir="{}"').format(self.lang, direction(self.lang))
        if not self.lang:
            return Markup(' dir="auto"')
        return Markup("")

    def __str__(self) -> str:
        return self.text


def shown(text: Localized, page_lang: str, session_lang: str) -> Shown:
    """A template text for a page in ``page_lang``: the participant's language, else the
    session's, else English, else Dutch."""
    value, lang = localized_in(text, page_lang, session_lang)
    return Shown(value, lang, foreign=lang != page_lang)


def typed(text: str) -> Shown:
    """Text the facilitator typed (a session title, a theme): shown as written."""
    return Shown(text, "")


@cache
def language_name(code: str, page_lang: str) -> str:
    """The name of language ``code`` in ``page_lang``, e.g. "Engels" for en on a Dutch page."""
    return str(Locale.parse(page_lang).languages.get(code, code))


def notice(sentence: str, page_lang: str, texts: list[Shown]) -> str:
    """``sentence`` in the page's language, naming the language of the first foreign text, or
    "" when every text is in the page's language."""
    foreign = next((text for text in texts if text.foreign), None)
    if foreign is None:
        return ""
    translated = translations("web", page_lang).gettext(sentence)
    return translated % {"language": language_name(foreign.lang, page_lang)}


SCRIPTS = {
    "ar": re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufefc]"),
    "fa": re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufefc]"),
    "uk": re.compile(r"[\u0400-\u04ff]"),
    "nl": re.compile(r"[A-Za-z\u00c0-\u024f]"),
    "en": re.compile(r"[A-Za-z\u00c0-\u024f]"),
}
"""The letters of each participant language's script (the page's script reads aloud by the
same rule)."""


def written(store: SessionStore, item: Contribution) -> Shown:
    """A participant's text as a page shows it. When most of its letters are in the script of
    the language its author chose on joining, it carries that language (so the browser picks
    the font and joins Arabic and Farsi letters as they are written, right to left); otherwise
    nobody knows its language, and the browser sets its direction from its first letter."""
    author = store.participant(item.author) if item.author else None
    lang = author.lang if author is not None else ""
    script = SCRIPTS.get(lang)
    letters = sum(1 for char in item.text if char.isalpha())
    if script is None or not letters or len(script.findall(item.text)) * 2 < letters:
        return typed(item.text)
    return Shown(item.text, lang, foreign=True)


def session_title(store: SessionStore, page_lang: str) -> Shown:
    """The session's title as a participant reads it.

    A session starts with its template's title in the session's language. While the
    facilitator keeps it, it is the template's text, and a participant reads it in their own
    language like the rest of the template. A title the facilitator wrote themselves ("Buurtavond
    Noord, 12 maart") is a name: it is shown as written, in every language."""
    template_title = store.template.title
    if store.info.title in template_title.values():
        return shown(template_title, page_lang, store.info.lang)
    return typed(store.info.title)


def theme_label(store: SessionStore, theme_id: int, page_lang: str) -> Shown | None:
    """The name of a contribution's theme for this page: a theme made from one of the
    template's suggestions is shown in the participant's language, one the facilitator named
    themselves as they named it (None: not sorted into a theme)."""
    theme = store.theme(theme_id) if theme_id else None
    if theme is None:
        return None
    suggestion = store.template.round(theme.round_id).suggested_theme(theme.name)
    if suggestion is None:
        return typed(theme.name)
    return shown(suggestion, page_lang, store.info.lang)


def group_names(store: SessionStore, group_ids: tuple[str, ...], page_lang: str) -> str:
    """The names of stakeholder groups for a page, joined: whom a day chair's line is for."""
    names = []
    for group_id in group_ids:
        group = store.template.group(group_id)
        names.append(shown(group.name, page_lang, store.info.lang).text if group else group_id)
    return ", ".join(names)


@dataclass(frozen=True, slots=True)
class Line:
    """One of the day chair's lines as a page shows it."""

    id: int
    to: str
    """The stakeholder groups it is addressed to, in the page's language."""
    text: str
    lang: str
    """The session's language: the chair is taken to write in it (and it is read aloud in
    it); its direction is left to the browser (``dir="auto"``)."""


def chair_lines(store: SessionStore, round_id: str, page_lang: str) -> list[Line]:
    """The day chair's lines of a distillation round (a handful: an index, no pass)."""

    def line(note: Note) -> Line:
        return Line(note.id, group_names(store, note.addressed_to, page_lang), note.text,
                    store.info.lang)

    return [line(note) for note in store.lines(round_id)]
