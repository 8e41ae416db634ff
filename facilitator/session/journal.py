"""The durable commit engine: one session file plus an append-only journal beside it, as a TinyDB
storage.

``S.json`` is a complete TinyDB document (what an organiser opens in an editor, what
``facilitator export`` copies) as of some commit ``seq``, which it records in its ``journal``
table. ``S.json.journal`` holds one line per later commit: ``{"seq": n, "tables": {table:
{id: document or null}}}``. A commit appends its line and fsyncs it before anyone is told
"stored", so a commit costs what it changed, not the size of the session (rewriting a
20,000-contribution file on every commit wrote hundreds of MB a second at the promised load).

Every so often (:data:`COMPACT_BYTES` of journal, or :data:`COMPACT_EVERY_S` seconds) the
whole document is written again off the event loop (temp file, fsync, ``os.replace``, directory
fsync; the previous file becomes ``S.json.bak``) while commits go on appending; then the journal
is replaced by just the lines that came after that snapshot. Opening replays the journal's
lines after the file's ``seq``; a last line cut off by a crash was never acknowledged and is
ignored. At any moment, file plus journal hold everything acknowledged.

TinyDB's own contract (:meth:`read`, :meth:`write`: the whole database) works as with any
storage, so ``TinyDB(path, storage=SessionFile, read_only=True)`` reads a session, journal
included. The live store does not write through TinyDB's ``Table``: each table operation there
rebuilds the whole table (19 ms per call at 20,000 contributions); it stages the documents a
commit touched (:meth:`stage`) and commits them as one journal line (:meth:`commit`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage

from facilitator.session.files import (
    O_BINARY,
    SessionCorrupt,
    SessionLock,
    StoreError,
    WriteFailed,
    fsync_directory,
    read_session_file,
    write_atomic,
)

log = logging.getLogger(__name__)

Tables = dict[str, dict[str, Any]]

JOURNAL_TABLE = "journal"
"""The table in the session file that records which commit it holds (``{"1": {"seq": n}}``)."""
COMPACT_BYTES = 4 << 20
COMPACT_EVERY_S = 60.0
ENCODE_BLOCK = 256
"""Documents per block of encoded bytes: a compaction re-joins only the blocks that changed."""
READ_RETRIES = 5


def journal_path(path: Path) -> Path:
    return path.with_name(path.name + ".journal")


def _line(seq: int, changes: dict[str, dict[int, bytes | None]]) -> bytes:
    """One journal line from documents already encoded as ``"id":{...}`` (or None: removed)."""
    parts = []
    for table, docs in changes.items():
        body = b",".join(
            encoded if encoded is not None else orjson.dumps(str(doc_id)) + b":null"
            for doc_id, encoded in docs.items()
        )
        parts.append(orjson.dumps(table) + b":{" + body + b"}")
    return b'{"seq":%d,"tables":{' % seq + b",".join(parts) + b"}}\n"


def _replay(path: Path, data: Tables, base_seq: int, raw: bytes) -> int | None:
    """Apply the journal's lines after ``base_seq`` to ``data``; the last seq applied, or None
    when the journal starts after the file (the file was compacted meanwhile: read again)."""
    seq = base_seq
    lines = raw.split(b"\n")
    complete, tail = lines[:-1], lines[-1]
    if tail:
        log.warning("%s: ignoring a journal line cut off by a crash", journal_path(path))
    for number, line in enumerate(complete, start=1):
        try:
            entry = orjson.loads(line)
            line_seq = entry["seq"]
            tables = entry["tables"]
            if not isinstance(line_seq, int) or not isinstance(tables, dict):
                raise TypeError("seq and tables")
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            if number == len(complete) and not tail:
                log.warning("%s: ignoring a damaged last journal line", journal_path(path))
                break
            raise SessionCorrupt(path, f"journal line {number} is damaged ({exc})") from None
        if line_seq <= seq:
            continue
        if line_seq != seq + 1:
            if seq == base_seq and number == 1:
                return None
            raise SessionCorrupt(path, f"journal line {number}: commit {line_seq} after {seq}")
        for table, docs in tables.items():
            if not isinstance(docs, dict):
                raise SessionCorrupt(path, f"journal line {number}: {table} is not a table")
            target = data.setdefault(table, {})
            for doc_id, doc in docs.items():
                if doc is None:
                    target.pop(doc_id, None)
                else:
                    target[doc_id] = doc
        seq = line_seq
    return seq


def load_session(path: Path) -> tuple[Tables, int]:
    """The session's tables with the journal applied, and the last commit's seq."""
    for _ in range(READ_RETRIES):
        data = read_session_file(path)
        meta = data.pop(JOURNAL_TABLE, {}).get("1", {})
        base_seq = meta.get("seq", 0) if isinstance(meta, dict) else 0
        if not isinstance(base_seq, int):
            raise SessionCorrupt(path, f"{JOURNAL_TABLE}.1.seq is not a number")
        try:
            raw = journal_path(path).read_bytes()
        except FileNotFoundError:
            return data, base_seq
        except OSError as exc:
            raise StoreError(path, f"{journal_path(path)}: cannot be read ({exc.strerror})"
                             ) from None
        seq = _replay(path, data, base_seq, raw)
        if seq is not None:
            return data, seq
    raise StoreError(path, f"{path}: the session kept changing while it was read; try again")


class SessionFile(Storage):
    """TinyDB storage for one session file and its journal (see the module docstring).

    Open for writing (the default), it holds the single-writer lock until :meth:`close`.
    """

    def __init__(self, path: str | Path, *, read_only: bool = False,
                 create: Tables | None = None,
                 prepare: Callable[[Path, Tables], Tables] | None = None) -> None:
        """``create``: write a new file with these tables (it must not exist yet).
        ``prepare``: checks (and may clean or migrate) what was read, before anything is kept;
        what it returns is what the file holds from then on."""
        self.path = Path(path)
        self.read_only = read_only
        self._lock = None if read_only else SessionLock(self.path)
        self._encoded: dict[str, dict[int, dict[int, bytes]]] = {}
        self._block_bytes: dict[tuple[str, int], bytes] = {}
        self._staged: dict[str, dict[int, bytes | None]] = {}
        self._journal_fd: int | None = None
        self._journal_bytes = 0
        self._broken = False
        """A journal append failed and could not be cut back: the next commit writes the whole
        file instead."""
        self._compaction: asyncio.Task[None] | None = None
        self._since_snapshot: list[bytes] = []
        self._last_compaction = time.monotonic()
        if self._lock is not None:
            self._lock.acquire(self.path)
        # A file this call creates is removed again if opening fails after it was written, so
        # a failed `facilitator new` leaves no session behind.
        ours = False
        try:
            if create is not None:
                if self.path.exists():
                    raise FileExistsError(self.path)
                ours = True
                loaded, self._seq = {name: dict(docs) for name, docs in create.items()}, 0
                write_atomic(self.path, self._document(loaded, 0))
            else:
                loaded, self._seq = load_session(self.path)
            if prepare is not None:
                loaded = prepare(self.path, loaded)
            if not read_only:
                for table, docs in loaded.items():
                    self._encoded.setdefault(table, {})  # an empty table stays in the file
                    for key, doc in docs.items():
                        self._encode(table, _doc_id(self.path, table, key), doc)
                if journal_path(self.path).exists():
                    self._compact_now()  # fold the journal into the file: start small, empty
                else:
                    self._open_journal()
        except BaseException:
            if ours:
                with contextlib.suppress(OSError):
                    self.path.unlink(missing_ok=True)
                    journal_path(self.path).unlink(missing_ok=True)
            self.close()
            raise
        self._loaded: Tables | None = loaded

    # -- TinyDB's storage contract ---------------------------------------------------------

    def read(self) -> Tables:
        """The whole database. The first read after opening hands over what was loaded; later
        reads decode the current documents (a full pass: for tools, not for the hot path)."""
        loaded = self._loaded
        if loaded is not None:
            if not self.read_only:
                self._loaded = None  # from now on the encoded documents are the truth
            return loaded
        return orjson.loads(b"".join(self._chunks()))  # type: ignore[no-any-return]

    def write(self, data: Tables) -> None:
        """Replace the whole database (TinyDB's own write): the file is rewritten at once."""
        self._refuse_if_read_only()
        self._encoded.clear()
        self._block_bytes.clear()
        self._staged.clear()
        for table, docs in data.items():
            for key, doc in docs.items():
                self._encode(table, int(key), doc)
        self._seq += 1
        self._compact_now()

    def close(self) -> None:
        """Release the lock without writing (see :meth:`aclose` for the orderly close)."""
        if self._journal_fd is not None:
            os.close(self._journal_fd)
            self._journal_fd = None
        self._release()

    # -- the group commit ------------------------------------------------------------------

    def stage(self, table: str, doc_id: int, doc: dict[str, Any] | None) -> None:
        """Set (or, for None, remove) a document in the next commit. Encoded once, here: the
        same bytes go into the journal line and, later, into the compacted file."""
        self._refuse_if_read_only()
        encoded = self._encode(table, doc_id, doc)
        self._staged.setdefault(table, {})[doc_id] = encoded

    def stage_encoded(self, table: str, doc_id: int, body: bytes) -> None:
        """:meth:`stage` a document its owner has encoded already (``orjson.dumps(doc)``), so
        that a commit encodes each changed record once."""
        self._refuse_if_read_only()
        self._staged.setdefault(table, {})[doc_id] = self._encode_body(table, doc_id, body)

    @property
    def staged(self) -> bool:
        return bool(self._staged)

    async def commit(self) -> None:
        """Make what is staged durable (one journal line, fsynced, written in a thread).

        Raises :class:`WriteFailed` when the disk refuses; the staged documents are then
        dropped from the journal (the caller restores its records and stages them again).
        """
        await self._finish_compaction()
        if not self._staged:
            return
        staged, self._staged = self._staged, {}
        if self._broken:
            # The journal's end could not be cut back after a failed append: write the whole
            # file instead (it holds what is staged), which also starts a clean journal.
            try:
                await asyncio.to_thread(self._compact_now)
            except OSError as exc:
                raise WriteFailed(self.path, f"{self.path}: could not write ({exc.strerror})"
                                  ) from None
            self._seq += 1
            return
        line = _line(self._seq + 1, staged)
        try:
            await asyncio.to_thread(self._append, line)
        except OSError as exc:
            log.error("could not write %s: %s", journal_path(self.path), exc)
            raise WriteFailed(self.path, f"{self.path}: could not write ({exc.strerror})"
                              ) from None
        self._seq += 1
        if self._compaction is not None:
            self._since_snapshot.append(line)
        elif self._journal_bytes >= COMPACT_BYTES or (
                time.monotonic() - self._last_compaction >= COMPACT_EVERY_S):
            self._start_compaction()

    async def aclose(self) -> None:
        """Finish any compaction, fold the journal into the file, close and unlock."""
        try:
            if not self.read_only:
                if self._compaction is not None:
                    await asyncio.wait([self._compaction])
                await self._finish_compaction()
                if self._journal_bytes or self._broken:
                    await asyncio.to_thread(self._compact_now, reopen=False)
                else:
                    self._replace_journal(b"", reopen=False)
        finally:
            self.close()

    # -- the journal -----------------------------------------------------------------------

    def _open_journal(self) -> None:
        target = journal_path(self.path)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND | O_BINARY, 0o644)
        try:
            # A new journal's name must be durable before a line in it is acknowledged: fsyncing
            # the file does not make its folder entry durable (lost in a power cut otherwise).
            fsync_directory(target.parent)
        except BaseException:
            os.close(fd)
            raise
        self._journal_fd = fd
        self._journal_bytes = os.fstat(fd).st_size

    def _append(self, line: bytes) -> None:
        """Append one line and fsync it (worker thread). A failed append is cut back off."""
        fd = self._journal_fd
        assert fd is not None, "the journal is open while the session is"
        good = self._journal_bytes
        try:
            view = memoryview(line)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        except OSError:
            try:
                os.ftruncate(fd, good)
            except OSError:
                self._broken = True
            raise
        self._journal_bytes = good + len(line)

    # -- compaction ------------------------------------------------------------------------

    def _start_compaction(self) -> None:
        chunks = self._chunks(seq=self._seq)
        self._since_snapshot = []
        self._compaction = asyncio.get_running_loop().create_task(
            asyncio.to_thread(write_atomic, self.path, chunks, keep_backup=True),
            name="session-compaction")

    async def _finish_compaction(self) -> None:
        """Once a compaction's file is in place, keep only the journal lines written since."""
        task = self._compaction
        if task is None or not task.done():
            return
        self._compaction = None
        self._last_compaction = time.monotonic()
        if task.exception() is not None:
            log.warning("could not rewrite %s (the journal keeps everything): %s",
                        self.path, task.exception())
            return
        rest, self._since_snapshot = b"".join(self._since_snapshot), []
        await asyncio.to_thread(self._replace_journal, rest)
        self._broken = False

    def _compact_now(self, *, reopen: bool = True) -> None:
        """Write the whole file and start an empty journal (opening, closing, TinyDB writes)."""
        write_atomic(self.path, self._chunks(seq=self._seq), keep_backup=True)
        self._last_compaction = time.monotonic()
        self._replace_journal(b"", reopen=reopen)
        self._broken = False

    def _replace_journal(self, content: bytes, *, reopen: bool = True) -> None:
        if self._journal_fd is not None:
            os.close(self._journal_fd)
            self._journal_fd = None
        target = journal_path(self.path)
        if content:
            write_atomic(target, content)
        else:
            target.unlink(missing_ok=True)
            fsync_directory(target.parent)
        if reopen and not self.read_only:
            self._open_journal()

    # -- encoding --------------------------------------------------------------------------

    def _encode(self, table: str, doc_id: int, doc: dict[str, Any] | None) -> bytes | None:
        return self._encode_body(table, doc_id, None if doc is None else orjson.dumps(doc))

    def _encode_body(self, table: str, doc_id: int, body: bytes | None) -> bytes | None:
        block = self._encoded.setdefault(table, {}).setdefault(doc_id // ENCODE_BLOCK, {})
        self._block_bytes.pop((table, doc_id // ENCODE_BLOCK), None)
        if body is None:
            block.pop(doc_id, None)
            return None
        encoded = b'"%d":' % doc_id + body  # the id as a JSON key: what orjson would write
        block[doc_id] = encoded
        return encoded

    def _chunks(self, seq: int | None = None) -> list[bytes]:
        """The TinyDB document as chunks to write one after the other; blocks are joined only
        when one of their documents changed, so this costs what changed since last time."""
        chunks = [b"{"]
        for t, (table, blocks) in enumerate(self._encoded.items()):
            chunks.append((b"," if t else b"") + orjson.dumps(table) + b":{")
            first = True
            for number in sorted(blocks):
                if not blocks[number]:
                    continue
                body = self._block_bytes.get((table, number))
                if body is None:
                    body = self._block_bytes[(table, number)] = b",".join(
                        blocks[number].values())
                chunks.append(body if first else b"," + body)
                first = False
            chunks.append(b"}")
        if seq is not None:
            chunks.append((b"," if self._encoded else b"") +
                          b'"%s":{"1":{"seq":%d}}' % (JOURNAL_TABLE.encode(), seq))
        chunks.append(b"}")
        return chunks

    @staticmethod
    def _document(data: Tables, seq: int) -> bytes:
        return orjson.dumps({**data, JOURNAL_TABLE: {"1": {"seq": seq}}})

    def _refuse_if_read_only(self) -> None:
        if self.read_only:
            raise RuntimeError(f"{self.path}: the session is open read-only")

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None


def _doc_id(path: Path, table: str, key: str) -> int:
    if not (isinstance(key, str) and key.isascii() and key.isdigit() and key[0] != "0"):
        raise SessionCorrupt(path, f"{table}: document id {key!r} is not a positive number")
    return int(key)


def tables_of(data: Tables, names: Iterable[str]) -> Tables:
    """``data`` with exactly the tables ``names`` (missing ones empty, others left out)."""
    return {name: data.get(name, {}) for name in names}
