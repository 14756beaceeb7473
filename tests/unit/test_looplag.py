"""The loop-lag report: DEBUG while the loop is fine (it used to be an INFO line every minute in
every administrator's log), INFO when the loop was slow or when someone asked for the report."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from app.system.looplag import LoopLag


def _report_levels(caplog, block_seconds: float) -> list[int]:
    async def run() -> None:
        lag = LoopLag(report_seconds=0.3)
        lag.start()
        await asyncio.sleep(0.1)
        time.sleep(block_seconds)  # blocking work on the loop, on purpose
        await asyncio.sleep(0.4)
        lag.stop()

    with caplog.at_level(logging.DEBUG, logger="tenso"):
        asyncio.run(run())
    return [r.levelno for r in caplog.records if r.getMessage().startswith("loop lag ")]


def test_a_fine_loop_reports_at_debug_only(caplog, monkeypatch):
    monkeypatch.delenv("TENSO_LOOP_LAG_SECONDS", raising=False)
    levels = _report_levels(caplog, 0.01)
    assert levels and set(levels) == {logging.DEBUG}, levels


def test_a_slow_loop_is_reported_at_info(caplog, monkeypatch):
    monkeypatch.delenv("TENSO_LOOP_LAG_SECONDS", raising=False)
    assert logging.INFO in _report_levels(caplog, 0.4)


@pytest.mark.parametrize("seconds", ["0.3"])
def test_asking_for_the_report_keeps_it_at_info(caplog, monkeypatch, seconds):
    monkeypatch.setenv("TENSO_LOOP_LAG_SECONDS", seconds)
    assert set(_report_levels(caplog, 0.01)) == {logging.INFO}
