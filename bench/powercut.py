"""A file system that forgets what was never fsynced, on command: power cuts for the durability
tests and ``bench crash --power``.

In the spirit of LazyFS (Jepsen's FUSE layer that drops unsynced data on command). A SIGKILL
leaves the kernel's page cache alone, so everything the process had written reaches the disk
later; a power cut does not. This layer is a FUSE pass-through over a backing folder (through
``mfusepy``'s ctypes binding of Debian's libfuse3) that keeps, for every file and folder, what it
held at its last fsync, and on ``cut`` goes back to exactly that:

- a **file** keeps its contents as of its last ``fsync``/``fdatasync``; everything written or
  truncated after it is undone (the layer saves a 4 KiB block's old bytes before the first
  write over it since the fsync, and the size the file had then). A new file's contents at its
  creation are empty.
- a **folder** keeps its entries as of its last fsync of the folder itself: a file created,
  linked, renamed into, renamed away or removed after it is undone. Fsyncing a file does not
  make its name durable, as fsync(2) says (ext4 happens to commit the name with the file, which
  is not a promise the store may lean on); a rename is durable once its folder is fsynced (each
  of the two folders, for a move between folders). A new folder holds nothing until it is
  fsynced, and exists only once its parent is.

Between two cuts the files hold what was written (the backing folder is the current state, as
the page cache would be); what a cut must bring back is kept aside: a file's overwritten
blocks, a folder's entries as of its last fsync (listed the first time it changes after one),
and every file removed or replaced since (a hard link in ``stash/``). A cut rebuilds the tree
from that in the backing folder, then refuses every further operation with EIO (the machine is
off) until the layer is unmounted; mounting the backing folder again is booting the laptop.

A cut can also keep part of what was not synced (``cut some SEED``), as a disk does that had
written some of the page cache back before the power went: each changed file keeps all of it,
none, or a torn part, and each changed folder all its new entries or none.

Not modelled: the order in which a real disk writes back what was not synced (a ``some`` cut
draws each file and folder on its own), sectors torn within a block, metadata (modes, times),
and moving a folder into another folder (refused with EXDEV; nothing in a session does it).

``python -m bench.powercut BACKING MOUNTPOINT [--no-hard-links]`` mounts the layer
(without hard links: as exFAT or FAT32 on a USB stick) and reads commands on its standard
input, one a line: ``cut`` or ``cut some SEED`` (answers ``cut`` and a JSON object of what was
undone). It prints ``mounted`` once the mount answers, and unmounts itself when its standard
input closes. :class:`PowerCutMount` runs it from Python.
"""

from __future__ import annotations

import errno
import functools
import json
import os
import random
import shutil
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

BLOCK = 4096
"""The unit in which a file's overwritten bytes are kept for a cut."""
MOUNT_WITHIN_S = 20.0
UNMOUNT_WITHIN_S = 3.0
"""How long a process may keep files open on an unmounted layer before the layer is killed
(the backing folder holds every write as it comes: killing the layer loses nothing more)."""
Result = TypeVar("Result")

try:  # the binding needs Debian's libfuse3 (package fuse3) at import time
    import mfusepy
except (ImportError, OSError) as exc:  # pragma: no cover - depends on the machine
    mfusepy = None
    MISSING: str | None = (
        f"the power-cut layer needs FUSE: {exc}. Install Debian's fuse3 "
        "(apt-get install fuse3) and the test extra (pip install -e '.[test]')")
else:
    MISSING = None


def unavailable() -> str | None:
    """Why power cuts cannot be simulated on this machine, or None when they can."""
    if MISSING is not None:
        return MISSING
    if not os.path.exists("/dev/fuse"):
        return "the power-cut layer needs FUSE: this machine has no /dev/fuse"
    if shutil.which("fusermount3") is None:
        return "the power-cut layer needs fusermount3 (apt-get install fuse3)"
    return None


@dataclass
class Unsynced:
    """A file changed since its last fsync: its size then, and the old bytes of every block
    written or cut off since (blocks past that size need none: the size cuts them off)."""

    size: int
    blocks: dict[int, bytes] = field(default_factory=dict)

    def keep(self, fd: int, start: int, end: int) -> None:
        """Save the durable bytes of the blocks that ``[start, end)`` touches, once each."""
        for block in range(start // BLOCK, min(-(-end // BLOCK), -(-self.size // BLOCK))):
            if block not in self.blocks:
                offset = block * BLOCK
                self.blocks[block] = os.pread(fd, min(BLOCK, self.size - offset), offset)


@dataclass
class Undone:
    """What one cut took away."""

    files: int = 0
    """Files whose contents went back to their last fsync."""
    bytes: int = 0
    """Bytes written (or cut off) since those fsyncs: the change in size, and the 4 KiB blocks
    overwritten within the old size."""
    folders: int = 0
    """Folders whose entries went back to their last fsync."""
    entries: int = 0
    """Names created, removed or pointed elsewhere since those fsyncs."""


def _operation(method: Callable[..., Result]) -> Callable[..., Result]:
    """One file-system operation: under the layer's lock, and EIO once the power is off."""

    @functools.wraps(method)
    def run(self: PowerCutFS, *args: Any) -> Result:
        with self._mutex:
            if self.off:
                raise OSError(errno.EIO, "the power is off")
            return method(self, *args)

    return run


def _closing(method: Callable[..., Result]) -> Callable[..., Result]:
    """Closing a file: under the lock, and allowed once the power is off (a process that is
    still running can let go of its files, so the layer can be unmounted)."""

    @functools.wraps(method)
    def run(self: PowerCutFS, *args: Any) -> Result:
        with self._mutex:
            return method(self, *args)

    return run


class PowerCutFS(mfusepy.Operations if mfusepy is not None else object):  # type: ignore[misc]
    """The layer's operations over ``backing/tree`` (see the module docstring)."""

    use_ns = True
    flag_nullpath_ok = True  # an open file that was removed is still read and written
    flag_nopath = True

    def __init__(self, backing: Path, *, hard_links: bool = True) -> None:
        """``hard_links=False``: refuse them, as exFAT and FAT32 (USB sticks) and some network
        shares do."""
        self.hard_links = hard_links
        self.tree = backing / "tree"
        self.stash = backing / "stash"
        self._mutex = threading.Lock()
        self.off = False
        self.files: dict[int, Unsynced] = {}
        """Files changed since their last fsync, by inode."""
        self.folders: dict[int, dict[str, int]] = {}
        """Folders changed since their last fsync, by inode: their entries at that fsync."""
        self.tree.mkdir(parents=True, exist_ok=True)
        for leftover in (self.stash, backing / "rebuilt", backing / "before-the-cut"):
            shutil.rmtree(leftover, ignore_errors=True)  # from a layer that died mid-way
        self.stash.mkdir()

    def _real(self, path: str) -> str:
        return str(self.tree) + path

    # -- what a cut must bring back --------------------------------------------------------

    def _folder_changes(self, folder: str) -> None:
        """Remember a folder's entries before its first change since its last fsync."""
        ino = os.stat(folder).st_ino
        if ino not in self.folders:
            self.folders[ino] = _entries(folder)

    def _file_changes(self, fd: int) -> Unsynced:
        info = os.fstat(fd)
        unsynced = self.files.get(info.st_ino)
        if unsynced is None:
            unsynced = self.files[info.st_ino] = Unsynced(info.st_size)
        return unsynced

    def _keep_file(self, path: str) -> None:
        """Keep a file that loses a name: a folder's durable entries may still name it."""
        info = os.lstat(path)
        if stat.S_ISDIR(info.st_mode):
            return
        kept = self.stash / str(info.st_ino)
        if not os.path.lexists(kept):
            os.link(path, kept, follow_symlinks=False)

    # -- files -----------------------------------------------------------------------------

    @_operation
    def getattr(self, path: str | None, fh: int | None = None) -> dict[str, int]:
        info = os.fstat(fh) if fh is not None else os.lstat(self._real(path or "/"))
        return {"st_mode": info.st_mode, "st_nlink": info.st_nlink, "st_uid": info.st_uid,
                "st_gid": info.st_gid, "st_size": info.st_size, "st_ino": info.st_ino,
                "st_blocks": info.st_blocks, "st_atime": info.st_atime_ns,
                "st_mtime": info.st_mtime_ns, "st_ctime": info.st_ctime_ns}

    @_operation
    def create(self, path: str, mode: int, flags: int) -> int:
        real = self._real(path)
        self._folder_changes(os.path.dirname(real))
        existed = os.path.lexists(real)
        fd = self._open(real, flags | os.O_CREAT, mode)
        if not existed:
            self.files[os.fstat(fd).st_ino] = Unsynced(0)  # a new file is empty until fsynced
        return fd

    @_operation
    def open(self, path: str, flags: int) -> int:
        return self._open(self._real(path), flags)

    def _open(self, real: str, flags: int, mode: int = 0o644) -> int:
        """The backing file, always readable (a block's old bytes are read before a write) and
        without O_APPEND (the kernel says where each write goes); O_TRUNC is a truncation."""
        fd = os.open(real, (flags & ~(os.O_ACCMODE | os.O_APPEND | os.O_TRUNC)) | os.O_RDWR,
                     mode)
        if flags & os.O_TRUNC:
            unsynced = self._file_changes(fd)
            unsynced.keep(fd, 0, unsynced.size)
            os.ftruncate(fd, 0)
        return fd

    @_operation
    def read(self, path: str | None, size: int, offset: int, fh: int) -> bytes:
        return os.pread(fh, size, offset)

    @_operation
    def write(self, path: str | None, data: bytes, offset: int, fh: int) -> int:
        self._file_changes(fh).keep(fh, offset, offset + len(data))
        return os.pwrite(fh, data, offset)

    @_operation
    def truncate(self, path: str | None, length: int, fh: int | None = None) -> int:
        fd = fh if fh is not None else os.open(self._real(path or "/"), os.O_RDWR)
        try:
            unsynced = self._file_changes(fd)
            unsynced.keep(fd, length, unsynced.size)
            os.ftruncate(fd, length)
        finally:
            if fh is None:
                os.close(fd)
        return 0

    @_operation
    def fsync(self, path: str | None, datasync: int, fh: int) -> int:
        self.files.pop(os.fstat(fh).st_ino, None)
        return 0

    @_closing
    def flush(self, path: str | None, fh: int) -> int:
        return 0

    @_closing
    def release(self, path: str | None, fh: int) -> int:
        os.close(fh)
        return 0

    @_operation
    def readlink(self, path: str) -> str:
        return os.readlink(self._real(path))

    @_operation
    def chmod(self, path: str | None, mode: int) -> int:
        os.chmod(self._real(path or "/"), mode)
        return 0

    @_operation
    def chown(self, path: str | None, uid: int, gid: int) -> int:
        os.chown(self._real(path or "/"), uid, gid, follow_symlinks=False)
        return 0

    @_operation
    def utimens(self, path: str | None, times: tuple[int, int] | None = None) -> int:
        if times is None:
            os.utime(self._real(path or "/"), follow_symlinks=False)
        else:
            os.utime(self._real(path or "/"), ns=times, follow_symlinks=False)
        return 0

    @_operation
    def statfs(self, path: str) -> dict[str, int]:
        info = os.statvfs(self._real(path))
        return {key: getattr(info, key) for key in (
            "f_bsize", "f_frsize", "f_blocks", "f_bfree", "f_bavail", "f_files", "f_ffree",
            "f_favail", "f_flag", "f_namemax")}

    # -- names -----------------------------------------------------------------------------

    @_operation
    def unlink(self, path: str) -> int:
        real = self._real(path)
        self._folder_changes(os.path.dirname(real))
        self._keep_file(real)
        os.unlink(real)
        return 0

    @_operation
    def rename(self, old: str, new: str) -> int:
        source, target = self._real(old), self._real(new)
        is_folder = stat.S_ISDIR(os.lstat(source).st_mode)
        if is_folder and os.path.dirname(source) != os.path.dirname(target):
            raise OSError(errno.EXDEV, "the power-cut layer moves no folder between folders")
        self._folder_changes(os.path.dirname(source))
        self._folder_changes(os.path.dirname(target))
        if os.path.lexists(target):
            if stat.S_ISDIR(os.lstat(target).st_mode):
                self._stash_folder(target)
            else:
                self._keep_file(target)
        os.rename(source, target)
        return 0

    @_operation
    def link(self, target: str, source: str) -> int:
        if not self.hard_links:
            raise OSError(errno.EPERM, "this file system has no hard links")
        new = self._real(target)
        self._folder_changes(os.path.dirname(new))
        os.link(self._real(source), new, follow_symlinks=False)
        return 0

    @_operation
    def symlink(self, target: str, source: str) -> int:
        new = self._real(target)
        self._folder_changes(os.path.dirname(new))
        os.symlink(source, new)
        return 0

    @_operation
    def mkdir(self, path: str, mode: int) -> int:
        real = self._real(path)
        self._folder_changes(os.path.dirname(real))
        os.mkdir(real, mode)
        self.folders[os.stat(real).st_ino] = {}  # empty until it is fsynced itself
        return 0

    @_operation
    def rmdir(self, path: str) -> int:
        real = self._real(path)
        if os.listdir(real):
            raise OSError(errno.ENOTEMPTY, os.strerror(errno.ENOTEMPTY))
        self._folder_changes(os.path.dirname(real))
        self._stash_folder(real)
        return 0

    def _stash_folder(self, real: str) -> None:
        """Remove an (empty) folder by moving it aside: a cut may need it back."""
        os.rename(real, self.stash / f"{os.stat(real).st_ino}.folder")

    @_operation
    def opendir(self, path: str) -> int:
        return os.open(self._real(path), os.O_RDONLY | os.O_DIRECTORY)

    @_operation
    def readdir(self, path: str | None, fh: int) -> list[str]:
        return [".", "..", *os.listdir(fh)]

    @_closing
    def releasedir(self, path: str | None, fh: int) -> int:
        os.close(fh)
        return 0

    @_operation
    def fsyncdir(self, path: str | None, datasync: int, fh: int) -> int:
        self.folders.pop(os.fstat(fh).st_ino, None)
        return 0

    # -- the cut ---------------------------------------------------------------------------

    def cut(self, some: random.Random | None = None) -> Undone:
        """Turn the power off: the backing tree becomes what the last fsyncs made durable, and
        every later operation fails with EIO.

        ``some``: the disk had written back part of what was not synced (drawn from this
        generator): each changed file keeps all of it, none of it, or a torn part (a prefix of
        what it grew by, and each overwritten block old or new); each changed folder keeps all
        its new entries or none."""
        with self._mutex:
            self.off = True
            return self._rebuild(some)

    def _rebuild(self, some: random.Random | None) -> Undone:
        undone = Undone()
        where = dict(self._inodes())
        for ino, unsynced in self.files.items():
            path = where.get(ino)
            if path is None:  # no name left anywhere: nothing durable names it
                continue
            fate = "lost" if some is None else some.choice(("lost", "kept", "torn"))
            if fate != "kept":
                lost = _undo_writes(path, unsynced, some if fate == "torn" else None)
                undone.files += bool(lost)
                undone.bytes += lost
        rebuilt = self.tree.parent / "rebuilt"
        rebuilt.mkdir()
        if some is not None:  # the folders whose changes all reached the disk
            self.folders = {ino: entries for ino, entries in self.folders.items()
                            if some.random() < 0.5}
        self._build(os.stat(self.tree).st_ino, rebuilt, where, undone)
        before = self.tree.parent / "before-the-cut"
        os.rename(self.tree, before)
        os.rename(rebuilt, self.tree)
        shutil.rmtree(before)
        shutil.rmtree(self.stash)
        self.stash.mkdir()
        self.files.clear()
        self.folders.clear()
        return undone

    def _inodes(self) -> Iterator[tuple[int, Path]]:
        """Every inode the backing folder holds, with a path to it (kept ones included)."""
        yield os.stat(self.tree).st_ino, self.tree
        pending = [self.tree, self.stash]
        while pending:
            with os.scandir(pending.pop()) as entries:
                for entry in entries:
                    yield entry.stat(follow_symlinks=False).st_ino, Path(entry.path)
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(Path(entry.path))

    def _build(self, folder_ino: int, into: Path, where: dict[int, Path],
               undone: Undone) -> None:
        """Fill ``into`` with the durable entries of the folder ``folder_ino`` (new folders,
        hard links to the same files)."""
        current = _entries(where[folder_ino])
        durable = self.folders.get(folder_ino, current)
        changed = sum(1 for name in current.keys() | durable.keys()
                      if current.get(name) != durable.get(name))
        undone.folders += bool(changed)
        undone.entries += changed
        for name, ino in durable.items():
            source = where.get(ino)
            if source is None:
                raise RuntimeError(f"the power-cut layer lost inode {ino}, {name!r} in "
                                   f"{where[folder_ino]}")
            if stat.S_ISDIR(os.lstat(source).st_mode):
                (into / name).mkdir()
                self._build(ino, into / name, where, undone)
            else:
                os.link(source, into / name, follow_symlinks=False)


def _undo_writes(path: Path, unsynced: Unsynced, torn: random.Random | None) -> int:
    """Put back a file's contents as of its last fsync (``torn``: only part of them, see
    :meth:`PowerCutFS.cut`); the number of bytes that changed."""
    fd = os.open(path, os.O_RDWR)
    try:
        now = os.fstat(fd).st_size
        size = unsynced.size
        if torn is not None and now > size:
            size = torn.randint(size, now)
        lost = abs(now - size)
        for block, old in unsynced.blocks.items():
            if torn is not None and now >= unsynced.size and torn.random() < 0.5:
                continue  # this block's new bytes reached the disk
            if os.pread(fd, len(old), block * BLOCK) != old:
                lost += len(old)
                os.pwrite(fd, old, block * BLOCK)
        os.ftruncate(fd, size)
    finally:
        os.close(fd)
    return lost


def _entries(folder: str | Path) -> dict[str, int]:
    """A folder's names and the inodes they name (by stat: the inode a directory entry reports
    is not always the file's own, on overlay file systems)."""
    with os.scandir(folder) as entries:
        return {e.name: e.stat(follow_symlinks=False).st_ino for e in entries}


# -- the layer's process ---------------------------------------------------------------------


def _serve(backing: Path, mountpoint: Path, *, hard_links: bool) -> int:
    if mfusepy is None:
        print(MISSING, file=sys.stderr)
        return 2
    layer = PowerCutFS(backing, hard_links=hard_links)

    def commands() -> None:
        """The control channel: ``cut`` on standard input; its end unmounts the layer."""
        deadline = time.monotonic() + MOUNT_WITHIN_S
        while not os.path.ismount(mountpoint) and time.monotonic() < deadline:
            time.sleep(0.005)
        print("mounted", flush=True)
        for line in sys.stdin:
            words = line.split()
            if words == ["cut"] or (words[:2] == ["cut", "some"] and len(words) == 3):
                some = random.Random(int(words[2])) if len(words) == 3 else None
                undone = layer.cut(some)
                print("cut", json.dumps(undone.__dict__), flush=True)
            elif words:
                print("unknown command", line.strip(), flush=True)
        if os.path.ismount(mountpoint):  # not unmounted by whoever closed the channel
            subprocess.run(["fusermount3", "-u", "-z", str(mountpoint)], check=False,
                           capture_output=True)

    threading.Thread(target=commands, name="powercut-commands", daemon=True).start()
    mfusepy.FUSE(layer, str(mountpoint), foreground=True, nothreads=True,
                 fsname="powercut", hard_remove=True, auto_unmount=True)
    return 0


class PowerCutMount:
    """The layer over ``backing``, mounted at ``mountpoint`` in a process of its own.

    ``cut()`` cuts the power (whatever still runs on the mount then gets EIO: stop it), and
    ``unmount()`` then ``mount()`` boots again on what the disk kept.
    """

    def __init__(self, backing: Path, mountpoint: Path, *, hard_links: bool = True) -> None:
        self.backing = backing
        self.mountpoint = mountpoint
        self.hard_links = hard_links
        self._process: subprocess.Popen[str] | None = None

    @property
    def log(self) -> Path:
        """Where the layer's process writes its errors."""
        return self.backing.with_name(self.backing.name + ".log")

    def mount(self) -> None:
        self.mountpoint.mkdir(parents=True, exist_ok=True)
        self.backing.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as errors:
            process = self._process = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), str(self.backing),
                 str(self.mountpoint), *([] if self.hard_links else ["--no-hard-links"])],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, text=True)
        assert process.stdout is not None
        line = process.stdout.readline()
        if line.strip() != "mounted" or not os.path.ismount(self.mountpoint):
            self.unmount()
            problem = self.log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the power-cut layer did not mount at {self.mountpoint}: "
                               f"{line.strip()} {problem}")

    def cut(self, some: int | None = None) -> Undone:
        """Cut the power; ``some``: a seed, to keep part of what was not synced (see
        :meth:`PowerCutFS.cut`)."""
        process = self._process
        assert process is not None and process.stdin and process.stdout, "not mounted"
        process.stdin.write("cut\n" if some is None else f"cut some {some}\n")
        process.stdin.flush()
        answer = process.stdout.readline()
        if not answer.startswith("cut "):
            raise RuntimeError(f"the power-cut layer did not cut: {answer!r}")
        return Undone(**json.loads(answer[4:]))

    def unmount(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        subprocess.run(["fusermount3", "-u", "-z", str(self.mountpoint)], check=False,
                       capture_output=True)
        if process.stdin:
            process.stdin.close()
        try:  # it ends once nothing holds a file on it any more
            process.wait(timeout=UNMOUNT_WITHIN_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()

    def __enter__(self) -> PowerCutMount:
        self.mount()
        return self

    def __exit__(self, *exc: object) -> None:
        self.unmount()


if __name__ == "__main__":
    sys.exit(_serve(Path(sys.argv[1]), Path(sys.argv[2]),
                    hard_links="--no-hard-links" not in sys.argv[3:]))
