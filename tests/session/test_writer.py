"""The group commit's single writer (session/writer.py) on its own, and what the store gives it:
each changed record encoded once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from facilitator.core.model import Contribution, Source
from facilitator.session.journal import load_session
from facilitator.session.store import SessionStore
from facilitator.session.writer import Writer


class Notes:
    """A unit of work that is a list of words, written into ``disk``."""

    def __init__(self, disk: list[list[str]]) -> None:
        self.words: list[str] = []
        self.disk = disk

    def mark(self) -> int:
        return len(self.words)

    def undo(self, to: int = 0) -> None:
        del self.words[to:]

    def seal(self, since: int) -> None:
        if "unwritable" in self.words[since:]:
            raise ValueError("cannot be written")


def writer(disk: list[list[str]], *, fail: bool = False) -> tuple[Writer[Notes], list[Notes]]:
    done: list[Notes] = []

    async def write(work: Notes) -> None:
        if fail:
            work.undo()
            raise OSError("disk full")
        disk.append(list(work.words))

    return Writer(begin=lambda: Notes(disk), write=write, done=done.append,
                  batch_s=lambda: 60.0), done


def adding(word: str) -> Any:
    def change(work: Notes) -> int:
        work.words.append(word)
        if word == "refused":
            raise LookupError(word)
        return len(work.words)

    return change


async def test_one_group_one_write_a_refused_change_fails_alone() -> None:
    disk: list[list[str]] = []
    one, done = writer(disk)
    results = await asyncio.gather(
        one.submit(adding("a")), one.submit(adding("refused")), one.submit(adding("unwritable")),
        one.submit(adding("b")), return_exceptions=True)
    assert results[0] == 1 and results[3] == 2
    assert isinstance(results[1], LookupError) and isinstance(results[2], ValueError)
    assert disk == [["a", "b"]], "one write, without the refused changes"
    assert len(done) == 1
    await one.close()


async def test_a_change_whose_caller_left_is_not_run_and_a_failed_write_fails_all() -> None:
    disk: list[list[str]] = []
    one, done = writer(disk, fail=True)
    kept = one.submit(adding("a"))
    gone = one.submit(adding("b"))
    gone.cancel()
    with pytest.raises(OSError, match="disk full"):
        await kept
    assert done == [] and disk == []
    await one.close()
    assert one.task is not None and one.task.done()


async def test_a_commit_encodes_each_changed_record_once(
        store: SessionStore, monkeypatch: pytest.MonkeyPatch) -> None:
    encoded: list[int] = []
    to_doc = Contribution.to_doc

    def counted(self: Contribution) -> dict[str, Any]:
        encoded.append(self.id)
        return to_doc(self)

    monkeypatch.setattr(Contribution, "to_doc", counted)
    items = await asyncio.gather(*[store.add_contribution("checkin", f"idee {n}",
                                                          source=Source.TUI)
                                   for n in range(5)])
    assert sorted(encoded) == sorted(item.id for item in items)
    await store.close()
    data, _ = load_session(store.path)
    assert sorted(doc["text"] for doc in data["contributions"].values()) == [
        f"idee {n}" for n in range(5)]
