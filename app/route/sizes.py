"""The largest message a recipient's way out takes, known before the message is stored: the
mailbox of an upstream account (``accounts[].limits.message_mb``), and Exchange Online's default
for a Microsoft 365 mailbox (a ``GRAPH`` rule, or a rule to a server of ``office365.com``): 35 MB
unless the tenant's administrator changed it (150 MB at most).

The receiving side asks at the end of DATA, so a scanner over the limit sees ``552 5.3.4`` at once
instead of a bounce after the upstream refused it (receive/handler.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.route.targets import GraphTarget, ServerTarget

if TYPE_CHECKING:
    from app.route.router import Decision
    from app.settings import Settings

MB = 1024 * 1024  # Exchange's MB: its "35 MB" is 36,700,160 bytes
EXCHANGE_ONLINE_MB = 35  # the default of a Microsoft 365 mailbox (MaxSendSize)
EXCHANGE_HOST_SUFFIX = ".office365.com"  # smtp.office365.com, smtp-legacy…, smtp-hve…


@dataclass(frozen=True)
class Limit:
    bytes: int
    mailbox: str  # the account's user name, or the destination's name
    source: str  # where the number comes from, for the reply

    @property
    def megabytes(self) -> int:
        return self.bytes // MB


def limit_for(settings: Settings, decision: Decision) -> Limit | None:
    """The limit of ``decision``'s way out; None when Tenso knows of none."""
    target, auth = decision.target, decision.auth
    exchange = isinstance(target, GraphTarget) or (
        isinstance(target, ServerTarget) and target.host.lower().endswith(EXCHANGE_HOST_SUFFIX)
    )
    account = settings.account(auth.name) if auth is not None else None
    mailbox = auth.username if auth is not None else decision.destination
    if account is not None and account.limits.message_mb > 0:
        return Limit(account.limits.message_mb * MB, mailbox, f"accounts[].limits.message_mb of {account.name}")
    if exchange:
        return Limit(EXCHANGE_ONLINE_MB * MB, mailbox, "Exchange Online's default")
    return None


def over_limit(settings: Settings, decisions: list[Decision], size: int) -> Limit | None:
    """The first limit among ``decisions`` that ``size`` bytes exceed."""
    for decision in decisions:
        limit = limit_for(settings, decision)
        if limit is not None and size > limit.bytes:
            return limit
    return None
