"""``python -m bench host``: what the host does to send each commit to the screen's
copy of the session, and what the copy does to take it in, per changed record.

Measured on a real store (in a temp folder) with the host's own follower attached
(:meth:`SessionStore.subscribe_written` and the :class:`~facilitator.host.frames.Changed`
frame, as :mod:`facilitator.host.serve` sends it), against a baseline in the same run that does
what the host did before: each record turned into a document again and the documents pickled
(:func:`resent`). It also counts, with the real commit, how often a changed record is turned
into a document (``to_doc``) and encoded as JSON per commit.
"""

from __future__ import annotations

import asyncio
import pickle
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from facilitator.core.model import TABLES, Record
from facilitator.host.frames import Changed, decode, encode
from facilitator.session.batch import Written
from facilitator.session.library import Library, Templates
from facilitator.session.store import SessionStore


def resent(store: SessionStore, written: list[Written]) -> bytes:
    """The baseline: what the host sent before, each record's document made again from the
    record and pickled as a dict."""
    documents = []
    for table, doc_id, _body in written:
        record = store.record(table, doc_id)
        documents.append((table, doc_id, record.to_doc() if record is not None else None))
    return pickle.dumps(("changed", documents, time.monotonic()),
                        protocol=pickle.HIGHEST_PROTOCOL)


def taken_in_before(frame: bytes) -> int:
    _kind, documents, _at = pickle.loads(frame)
    return len([TABLES[t].from_doc(i, d) for t, i, d in documents if d is not None])


def taken_in_now(frame: bytes) -> int:
    message = decode(frame[4:])
    assert isinstance(message, Changed)
    return len([TABLES[t].from_doc(i, orjson.loads(b)) for t, i, b in message.documents
                if b is not None])


class Counted:
    """How often ``Record.to_doc`` and ``orjson.dumps`` run while it is on."""

    def __init__(self) -> None:
        self.to_doc = self.dumps = 0

    def __enter__(self) -> Counted:
        self._to_doc, self._dumps = Record.to_doc, orjson.dumps
        counted = self
        to_doc, dumps = self._to_doc, self._dumps

        def counting_to_doc(record: Record) -> dict[str, Any]:
            counted.to_doc += 1
            return to_doc(record)

        def counting_dumps(*args: Any, **kwargs: Any) -> bytes:
            counted.dumps += 1
            return dumps(*args, **kwargs)

        Record.to_doc = counting_to_doc  # type: ignore[method-assign,assignment]
        orjson.dumps = counting_dumps  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        Record.to_doc = self._to_doc  # type: ignore[method-assign]
        orjson.dumps = self._dumps  # type: ignore[assignment]


async def measure(folder: Path, records: int, commits: int) -> list[str]:
    store = Library(folder).create(Templates().load("kennisatelier"))
    try:
        await store.go_to_round(1)
        ids = []
        for n in range(records):
            item = await store.add_contribution("knelpunten", f"Knelpunt nummer {n} " * 4,
                                                author=f"device-{n % 50}")
            ids.append(item.id)
        sent: list[list[Written]] = []
        store.subscribe_written(sent.append)
        with Counted() as counted:
            await store.update_contributions(ids, theme_id=0, hidden=True)
        per_record = (counted.to_doc / records, counted.dumps / records)
        for n in range(commits):  # one commit each, every record changed
            await store.update_contributions(ids, hidden=bool(n % 2))
        frames = sent[-commits:]
        lines = [f"each of {records} changed records, in one commit: to_doc x"
                 f"{per_record[0]:.0f}, JSON-encoded x{per_record[1]:.0f} on the host"]

        def timed(work: Callable[[list[Written]], object]) -> float:
            started = time.process_time()
            for written in frames:
                work(written)
            return (time.process_time() - started) / (commits * records) * 1e6

        before_host = timed(lambda written: resent(store, written))
        now_host = timed(lambda written: encode(Changed(tuple(written))))
        old_frames = [resent(store, written) for written in frames]
        new_frames = [encode(Changed(tuple(written))) for written in frames]
        started = time.process_time()
        for frame in old_frames:
            taken_in_before(frame)
        before_copy = (time.process_time() - started) / (commits * records) * 1e6
        started = time.process_time()
        for frame in new_frames:
            taken_in_now(frame)
        now_copy = (time.process_time() - started) / (commits * records) * 1e6
        size_before = sum(map(len, old_frames)) / (commits * records)
        size_now = sum(map(len, new_frames)) / (commits * records)
        lines += [
            f"{'per changed record':<34}{'before (baseline)':>18}{'now':>10}",
            f"{'host: make the frame, µs':<34}{before_host:>18.2f}{now_host:>10.2f}",
            f"{'screen: take it in, µs':<34}{before_copy:>18.2f}{now_copy:>10.2f}",
            f"{'bytes on the wire':<34}{size_before:>18.0f}{size_now:>10.0f}",
        ]
        return lines
    finally:
        await store.close()


def run(quick: bool = False) -> int:
    records, commits = (200, 20) if quick else (2_000, 50)
    with tempfile.TemporaryDirectory() as folder:
        for line in asyncio.run(measure(Path(folder), records, commits)):
            print(line, flush=True)
    return 0
