"""What the gateway answers to each SMTP command: the aiosmtpd handler.

It decides recipients at RCPT TO (``route.policy``), and at the end of DATA writes
the message to the store in a thread and answers 250 with the queue id only once it
is on disk; then it tells whoever runs it (``on_stored``).  The server it is plugged
into is ``receive.smtp``.  Everything it needs comes through ``ReceiveContext``: the
gateway in the main process, ``receive.worker_main`` in a receiving worker.
"""

from __future__ import annotations

import asyncio
import errno
import hmac
import logging
import time
from collections.abc import Callable
from email.utils import formatdate
from typing import TYPE_CHECKING, Any, Protocol, cast

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from app.history import summary
from app.history.records import Received, Refusal
from app.mail import addresses
from app.mail.headers import count_hops
from app.mail.lineends import has_bare_line_ends, to_crlf
from app.receive.door import Door
from app.settings import BareNewlines, keys
from app.store.commit import Committer
from app.store.spool import Envelope as SpoolEnvelope
from app.store.spool import new_id
from app.system import passwords

if TYPE_CHECKING:
    from app.route.policy import RelayPolicy
    from app.route.router import Router
    from app.settings import Settings
    from app.store.spool import Spool


class ReceiveContext(Protocol):
    """The current settings and the parts built from them (replaced together on a change)."""

    settings: Settings
    policy: RelayPolicy
    router: Router
    spool: Spool


OnStored = Callable[[str, SpoolEnvelope, tuple[bytes, ...], Received | None], None]
"""Called on the loop once a message is durable: its id, envelope and bytes, and the history's
record of it (None when ``history.enabled`` is false)."""

OnRefused = Callable[[Refusal], None]
"""Called on the loop for each refusal at RCPT or DATA (the history; ``counted``: the status counts')."""


log = logging.getLogger("tenso")

TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"
MAIL_LOOP = "554 5.4.6 Too many hops ({} Received headers): mail loop?"
NO_SPACE = "452 4.3.1 Insufficient system storage, try again later"
STORE_FAILED = "451 4.3.0 Message could not be stored, try again later"
SENDER_NOT_TEXT = "501 5.1.7 Sender address refused: it holds {}"
RECIPIENT_NOT_TEXT = "553 5.1.3 Recipient address refused: it holds {}"
BARE_NEWLINE = "550 5.5.2 Message refused: bare CR or LF in the data; lines must end with CRLF"
TOO_BIG_FOR_MAILBOX = (
    "552 5.3.4 Message too big for the mailbox {mailbox}: {size:,} bytes, over its limit of {mb} MB ({source}); "
    "send it smaller (a lower scan resolution, or split by size)"
)
NOT_THIS_DEVICES_SENDER = "550 5.7.1 <{address}> is not a sender the device {device} may use (devices[].senders)"
AUTH_UNAVAILABLE = "454 4.7.0 Temporary authentication failure"
AUTH_FAILED_DELAY = 1.0  # seconds; slows down password guessing


_date_cache: tuple[int, str] = (-1, "")


def _date_now() -> str:
    """The Received: header's date (RFC 5322, local time), formatted once a second."""
    global _date_cache  # one cached value for the whole process
    second = int(time.time())
    if _date_cache[0] != second:
        _date_cache = (second, formatdate(second, localtime=True))
    return _date_cache[1]


def client_ip(session: Session) -> str:
    peer = session.peer
    return peer[0] if isinstance(peer, tuple) else ""


def address_literal(ip: str) -> str:
    """The client's address as RFC 5321 4.1.3 writes it: ``[192.0.2.1]``, ``[IPv6:2001:db8::1]``."""
    if ":" in ip:
        return f"[IPv6:{ip.partition('%')[0]}]"  # a link-local address's %zone is no part of it
    return f"[{ip}]"


class InboundHandler:
    """aiosmtpd hooks; what they decide comes from ``context``, read afresh for every command."""

    def __init__(
        self,
        context: ReceiveContext,
        on_stored: OnStored,
        on_refused: OnRefused | None = None,
        door: Door | None = None,
    ):
        self.context = context
        self.door = (
            door or Door()
        )  # connection counts and login bans (the gateway keeps one across restarts of its ports)
        self.on_stored = on_stored
        self.on_refused = on_refused  # a recipient or a message refused (the history, the status counts)
        self.sessions: set[SMTP] = set()  # open client connections, closed on stop
        self.committing: set[asyncio.Task] = set()  # messages being written to the spool
        self._committer: Committer | None = None  # the spool's group commit (made for context.spool)

    def close_sessions(self) -> None:
        """Says 421 to every connected client and hangs up (Python >= 3.12 waits for them otherwise)."""
        for session in list(self.sessions):
            if session.transport is not None and not session.transport.is_closing():
                transport = cast(asyncio.WriteTransport, session.transport)  # a connection's: it writes
                transport.write(b"421 4.3.2 Tenso is shutting down, try again later\r\n")
                session.transport.close()

    async def settle(self, timeout: float) -> None:
        """After ``close_sessions``: waits (at most ``timeout``) until every connection is gone
        and every commit it started has finished.  A client whose whole message had arrived just
        before the 421 may start its commit after the hang-up, on the loop's next turns: stopping
        the loop then would cancel it between the fsync and the announcement."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.sessions and loop.time() < deadline:
            await asyncio.sleep(0.005)
        await asyncio.sleep(0)  # a handler resumed in the same turn as its hang-up
        if self.committing:
            await asyncio.wait(self.committing, timeout=max(0.1, deadline - loop.time()))

    async def handle_EHLO(self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses):
        session.host_name = hostname
        # aiosmtpd reads pipelined commands correctly but does not say so.  No
        # ENHANCEDSTATUSCODES: aiosmtpd's own replies (503, 552...) lack them.  One string,
        # so the whole reply leaves in one write instead of one per line.
        return ["\r\n".join([*responses[:-1], "250-PIPELINING", responses[-1]])]

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope, address: str, options):
        problem = addresses.not_text(address)
        if problem:
            log.info("refused MAIL FROM:<%s> client=%s: %s", address, client_ip(session), problem)
            return SENDER_NOT_TEXT.format(problem)
        device = self._device(session)
        if device is not None and device.senders and address.lower() not in {s.lower() for s in device.senders}:
            log.info(
                "refused MAIL FROM:<%s> client=%s: not a sender of device %s", address, client_ip(session), device.name
            )
            return NOT_THIS_DEVICES_SENDER.format(address=address, device=device.name)
        envelope.mail_from = address  # what aiosmtpd does itself when there is no hook
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options):
        problem = addresses.not_text(address)  # before any relay decision: under every option
        if problem:
            log.info(
                "refused RCPT <%s> from <%s> client=%s: %s", address, envelope.mail_from, client_ip(session), problem
            )
            return self.refuse(session, envelope, "RCPT", RECIPIENT_NOT_TEXT.format(problem), [address])
        if len(envelope.rcpt_tos) >= self.context.settings.server.max_recipients:
            return self.refuse(session, envelope, "RCPT", TOO_MANY_RECIPIENTS, [address])
        refusal = self.context.policy.check(address, client_ip(session), bool(session.authenticated))
        if refusal:
            log.info(
                "refused RCPT <%s> from <%s> client=%s: %s", address, envelope.mail_from, client_ip(session), refusal
            )
            return self.refuse(session, envelope, "RCPT", refusal, [address], counted=True)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope):
        settings = self.context.settings
        content: bytes = envelope.original_content or b""
        if has_bare_line_ends(content):
            # What a lax server behind Tenso could take for an end of data (mail/lineends.py).
            if settings.server.bare_newlines == BareNewlines.REFUSE:
                log.info("refused message from <%s> client=%s: bare CR or LF", envelope.mail_from, client_ip(session))
                return self.refuse(session, envelope, "DATA", BARE_NEWLINE)
            content = to_crlf(content)
        hops = count_hops(content)
        if hops >= settings.options.max_forward_count:
            log.warning(
                "refused message from <%s>: %d Received headers (max %d)",
                envelope.mail_from,
                hops,
                settings.options.max_forward_count,
            )
            return self.refuse(session, envelope, "DATA", MAIL_LOOP.format(hops))
        if refusal := self._over_mailbox_limit(envelope, len(content)):
            return self.refuse(session, envelope, "DATA", refusal)
        qid = self.context.spool.reserve()  # a slot's id when one is ready: one disk sync before 250
        received = self.received_header(server, session, envelope, qid)
        stored = SpoolEnvelope(
            sender="" if envelope.mail_from in (None, "<>") else envelope.mail_from,  # aiosmtpd keeps "<>"
            recipients=list(envelope.rcpt_tos),
            mail_options=[o for o in envelope.mail_options if o.startswith(("BODY=", "SMTPUTF8"))],
            client=client_ip(session),
            helo=session.host_name or "",
            auth_user=str(session.auth_data or "") if session.authenticated else "",
            received_at=time.time(),
        )
        commit = asyncio.ensure_future(self._commit(qid, stored, received, content))
        self.committing.add(commit)
        commit.add_done_callback(self.committing.discard)
        failed = await asyncio.shield(commit)
        if failed:
            return self.refuse(session, envelope, "DATA", failed)
        return f"250 2.0.0 OK: queued as {qid}"

    def refuse(
        self,
        session: Session,
        envelope: Envelope,
        stage: str,
        reply: str,
        recipients: list[str] | None = None,
        counted: bool = False,
    ) -> str:
        """``reply``, told to whoever keeps the history (``counted``: a relay refusal, which the
        status counts count).  Also for the refusals the session makes itself (receive/smtp.py)."""
        if self.on_refused:
            self.on_refused(
                Refusal(
                    key=new_id(),
                    time=time.time(),
                    stage=stage,
                    client=client_ip(session),
                    login=str(session.auth_data or "") if session.authenticated else "",
                    sender="" if envelope.mail_from in (None, "<>") else envelope.mail_from,
                    recipients=list(envelope.rcpt_tos) if recipients is None else recipients,
                    reply=reply,
                    counted=counted,
                )
            )
        return reply

    def _over_mailbox_limit(self, envelope: Envelope, size: int) -> str | None:
        """552 when a recipient's way out is a mailbox whose limit the message exceeds
        (route/sizes.py): the device shows it at once, instead of a bounce after the upstream
        refused it."""
        from app.route import sizes

        router, settings = self.context.router, self.context.settings
        sender = "" if envelope.mail_from in (None, "<>") else envelope.mail_from
        limit = sizes.over_limit(settings, [router.route(r, sender) for r in envelope.rcpt_tos], size)
        if limit is None:
            return None
        log.info(
            "refused message from <%s>: %d bytes, over the %d MB of %s",
            envelope.mail_from,
            size,
            limit.megabytes,
            limit.mailbox,
        )
        return TOO_BIG_FOR_MAILBOX.format(mailbox=limit.mailbox, size=size, mb=limit.megabytes, source=limit.source)

    async def _commit(self, qid: str, stored: SpoolEnvelope, received: bytes, content: bytes) -> str | None:
        """Stores the message, then hands it to the queue runner: shielded, so a client hanging up
        (or a stop saying 421) while the fsync runs cannot leave a message on disk that the queue
        runner does not know of until the next start.  None when stored, else the reply."""
        committer = self._committer
        if committer is None or committer.spool is not self.context.spool:
            committer = self._committer = Committer(self.context.spool, then=self._summary)
        try:
            record = cast("Received | None", await committer.store(qid, stored, received, content))
        except OSError as exc:
            log.error("%s not stored: %s", qid, exc)
            return NO_SPACE if exc.errno in (errno.ENOSPC, errno.EDQUOT) else STORE_FAILED
        log.info(
            "%s accepted from=<%s> to=%s size=%d client=%s%s",
            qid,
            stored.sender,
            ",".join(f"<{r}>" for r in stored.recipients),
            len(content),
            stored.client,
            f" auth={stored.auth_user}" if stored.auth_user else "",
        )
        self.on_stored(qid, stored, (received, content), record)
        return None

    def _summary(self, qid: str, stored: SpoolEnvelope, parts: tuple[bytes, ...]) -> Received | None:
        """In the commit thread, once the message is durable: the history's few header fields read,
        there and not on the loop (nor later, which would keep the bytes in memory until then)."""
        received, content = parts
        if not self.context.settings.history.enabled:
            return None
        try:
            return summary.received(qid, stored, (received, content))
        except Exception:  # the history must never cost a stored message its 250
            log.exception("%s: its header could not be read for the history", qid)
            return None

    def received_header(self, server: SMTP, session: Session, envelope: Envelope, qid: str) -> bytes:
        # The protocol names of RFC 3848 and, for SMTPUTF8 mail, RFC 6531 section 4.3.
        if envelope.smtp_utf8:
            protocol = "UTF8SMTP"
        else:
            protocol = "ESMTP" if session.extended_smtp else "SMTP"
        if session.ssl:
            protocol += "S"
        if session.authenticated:
            protocol += "A"
        recipients = envelope.rcpt_tos
        for_clause = f"\r\n\tfor <{recipients[0]}>" if len(recipients) == 1 else ""
        helo = (session.host_name or "unknown").replace("\r", "").replace("\n", "")
        text = (
            f"Received: from {helo} ({address_literal(client_ip(session))})\r\n"
            f"\tby {server.hostname} (Tenso) with {protocol} id {qid}{for_clause};\r\n"
            f"\t{_date_now()}\r\n"
        )
        return text.encode("utf-8", "surrogateescape")

    def _device(self, session: Session):
        """The device this session logged in as, if it did (its auth_data is ``device:NAME``)."""
        data = session.auth_data if session.authenticated else None
        key = keys.parse(data) if isinstance(data, str) else None
        if key is None or key.kind != keys.KeyKind.DEVICE:
            return None
        return next((d for d in self.context.settings.devices if d.name.lower() == key.name), None)

    # --- AUTH for local users (passwords under local:ADDRESS in the keyring) and devices
    # (device:NAME).  aiosmtpd parses PLAIN and LOGIN; its authenticator hook is synchronous,
    # and the keyring must not be read on the event loop.  So the built-in parser runs with an
    # authenticator that only hands the credentials back, and they are checked here.

    async def auth_PLAIN(self, server: SMTP, args: list[str]) -> AuthResult:
        return await self._verify(server, await SMTP.auth_PLAIN(server, None, args))

    async def auth_LOGIN(self, server: SMTP, args: list[str]) -> AuthResult:
        return await self._verify(server, await SMTP.auth_LOGIN(server, None, args))

    async def _verify(self, server: SMTP, parsed: AuthResult) -> AuthResult:
        if not parsed.success:
            return parsed
        login, password = cast(LoginPassword, parsed.auth_data)  # what hand_back accepts
        user = login.decode("utf-8", "replace")
        settings = self.context.settings
        # A device's login first: checks refuse a login that is also a local user's address.
        device = settings.device(user)
        key = identity = ""
        if device is not None:
            key = identity = device.key
        elif addresses.is_address(user) and self.context.router.is_local_user(user):
            identity = addresses.normalize(user)
            key = keys.local_key(identity)
        ok = False
        if key:
            try:
                stored = await asyncio.to_thread(passwords.get, key)
            except passwords.PasswordStoreError as exc:
                log.error("AUTH for %s cannot be checked: %s", user, exc)
                return AuthResult(success=False, handled=False, message=AUTH_UNAVAILABLE)
            ok = stored is not None and hmac.compare_digest(stored.encode(), password)
        peer = client_ip(server.session) if server.session else ""
        if not ok:
            log.warning("AUTH failed for %r from %s", user, peer)
            self.door.failed(peer, settings.server)
            await asyncio.sleep(AUTH_FAILED_DELAY)
            return AuthResult(success=False, handled=False)
        log.info("AUTH %s from %s", identity, peer)
        return AuthResult(success=True, auth_data=identity)


def hand_back(server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
    """The authenticator given to aiosmtpd: the real check is InboundHandler._verify."""
    if not isinstance(data, LoginPassword):
        return AuthResult(success=False, handled=False)
    return AuthResult(success=True, auth_data=data)
