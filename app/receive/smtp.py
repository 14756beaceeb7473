"""The SMTP server: aiosmtpd 1.4.6's ``SMTP`` session, adapted.

``TensoSMTP`` overrides a few of aiosmtpd's internals (DATA read in large pieces, a plain-address
shortcut in the address parser, a true idle timer, connections freed without the cyclic
collector, one log line instead of a traceback for a failed TLS handshake or an address the
email package's parser breaks on), and ``install_aiosmtpd_patches`` replaces two names in
aiosmtpd.smtp's module namespace so its per-connection method tables are built once per class,
and sends aiosmtpd's warnings into Tenso's log.  Every private name of aiosmtpd this leans on
is listed, with what it is used for, in ``receive.aiosmtpd_private`` (and reached through it
where it can be); tests/unit/test_aiosmtpd_pinned.py fails when an upgrade changes any of them.
What the server says and decides is the handler's (``receive.handler``).
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from functools import partial
from typing import TYPE_CHECKING, AnyStr, cast

from aiosmtpd.smtp import MISSING, SMTP, TLSSetupException, syntax

from app.receive import aiosmtpd_private as private
from app.receive.door import BANNED
from app.receive.handler import hand_back
from app.settings import ListenerTls

if TYPE_CHECKING:
    from app.receive.handler import InboundHandler
    from app.settings import Listener, Server

log = logging.getLogger("tenso")

_installed = False


class _IntoTensoLog(logging.Handler):
    """aiosmtpd's warnings ("unrecognised: ...", "too many bogus commands") into Tenso's log, so
    they reach the same handlers (stderr, the file, the window, a worker's parent) in the same
    format; alone they went to stderr unformatted and nowhere else.  Its lines start with the
    peer's (host, port): they are given Tenso's "client 192.0.2.1" instead."""

    # aiosmtpd warns of its own deprecated attribute every time its AUTH sets it: not news to an admin.
    NOT_FOR_ADMINS = ("Session.login_data is deprecated",)

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, str) and record.msg.startswith(self.NOT_FOR_ADMINS):
            return
        args = record.args
        if isinstance(record.msg, str) and record.msg.startswith("%r ") and isinstance(args, tuple) and args:
            peer = args[0]
            record.msg = "client %s " + record.msg[3:]
            record.args = (peer[0] if isinstance(peer, tuple) and peer else peer, *args[1:])
        log.handle(record)


def install_aiosmtpd_patches() -> None:
    """Installs the per-class method tables into aiosmtpd.smtp, and its warnings into Tenso's
    log (once; before the first server)."""
    global _installed
    if _installed:
        return
    # What the test checks (tests/unit/test_aiosmtpd_pinned.py), but the sources and a live session.
    for problem in private.problems(sources=False):
        log.warning("%s: Tenso's adaptations of aiosmtpd were written for %s", problem, private.PINNED)
    private.patch_module()
    aiosmtpd_log = private.logger()
    # Its INFO lines are one per command and connection: only its warnings are Tenso's business.
    aiosmtpd_log.setLevel(logging.WARNING)
    aiosmtpd_log.addHandler(_IntoTensoLog())
    aiosmtpd_log.propagate = False
    _installed = True


# "<dot-atom@dot-atom>" and what follows it: most addresses in MAIL and RCPT.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ANGLE_ADDR = re.compile(rf"<({_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>[ \t]*")


TOO_MUCH_DATA = "552 Error: Too much mail data"  # aiosmtpd's words, kept: devices may look for them
MALFORMED_SENDER = "501 5.1.7 Malformed sender address"
MALFORMED_RECIPIENT = "501 5.1.3 Malformed recipient address"
INTERNAL_ERROR = "451 4.3.0 Internal error; try again later"
STARTTLS_PIPELINED = "554 5.5.1 Nothing may follow STARTTLS before the TLS handshake"
TIMED_OUT = "421 4.4.2 {host} Error: timeout exceeded"
# Postfix's smtpd_min_data_rate: DATA may last server.timeout_seconds plus 1 s per this many bytes.
MIN_DATA_RATE = 500  # bytes per second


class MalformedAddress(Exception):
    """An address that made the email package's parser fail with something other than its
    HeaderParseError (an IndexError for ``a@``, an UnboundLocalError for ``a@[ ``)."""


class TensoSMTP(SMTP):
    # Real mail has lines past RFC 5321's 1,000 octets (the fixtures carry a 2,000-byte
    # line); passing them on untouched is better than "500 Line too long".
    line_length_limit = 1 << 20
    # The prompts of AUTH LOGIN as every mail server writes them ("Username:", "Password:"):
    # aiosmtpd's own ("User Name" and a NUL) made Xerox devices give up.
    AuthLoginUsernameChallenge = "Username:"
    AuthLoginPasswordChallenge = "Password:"

    event_handler: InboundHandler

    def __init__(self, handler, *args, listener: Listener, implicit_tls: bool, auth_required: bool, **kwargs):
        super().__init__(handler, *args, **kwargs)
        self.listener = listener
        self._implicit_tls = implicit_tls
        # Set here, not passed: aiosmtpd warns for every connection that requires AUTH
        # without requiring STARTTLS, which is just what an implicit-TLS listener does.
        private.set_auth_required(self, auth_required)
        self._client = ""  # set once admitted (the door counts it until connection_lost)
        self._admitted = False
        self._data_started: float | None = None  # loop time DATA's 354 was sent, while reading it
        self._data_bytes = 0

    def _getaddr(self, arg: str):
        """aiosmtpd's address parsing, with a shortcut for the plain ``<local@domain>`` form.

        aiosmtpd runs the email package's full RFC 5322 header parser on every MAIL and RCPT
        (and defines a class each call), a visible share of the event loop under load.  A dot-atom in
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
        try:
            return super()._getaddr(arg)
        except Exception as exc:  # the parser's own bugs on hostile input: any class
            raise MalformedAddress(arg) from exc

    @syntax("STARTTLS", when="tls_context")
    async def smtp_STARTTLS(self, arg: str) -> None:
        """aiosmtpd's STARTTLS, refusing a client that sent more after it: RFC 3207 and RFC 2920
        allow nothing behind STARTTLS before the handshake.  aiosmtpd would answer 220 and wait
        for a handshake that such a client never starts, holding the connection until the idle
        timeout (and plain text read before TLS is what the CVE-2011-0411 injection is made of)."""
        if not arg and self.tls_context and private.input_waiting(private.reader(self)):
            peer = self.session.peer if self.session else None
            log.info("client %s sent more after STARTTLS, before the TLS handshake: hung up", peer[0] if peer else "?")
            await self.push(STARTTLS_PIPELINED)
            if self.transport is not None:
                self.transport.close()
            return
        await super().smtp_STARTTLS(arg)

    async def push(self, status: AnyStr) -> None:
        """aiosmtpd's push, for a reply that echoes what the client sent (``502 Could not VRFY
        ...``): bytes that were not UTF-8 go back as backslash escapes instead of failing the
        command with UnicodeEncodeError."""
        if isinstance(status, str) and not status.isascii():
            status = status.encode("utf-8", "backslashreplace").decode("utf-8")
        await super().push(status)

    async def handle_exception(self, error: Exception) -> str:
        """What aiosmtpd does with an exception from a command: a reply, and one log line for
        what happens on any network, where aiosmtpd logs a traceback (and answers with the
        exception's text).  For a TLSSetupException aiosmtpd sends no reply and hangs up."""
        peer = self.session.peer if self.session else None
        client = peer[0] if isinstance(peer, tuple) else "?"
        if isinstance(error, MalformedAddress):
            log.info("client %s: malformed address %r", client, str(error))
            in_transaction = self.envelope is not None and self.envelope.mail_from
            return MALFORMED_RECIPIENT if in_transaction else MALFORMED_SENDER
        if isinstance(error, TLSSetupException):
            cause = error.__cause__
            if cause is None or isinstance(cause, (ConnectionError, ssl.SSLEOFError)):
                log.info("client %s closed the connection during the TLS handshake", client)
            else:
                log.info("client %s: TLS handshake failed: %s", client, cause)
            return INTERNAL_ERROR  # not sent
        log.exception("client %s: unexpected error in the SMTP session", client)
        return INTERNAL_ERROR

    def connection_made(self, transport) -> None:
        if private.after_starttls(self):  # the TLS layer after STARTTLS: the same client
            super().connection_made(transport)
            return
        peer = transport.get_extra_info("peername")
        client = peer[0] if isinstance(peer, tuple) else ""
        handler = self.event_handler
        refusal = handler.door.admit(client, handler.context.settings.server, self.listener)
        if refusal:
            # Answered and closed before aiosmtpd sets anything up: nothing else is spent on it.
            transport.write(refusal.encode() + b"\r\n")
            transport.close()
            return
        self._client = client
        self._admitted = True
        super().connection_made(transport)
        handler.sessions.add(self)
        if self._implicit_tls:  # TLS from the first byte: the session is as secure as after STARTTLS
            assert self.session is not None  # made by aiosmtpd's connection_made
            self.session.ssl = {"ssl_object": transport.get_extra_info("ssl_object")}

    def connection_lost(self, error) -> None:
        if not self._admitted:
            return  # refused at connect: aiosmtpd never started
        self._admitted = False
        self.event_handler.door.leave(self._client)
        self.event_handler.sessions.discard(self)
        transport = self.transport
        super().connection_lost(error)
        private.session_task(self).add_done_callback(self._release)
        private.drop_read_callback(transport)  # its reading is over: this is its last call to us

    def _release(self, task: asyncio.Task) -> None:
        """Drops what ties a finished connection to itself (its tables of bound methods, the
        stream writer that points back, the finished task), so it is freed at once instead of
        waiting for the cyclic garbage collector, whose passes over them under load stalled
        the loop."""
        private.release(self)

    @syntax("AUTH <mechanism>")
    async def smtp_AUTH(self, arg: str) -> None:
        """aiosmtpd's AUTH, for what devices send: the mechanism in any case (``auth login``),
        AUTH after HELO (aiosmtpd answers 500 unless EHLO came first), and a client barred
        for failed logins answered 454 before anything is read."""
        if self.event_handler.door.banned(self._client):
            await self.push(BANNED)
            return
        mechanism, sep, rest = (arg or "").strip().partition(" ")
        arg = mechanism.upper() + sep + rest  # "" still gets aiosmtpd's 501
        session = self.session
        assert session is not None
        if session.host_name and not session.extended_smtp:
            session.extended_smtp = True  # only for aiosmtpd's check; HELO's session stays plain SMTP
            try:
                await super().smtp_AUTH(arg)
            finally:
                session.extended_smtp = False
            return
        await super().smtp_AUTH(arg)

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        """aiosmtpd's DATA, reading the message in large pieces instead of line by line.

        Same replies and checks; the end marker is found with one bytes.find per piece and
        dot-unstuffing is one bytes.replace, so a 100 KB message costs a few C calls
        instead of ~1,300 trips through Python on the event loop.
        """
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None  # as in aiosmtpd's smtp_DATA: made at connection
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        self._data_started, self._data_bytes = self.loop.time(), 0
        try:
            content = await self._read_message()
        except asyncio.CancelledError:
            private.writer(self).close()
            raise
        finally:
            self._data_started = None
        if content is None:
            assert self.session is not None  # made at connection, as the envelope
            await self.push(self.event_handler.refuse(self.session, self.envelope, "DATA", TOO_MUCH_DATA))
            private.new_envelope(self)
            return
        if content.startswith(b"."):
            content = content[1:]
        content = content.replace(b"\r\n.", b"\r\n")  # RFC 5321 4.5.2: drop each line's leading dot
        self.envelope.content = self.envelope.original_content = content
        status = await private.call_handler_hook(self, "DATA")
        private.new_envelope(self)
        await self.push("250 OK" if status is MISSING else status)

    async def _read_message(self) -> bytes | None:
        """The data up to the end marker (its last CRLF kept, still dot-stuffed); None if too big."""
        reader = private.reader(self)
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
            private.unread(reader, leftover)
        if limit and dropped + end > limit:
            return None
        return bytes(buf[2 : end + 2])

    def _reset_timeout(self, duration: float | None = None) -> None:
        """aiosmtpd's idle timer, restarted without a new timer each time: a deadline is moved
        and the one timer, when it fires early, sleeps again until the deadline.  It is restarted
        for every command and every piece of DATA (a heap push and a cancel each, before).
        The timer's own due time is kept here: qasync's loop hands back plain Handles, no when()."""
        self._set_deadline(self.loop.time() + (duration or private.idle_timeout(self)))

    def _set_deadline(self, when: float) -> None:
        self._deadline = when
        handle = private.idle_timer(self)
        if handle is None or handle.cancelled() or self._timer_at > self._deadline:
            if handle is not None:
                handle.cancel()
            self._arm(self._deadline)

    def _arm(self, when: float) -> None:
        self._timer_at = when
        private.set_idle_timer(self, self.loop.call_at(when, self._check_deadline))

    def _check_deadline(self) -> None:
        if self.loop.time() < self._deadline:
            self._arm(self._deadline)
        else:
            self._timeout_cb()

    def _timeout_cb(self) -> None:
        """The client took too long: told so (421), then hung up (aiosmtpd only hangs up)."""
        transport = self.transport
        if transport is not None and not transport.is_closing():
            stage = "in DATA" if self._data_started is not None else "for a command line"
            log.info("client %s too slow %s (server.timeout_seconds): hung up", self._client, stage)
            cast(asyncio.WriteTransport, transport).write(TIMED_OUT.format(host=self.hostname).encode() + b"\r\n")
        super()._timeout_cb()

    def data_received(self, data: bytes) -> None:
        # Outside DATA, aiosmtpd restarts the timer per command: each command line has
        # server.timeout_seconds to arrive whole (Postfix's smtpd_per_record_deadline), so
        # a client dripping one byte a second is cut off.  In DATA, a 25 MB message on a slow
        # link needs longer: the deadline is timeout_seconds after the last byte, but never
        # later than timeout_seconds plus 1 s per MIN_DATA_RATE bytes from the 354.
        super().data_received(data)
        started = self._data_started
        if started is not None and self.transport is not None and private.idle_timer(self) is not None:
            self._data_bytes += len(data)
            now, timeout = self.loop.time(), private.idle_timeout(self)
            self._set_deadline(min(now + timeout, started + timeout + self._data_bytes / MIN_DATA_RATE))


def protocol_factory(settings: Server, listener: Listener, handler: InboundHandler, starttls: ssl.SSLContext | None):
    """What ``loop.create_server`` calls for each connection of ``listener``: a TensoSMTP
    session for ``handler`` (``starttls``: the context STARTTLS offers, None for none)."""
    install_aiosmtpd_patches()
    implicit = listener.tls == ListenerTls.IMPLICIT
    return partial(
        TensoSMTP,
        handler,
        listener=listener,
        implicit_tls=implicit,
        auth_required=listener.require_auth,
        hostname=settings.hostname,
        ident="ESMTP Tenso",  # not aiosmtpd's "Python SMTP 1.4.6": no version for scanners
        data_size_limit=settings.max_message_bytes,
        enable_SMTPUTF8=True,
        decode_data=False,
        tls_context=starttls,
        timeout=settings.timeout_seconds,
        # aiosmtpd knows only STARTTLS as TLS: on an implicit-TLS listener every session is TLS.
        auth_require_tls=settings.auth_requires_tls and not implicit,
        authenticator=hand_back,
        loop=asyncio.get_running_loop(),
    )
