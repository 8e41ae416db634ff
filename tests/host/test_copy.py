"""The TUI's copy of a session its host writes (facilitator.host.copy), here with the writing
store in the same process and every commit and answer through the frames: after a whole round
of joins, contributions, merges, themes, samples and ballots, the copy holds what the writer
holds and ranks the same way, and every refusal comes back as the same refusal."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import pytest

from facilitator.core.errors import Reason, Refused
from facilitator.core.model import Change, Flag
from facilitator.host.copy import WRITES, SessionCopy, store_writes
from facilitator.host.frames import (
    FRAMES,
    Answer,
    Call,
    Changed,
    CodeChanged,
    Failure,
    Go,
    Listening,
    NoServer,
    NotListening,
    NotOpened,
    Opened,
    RecordRef,
    Stop,
    decode,
    encode,
    failure,
    outgoing,
    raised,
)
from facilitator.session.files import StoreError, WriteFailed
from facilitator.session.library import Library, Templates
from facilitator.session.store import Busy, SessionStore


def crossed(message: Any) -> Any:
    """``message`` as the other end reads it."""
    return decode(encode(message)[4:])


def linked(writer: SessionStore) -> SessionCopy:
    """A copy fed by ``writer`` as the host feeds it, in frames: each commit's documents, then
    the answer to the call that made it."""
    copy: SessionCopy | None = None

    def send(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> asyncio.Future[Any]:
        call = crossed(Call(1, name, args, kwargs))

        async def answer() -> Any:
            try:
                result = outgoing(await getattr(writer, call.name)(*call.args, **call.kwargs))
            except Exception as exc:
                raise raised(writer.path, crossed(Answer(1, failure(exc))).result) from None
            return crossed(Answer(1, result)).result

        return asyncio.ensure_future(answer())

    def follow(written: Any) -> None:
        if copy is not None:
            copy.apply(crossed(Changed(tuple(written))).documents)

    writer.subscribe_written(follow)
    copy = SessionCopy.follow(writer.path, send)
    return copy


@pytest.fixture
async def writer(tmp_path: Path) -> Any:
    store = Library(tmp_path).create(Templates().load("kennisatelier"))
    yield store
    await store.close()


async def test_after_a_round_the_copy_holds_and_ranks_what_the_writer_does(
        writer: SessionStore) -> None:
    copy = linked(writer)
    heard: list[tuple[Change, ...]] = []
    copy.subscribe(heard.append)
    rng = random.Random(3)
    await copy.go_to_round(1)
    round_id = copy.current_round.id
    groups = ["municipality", "refugee_led", "funder", ""]
    for n in range(40):
        await writer.join(f"d{n}", lang="nl", stakeholder=groups[n % 4])
    ids = [(await writer.add_contribution(round_id, f"Knelpunt {n}", author=f"d{n % 40}")).id
           for n in range(60)]
    mine = await copy.add_contribution(round_id, "Van de facilitator")
    assert copy.contribution(mine.id) is mine
    merged = await copy.merge(ids[0], ids[1:3])
    assert copy.merged_into(merged.id) == writer.merged_into(merged.id)
    theme = await copy.add_theme(round_id, "Taal")
    await copy.update_contributions(ids[3:8], theme_id=theme.id)
    await copy.toggle_flag(ids[9], Flag.BOLD)
    await copy.update_round(round_id, voting_open=True)
    for n in range(40):
        items = await writer.ballot_items(f"d{n}", round_id)
        own = {c.id for c in writer.own_contributions(round_id, f"d{n}")}
        chosen = rng.sample([c for c in items if c.id not in own], 2)
        await writer.cast_ballot(f"d{n}", round_id, {chosen[0].id: 2, chosen[1].id: 1})
    await writer.update_contributions([ids[10]], hidden=True)

    assert copy.snapshot() == writer.snapshot()
    assert copy.ranking(round_id).ranked() == writer.ranking(round_id).ranked()
    assert copy.ranking(round_id).exposure_spread() == \
        writer.ranking(round_id).exposure_spread()
    assert copy.audit() == writer.audit()
    assert copy.participant_count == 40
    assert copy.ballot("d5", round_id) == writer.ballot("d5", round_id)
    assert any(c.table == "votes" and c.inserted for batch in heard for c in batch)
    again = SessionStore.open(writer.path, read_only=True)  # what the file says
    assert again.snapshot() == copy.snapshot()
    assert again.ranking(round_id).ranked() == copy.ranking(round_id).ranked()


async def test_a_refusal_reaches_the_caller_and_changes_nothing(writer: SessionStore) -> None:
    copy = linked(writer)
    await copy.go_to_round(1)
    before = copy.snapshot()
    with pytest.raises(Refused) as refused:
        await copy.cast_ballot("nobody", "knelpunten", {1: 1})
    assert refused.value.reason is Reason.VOTING_CLOSED
    assert copy.snapshot() == before == writer.snapshot()


async def test_a_record_gone_from_the_writer_goes_from_the_copy(
        writer: SessionStore) -> None:
    copy = linked(writer)
    note = await copy.add_note("checkin", "Een notitie")
    assert copy.notes("checkin") == [note]
    copy.apply([("notes", note.id, None)])
    assert copy.notes("checkin") == []


@pytest.mark.parametrize("error", [
    Refused(Reason.OVER_BUDGET, "5 dots"),
    Busy(Path("s.json"), "s.json: too many changes waiting"),
    WriteFailed(Path("s.json"), "s.json: disk full"),
    StoreError(Path("s.json"), "s.json: closed"),
    TypeError("unexpected keyword 'colour'"),
    KeyError("knelpunten"),
])
def test_an_error_crosses_as_the_same_kind_with_the_same_sentence(error: Exception) -> None:
    again = raised(Path("s.json"), crossed(Answer(1, failure(error))).result)
    assert type(again) is type(error)
    assert str(again) == str(error)
    if isinstance(error, Refused):
        assert isinstance(again, Refused)
        assert (again.reason, again.detail) == (error.reason, error.detail)


def test_an_unexpected_error_is_named() -> None:
    again = raised(Path("s.json"), failure(ZeroDivisionError("division by zero")))
    assert isinstance(again, RuntimeError)
    assert str(again) == "ZeroDivisionError: division by zero"


def test_every_change_a_store_makes_is_a_write_of_the_copy() -> None:
    """No new change of the store is forgotten: the copy sends each one to the host (and the
    host takes no other), under the store's own name."""
    assert set(store_writes()) == set(WRITES)
    assert all(name in vars(SessionCopy) for name in WRITES)


MESSAGES = [
    Opened(), NotOpened("locked"), Listening(8080, (4096, 1024, None)),
    NotListening(98, "Address already in use"), NoServer("no aiohttp"),
    Changed((("contributions", 3, b'{"text":"x"}'), ("votes", 9, None))),
    Answer(4, RecordRef("contributions", 3)), Answer(5, Failure("refused", "not_found", "")),
    CodeChanged(), Go(), Call(6, "add_note", ("checkin", "Een notitie"), {"addressed_to": ()}),
    Stop(),
]


@pytest.mark.parametrize("message", MESSAGES)
def test_every_frame_crosses_as_it_was_sent(message: Any) -> None:
    assert crossed(message) == message


def test_every_kind_of_frame_is_tried() -> None:
    assert {type(message) for message in MESSAGES} == set(FRAMES)
