"""Event-loop lag: how late the loop wakes a task that asked to sleep.

Blocking work on the loop (smtplib, fsync, DNS, keyring) shows up here first,
and in the window as a freeze.  The monitor samples every 50 ms while there is
work (``busy()``: a message stored or delivered) and reports p50/p99/max every
``TENSO_LOOP_LAG_SECONDS`` seconds (60 by default) when there was traffic worth
reporting.  A window in which nobody called ``busy()`` ends the sampling: an idle
gateway has no timer of it, instead of 20 wake-ups a second.  Reports go out at
DEBUG level, so an administrator's log is not filled with it, and at INFO when the loop was slow enough to notice
(one wake-up ``SLOW_MS`` late) or when ``TENSO_LOOP_LAG_SECONDS`` is set (someone asked: bench/).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time

log = logging.getLogger("tenso")

SAMPLE_SECONDS = 0.05
SLOW_MS = 250.0  # one wake-up this late is a window that stuttered, or replies that waited


def report_level(worst_ms: float, asked: bool) -> int:
    """INFO when someone asked for the report or the loop froze at least once; else DEBUG."""
    return logging.INFO if asked or worst_ms >= SLOW_MS else logging.DEBUG


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


class LoopLag:
    def __init__(self, report_seconds: float | None = None):
        self.report_seconds = report_seconds or float(os.environ.get("TENSO_LOOP_LAG_SECONDS", "60"))
        self.asked = "TENSO_LOOP_LAG_SECONDS" in os.environ
        self.samples: list[float] = []  # seconds late, since the last report
        self._task: asyncio.Task | None = None
        self._wake: asyncio.Event | None = None  # set by busy() while nothing is sampled
        self._busy = False  # busy() was called in the current window

    def busy(self) -> None:
        """There is work on the loop: sample (again) until a whole window passes without a call.
        Cheap enough for every message: a flag, and an event set only when sampling was off."""
        self._busy = True
        if self._wake is not None and not self._wake.is_set():
            self._wake.set()

    def start(self) -> None:
        self._wake = asyncio.Event()  # set by the first busy()
        self._task = asyncio.create_task(self._run(), name="tenso-loop-lag")

    def stop(self) -> None:
        if self._task:
            self._task.cancel()

    def summary(self) -> tuple[float, float, float]:
        """p50, p99, max in milliseconds over the current window."""
        s = self.samples
        return percentile(s, 0.5) * 1000, percentile(s, 0.99) * 1000, max(s, default=0.0) * 1000

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            await self._wake.wait()  # idle: no timer at all
            await self._sample()
            self._wake.clear()

    async def _sample(self) -> None:
        """Samples, reporting each window, until a window in which ``busy()`` was not called."""
        last_report = time.monotonic()
        self._busy = False
        while True:
            before = time.monotonic()
            await asyncio.sleep(SAMPLE_SECONDS)
            now = time.monotonic()
            self.samples.append(max(0.0, now - before - SAMPLE_SECONDS))
            if now - last_report >= self.report_seconds:
                p50, p99, worst = self.summary()
                if worst >= 1.0:  # nothing to say about an idle loop
                    level = report_level(worst, self.asked)
                    log.log(
                        level,
                        "loop lag p50=%.1fms p99=%.1fms max=%.1fms over %d samples",
                        p50,
                        p99,
                        worst,
                        len(self.samples),
                    )
                self.samples = []
                last_report = now
                if not self._busy:
                    return
                self._busy = False
