"""A session with a destination server, up to the point where it may log in: connect, the
greeting, EHLO, and TLS as the rule says (implicit, STARTTLS required or opportunistic), each
stage within its deadline (deadlines.py).

Towards destinations Tenso speaks TLS 1.2 at least, and verifies the certificate against the
destination's name; opportunistic TLS that meets a certificate that does not verify still
encrypts, in a second session, but then says so (``Protection.ENCRYPTED``) so that auth.py sends
no password readable by whoever holds that certificate.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from app.deliver.smtp import deadlines, errors
from app.deliver.smtp.errors import DeliveryError
from app.problems import Problem
from app.route.router import Account
from app.settings import TlsMode

CONNECT_TIMEOUT = 30.0


class Protection(StrEnum):
    """What protects a session."""

    CLEAR = "clear"
    ENCRYPTED = "encrypted"  # TLS, but the certificate did not verify
    VERIFIED = "verified"  # TLS with a certificate verified against the destination's name


@dataclass(frozen=True)
class Destination:
    host: str
    port: int
    tls: str  # TlsMode
    account: Account | None
    rule: int | None = field(default=None, compare=False)  # 1-based, for the settings named in a reply
    # The settings file the gateway runs with: the commands its problems suggest carry it (--config).
    config: Path | None = field(default=None, compare=False)


def verified_context() -> ssl.SSLContext:
    # Honors SSL_CERT_FILE / SSL_CERT_DIR, so a private CA can be trusted without code.
    context = ssl.create_default_context()
    # Towards destinations TLS 1.2 at least, whatever the machine's OpenSSL configuration
    # allows: the legacy profile of receive/listeners.py is for old devices on the LAN only.
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def unverified_context() -> ssl.SSLContext:
    """Opportunistic TLS (like Postfix's "may"): encrypt what can be, trust nobody."""
    context = verified_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class Connection:
    def __init__(self, smtp: smtplib.SMTP, destination: Destination, protection: Protection = Protection.CLEAR):
        self.smtp = smtp
        self.destination = destination
        self.protection = protection
        self.idle_since = time.monotonic()
        self.secret: str | None = None  # pool.fingerprint of the password it logged in with

    def close(self) -> None:
        quietly_close(self.smtp)


class NotVerified(Exception):
    """Opportunistic TLS met a certificate that does not verify; the session is gone."""


def certificate_names(smtp: smtplib.SMTP) -> list[str]:
    """The DNS names an (unverified) server certificate is for, to say what the rule should name."""
    sock = smtp.sock
    der = sock.getpeercert(binary_form=True) if isinstance(sock, ssl.SSLSocket) else None
    if not der:
        return []
    try:
        from cryptography import x509

        names = x509.load_der_x509_certificate(der).extensions.get_extension_for_class(x509.SubjectAlternativeName)
        return [str(n) for n in names.value.get_values_for_type(x509.DNSName)][:3]
    except Exception:  # no cryptography, no SAN, an odd certificate: the hint is left out
        return []


def open_session(destination: Destination, local_hostname: str, verify: bool) -> tuple[smtplib.SMTP, Protection]:
    """A greeted session, TLS as the rule says; raises NotVerified (opportunistic, ``verify``)."""
    host, port, tls = destination.host, destination.port, destination.tls
    # Made unconnected, so that the greeting is read under the stage's deadline: smtplib reads it
    # in connect(), and its own timeout restarts with every byte of a greeting sent a byte a second.
    if tls == TlsMode.IMPLICIT:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            local_hostname=local_hostname, timeout=CONNECT_TIMEOUT, context=verified_context()
        )
    else:
        smtp = smtplib.SMTP(local_hostname=local_hostname, timeout=CONNECT_TIMEOUT)
    # What the constructor sets when given a host (a private name of smtplib, read by starttls()
    # and SMTP_SSL for the name the certificate must be for; test_tls_outbound.py fails without it).
    smtp._host = host  # type: ignore[attr-defined]
    seconds = deadlines.CONNECT_SECONDS  # connect, greeting, EHLO, STARTTLS (and AUTH, in client.py) together
    try:
        with deadlines.stage(smtp, "the greeting", seconds):
            code, msg = smtp.connect(host, port)
        if code != 220:
            smtp.close()
            # Temporary, as before the greeting had a deadline: the next MX host, or the next try.
            raise DeliveryError(f"{host}:{port} would not talk: it greeted with {errors.reply(code, msg)}")
    except deadlines.Expired as exc:
        smtp.close()
        raise DeliveryError(errors.too_slow(host, port, exc)) from exc
    except ssl.SSLCertVerificationError as exc:
        smtp.close()
        raise DeliveryError(errors.not_trusted(host, exc)) from exc
    except ssl.SSLError as exc:
        smtp.close()
        raise DeliveryError(errors.tls_failed(host, port, exc)) from exc
    except (OSError, smtplib.SMTPException) as exc:
        smtp.close()
        raise DeliveryError(errors.unreachable(host, port, exc)) from exc
    with closed_on_failure(smtp, host, port), deadlines.stage(smtp, "EHLO and STARTTLS", seconds):
        # Commands are whole lines written at once; waiting to coalesce them only adds latency.
        assert smtp.sock is not None  # connected by the constructor
        smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        code, resp = smtp.ehlo()
        if code != 250:
            code, resp = smtp.helo()
            if code != 250:
                raise DeliveryError(f"{host} refused HELO: {errors.reply(code, resp)}", permanent=500 <= code < 600)
        protection = Protection.VERIFIED if tls == TlsMode.IMPLICIT else Protection.CLEAR
        if tls in (TlsMode.OPPORTUNISTIC, TlsMode.REQUIRED) and smtp.has_extn("starttls"):
            try:
                smtp.starttls(context=verified_context() if verify else unverified_context())
            except ssl.SSLCertVerificationError as exc:
                if tls == TlsMode.REQUIRED:
                    raise
                smtp.close()
                raise NotVerified(exc.verify_message) from exc
            smtp.ehlo()
            protection = Protection.VERIFIED if verify else Protection.ENCRYPTED
        elif tls == TlsMode.REQUIRED:
            needs = "{host} does not offer STARTTLS, and this rule requires TLS"
            raise DeliveryError(Problem("", needs, host=host))
    return smtp, protection


@contextlib.contextmanager
def closed_on_failure(smtp: smtplib.SMTP, host: str, port: int) -> Iterator[None]:
    """A session stage: whatever goes wrong in it closes the session and becomes the
    DeliveryError the attempt reports, worded for an admin."""
    try:
        yield
    except ssl.SSLCertVerificationError as exc:
        smtp.close()
        raise DeliveryError(errors.not_trusted(host, exc)) from exc
    except deadlines.Expired as exc:
        smtp.close()
        raise DeliveryError(errors.too_slow(host, port, exc)) from exc
    except DeliveryError:
        quietly_close(smtp)
        raise
    except ssl.SSLError as exc:
        smtp.close()
        raise DeliveryError(errors.tls_failed(host, port, exc)) from exc
    except (OSError, smtplib.SMTPException) as exc:
        smtp.close()
        raise DeliveryError(f"{host}:{port}: {exc}") from exc


def quietly_close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
