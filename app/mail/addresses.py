"""Mail addresses as the gateway compares them: split, normalised, checked.

Addresses arrive as aiosmtpd parsed them from ``RCPT TO:<...>`` (source routes
already dropped, quotes kept).  The domain is what follows the last ``@``
outside quotes; comparisons are case-insensitive on the whole address.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)$", re.IGNORECASE)


def is_hostname(value: str) -> bool:
    value = value.rstrip(".")
    if not value or len(value) > 253:
        return False
    try:
        ascii_name = value.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return all(_LABEL.match(label) for label in ascii_name.split("."))


def split(address: str) -> tuple[str, str]:
    """``"a@b"@c.jp`` → (``"a@b"``, ``c.jp``); an address without a domain has ``""``."""
    if '"' not in address and "\\" not in address:  # the usual case, without a Python loop
        local, sep, domain = address.rpartition("@")
        return (local, domain) if sep else (address, "")
    in_quotes = False
    at = -1
    escaped = False
    for i, ch in enumerate(address):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            in_quotes = not in_quotes
        elif ch == "@" and not in_quotes:
            at = i
    if at < 0:
        return address, ""
    return address[:at], address[at + 1 :]


def ascii_domain(domain: str) -> str:
    """One spelling per domain: 例え.jp and XN--R8JZ45G.JP are both xn--r8jz45g.jp."""
    domain = domain.rstrip(".").lower()
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


def domain_of(address: str) -> str:
    return ascii_domain(split(address)[1])


def normalize(address: str) -> str:
    """The form used as a lookup key: lower case, the domain in its ASCII (IDNA) form."""
    local, domain = split(address)
    if not domain:
        return local.lower()
    return f"{local.lower()}@{ascii_domain(domain)}"


def is_address(value: str) -> bool:
    local, domain = split(value)
    return bool(local) and is_hostname(domain) and not any(c.isspace() for c in local)


def not_text(address: str) -> str | None:
    """Why ``address`` is no text that can be sent on, or None when it is.

    aiosmtpd hands over bytes that are not UTF-8 as surrogate escapes: accepted, they could
    never be encoded for a MAIL or RCPT of Tenso's own.  NUL and the other control characters
    (a CR, an ESC for a terminal) are no part of any address (RFC 5321 4.1.2, RFC 6531 3.3).
    """
    if address.isascii() and address.isprintable():
        return None
    for ch in address:
        category = unicodedata.category(ch)
        if category == "Cs":
            return "bytes that are not UTF-8"
        if category == "Cc":
            return "a control character"
    return None


def has_routing_tricks(address: str) -> bool:
    """True for local parts that some servers behind us would treat as a route.

    ``a%b@local``, ``b!a@local`` and ``"a@b"@local`` are the classic ways to turn
    a server that accepts mail for ``local`` into a relay for ``b``.  Such
    recipients are never accepted on the strength of being local or matching a
    rule; only clients allowed to relay anyway may send them.
    """
    local, _ = split(address)
    return any(ch in local for ch in "%!@") or local.startswith("@")


class MatchKind(StrEnum):
    ADDRESS = "address"  # user@example.jp
    DOMAIN = "domain"  # @example.jp
    SUBDOMAINS = "subdomains"  # @*.example.jp
    ANY = "any"  # *


@dataclass(frozen=True)
class Match:
    """A rule's 識別ドメイン: one address, one domain, every subdomain, or everything."""

    kind: MatchKind
    key: str  # normalised address or domain; "" for any


def parse_match(value: str) -> Match:
    value = value.strip()
    if value == "*":
        return Match(MatchKind.ANY, "")
    if value.startswith("@*."):
        domain = value[3:]
        if not is_hostname(domain):
            raise ValueError("must be *, @domain, @*.domain or an address")
        return Match(MatchKind.SUBDOMAINS, ascii_domain(domain))
    if value.startswith("@"):
        domain = value[1:]
        if not is_hostname(domain):
            raise ValueError("must be *, @domain, @*.domain or an address")
        return Match(MatchKind.DOMAIN, ascii_domain(domain))
    # "*@example.jp" is a valid address (a * may stand in a local part) but nobody means it:
    # it would match nothing.  A * stands alone, or as @*.domain.
    if is_address(value) and "*" not in value:
        return Match(MatchKind.ADDRESS, normalize(value))
    raise ValueError("must be *, @domain, @*.domain or an address")
