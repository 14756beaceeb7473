"""The settings' words that are one of a few: each a ``StrEnum`` whose values are the words of
the file (docs/settings-file.md), so a file reads and saves as the same text.

A member *is* its word (``TlsMode.NONE == "none"``, ``f"{mode}"`` is ``none``), and a field read
from the file holds the member.  Compare with ``==``: a value a window or a test puts in a field
may be the plain word, and is the same setting.
"""

from __future__ import annotations

from enum import StrEnum


class TlsMode(StrEnum):
    """``rules[].tls``: how Tenso talks to the rule's server (deliver/outbound.py)."""

    NONE = "none"
    OPPORTUNISTIC = "opportunistic"  # STARTTLS when offered, a certificate that does not verify still encrypts
    REQUIRED = "required"  # STARTTLS with a verified certificate, or the mail waits
    IMPLICIT = "implicit"  # TLS from the first byte (port 465), verified


class ListenerTls(StrEnum):
    """``server.listen[].tls``: how a client starts TLS on a listener (receive/listeners.py)."""

    STARTTLS = "starttls"  # offered when a certificate is set
    IMPLICIT = "implicit"  # SMTPS: TLS from the first byte
    NONE = "none"


class TlsProfile(StrEnum):
    """``server.listen[].tls_profile`` (receive/listeners.py says what each allows)."""

    MODERN = "modern"  # TLS 1.2 and newer
    LEGACY = "legacy"  # TLS 1.0 and newer with the old cipher suites, for old devices


class Weakness(StrEnum):
    """What a listener gives away (``Listener.weak``; the window's warning column)."""

    NONE = ""
    PLAIN = "plain"  # passwords and mail cross the LAN readable
    LEGACY = "legacy"  # old TLS


class BareNewlines(StrEnum):
    """``server.bare_newlines``: a bare CR or LF in a message (mail/lineends.py says why)."""

    NORMALIZE = "normalize"  # made CRLF
    REFUSE = "refuse"  # the message refused with 550 5.5.2


class Destination(StrEnum):
    """The words of ``rules[].destination`` that name no server (written in any case); any other
    destination is a host name or an IP address."""

    MTA = "MTA"  # normal delivery: MX lookup, or a local user's mailbox
    GRAPH = "GRAPH"  # Microsoft Graph sendMail with the rule's account (deliver/graph.py)

    @classmethod
    def of(cls, destination: str) -> Destination | None:
        """The word ``destination`` is, or None for a server."""
        return _DESTINATIONS.get(destination.upper())


_DESTINATIONS = {d.value: d for d in Destination}


class RuleAccount(StrEnum):
    """The words of ``rules[].account``; any other value names an entry of ``accounts``."""

    SENDERS = ""  # the sender's per-user account, else the common one (as the original)
    NONE = "none"  # never log in


class RewriteFrom(StrEnum):
    """The words of ``rules[].rewrite_from``; any other value is the address to send as."""

    UNCHANGED = ""  # the sender as the device gave it
    ACCOUNT = "account"  # the user name of the account the rule logs in with (a mailbox address)


class Provider(StrEnum):
    """``accounts[].oauth2.provider`` (app/accounts/oauth.py has each one's endpoints)."""

    MICROSOFT = "microsoft"  # needs tenant
    GOOGLE = "google"
    GENERIC = "generic"  # needs token_url, and authorize_url or device_url for its flow


class Flow(StrEnum):
    """``accounts[].oauth2.flow``: how an OAuth 2.0 account signs in."""

    AUTHORIZATION_CODE = "authorization_code"  # PKCE, redirect to http://127.0.0.1:PORT/
    DEVICE_CODE = "device_code"
    CLIENT_CREDENTIALS = "client_credentials"  # the application's own permission, no sign-in


class Credential(StrEnum):
    """``accounts[].oauth2.credential``: what proves the application is itself (client credentials)."""

    SECRET = "secret"  # the client secret in the keyring (account:NAME)
    CERTIFICATE = "certificate"  # a private key in the data folder (account certificate create)
