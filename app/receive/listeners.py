"""The listening sockets, each with its own security (``server.listen``; docs/devices.md,
"Which listener for which device").

A listener speaks ``starttls`` (offered when a certificate is set), ``implicit`` TLS from the
first byte (SMTPS, port 465) or ``none``, with one of two TLS profiles:

- ``modern``: TLS 1.2 and 1.3, Python's default suites (ECDHE or DHE key exchange, AEAD or
  SHA-2 MACs): what current clients speak.
- ``legacy``: TLS 1.0 and newer, and beside the modern suites the old ones with RSA key exchange
  and SHA-1 MACs (AES128-SHA, AES256-SHA...), which scanners and printers from before ~2015
  often offer alone.  OpenSSL 3 refuses them at its default security level: this profile runs
  at level 0.  Never for delivery: destinations keep TLS 1.2 as the minimum (deliver/smtp/session.py).

Both profiles use the one certificate of ``server.tls_cert`` / ``tls_key`` (an RSA key, for the
RSA key exchange: ``python -m app certificate create`` makes one).
"""

from __future__ import annotations

import asyncio
import ssl
import warnings
from typing import TYPE_CHECKING

from app.receive import smtp
from app.settings import ListenerTls, TlsProfile
from app.system.net import parse_listen

if TYPE_CHECKING:
    from app.receive.handler import InboundHandler
    from app.settings import Listener, Settings

# OpenSSL cipher strings (TLS 1.2 and older; TLS 1.3 suites are not chosen by these).
MODERN_CIPHERS = "@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM"
LEGACY_CIPHERS = "@SECLEVEL=0:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:RSA+AESGCM:RSA+AES:!aNULL:!eNULL:!aDSS:!MD5"


def tls_context(cert: str, key: str, profile: str = TlsProfile.MODERN) -> ssl.SSLContext:
    """A server context for ``profile``; OSError or ssl.SSLError when the pair cannot be loaded."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if profile == TlsProfile.LEGACY:
        with warnings.catch_warnings():  # Python deprecates TLS 1.0: the legacy profile is for exactly that
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
        context.set_ciphers(LEGACY_CIPHERS)
    else:
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.set_ciphers(MODERN_CIPHERS)
    context.load_cert_chain(cert, key)
    return context


def contexts(settings: Settings) -> dict[str, ssl.SSLContext]:
    """One context per profile the listeners use; empty without a certificate."""
    server = settings.server
    if not server.tls_cert:
        return {}
    cert, key = str(settings.resolve(server.tls_cert)), str(settings.resolve(server.tls_key))
    profiles = {listener.tls_profile for listener in server.listeners if listener.tls != ListenerTls.NONE}
    return {profile: tls_context(cert, key, profile) for profile in sorted(profiles)}


def describe(listener: Listener, tls: dict[str, ssl.SSLContext]) -> str:
    """ " (STARTTLS)", " (SMTPS, legacy TLS)"... for the "listening on" log line."""
    if listener.tls == ListenerTls.NONE or listener.tls_profile not in tls:
        words = []
    else:
        words = ["STARTTLS" if listener.tls == ListenerTls.STARTTLS else "SMTPS"]
        if listener.tls_profile == TlsProfile.LEGACY:
            words.append("legacy TLS 1.0+")
    if listener.require_auth:
        words.append("login required")
    if listener.networks:
        words.append("from " + ", ".join(listener.networks))
    return f" ({'; '.join(words)})" if words else ""


async def serve(
    settings: Settings,
    index: int,
    handler: InboundHandler,
    tls: dict[str, ssl.SSLContext],
    sock=None,
) -> asyncio.Server:
    """Listens for ``server.listen[index]`` (on ``sock`` when given: a receiving worker's)."""
    server = settings.server
    listener = server.listeners[index]
    context = tls.get(listener.tls_profile) if listener.tls != ListenerTls.NONE else None
    implicit = context if listener.tls == ListenerTls.IMPLICIT else None
    starttls = context if listener.tls == ListenerTls.STARTTLS else None
    factory = smtp.protocol_factory(server, listener, handler, starttls)
    loop = asyncio.get_running_loop()
    options: dict = {"ssl": implicit, "ssl_handshake_timeout": float(server.timeout_seconds)} if implicit else {}
    if sock is not None:
        return await loop.create_server(factory, sock=sock, **options)
    host, port = parse_listen(listener.address)
    return await loop.create_server(factory, host, port, reuse_address=True, **options)
