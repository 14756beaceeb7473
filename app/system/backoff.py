"""How long to wait before starting again something that keeps ending (a worker process, the
queue runner): one that cannot run at all must not fill the log or spin."""

from __future__ import annotations


def restart_pause(
    failures: int, ran_for: float, first: float = 1.0, longest: float = 60.0, steady: float = 60.0
) -> tuple[int, float]:
    """``first`` s, then twice as long each time it ends again within ``steady`` s of starting,
    at most ``longest`` s.  ``failures``: the count so far (0 at first); returns the new count
    and the pause."""
    failures = 1 if ran_for >= steady else failures + 1
    return failures, min(longest, first * 2 ** (failures - 1))
