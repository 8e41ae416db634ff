"""Session templates: TOML files that describe a workshop's rounds and who should be at the table.

A template is read with the standard library's ``tomllib`` and validated with pydantic models that
forbid unknown keys. Every problem becomes a :class:`TemplateError` that names the file, the key
path (``rounds[2].voting.dots``) and what was expected, so the CLI can print it and exit 2.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
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

from facilitator.core.text import MAX_TEMPLATE_TEXT_CHARS, MAX_TITLE_CHARS, clean_text

LANGUAGES = ("nl", "en")
"""Languages a template must be complete in (titles, prompts, group names, themes)."""


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
"""Text per language code, e.g. ``{"nl": "Knelpunten", "en": "Bottlenecks"}``."""
LocalizedTitle = dict[LanguageCode, TitleText]
"""A title or name per language, on one line."""
LocalizedText = dict[LanguageCode, LongText]
"""A description or prompt per language; may have several lines."""


class RoundKind(StrEnum):
    BOTTLENECK = "bottleneck"
    IDEAS = "ideas"
    AUDIT = "audit"
    OPEN = "open"


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


def _missing_translations(data: Template) -> tuple[str, str] | None:
    """The first localized text that lacks one of :data:`LANGUAGES`, as (key path, language)."""

    def check(key: str, text: Localized) -> tuple[str, str] | None:
        for lang in LANGUAGES:
            if not text.get(lang, "").strip():
                return key, lang
        return None

    checks: list[tuple[str, Localized]] = [
        ("title", data.title),
        ("description", data.description),
    ]
    for i, group in enumerate(data.groups):
        checks.append((f"groups[{i}].name", group.name))
    for i, spec in enumerate(data.rounds):
        checks.append((f"rounds[{i}].title", spec.title))
        checks.append((f"rounds[{i}].prompt", spec.prompt))
        for j, theme in enumerate(spec.themes):
            checks.append((f"rounds[{i}].themes[{j}]", theme))
    for key, text in checks:
        problem = check(key, text)
        if problem:
            return problem
    return None


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
    missing = _missing_translations(template)
    if missing:
        key, lang = missing
        raise TemplateError(
            path,
            f"{key}.{lang}",
            f"missing the {lang!r} translation; every text needs {' and '.join(LANGUAGES)}",
        )
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


def localized(text: Localized, lang: str, fallback: str = "en") -> str:
    """Text in ``lang``, else the fallback language, else any language there is."""
    return text.get(lang) or text.get(fallback) or next(iter(text.values()), "")
