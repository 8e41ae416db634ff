"""The session file on disk: atomic writes, the single-writer lock, the last good copy."""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
import stat
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

if sys.platform == "win32":
    import msvcrt
else:
    import fcntl

log = logging.getLogger(__name__)

O_BINARY: int = getattr(os, "O_BINARY", 0)
"""Part of every ``os.open`` flag set: without it Windows opens a file in text mode, writes
``\r\n`` for each ``\n`` and no longer agrees with us on where a line ends."""


class StoreError(Exception):
    """A session file that cannot be used; the message names the file and what to do."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path = path


class SessionLocked(StoreError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            path,
            f"{path}: this session is open in another facilitator process; "
            "close that one first (only one process may write a session).",
        )


class SessionLinked(StoreError):
    """A session file with a second name (a hard link): a writer under the other name would not
    be stopped by the lock, and the first save would silently cut the link."""

    def __init__(self, path: Path, links: int) -> None:
        super().__init__(
            path,
            f"{path}: this session file has {links} names (hard links); a session file must "
            "have exactly one. Remove the other links, or copy the file (`cp`) to give the "
            "copy a name of its own.",
        )


class FolderNotWritable(StoreError):
    """The data folder (or the folder of a session) cannot be written."""

    def __init__(self, folder: Path, error: OSError) -> None:
        super().__init__(
            folder,
            f"{folder}: cannot write in this folder ({error.strerror or error}); sessions need "
            "a folder this user may write. Make it writable, or choose another one with "
            "--data-dir DIR (or $FACILITATOR_DATA_DIR).",
        )


class SessionCorrupt(StoreError):
    def __init__(self, path: Path, problem: str) -> None:
        self.backup = backup_path(path)
        self.problem = problem
        hint = (
            f" The last good copy is {self.backup}; to use it, move the damaged file aside "
            f"and copy the backup to {path.name}."
            if self.backup.exists()
            else " No backup copy exists."
        )
        super().__init__(
            path, f"{path}: not a readable session file ({problem}); it was left untouched.{hint}"
        )


class WriteFailed(StoreError):
    """The change could not be made durable (disk full, read-only disk...). It was not stored."""


# -- the session file and its sidecar files ----------------------------------------------------
#
# Every file kept beside a session is named from the session's real path, so two names for one
# session can never mean two locks: the lock, the backup, temp files, the journal
# (``journal.journal_path``), the facilitator's view and the page's address (below).


def real_session_path(path: Path) -> Path:
    """The file a session path names, with every symbolic link resolved (also in its folders).

    Whatever path names a session (a symlink, a symlinked folder, a relative path), its lock and
    sidecar files are those of this one path.
    """
    return Path(os.path.realpath(path))


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def view_path(path: Path) -> Path:
    """The facilitator's view of the session (view, filters, cursor): the TUI's own file, never
    in the session document, so that moving the cursor is no commit that phones hear of."""
    return path.with_name(path.name + ".view")


def address_path(path: Path) -> Path:
    """Where the session's participant page last ran (its base URL), written by the server,
    read by ``facilitator cards`` in another process."""
    return path.with_name(path.name + ".address")


SIDECAR_LIMIT = 64 * 1024
"""The most a view or address file may hold (both hold a few dozen bytes)."""


def write_sidecar(path: Path, data: dict[str, Any]) -> None:
    """Write a small sidecar file (:func:`view_path`, :func:`address_path`) as JSON, whole or
    not at all."""
    write_atomic(path, orjson.dumps(data))


def read_sidecar(path: Path) -> dict[str, Any] | None:
    """A sidecar's JSON object; None when there is none, or it cannot be read or is not one
    (then said in the log: a sidecar is a convenience, never a reason to refuse a session)."""
    try:
        data = orjson.loads(read_regular_file(path, SIDECAR_LIMIT, "a sidecar file"))
    except StoreError as exc:
        if os.path.lexists(path):
            log.warning("%s", exc)
        return None
    except orjson.JSONDecodeError as exc:
        log.warning("%s: not JSON, ignored (%s)", path, exc)
        return None
    if not isinstance(data, dict):
        log.warning("%s: not a JSON object, ignored", path)
        return None
    return data


def temp_path(path: Path, kind: str = "") -> Path:
    """A temp file of this process beside ``path`` (the session or one of its sidecars):
    ``.S.json[.<sidecar>].<pid>[.<kind>].tmp``."""
    return path.with_name(f".{path.name}.{os.getpid()}{'.' + kind if kind else ''}.tmp")


def stale_temp_files(path: Path) -> list[Path]:
    """The temp files of any process beside this session and its sidecars (the journal's
    rewrite among them; see :func:`temp_path`)."""
    pattern = re.compile(rf"\.{re.escape(path.name)}(\.[a-z]+)?\.[0-9]+(\.[a-z]+)?\.tmp")
    try:
        names = os.listdir(path.parent)
    except OSError:
        return []
    return [path.with_name(name) for name in names if pattern.fullmatch(name)]


def _lock_exclusively(fd: int) -> bool:
    """Take the exclusive lock on an open lock file without waiting; False if another holds it.

    ``flock`` on POSIX. On Windows ``msvcrt.locking`` on the file's first byte: a byte-range lock
    of this handle, which another handle (another process, or a second open in this one) cannot
    take; Windows drops it when the handle is closed or the process ends.
    """
    if sys.platform == "win32":
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:  # a lock violation: another handle holds the byte
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)


class SessionLock:
    """An exclusive lock on a file beside the session (``flock``; ``msvcrt.locking`` on
    Windows); the operating system drops it if the process dies.

    Taking it also makes sure the holder is the only writer of the file by any name: it refuses a
    file with a second hard link, and removes temp files that killed writers left behind (only a
    lock holder writes temp files, so none of them belongs to a live process).
    """

    def __init__(self, path: Path) -> None:
        self.session_path = real_session_path(path)
        self.path = lock_path(self.session_path)
        self._fd: int | None = None

    def acquire(self, session_path: Path) -> None:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | O_BINARY, 0o644)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise FolderNotWritable(self.path.parent, exc) from None
            raise
        if not _lock_exclusively(fd):
            os.close(fd)
            raise SessionLocked(session_path)
        self._fd = fd
        try:
            for stale in stale_temp_files(self.session_path):
                stale.unlink(missing_ok=True)
                log.info("removed %s, left behind by a writer that was killed", stale)
            _refuse_other_names(self.session_path)
            check_writable(self.session_path.parent, temp_path(self.session_path, "probe"))
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        if self._fd is not None:
            _unlock(self._fd)
            os.close(self._fd)
            self._fd = None


def check_writable(folder: Path, probe: Path) -> None:
    """Raise :class:`FolderNotWritable` unless a file can be made in ``folder`` (``probe``, then
    removed): found at start-up rather than as a refused first change."""
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | O_BINARY, 0o644))
        os.unlink(probe)
    except OSError as exc:
        raise FolderNotWritable(folder, exc) from None


def _refuse_other_names(path: Path) -> None:
    """Raise :class:`SessionLinked` if the session file has a hard link besides its own ``.bak``
    (which shares the file between making the backup and replacing the file)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return
    links = info.st_nlink
    try:
        backup = os.stat(backup_path(path))
    except FileNotFoundError:
        pass
    else:
        if (backup.st_dev, backup.st_ino) == (info.st_dev, info.st_ino):
            links -= 1
    if links > 1:
        raise SessionLinked(path, links)


def read_regular_file(path: Path, limit: int, what: str) -> bytes:
    """The bytes of ``path``, a regular file (symbolic links followed) of at most ``limit``
    bytes; else a :class:`StoreError` naming the file, before anything is read. A device such
    as ``/dev/zero`` would never end and a FIFO would wait for a writer: it is opened without
    blocking and refused as what it is. ``what`` names what the file should be, for the
    message ("an export")."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | O_BINARY)
    except OSError as exc:
        if os.path.isdir(path):  # Windows opens no folder: "permission denied" would mislead
            raise StoreError(path, f"{path}: not a file but a folder; give {what}") from None
        raise StoreError(path, f"{path}: cannot be read ({exc.strerror})") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = ("a folder" if stat.S_ISDIR(mode) else "a named pipe (FIFO)"
                if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device")
        raise StoreError(path, f"{path}: not a file but {kind}; give {what}")
    with os.fdopen(fd, "rb") as handle:
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise StoreError(path, f"{path}: cannot be read ({exc.strerror})") from None
    if len(data) > limit:
        raise StoreError(path, f"{path}: larger than any {what.removeprefix('an ')} "
                               f"({limit >> 20} MB at most); is it the right file?")
    return data


def read_session_file(path: Path) -> dict[str, dict[str, dict[str, object]]]:
    """Parse a session file; raise :class:`SessionCorrupt` rather than guess at a damaged one."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise StoreError(path, f"{path}: no such session file") from None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise SessionCorrupt(path, f"invalid JSON: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
        raise SessionCorrupt(path, "the top level is not a TinyDB document of tables")
    if "session" not in data or len(data["session"]) != 1:
        raise SessionCorrupt(path, "the 'session' table must hold exactly one document")
    return data


def _keep_backup(path: Path) -> None:
    link = temp_path(path, "bak")
    try:
        link.unlink(missing_ok=True)
        try:
            os.link(path, link)
        except OSError:  # exFAT, some network and FUSE mounts
            shutil.copy2(path, link)
            _fsync_file(link)  # whole on disk before it is the backup (a power cut)
        os.replace(link, backup_path(path))
    except OSError as exc:
        link.unlink(missing_ok=True)
        log.warning("could not keep a backup of %s: %s", path, exc)


def write_atomic(path: Path, data: bytes | Sequence[bytes], *, keep_backup: bool = False) -> None:
    """Write ``data`` (bytes, or chunks written in order) so that ``path`` is always either the
    old or the new complete file.

    temp file + fsync + ``os.replace`` + making the new name durable (:func:`sync_replaced`).
    With ``keep_backup`` the current file first becomes the ``.bak`` (by a hard link, so no copy
    is made; a copy where the file system has no hard links). The backup is best effort: it
    never fails the write.
    """
    tmp = temp_path(path)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | O_BINARY, 0o644)
        try:
            for chunk in [data] if isinstance(data, bytes) else data:
                view = memoryview(chunk)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        if keep_backup and path.exists():
            _keep_backup(path)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    sync_replaced(path)


def sync_replaced(path: Path) -> None:
    """Make the ``os.replace`` that just put a file at ``path`` durable.

    POSIX: fsync the folder, which holds the name. Windows cannot open a folder as a file; NTFS
    writes a rename to its metadata log, which it flushes in order, and flushing a file flushes
    that log too: so the file now at ``path`` is flushed again (``docs/store.md``, "On
    Windows").
    """
    if sys.platform == "win32":
        _fsync_file(path)
    else:
        fsync_directory(path.parent)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDWR | O_BINARY)  # FlushFileBuffers (Windows) needs write access
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_folder(folder: Path) -> None:
    """``mkdir -p`` whose folders survive a power cut: a new folder's name is durable only once
    the folder holding it is fsynced, so each parent is fsynced after its new child is made."""
    missing = []
    while not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    for new in reversed(missing):
        new.mkdir(exist_ok=True)
        fsync_directory(new.parent)


def fsync_directory(folder: Path) -> None:
    """Make a rename or removal in ``folder`` durable. Only where a folder can be opened and
    fsynced (POSIX); on Windows a removal becomes durable with the next flush of the volume's
    metadata log (any file's fsync, such as the next commit's)."""
    if sys.platform == "win32":
        return
    dir_fd = os.open(folder, os.O_RDONLY | O_BINARY)  # one rule for every open, though POSIX-only
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
