"""One delivery attempt of one queued message, start to finish, in a delivery thread.

Every due recipient is routed afresh (a corrected rule also fixes mail that is
already waiting) and handed to one of three ways out:

- a rule's destination server (``smtp``), one transaction per destination, or Microsoft
  Graph (``graph``, destination ``GRAPH``), one request per mailbox;
- normal delivery to a local user: their forward.txt decides, then the Maildir;
- normal delivery to anyone else: the domain's MX hosts, port 25, STARTTLS when offered.

Outcomes are written back per recipient: 2xx sent, 4xx deferred to the next
retry time (failed once the message is older than the maximum age), 5xx
failed.  Failed recipients are reported to the sender in one RFC 3464 bounce,
itself queued and delivered like any other mail; never to ``<>``.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import TYPE_CHECKING, Protocol, cast

from app.deliver import backup, mailbox, recipients, reports, smtp
from app.mail import addresses, forwarding
from app.mail.headers import count_hops
from app.route import router as routing
from app.store.activity import LOCAL_DESTINATION, MX_DESTINATION, Delivered
from app.store.spool import SENT, WAITING, Envelope, QueuedMessage, Recipient, new_id
from app.system.net import numeric_addresses, reaches_listener

if TYPE_CHECKING:
    from app.deliver import mx
    from app.route.router import Router
    from app.settings import Settings
    from app.store.spool import Spool


class DeliveryContext(Protocol):
    """What an attempt needs: the current settings and router, the store, and the addresses
    Tenso listens on (so that it never delivers to itself)."""

    settings: Settings
    router: Router
    spool: Spool

    @property
    def bound(self) -> list[tuple[str, int]]: ...


log = logging.getLogger("tenso")

HOST_CACHE_SECONDS = 60.0


@dataclass
class Result:
    """What an attempt leaves for the scheduler: when to look again, new messages to wake,
    and each recipient's outcome (for the status counts)."""

    next_try: float | None
    created: list[str] = field(default_factory=list)
    outcomes: list[Delivered] = field(default_factory=list)
    waiting_for: list[str] = field(default_factory=list)  # destinations of recipients still waiting


def mx_destination(address: str) -> str:
    """The scheduler's name for normal delivery to an address's domain (its slots are per domain)."""
    return f"mx:{addresses.domain_of(address).lower()}"


def graph_destination(account: routing.Account) -> str:
    """The scheduler's name for a GRAPH rule's mailbox (Graph's limits are per mailbox)."""
    return f"GRAPH {account.username}"


class Deliverer:
    def __init__(self, context: DeliveryContext):
        self.context = context
        self.pool = smtp.Pool()
        self._resolver: mx.Resolver | None = None
        self._resolver_servers: list[str] | None = None
        self._host_cache: dict[str, tuple[float, tuple[str, ...]]] = {}
        self._self_cache: dict[tuple, bool] = {}
        self._lock = threading.Lock()

    # --- workers ---

    @property
    def settings(self) -> Settings:
        return self.context.settings

    @property
    def resolver(self) -> mx.Resolver:
        from app.deliver import mx  # dnspython only once mail goes by MX (a smaller delivery process)

        servers = self.settings.delivery.dns_servers
        with self._lock:
            if self._resolver is None or self._resolver_servers != servers:
                self._resolver = mx.Resolver(servers)
                self._resolver_servers = list(servers)
            return self._resolver

    def host_addresses(self, host: str) -> tuple[str, ...]:
        """A destination's addresses, for the loop check only (smtplib resolves again)."""
        numeric = numeric_addresses(host)
        if numeric:
            return tuple(sorted(numeric))
        with self._lock:
            cached = self._host_cache.get(host)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
            found = tuple(sorted({cast(str, info[4][0]) for info in infos}))  # AF_INET/AF_INET6: strings
        except OSError:
            found = ()
        with self._lock:
            self._host_cache[host] = (time.monotonic() + HOST_CACHE_SECONDS, found)
        return found

    def is_self(self, ip: str, port: int) -> bool:
        """Would connecting to ip:port reach one of Tenso's own listening sockets?"""
        bound = self.context.bound
        key = (ip, port, tuple(bound))
        found = self._self_cache.get(key)
        if found is None:
            found = self._self_cache[key] = reaches_listener(numeric_addresses(ip) or {ip}, port, bound)
        return found

    # --- the attempt ---

    def attempt(
        self,
        qid: str,
        forced: bool = False,
        bounce_now: bool = False,
        fresh: tuple[Envelope, tuple[bytes, ...]] | None = None,
    ) -> Result:
        """``fresh``: the envelope and bytes just written by the server, so the first attempt
        of a new message does not read back what is still in memory (the same bytes as on disk)."""
        spool = self.context.spool
        content: bytes | None = None
        try:
            if fresh is not None and spool.exists(qid):
                envelope, parts = fresh
                content = b"".join(parts)
                message = QueuedMessage(qid, envelope, [Recipient(a) for a in envelope.recipients], len(content))
            else:
                message = spool.load(qid)
        except FileNotFoundError:
            return Result(None)  # deleted meanwhile
        now = time.time()
        result = Result(None)
        if bounce_now:
            for r in message.pending(float("inf")):
                self._record(message, r, "554 5.0.0 returned to the sender by the administrator", now, result)
            due = []
        else:
            due = message.pending(float("inf") if forced else now)
        if due:
            if content is None:
                content = spool.content(qid)
            backup.keep_copy(self.settings, message, content)
            hops = count_hops(content)
            if hops > self.settings.options.max_forward_count:
                for r in due:
                    self._record(message, r, f"554 5.4.6 mail loop: {hops} Received headers", now, result)
            else:
                self._deliver(message, due, content, result)
        self._finish(message, result)
        if message.done:
            spool.remove(qid)
            if all(r.state == SENT for r in message.recipients):
                log.info("%s removed: delivered to every recipient", qid)
            else:
                log.info("%s removed: every recipient delivered or bounced", qid)
            return result
        if spool.exists(qid):
            spool.save_state(message)
        result.next_try = message.next_try
        return result

    def _deliver(self, message: QueuedMessage, due: list[Recipient], content: bytes, result: Result) -> None:
        router = self.context.router
        forward: dict[smtp.Destination, list[tuple[Recipient, str]]] = defaultdict(list)
        by_domain: dict[str, list[Recipient]] = defaultdict(list)
        by_graph: dict[routing.Account, list[Recipient]] = defaultdict(list)
        now = time.time()
        for rcpt in due:
            decision = router.route(rcpt.address, message.sender)
            if decision.kind == routing.FORWARD:
                # A FORWARD decision always has these (Router.route); the others leave them None.
                assert decision.host is not None and decision.port is not None and decision.tls is not None
                dest = smtp.Destination(decision.host, decision.port, decision.tls, decision.auth, decision.rule)
                loop = next((ip for ip in self.host_addresses(dest.host) if self.is_self(ip, dest.port)), None)
                if loop:
                    self._record(
                        message,
                        rcpt,
                        f"554 5.4.6 rule {decision.rule} sends to {dest.host}:{dest.port}, which loops back to myself",
                        now,
                        result,
                    )
                    continue
                forward[dest].append((rcpt, decision.rcpt))
            elif decision.kind == routing.GRAPH:
                assert decision.auth is not None  # settings.problems: a GRAPH rule names its account
                by_graph[decision.auth].append(rcpt)
            elif decision.kind == routing.LOCAL:
                try:
                    self._deliver_local(message, rcpt, content, result)
                except UnicodeError as exc:
                    self._unsendable(message, [rcpt], exc, result, LOCAL_DESTINATION)
            elif decision.kind == routing.MX:
                by_domain[addresses.domain_of(rcpt.address)].append(rcpt)
            else:
                self._record(message, rcpt, f"550 5.1.1 <{rcpt.address}>: no such user here", now, result)
        for dest, items in forward.items():
            try:
                self._deliver_forward(message, dest, items, content, result)
            except UnicodeError as exc:
                self._unsendable(message, [rcpt for rcpt, _ in items], exc, result, f"{dest.host}:{dest.port}")
        for account, rcpts in by_graph.items():
            try:
                self._deliver_graph(message, account, rcpts, content, result)
            except UnicodeError as exc:
                self._unsendable(message, rcpts, exc, result, f"GRAPH {account.username}")
        for domain, rcpts in by_domain.items():
            try:
                self._deliver_mx(message, domain, rcpts, content, result)
            except UnicodeError as exc:
                self._unsendable(message, rcpts, exc, result, MX_DESTINATION)
        waiting = {f"{d.host}:{d.port}" for d, items in forward.items() if any(r.state in WAITING for r, _ in items)}
        waiting |= {mx_destination(rs[0].address) for rs in by_domain.values() if any(r.state in WAITING for r in rs)}
        waiting |= {graph_destination(a) for a, rs in by_graph.items() if any(r.state in WAITING for r in rs)}
        result.waiting_for = sorted(waiting)

    def _unsendable(
        self, message: QueuedMessage, rcpts: list[Recipient], exc: UnicodeError, result: Result, via: str
    ) -> None:
        """Text that cannot be encoded for the way out (an address that is not UTF-8, queued by
        an older Tenso) never will be: the recipients fail, and the sender gets the bounce,
        instead of an exception retried until the message expires."""
        reply = f"554 5.6.7 cannot be sent: {exc}"  # str() of the error shows the character escaped
        now = time.time()
        for rcpt in rcpts:
            self._record(message, rcpt, reply, now, result, via)
            log.warning("%s to=<%s> %s", message.id, rcpt.address, reply)

    # --- rule destinations ---

    def _password(self, message: QueuedMessage, account: routing.Account | None) -> smtp.Secret | None:
        if account is None:
            return None
        if account.oauth2:
            return self._token_source(account)
        from app.system import passwords  # keyring only once an account is used

        try:
            return passwords.get(account.key)
        except passwords.PasswordStoreError as exc:
            log.error("%s cannot read the password for %s: %s", message.id, account.key, exc)
            return None

    def _token_source(self, account: routing.Account) -> smtp.TokenSource:
        """The account's access token, asked for only when the server offers AUTH (app/accounts)."""
        from app.accounts import service

        settings = self.settings

        def token(fresh: bool) -> str:
            try:
                return service.access_token(settings, account.name, fresh=fresh)
            except service.AccountError as exc:
                raise smtp.DeliveryError(str(exc)) from exc

        return token

    def _deliver_forward(
        self,
        message: QueuedMessage,
        dest: smtp.Destination,
        items: list[tuple[Recipient, str]],
        content: bytes,
        result: Result,
    ) -> None:
        by_rcpt: dict[str, list[Recipient]] = defaultdict(list)
        for rcpt, sent_as in items:
            by_rcpt[sent_as].append(rcpt)
        mail = smtp.Outgoing(
            self.settings.server.hostname, message.sender, list(by_rcpt), content, message.envelope.mail_options
        )
        replies = smtp.deliver(self.pool, dest, self._password(message, dest.account), mail)
        now = time.time()
        via = f"{dest.host}:{dest.port}"
        for sent_as, reply in replies.items():
            for rcpt in by_rcpt[sent_as]:
                self._record(message, rcpt, reply, now, result, via)
                shown = f"<{rcpt.address}>" + (f" as <{sent_as}>" if sent_as != rcpt.address else "")
                # A destination that cannot be reached or logged in to (our own 451 4.4.x): the tray says so.
                failing = reply.startswith(("451 4.4.0 ", "451 4.4.2 "))
                log.info(
                    "%s to=%s relay=%s:%d%s state=%s reply=%s",
                    message.id,
                    shown,
                    dest.host,
                    dest.port,
                    f" auth={dest.account.name}" if dest.account else "",
                    rcpt.state,
                    reply,
                    extra={"event": "failing"} if failing else None,
                )

    def _deliver_graph(
        self, message: QueuedMessage, account: routing.Account, rcpts: list[Recipient], content: bytes, result: Result
    ) -> None:
        from app.deliver import graph  # requests only once a rule sends by Graph

        upstream = self.settings.account(account.name)
        url = (upstream.oauth2.graph_url if upstream and upstream.oauth2 else "") or graph.GRAPH_URL
        box = graph.Mailbox(url, account.username, account.name)
        wanted = [r.address for r in rcpts]
        folded = {w.casefold() for w in wanted}
        also = [a for a in graph.header_recipients(content) if a.casefold() not in folded]
        if also:  # Graph sends to every address of To/Cc/Bcc: there is no envelope to say otherwise
            log.warning(
                "%s graph=%s: the headers also name %s, not recipients of this delivery; Graph sends to them too",
                message.id,
                box.mailbox,
                ",".join(f"<{a}>" for a in also),
            )
        outcome = graph.send(box, self._token_source(account), graph.with_bcc(content, wanted))
        now = time.time()
        for rcpt in rcpts:
            self._record(message, rcpt, outcome.reply, now, result, box.via, outcome.retry_after)
            log.info(
                "%s to=<%s> graph=%s auth=%s state=%s reply=%s",
                message.id,
                rcpt.address,
                box.mailbox,
                account.name,
                rcpt.state,
                outcome.reply,
                extra={"event": "failing"} if outcome.reply.startswith(("451 4.4.0 ", "451 4.4.2 ")) else None,
            )

    # --- MX ---

    def _deliver_mx(
        self, message: QueuedMessage, domain: str, rcpts: list[Recipient], content: bytes, result: Result
    ) -> None:
        port = self.settings.delivery.mx_port
        now = time.time()
        from app.deliver import mx

        try:
            hosts = self.resolver.mail_hosts(domain)
        except mx.LookupError as exc:
            for r in rcpts:
                self._record(message, r, exc.reply, now, result, MX_DESTINATION)
                log.info("%s to=<%s> mx lookup: %s", message.id, r.address, exc.reply)
            return
        candidates = [(h, ip) for h in hosts for ip in h.addresses]
        mine = [(h, ip) for h, ip in candidates if self.is_self(ip, port)]
        if mine:
            # RFC 5321 5.1: when we are one of the MX hosts, only hosts preferred over us may be tried.
            best_own = min(h.preference for h, _ in mine)
            candidates = [(h, ip) for h, ip in candidates if h.preference < best_own]
            if not candidates:
                reply = f"554 5.4.6 mail for {domain} loops back to myself (MX {mine[0][0].name} is this gateway)"
                for r in rcpts:
                    self._record(message, r, reply, now, result, MX_DESTINATION)
                    log.warning("%s to=<%s> %s", message.id, r.address, reply)
                return
        last = "451 4.4.1 no mail host of {domain} answered"
        mail = smtp.Outgoing(
            self.settings.server.hostname,
            message.sender,
            [r.address for r in rcpts],
            content,
            message.envelope.mail_options,
        )
        for host, ip in candidates:
            dest = smtp.Destination(ip, port, smtp.TlsMode.OPPORTUNISTIC, None)
            try:
                replies = smtp.deliver(self.pool, dest, None, mail, raise_unreachable=True)
            except smtp.DeliveryError as exc:
                last = f"451 4.4.1 {host.name} [{ip}]: {exc.reply}"
                log.info("%s mx %s [%s] unreachable, trying the next: %s", message.id, host.name, ip, exc.reply)
                continue
            now = time.time()
            for r in rcpts:
                self._record(message, r, replies[r.address], now, result, MX_DESTINATION)
                log.info(
                    "%s to=<%s> mx=%s [%s] state=%s reply=%s",
                    message.id,
                    r.address,
                    host.name,
                    ip,
                    r.state,
                    replies[r.address],
                )
            return
        for r in rcpts:
            self._record(message, r, last.format(domain=domain), time.time(), result, MX_DESTINATION)
            log.info("%s to=<%s> deferred: %s", message.id, r.address, r.reply)

    # --- local users ---

    def _deliver_local(self, message: QueuedMessage, rcpt: Recipient, content: bytes, result: Result) -> None:
        user = addresses.normalize(rcpt.address)
        lines = next((u.forward for u in self.settings.local_users if addresses.normalize(u.address) == user), [])
        outcome = forwarding.evaluate(lines, message.sender)
        done = []
        try:
            if outcome.keep:
                path = mailbox.deliver(self.settings.mailbox_path, user, message.sender, content)
                done.append(f"stored in {path.parent.parent.name}")
            for target in outcome.forward_to:
                qid = self._forward_copy(message, user, target, content, outcome.subject_only)
                result.created.append(qid)
                done.append(f"{'notice' if outcome.subject_only else 'forwarded'} to <{target}> as {qid}")
        except OSError as exc:
            self._record(
                message,
                rcpt,
                f"451 4.3.0 local delivery to {user} failed: {exc}",
                time.time(),
                result,
                LOCAL_DESTINATION,
            )
            log.error("%s to=<%s> local delivery failed: %s", message.id, user, exc)
            return
        rule = f" (forward.txt line {outcome.line})" if outcome.line else ""
        reply = "250 2.0.0 " + ("; ".join(done) or "discarded") + rule
        self._record(message, rcpt, reply, time.time(), result, LOCAL_DESTINATION)
        log.info("%s to=<%s> local: %s", message.id, user, reply[10:])

    def _forward_copy(self, message: QueuedMessage, user: str, target: str, content: bytes, subject_only: bool) -> str:
        """Queues the forward.txt copy as a new message; it goes through the rules like any mail."""
        qid = new_id()
        hostname = self.settings.server.hostname
        if subject_only:
            sender, body = user, reports.subject_notice(hostname, user, target, message.sender, content)
            options: list[str] = []
        else:
            # A Received header per forward hop, so a forward loop meets the hop limit.
            received = (
                f"Received: by {hostname} (Tenso) with forward.txt id {qid}\r\n"
                f"\tfor <{target}> (forwarded for <{user}>); {formatdate(localtime=True)}\r\n"
            )
            sender, body = message.sender, received.encode("utf-8", "surrogateescape") + content
            options = list(message.envelope.mail_options)
        envelope = Envelope(
            sender=sender,
            recipients=[target],
            mail_options=options,
            client="forward.txt",
            helo=hostname,
            received_at=time.time(),
        )
        self.context.spool.store(qid, envelope, body)
        log.info(
            "%s created from %s: forward.txt of <%s> to <%s>%s",
            qid,
            message.id,
            user,
            target,
            " (subject only)" if subject_only else "",
        )
        return qid

    # --- outcomes ---

    def _record(
        self,
        message: QueuedMessage,
        rcpt: Recipient,
        reply: str,
        now: float,
        result: Result,
        via: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        """The recipient's new state from ``reply``; ``via``: the destination that answered."""
        result.outcomes.append(recipients.record(message, rcpt, reply, now, self.settings.queue, via, retry_after))

    def _finish(self, message: QueuedMessage, result: Result) -> None:
        """Bounces for failed recipients, delay warnings when due."""
        failed, late = recipients.finish(message, self.settings.delivery.delay_warning_hours)
        if failed:
            result.created.append(self._report(message, failed, "failed"))
        if late:
            result.created.append(self._report(message, late, "delayed"))

    def _report(self, message: QueuedMessage, rcpts: list[Recipient], action: str) -> str:
        hostname = self.settings.server.hostname
        body = reports.delivery_status(hostname, message, rcpts, self.context.spool.content(message.id), action)
        qid = new_id()
        envelope = Envelope(
            sender="",
            recipients=[message.sender],
            mail_options=["BODY=8BITMIME"],
            client="bounce",
            helo=hostname,
            received_at=time.time(),
        )
        self.context.spool.store(qid, envelope, body)
        log.info(
            "%s %s: DSN (%s) to <%s> for %s",
            message.id,
            "bounced" if action == "failed" else "delayed",
            qid,
            message.sender,
            ",".join(f"<{r.address}>" for r in rcpts),
            extra={"event": "bounce"} if action == "failed" else None,
        )  # the window's tray says so
        return qid
