"""The codec package keeps to what its docstring says (issue 9, item 3): it imports only its own
modules, `calsync.model` and `calsync.errors` of calsync, and the iCalendar libraries only
inside functions (importing calsync stays cheap); no module over 600 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "calsync" / "ical"
MODULES = sorted(PACKAGE.glob("*.py"))
ALLOWED = ("calsync.ical", "calsync.model", "calsync.errors")
HEAVY = ("icalendar", "recurring_ical_events", "x_wr_timezone", "dateutil")


def imports(tree: ast.Module, top_level: bool) -> list[str]:
    nodes = tree.body if top_level else list(ast.walk(tree))
    found = []
    for node in nodes:
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
    return found


def test_the_package_has_its_modules():
    assert {path.stem for path in MODULES} >= {"scan", "zones", "expand", "workarounds", "read"}


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_a_codec_module_imports_no_other_part_of_calsync(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calsync = [name for name in imports(tree, top_level=False) if name.startswith("calsync")]
    assert [name for name in calsync if not name.startswith(ALLOWED)] == []


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_a_codec_module_imports_the_libraries_only_where_they_are_used(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert [name for name in imports(tree, top_level=True) if name.startswith(HEAVY)] == []


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_a_codec_module_is_small(path: Path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 600
