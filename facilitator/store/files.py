"""The session file on disk: atomic writes, the single-writer lock, the last good copy."""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import orjson

log = logging.getLogger(__name__)


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


class SessionCorrupt(StoreError):
    def __init__(self, path: Path, problem: str) -> None:
        self.backup = backup_path(path)
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


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


class SessionLock:
    """An exclusive ``flock`` beside the session file; the kernel drops it if the process dies."""

    def __init__(self, path: Path) -> None:
        self.path = lock_path(path)
        self._fd: int | None = None

    def acquire(self, session_path: Path) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise SessionLocked(session_path) from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


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
    link = path.with_name(f".{path.name}.{os.getpid()}.bak.tmp")
    try:
        link.unlink(missing_ok=True)
        try:
            os.link(path, link)
        except OSError:  # exFAT, some network and FUSE mounts
            shutil.copy2(path, link)
        os.replace(link, backup_path(path))
    except OSError as exc:
        link.unlink(missing_ok=True)
        log.warning("could not keep a backup of %s: %s", path, exc)


def write_atomic(path: Path, data: bytes | Sequence[bytes], *, keep_backup: bool = False) -> None:
    """Write ``data`` (bytes, or chunks written in order) so that ``path`` is always either the
    old or the new complete file.

    temp file + fsync + ``os.replace`` + fsync of the directory. With ``keep_backup`` the current
    file first becomes the ``.bak`` (by a hard link, so no copy is made; a copy where the file
    system has no hard links). The backup is best effort: it never fails the write.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
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
    fsync_directory(path.parent)


def fsync_directory(folder: Path) -> None:
    """Make a rename or removal in ``folder`` durable."""
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
