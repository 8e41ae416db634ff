"""The wheel holds everything the app reads at run time: templates, catalogs, stylesheets, the
pages' files and the built-in session templates. A facilitator installs the wheel, not the
source tree, so a file left out works here and fails on their laptop."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

import facilitator

ROOT = Path(__file__).resolve().parents[1]


def files_the_app_reads() -> set[str]:
    """Every file of the package that is not Python, as the wheel names it."""
    package = ROOT / "facilitator"
    wanted = {path.relative_to(ROOT).as_posix() for path in package.rglob("*")
              if path.is_file() and path.suffix not in (".py", ".pyc")
              and "__pycache__" not in path.parts}
    wanted |= {f"facilitator/session_templates/{path.name}"
               for path in (ROOT / "session_templates").glob("*.toml")}
    assert any(name.endswith(".po") for name in wanted) and any(
        name.endswith(".tcss") for name in wanted), "the source tree is not where it was"
    return wanted


def installed_as_a_wheel() -> bool:
    """True when facilitator was installed from a wheel (`pip install .` or the wheel itself),
    not edited in place from this source tree."""
    try:
        direct = metadata.distribution("facilitator").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return False
    editable = bool(direct and json.loads(direct).get("dir_info", {}).get("editable"))
    return not editable and Path(facilitator.__file__).resolve().parent != ROOT / "facilitator"


@pytest.mark.skipif(not (ROOT / "pyproject.toml").exists() or not (ROOT / "facilitator").is_dir(),
                    reason="the project's source tree is not beside the tests")
@pytest.mark.timeout(300)
def test_the_wheel_holds_every_file_the_app_reads(tmp_path: Path) -> None:
    wanted = files_the_app_reads()
    if installed_as_a_wheel():  # what pip put on this machine (the Windows lane)
        listed = metadata.files("facilitator") or []
        names = {str(path).replace("\\", "/") for path in listed}
    else:
        built = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path),
             str(ROOT)], capture_output=True, encoding="utf-8", timeout=280)
        assert built.returncode == 0, built.stderr
        (wheel,) = tmp_path.glob("facilitator-*.whl")
        names = set(zipfile.ZipFile(wheel).namelist())
    missing = sorted(wanted - names)
    assert not missing, f"not in the wheel: {missing}"
    assert "facilitator/cli.py" in names and "facilitator/host/serve.py" in names
    benchmarks = sorted(name for name in names if name.startswith(("bench/", "facilitator/bench/")))
    assert not benchmarks, f"the benchmarks are not the app's: {benchmarks[:5]}"
