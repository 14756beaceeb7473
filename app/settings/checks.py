"""The checks of single fields: each takes a value and returns a problem text or ``None``.

A field declares its check with ``checked(default, check)`` (sections.py); loading runs it on the
value read (binding.py), the window runs it on the value typed (``check_field``).  The texts are
what ``check`` prints after the field's name, and what the window translates (tools/update_ts.py
collects the ``return "must ..."`` texts of the package, and lists the ranges' own).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from app.mail import addresses, forwarding, relaynets
from app.settings.enums import Destination, RewriteFrom, RuleAccount
from app.settings.keys import COMMON, is_name
from app.system.net import parse_listen

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
INT_MAX = 2**31 - 1  # the largest whole number a window's spin box holds

Check = Callable[[Any], str | None]


@dataclass(frozen=True)
class Range:
    """The whole numbers a field takes, ``lo`` to ``hi`` (None: no upper limit).  It is the
    field's check, and the window's spin box for the field offers the same (``range_of``)."""

    lo: int
    hi: int | None = None

    def __call__(self, value: int) -> str | None:
        if value >= self.lo and (self.hi is None or value <= self.hi):
            return None
        if self.hi is not None and self.lo < 0:
            return f"must be {self.lo} to {self.hi}"  # alerts.summary_hour: "-1-23" would read as a sum
        if self.hi is not None:
            return f"must be {self.lo}-{self.hi}"  # tools/update_ts.py lists each one
        return "must be greater than 0" if self.lo == 1 else f"must be at least {self.lo}"


PORT = Range(1, 65535)


def hostname(value: str) -> str | None:
    return None if addresses.is_hostname(value) else "must be a host name"


def listen(value: Any) -> str | None:
    """A ``server.listen`` entry: "ADDRESS:PORT" (an object's fields are checked one by one)."""
    if not isinstance(value, str):
        return None
    try:
        parse_listen(value)
    except ValueError as exc:
        return str(exc)
    return None


def login(value: str) -> str | None:
    if not value or any(c.isspace() or not c.isprintable() for c in value):
        return "must be a user name without spaces, such as mfp2f"
    return None


def domain(value: str) -> str | None:
    return None if addresses.is_hostname(value) else "must be a domain name such as example.jp"


def address(value: str) -> str | None:
    return None if addresses.is_address(value) else "must be an address such as user@example.jp"


def forward_line(value: str) -> str | None:
    try:
        forwarding.parse_line(value)
    except ValueError as exc:
        return str(exc)
    return None


def dns_server(value: str) -> str | None:
    host = value.strip()
    if host.startswith("["):
        host = host[1:].partition("]")[0]
    elif host.count(":") == 1:
        host, _, number = host.partition(":")
        if not number.isdigit() or PORT(int(number)):
            return "port must be 1-65535"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return "must be an IP address, optionally with :port"
    return None


def relay_network(value: str) -> str | None:
    try:
        relaynets.parse(value)
    except ValueError as exc:
        return str(exc)
    return None


def match(value: str) -> str | None:
    try:
        addresses.parse_match(value)
    except ValueError as exc:
        return str(exc)
    return None


def destination(value: str) -> str | None:
    if Destination.of(value) is not None or addresses.is_hostname(value):
        return None
    try:
        ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return "must be a host name, an IP address, MTA or GRAPH"
    return None


def account_name(value: str) -> str | None:
    if not value:
        return "must be a name such as m365"
    if value.lower() in (RuleAccount.NONE, COMMON) or not is_name(value):
        return "must be letters, digits, '.', '_' or '-', and not none or common"
    return None


def rule_account(value: str) -> str | None:
    return None if value in (RuleAccount.SENDERS, RuleAccount.NONE) else account_name(value)


def rewrite_from(value: str) -> str | None:
    if value in tuple(RewriteFrom) or addresses.is_address(value):
        return None
    return "must be empty, account, or an address such as scanner@example.jp"


def choice(words: type[StrEnum]) -> Check:
    """One of the enum's words (as written: no other case)."""
    choices = tuple(words)
    return lambda value: None if value in choices else "must be one of " + ", ".join(choices)


def url(value: str) -> str | None:
    """https, or plain http to this machine only (a test or a local stand-in)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return "must be a URL such as https://login.example.com/token"
    if not host or parts.scheme not in ("https", "http"):
        return "must be a URL such as https://login.example.com/token"
    if parts.scheme == "http" and host.lower() not in LOOPBACK_HOSTS:
        return "must be https (plain http only to 127.0.0.1, ::1 or localhost)"
    return None


def webhook_url(value: str) -> str | None:
    """alerts.webhook_url: where alerts are posted (a Teams or Slack incoming webhook); https, or
    plain http to this machine only, like the OAuth 2.0 addresses."""
    if url(value) is None:
        return None
    if value.startswith("http://"):
        return "must be https (plain http only to 127.0.0.1, ::1 or localhost)"
    return "must be a webhook address such as https://example.webhook.office.com/..."


def date(value: str) -> str | None:
    """A day as YYYY-MM-DD (the date a provider shows for a client secret)."""
    import datetime

    try:
        datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return "must be a date such as 2027-03-31 (YYYY-MM-DD)"
    return None if len(value) == 10 else "must be a date such as 2027-03-31 (YYYY-MM-DD)"


def http_proxy(value: str) -> str | None:
    """delivery.http_proxy: "" (the system's proxy), "none", or http://HOST:PORT.  No user name
    or password in it: the settings file holds no secrets."""
    from urllib.parse import urlsplit

    if value in ("", "none"):
        return None
    try:
        parts = urlsplit(value)
        host, port = parts.hostname, parts.port
    except ValueError:
        return 'must be "", "none" or a proxy such as http://proxy.example.jp:8080'
    if parts.scheme not in ("http", "https") or not host or port is None or parts.path not in ("", "/"):
        return 'must be "", "none" or a proxy such as http://proxy.example.jp:8080'
    if parts.username is not None or parts.password is not None:
        return "must not hold a user name or password (the settings file holds no secrets)"
    return None


def optional(check: Check) -> Check:
    return lambda value: None if value == "" else check(value)


def each(check: Check) -> Check:
    """A list check applying ``check`` to every item (the problem names the index)."""

    def each(value: Any) -> str | None:
        return check(value)

    each.each = True  # type: ignore[attr-defined]
    return each


def checked(default: Any, check: Check | None = None, **kw: Any) -> Any:
    """A field with its default and its check (``metadata["check"]``)."""
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata={"check": check, **kw})
    return field(default=default, metadata={"check": check, **kw})


def number(default: int | list[int], allowed: Range) -> Any:
    """A whole-number field (or a list of them) taking the numbers ``allowed``: its check, and
    the range the window offers (``metadata["range"]``)."""
    return checked(default, each(allowed) if isinstance(default, list) else allowed, range=allowed)
