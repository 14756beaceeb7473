"""The SMTP side of the tests: upstream servers that really check credentials, and clients.

Upstreams are aiosmtpd servers on 127.0.0.1 (``Upstream``; the ``upstream_factory`` fixture
makes them); clients are smtplib; messages are small and unique (a fresh Message-ID each).
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import re
import secrets
import smtplib
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from tests.support.processes import free_port

# --- the upstream: a destination server that really checks credentials ----------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    mail_options: list[str]
    auth_user: str | None
    auth_mechanism: str | None
    tls: bool


@dataclass
class UpstreamHandler:
    accounts: dict[str, str] = field(default_factory=dict)  # username -> password
    messages: list[Received] = field(default_factory=list)
    rcpt_replies: dict[str, str] = field(default_factory=dict)  # recipient -> reply instead of 250
    data_replies: list[str] = field(default_factory=list)  # replies to DATA, used up one by one
    auth_attempts: list[tuple[str, str, bool]] = field(default_factory=list)  # mechanism, user, ok
    arrived: threading.Condition = field(default_factory=threading.Condition)
    require_auth: bool = False
    mail_replies: dict[str, str] = field(default_factory=dict)  # sender -> reply instead of 250
    pipelining: bool = False  # advertise RFC 2920 PIPELINING in the EHLO reply
    ehlos: int = 0  # EHLO commands seen: one per session unless STARTTLS
    # Not auth_*: aiosmtpd offers every handler attribute named auth_X as the AUTH mechanism X.
    refused_login_reply: str = ""  # the reply to a refused login instead of aiosmtpd's 535 5.7.8 (Exchange's words)
    accepted_reply: str = "250 2.0.0 OK upstream"  # the reply to DATA (Postfix: "250 2.0.0 Ok: queued as ...")

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname  # what aiosmtpd does itself when there is no hook
        self.ehlos += 1
        if self.pipelining:
            responses.insert(len(responses) - 1, "250-PIPELINING")  # before the closing "250 HELP"
        return responses

    async def handle_MAIL(self, server, session, envelope, address, options):
        if self.require_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        reply = self.mail_replies.get(address.lower())
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        reply = self.rcpt_replies.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_replies:
            return self.data_replies.pop(0)
        with self.arrived:
            self.messages.append(
                Received(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    envelope.original_content,
                    list(envelope.mail_options),
                    getattr(session, "tenso_user", None),
                    getattr(session, "tenso_mechanism", None),
                    session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
                )
            )
            self.arrived.notify_all()
        return self.accepted_reply

    async def auth_CRAM__MD5(self, server: SMTP, args) -> AuthResult:
        challenge = f"<{secrets.token_hex(8)}@upstream.test>".encode()
        answer = await server.challenge_auth(challenge)
        if not isinstance(answer, bytes):
            return AuthResult(success=False, handled=False)
        user, _, digest = answer.decode().rpartition(" ")
        password = self.accounts.get(user)
        expected = hmac.new(password.encode(), challenge, "md5").hexdigest() if password is not None else ""
        ok = password is not None and hmac.compare_digest(expected, digest)
        return self._result(server, "CRAM-MD5", user, ok)

    def _result(self, server: SMTP, mechanism: str, user: str, ok: bool) -> AuthResult:
        self.auth_attempts.append((mechanism, user, ok))
        if not ok:
            return AuthResult(success=False, handled=False, message=self.refused_login_reply or None)
        server.session.tenso_user = user
        server.session.tenso_mechanism = mechanism
        return AuthResult(success=True, auth_data=user)

    def authenticator(self, server, session, envelope, mechanism, data) -> AuthResult:
        assert isinstance(data, LoginPassword)
        user, password = data.login.decode(), data.password.decode()
        ok = self.accounts.get(user) == password
        self.auth_attempts.append((mechanism, user, ok))
        if ok:
            session.tenso_user = user
            session.tenso_mechanism = mechanism
            return AuthResult(success=True, auth_data=user)
        return AuthResult(success=False, handled=False, message=self.refused_login_reply or None)

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"upstream got {len(self.messages)} message(s), expected {count}")
                self.arrived.wait(left)
            return list(self.messages)


class _LongLineSMTP(SMTP):
    line_length_limit = 1 << 20


class UpstreamController(Controller):
    smtp_class: type[SMTP] = _LongLineSMTP

    def factory(self):
        return self.smtp_class(self.handler, **self.SMTP_kwargs)


class Upstream:
    """An SMTP server on 127.0.0.1; with ``accounts`` it refuses mail until AUTH succeeds."""

    def __init__(
        self,
        accounts: dict[str, str] | None = None,
        mechanisms=("CRAM-MD5", "LOGIN", "PLAIN"),
        tls_context=None,
        implicit_tls_context=None,
        port: int = 0,
        pipelining: bool = False,
        smtputf8: bool = False,
        strict_lines: bool = False,
    ):
        # ``strict_lines``: aiosmtpd's own limit (a line of more than 1,000 bytes with its CRLF
        # gets "500 Line too long"), as a destination that keeps to RFC 5321; else any length.
        self.handler = UpstreamHandler(accounts=dict(accounts or {}), pipelining=pipelining)
        kwargs: dict = {"enable_SMTPUTF8": True} if smtputf8 else {}
        if accounts:
            self.handler.require_auth = True
            kwargs.update(
                auth_require_tls=False,
                authenticator=self.handler.authenticator,
                auth_exclude_mechanism=[m for m in ("CRAM-MD5", "LOGIN", "PLAIN") if m not in mechanisms],
            )
        if tls_context is not None:
            kwargs["tls_context"] = tls_context
        self.controller = UpstreamController(
            self.handler,
            hostname="127.0.0.1",
            port=port or free_port(),
            server_hostname="upstream.test",
            ssl_context=implicit_tls_context,
            **kwargs,
        )
        if strict_lines:
            self.controller.smtp_class = SMTP
        self.controller.start()
        self.port = self.controller.port

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def stop(self) -> None:
        self.controller.stop()


class LaxUpstream:
    """A destination server as the vulnerable ones were (the CVE-2023-51764 family): a bare CR,
    a bare LF or a CRLF each ends a line, and a "." alone between any two of them ends the data.

    Whatever follows such an end is read as commands, so a message that carries one and a
    second MAIL/RCPT/DATA behind it arrives here as two transactions (``transactions``).  An
    asyncio server on 127.0.0.1 in a thread of its own.
    """

    LINE_END = re.compile(rb"\r\n|\r|\n")
    DATA_END = re.compile(rb"(\r\n|\r|\n)\.(?:\r\n|\r|\n)")
    STUFFED = re.compile(rb"(^|\r\n|\r|\n)\.")

    def __init__(self) -> None:
        self.transactions: list[Received] = []
        self.sessions_ended = 0
        self.open: set[asyncio.StreamWriter] = set()
        self.changed = threading.Condition()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="lax-upstream", daemon=True)
        self.thread.start()
        start = asyncio.start_server(self._session, "127.0.0.1", 0)
        self.server = asyncio.run_coroutine_threadsafe(start, self.loop).result(10)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open.add(writer)
        writer.write(b"220 lax.test ESMTP\r\n")
        buf, in_data, eof = b"", False, False
        mail_from, rcpts = "", []
        while True:
            found = (self.DATA_END if in_data else self.LINE_END).search(buf)
            # A CR at the very end may be the first half of a CRLF: wait for the next byte.
            if found is None or (found.group().endswith(b"\r") and found.end() == len(buf) and not eof):
                if eof:
                    break
                chunk = await reader.read(65536)
                eof = not chunk
                buf += chunk
                continue
            if in_data:
                data = self.STUFFED.sub(rb"\1", buf[2 : found.start()] + found.group(1) if found.start() else b"")
                with self.changed:
                    self.transactions.append(Received(mail_from, rcpts, data, [], None, None, False))
                    self.changed.notify_all()
                buf, in_data, mail_from, rcpts = buf[found.end() :], False, "", []
                writer.write(b"250 2.0.0 OK lax\r\n")
                continue
            line, buf = buf[: found.start()], buf[found.end() :]
            verb = line[:4].upper()
            if verb == b"EHLO":
                writer.write(b"250-lax.test\r\n250 8BITMIME\r\n")
            elif verb == b"MAIL":
                mail_from = line.partition(b":")[2].strip().strip(b"<>").decode("utf-8", "replace")
                writer.write(b"250 2.1.0 OK\r\n")
            elif verb == b"RCPT":
                rcpts = [*rcpts, line.partition(b":")[2].strip().strip(b"<>").decode("utf-8", "replace")]
                writer.write(b"250 2.1.5 OK\r\n")
            elif verb == b"DATA":
                buf, in_data = b"\r\n" + buf, True  # the data starts at a line start
                writer.write(b"354 go ahead\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                break
            else:
                writer.write(b"250 OK\r\n")  # HELO, RSET, NOOP and whatever else: a lax server
        writer.close()
        self.open.discard(writer)
        with self.changed:
            self.sessions_ended += 1
            self.changed.notify_all()

    def wait(self, predicate, timeout: float = 15.0, what: str = "the lax upstream") -> None:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{what}: not within {timeout} s ({self.transactions})")
                self.changed.wait(left)

    def stop(self) -> None:
        async def close() -> None:
            self.server.close()
            for writer in list(self.open):
                writer.close()
            await self.server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def write_tls_files(cert, folder: Path) -> dict:
    """A trustme certificate as the PEM files server.tls_cert / tls_key name."""
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    for i, blob in enumerate(cert.cert_chain_pems):
        blob.write_to_path(str(cert_path), append=i > 0)
    cert.private_key_pem.write_to_path(str(key_path))
    return {"tls_cert": str(cert_path), "tls_key": str(key_path)}


# --- clients -----------------------------------------------------------------------------


def message(subject: str = "test", body: str = "hello\r\n", extra: str = "") -> bytes:
    return (
        f"From: a@client.test\r\nTo: b@example.test\r\nSubject: {subject}\r\n"
        f"Message-ID: <{secrets.token_hex(8)}@client.test>\r\n{extra}\r\n{body}"
    ).encode()


def send(port: int, sender: str, recipients: list[str], data: bytes, **login) -> dict:
    """Sends one message with smtplib; returns smtplib's refused-recipients dict."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        if login:
            client.login(login["user"], login["password"])
        return client.sendmail(sender, recipients, data)


def folded_as_postfix(data: bytes) -> bytes:
    """``data`` as Postfix sends it (smtp_line_length_limit = 998), written out for the tests: a
    line over 998 bytes becomes 998 bytes, then CRLF SPACE and up to 997 more, and so on."""
    out = []
    for line in data.split(b"\r\n"):
        out += [line[:998]] + [b" " + line[i : i + 997] for i in range(998, len(line), 997)]
    return b"\r\n".join(out)


def strip_received(data: bytes) -> bytes:
    """The message as the client sent it: without the one Received header Tenso adds on top."""
    assert data.startswith(b"Received: "), data[:200]
    end = data.index(b"\r\n", 0)
    while data[end + 2 : end + 3] in (b"\t", b" "):
        end = data.index(b"\r\n", end + 2)
    return data[end + 2 :]


class Raw:
    """A byte-level SMTP client: sends exactly what it is given and reads whole replies."""

    def __init__(self, port: int, timeout: float = 5.0, host: str = "127.0.0.1", source: str | None = None):
        # ``source``: another loopback address to come from (127.0.0.2: "another client").
        self.sock = socket.create_connection(
            (host, port), timeout=timeout, source_address=(source, 0) if source else None
        )
        self.buffer = b""
        self.greeting = self.reply()

    def __enter__(self) -> Raw:
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reply(self) -> tuple[int, str]:
        """One (possibly multi-line) reply: its code and the text of its lines joined by newlines."""
        lines = []
        while True:
            while b"\r\n" not in self.buffer:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError(f"connection closed; partial reply {self.buffer!r}, lines {lines}")
                self.buffer += chunk
            line, self.buffer = self.buffer.split(b"\r\n", 1)
            lines.append(line.decode("utf-8", "replace"))
            if line[3:4] != b"-":
                return int(line[:3]), "\n".join(text[4:] for text in lines)

    def cmd(self, line: str | bytes) -> tuple[int, str]:
        self.send((line.encode() if isinstance(line, str) else line) + b"\r\n")
        return self.reply()

    def line(self, line: str | bytes) -> bytes:
        """Sends one line and returns the server's next line exactly as sent (with its CRLF)."""
        self.send((line.encode() if isinstance(line, str) else line) + b"\r\n")
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"connection closed; partial reply {self.buffer!r}")
            self.buffer += chunk
        found, self.buffer = self.buffer.split(b"\r\n", 1)
        return found + b"\r\n"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
