"""Receiving mail: the aiosmtpd handler and the listening servers.

The servers are created on the running asyncio loop (``loop.create_server``)
so the same code runs under ``asyncio.run`` headless and under qasync in the
window.  The handler decides recipients at RCPT TO (``policy``), and at the
end of DATA writes the message to the spool in a worker thread and answers
250 with the queue id only once it is on disk.
"""

from __future__ import annotations

import asyncio
import errno
import hmac
import inspect
import logging
import re
import ssl
import time
from email.utils import formatdate
from functools import partial
from typing import TYPE_CHECKING, Any

from aiosmtpd import smtp as aiosmtpd_smtp
from aiosmtpd.smtp import MISSING, SMTP, AuthResult, Envelope, LoginPassword, Session, syntax

from app.mail import addresses
from app.mail.headers import count_hops
from app.store.spool import Envelope as SpoolEnvelope
from app.store.spool import new_id
from app.system import passwords

if TYPE_CHECKING:
    from app.gateway import Gateway

log = logging.getLogger("tenso")

TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"
MAIL_LOOP = "554 5.4.6 Too many hops ({} Received headers): mail loop?"
NO_SPACE = "452 4.3.1 Insufficient system storage, try again later"
STORE_FAILED = "451 4.3.0 Message could not be stored, try again later"
AUTH_FAILED_DELAY = 1.0  # seconds; slows down password guessing


_SCANNED = ("smtp_", "handle_", "auth_")


class _PerClassTables:
    """aiosmtpd 1.4 rebuilds, for every connection, method tables that depend only on the
    classes (``dir``, ``inspect.getmembers``, ``inspect.signature``): 0.3 ms of event-loop
    time per connection, a tenth of all of it under load.  These stand-ins, installed in
    aiosmtpd.smtp's module namespace, compute the names once per class and bind them per
    instance, so every table still holds the new connection's own bound methods.
    """

    def __init__(self) -> None:
        self._names: dict[type, list[str]] = {}
        self._signatures: dict[object, inspect.Signature] = {}

    def dir(self, obj: object) -> list[str]:
        names = self._names.get(type(obj))
        if names is None:
            # aiosmtpd only looks for smtp_*, handle_* and auth_* names, all defined on classes:
            # the other ~200 names of a class are left out of its per-connection scans.
            names = self._names[type(obj)] = [n for n in dir(type(obj)) if n.startswith(_SCANNED)]
        return names

    def getmembers(self, obj: object, predicate=None) -> list[tuple[str, object]]:
        return [(name, getattr(obj, name)) for name in self.dir(obj) if name.startswith("auth_")]

    def signature(self, fn) -> inspect.Signature:
        key = getattr(fn, "__func__", fn)
        found = self._signatures.get(key)
        if found is None:
            found = self._signatures[key] = inspect.signature(fn)
        return found

    def __getattr__(self, name: str):
        return getattr(inspect, name)


_date_cache: tuple[int, str] = (-1, "")


def _date_now() -> str:
    """The Received: header's date (RFC 5322, local time), formatted once a second."""
    global _date_cache  # noqa: PLW0603 - one cached value for the whole process
    second = int(time.time())
    if _date_cache[0] != second:
        _date_cache = (second, formatdate(second, localtime=True))
    return _date_cache[1]


_tables = _PerClassTables()
aiosmtpd_smtp.dir = _tables.dir
aiosmtpd_smtp.inspect = _tables


# "<dot-atom@dot-atom>" and what follows it: most addresses in MAIL and RCPT.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ANGLE_ADDR = re.compile(rf"<({_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>[ \t]*")


class TensoSMTP(SMTP):
    # Real mail has lines past RFC 5321's 1,000 octets (the fixtures carry a 2,000-byte
    # line); passing them on untouched is better than "500 Line too long".
    line_length_limit = 1 << 20

    def _getaddr(self, arg: str):
        """aiosmtpd's address parsing, with a shortcut for the plain ``<local@domain>`` form.

        aiosmtpd runs the email package's full RFC 5322 header parser on every MAIL and RCPT
        (and defines a class each call): ~10% of the event loop under load.  A dot-atom in
        angle brackets parses to itself; anything else (quotes, comments, literals, UTF-8,
        spaces inside) still goes through aiosmtpd, so the answers are the same.
        """
        if arg:
            match = _PLAIN_ANGLE_ADDR.match(arg)
            if match:
                rest = arg[match.end() :]
                address = match.group(1)
                local_part_ok = not self.local_part_limit or address.rindex("@") <= self.local_part_limit
                if not rest.startswith("(") and local_part_ok:
                    return address, rest
        return super()._getaddr(arg)

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self.event_handler.sessions.add(self)

    def connection_lost(self, error) -> None:
        self.event_handler.sessions.discard(self)
        transport = self.transport
        super().connection_lost(error)
        self._handler_coroutine.add_done_callback(self._release)
        # asyncio (3.11) keeps the transport's own read callback as a bound method: a cycle
        # of one closed transport.  Its reading is over (this is its last call to us).
        if transport is not None and hasattr(transport, "_read_ready_cb"):
            transport._read_ready_cb = None

    def _release(self, task: asyncio.Task) -> None:
        """Drops what ties a finished connection to itself (its tables of bound methods, the
        stream writer that points back, the finished task), so it is freed at once instead of
        waiting for the cyclic garbage collector: ~50 objects a connection, whose collection
        under load stalled the loop for up to 10 ms at a time."""
        self._handler_coroutine = None
        self._client_connected_cb = None
        self._reader = self._writer = None
        self._smtp_methods = {}
        self._auth_methods = {}
        self._timeout_handle = None

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        """aiosmtpd's DATA, reading the message in large pieces instead of line by line.

        Same replies and checks; the end marker is found with one bytes.find per piece and
        dot-unstuffing is one bytes.replace, so a 100 KB message costs a few C calls
        instead of ~1,300 trips through Python on the event loop.
        """
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        try:
            content = await self._read_message()
        except asyncio.CancelledError:
            self._writer.close()
            raise
        if content is None:
            await self.push("552 Error: Too much mail data")
            self._set_post_data_state()
            return
        if content.startswith(b"."):
            content = content[1:]
        content = content.replace(b"\r\n.", b"\r\n")  # RFC 5321 4.5.2: drop each line's leading dot
        self.envelope.content = self.envelope.original_content = content
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()
        await self.push("250 OK" if status is MISSING else status)

    async def _read_message(self) -> bytes | None:
        """The data up to the end marker (its last CRLF kept, still dot-stuffed); None if too big."""
        reader = self._reader
        limit = self.data_size_limit
        buf = bytearray(b"\r\n")  # as if after a line end, so the marker is always CRLF "." CRLF
        dropped = 0  # bytes thrown away once the message is known to be too big
        while True:
            chunk = await reader.read(1 << 16)
            if not chunk:
                raise asyncio.CancelledError  # EOF mid-message: the session is over
            start = max(0, len(buf) - 4)
            buf += chunk
            end = buf.find(b"\r\n.\r\n", start)
            if end >= 0:
                break
            if limit and dropped + len(buf) - 2 > limit:
                dropped += len(buf) - 4  # keep draining to the marker, keep only a tail to search
                del buf[:-4]
        leftover = buf[end + 5 :]
        if leftover:
            # A client that sent its next command before our reply (QUIT right after ".") gets
            # it read as the next command; aiosmtpd itself works on this buffer the same way.
            reader._buffer[0:0] = leftover
        if limit and dropped + end > limit:
            return None
        return bytes(buf[2 : end + 2])

    def _reset_timeout(self, duration: float | None = None) -> None:
        """aiosmtpd's idle timer, restarted without a new timer each time: a deadline is moved
        and the one timer, when it fires early, sleeps again until the deadline.  It is restarted
        for every command and every piece of DATA (a heap push and a cancel each, before).
        The timer's own due time is kept here: qasync's loop hands back plain Handles, no when()."""
        self._deadline = self.loop.time() + (duration or self._timeout_duration)
        handle = self._timeout_handle
        if handle is None or handle.cancelled() or self._timer_at > self._deadline:
            if handle is not None:
                handle.cancel()
            self._arm(self._deadline)

    def _arm(self, when: float) -> None:
        self._timer_at = when
        self._timeout_handle = self.loop.call_at(when, self._check_deadline)

    def _check_deadline(self) -> None:
        if self.loop.time() < self._deadline:
            self._arm(self._deadline)
        else:
            self._timeout_cb()

    def data_received(self, data: bytes) -> None:
        # aiosmtpd restarts its timer per command only, so a 25 MB message on a slow
        # link would be cut off mid-DATA.  Every byte that arrives proves the client alive:
        # the timeout becomes a true idle timeout.
        super().data_received(data)
        if self.transport is not None and self._timeout_handle is not None:
            self._reset_timeout()


def client_ip(session: Session) -> str:
    peer = session.peer
    return peer[0] if isinstance(peer, tuple) else ""


class InboundHandler:
    """aiosmtpd hooks; everything it needs comes from the gateway's current settings."""

    def __init__(self, gateway: Gateway):
        self.gateway = gateway
        self.sessions: set[TensoSMTP] = set()  # open client connections, closed on stop
        self.committing: set[asyncio.Task] = set()  # messages being written to the spool

    def close_sessions(self) -> None:
        """Says 421 to every connected client and hangs up (Python >= 3.12 waits for them otherwise)."""
        for session in list(self.sessions):
            if session.transport is not None and not session.transport.is_closing():
                session.transport.write(b"421 4.3.2 Tenso is shutting down, try again later\r\n")
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

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options):
        if len(envelope.rcpt_tos) >= self.gateway.settings.server.max_recipients:
            return TOO_MANY_RECIPIENTS
        refusal = self.gateway.policy.check(address, client_ip(session), bool(session.authenticated))
        if refusal:
            log.info("refused RCPT <%s> from <%s> client=%s: %s", address, envelope.mail_from,
                     client_ip(session), refusal)
            return refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope):
        settings = self.gateway.settings
        content: bytes = envelope.original_content or b""
        hops = count_hops(content)
        if hops >= settings.options.max_forward_count:
            log.warning("refused message from <%s>: %d Received headers (max %d)",
                        envelope.mail_from, hops, settings.options.max_forward_count)
            return MAIL_LOOP.format(hops)
        qid = new_id()
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
        return await asyncio.shield(commit) or f"250 2.0.0 OK: queued as {qid}"

    async def _commit(self, qid: str, stored: SpoolEnvelope, received: bytes, content: bytes) -> str | None:
        """Stores the message, then hands it to the queue runner: shielded, so a client hanging up
        (or a stop saying 421) while the fsync runs cannot leave a message on disk that the queue
        runner does not know of until the next start.  None when stored, else the reply."""
        try:
            await asyncio.to_thread(self.gateway.spool.store, qid, stored, received, content)
        except OSError as exc:
            log.error("%s not stored: %s", qid, exc)
            return NO_SPACE if exc.errno in (errno.ENOSPC, errno.EDQUOT) else STORE_FAILED
        log.info("%s accepted from=<%s> to=%s size=%d client=%s%s", qid, stored.sender,
                 ",".join(f"<{r}>" for r in stored.recipients), len(content), stored.client,
                 f" auth={stored.auth_user}" if stored.auth_user else "")
        self.gateway.scheduler.accepted(qid, stored, (received, content))
        return None

    def received_header(self, server: SMTP, session: Session, envelope: Envelope, qid: str) -> bytes:
        protocol = "ESMTP" if session.extended_smtp else "SMTP"
        if session.ssl:
            protocol += "S"
        if session.authenticated:
            protocol += "A"
        recipients = envelope.rcpt_tos
        for_clause = f"\r\n\tfor <{recipients[0]}>" if len(recipients) == 1 else ""
        helo = (session.host_name or "unknown").replace("\r", "").replace("\n", "")
        text = (
            f"Received: from {helo} ([{client_ip(session)}])\r\n"
            f"\tby {server.hostname} (Tenso) with {protocol} id {qid}{for_clause};\r\n"
            f"\t{_date_now()}\r\n"
        )
        return text.encode("utf-8", "surrogateescape")

    # --- AUTH for local users (passwords under local:ADDRESS in the keyring) ---
    # aiosmtpd parses PLAIN and LOGIN; its authenticator hook is synchronous, and the
    # keyring must not be read on the event loop.  So the built-in parser runs with an
    # authenticator that only hands the credentials back, and they are checked here.

    async def auth_PLAIN(self, server: SMTP, args: list[str]) -> AuthResult:
        return await self._verify(server, await SMTP.auth_PLAIN(server, None, args))

    async def auth_LOGIN(self, server: SMTP, args: list[str]) -> AuthResult:
        return await self._verify(server, await SMTP.auth_LOGIN(server, None, args))

    async def _verify(self, server: SMTP, parsed: AuthResult) -> AuthResult:
        if not parsed.success:
            return parsed
        login, password = parsed.auth_data
        user = login.decode("utf-8", "replace")
        ok = False
        if addresses.is_address(user) and self.gateway.router.is_local_user(user):
            try:
                stored = await asyncio.to_thread(passwords.get, f"local:{user}")
            except passwords.PasswordStoreError as exc:
                log.error("AUTH for %s cannot be checked: %s", user, exc)
                return AuthResult(success=False, handled=False, message="454 4.7.0 Temporary authentication failure")
            ok = stored is not None and hmac.compare_digest(stored.encode(), password)
        peer = client_ip(server.session) if server.session else ""
        if not ok:
            log.warning("AUTH failed for %r from %s", user, peer)
            await asyncio.sleep(AUTH_FAILED_DELAY)
            return AuthResult(success=False, handled=False)
        log.info("AUTH %s from %s", addresses.normalize(user), peer)
        return AuthResult(success=True, auth_data=addresses.normalize(user))


def _hand_back(server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
    """The authenticator given to aiosmtpd: the real check is InboundHandler._verify."""
    if not isinstance(data, LoginPassword):
        return AuthResult(success=False, handled=False)
    return AuthResult(success=True, auth_data=data)


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def protocol_factory(gateway: Gateway, handler: InboundHandler, tls: ssl.SSLContext | None):
    settings = gateway.settings.server
    return partial(
        TensoSMTP,
        handler,
        hostname=settings.hostname,
        ident="ESMTP Tenso",  # not aiosmtpd's "Python SMTP 1.4.6": no version for scanners
        data_size_limit=settings.max_message_bytes,
        enable_SMTPUTF8=True,
        decode_data=False,
        tls_context=tls,
        timeout=settings.timeout_seconds,
        auth_require_tls=settings.auth_requires_tls,
        authenticator=_hand_back,
        loop=asyncio.get_running_loop(),
    )
