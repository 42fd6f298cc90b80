"""The layout is the architecture (issue 9): the pure core imports no outer layer, and modules
and classes stay small: no module over 600 lines apart from data tables, no class over 300 lines,
median function under 15 lines. Read with `ast`, nothing imported or run."""

from __future__ import annotations

import ast
import statistics
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "calsync"
CORE = PACKAGE / "core"
MAX_MODULE_LINES = 600
MAX_CLASS_LINES = 300
MEDIAN_FUNCTION_LINES = 15

# The shell, the engine and the adapters: the core (pure: no I/O, no clock) imports none of
# them. "calsync.app.sync" covers its parts too (calsync.app.sync_decide, ...).
OUTER_LAYERS = (
    "calsync.adapters",
    "calsync.cli",
    "calsync.daemon",
    "calsync.app.sync",
    "calsync.service",
    "calsync.adapters.state",
)
# What the core may import from calsync at all: itself, the data model and the errors.
CORE_MAY_IMPORT = ("calsync.core", "calsync.model", "calsync.errors")

# Modules that are tables of data, not code, exempt from the module limit. None today: the
# word tables are calsync/data/keywords.toml and the session templates fit in the limit.
DATA_TABLES: frozenset[str] = frozenset()

# Modules outside the core still over the limit while other work splits them (issue 9), with
# their line counts when listed. The lead shrinks this list; any module not in it must stay
# within MAX_MODULE_LINES.
NOT_YET_SPLIT = {
    "calsync/adapters/caldav_store.py": 1003,
    "calsync/daemon.py": 609,
}


def _modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _package_of(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """Every module `path` imports (at any depth: function-level imports too), with its line;
    `from calsync.app import sync` yields "calsync" and "calsync.app.sync"."""
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved from the module's package
                package = _package_of(path).split(".")
                parent = ".".join(package[: len(package) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def _within(module: str, layer: str) -> bool:
    return module == layer or module.startswith((f"{layer}.", f"{layer}_"))


def _size(node: ast.stmt) -> int:
    return (node.end_lineno or node.lineno) - node.lineno + 1


def _classes(path: Path) -> Iterator[tuple[str, int]]:
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.ClassDef):
            yield node.name, _size(node)


def _function_sizes(path: Path) -> Iterator[int]:
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield _size(node)


def test_the_core_imports_no_outer_layer() -> None:
    found = [
        f"{_name(path)}:{line} imports {module}"
        for path in _modules(CORE)
        for line, module in _imports(path)
        if any(_within(module, layer) for layer in OUTER_LAYERS)
    ]
    assert not found, "the core is pure:\n" + "\n".join(found)


def test_the_core_imports_only_the_core_the_model_and_the_errors() -> None:
    found = [
        f"{_name(path)}:{line} imports {module}"
        for path in _modules(CORE)
        for line, module in _imports(path)
        if _within(module, "calsync") and module != "calsync"
        if not any(_within(module, allowed) for allowed in CORE_MAY_IMPORT)
    ]
    assert not found, "\n".join(found)


def test_no_core_module_is_over_the_limit() -> None:
    found = {
        _name(path): _lines(path)
        for path in _modules(CORE)
        if _name(path) not in DATA_TABLES and _lines(path) > MAX_MODULE_LINES
    }
    assert not found, f"over {MAX_MODULE_LINES} lines: {found}"


def test_no_core_class_is_over_the_limit() -> None:
    found = [
        f"{_name(path)}: class {name} ({size} lines)"
        for path in _modules(CORE)
        for name, size in _classes(path)
        if size > MAX_CLASS_LINES
    ]
    assert not found, "\n".join(found)


def test_a_module_outside_the_core_over_the_limit_is_listed() -> None:
    """A module may be over the limit only while it is listed in NOT_YET_SPLIT."""
    sizes = {_name(path): _lines(path) for path in _modules(PACKAGE)}
    over = {
        name: size
        for name, size in sizes.items()
        if size > MAX_MODULE_LINES and name not in DATA_TABLES and name not in NOT_YET_SPLIT
    }
    assert not over, f"over {MAX_MODULE_LINES} lines and not in NOT_YET_SPLIT: {over}"
    for name in sorted(NOT_YET_SPLIT):  # a report for the lead, not a failure
        size = sizes.get(name)
        if size is None or size <= MAX_MODULE_LINES:
            print(f"{name} ({size or 'gone'}) can leave NOT_YET_SPLIT")


def test_report_the_function_lengths_and_big_classes() -> None:
    """The median function length of the whole package and the classes still over the limit,
    printed (run with -s to see it)."""
    sizes = sorted(size for path in _modules(PACKAGE) for size in _function_sizes(path))
    assert sizes, "no functions found: the package moved?"
    median = statistics.median(sizes)
    p90 = sizes[int(len(sizes) * 0.9)]
    mark = "" if median < MEDIAN_FUNCTION_LINES else f" (over the {MEDIAN_FUNCTION_LINES} aimed at)"
    print(f"{len(sizes)} functions: median {median} lines{mark}, p90 {p90}, longest {sizes[-1]}")
    for path in _modules(PACKAGE):  # outside the core, not asserted yet (issue 9)
        for name, size in _classes(path):
            if size > MAX_CLASS_LINES:
                print(f"{_name(path)}: class {name} is {size} lines (over {MAX_CLASS_LINES})")
