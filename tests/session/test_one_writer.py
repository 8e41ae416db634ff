"""One writer per session file, whatever path names it; no temp files left by killed writers."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from facilitator.core.model import Source
from facilitator.session.files import (
    SessionLinked,
    SessionLocked,
    backup_path,
    lock_path,
    real_session_path,
    stale_temp_files,
)
from facilitator.session.store import SessionStore


def symlink(link: Path, target: Path) -> None:
    """``link`` made a symbolic link to ``target``, or the test skipped where this user may not
    make one (Windows asks for Developer Mode or an administrator; Wine 8 makes links that lead
    nowhere)."""
    try:
        link.symlink_to(target, target_is_directory=target.is_dir())
    except OSError as exc:
        if sys.platform != "win32":
            raise
        pytest.skip(f"this Windows user may not make symbolic links ({exc.strerror})")
    if sys.platform == "win32" and not link.exists():
        pytest.skip("a symbolic link made here does not lead to its target (Wine 8)")


def texts(path: Path) -> list[str]:
    return [d["text"] for d in orjson.loads(path.read_bytes())["contributions"].values()]


async def test_a_symlink_cannot_open_a_session_that_is_open(store: SessionStore,
                                                            tmp_path: Path) -> None:
    elsewhere = tmp_path / "x"
    elsewhere.mkdir()
    alias = elsewhere / "alias.json"
    symlink(alias, store.path)
    with pytest.raises(SessionLocked) as caught:
        SessionStore.open(alias)
    assert str(store.path) in str(caught.value)
    assert not lock_path(alias).exists(), "the lock is the real file's, not the alias's"
    reader = SessionStore.open(alias, read_only=True)  # reading by any name is fine
    assert reader.path == store.path

    await store.close()
    through_alias = SessionStore.open(alias)
    assert through_alias.path == store.path == real_session_path(alias)
    await through_alias.add_contribution("checkin", "via de link", source=Source.TUI)
    await through_alias.close()
    assert alias.is_symlink(), "saving replaces the real file, never the link"
    assert texts(store.path) == ["via de link"]


async def test_a_symlinked_folder_leads_to_the_same_lock(store: SessionStore,
                                                         tmp_path: Path) -> None:
    folder_alias = tmp_path / "sessions-alias"
    symlink(folder_alias, store.path.parent)
    with pytest.raises(SessionLocked):
        SessionStore.open(folder_alias / store.path.name)


async def test_every_spelling_of_the_path_leads_to_the_same_lock(store: SessionStore) -> None:
    spellings = [store.path.parent / ".." / store.path.parent.name / store.path.name]
    if sys.platform in ("win32", "darwin"):  # names that differ in case alone are one file there
        spellings.append(Path(str(store.path).upper()))
    for other in spellings:
        with pytest.raises(SessionLocked):
            SessionStore.open(other)


async def test_a_hard_link_is_refused(store: SessionStore, tmp_path: Path) -> None:
    alias = tmp_path / "alias.json"
    os.link(store.path, alias)
    with pytest.raises(SessionLinked) as caught:
        SessionStore.open(alias)  # its own lock is free: the link count gives it away
    assert str(alias) in str(caught.value) and "2 names" in str(caught.value)
    await store.close()
    with pytest.raises(SessionLinked):
        SessionStore.open(store.path)  # and the original, while the second name exists
    alias.unlink()
    again = SessionStore.open(store.path)  # one name again: it opens
    await again.close()


async def test_the_backup_sharing_the_file_is_not_a_second_name(store: SessionStore) -> None:
    """A writer killed between making the ``.bak`` (a hard link) and replacing the file leaves
    the two sharing one inode; that is our own copy, and the session opens."""
    path = store.path
    await store.close()
    os.link(path, backup_path(path))
    assert os.stat(path).st_nlink == 2
    again = SessionStore.open(path)
    await again.close()


async def test_stale_temp_files_are_removed_when_a_session_opens_for_writing(
    store: SessionStore,
) -> None:
    path = store.path
    await store.close()
    stale = [path.with_name(f".{path.name}.4242.tmp"), path.with_name(f".{path.name}.77.bak.tmp"),
             path.with_name(f".{path.name}.journal.4242.tmp")]
    stale[0].write_bytes(b'{"session": {')  # cut short by a kill
    os.link(path, stale[1])  # a backup link made just before a kill
    stale[2].write_bytes(b'{"seq": 1')  # the journal's rewrite, cut short by a kill
    other = path.with_name(f".{path.name}x.4242.tmp")  # another session's: not ours to remove
    other.write_bytes(b"")
    assert sorted(stale_temp_files(path)) == sorted(stale)

    reader = SessionStore.open(path, read_only=True)  # a reader takes no lock: it leaves them
    assert all(p.exists() for p in stale)
    await reader.close()
    writer = SessionStore.open(path)
    assert not any(p.exists() for p in stale) and other.exists()
    assert stale_temp_files(path) == []
    await writer.close()


async def test_serve_through_an_alias_of_an_open_session_exits_with_a_message(
    store: SessionStore, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "x"
    elsewhere.mkdir()
    soft = elsewhere / "alias.json"
    symlink(soft, store.path)
    hard = elsewhere / "hard.json"
    os.link(store.path, hard)
    before = store.path.read_bytes()
    # the command line in English here, whatever this machine's language (Dutch without one)
    env = {**os.environ, "FACILITATOR_DATA_DIR": str(tmp_path / "other-data"), "LANGUAGE": "en"}
    for alias, code, words in ((soft, 1, "another facilitator process"),
                               (hard, 2, "hard links")):
        result = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "facilitator", "serve", str(alias), "--host", "127.0.0.1",
             "--port", "0"], capture_output=True, encoding="utf-8", env=env, timeout=60)
        assert result.returncode == code, (alias, result.stdout, result.stderr)
        assert result.stdout == "", "no join URL: no phone may be told to use it"
        assert words in result.stderr and "Traceback" not in result.stderr
    assert store.path.read_bytes() == before
