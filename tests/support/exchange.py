"""An Exchange Online–like submission server: SMTP AUTH, and the limits of one mailbox enforced
with Exchange's own replies (Microsoft Learn, "Message storage and concurrent connection throttling
for SMTP Authenticated Submission"):

- at most ``sessions`` connections at once: the others get ``432 4.3.2 Concurrent connections limit
  exceeded.`` to MAIL (and are counted in ``refused``);
- ``messages_per_minute``: beyond it Exchange delays the submission ("carried over to the following
  minutes"); here the reply to the data waits for the next token of a bucket refilled at that rate,
  and the message is counted in ``delayed``;
- ``recipients_per_day``: beyond it, ``554 5.2.0 STOREDRV.Submission.Exception:
  SubmissionQuotaExceededException ...`` to the data (counted in ``over_quota``).

It counts what it saw: ``max_sessions`` (connections open at once), and each message's arrival
time.  Built on ``tests.support.smtp.Upstream`` (aiosmtpd in a thread, on 127.0.0.1, port 0).
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field

from aiosmtpd.smtp import SMTP

from tests.support.processes import free_port
from tests.support.smtp import Upstream, UpstreamController, UpstreamHandler, _LongLineSMTP

TOO_MANY_SESSIONS = "432 4.3.2 Concurrent connections limit exceeded. [Hostname=TYCP286MB1234.JPNP286.PROD.OUTLOOK.COM]"
QUOTA_EXCEEDED = (
    "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to "
    "a permanent exception with message [BeginDiagnosticData]Cannot submit message.[EndDiagnosticData]"
)


@dataclass
class ExchangeHandler(UpstreamHandler):
    sessions: int = 3
    messages_per_minute: int = 30
    recipients_per_day: int = 10000
    others: int = 0  # sessions of other devices with the same mailbox, open before any of ours
    max_sessions: int = 0
    refused: int = 0  # 432s sent
    delayed: int = 0  # messages held back by the rate
    over_quota: int = 0  # 554 5.2.0s sent
    arrivals: list[float] = field(default_factory=list)  # time.monotonic() of each message taken
    recipients_today: int = 0
    _tokens: float = -1.0
    _refilled: float = 0.0
    _open: list[SMTP] = field(default_factory=list)  # in the order they connected
    _count_lock: threading.Lock = field(default_factory=threading.Lock)

    def opened(self, server: SMTP) -> None:
        with self._count_lock:
            self._open.append(server)
            self.max_sessions = max(self.max_sessions, len(self._open))

    def closed(self, server: SMTP) -> None:
        with self._count_lock:
            self._open.remove(server)

    def _over_limit(self, server: SMTP) -> bool:
        """Whether this session is beyond the first ``sessions`` open (the others' included)."""
        with self._count_lock:
            return bool(self.sessions) and self.others + self._open.index(server) >= self.sessions

    async def handle_MAIL(self, server, session, envelope, address, options):
        if self._over_limit(server):
            self.refused += 1
            return TOO_MANY_SESSIONS
        return await super().handle_MAIL(server, session, envelope, address, options)

    async def handle_DATA(self, server, session, envelope):
        if self.recipients_per_day and self.recipients_today + len(envelope.rcpt_tos) > self.recipients_per_day:
            self.over_quota += 1
            return QUOTA_EXCEEDED
        wait = self._take_token()
        if wait > 0:
            self.delayed += 1
            await asyncio.sleep(wait)
        self.recipients_today += len(envelope.rcpt_tos)
        reply = await super().handle_DATA(server, session, envelope)
        if reply.startswith("250"):
            self.arrivals.append(time.monotonic())
        return reply

    def _take_token(self) -> float:
        """A token bucket holding a minute's messages: the seconds until this message's token."""
        if not self.messages_per_minute:
            return 0.0
        per_second = self.messages_per_minute / 60.0
        now = time.monotonic()
        if self._tokens < 0:
            self._tokens, self._refilled = float(self.messages_per_minute), now
        self._tokens = min(float(self.messages_per_minute), self._tokens + (now - self._refilled) * per_second)
        self._refilled = now
        self._tokens -= 1
        return 0.0 if self._tokens >= 0 else -self._tokens / per_second


class _CountingSMTP(_LongLineSMTP):
    def connection_made(self, transport):
        super().connection_made(transport)
        self.event_handler.opened(self)

    def connection_lost(self, exc):
        self.event_handler.closed(self)
        super().connection_lost(exc)


class _ExchangeController(UpstreamController):
    def factory(self):
        return _CountingSMTP(self.handler, **self.SMTP_kwargs)


class Exchange(Upstream):
    """The server; ``handler`` holds the limits (changeable while it runs) and the counts."""

    handler: ExchangeHandler

    def __init__(
        self,
        accounts: dict[str, str],
        sessions: int = 3,
        messages_per_minute: int = 30,
        recipients_per_day: int = 10000,
        port: int = 0,
    ):
        self.handler = ExchangeHandler(
            accounts=dict(accounts),
            sessions=sessions,
            messages_per_minute=messages_per_minute,
            recipients_per_day=recipients_per_day,
        )
        self.handler.require_auth = True

        self.controller = _ExchangeController(
            self.handler,
            hostname="127.0.0.1",
            port=port or free_port(),
            server_hostname="outlook.test",
            auth_require_tls=False,
            authenticator=self.handler.authenticator,
        )
        self.controller.start()
        self.port = self.controller.port
