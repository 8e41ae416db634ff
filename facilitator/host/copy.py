"""The facilitator's copy of a session its host writes: what the screen reads, and the door
through which its changes go to the host.

:class:`SessionCopy` holds a :class:`~facilitator.session.store.SessionStore` opened read-only
(the same records, indexes and live read model as the host's) and keeps it in line with each
commit the host sends (:meth:`SessionCopy.apply`). Reads are that store's; every writing method
(:data:`WRITES`) is the store's own name and signature, sent to the host as a
:class:`~facilitator.host.frames.Call` and answered after its commit's changes, so the caller
reads its own change at once and the screen's code keeps reading
``await store.add_contribution(...)``.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from facilitator.collector import freeze_long_lived
from facilitator.core.joining import JoinCode
from facilitator.core.model import (
    TABLES,
    Action,
    Contribution,
    Flag,
    Note,
    Participant,
    RoundState,
    Sample,
    SessionInfo,
    Source,
    Theme,
)
from facilitator.host.frames import Call, Failure, RecordRef, encode, raised
from facilitator.session.batch import Written
from facilitator.session.files import StoreError
from facilitator.session.store import SessionStore

WRITES = (
    "join", "add_contribution", "edit_contribution", "withdraw", "cast_ballot", "ballot_items",
    "another_set", "update_contributions", "toggle_flag", "merge", "unmerge", "add_theme",
    "rename_theme", "remove_theme", "update_round", "go_to_round", "set_timer", "add_action",
    "add_note", "set_organiser_link", "set_comoderator_link", "revoke_card",
    "update_session", "edit_action", "remove_action", "edit_line", "remove_note", "set_details",
    "set_tables", "set_invited",
)
"""Every change a session makes (the store's coroutine methods but ``close``): what the copy
sends to the host, and all the host takes from it."""


def store_writes() -> Iterable[str]:
    """Every coroutine method of :class:`SessionStore` but ``close`` (a test holds
    :data:`WRITES` and :class:`SessionCopy` to it, so that no new change is forgotten here)."""
    for name, _method in inspect.getmembers(SessionStore, inspect.iscoroutinefunction):
        if not name.startswith("_") and name != "close":
            yield name


class Calls:
    """The copy's calls in flight: a number for each, its answer when it comes."""

    def __init__(self, path: Path, write: Callable[[bytes], None]) -> None:
        self.path = path
        self._write = write
        self._numbers = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self.gone: str | None = None
        """Why the host no longer answers (None while it does)."""

    def send(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
             ) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self.gone is not None:
            future.set_exception(StoreError(self.path, self.gone))
            return future
        number = next(self._numbers)
        self._waiting[number] = future
        self._write(encode(Call(number, name, args, kwargs)))
        return future

    def answered(self, number: int, result: Any) -> None:
        future = self._waiting.pop(number, None)
        if future is None or future.done():
            return
        if isinstance(result, Failure):
            future.set_exception(raised(self.path, result))
        else:
            future.set_result(result)

    def lost(self, why: str) -> None:
        """The host has gone: every call still waiting fails with ``why``, and so do later ones."""
        self.gone = why
        waiting, self._waiting = self._waiting, {}
        for future in waiting.values():
            if not future.done():
                future.set_exception(StoreError(self.path, why))


Send = Callable[[str, tuple[Any, ...], dict[str, Any]], "asyncio.Future[Any]"]
"""Ask the host to make a change: the method's name and arguments; the future holds the
answer as the host sent it."""


if TYPE_CHECKING:
    # For the type checker the copy is a session store: it has every read (through
    # ``__getattr__``) and every write (below, where mypy holds each signature to the store's).
    _Session = SessionStore
else:
    _Session = object


class SessionCopy(_Session):
    """The session as the host has written it, kept up to date by :meth:`apply`.

    Open with :meth:`follow` once the host holds the session and before it takes any change,
    so that the file and the changes sent afterwards together are every commit.
    """

    def __init__(self, reads: SessionStore, send: Send) -> None:
        self.reads = reads
        """The read side: a store opened read-only, into which the host's commits go."""
        self._send = send

    @classmethod
    def follow(cls, path: Path, send: Send) -> SessionCopy:
        """Read the session file (and its journal) as the host left it (run in a thread)."""
        copy = cls(SessionStore.open(path, read_only=True), send)
        freeze_long_lived()  # it lives as long as the session runs, as the host's store does
        return copy

    def __getattr__(self, name: str) -> Any:
        # Only what the copy does not define itself: the reads (records, indexes, read model,
        # ``info``, ``path``, ``subscribe``...).
        return getattr(self.reads, name)

    def apply(self, documents: Iterable[Written]) -> None:
        """Bring the records in line with one commit of the host, then tell the subscribers
        (the screen) as the host's store tells its own."""
        self.reads.take_in([(table, doc_id, None if body is None else
                             TABLES[table].from_doc(doc_id, orjson.loads(body)))
                            for table, doc_id, body in documents])

    def resolve(self, answer: Any) -> Any:
        """An answer from the host with its records as this copy holds them."""
        if isinstance(answer, RecordRef):
            return self.reads.record(answer.table, answer.id)
        if isinstance(answer, list):
            return [self.resolve(item) for item in answer]
        return answer

    async def close(self) -> None:
        await self.reads.close()

    async def _call(self, method: str, /, *args: Any, **kwargs: Any) -> Any:
        if self.reads.closed:
            raise StoreError(self.reads.path, f"{self.reads.path}: the session is closed")
        return self.resolve(await self._send(method, args, kwargs))

    # -- the writes: the store's names and signatures, made by the host ---------------------------

    async def join(self, device_id: str, *, lang: str, stakeholder: str = "", name: str = "",
                   consent_named: bool = False, table_group: str = "",
                   came_with: JoinCode | None = None) -> Participant:
        return await self._call("join", device_id, lang=lang, stakeholder=stakeholder, name=name,
                                consent_named=consent_named, table_group=table_group,
                                came_with=came_with)

    async def add_contribution(self, round_id: str, text: str, *, source: Source = Source.WEB,
                               author: str = "", table_group: str | None = None,
                               stakeholder: str | None = None, theme_id: int = 0, nonce: str = "",
                               links: tuple[int, ...] = ()) -> Contribution:
        return await self._call("add_contribution", round_id, text, source=source, author=author,
                                table_group=table_group, stakeholder=stakeholder,
                                theme_id=theme_id, nonce=nonce, links=links)

    async def edit_contribution(self, contribution_id: int, text: str, *,
                                device_id: str | None = None, was: str | None = None
                                ) -> Contribution:
        return await self._call("edit_contribution", contribution_id, text, device_id=device_id,
                                was=was)

    async def withdraw(self, contribution_id: int, device_id: str) -> Contribution:
        return await self._call("withdraw", contribution_id, device_id)

    async def cast_ballot(self, device_id: str, round_id: str, ballot: Mapping[int, int], *,
                          revision: int | None = None) -> int:
        return await self._call("cast_ballot", device_id, round_id, ballot, revision=revision)

    async def ballot_items(self, device_id: str, round_id: str) -> list[Contribution]:
        return await self._call("ballot_items", device_id, round_id)

    async def another_set(self, device_id: str, round_id: str) -> Sample:
        return await self._call("another_set", device_id, round_id)

    async def update_contributions(self, ids: Iterable[int], **fields: Any) -> list[Contribution]:
        return await self._call("update_contributions", ids, **fields)

    async def toggle_flag(self, contribution_id: int, flag: Flag) -> Contribution:
        return await self._call("toggle_flag", contribution_id, flag)

    async def merge(self, target_id: int, duplicate_ids: Iterable[int]) -> Contribution:
        return await self._call("merge", target_id, duplicate_ids)

    async def unmerge(self, contribution_id: int) -> Contribution:
        return await self._call("unmerge", contribution_id)

    async def add_theme(self, round_id: str, name: str) -> Theme:
        return await self._call("add_theme", round_id, name)

    async def rename_theme(self, theme_id: int, name: str) -> Theme:
        return await self._call("rename_theme", theme_id, name)

    async def remove_theme(self, theme_id: int) -> Theme:
        return await self._call("remove_theme", theme_id)

    async def update_round(self, round_id: str, **fields: Any) -> RoundState:
        return await self._call("update_round", round_id, **fields)

    async def go_to_round(self, index: int) -> SessionInfo:
        return await self._call("go_to_round", index)

    async def set_timer(self, round_id: str, *, running: bool | None = None,
                        add_minutes: float = 0.0, left_minutes: float | None = None,
                        reset: bool = False) -> RoundState:
        return await self._call("set_timer", round_id, running=running, add_minutes=add_minutes,
                                left_minutes=left_minutes, reset=reset)

    async def add_action(self, text: str, *, owner: str = "", due: str = "",
                         contribution_id: int = 0, round_id: str = "") -> Action:
        return await self._call("add_action", text, owner=owner, due=due,
                                contribution_id=contribution_id, round_id=round_id)

    async def edit_action(self, action_id: int, text: str, *, owner: str = "", due: str = ""
                          ) -> Action:
        return await self._call("edit_action", action_id, text, owner=owner, due=due)

    async def remove_action(self, action_id: int) -> Action:
        return await self._call("remove_action", action_id)

    async def add_note(self, round_id: str, text: str, *, addressed_to: Iterable[str] = ()
                       ) -> Note:
        return await self._call("add_note", round_id, text, addressed_to=addressed_to)

    async def edit_line(self, note_id: int, text: str, *, addressed_to: Iterable[str]) -> Note:
        return await self._call("edit_line", note_id, text, addressed_to=addressed_to)

    async def remove_note(self, note_id: int) -> Note:
        return await self._call("remove_note", note_id)

    async def set_organiser_link(self, *, on: bool) -> SessionInfo:
        return await self._call("set_organiser_link", on=on)

    async def set_comoderator_link(self, *, on: bool) -> SessionInfo:
        return await self._call("set_comoderator_link", on=on)

    async def revoke_card(self, table: str) -> SessionInfo:
        return await self._call("revoke_card", table)

    async def set_details(self, *, title: str, place: str = "", held_on: str = "") -> SessionInfo:
        return await self._call("set_details", title=title, place=place, held_on=held_on)

    async def set_tables(self, tables: Iterable[str]) -> SessionInfo:
        return await self._call("set_tables", tables)

    async def set_invited(self, invited: Mapping[str, int]) -> SessionInfo:
        return await self._call("set_invited", invited)

    async def update_session(self, **fields: Any) -> SessionInfo:
        return await self._call("update_session", **fields)
