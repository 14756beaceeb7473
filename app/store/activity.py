"""What the gateway has done lately: counts per hour by outcome, and how each destination fares.

The Status tab and ``python -m app status`` read this; mail never depends on it.  It lives in
memory in the main process (every outcome reaches the main process: the delivery worker
sends its outcomes back with each attempt's answer, the receiving workers their refusals)
and is written to ``activity.json`` in the queue folder every few seconds and at stop, so a
restart does not zero today's counts.  A kill -9 loses at most the last few seconds of
*counts*, never mail: the queue is the truth about mail, this is only its diary.

Hours are kept as buckets (``HOURS_KEPT``) keyed by the hour's start in epoch seconds, so
"today" (since local midnight) and "the last 24 hours" are both sums over buckets.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path

log = logging.getLogger("tenso")

FILE_NAME = "activity.json"
HOURS_KEPT = 48  # today since midnight (at most 24) and the chart's last 24 hours
VERSION = 1


class Outcome(StrEnum):
    """What is counted.  Per message: received.  Per recipient: the rest."""

    RECEIVED = "received"  # accepted with 250 after DATA (one per message)
    RELAYED = "relayed"  # sent to a rule's server or an MX host
    LOCAL = "local"  # delivered to a local mailbox (or forwarded on by forward.txt)
    DEFERRED = "deferred"  # a temporary failure; tried again later
    BOUNCED = "bounced"  # failed for good: returned to the sender (or dropped when the sender is <>)
    REFUSED = "refused"  # refused at RCPT (relay not allowed, no such user...)


_KNOWN = {o.value for o in Outcome}  # a newer Tenso's outcomes in the file are kept, not shown

LOCAL_DESTINATION = "local mailbox"
MX_DESTINATION = "MX"


@dataclass
class DestinationStatus:
    """How one destination (a rule's ``host:port``, ``MX``, or the local mailboxes) fares."""

    name: str
    last_success: float | None = None
    last_failure: float | None = None
    last_reply: str = ""  # the reply of the last failure
    failures: int = 0  # temporary failures since the last success
    failing_since: float | None = None  # the first of those failures (app/alerts: failing for how long)

    @property
    def failing(self) -> bool:
        """Still failing: no success since the last temporary failure."""
        return self.failures > 0


@dataclass(frozen=True)
class Delivered:
    """One recipient's outcome of an attempt, as the attempt reports it."""

    outcome: Outcome
    destination: str | None  # None: decided before any destination (a loop, no such user)
    reply: str


def hour_of(when: float) -> int:
    return int(when // 3600) * 3600


def local_midnight(now: float) -> float:
    t = time.localtime(now)
    return time.mktime((t.tm_year, t.tm_mon, t.tm_mday, 0, 0, 0, 0, 0, -1))


class Activity:
    """Counts and destination states; every method is quick and safe from any thread."""

    def __init__(self, path: Path | None, clock: Callable[[], float] = time.time):
        self.path = path
        self.clock = clock
        self._lock = threading.Lock()
        self._hours: dict[int, dict[str, int]] = {}
        self._destinations: dict[str, DestinationStatus] = {}
        self._dirty = False
        # Clients barred from AUTH now, as (client, until, failures): the gateway's (receive/door.py),
        # written here only so that ``python -m app status`` can show them; never read back into a ban.
        self._bans: list[tuple[str, float, int]] = []
        self._day_limits: list[tuple[str, float]] = []  # accounts held by their daily limit, until when
        self.listeners: list[Callable[[], None]] = []  # called after each change, in the caller's thread

    # --- recording ---

    def count(self, outcome: Outcome, n: int = 1) -> None:
        if n <= 0:
            return
        with self._lock:
            self._add(outcome, n, self.clock())
        self._changed()

    def delivered(self, outcomes: Iterable[Delivered]) -> None:
        """One attempt's outcomes: the counts, and each destination's last success or failure."""
        now = self.clock()
        changed = False
        with self._lock:
            for item in outcomes:
                changed = True
                self._add(item.outcome, 1, now)
                if item.destination is None:
                    continue
                status = self._destinations.get(item.destination)
                if status is None:
                    status = self._destinations[item.destination] = DestinationStatus(item.destination)
                if item.outcome in (Outcome.RELAYED, Outcome.LOCAL):
                    status.last_success = now
                    status.failures = 0
                    status.failing_since = None
                else:
                    status.last_failure = now
                    status.last_reply = item.reply
                    if item.outcome == Outcome.DEFERRED:
                        # Only a temporary failure (no connection, 4xx, login refused) says the
                        # destination does not work; a 550 for one address says it does.
                        if status.failures == 0:
                            status.failing_since = now
                        status.failures += 1
        if changed:
            self._changed()

    def _add(self, outcome: Outcome, n: int, now: float) -> None:
        bucket = self._hours.setdefault(hour_of(now), {})
        bucket[outcome] = bucket.get(outcome, 0) + n
        self._dirty = True

    def _changed(self) -> None:
        for listener in list(self.listeners):
            listener()

    # --- reading ---

    def today(self) -> dict[Outcome, int]:
        """Counts since local midnight."""
        since = local_midnight(self.clock())
        totals = dict.fromkeys(Outcome, 0)
        with self._lock:
            for hour, counts in self._hours.items():
                if hour + 3600 > since:
                    for outcome, n in counts.items():
                        if outcome in _KNOWN:
                            totals[Outcome(outcome)] += n
        return totals

    def between(self, start: float, end: float) -> dict[Outcome, int]:
        """Counts of the hours that begin in [start, end) (the daily summary: yesterday's, which the
        48 hours kept always hold)."""
        totals = dict.fromkeys(Outcome, 0)
        with self._lock:
            for hour, counts in self._hours.items():
                if start <= hour < end:
                    for outcome, n in counts.items():
                        if outcome in _KNOWN:
                            totals[Outcome(outcome)] += n
        return totals

    def last_hours(self, hours: int = 24) -> list[tuple[int, dict[Outcome, int]]]:
        """The last ``hours`` hours, oldest first, the current hour last; every hour present."""
        current = hour_of(self.clock())
        with self._lock:
            return [
                (
                    start,
                    {Outcome(o): n for o, n in self._hours.get(start, {}).items() if o in _KNOWN},
                )
                for start in range(current - (hours - 1) * 3600, current + 3600, 3600)
            ]

    def destinations(self) -> list[DestinationStatus]:
        with self._lock:
            return [DestinationStatus(**asdict(d)) for d in self._destinations.values()]

    def set_bans(self, bans: list[tuple[str, float, int]]) -> None:
        with self._lock:
            if bans != self._bans:
                self._bans = list(bans)
                self._dirty = True

    def set_day_limits(self, limited: list[tuple[str, float]]) -> None:
        with self._lock:
            if limited != self._day_limits:
                self._day_limits = list(limited)
                self._dirty = True

    def day_limits(self) -> list[tuple[str, float]]:
        """The accounts (names) whose daily limit holds mail back, as the gateway last wrote, and until when."""
        now = self.clock()
        with self._lock:
            return [held for held in self._day_limits if held[1] > now]

    def bans(self) -> list[tuple[str, float, int]]:
        """The bans the gateway last wrote that are still in force."""
        now = self.clock()
        with self._lock:
            return [ban for ban in self._bans if ban[1] > now]

    # --- on disk ---

    def snapshot(self) -> dict:
        with self._lock:
            oldest = hour_of(self.clock()) - (HOURS_KEPT - 1) * 3600
            for hour in [h for h in self._hours if h < oldest]:
                del self._hours[hour]
            return {
                "version": VERSION,
                "hours": {str(h): dict(c) for h, c in sorted(self._hours.items())},
                "destinations": [asdict(d) for d in self._destinations.values()],
                "auth_bans": [list(ban) for ban in self._bans],
                "day_limits": [list(held) for held in self._day_limits],
            }

    def load(self) -> None:
        """Reads what an earlier run left; a missing or unreadable file starts from zero (one line)."""
        if self.path is None or not self.path.exists():
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            hours = {int(h): {str(o): int(n) for o, n in c.items()} for h, c in data.get("hours", {}).items()}
            destinations = {d["name"]: DestinationStatus(**d) for d in data.get("destinations", [])}
            bans = [(str(c), float(u), int(f)) for c, u, f in data.get("auth_bans", [])]
            day_limits = [(str(a), float(u)) for a, u in data.get("day_limits", [])]
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("%s cannot be read (%s); the status counts start from zero", self.path, exc)
            return
        with self._lock:
            self._hours, self._destinations, self._bans = hours, destinations, bans
            self._day_limits = day_limits

    def save(self) -> None:
        """Blocking (a file write): call it off the event loop.  Atomic: temp file + rename."""
        if self.path is None:
            return
        with self._lock:
            self._dirty = False
        data = json.dumps(self.snapshot(), ensure_ascii=False, indent=1)
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            tmp.write_text(data, encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            with self._lock:
                self._dirty = True
            log.warning("cannot write %s: %s (the status counts are kept in memory)", self.path, exc)

    @property
    def dirty(self) -> bool:
        return self._dirty


def read(path: Path) -> Activity:
    """A copy of what a gateway last wrote (``python -m app status``)."""
    activity = Activity(path)
    activity.load()
    return activity
