"""DESIGN "Promises": every acknowledged submission survives kill -9; the file is always JSON."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from facilitator.session.files import backup_path
from facilitator.session.journal import load_session
from facilitator.session.library import Library, Templates
from facilitator.session.store import SessionStore

CHILD = Path(__file__).with_name("durability_child.py")
CYCLES = 20
WRITERS = 50
KILLED = 1 if sys.platform == "win32" else -signal.SIGKILL
"""The exit status of a killed child (Popen.kill is TerminateProcess(1) on Windows)."""


def _wait_ready(proc: subprocess.Popen[bytes], log: Path, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if log.exists() and log.read_bytes().startswith(b"ready\n"):
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.005)
    return False


def _texts(path: Path) -> set[str]:
    orjson.loads(path.read_bytes())  # the file must always parse on its own
    data, _ = load_session(path)  # and with its journal it holds everything acknowledged
    return {doc["text"] for doc in data["contributions"].values()}


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_acknowledged_writes_survive_sigkill(library: Library, templates: Templates,
                                             tmp_path: Path) -> None:
    store = library.create(templates.load("kennisatelier"), title="kill -9")
    asyncio.run(store.close())
    path = store.path
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    acked_total = 0
    acked_all: set[str] = set()
    killed_writing = 0
    started = time.monotonic()

    for cycle in range(CYCLES):
        log = tmp_path / f"acks-{cycle}.txt"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, str(CHILD), str(path), str(cycle * 1_000_000), str(WRITERS)],
                stdout=out, stderr=subprocess.PIPE,
            )
        try:
            ready = _wait_ready(proc, log, time.monotonic() + 20)
            assert ready, f"cycle {cycle}: the child did not open the session: " + (
                proc.stderr.read().decode() if proc.stderr and proc.poll() is not None else "")
            time.sleep(rng.uniform(0.05, 0.5))
            proc.kill()  # SIGKILL; TerminateProcess on Windows
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if proc.stderr is not None:
                proc.stderr.close()
        assert proc.returncode == KILLED, f"cycle {cycle}: child exited by itself"

        lines = log.read_bytes().split(b"\n")
        # a line cut short by the kill was never fully acknowledged on stdout: ignore it
        acked = {f"n{int(line)}" for line in lines[1:-1] if line}
        killed_writing += bool(acked)
        acked_total += len(acked)
        acked_all |= acked
        stored = _texts(path)
        lost = acked_all - stored
        assert not lost, (
            f"cycle {cycle}: {len(lost)} acknowledged contributions lost "
            f"(acknowledged {acked_total}, stored {len(stored)}), e.g. {sorted(lost)[:5]}"
        )
        if backup_path(path).exists():
            _texts(backup_path(path))  # the backup is a complete document too

    elapsed = time.monotonic() - started
    stored = _texts(path)
    summary = (f"{CYCLES} kills in {elapsed:.1f}s: acknowledged {acked_total}, "
               f"stored {len(stored)}, lost {len(acked_all - stored)}")
    print(summary)
    assert killed_writing >= CYCLES // 2, f"too few kills hit a writing child; {summary}"
    assert acked_total > 0 and not acked_all - stored, summary

    reopened = SessionStore.open(path)  # the last child's lock is gone; the file opens
    ids = [c.id for c in reopened.contributions(visible_only=False)]
    assert len(ids) == len(set(ids)) == len(stored)
    asyncio.run(reopened.close())
