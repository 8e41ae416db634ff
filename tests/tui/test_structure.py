"""The TUI's shape, as docs/tui.md describes it: imports run one way (the app imports its
screens, never the reverse), no class is past 500 lines, and no method is found by a name
built from a string."""

from __future__ import annotations

import ast
from pathlib import Path

import facilitator.tui

ROOT = Path(facilitator.tui.__file__).parent


def modules() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8")))
            for path in sorted(ROOT.rglob("*.py"))]


def test_no_screen_flow_or_widget_imports_the_app() -> None:
    """Not even for typing: a screen is handed what it needs (a Desk, callables, messages)."""
    importing = []
    for path, tree in modules():
        if path.name == "app.py" and path.parent == ROOT:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.module == "facilitator.tui.app" or (
                    node.module == "facilitator.tui"
                    and any(alias.name == "app" for alias in node.names)):
                importing.append(str(path.relative_to(ROOT)))
    assert importing == []


def test_no_class_is_past_500_lines() -> None:
    sizes = {f"{path.relative_to(ROOT)}:{node.name}": node.end_lineno - node.lineno + 1
             for path, tree in modules() for node in ast.walk(tree)
             if isinstance(node, ast.ClassDef) and node.end_lineno is not None}
    assert {name: size for name, size in sizes.items() if size > 500} == {}


def test_no_method_is_found_by_a_built_name() -> None:
    """``getattr(self, f"_area_{area}")`` and the like: a typo is found only when it runs."""
    built = []
    for path, tree in modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id == "getattr" and len(node.args) >= 2 \
                    and isinstance(node.args[1], ast.JoinedStr):
                built.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert built == []
