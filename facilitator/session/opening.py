"""What a session file holds before the store keeps any of it: a new session's tables, an older
file brought up to date (:func:`migrate`) and checked like live input (:func:`prepare`), and the
secrets a session is made with."""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from pathlib import Path

from facilitator.core.joining import checked_tables
from facilitator.core.model import SCHEMA_VERSION, TABLES, RoundState, SessionInfo
from facilitator.core.templates import Template
from facilitator.session.documents import checked_session
from facilitator.session.files import SessionCorrupt
from facilitator.session.journal import Tables


def new_session(template: Template, *, session_id: str, title: str, lang: str, join_token: str,
                place: str = "", tables: Sequence[str] | None = None) -> Tables:
    """The tables of a new session: its one session document and a state per round.
    ``tables``: the session's tables (checked as :func:`~facilitator.core.joining.checked_tables`
    does); None: the template's."""
    info = SessionInfo(
        id=1,
        session_id=session_id,
        title=title,
        lang=lang,
        template_id=template.id,
        template=template.model_dump(mode="json"),
        join_token=join_token,
        created=time.time(),
        place=place,
        secret=new_session_secret(),
        organiser_secret=new_organiser_secret(),
        comoderator_secret=new_organiser_secret(),
        tables=template.table_groups if tables is None else checked_tables(tables),
    )
    data: Tables = {name: {} for name in TABLES}
    data["session"]["1"] = info.to_doc()
    for index, spec in enumerate(template.rounds, start=1):
        state = RoundState(round_id=spec.id, duration_s=spec.minutes * 60.0)
        data["rounds"][str(index)] = state.to_doc()
    return data


def new_session_secret() -> str:
    """The session's server-side secret (256 bits): device ids, form tokens, join codes and
    the wall's address are derived from it."""
    return secrets.token_urlsafe(32)


def new_organiser_secret() -> str:
    """The secret of a room's organiser link, or of its co-moderator's (192 bits)."""
    return secrets.token_urlsafe(24)


def prepare(path: Path, data: Tables) -> Tables:
    """What a session file holds, brought up to date and checked like live input, before the
    store keeps any of it (the session file's ``prepare`` hook)."""
    return checked_session(path, migrate(path, data))


def migrate(path: Path, data: Tables) -> Tables:
    """Bring an older session file up to :data:`SCHEMA_VERSION` (in memory; saved on next commit).

    Version 1 is the first; each later version adds a step here, e.g. ``if version < 2: ...``.
    """
    docs = data.get("session")
    if not isinstance(docs, dict) or len(docs) != 1:
        raise SessionCorrupt(path, "the 'session' table must hold exactly one document")
    info = next(iter(docs.values()))
    version = info.get("schema_version", 0) if isinstance(info, dict) else 0
    if not isinstance(version, int) or version < 1:
        raise SessionCorrupt(path, f"unknown schema version {version!r}")
    if version > SCHEMA_VERSION:
        raise SessionCorrupt(
            path,
            f"written by a newer facilitator (schema {version}, this one reads up to "
            f"{SCHEMA_VERSION}); upgrade facilitator to open it",
        )
    for name in TABLES:
        data.setdefault(name, {})
    for doc in data["session"].values():
        if not doc.get("secret"):  # sessions made before device cookies were signed
            doc["secret"] = new_session_secret()
    return data
