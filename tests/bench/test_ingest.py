"""The ingest benchmark's baselines measure what they say: the stock TinyDB engine really writes
each commit with stock TinyDB (since issue 21 the store hands its storage each record encoded
once, and a baseline that took only the documents it was given wrote nothing, so stock TinyDB
looked as fast as the store)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tinydb import TinyDB

from bench.ingest import StockTinyDBFile, UnsyncedFile, open_with
from facilitator.core.model import Source
from facilitator.session.library import Library, Templates


async def test_the_stock_tinydb_baseline_writes_every_commit(
        library: Library, templates: Templates, tmp_path: Path) -> None:
    first = library.create(templates.load("kennisatelier"), title="Ingest")
    path = first.path
    await first.close()
    store = open_with(path, StockTinyDBFile)
    assert isinstance(store.file, StockTinyDBFile)
    store.file.attach_stock(tmp_path / "stock.json", store.snapshot())
    try:
        added = await store.add_contribution("knelpunten", "Wachtlijsten", source=Source.TUI)
        assert not store.file.staged
        with TinyDB(tmp_path / "stock.json") as stock:
            written = stock.table("contributions").get(doc_id=added.id)
        assert written is not None and written["text"] == "Wachtlijsten"
    finally:
        await store.close()


class Taking(UnsyncedFile):
    """The no-persistence engine, remembering what each commit took."""

    taken: list[dict[str, Any]]

    async def commit(self) -> None:
        self.taken = [*getattr(self, "taken", []), self.take()]


async def test_the_no_persistence_baseline_takes_each_commit_and_writes_nothing(
        library: Library, templates: Templates) -> None:
    first = library.create(templates.load("kennisatelier"), title="Ingest")
    path = first.path
    await first.close()
    store = open_with(path, Taking)
    assert isinstance(store.file, Taking)
    try:
        added = await store.add_contribution("knelpunten", "Wachtlijsten", source=Source.TUI)
        assert any(added.id in taken.get("contributions", {}) for taken in store.file.taken)
        assert not store.file.staged
        assert "Wachtlijsten" not in path.read_text(encoding="utf-8")  # nothing was written
    finally:
        await store.close()
