"""A real `calsync serve` on 127.0.0.1, shared by the feed process and browser tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.feed.serving import Served
from tests.feed.serving import sources
from tests.feed.serving import start_serve


@pytest.fixture(scope="package", params=sources(), ids=lambda p: p.stem)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """`calsync serve` on the example (and canonical) week, for tests that only read."""
    source: Path = request.param
    running = start_serve(tmp_path_factory.mktemp(f"serve-{source.stem}"), source)
    yield running
    code = running.proc.stop()
    assert code == 0, running.proc.stderr()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say where the browser tests left their screenshots (for a person to look at)."""
    ran = [
        report
        for outcome in ("passed", "failed")
        for report in terminalreporter.stats.get(outcome, [])
        if "test_browser.py" in getattr(report, "nodeid", "")
    ]
    if ran:
        folder = Path(__file__).resolve().parents[1] / "artifacts" / "week-page"
        terminalreporter.write_line(f"week page screenshots: {folder}")
