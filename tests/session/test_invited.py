"""The people invited per stakeholder group: set through the store (what the TUI's dialog will
call) or ``facilitator new --invited``, kept in the session file, read back by the audit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from facilitator.core.errors import Reason, Refused
from facilitator.session.journal import load_session
from facilitator.session.store import SessionStore


async def test_invited_numbers_reach_the_audit_and_survive_a_restart(
        store: SessionStore) -> None:
    for n, group in enumerate(["municipality"] * 3 + ["migrant_org"]):
        await store.join(f"device-{n}", lang="nl", stakeholder=group)
    await store.set_invited({"municipality": 6, "migrant_org": 4, "civil_society": 0})
    audit = store.audit()
    invited = {g.group_id: g.invited for g in audit.groups}
    assert invited["municipality"] == 6 and invited["migrant_org"] == 4
    assert invited["civil_society"] is None  # 0: not said
    # Turnout 3/6 and 1/4: the lowest against the highest.
    assert audit.invited_representation == pytest.approx(0.25 / 0.5)
    with pytest.raises(Refused) as unknown:
        await store.set_invited({"nobody": 3})
    assert unknown.value.reason is Reason.UNKNOWN_GROUP
    for bad in (-1, 10**9, True, 2.5):
        with pytest.raises(Refused) as refused:
            await store.set_invited({"municipality": bad})  # type: ignore[dict-item]
        assert refused.value.reason is Reason.NOT_A_NUMBER
    assert store.info.invited == {"municipality": 6, "migrant_org": 4}  # unchanged by refusals
    await store.close()
    again = SessionStore.open(store.path)
    try:
        assert again.audit().invited_representation == pytest.approx(0.5)
    finally:
        await again.close()


def test_a_session_file_naming_an_unknown_group_invited_is_refused_by_key(
        store: SessionStore) -> None:
    import asyncio

    asyncio.run(store.close())
    data = load_session(store.path)[0]
    next(iter(data["session"].values()))["invited"] = {"martians": 3}
    store.path.write_bytes(orjson.dumps(data))
    Path(f"{store.path}.journal").unlink(missing_ok=True)
    with pytest.raises(Exception) as problem:
        SessionStore.open(store.path)
    assert "invited" in str(problem.value) and "martians" in str(problem.value)


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FACILITATOR_DATA_DIR": str(tmp_path / "data"), "LANGUAGE": "en",
           "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "facilitator", *args], capture_output=True,
                          text=True, env=env, timeout=60)


def test_new_takes_the_numbers_invited(tmp_path: Path) -> None:
    result = cli(tmp_path, "new", "kennisatelier", "--invited", "municipality=6, migrant_org=4")
    assert result.returncode == 0, result.stderr
    session = load_session(Path(result.stdout.splitlines()[1]))[0]
    assert next(iter(session["session"].values()))["invited"] == {
        "municipality": 6, "migrant_org": 4}
    for value, said in (("municipality=six", "'municipality=six'"),
                        ("municipality=2,municipality=3", "'municipality'"),
                        ("martians=3", "'martians'")):
        refused = cli(tmp_path, "new", "kennisatelier", "--invited", value)
        assert refused.returncode == 2 and said in refused.stderr, refused.stderr
    assert len(list((tmp_path / "data" / "sessions").glob("*.json"))) == 1
