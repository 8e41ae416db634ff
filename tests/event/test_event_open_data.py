"""The event's open data package: ``facilitator event report ... --open-data DIR`` writes every
room's tables under a room number, ``frictionless validate`` passes it, and what a room
withholds the event withholds too (refugee-led was small in every room: never named)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from event_sessions import RoomFixture


def rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def package(rooms: dict[str, RoomFixture], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("event-open-data")
    env = {**os.environ, "FACILITATOR_DATA_DIR": str(out / "data"), "LANGUAGE": "en",
           "PYTHONIOENCODING": "utf-8"}
    result = subprocess.run(
        [sys.executable, "-m", "facilitator", "event", "report",
         *(str(r.path) for r in rooms.values()), "--title", "Consultatiedag Zwolle",
         "--out", str(out / "report"), "--format", "md", "--open-data", str(out / "package"),
         "--licence", "CC0-1.0"], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert str(out / "package" / "datapackage.json") in result.stdout.splitlines()
    return out / "package"


def test_the_event_package_passes_frictionless_validate(package: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "frictionless", "validate", "--json",
                             str(package / "datapackage.json")], capture_output=True, text=True,
                            timeout=300)
    report = json.loads(result.stdout)
    assert report["valid"], result.stdout[:4000]
    described = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    assert described["licenses"][0]["name"] == "CC0-1.0"
    assert described["resources"][0]["name"] == "rooms"
    assert [r["room"] for r in rows(package, "rooms")] == ["1", "2", "3"]


def test_the_event_package_withholds_what_the_rooms_withhold(
        rooms: dict[str, RoomFixture], package: Path) -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in package.iterdir())
    for room in rooms.values():
        assert room.join_token not in text
    for name, column in (("contributions", "group"), ("ballots", "group"),
                         ("group_support", "group")):
        assert "refugee_led" not in {row[column] for row in rows(package, name)}, name
    refugee = [row for row in rows(package, "groups") if row["group"] == "refugee_led"]
    assert len(refugee) == 3 and all(row["pooled"] == "true" and row["contributions"] == ""
                                     and row["votes_given"] == "" for row in refugee)
    # Room A withholds civil society (it keeps the small ones company), the others name it.
    civil = {row["room"]: row for row in rows(package, "groups")
             if row["group"] == "civil_society"}
    assert civil["1"]["contributions"] == "" and civil["2"]["contributions"] != ""
