"""The sessions and templates a user has: find, create, list, export and import them."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError

from facilitator.core.model import TABLES, SessionInfo
from facilitator.core.templates import (
    Template,
    TemplateError,
    discover_templates,
    load_template,
    parse_template,
)
from facilitator.paths import sessions_dir, template_dirs
from facilitator.store.files import SessionCorrupt, StoreError, write_atomic
from facilitator.store.journal import load_session
from facilitator.store.store import SessionStore

SESSION_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_-]{0,95}"
JOIN_TOKEN_PATTERN = r"[A-Za-z0-9_-]{16,64}"
EXPORT_FORMAT = "facilitator-session"
EXPORT_VERSION = 1


class NotFound(LookupError):
    """No session or template by that name; the message says what there is."""


@dataclass(frozen=True, slots=True)
class SessionEntry:
    session_id: str
    path: Path
    title: str
    template_id: str
    created: float
    contributions: int
    participants: int


def new_join_token() -> str:
    """An unguessable token for the join URL (160 bits)."""
    return secrets.token_urlsafe(20)


class Templates:
    """The templates in the built-in, user and ``--templates`` folders (later ones win)."""

    def __init__(self, extra_dir: Path | None = None) -> None:
        self.dirs = template_dirs(extra_dir)

    def files(self) -> dict[str, Path]:
        return discover_templates(self.dirs)

    def load(self, name: str) -> Template:
        """A template by id, or by the path of a ``.toml`` file."""
        candidate = Path(name)
        if candidate.suffix == ".toml" and candidate.exists():
            return load_template(candidate)
        files = self.files()
        if name not in files:
            known = ", ".join(sorted(files)) or "none"
            raise NotFound(f"no template {name!r}; known templates: {known}")
        return load_template(files[name])

    def load_all(self) -> tuple[list[tuple[Template, Path]], list[TemplateError]]:
        """Every template that loads, and the errors of those that do not."""
        good: list[tuple[Template, Path]] = []
        bad: list[TemplateError] = []
        for path in self.files().values():
            try:
                good.append((load_template(path), path))
            except TemplateError as exc:
                bad.append(exc)
        return good, bad


class Library:
    """The sessions under one data directory: one TinyDB JSON file each."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.folder = sessions_dir(data_dir)

    def path_for(self, session_id: str) -> Path:
        return self.folder / f"{session_id}.json"

    def _new_session_id(self, template_id: str) -> str:
        stamp = time.strftime("%Y%m%d")
        while True:
            session_id = f"{template_id}-{stamp}-{secrets.token_hex(2)}"
            if not self.path_for(session_id).exists():
                return session_id

    def create(
        self,
        template: Template,
        *,
        title: str | None = None,
        lang: str | None = None,
        place: str = "",
    ) -> SessionStore:
        """A new session from a template, open and locked for writing."""
        lang = lang or template.default_lang
        session_id = self._new_session_id(template.id)
        return SessionStore.create(
            self.path_for(session_id),
            template,
            session_id=session_id,
            title=title or template.title.get(lang) or template.id,
            lang=lang,
            join_token=new_join_token(),
            place=place,
        )

    def session_ids(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.stem for p in self.folder.glob("*.json"))

    def resolve(self, ref: str) -> Path:
        """A session file from an id, a unique start of an id, or a path to a session file."""
        candidate = Path(ref)
        if candidate.suffix == ".json" and candidate.exists():
            return candidate
        ids = self.session_ids()
        if ref in ids:
            return self.path_for(ref)
        matches = [i for i in ids if i.startswith(ref)]
        if len(matches) == 1:
            return self.path_for(matches[0])
        if matches:
            raise NotFound(f"{ref!r} matches several sessions: {', '.join(matches)}")
        raise NotFound(
            f"no session {ref!r} in {self.folder}; `facilitator list` shows the sessions there"
        )

    def entries(self) -> list[SessionEntry]:
        """Every readable session, newest first. Damaged files are skipped (open names them)."""
        entries: list[SessionEntry] = []
        for session_id in self.session_ids():
            path = self.path_for(session_id)
            try:
                data, _ = load_session(path)
            except StoreError:
                continue
            doc = next(iter(data["session"].values()))
            entries.append(
                SessionEntry(
                    session_id=str(doc.get("session_id", session_id)),
                    path=path,
                    title=str(doc.get("title", "")),
                    template_id=str(doc.get("template_id", "")),
                    created=float(doc.get("created", 0.0)),  # type: ignore[arg-type]
                    contributions=len(data.get("contributions", {})),
                    participants=len(data.get("participants", {})),
                )
            )
        return sorted(entries, key=lambda e: e.created, reverse=True)

    # -- export and import ---------------------------------------------------------------------

    def export(self, ref: str) -> bytes:
        """One portable JSON document: the session file with a header saying what it is."""
        path = self.resolve(ref)
        data, _ = load_session(path)
        document = {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "tables": data}
        return orjson.dumps(document, option=orjson.OPT_INDENT_2)

    def import_file(self, file: Path) -> SessionEntry:
        """Add an exported session. An id that is taken gets a fresh one; nothing is overwritten."""
        tables = _read_export(file)
        info_doc = next(iter(tables["session"].values()))
        session_id = str(info_doc["session_id"])
        if self.path_for(session_id).exists():
            session_id = self._new_session_id(str(info_doc["template_id"]))
            info_doc["session_id"] = session_id
        path = self.path_for(session_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, orjson.dumps(tables))
        return SessionEntry(
            session_id=session_id,
            path=path,
            title=str(info_doc.get("title", "")),
            template_id=str(info_doc["template_id"]),
            created=float(info_doc.get("created", 0.0)),
            contributions=len(tables["contributions"]),
            participants=len(tables["participants"]),
        )


def is_export(file: Path) -> bool:
    """Whether ``file`` looks like a ``facilitator export`` (not a session file): a JSON object
    whose ``format`` says so. Anything unreadable is not; opening it will say why."""
    try:
        document = orjson.loads(file.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return False
    return isinstance(document, dict) and document.get("format") == EXPORT_FORMAT


def open_export(file: Path, folder: Path) -> SessionStore:
    """An exported session opened read-only without importing it into the library: checked as
    :meth:`Library.import_file` checks it, then written into ``folder`` (the caller's temporary
    one, never the data dir) and opened from there."""
    tables = _read_export(file)
    path = folder / f"export-{secrets.token_hex(6)}.json"
    write_atomic(path, orjson.dumps(tables))
    return SessionStore.open(path, read_only=True)


def _read_export(file: Path) -> dict[str, Any]:
    """Check an export thoroughly before anything is written; errors name the file and key."""
    try:
        document = orjson.loads(file.read_bytes())
    except OSError as exc:
        raise StoreError(file, f"{file}: cannot be read ({exc.strerror})") from None
    except orjson.JSONDecodeError as exc:
        raise StoreError(file, f"{file}: not valid JSON ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise StoreError(
            file,
            f"{file}: format: expected {EXPORT_FORMAT!r}; "
            "is this a file from `facilitator export`?",
        )
    if document.get("version") != EXPORT_VERSION:
        raise StoreError(
            file, f"{file}: version: expected {EXPORT_VERSION}, got {document.get('version')!r}"
        )
    tables = document.get("tables")
    if not isinstance(tables, dict):
        raise StoreError(file, f"{file}: tables: expected an object of tables")
    unknown = set(tables) - set(TABLES) - {"_default"}
    if unknown:
        raise StoreError(file, f"{file}: tables.{sorted(unknown)[0]}: unknown table")
    for name, cls in TABLES.items():
        table = tables.setdefault(name, {})
        if not isinstance(table, dict):
            raise StoreError(file, f"{file}: tables.{name}: expected an object of documents")
        for doc_id, doc in table.items():
            try:
                if not re.fullmatch(r"[1-9][0-9]*", doc_id):
                    raise ValueError(f"document id {doc_id!r} is not a positive number")
                if not isinstance(doc, dict):
                    raise ValueError(f"expected an object of fields, got {type(doc).__name__}")
                TypeAdapter(cls).validate_python({**doc, "id": int(doc_id)})
            except ValidationError as exc:
                error = exc.errors()[0]
                key = ".".join(str(part) for part in error["loc"])
                raise StoreError(
                    file, f"{file}: tables.{name}.{doc_id}.{key}: {error['msg'].lower()}"
                ) from None
            except (TypeError, ValueError) as exc:
                raise StoreError(file, f"{file}: tables.{name}.{doc_id}: {exc}") from None
    if len(tables["session"]) != 1:
        raise StoreError(file, f"{file}: tables.session: expected exactly one document")
    doc_id, info_doc = next(iter(tables["session"].items()))
    info = SessionInfo.from_doc(1, info_doc)
    # The id becomes a file name and the token part of a URL: nothing else may get through.
    for key, value, pattern in (
        ("session_id", info.session_id, SESSION_ID_PATTERN),
        ("template_id", info.template_id, SESSION_ID_PATTERN),
        ("join_token", info.join_token, JOIN_TOKEN_PATTERN),
    ):
        if not re.fullmatch(pattern, value):
            raise StoreError(
                file, f"{file}: tables.session.{doc_id}.{key}: {value!r} is not a valid {key}"
            )
    try:
        parse_template(info.template, f"{file}: tables.session.template")
    except TemplateError as exc:
        raise StoreError(file, str(exc)) from None
    return tables


__all__ = ["Library", "NotFound", "SessionCorrupt", "SessionEntry", "Templates"]
