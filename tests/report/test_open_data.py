"""The open data package (facilitator/report/opendata.py): ``facilitator export --open-data``
writes a Frictionless Data Package that ``frictionless validate`` passes, with no secret of the
room, no device, no name, and no figure the report withholds. Real CLI, real files."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from facilitator.demo import create_demo
from facilitator.session.library import Library, Templates
from facilitator.session.store import SessionStore


def run(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FACILITATOR_DATA_DIR": str(data), "PYTHONIOENCODING": "utf-8",
           "LANGUAGE": "en"}
    return subprocess.run([sys.executable, "-m", "facilitator", *args], capture_output=True,
                          text=True, env=env, timeout=120)


def frictionless_validate(package: Path) -> dict[str, object]:
    """``frictionless validate`` on the package, its JSON report read back."""
    result = subprocess.run([sys.executable, "-m", "frictionless", "validate", "--json",
                             str(package)], capture_output=True, text=True, timeout=300)
    report: dict[str, object] = json.loads(result.stdout)
    assert report["valid"], json.dumps(report, indent=1)[:4000]
    assert result.returncode == 0
    return report


def rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def everything(folder: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.iterdir()))


@pytest.fixture(scope="module")
def demo_package(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo session, with a name a participant consented to show, as a package."""
    data = tmp_path_factory.mktemp("open-data") / "data"
    path = create_demo(Library(data), Templates())

    async def named() -> None:
        store = SessionStore.open(path)
        try:
            await store.join("device-of-someone-named", lang="nl", stakeholder="municipality",
                             name="Marieke Zwanenburg", consent_named=True)
        finally:
            await store.close()

    asyncio.run(named())
    out = data.parent / "package"
    result = run("export", path.stem, "--open-data", str(out), data=data)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out / "datapackage.json")
    return path, out


def test_the_demo_package_passes_frictionless_validate(demo_package: tuple[Path, Path]
                                                       ) -> None:
    _path, out = demo_package
    report = frictionless_validate(out / "datapackage.json")
    assert len(report["tasks"]) == 9  # type: ignore[arg-type]
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    assert package["description"] and package["title"] == "Kennisatelier Utrecht (demo)"
    names = {r["name"] for r in package["resources"]}
    assert names == {"rounds", "themes", "contributions", "ballots", "group_support", "groups",
                     "actions", "chair_lines", "audit"}
    assert all(r["schema"]["fields"] and r["description"] for r in package["resources"])


def test_no_secret_device_or_name_is_in_the_package(demo_package: tuple[Path, Path]) -> None:
    path, out = demo_package
    store = SessionStore.open(path, read_only=True)
    try:
        info = store.info
        secrets = [info.secret, info.join_token, info.organiser_secret]
        devices = [p.device_id for p in store.participants()]
        names = [p.name for p in store.participants() if p.name]
    finally:
        asyncio.run(store.close())
    text = everything(out)
    assert all(secrets) and devices and "Marieke Zwanenburg" in names
    for secret in [*secrets, *devices, *names]:
        assert secret not in text


def test_no_figure_the_report_withholds_is_in_the_package(demo_package: tuple[Path, Path]
                                                          ) -> None:
    path, out = demo_package
    store = SessionStore.open(path, read_only=True)
    try:
        shown = store.view.disclosure()
        threshold = store.template.anonymity_threshold
    finally:
        asyncio.run(store.close())
    assert shown.pooled  # the demo has small groups
    groups = {row["group"]: row for row in rows(out, "groups")}
    for group_id in shown.pooled:
        row = groups[group_id or "prefer_not_to_say"]
        assert row["pooled"] == "true"
        for figure in ("contributions", "voice_share", "votes_won", "votes_share", "votes_given",
                       "votes_given_share"):
            assert row[figure] == "", (group_id, figure)
    named = set(shown.named)
    for name, column in (("contributions", "group"), ("ballots", "group"),
                         ("group_support", "group")):
        labels = {row[column] for row in rows(out, name)} - {"", "pooled"}
        assert labels <= named, (name, labels - named)
    # A ballot names its group only where at least the threshold of that group voted in the
    # round: ballots of a group are never fewer than that.
    ballots = Counter((r["round_id"], r["group"]) for r in
                      {(r["round_id"], r["ballot"], r["group"]): r
                       for r in rows(out, "ballots")}.values())
    assert any(group != "pooled" for _round, group in ballots)
    assert all(n >= threshold for (_round, group), n in ballots.items() if group != "pooled")
    # Each ballot belongs to one group, and no figure of a group comes from fewer than the
    # threshold of its people.
    for row in rows(out, "group_support"):
        if row["support"]:
            assert int(row["seen"]) >= threshold
        else:
            assert row["seen"] == row["supporters"] == ""


def test_ballots_are_numbered_per_round_with_nothing_linking_rounds(
        demo_package: tuple[Path, Path]) -> None:
    _path, out = demo_package
    ballots = rows(out, "ballots")
    per_round: dict[str, set[int]] = {}
    for row in ballots:
        per_round.setdefault(row["round_id"], set()).add(int(row["ballot"]))
    assert len(per_round) >= 2
    for numbers in per_round.values():
        assert numbers == set(range(1, len(numbers) + 1))


def test_the_package_agrees_with_the_report(demo_package: tuple[Path, Path]) -> None:
    path, out = demo_package
    from facilitator.report import build_report

    store = SessionStore.open(path, read_only=True)
    try:
        report = build_report(store)
        carried = store.view.ranking("oplossingen").carried(5)
    finally:
        asyncio.run(store.close())
    contributions = {int(r["contribution_id"]): r for r in rows(out, "contributions")}
    for entry in carried.items:
        assert contributions[entry.item.contribution.id]["carried_rank"] == str(entry.rank)
    audit = {r["measure"]: r["value"] for r in rows(out, "audit")}
    assert audit["participants"] == str(report.participants)
    assert float(audit["gini_of_contributions"]) == pytest.approx(report.audit.gini, abs=1e-6)


def test_an_unknown_licence_is_refused_by_name(tmp_path: Path) -> None:
    data = tmp_path / "data"
    path = create_demo(Library(data), Templates())
    result = run("export", path.stem, "--open-data", str(tmp_path / "p"), "--licence", "GPL",
                 data=data)
    assert result.returncode == 2
    assert "'GPL'" in result.stderr and "CC-BY-4.0" in result.stderr
    assert not (tmp_path / "p").exists()
