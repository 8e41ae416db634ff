"""Session documents that come from a file, checked and cleaned in one place.

A session file when it is opened, an export when it is imported, and each file ``facilitator
list`` and the home screen show pass :func:`check_tables`, a pure function over the parsed
tables. It holds them to the rules live input is held to: the fields of the records in
``core/model.py``, the length limits of ``core/text.py``, the template's rounds, groups, tables and
voting rules; strict types (``"yes"`` is not a boolean, ``"x"`` not a number); finite times in a
sane range; references that point at something. Every text is cleaned by ``clean_text`` as it
would have been on arrival, so no terminal escape or bidi override in a file reaches a screen.

The validators are built once, and each table is validated as one list: checking a 100,000
document import costs well under a second.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, NotRequired, Required

import typing_extensions
from pydantic import AfterValidator, ConfigDict, Field, TypeAdapter, ValidationError, with_config

from facilitator.core.errors import Reason
from facilitator.core.joining import CARD, MAX_TABLES, ROOM
from facilitator.core.model import RANKINGS, SCHEMA_VERSION, TABLES, Flag, HiddenBy, Source
from facilitator.core.templates import (
    LANGUAGES,
    RoundSpec,
    Template,
    TemplateError,
    describe_problem,
    key_path,
    parse_template,
    shown,
)
from facilitator.core.text import (
    MAX_CONTRIBUTION_CHARS,
    MAX_NAME_CHARS,
    MAX_TITLE_CHARS,
    clean_text,
)
from facilitator.core.voting import check_ballot
from facilitator.session.files import SessionCorrupt
from facilitator.session.journal import JOURNAL_TABLE

SESSION_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_-]{0,95}"
"""A session id becomes a file name: nothing else may get through."""
JOIN_TOKEN_PATTERN = r"[A-Za-z0-9_-]{16,64}"
"""The join token is part of a URL."""
DEVICE_ID_PATTERN = r"[A-Za-z0-9_-]{1,64}"
TEMPLATE_ID_PATTERN = r"[a-z][a-z0-9_-]*"
"""Template, round and stakeholder group ids (as in ``core/templates.py``)."""
JOIN_BASE_PATTERN = (r"https?://[A-Za-z0-9._~%:\[\]-]{1,255}"
                     r"(/[A-Za-z0-9._~%!$&'()*+,;=:@/-]{0,200})?")
"""Where phones reach the participant page: ``http://host:port`` or a public URL."""
MAX_ROOM_SIZE = 100_000
LATEST_TIME = 4_102_444_800.0
"""2100-01-01: no time in a session is later (nor earlier than 1970)."""
LARGEST_ID = 10**15

Tables = dict[str, dict[str, dict[str, Any]]]


class DocumentError(ValueError):
    """A document that breaks the rules: where it is (table, document id, key) and why."""

    def __init__(self, table: str, doc_id: str, key: str, problem: str) -> None:
        self.table, self.doc_id, self.key, self.problem = table, doc_id, key, problem
        self.where = ".".join(part for part in (table, doc_id, key) if part)
        super().__init__(f"{self.where}: {problem}")


# -- field types -------------------------------------------------------------------------------


def _matching(pattern: str, *, optional: bool = False) -> Any:
    return Annotated[str, Field(pattern=f"^({pattern}){'?' if optional else ''}$")]


def _text(limit: int, *, multiline: bool = True, required: bool = True) -> Any:
    """Text as it would have been stored on arrival: cleaned, then within ``limit``."""

    def check(value: str) -> str:
        text = clean_text(value, multiline=multiline)
        if required and not text:
            raise ValueError("empty; it needs some text")
        if len(text) > limit:
            raise ValueError(f"{len(text):,} characters; at most {limit:,} fit")
        return text

    return Annotated[str, AfterValidator(check)]


Time = Annotated[float, Field(ge=0.0, le=LATEST_TIME, allow_inf_nan=False)]
Seconds = Annotated[float, Field(ge=-LATEST_TIME, le=LATEST_TIME, allow_inf_nan=False)]
Ref = Annotated[int, Field(ge=0, le=LARGEST_ID)]
"""A document id, or 0 for none."""
RoundId = _matching(TEMPLATE_ID_PATTERN)
GroupRef = _matching(TEMPLATE_ID_PATTERN, optional=True)
TableName = _text(MAX_TITLE_CHARS, multiline=False, required=False)
Device = _matching(DEVICE_ID_PATTERN)

def _document(name: str, fields: dict[str, Any]) -> Any:
    """A strict TypedDict: exactly these keys (extra ones refused), no type coercion."""
    typed_dict: Any = typing_extensions.TypedDict  # pydantic needs it, on Python < 3.12
    return with_config(ConfigDict(strict=True, extra="forbid"))(typed_dict(name, fields))


ViewState = _document(
    "ViewState",
    {
        "view": NotRequired[_matching(r"[a-z][a-z-]{0,31}")],
        "filter": NotRequired[TableName],
        "selected": NotRequired[Ref],
        "stakeholder_filter": NotRequired[GroupRef],
    },
)
"""The facilitator's screen state (``SessionScreen.view_state`` in the TUI): kept in the view
file beside the session (``files.view_path``); a session from before that has it here."""
_VIEW_STATE: TypeAdapter[dict[str, Any]] = TypeAdapter(ViewState)


def checked_view_state(raw: object) -> dict[str, Any] | None:
    """A view file's content, checked as a session's view state is; None when it is not one."""
    try:
        return dict(_VIEW_STATE.validate_python(raw))
    except ValidationError:
        return None


def checked_join_base(raw: object) -> str | None:
    """An address file's base URL, checked as a session's ``join_base`` is; None when not."""
    return raw if isinstance(raw, str) and re.fullmatch(JOIN_BASE_PATTERN, raw) else None


FIELDS: dict[str, dict[str, Any]] = {
    "session": {
        "session_id": _matching(SESSION_ID_PATTERN),
        "title": _text(MAX_TITLE_CHARS, multiline=False),
        "lang": Literal[LANGUAGES],  # type: ignore[valid-type]
        "template_id": _matching(TEMPLATE_ID_PATTERN),
        "template": dict[str, Any],
        "join_token": _matching(JOIN_TOKEN_PATTERN),
        "created": Time,
        "secret": _matching(r"[A-Za-z0-9_-]{1,128}", optional=True),
        "organiser_secret": _matching(r"[A-Za-z0-9_-]{1,128}", optional=True),
        "comoderator_secret": _matching(r"[A-Za-z0-9_-]{1,128}", optional=True),
        "place": _text(MAX_TITLE_CHARS, multiline=False, required=False),
        "current_round": Ref,
        "view_state": ViewState,
        "schema_version": Annotated[int, Field(ge=1, le=SCHEMA_VERSION)],
        "card_issue": dict[TableName, Ref],  # type: ignore[valid-type]
        "room_size": Annotated[int, Field(ge=0, le=MAX_ROOM_SIZE)],
        "join_base": _matching(JOIN_BASE_PATTERN, optional=True),
        "tables": Annotated[list[_text(MAX_TITLE_CHARS, multiline=False)],  # type: ignore[misc]
                            Field(max_length=MAX_TABLES)],
        "held_on": _matching(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", optional=True),
        "invited": dict[RoundId, Annotated[int, Field(ge=0, le=MAX_ROOM_SIZE)]],  # type: ignore[valid-type]
    },
    "rounds": {
        "round_id": RoundId,
        "submissions_open": bool,
        "voting_open": bool,
        "results_shown": bool,
        "started": bool,
        "duration_s": Annotated[float, Field(ge=0.0, le=LATEST_TIME, allow_inf_nan=False)],
        "timer_started_at": Time | None,
        "elapsed_s": Seconds,
        "joining_closed": bool,
        "started_at": Time,
        "ranking": Literal[RANKINGS],  # type: ignore[valid-type]
    },
    "participants": {
        "device_id": Device,
        "lang": _matching(r"[a-z]{2,3}(-[A-Za-z0-9]{1,8})*"),
        "stakeholder": GroupRef,
        "name": _text(MAX_NAME_CHARS, multiline=False, required=False),
        "consent_named": bool,
        "table_group": TableName,
        "joined": Time,
        "joined_with": _text(MAX_TITLE_CHARS + len(CARD), multiline=False, required=False),
    },
    "contributions": {
        "round_id": RoundId,
        "text": _text(MAX_CONTRIBUTION_CHARS),
        "source": Literal[tuple(s.value for s in Source)],  # type: ignore[misc]
        "author": _matching(DEVICE_ID_PATTERN, optional=True),
        "stakeholder": GroupRef,
        "table_group": TableName,
        "theme_id": Ref,
        "links": list[Ref],
        "flags": list[Literal[tuple(f.value for f in Flag)]],  # type: ignore[misc]
        "hidden": bool,
        "approved": bool,
        "merged_into": Ref,
        "created": Time,
        "edited": Time,
        "original_text": _text(MAX_CONTRIBUTION_CHARS, required=False),
        "nonce": _matching(r"[A-Za-z0-9_-]{8,32}", optional=True),
        "hidden_by": Literal[("", *(h.value for h in HiddenBy))],  # type: ignore[misc]
    },
    "votes": {
        "round_id": RoundId,
        "contribution_id": Ref,
        "device_id": Device,
        "weight": Annotated[int, Field(ge=-LARGEST_ID, le=LARGEST_ID)],
        "created": Time,
        "revision": Annotated[int, Field(ge=0, le=LARGEST_ID)],
    },
    "samples": {
        "round_id": RoundId,
        "device_id": Device,
        "items": list[Ref],
        "set_no": Annotated[int, Field(ge=0, le=1000)],
        "drawn_from": Annotated[int, Field(ge=0, le=LARGEST_ID)],
        "created": Time,
    },
    "themes": {
        "round_id": RoundId,
        "name": _text(MAX_CONTRIBUTION_CHARS, multiline=False),
        "created": Time,
        "removed": bool,
    },
    "actions": {
        "text": _text(MAX_CONTRIBUTION_CHARS),
        "owner": _text(MAX_TITLE_CHARS, multiline=False, required=False),
        "due": _matching(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", optional=True),
        "contribution_id": Ref,
        "round_id": _matching(TEMPLATE_ID_PATTERN, optional=True),
        "created": Time,
        "edited": Time,
        "removed": bool,
    },
    "notes": {
        "round_id": RoundId,
        "text": _text(MAX_CONTRIBUTION_CHARS),
        "addressed_to": list[_matching(TEMPLATE_ID_PATTERN)],  # type: ignore[misc]
        "created": Time,
        "edited": Time,
        "removed": bool,
    },
}
"""The type and limits of every stored field, by table. The keys are exactly the fields of the
table's record in ``core/model.py`` (checked when the validators are built), so a field added to
a record must say here what it may hold."""


@functools.cache
def _validator(table: str) -> TypeAdapter[Any]:
    """One validator per table, for the whole table at once; built on first use."""
    record = TABLES[table]
    names = {f.name for f in dataclasses.fields(record) if f.name != "id"}
    rules = FIELDS[table]
    if set(rules) != names:
        raise RuntimeError(f"FIELDS[{table!r}] does not match {record.__name__}: "
                           f"{sorted(set(rules) ^ names)}")
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(record):
        if f.name == "id":
            continue
        has_default = (f.default is not dataclasses.MISSING
                       or f.default_factory is not dataclasses.MISSING)
        fields[f.name] = NotRequired[rules[f.name]] if has_default else Required[rules[f.name]]
    document = _document(f"{record.__name__}Document", fields)
    documents: Any = Annotated[list[document], Field(fail_fast=True)]  # type: ignore[valid-type]
    return TypeAdapter(documents)


# -- checking ----------------------------------------------------------------------------------

_DOC_ID = re.compile(r"[1-9][0-9]{0,14}")


def check_tables(raw: Mapping[str, Any]) -> Tables:
    """The tables of a session, checked and cleaned; :class:`DocumentError` at the first problem.

    ``raw`` is the parsed JSON of a session file (or an export's ``tables``). The result holds
    every table of :data:`TABLES` (missing ones empty), each document cleaned, and the session's
    template snapshot as validated. Nothing in ``raw`` is changed.
    """
    for name, table in raw.items():
        if name == JOURNAL_TABLE:
            continue  # the commit engine's note of which commit a file holds: not session data
        if name not in TABLES and not (name == "_default" and table == {}):
            raise DocumentError(_safe(name), "", "", "unknown table")
        if not isinstance(table, dict):
            raise DocumentError(name, "", "", "expected an object of documents")
    tables: Tables = {name: _validated(name, raw.get(name, {})) for name in TABLES}
    session = tables["session"]
    if len(session) != 1:
        raise DocumentError("session", "", "", f"expected exactly one document, got "
                                               f"{len(session)}")
    (session_id, info), = session.items()
    try:
        template = parse_template(info["template"], "template")
    except TemplateError as exc:
        raise DocumentError("session", session_id, f"template.{exc.key}", exc.problem) from None
    info["template"] = template.model_dump(mode="json")
    if "tables" not in info:  # from before a session had tables of its own: its template's
        info["tables"] = list(template.table_groups)
    _check_references(tables, template)
    return tables


def _validated(table: str, docs: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    ids = list(docs)
    for doc_id in ids:
        if not _DOC_ID.fullmatch(doc_id):
            raise DocumentError(table, _safe(doc_id), "",
                                "a document id must be a whole number from 1")
    try:
        checked = _validator(table).validate_python(list(docs.values()))
    except ValidationError as exc:
        error = exc.errors()[0]
        index, *rest = error["loc"]
        assert isinstance(index, int)
        raise DocumentError(table, ids[index], key_path(rest), _problem(error)) from None
    return dict(zip(ids, checked, strict=True))


def _safe(key: str) -> str:
    """A table name or document id for a message: as it is if plain, else escaped."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]{1,40}", key) else shown(key)


def _problem(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "missing; it is required"
    if kind == "string_pattern_mismatch":
        return f"{shown(error['input'])} is not a valid {error['loc'][-1]}"
    if kind == "value_error":  # our own checks, which say what they found
        return str(error["msg"]).removeprefix("Value error, ")
    return describe_problem(error)


def _check_references(tables: Tables, template: Template) -> None:
    """What one document says about another, or about the template, must hold."""
    (info_id, info), = tables["session"].items()
    if info["template_id"] != template.id:
        raise DocumentError("session", info_id, "template_id",
                            f"{shown(info['template_id'])} is not the id of the session's "
                            f"template ({template.id!r})")
    if info.get("current_round", 0) >= len(template.rounds):
        raise DocumentError("session", info_id, "current_round",
                            f"{info['current_round']}: the template has "
                            f"{len(template.rounds)} rounds (counted from 0)")
    rounds = {spec.id: spec for spec in template.rounds}
    groups = {"", *(g.id for g in template.groups)}
    # The session's tables change while it runs: a table a participant, a contribution or a
    # card's issue names may have been removed since, so only the names' form is checked.
    if len(set(info.get("tables", ()))) != len(info.get("tables", ())):
        raise DocumentError("session", info_id, "tables", "a table is named twice")
    if info.get("held_on"):
        _check_date("session", info_id, "held_on", info["held_on"])
    for group_id in info.get("invited", {}):
        if group_id not in groups:
            fail_info = f"{shown(group_id)} is not a stakeholder group of the template"
            raise DocumentError("session", info_id, "invited", fail_info)
    contributions = tables["contributions"]
    themes = {int(doc_id) for doc_id in tables["themes"]}
    items = {int(doc_id): doc["round_id"] for doc_id, doc in contributions.items()}

    def fail(table: str, doc_id: str, key: str, problem: str) -> None:
        raise DocumentError(table, doc_id, key, problem)

    def one_of(table: str, doc_id: str, key: str, value: object, known: Iterable[object],
               what: str) -> None:
        if value not in known:
            fail(table, doc_id, key, f"{shown(value)} is not {what}")

    states: dict[str, str] = {}
    for doc_id, doc in tables["rounds"].items():
        one_of("rounds", doc_id, "round_id", doc["round_id"], rounds, "a round of the template")
        if doc["round_id"] in states:
            fail("rounds", doc_id, "round_id",
                 f"{doc['round_id']!r} already has document {states[doc['round_id']]}")
        states[doc["round_id"]] = doc_id
    for spec in template.rounds:
        if spec.id not in states:
            fail("rounds", "", "", f"no document for the template's round {spec.id!r}")

    devices: dict[str, str] = {}
    for doc_id, doc in tables["participants"].items():
        one_of("participants", doc_id, "stakeholder", doc.get("stakeholder", ""), groups,
               "a stakeholder group of the template")
        came_with = doc.get("joined_with", "")
        if came_with not in ("", ROOM) and not came_with.startswith(CARD):
            fail("participants", doc_id, "joined_with",
                 f"{shown(came_with)} is not {ROOM!r} or a table's card ({CARD!r} and its name)")
        if doc["device_id"] in devices:
            fail("participants", doc_id, "device_id",
                 f"the device already has document {devices[doc['device_id']]}")
        devices[doc["device_id"]] = doc_id

    for doc_id, doc in tables["themes"].items():
        one_of("themes", doc_id, "round_id", doc["round_id"], rounds, "a round of the template")

    for doc_id, doc in contributions.items():
        round_id = doc["round_id"]
        one_of("contributions", doc_id, "round_id", round_id, rounds, "a round of the template")
        one_of("contributions", doc_id, "stakeholder", doc.get("stakeholder", ""), groups,
               "a stakeholder group of the template")
        theme = doc.get("theme_id", 0)
        if theme:
            one_of("contributions", doc_id, "theme_id", theme, themes, "a theme")
        target = doc.get("merged_into", 0)
        if target and (items.get(target) != round_id or target == int(doc_id)):
            fail("contributions", doc_id, "merged_into",
                 f"{target} is not another contribution of the same round")
        for index, link in enumerate(doc.get("links", ())):
            one_of("contributions", doc_id, f"links[{index}]", link, items, "a contribution")

    for doc_id, doc in tables["votes"].items():
        round_id = doc["round_id"]
        one_of("votes", doc_id, "round_id", round_id, rounds, "a round of the template")
        item = doc["contribution_id"]
        if items.get(item) != round_id:
            fail("votes", doc_id, "contribution_id", f"{item} is not a contribution of the round")
        problem = _weight_problem(rounds[round_id], item, doc["weight"])
        if problem:
            fail("votes", doc_id, "weight", problem)

    for doc_id, doc in tables["samples"].items():
        round_id = doc["round_id"]
        one_of("samples", doc_id, "round_id", round_id, rounds, "a round of the template")
        for index, item in enumerate(doc.get("items", ())):
            if items.get(item) != round_id:
                fail("samples", doc_id, f"items[{index}]",
                     f"{item} is not a contribution of the round")

    for doc_id, doc in tables["actions"].items():
        if doc.get("round_id"):
            one_of("actions", doc_id, "round_id", doc["round_id"], rounds,
                   "a round of the template")
        if doc.get("contribution_id"):
            one_of("actions", doc_id, "contribution_id", doc["contribution_id"], items,
                   "a contribution")
        if doc.get("due"):
            _check_date("actions", doc_id, "due", doc["due"])

    for doc_id, doc in tables["notes"].items():
        one_of("notes", doc_id, "round_id", doc["round_id"], rounds, "a round of the template")
        for index, group in enumerate(doc.get("addressed_to", ())):
            one_of("notes", doc_id, f"addressed_to[{index}]", group, groups - {""},
                   "a stakeholder group of the template")


def _weight_problem(spec: RoundSpec, item: int, weight: int) -> str | None:
    """Whether one vote's weight fits the round's voting rule (the rule live ballots meet)."""
    rule = spec.voting
    if not weight:
        return None  # no vote: what a changed ballot leaves behind
    problem = check_ballot(rule, {item: weight}, votable={item}, own=set())
    sentences: dict[Reason | None, Callable[[], str]] = {
        Reason.NOT_VOTED: lambda: f"{weight}: the round {spec.id!r} is not voted on",
        Reason.OVER_CAP: lambda: (f"{weight} dots on one item; the round allows 1 to "
                                         f"{rule.per_item_cap}"),
        Reason.OUT_OF_SCALE: lambda: (f"score {weight}; the round scores from "
                                             f"{rule.scale_min} to {rule.scale_max}"),
    }
    return sentences[problem]() if problem in sentences else None


def _check_date(table: str, doc_id: str, key: str, value: str) -> None:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise DocumentError(table, doc_id, key, f"{value!r} is not a date") from None


def checked_session(path: Path, tables: Mapping[str, Any]) -> Tables:
    """:func:`check_tables` for a session file: a problem is a :class:`SessionCorrupt` that
    names the file, the table, the document id and the key."""
    try:
        return check_tables(tables)
    except DocumentError as exc:
        raise SessionCorrupt(path, str(exc)) from None
