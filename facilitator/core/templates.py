"""Session templates: TOML files that describe a workshop's rounds and who should be at the table.

A template is read with the standard library's ``tomllib`` and validated with pydantic models that
forbid unknown keys. Every problem becomes a :class:`TemplateError` that names the file, the key
path (``rounds[2].voting.dots``) and what was expected, so the CLI can print it and exit 2.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    model_validator,
)

from facilitator.core.languages import FACILITATOR_LANGUAGES, PARTICIPANT_LANGUAGES
from facilitator.core.text import MAX_TEMPLATE_TEXT_CHARS, MAX_TITLE_CHARS, clean_text

REQUIRED_LANGUAGES = FACILITATOR_LANGUAGES
"""Languages every template text must have: the facilitator's and the report's (nl, en)."""
LANGUAGES = tuple(PARTICIPANT_LANGUAGES)
"""Languages a template text may have: every participant language (nl, en, ar, fa, uk). The
built-in templates have all of them; a user's own may stop at :data:`REQUIRED_LANGUAGES`, and a
participant then reads the text in the language :func:`localized_in` falls back to."""


# A template's texts reach the terminal and the phones like participant text does, so they are
# cleaned the same way (clean_text) on loading, then checked for length.


def _within(text: str, limit: int) -> str:
    if len(text) > limit:
        raise ValueError(f"{len(text):,} characters; at most {limit} fit")
    return text


def _title(value: str) -> str:
    return _within(clean_text(value, multiline=False), MAX_TITLE_CHARS)


def _long_text(value: str) -> str:
    return _within(clean_text(value), MAX_TEMPLATE_TEXT_CHARS)


def _table_name(value: str) -> str:
    name = _title(value)
    if not name:
        raise ValueError("a table needs a name")
    return name


LanguageCode = Annotated[StrictStr, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")]
TitleText = Annotated[StrictStr, AfterValidator(_title)]
LongText = Annotated[StrictStr, AfterValidator(_long_text)]

Localized = dict[str, str]
"""Text per language code, e.g. ``{"nl": "Knelpunten", "en": "Bottlenecks", "ar": "العوائق"}``."""
LocalizedTitle = dict[LanguageCode, TitleText]
"""A title or name per language, on one line."""
LocalizedText = dict[LanguageCode, LongText]
"""A description or prompt per language; may have several lines."""


class RoundKind(StrEnum):
    BOTTLENECK = "bottleneck"
    IDEAS = "ideas"
    AUDIT = "audit"
    OPEN = "open"
    DISTILLATION = "distillation"
    """The day's close: the room sends tips, and the day chair records a few lines, each
    addressed to a stakeholder side (notes with ``addressed_to``); the report opens with both."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VotingRule(_Strict):
    """How a round is voted on.

    ``dots``: each device spends up to ``dots`` dots, at most ``per_item_cap`` on one item.
    ``score``: each device scores items from ``scale_min`` to ``scale_max`` (as in 25/10).
    ``none``: the round is not voted on.
    """

    rule: Literal["dots", "score", "none"] = "none"
    dots: Annotated[StrictInt, Field(ge=1, le=50)] = 5
    per_item_cap: Annotated[StrictInt, Field(ge=1, le=50)] = 3
    scale_min: Annotated[StrictInt, Field(ge=1, le=10)] = 1
    """At least 1: a weight of 0 means "no vote"."""
    scale_max: Annotated[StrictInt, Field(ge=1, le=10)] = 5
    own_items: StrictBool = True
    """Whether a participant may vote on their own contributions."""
    sample_size: Annotated[StrictInt, Field(ge=3, le=40)] = 20
    """The most items one phone is asked to vote on. A round with more visible items gives each
    device its own sample of this many, balanced so that every item is seen about equally often
    (see facilitator.core.ranking); a round with fewer shows them all."""

    @model_validator(mode="after")
    def _consistent(self) -> VotingRule:
        if self.per_item_cap > self.dots:
            raise ValueError("per_item_cap must not exceed dots")
        if self.scale_min >= self.scale_max:
            raise ValueError("scale_min must be below scale_max")
        return self


class StakeholderGroup(_Strict):
    id: Annotated[StrictStr, Field(pattern=r"^[a-z][a-z0-9_-]*$")]
    name: LocalizedTitle
    expected: StrictBool = True
    """Whether the organisers expect this group at the table."""
    must_be_present: StrictBool = False
    """The audit calls out the absence of this group loudly."""
    lived_experience: StrictBool = False
    """Refugee-led or lived-experience voice: the audit flags a room without any."""


class RoundSpec(_Strict):
    id: Annotated[StrictStr, Field(pattern=r"^[a-z][a-z0-9_-]*$")]
    kind: RoundKind
    title: LocalizedTitle
    prompt: LocalizedText
    minutes: Annotated[StrictInt, Field(ge=1, le=480)]
    themes: tuple[LocalizedTitle, ...] = ()
    """Suggested themes the facilitator can start sorting into."""
    voting: VotingRule = VotingRule()
    participants_submit: StrictBool = True
    moderated: StrictBool = False
    """Contributions need the facilitator's approval before they reach the wall."""
    uses_groups: StrictBool = False
    """Participants work at tables (groups) in parallel and say which one they sit at."""

    def suggested_theme(self, name: str) -> Localized | None:
        """The suggested theme ``name`` was made from (in any of its languages), or None for a
        theme the facilitator named themselves: a suggestion can be shown in every language."""
        return next((theme for theme in self.themes if name in theme.values()), None)


class Template(_Strict):
    id: Annotated[StrictStr, Field(pattern=r"^[a-z][a-z0-9_-]*$")]
    default_lang: Literal["nl", "en"]
    title: LocalizedTitle
    description: LocalizedText
    anonymity_threshold: Annotated[StrictInt, Field(ge=1, le=20)] = 3
    """Stakeholder groups smaller than this are counted but never linked to content."""
    table_groups: tuple[Annotated[StrictStr, AfterValidator(_table_name)], ...] = ()
    """Names of the tables when rounds use groups, e.g. ``("A", "B", "C")``."""
    groups: Annotated[tuple[StakeholderGroup, ...], Field(min_length=1)]
    rounds: Annotated[tuple[RoundSpec, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_ids(self) -> Template:
        ids = {"rounds": [r.id for r in self.rounds], "groups": [g.id for g in self.groups]}
        for what, values in ids.items():
            seen: set[str] = set()
            for index, value in enumerate(values):
                if value in seen:
                    raise _KeyProblem(
                        f"{what}[{index}].id", f"duplicate id {value!r}; each id must be unique"
                    )
                seen.add(value)
        return self

    def round(self, round_id: str) -> RoundSpec:
        for spec in self.rounds:
            if spec.id == round_id:
                return spec
        raise KeyError(round_id)

    def group(self, group_id: str) -> StakeholderGroup | None:
        return next((g for g in self.groups if g.id == group_id), None)


class _KeyProblem(ValueError):
    """A validation problem that knows its own key path (pydantic cannot place cross-field ones)."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(problem)
        self.key = key
        self.problem = problem


class TemplateError(Exception):
    """A template file that cannot be used. The message names the file, the key and the problem."""

    def __init__(self, path: Path | str, key: str, problem: str) -> None:
        self.path = Path(path)
        self.key = key
        self.problem = problem
        where = f"{self.path}: {key}" if key else str(self.path)
        super().__init__(f"{where}: {problem}")


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def key_path(loc: Iterable[int | str]) -> str:
    """A pydantic error location as the user would write the key: ``rounds[2].voting.dots``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in ("str", "int", "float", "bool", "none", "list", "tuple", "dict", "[key]"):
            continue  # pydantic names the tried type in the location; the user never wrote it
        elif not _PLAIN_KEY.fullmatch(part):
            path += f"[{shown(part)}]"  # a key as typed, control characters and all: escaped
        else:
            path += f".{part}" if path else str(part)
    return path


def describe_problem(error: Any) -> str:
    """One pydantic error as a short sentence, with the offending value escaped and cut short."""
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key; check its spelling against the template format in the README"
    if kind == "missing":
        return "missing key; it is required"
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return f"{message[0].lower()}{message[1:]}, got {shown(error.get('input'))}"


def shown(value: object, limit: int = 60) -> str:
    """A value as it appears in an error message: its repr (so control characters show as
    escapes, never reach the terminal), cut short."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def participant_texts(template: Template) -> list[tuple[str, Localized]]:
    """Every text of the template a participant sees, with its key path: the session's title and
    description, the group names, and each round's title, prompt and suggested themes."""
    texts: list[tuple[str, Localized]] = [
        ("title", template.title),
        ("description", template.description),
    ]
    for i, group in enumerate(template.groups):
        texts.append((f"groups[{i}].name", group.name))
    for i, spec in enumerate(template.rounds):
        texts.append((f"rounds[{i}].title", spec.title))
        texts.append((f"rounds[{i}].prompt", spec.prompt))
        for j, theme in enumerate(spec.themes):
            texts.append((f"rounds[{i}].themes[{j}]", theme))
    return texts


def _translation_problem(template: Template) -> tuple[str, str] | None:
    """The first text with an unknown language, a blank text, or no text in one of the
    :data:`REQUIRED_LANGUAGES`, as (key path, problem)."""
    known = ", ".join(LANGUAGES)
    for key, text in participant_texts(template):
        for lang, value in text.items():
            if lang not in PARTICIPANT_LANGUAGES:
                return f"{key}.{lang}", f"unknown language {lang!r}; a text may be in {known}"
            if not value.strip():
                return f"{key}.{lang}", "empty text; write the text or leave the language out"
        for lang in REQUIRED_LANGUAGES:
            if lang not in text:
                required = " and ".join(REQUIRED_LANGUAGES)
                return (f"{key}.{lang}",
                        f"missing the {lang!r} translation; every text needs {required}")
    return None


@dataclass(frozen=True, slots=True)
class Coverage:
    """Which participant languages a template is complete in."""

    texts: int
    """How many participant-facing texts the template has."""
    missing: dict[str, tuple[str, ...]]
    """Language → key paths of the texts without it, for each of :data:`LANGUAGES` (empty when
    the language is complete)."""

    @property
    def complete(self) -> tuple[str, ...]:
        return tuple(lang for lang in LANGUAGES if not self.missing[lang])

    @property
    def incomplete(self) -> tuple[str, ...]:
        return tuple(lang for lang in LANGUAGES if self.missing[lang])


def language_coverage(template: Template) -> Coverage:
    """For each participant language, which of the template's participant-facing texts lack it."""
    texts = participant_texts(template)
    return Coverage(
        texts=len(texts),
        missing={lang: tuple(key for key, text in texts if lang not in text)
                 for lang in LANGUAGES},
    )


def parse_template(data: dict[str, Any], path: Path | str = "<template>") -> Template:
    """Validate template data (already parsed from TOML or JSON)."""
    try:
        template = Template.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        ctx_error = (error.get("ctx") or {}).get("error")
        if isinstance(ctx_error, _KeyProblem):
            raise TemplateError(path, ctx_error.key, ctx_error.problem) from None
        raise TemplateError(path, key_path(error["loc"]), describe_problem(error)) from None
    problem = _translation_problem(template)
    if problem:
        raise TemplateError(path, *problem)
    return template


def load_template(path: Path) -> Template:
    """Read and validate one template file."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(path, "", f"not valid TOML: {exc}") from None
    except OSError as exc:
        raise TemplateError(path, "", f"cannot be read: {exc.strerror}") from None
    template = parse_template(data, path)
    if template.id != path.stem:
        raise TemplateError(
            path, "id", f"must match the file name {path.stem!r}, got {template.id!r}"
        )
    return template


def discover_templates(folders: Iterable[Path]) -> dict[str, Path]:
    """Template id → file, over the given folders in order; a later folder overrides an earlier."""
    found: dict[str, Path] = {}
    for folder in folders:
        if folder.is_dir():
            for path in sorted(folder.glob("*.toml")):
                found[path.stem] = path
    return found


def localized_in(text: Localized, lang: str, fallback: str = "en") -> tuple[str, str]:
    """Text in ``lang`` and the language it is actually in: ``lang`` when the text has it, else
    ``fallback`` (the session's language), else English, else Dutch.

    A participant may read a language the template was not translated into; the phone page uses
    the second value to say so and to mark the text with its own ``lang`` and ``dir``."""
    for candidate in (lang, fallback, "en", "nl"):
        value = text.get(candidate)
        if value:
            return value, candidate
    return next(((value, code) for code, value in text.items() if value), ("", lang))


def localized(text: Localized, lang: str, fallback: str = "en") -> str:
    """Text in ``lang``, falling back as :func:`localized_in` does."""
    return localized_in(text, lang, fallback)[0]
