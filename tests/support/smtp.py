"""The SMTP side of the tests: upstream servers that really check credentials, and clients.

Upstreams are aiosmtpd servers on 127.0.0.1 (``Upstream``; the ``upstream_factory`` fixture
makes them); clients are smtplib; messages are small and unique (a fresh Message-ID each).
"""

from __future__ import annotations

import base64
import hmac
import secrets
import smtplib
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
        return "250 2.0.0 OK upstream"

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
            return AuthResult(success=False, handled=False)
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
        return AuthResult(success=False, handled=False)

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
    def factory(self):
        return _LongLineSMTP(self.handler, **self.SMTP_kwargs)


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
    ):
        self.handler = UpstreamHandler(accounts=dict(accounts or {}), pipelining=pipelining)
        kwargs = {}
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
        self.controller.start()
        self.port = self.controller.port

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def stop(self) -> None:
        self.controller.stop()


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


def strip_received(data: bytes) -> bytes:
    """The message as the client sent it: without the one Received header Tenso adds on top."""
    assert data.startswith(b"Received: "), data[:200]
    end = data.index(b"\r\n", 0)
    while data[end + 2 : end + 3] in (b"\t", b" "):
        end = data.index(b"\r\n", end + 2)
    return data[end + 2 :]


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
