"""Architecture (DESIGN): dependencies point inward; core is pure; the session has no UI or
server; every file is opened in binary mode."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imports(folder: Path, root: Path = ROOT) -> dict[str, set[str]]:
    """Every module a file imports, top-level or nested (in functions, under TYPE_CHECKING),
    with relative imports resolved against the file's package."""
    found: dict[str, set[str]] = {}
    for path in sorted(folder.rglob("*.py")):
        package = list(path.relative_to(root).with_suffix("").parts[:-1])
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                module = ".".join([*base, *([node.module] if node.module else [])])
                names.add(module)
                names.update(f"{module}.{alias.name}" for alias in node.names)
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name)
                  and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
                  and node.args and isinstance(node.args[0], ast.Constant)):
                names.add(str(node.args[0].value))
        found[path.relative_to(root).as_posix()] = names
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("core", {"textual", "aiohttp", "weasyprint", "tinydb", "babel", "facilitator.i18n",
                  "facilitator.session", "facilitator.tui", "facilitator.web", "facilitator.host",
                  "facilitator.report"}),
        ("session", {"textual", "aiohttp", "weasyprint", "facilitator.tui", "facilitator.web",
                   "facilitator.host",
                   "facilitator.report"}),
    ],
)
def test_dependencies_point_inward(package: str, forbidden: set[str]) -> None:
    folder = ROOT / "facilitator" / package
    imports = _imports(folder)
    assert imports, f"no modules found under {folder}"
    bad = {
        file: sorted(n for n in names if any(n == f or n.startswith(f + ".") for f in forbidden))
        for file, names in imports.items()
    }
    assert {f: n for f, n in bad.items() if n} == {}


def test_the_import_scanner_sees_nested_imports(tmp_path: Path) -> None:
    pkg = tmp_path / "facilitator" / "core"
    pkg.mkdir(parents=True)
    (pkg / "m.py").write_text(
        "def f():\n    import textual.app\n    from aiohttp import web\n"
        "if False:\n    import importlib; importlib.import_module('tinydb')\n"
        "from ..session import store\nfrom . import text\n"
    , encoding="utf-8")
    names = _imports(tmp_path, tmp_path)["facilitator/core/m.py"]
    assert {"textual.app", "aiohttp", "tinydb", "facilitator.session.store",
            "facilitator.core.text"} <= names


def test_the_tuis_process_does_not_load_the_web_stack() -> None:
    """With the server in its own process (facilitator.host), the TUI's side of it imports
    neither aiohttp nor Jinja2: the screen's process stays small and starts fast."""
    import subprocess
    import sys

    probe = ("import sys, facilitator.tui.app, facilitator.host.handle; "
             "print(sorted(m for m in ('aiohttp', 'jinja2') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, encoding="utf-8",
                            check=True, cwd=ROOT).stdout.strip()
    assert loaded == "[]"


def test_every_package_has_its_place_in_the_import_contracts() -> None:
    """`lint-imports` (run by .ci/run) checks only what its contracts name: every package and
    top-level module of facilitator must be in the layers, so a new one cannot go unchecked."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (layers,) = [c for c in contracts if c["type"] == "layers"]
    placed = {name.strip() for layer in layers["layers"] for name in layer.split("|")}
    package = ROOT / "facilitator"
    present = {f"facilitator.{path.stem}" for path in package.glob("*.py")
               if path.stem != "__init__"}
    present |= {f"facilitator.{path.parent.name}" for path in package.glob("*/__init__.py")}
    assert present - placed == set(), "not in docs/architecture.md's layers (pyproject.toml)"
    assert placed - present == set(), "a layer names a module that is gone"


def test_every_os_open_in_the_package_opens_in_binary_mode() -> None:
    """On Windows ``os.open`` opens in text mode unless told ``O_BINARY``, and text mode turned
    the journal's line ends into CRLF (docs/platforms.md). The rule is kept where a reader sees
    it: in the flags of each call, not in a variable made further up."""
    unmarked = []
    for path in sorted((ROOT / "facilitator").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source, str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "open" and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "os"):
                flags = ast.get_source_segment(source, node.args[1]) if len(node.args) > 1 else ""
                if "O_BINARY" not in (flags or ""):
                    unmarked.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert unmarked == []
