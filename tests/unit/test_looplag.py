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
        lag.busy()
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


def _timers(loop: asyncio.AbstractEventLoop) -> list[float]:
    """Seconds from now of every timer on the loop (asyncio's own list of them)."""
    now = loop.time()
    return [h.when() - now for h in loop._scheduled if not h.cancelled()]  # type: ignore[attr-defined]


def test_an_idle_loop_has_no_timer_of_the_monitor_and_work_wakes_it():
    """Sampling every 50 ms was 20 wake-ups a second of a gateway doing nothing all day."""

    async def run() -> None:
        loop = asyncio.get_running_loop()
        lag = LoopLag(report_seconds=0.2)
        lag.start()
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert _timers(loop) == [], "the monitor sleeps on a timer with nothing to do"
        lag.busy()
        await asyncio.sleep(0)
        assert any(t <= 0.05 for t in _timers(loop)), "work came but the monitor does not sample"
        for _ in range(6):  # busy through three windows: it keeps sampling
            await asyncio.sleep(0.1)
            lag.busy()
        await asyncio.sleep(0.01)  # not in the very turn its last sleep ended
        assert any(t <= 0.05 for t in _timers(loop)), "it stopped sampling while busy() was still called"
        await asyncio.sleep(0.6)  # a whole window with no busy(): sampling ends
        assert _timers(loop) == [], "the monitor kept its timer after the work ended"
        lag.stop()

    asyncio.run(run())
