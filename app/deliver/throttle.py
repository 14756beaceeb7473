"""Replies that say "slow down", not "this failed": a destination throttling the mailbox.

Exchange Online answers a mailbox that sends too much at once in three ways (Microsoft Learn,
"Message storage and concurrent connection throttling for SMTP Authenticated Submission"): a 4th
concurrent session gets ``432 4.3.2 Concurrent connections limit exceeded`` (older servers:
``4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded``); more than 30 messages a minute are
delayed, or refused with ``421 4.7.x``; more than 10,000 recipients in 24 hours get
``554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException``, a 5xx that is not
the message's fault and must not bounce it.  Microsoft Graph says it with 429 or 503 and
``Retry-After`` (couriers/graph.py reads that header).

``deferral(reply)`` turns such a reply into what the queue records: a 4xx, the original words
kept, and the wait it implies.  The couriers share it; the scheduler reads the kind back from
the recorded reply (``kind_of``) to lower an account's sessions for a while.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    SESSIONS = "sessions"  # too many sessions at once: retry soon, with fewer
    RATE = "rate"  # too many messages a minute: a few minutes
    DAILY = "daily"  # the day's quota: an hour, then again
    BUSY = "busy"  # Microsoft Graph's 429 / 503: as long as Retry-After says


@dataclass(frozen=True)
class Throttle:
    kind: Kind
    wait: float  # seconds


WAIT = {Kind.SESSIONS: 60.0, Kind.RATE: 180.0, Kind.DAILY: 3600.0, Kind.BUSY: 60.0}
# What Tenso records for a throttled recipient: "451 4.7.0 throttled (KIND): ORIGINAL REPLY".
PREFIX = "451 4.7.0 throttled ({kind}): "

_PATTERNS = (
    (
        Kind.SESSIONS,
        re.compile(r"^432[ -]4\.3\.2\b|4\.3\.2 STOREDRV\.ClientSubmit|concurrent connections? limit", re.I),
    ),
    (Kind.DAILY, re.compile(r"SubmissionQuotaExceeded", re.I)),
    (Kind.RATE, re.compile(r"^421[ -]4\.7\.\d+\b.*(rate|too many|limit|throttl|try again later)", re.I)),
)
_RECORDED = re.compile(r"^451 4\.7\.0 throttled \((\w+)\): ")


def classify(reply: str) -> Throttle | None:
    """The throttling ``reply`` says, or None for any other reply."""
    for kind, pattern in _PATTERNS:
        if pattern.search(reply):
            return Throttle(kind, WAIT[kind])
    return None


def deferral(reply: str, wait: float | None = None, kind: Kind | None = None) -> tuple[str, float] | None:
    """(the reply to record, the seconds to wait) for a throttling reply, else None.  ``kind``
    and ``wait``: the courier already knows (Graph's 429 with Retry-After)."""
    if kind is None:
        found = classify(reply)
        if found is None:
            return None
        kind, implied = found.kind, found.wait
    else:
        implied = WAIT[kind]
    return PREFIX.format(kind=kind) + reply, implied if wait is None else wait


def busy(reply: str, wait: float | None) -> tuple[str, float]:
    """Microsoft Graph's 429 or 503 as the queue records it, waiting ``wait`` s (Retry-After) or a minute."""
    return PREFIX.format(kind=Kind.BUSY) + reply, WAIT[Kind.BUSY] if wait is None else wait


def kind_of(recorded: str) -> Kind | None:
    """The kind of throttling a recorded reply (``deferral``'s) names."""
    found = _RECORDED.match(recorded)
    try:
        return Kind(found.group(1)) if found else None
    except ValueError:
        return None
