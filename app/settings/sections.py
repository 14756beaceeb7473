"""The sections of the settings file, one dataclass each, every field with its default and its check.

Loading walks the type hints (binding.py), so a field added here is parsed, defaulted, validated
and saved without touching any other code; docs/settings-file.md says what each one means
(tests/unit/test_docs_settings.py holds the two together).  The whole file is ``Settings``
(model.py).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

from app.settings import checks, keys
from app.settings.checks import PORT, Range, checked, each, number, optional
from app.settings.enums import (
    BareNewlines,
    Credential,
    Destination,
    Flow,
    ListenerTls,
    Provider,
    RewriteFrom,
    RuleAccount,
    TlsMode,
    TlsProfile,
    Weakness,
)


def _default_hostname() -> str:
    # gethostname, not getfqdn: getfqdn asks DNS and can hang a first start for seconds.
    return socket.gethostname() or "localhost"


@dataclass
class Listener:
    """One listening address with its own security (``server.listen`` entries given as objects;
    a plain "ADDRESS:PORT" string is a Listener with the defaults)."""

    address: str = checked("", checks.listen)
    tls: ListenerTls = checked(ListenerTls.STARTTLS, checks.choice(ListenerTls))
    tls_profile: TlsProfile = checked(TlsProfile.MODERN, checks.choice(TlsProfile))
    require_auth: bool = False  # submission: MAIL before AUTH gets 530 5.7.0
    networks: list[str] = checked([], each(checks.relay_network))  # empty: any client may connect

    @property
    def weak(self) -> Weakness:
        """What this listener gives away (Weakness.NONE: nothing)."""
        if self.tls == ListenerTls.NONE:
            return Weakness.PLAIN
        return Weakness.LEGACY if self.tls_profile == TlsProfile.LEGACY else Weakness.NONE


@dataclass
class Server:
    hostname: str = field(default_factory=_default_hostname, metadata={"check": checks.hostname})
    listen: list[str | Listener] = checked(["0.0.0.0:25"], each(checks.listen))
    max_message_bytes: int = number(26214400, Range(1024))
    max_recipients: int = number(100, Range(1))
    tls_cert: str = ""
    tls_key: str = ""
    auth_requires_tls: bool = True
    timeout_seconds: int = number(300, Range(1))
    # A bare CR or LF in a message: made CRLF (normalize), or the message refused with 550 5.5.2.
    bare_newlines: BareNewlines = checked(BareNewlines.NORMALIZE, checks.choice(BareNewlines))
    # Processes accepting connections on the same ports (receive/workers.py); 1: this one alone.
    processes: int = number(1, Range(1, 16))
    # Limits against abuse (receive/door.py); per receiving process.
    max_connections: int = number(200, Range(1))
    max_connections_per_client: int = number(50, Range(1))  # Postfix's smtpd_client_connection_count_limit
    auth_failures_limit: int = number(10, Range(0))  # failed logins in 10 minutes; 0: no ban
    auth_ban_minutes: int = number(30, Range(1))

    @property
    def listeners(self) -> list[Listener]:
        """Every ``listen`` entry as a Listener (a string gets the defaults)."""
        return [e if isinstance(e, Listener) else Listener(address=e) for e in self.listen]


@dataclass
class LocalUser:
    address: str = checked("", checks.address)
    forward: list[str] = checked([], each(checks.forward_line))


@dataclass
class Rule:
    match: str = checked("", checks.match)
    destination: str = checked("", checks.destination)  # a server, MTA (normal delivery) or GRAPH
    port: int = number(25, PORT)
    conversion_host: str = checked("", optional(checks.domain))
    tls: TlsMode = checked(TlsMode.OPPORTUNISTIC, checks.choice(TlsMode))
    # A RuleAccount word ("": the sender's per-user account, else the common one; "none": no
    # login), or the name of an entry in accounts.
    account: str = checked(RuleAccount.SENDERS, checks.rule_account)
    # The sender the destination sees (envelope and From:): a RewriteFrom word ("": as the device
    # gave it; "account": the user name the rule logs in with), or an address (app/mail/rewrite.py).
    rewrite_from: str = checked(RewriteFrom.UNCHANGED, checks.rewrite_from)

    @property
    def by_mta(self) -> bool:
        """Normal delivery (MX lookup, or a local user's mailbox): no server of the rule's."""
        return Destination.of(self.destination) == Destination.MTA

    @property
    def by_graph(self) -> bool:
        """Sent through Microsoft Graph, not SMTP: ``port`` and ``tls`` are unused."""
        return Destination.of(self.destination) == Destination.GRAPH

    @property
    def to_server(self) -> bool:
        """Sent by SMTP to the rule's own server (not MTA, not GRAPH)."""
        return Destination.of(self.destination) is None

    @property
    def account_name(self) -> str:
        """The entry of ``accounts`` the rule names; "" when it says a RuleAccount word instead."""
        return "" if self.account in (RuleAccount.SENDERS, RuleAccount.NONE) else self.account


@dataclass
class Options:
    skip_local: bool = False
    relay_for_rule_matches: bool = False
    check_local_users: bool = False
    max_forward_count: int = number(30, Range(1))
    relay_networks: list[str] = checked(["127.0.0.0/8", "::1"], each(checks.relay_network))
    relay_when_authenticated: bool = True


@dataclass
class CommonAccount:
    username: str = ""


@dataclass
class PerUserAccount:
    local_user: str = checked("", checks.address)
    username: str = ""  # a password account (keyring key user:ADDRESS), as in the original
    account: str = checked("", optional(checks.account_name))  # or the name of an entry in accounts


@dataclass
class OAuth2:
    """How an account signs in with OAuth 2.0 (app/accounts/); its tokens never live here."""

    provider: Provider = checked("", checks.choice(Provider))  # "" until chosen: the check asks for one
    tenant: str = ""  # microsoft: the directory (contoso.onmicrosoft.com, its id, or organizations)
    client_id: str = ""
    flow: Flow = checked(Flow.AUTHORIZATION_CODE, checks.choice(Flow))
    scope: str = ""  # empty: the provider's preset
    authorize_url: str = checked("", optional(checks.url))
    token_url: str = checked("", optional(checks.url))
    device_url: str = checked("", optional(checks.url))
    graph_url: str = checked("", optional(checks.url))
    # client_credentials: the client secret (keyring account:NAME) or a certificate of the data folder.
    credential: Credential = checked(Credential.SECRET, checks.choice(Credential))


@dataclass
class AccountLimits:
    """What one upstream mailbox takes (``accounts[].limits``; app/deliver/limits.py holds mail back
    to them, app/route/sizes.py refuses a larger message at DATA).  0 in a field: the provider's
    default — Exchange Online's 30 a minute, 3 sessions, 10,000 recipients a day and 35 MB for a
    Microsoft 365 mailbox — and no limit for any other."""

    messages_per_minute: int = number(0, Range(0))  # spaced evenly: 30 is one every 2 s
    sessions: int = number(0, Range(0))  # SMTP sessions (or Graph requests) at once
    recipients_per_day: int = number(0, Range(0))  # in any 24 hours
    # The largest message, in MiB (Exchange counts MB of 1,048,576 bytes).
    message_mb: int = number(0, Range(0))

    @property
    def none(self) -> bool:
        """No sending limit of its own (the size is not one)."""
        return not (self.messages_per_minute or self.sessions or self.recipients_per_day)


@dataclass
class UpstreamAccount:
    """An account Tenso logs in to destinations with: a password in the keyring under
    ``account:NAME``, or OAuth 2.0 (then ``account:NAME`` holds the client secret, if any)."""

    name: str = checked("", checks.account_name)
    username: str = ""
    oauth2: OAuth2 | None = None
    secret_expires: str = checked("", optional(checks.date))  # the day the provider shows for the secret
    # 0 in a field: the provider's default (Exchange Online's for a Microsoft 365 account), else none
    limits: AccountLimits = field(default_factory=AccountLimits)

    @property
    def key(self) -> str:
        return keys.account_key(self.name)


@dataclass
class AuthAccounts:
    common: CommonAccount = field(default_factory=CommonAccount)
    per_user: list[PerUserAccount] = field(default_factory=list)


@dataclass
class Device:
    """A login-only account for a scanner or another machine (not a mailbox): it may relay once
    logged in; its password is the keyring entry ``device:NAME``."""

    name: str = checked("", checks.account_name)
    login: str = checked("", checks.login)  # the SMTP AUTH user name
    senders: list[str] = checked([], each(checks.address))  # empty: any MAIL FROM

    @property
    def key(self) -> str:
        return keys.device_key(self.name)


@dataclass
class Queue:
    dir: str = ""
    retry_minutes: list[int] = number([5, 10, 20, 40, 80, 160, 320], Range(1))
    max_age_hours: int = number(120, Range(1))
    workers: int = number(16, Range(1))


@dataclass
class Delivery:
    """Normal delivery (MTA) and the queue's extras; not in the original product."""

    dns_servers: list[str] = checked([], each(checks.dns_server))  # empty: the system's resolvers
    mx_port: int = number(25, PORT)  # only tests change this
    delay_warning_hours: int = number(0, Range(0))  # 0: no delay warnings
    # OAuth 2.0 and Microsoft Graph requests: "" the system's proxy, "none", or http://HOST:PORT.
    http_proxy: str = checked("", checks.http_proxy)


@dataclass
class Alerts:
    """Telling the administrator when mail stops, by another way than the mail itself (app/alerts/):
    the tray, the Windows Event Log, a webhook (Teams, Slack), a mail; and the daily summary."""

    after_minutes: int = number(30, Range(1))  # a destination failing this long; the queue stuck 4 times as long
    webhook_url: str = checked("", optional(checks.webhook_url))
    email_to: str = checked("", optional(checks.address))
    email_rule: int = number(0, Range(0))  # the 1-based rule the alert mail goes through; 0: normal routing
    event_log: bool = True  # Windows: each alert also in the Application log (source "Tenso")
    repeat_hours: int = number(24, Range(0))  # told again this often while it lasts; 0: only when it starts
    summary_hour: int = number(-1, Range(-1, 23))  # the daily summary to email_to at this local hour; -1: off


@dataclass
class Backup:
    enabled: bool = False
    dir: str = ""
    keep_days: int = number(30, Range(1))


@dataclass
class History:
    """The message history (app/history/): one record per message received, per recipient attempt
    and per refusal, in ``history.sqlite3`` in the queue folder; never a message's content."""

    enabled: bool = True
    days: int = number(90, Range(1, 3650))  # records older than this are removed


def find_account(accounts: list[UpstreamAccount], name: str) -> UpstreamAccount | None:
    """The entry of ``accounts`` named ``name`` (names compare without case)."""
    return next((a for a in accounts if a.name.lower() == name.lower()), None)


def graph_accounts(rules: list[Rule]) -> set[str]:
    """The accounts (lower-case names) that rules with destination GRAPH send with: their
    tokens are for Microsoft Graph (app/accounts asks for its scope)."""
    return {r.account_name.lower() for r in rules if r.by_graph and r.account_name}
