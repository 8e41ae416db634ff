"""The sessions and templates a user has: find, create, list, export and import them."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson

from facilitator.core.errors import Reason, Refused
from facilitator.core.model import Contribution
from facilitator.core.templates import (
    Template,
    TemplateError,
    discover_templates,
    load_template,
)
from facilitator.core.text import MAX_TITLE_CHARS, clean_text
from facilitator.paths import sessions_dir, template_dirs
from facilitator.session.documents import DocumentError, Tables, check_tables, checked_session
from facilitator.session.files import (
    FolderNotWritable,
    SessionCorrupt,
    StoreError,
    check_writable,
    make_folder,
    read_regular_file,
    real_session_path,
    write_atomic,
)
from facilitator.session.journal import load_session
from facilitator.session.opening import new_organiser_secret, new_session_secret
from facilitator.session.store import SessionStore

EXPORT_FORMAT = "facilitator-session"
EXPORT_NAME = "an export (the file `facilitator export` writes)"
EXPORT_VERSION = 1
MAX_EXPORT_BYTES = 128 << 20
"""An export of a session at the size we promise (20,000 items, 2,000 devices) is tens of MB;
a file past this is not one, and is refused before it is read into memory."""
ROOM_KEYS = ("secret", "join_token", "organiser_secret", "comoderator_secret")
"""What a session file holds that lets someone act as the room: the secret its join codes,
card codes, form tokens, wall address and moderation page are derived from, the join link's
token, the organiser link's secret and the co-moderator link's. An export leaves them out;
reading an export makes new ones."""


class NotFound(LookupError):
    """No session or template by that name; the message says what there is. ``kind``
    ("template", "session" or "several sessions"), ``name`` and ``choices`` let the command
    line say it in the facilitator's language."""

    def __init__(self, message: str, *, kind: str, name: str, choices: tuple[str, ...] = (),
                 folder: Path | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.name = name
        self.choices = choices
        self.folder = folder


@dataclass(frozen=True, slots=True)
class SessionEntry:
    session_id: str
    path: Path
    title: str
    template_id: str
    created: float
    contributions: int
    """The contributions that count (:attr:`Contribution.counted`: hidden ones and those
    awaiting approval left out, merged duplicates in), as the report and the audit count them."""
    participants: int
    problem: str = ""
    """Why the file cannot be opened ("" when it can); then ``created`` is the file's time."""

    @classmethod
    def of(cls, path: Path, tables: Tables) -> SessionEntry:
        info = next(iter(tables["session"].values()))
        return cls(
            session_id=info["session_id"],
            path=path,
            title=info["title"],
            template_id=info["template_id"],
            created=info["created"],
            contributions=sum(1 for doc_id, doc in tables["contributions"].items()
                              if Contribution.from_doc(int(doc_id), doc).counted),
            participants=len(tables["participants"]),
        )


def new_join_token() -> str:
    """An unguessable token for the join URL (160 bits)."""
    return secrets.token_urlsafe(20)


def new_room_keys() -> dict[str, str]:
    """Fresh :data:`ROOM_KEYS` for a session read from an export."""
    return {"secret": new_session_secret(), "join_token": new_join_token(),
            "organiser_secret": new_organiser_secret(),
            "comoderator_secret": new_organiser_secret()}


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
            raise NotFound(f"no template {name!r}; known templates: {known}",
                           kind="template", name=name, choices=tuple(sorted(files)))
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
        tables: Sequence[str] | None = None,
    ) -> SessionStore:
        """A new session from a template, open and locked for writing. The title and place
        are cleaned like any text typed in; one too long is refused. ``tables``: the session's
        tables (None: the template's)."""
        lang = lang or template.default_lang
        title = clean_text(title or "", multiline=False) or template.title.get(lang) or template.id
        place = clean_text(place, multiline=False)
        for what, text in (("title", title), ("place", place)):
            if len(text) > MAX_TITLE_CHARS:
                raise Refused(Reason.TOO_LONG, f"the {what} has {len(text):,} characters; "
                                               f"at most {MAX_TITLE_CHARS} fit")
        self.writable_folder()
        session_id = self._new_session_id(template.id)
        return SessionStore.create(
            self.path_for(session_id),
            template,
            session_id=session_id,
            title=title,
            lang=lang,
            join_token=new_join_token(),
            place=place,
            tables=tables,
        )

    def writable_folder(self) -> Path:
        """The sessions folder, made if need be; :class:`FolderNotWritable` if it cannot be
        made or written (a read-only disk, another user's folder)."""
        try:
            make_folder(self.folder)
        except OSError as exc:
            raise FolderNotWritable(self.folder, exc) from None
        check_writable(self.folder, self.folder / f".write-test.{os.getpid()}.tmp")
        return self.folder

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
            raise NotFound(f"{ref!r} matches several sessions: {', '.join(matches)}",
                           kind="several sessions", name=ref, choices=tuple(matches))
        raise NotFound(
            f"no session {ref!r} in {self.folder}; `facilitator list` shows the sessions there",
            kind="session", name=ref, folder=self.folder)

    def entries(self) -> list[SessionEntry]:
        """Every session, newest first. A file that cannot be opened is there too, with the
        reason in ``problem``: one bad file never hides the others."""
        entries: list[SessionEntry] = []
        for session_id in self.session_ids():
            path = self.path_for(session_id)
            try:
                entries.append(SessionEntry.of(path, check_tables(load_session(path)[0])))
            except (StoreError, DocumentError) as exc:
                problem = exc.problem if isinstance(exc, SessionCorrupt) else str(exc)
                try:
                    changed = path.stat().st_mtime
                except OSError:
                    changed = 0.0
                entries.append(SessionEntry(session_id=session_id, path=path, title="",
                                            template_id="", created=changed, contributions=0,
                                            participants=0, problem=problem))
        return sorted(entries, key=lambda e: e.created, reverse=True)

    # -- export and import ---------------------------------------------------------------------

    def export(self, ref: str) -> bytes:
        """One portable JSON document: the session file with a header saying what it is,
        without the room's keys (:data:`ROOM_KEYS`), so it can be handed on without handing on
        the room."""
        path = self.resolve(ref)
        data = checked_session(path, load_session(path)[0])
        for info in data["session"].values():
            for key in ROOM_KEYS:
                info.pop(key, None)
        document = {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "tables": data}
        return orjson.dumps(document, option=orjson.OPT_INDENT_2)

    def import_file(self, file: Path) -> SessionEntry:
        """Add an exported session. An id that is taken gets a fresh one; nothing is overwritten.
        The export is checked like a session file being opened, before anything is written; the
        copy gets keys of its own (never those of the room it came from)."""
        tables = _read_export(file)
        info = next(iter(tables["session"].values()))
        self.writable_folder()
        if self.path_for(info["session_id"]).exists():
            info["session_id"] = self._new_session_id(info["template_id"])
        path = real_session_path(self.path_for(info["session_id"]))
        try:
            write_atomic(path, orjson.dumps(tables))
        except OSError as exc:
            raise FolderNotWritable(path.parent, exc) from None
        return SessionEntry.of(path, tables)


def is_export(file: Path) -> bool:
    """Whether ``file`` looks like a ``facilitator export`` (not a session file): a JSON object
    whose ``format`` says so. Anything unreadable is not; opening it will say why."""
    try:
        document = orjson.loads(read_regular_file(file, MAX_EXPORT_BYTES, EXPORT_NAME))
    except (StoreError, orjson.JSONDecodeError):
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


def _read_export(file: Path) -> Tables:
    """Check an export thoroughly before anything is written; errors name the file and key."""
    try:
        document = orjson.loads(read_regular_file(file, MAX_EXPORT_BYTES, EXPORT_NAME))
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
    sessions = tables.get("session")
    for info in sessions.values() if isinstance(sessions, dict) else ():
        if isinstance(info, dict):  # anything else: check_tables says what is wrong
            info.update(new_room_keys())
    try:
        return check_tables(tables)
    except DocumentError as exc:
        raise StoreError(file, f"{file}: tables.{exc}") from None


__all__ = ["Library", "NotFound", "SessionCorrupt", "SessionEntry", "Templates"]
