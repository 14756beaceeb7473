"""What can go wrong in a session, worded for an admin: each a ``Problem`` the window can put in
the user's language (the OS's own words otherwise, which on a Japanese Windows are Japanese
already), carried to the attempt by ``DeliveryError``."""

from __future__ import annotations

import socket
import ssl

from app.deliver.smtp import deadlines
from app.problems import Problem


class DeliveryError(Exception):
    """The transaction could not happen; ``reply`` is what the queue records (a ``Problem`` when
    Tenso worded it: the window's test login shows it in the user's language)."""

    def __init__(self, reply: str, permanent: bool = False):
        super().__init__(reply)
        self.reply = reply
        self.permanent = permanent


def reply(code: int, text: bytes | str) -> str:
    """A server's reply as one line, as the queue keeps it."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}"


def setting(rule: int | None, name: str) -> str:
    """The field of the rule (1-based ``rule``) to change, as a reply names it."""
    return f"rules[{rule - 1}].{name}" if rule else f"the rule's {name}"


def unreachable(host: str, port: int, exc: Exception) -> Problem:
    """Why a connection failed."""
    if isinstance(exc, ConnectionRefusedError):
        why: object = Problem("", "connection refused (nothing listens on that port, or a firewall refuses)")
    elif isinstance(exc, (TimeoutError, socket.timeout)):
        why = Problem("", "no answer (timed out): a firewall, or the wrong address or port")
    elif isinstance(exc, socket.gaierror):
        why = Problem("", "the host name is not known (DNS)")
    else:
        why = str(exc)
    return Problem("", "cannot connect to {host}:{port}: {why}", host=host, port=port, why=why)


def not_trusted(host: str, exc: ssl.SSLCertVerificationError) -> Problem:
    return Problem("", "TLS certificate of {host} not trusted: {why}", host=host, why=exc.verify_message)


def tls_failed(host: str, port: int, exc: ssl.SSLError) -> Problem:
    return Problem(
        "",
        "TLS with {host}:{port} failed ({why}); Tenso speaks TLS 1.2 or newer to destinations, so a server "
        "that offers only TLS 1.0 or 1.1 cannot be used with TLS",
        host=host,
        port=port,
        why=exc.reason or str(exc),
    )


def too_slow(host: str, port: int, exc: deadlines.Expired) -> Problem:
    return Problem(
        "",
        "{host}:{port} is too slow: {what} took longer than {seconds} s; the mail waits for its next try",
        ("what",),
        host=host,
        port=port,
        what=exc.what,
        seconds=round(exc.seconds),
    )
