"""Sending to a destination server: a session (taken from the pool, or opened and logged in),
one transaction, a reply for every recipient; and the window's test login."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass

from app.deliver.smtp import auth, deadlines, errors, session, transaction
from app.deliver.smtp.auth import Secret
from app.deliver.smtp.errors import DeliveryError
from app.deliver.smtp.pool import Pool, fingerprint
from app.deliver.smtp.session import Connection, Destination, Protection


@dataclass(frozen=True)
class Outgoing:
    """One message for one destination: the name Tenso greets with, the envelope, the bytes."""

    helo: str  # server.hostname
    sender: str
    rcpts: list[str]
    content: bytes
    mail_options: list[str]  # as the queue kept them (Envelope.mail_options)


def connect(destination: Destination, secret: Secret | None, local_hostname: str) -> Connection:
    """A session ready for MAIL: TLS as the rule says, logged in when the server offers AUTH.

    Opportunistic TLS first tries a certificate verified against the destination's name (like
    ``required``); when it does not verify, a second session still encrypts the mail, but the
    password then goes only by CRAM-MD5 (``auth.password_mechanisms``)."""
    problem = ""
    try:
        smtp, protection = session.open_session(destination, local_hostname, verify=True)
    except session.NotVerified as exc:
        problem = str(exc)
        smtp, protection = session.open_session(destination, local_hostname, verify=False)
    conn = Connection(smtp, destination, protection)
    host, port = destination.host, destination.port
    with session.closed_on_failure(smtp, host, port), deadlines.stage(smtp, "AUTH", deadlines.CONNECT_SECONDS):
        auth.log_in(smtp, destination, secret, protection, problem)
    conn.secret = fingerprint(secret)
    return conn


def deliver(
    pool: Pool, destination: Destination, secret: Secret | None, mail: Outgoing, raise_unreachable: bool = False
) -> dict[str, str]:
    """One transaction to ``destination``; every rcpt gets a reply (``4xx`` for a broken link).

    With ``raise_unreachable``, a server that cannot be reached or will not talk
    (no connection, no greeting, TLS or AUTH trouble) raises DeliveryError
    instead, so the caller can try the next MX host.
    """
    rcpts = mail.rcpts
    conn = pool.take(destination, secret)
    reused = conn is not None
    try:
        if conn is None:
            conn = connect(destination, secret, mail.helo)
        try:
            results = transaction.timed(conn, mail.sender, rcpts, mail.content, mail.mail_options)
        except (TimeoutError, smtplib.SMTPServerDisconnected, ConnectionError):
            conn.smtp.close()
            if not reused:
                raise
            # The pooled session had been dropped by the server: one fresh try.
            conn = connect(destination, secret, mail.helo)
            results = transaction.timed(conn, mail.sender, rcpts, mail.content, mail.mail_options)
    except deadlines.Expired as exc:
        if conn is not None:
            conn.smtp.close()  # cut mid-transaction: not one to reuse
        return dict.fromkeys(rcpts, f"451 4.4.2 {errors.too_slow(destination.host, destination.port, exc)}")
    except DeliveryError as exc:
        if raise_unreachable:
            raise
        code = "554 5.0.0" if exc.permanent else "451 4.4.0"
        return dict.fromkeys(rcpts, f"{code} {exc.reply}")
    except (OSError, smtplib.SMTPException) as exc:
        if conn is not None:
            conn.smtp.close()
        return dict.fromkeys(rcpts, f"451 4.4.2 connection to {destination.host}:{destination.port} lost: {exc}")
    except UnicodeError:
        if conn is not None:
            conn.smtp.close()  # perhaps mid-transaction: not one to reuse
        raise
    pool.give_back(conn)
    return results


@dataclass
class LoginReport:
    """What a test login found: ``error`` is the server's reply (or why it could not connect)
    when it failed; else what it offered, and whether the session was encrypted."""

    error: str | None = None
    offered: str = ""
    encrypted: bool = False
    verified: bool = False  # the certificate verified against the destination's name
    username: str | None = None  # the account used; None: connected without one


def try_login(destination: Destination, secret: Secret | None, local_hostname: str) -> LoginReport:
    """Connects, starts TLS and logs in as delivery would (blocking), then hangs up."""
    try:
        conn = connect(destination, secret, local_hostname)
    except DeliveryError as exc:
        return LoginReport(error=exc.reply)
    smtp = conn.smtp
    report = LoginReport(
        offered=smtp.esmtp_features.get("auth", ""),
        encrypted=smtp.sock is not None and hasattr(smtp.sock, "cipher"),
        verified=conn.protection == Protection.VERIFIED,
        username=destination.account.username if destination.account else None,
    )
    conn.close()
    return report
