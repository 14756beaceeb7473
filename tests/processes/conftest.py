"""Fixtures for the tests that run Tenso as administrators do: ``python -m app --headless`` processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.processes import TensoProcess


@pytest.fixture
def tenso(tmp_path, upstream_factory):
    """Starts gateway processes; every one is killed at teardown, before the upstreams stop."""
    started: list[TensoProcess] = []

    def start(config: Path, port: int) -> TensoProcess:
        proc = TensoProcess(config, port, tmp_path / f"tenso-{len(started) + 1}.log")
        started.append(proc)
        proc.wait_listening()
        return proc

    yield start
    for proc in started:
        proc.close()
