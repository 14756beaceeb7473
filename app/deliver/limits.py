"""Limits per mailbox: how much one upstream account may send, and the count that holds mail to it.

Exchange Online lets one mailbox submit 30 messages a minute, over at most 3 sessions at once, to
at most 10,000 recipients a day (Microsoft Learn: "Message storage and concurrent connection
throttling for SMTP Authenticated Submission"; "Exchange Online limits", "Sending limits");
beyond them it refuses or delays.  A scanner sending 80 scans at once must not open 16 sessions:
its mail waits its turn in the queue instead, without a failure, a bounce or a retry counted.

``of(settings, decision)`` is the account's limits for one recipient: ``accounts[].limits`` when
the account has them, else Exchange Online's for a Microsoft 365 account (OAuth 2.0 with the
provider ``microsoft``, a rule with destination GRAPH, or a rule to Office 365's SMTP hosts),
else none.  ``Limiter`` counts, per account, the attempts running, when the last one started and
the recipients of the last 24 hours; the scheduler asks it before starting an attempt (``hold``)
and parks the message until it may go, so no delivery thread waits for a limit.  Attempts run
in one process only (the delivery worker, or threads of the main process: scheduler.py
``delivers_in_process``), and the scheduler that starts them all is in the main process, so one
Limiter there is the count for every rule and every thread.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.route.targets import GraphTarget, ServerTarget
from app.settings import AccountLimits
from app.settings.enums import Provider

if TYPE_CHECKING:
    from app.route.router import Decision
    from app.settings import Settings

log = logging.getLogger("tenso")

EXCHANGE_ONLINE = AccountLimits(messages_per_minute=30, sessions=3, recipients_per_day=10000)
OFFICE365_HOSTS = frozenset(
    {"smtp.office365.com", "smtp-legacy.office365.com", "smtp-hve.office365.com", "smtp.hve.mx.microsoft"}
)
DAY_SECONDS = 86400.0
LOWERED_SECONDS = 600.0  # after "too many sessions", one session fewer for this long


def key_of(account_name: str) -> str:
    """The name the scheduler counts an account's limits by (never a destination's name)."""
    return f"account {account_name}"


def of(settings: Settings, decision: Decision) -> tuple[str, AccountLimits] | None:
    """The account of ``decision`` and its limits; None when it has none."""
    auth = decision.auth
    if auth is None:
        return None
    upstream = settings.account(auth.name)
    given = upstream.limits if upstream is not None else AccountLimits()
    microsoft = _microsoft(decision, upstream.oauth2.provider if upstream and upstream.oauth2 else "")
    default = EXCHANGE_ONLINE if microsoft else AccountLimits()
    # Field by field: a limit the file leaves at 0 is the provider's (Exchange Online enforces its
    # own whatever Tenso does, so a Microsoft 365 account never goes without them).
    limits = AccountLimits(
        messages_per_minute=given.messages_per_minute or default.messages_per_minute,
        sessions=given.sessions or default.sessions,
        recipients_per_day=given.recipients_per_day or default.recipients_per_day,
        message_mb=given.message_mb,
    )
    return None if limits.none else (key_of(auth.name), limits)


def possible(settings: Settings) -> bool:
    """Whether any account may have limits (then the scheduler routes the mail it finds at start)."""
    return (
        any(not a.limits.none for a in settings.accounts)
        or any(a.oauth2 is not None and a.oauth2.provider == Provider.MICROSOFT for a in settings.accounts)
        or any(r.by_graph or r.destination.lower().rstrip(".") in OFFICE365_HOSTS for r in settings.rules)
    )


def _microsoft(decision: Decision, provider: str) -> bool:
    target = decision.target
    if provider == Provider.MICROSOFT or isinstance(target, GraphTarget):
        return True
    return isinstance(target, ServerTarget) and target.host.lower().rstrip(".") in OFFICE365_HOSTS


def as_list(limits: AccountLimits) -> list[int]:
    """The limits as the delivery worker writes them to the scheduler (JSON)."""
    return [limits.messages_per_minute, limits.sessions, limits.recipients_per_day]


@dataclass
class _Count:
    limits: AccountLimits
    running: int = 0
    last_start: float = -math.inf
    sent: deque[tuple[float, int]] = field(default_factory=deque)  # (when, recipients), last 24 h
    used: int = 0  # recipients in ``sent``
    lowered: int = 0  # sessions allowed for now after "too many sessions" (0: the limit's)
    lowered_until: float = 0.0
    day_full: bool = False  # said once in the log, until mail to it goes again

    def sessions(self, now: float) -> int:
        if self.lowered and now < self.lowered_until:
            return self.lowered
        return self.limits.sessions

    def expire(self, now: float) -> None:
        while self.sent and self.sent[0][0] <= now - DAY_SECONDS:
            self.used -= self.sent.popleft()[1]


class Limiter:
    """The counts of every limited account; used on the event loop only (never waits)."""

    def __init__(self) -> None:
        self._counts: dict[str, _Count] = {}

    def set(self, key: str, limits: AccountLimits) -> None:
        """The account's limits as the settings say now (a reload changes them)."""
        count = self._counts.get(key)
        if count is None:
            self._counts[key] = _Count(limits)
        else:
            count.limits = limits

    def hold(self, wants: dict[str, int], now: float) -> tuple[str, float | None] | None:
        """Whether a message for these accounts (account → its recipients) must wait: the account
        that holds it, and when it may go (None: when one of that account's attempts ends)."""
        for key, recipients in wants.items():
            count = self._counts.get(key)
            if count is None:
                continue
            limits = count.limits
            sessions = count.sessions(now)
            if sessions and count.running >= sessions:
                return key, None
            if limits.messages_per_minute:
                due = count.last_start + 60.0 / limits.messages_per_minute
                if now < due:
                    return key, due
            if limits.recipients_per_day:
                count.expire(now)
                # A message to more recipients than a whole day's limit still goes, on its own.
                if count.used and count.used + recipients > limits.recipients_per_day:
                    until = count.sent[0][0] + DAY_SECONDS
                    if not count.day_full:
                        count.day_full = True
                        log.warning(
                            "%s reached its limit of %d recipients in 24 hours; its mail waits in the queue until %s",
                            key,
                            limits.recipients_per_day,
                            _clock(until),
                        )
                    return key, until
        return None

    def begin(self, wants: dict[str, int], now: float) -> None:
        for key, recipients in wants.items():
            count = self._counts.get(key)
            if count is None:
                continue
            count.running += 1
            count.last_start = now
            count.sent.append((now, recipients))
            count.used += recipients
            count.day_full = False

    def next_start(self, key: str) -> float | None:
        """When the account's rate lets the next message start (None: it has no rate)."""
        count = self._counts.get(key)
        if count is None or not count.limits.messages_per_minute:
            return None
        return count.last_start + 60.0 / count.limits.messages_per_minute

    def end(self, wants: dict[str, int]) -> None:
        for key in wants:
            count = self._counts.get(key)
            if count is not None and count.running:
                count.running -= 1

    def lower(self, key: str, now: float) -> None:
        """The destination said "too many sessions" (another device uses the mailbox too): one
        fewer than were open, at least one, for a while."""
        count = self._counts.get(key)
        if count is None:
            return
        count.lowered = max(1, min(count.running, count.sessions(now) or count.running) - 1)
        count.lowered_until = now + LOWERED_SECONDS

    def day_limited(self, now: float) -> list[tuple[str, float]]:
        """The accounts (their names) whose daily limit holds mail back now, and until when (Status)."""
        found = []
        for key, count in self._counts.items():
            count.expire(now)
            if count.day_full and count.sent:
                found.append((key.removeprefix(key_of("")), count.sent[0][0] + DAY_SECONDS))
        return found


def _clock(when: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(when))
