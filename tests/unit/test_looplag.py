"""The loop-lag report: DEBUG while the loop is fine (it used to be an INFO line every minute in
every administrator's log), INFO when the loop froze at least once or someone asked for it."""

from __future__ import annotations

import asyncio
import logging
import re
import time

from app.system.looplag import SLOW_MS, LoopLag, report_level


def test_the_level_follows_the_worst_wake_up_not_a_percentile():
    # A 2 s freeze in a minute of otherwise fine samples: p99 stays near 1 ms, the worst is 2,000.
    assert report_level(2000.0, asked=False) == logging.INFO
    assert report_level(SLOW_MS, asked=False) == logging.INFO
    assert report_level(12.0, asked=False) == logging.DEBUG
    assert report_level(12.0, asked=True) == logging.INFO


def test_a_fine_loop_reports_at_debug_only(caplog, monkeypatch):
    monkeypatch.delenv("TENSO_LOOP_LAG_SECONDS", raising=False)

    async def run() -> None:
        lag = LoopLag(report_seconds=0.3)
        lag.start()
        await asyncio.sleep(0.1)
        time.sleep(0.01)  # a little blocking work on the loop, so there is something to report
        await asyncio.sleep(0.4)
        lag.stop()

    with caplog.at_level(logging.DEBUG, logger="tenso"):
        asyncio.run(run())
    reports = [r for r in caplog.records if r.getMessage().startswith("loop lag ")]
    assert reports, "no report at all"
    for record in reports:  # DEBUG unless this machine really froze the loop meanwhile
        worst = float(re.search(r"max=([\d.]+)ms", record.getMessage()).group(1))
        assert record.levelno == report_level(worst, asked=False), record.getMessage()
    assert any(r.levelno == logging.DEBUG for r in reports)
