"""Normal delivery to anyone else: the recipient domain's MX hosts (resolver.py), port 25,
STARTTLS when offered, never a password; the next host when one cannot be reached.  One batch
per domain, which is also what the scheduler counts ("mx:domain")."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from app.deliver import smtp
from app.deliver.couriers.base import Batch, Reply, Shared, for_smtp, unsendable
from app.mail import addresses
from app.store.activity import MX_DESTINATION

if TYPE_CHECKING:
    from app.deliver.resolver import Resolver
    from app.route.router import Decision
    from app.store.spool import QueuedMessage, Recipient

log = logging.getLogger("tenso")


class MxCourier:
    def __init__(self, shared: Shared):
        self.shared = shared
        self._resolver: Resolver | None = None
        self._resolver_servers: list[str] | None = None
        self._lock = threading.Lock()

    def slot(self, decision: Decision) -> str:
        return f"mx:{addresses.domain_of(decision.recipient).lower()}"

    @property
    def resolver(self) -> Resolver:
        from app.deliver.resolver import Resolver  # dnspython only once mail goes by MX (a smaller delivery process)

        servers = self.shared.settings.delivery.dns_servers
        with self._lock:
            if self._resolver is None or self._resolver_servers != servers:
                self._resolver = Resolver(servers)
                self._resolver_servers = list(servers)
            return self._resolver

    def deliver(self, batch: Batch) -> list[Reply]:
        rcpts = [rcpt for rcpt, _ in batch.recipients]
        try:
            content = for_smtp(batch.message.id, batch.content)
            return self._deliver(batch.message, addresses.domain_of(rcpts[0].address), rcpts, content)
        except UnicodeError as exc:
            return unsendable(batch.message.id, rcpts, exc, MX_DESTINATION)

    def _deliver(self, message: QueuedMessage, domain: str, rcpts: list[Recipient], content: bytes) -> list[Reply]:
        from app.deliver import resolver

        settings = self.shared.settings
        port = settings.delivery.mx_port
        try:
            hosts = self.resolver.mail_hosts(domain)
        except resolver.LookupError as exc:
            for r in rcpts:
                log.info("%s to=<%s> mx lookup: %s", message.id, r.address, exc.reply)
            return [Reply(r, exc.reply, MX_DESTINATION) for r in rcpts]
        is_self = self.shared.loopback.is_self
        candidates = [(h, ip) for h in hosts for ip in h.addresses]
        mine = [(h, ip) for h, ip in candidates if is_self(ip, port)]
        if mine:
            # RFC 5321 5.1: when we are one of the MX hosts, only hosts preferred over us may be tried.
            best_own = min(h.preference for h, _ in mine)
            candidates = [(h, ip) for h, ip in candidates if h.preference < best_own]
            if not candidates:
                loop = f"554 5.4.6 mail for {domain} loops back to myself (MX {mine[0][0].name} is this gateway)"
                for r in rcpts:
                    log.warning("%s to=<%s> %s", message.id, r.address, loop)
                return [Reply(r, loop, MX_DESTINATION) for r in rcpts]
        mail = smtp.Outgoing(
            settings.server.hostname, message.sender, [r.address for r in rcpts], content, message.envelope.mail_options
        )
        last = f"451 4.4.1 no mail host of {domain} answered"
        for host, ip in candidates:
            destination = smtp.Destination(ip, port, smtp.TlsMode.OPPORTUNISTIC, None)
            try:
                answers = smtp.deliver(self.shared.pool, destination, None, mail, raise_unreachable=True)
            except smtp.DeliveryError as exc:
                last = f"451 4.4.1 {host.name} [{ip}]: {exc.reply}"
                log.info("%s mx %s [%s] unreachable, trying the next: %s", message.id, host.name, ip, exc.reply)
                continue
            where = f"mx={host.name} [{ip}]"
            return [Reply(r, answers[r.address], MX_DESTINATION, f"to=<{r.address}> {where}") for r in rcpts]
        for r in rcpts:
            log.info("%s to=<%s> deferred: %s", message.id, r.address, last)
        return [Reply(r, last, MX_DESTINATION) for r in rcpts]
