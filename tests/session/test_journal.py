"""The commit engine: a journal line per commit, replayed on open, folded into the file."""

from __future__ import annotations

import asyncio
import errno
import os
from pathlib import Path
from typing import Any

import orjson
import pytest
from tinydb import TinyDB

import facilitator.session.files as files_module
import facilitator.session.journal as journal_module
from facilitator.core.model import Source
from facilitator.session.files import SessionCorrupt, StoreError, WriteFailed, backup_path
from facilitator.session.journal import SessionFile, journal_path, load_session
from facilitator.session.library import Library, Templates
from facilitator.session.store import SessionStore


def base(path: Path) -> dict[str, Any]:
    return orjson.loads(path.read_bytes())  # type: ignore[no-any-return]


async def test_a_commit_is_one_journal_line_and_leaves_the_file_alone(
    store: SessionStore,
) -> None:
    before = store.path.read_bytes()
    await store.add_contribution("checkin", "een", source=Source.TUI)
    await asyncio.gather(*[store.add_contribution("checkin", f"n{i}", source=Source.TUI)
                           for i in range(20)])
    assert store.path.read_bytes() == before, "the whole file is not rewritten per commit"
    lines = journal_path(store.path).read_bytes().splitlines()
    assert 2 <= len(lines) <= 4
    first = orjson.loads(lines[0])
    assert next(iter(first["tables"]["contributions"].values()))["text"] == "een"
    assert [orjson.loads(line)["seq"] for line in lines] == list(range(1, len(lines) + 1))
    texts = {d["text"] for d in load_session(store.path)[0]["contributions"].values()}
    assert texts == {"een", *(f"n{i}" for i in range(20))}


async def test_closing_folds_the_journal_into_the_file(store: SessionStore) -> None:
    await store.add_contribution("checkin", "bewaard", source=Source.TUI)
    await store.close()
    assert not journal_path(store.path).exists()
    data = base(store.path)
    assert [d["text"] for d in data["contributions"].values()] == ["bewaard"]
    assert data["journal"]["1"]["seq"] >= 1


async def test_opening_replays_the_journal_and_ignores_a_cut_off_last_line(
    library: Library, templates: Templates
) -> None:
    store = library.create(templates.load("kennisatelier"))
    for text in ("een", "twee"):
        await store.add_contribution("checkin", text, source=Source.TUI)
    path = store.path
    store.file.close()  # as if the process died: no folding in, the lock goes with it
    with journal_path(path).open("ab") as journal:
        journal.write(b'{"seq":3,"tables":{"contributions":{"9":{"round_id":"chec')  # a crash
    data, seq = load_session(path)
    assert seq == 2 and [d["text"] for d in data["contributions"].values()] == ["een", "twee"]
    again = SessionStore.open(path)
    try:
        assert [c.text for c in again.contributions("checkin")] == ["een", "twee"]
        assert journal_path(path).read_bytes() == b"", "opened for writing, it starts clean"
        assert len(base(path)["contributions"]) == 2
        later = await again.add_contribution("checkin", "drie", source=Source.TUI)
        assert later.id == 3
    finally:
        await again.close()


def test_a_damaged_line_in_the_middle_is_refused(tmp_path: Path, library: Library,
                                                 templates: Templates) -> None:
    store = library.create(templates.load("kennisatelier"))
    path = store.path
    store.file.close()
    journal_path(path).write_bytes(b'{"seq":1,"tables":{}}\nnot json\n{"seq":3,"tables":{}}\n')
    with pytest.raises(SessionCorrupt, match="journal line 2"):
        SessionStore.open(path, read_only=True)


def test_a_journal_that_starts_after_the_file_is_read_again(
    library: Library, templates: Templates, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader that read the file just before a compaction replaced it (and the journal
    with it) sees a journal that starts after its file: it reads both again."""
    store = library.create(templates.load("kennisatelier"))
    path = store.path
    store.file.close()
    old = path.read_bytes()
    new = base(path)
    new["journal"]["1"]["seq"] = 5
    new["session"]["1"]["place"] = "Na de compactie"
    journal_path(path).write_bytes(b'{"seq":6,"tables":{"session":{"1":' +
                                   orjson.dumps({**new["session"]["1"], "place": "Zes"}) +
                                   b"}}}\n")
    reads = iter([old, orjson.dumps(new)])
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self == path:
            return next(reads)
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    data, seq = load_session(path)
    assert seq == 6 and data["session"]["1"]["place"] == "Zes"


async def test_compaction_runs_beside_new_commits_and_loses_nothing(
    store: SessionStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal_module, "COMPACT_BYTES", 2000)
    for wave in range(10):
        await asyncio.gather(*[store.add_contribution("checkin", f"w{wave} n{i}",
                                                      source=Source.TUI) for i in range(15)])
        await asyncio.sleep(0.01)
    assert backup_path(store.path).exists(), "a compaction ran (and kept the last good copy)"
    assert len(base(store.path)["contributions"]) > 15, "the file itself caught up"
    assert journal_path(store.path).stat().st_size < 20_000, "the journal was cut back"
    reader = SessionStore.open(store.path, read_only=True)
    assert len(reader.contributions("checkin")) == 150
    await store.close()
    assert len(base(store.path)["contributions"]) == 150


async def test_a_failed_append_is_cut_back_and_the_next_commit_goes_through(
    store: SessionStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.add_contribution("checkin", "vooraf", source=Source.TUI)
    size = journal_path(store.path).stat().st_size
    real_fsync = os.fsync
    calls = {"n": 0}

    def failing_fsync(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError(errno.EIO, "Input/output error")
        real_fsync(fd)

    monkeypatch.setattr(journal_module.os, "fsync", failing_fsync)
    with pytest.raises(WriteFailed):
        await store.add_contribution("checkin", "verloren", source=Source.TUI)
    assert journal_path(store.path).stat().st_size == size, "the half line is gone"
    await store.add_contribution("checkin", "daarna", source=Source.TUI)
    texts = [d["text"] for d in load_session(store.path)[0]["contributions"].values()]
    assert texts == ["vooraf", "daarna"]


async def test_after_a_failed_append_a_crash_loses_nothing_acknowledged(
    library: Library, templates: Templates, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows opens a file in text mode unless told otherwise: its lines would end in CRLF while
    the journal counts LF bytes, so cutting back a failed append cut into the line before, and
    the next commit was glued to it. Acknowledged input was then gone after a crash."""
    store = library.create(templates.load("kennisatelier"))
    await store.add_contribution("checkin", "vooraf", source=Source.TUI)
    real_fsync = os.fsync
    failures = iter([True])

    def fsync_failing_once(fd: int) -> None:
        if next(failures, False):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(journal_module.os, "fsync", fsync_failing_once)
    with pytest.raises(WriteFailed):
        await store.add_contribution("checkin", "verloren", source=Source.TUI)
    await store.add_contribution("checkin", "daarna", source=Source.TUI)
    path = store.path
    store.file.close()  # a crash: nothing folded in, the lock goes with the process
    journal = journal_path(path).read_bytes()
    again = SessionStore.open(path)
    try:
        assert [c.text for c in again.contributions("checkin")] == ["vooraf", "daarna"]
    finally:
        await again.close()
    assert b"\r" not in journal, "one LF per line, as the journal counts"


def test_a_new_session_whose_file_cannot_be_made_durable_leaves_nothing_behind(
    library: Library, templates: Templates, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is in place, but making its name durable fails (as opening a folder did on
    Windows): `facilitator new` fails, and no half-made session stays in the list."""

    def refused(path: Path) -> None:
        raise PermissionError(errno.EACCES, "Access is denied", str(path.parent))

    monkeypatch.setattr(files_module, "sync_replaced", refused)
    with pytest.raises(PermissionError):
        library.create(templates.load("kennisatelier"))
    assert library.session_ids() == []
    assert not [p for p in library.folder.iterdir() if not p.name.endswith(".lock")]


async def test_when_the_end_cannot_be_cut_back_the_next_commit_rewrites_the_file(
    store: SessionStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.add_contribution("checkin", "vooraf", source=Source.TUI)

    def broken(file: SessionFile, line: bytes) -> None:
        file._broken = True
        raise OSError(errno.EIO, "Input/output error")

    with monkeypatch.context() as patch:
        patch.setattr(SessionFile, "_append", broken)
        with pytest.raises(WriteFailed):
            await store.add_contribution("checkin", "verloren", source=Source.TUI)
    # the journal may now end in garbage: the whole file is written instead
    with journal_path(store.path).open("ab") as journal:
        journal.write(b'{"seq":99, half')
    await store.add_contribution("checkin", "daarna", source=Source.TUI)
    assert [d["text"] for d in base(store.path)["contributions"].values()] == ["vooraf", "daarna"]
    assert not journal_path(store.path).read_bytes().strip()


async def test_tinydb_reads_a_running_session_through_its_storage(store: SessionStore) -> None:
    await store.add_contribution("checkin", "live", source=Source.TUI)
    with TinyDB(store.path, storage=SessionFile, read_only=True) as db:
        assert [d["text"] for d in db.table("contributions").all()] == ["live"]
    # and the live store's own storage reads the current documents too
    assert [d["text"] for d in store.file.read()["contributions"].values()] == ["live"]


def test_a_missing_journal_folder_entry_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no such session file"):
        load_session(tmp_path / "nope.json")
