"""Polling until something holds, for tests that watch threads, processes and files."""

from __future__ import annotations

import time


def wait_until(predicate, timeout: float = 10.0, what: str = "condition"):
    """Calls ``predicate()`` until it returns something true, and returns that; fails after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.02)
