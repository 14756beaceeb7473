"""The settings file: one declaration of every field, its default and its check.

The file is JSON (docs/settings-file.md).  Every section is a dataclass; a field's
``metadata["check"]`` returns a problem text or ``None``.  Loading walks the
type hints, so a field added here is parsed, defaulted and validated without
touching any other code.  Problems name the field with a JSON path
(``rules[2].port: must be 1-65535``) so the command line and the window can
point at it.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import json
import os
import socket
import tempfile
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from app.mail import addresses, forwarding, relaynets
from app.problems import Problem
from app.system.files import fsync_dir
from app.system.net import numeric_addresses, parse_listen, reaches_listener
from app.system.paths import data_dir

VERSION = 1
TLS_MODES = ("none", "opportunistic", "required", "implicit")
LISTENER_TLS = ("starttls", "implicit", "none")  # server.listen[].tls
TLS_PROFILES = ("modern", "legacy")  # server.listen[].tls_profile (receive/listeners.py says what each allows)
BARE_NEWLINE_MODES = ("normalize", "refuse")  # server.bare_newlines (mail/lineends.py says why)
PROVIDERS = ("microsoft", "google", "generic")
FLOWS = ("authorization_code", "device_code", "client_credentials")
NO_ACCOUNT = "none"  # rules[].account: never log in
GRAPH = "GRAPH"  # rules[].destination: Microsoft Graph sendMail with the rule's account (deliver/graph.py)
GRAPH_SCOPE = "https://graph.microsoft.com/.default"  # the application permission Mail.Send
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


class SettingsError(Exception):
    """A settings file that cannot be used; ``problems`` name each field."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(problems))
        self.problems = problems


# --- checks: each returns a problem text or None --------------------------------


def _port(value: int) -> str | None:
    return None if 1 <= value <= 65535 else "must be 1-65535"


def _processes(value: int) -> str | None:
    return None if 1 <= value <= 16 else "must be 1-16"


def _positive(value: int) -> str | None:
    return None if value > 0 else "must be greater than 0"


def _at_least(minimum: int) -> Callable[[int], str | None]:
    return lambda value: None if value >= minimum else f"must be at least {minimum}"


def _hostname(value: str) -> str | None:
    return None if addresses.is_hostname(value) else "must be a host name"


def _listen(value: str | Listener) -> str | None:
    if isinstance(value, Listener):
        return None  # its fields were checked one by one
    try:
        parse_listen(value)
    except ValueError as exc:
        return str(exc)
    return None


def _login(value: str) -> str | None:
    if not value or any(c.isspace() or not c.isprintable() for c in value):
        return "must be a user name without spaces, such as mfp2f"
    return None


def _domain(value: str) -> str | None:
    return None if addresses.is_hostname(value) else "must be a domain name such as example.jp"


def _address(value: str) -> str | None:
    return None if addresses.is_address(value) else "must be an address such as user@example.jp"


def _forward_line(value: str) -> str | None:
    try:
        forwarding.parse_line(value)
    except ValueError as exc:
        return str(exc)
    return None


def _dns_server(value: str) -> str | None:
    host = value.strip()
    if host.startswith("["):
        host = host[1:].partition("]")[0]
    elif host.count(":") == 1:
        host, _, port = host.partition(":")
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            return "port must be 1-65535"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return "must be an IP address, optionally with :port"
    return None


def _relay_network(value: str) -> str | None:
    try:
        relaynets.parse(value)
    except ValueError as exc:
        return str(exc)
    return None


def _match(value: str) -> str | None:
    try:
        addresses.parse_match(value)
    except ValueError as exc:
        return str(exc)
    return None


def _destination(value: str) -> str | None:
    if value.upper() in ("MTA", GRAPH) or addresses.is_hostname(value):
        return None
    try:
        ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return "must be a host name, an IP address, MTA or GRAPH"
    return None


def _tls(value: str) -> str | None:
    return None if value in TLS_MODES else "must be one of " + ", ".join(TLS_MODES)


def _bare_newlines(value: str) -> str | None:
    return None if value in BARE_NEWLINE_MODES else "must be one of " + ", ".join(BARE_NEWLINE_MODES)


def _account_name(value: str) -> str | None:
    if not value:
        return "must be a name such as m365"
    if value.lower() in (NO_ACCOUNT, "common") or not all(c.isalnum() or c in "._-" for c in value):
        return "must be letters, digits, '.', '_' or '-', and not none or common"
    return None


def _rule_account(value: str) -> str | None:
    return None if value in ("", NO_ACCOUNT) else _account_name(value)


def _choice(choices: tuple[str, ...]) -> Callable[[str], str | None]:
    return lambda value: None if value in choices else "must be one of " + ", ".join(choices)


def _url(value: str) -> str | None:
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


def _optional(check: Callable[[Any], str | None]) -> Callable[[Any], str | None]:
    return lambda value: None if value == "" else check(value)


def _each(check: Callable[[Any], str | None]) -> Callable[[Any], str | None]:
    """A list check applying ``check`` to every item (the problem names the index)."""

    def each(value: Any) -> str | None:
        return check(value)

    each.each = True  # type: ignore[attr-defined]
    return each


def _checked(default: Any, check: Callable[[Any], str | None] | None = None, **kw: Any) -> Any:
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata={"check": check, **kw})
    return field(default=default, metadata={"check": check, **kw})


# --- the model -------------------------------------------------------------------


def _default_hostname() -> str:
    # gethostname, not getfqdn: getfqdn asks DNS and can hang a first start for seconds.
    return socket.gethostname() or "localhost"


@dataclass
class Listener:
    """One listening address with its own security (``server.listen`` entries given as objects;
    a plain "ADDRESS:PORT" string is a Listener with the defaults)."""

    address: str = _checked("", _listen)
    tls: str = _checked("starttls", _choice(LISTENER_TLS))  # starttls: offered when a certificate is set
    tls_profile: str = _checked("modern", _choice(TLS_PROFILES))
    require_auth: bool = False  # submission: MAIL before AUTH gets 530 5.7.0
    networks: list[str] = _checked([], _each(_relay_network))  # empty: any client may connect

    @property
    def weak(self) -> str:
        """ "": fine; "plain": passwords and mail cross the LAN readable; "legacy": old TLS."""
        if self.tls == "none":
            return "plain"
        return "legacy" if self.tls_profile == "legacy" else ""


@dataclass
class Server:
    hostname: str = field(default_factory=_default_hostname, metadata={"check": _hostname})
    listen: list[str | Listener] = _checked(["0.0.0.0:25"], _each(_listen))
    max_message_bytes: int = _checked(26214400, _at_least(1024))
    max_recipients: int = _checked(100, _positive)
    tls_cert: str = ""
    tls_key: str = ""
    auth_requires_tls: bool = True
    timeout_seconds: int = _checked(300, _positive)
    # A bare CR or LF in a message: made CRLF (normalize), or the message refused with 550 5.5.2.
    bare_newlines: str = _checked("normalize", _bare_newlines)
    # Processes accepting connections on the same ports (receive/workers.py); 1: this one alone.
    processes: int = _checked(1, _processes)
    # Limits against abuse (receive/door.py); per receiving process.
    max_connections: int = _checked(200, _positive)
    max_connections_per_client: int = _checked(50, _positive)  # Postfix's smtpd_client_connection_count_limit
    auth_failures_limit: int = _checked(10, _at_least(0))  # failed logins in 10 minutes; 0: no ban
    auth_ban_minutes: int = _checked(30, _positive)

    @property
    def listeners(self) -> list[Listener]:
        """Every ``listen`` entry as a Listener (a string gets the defaults)."""
        return [e if isinstance(e, Listener) else Listener(address=e) for e in self.listen]


@dataclass
class LocalUser:
    address: str = _checked("", _address)
    forward: list[str] = _checked([], _each(_forward_line))


@dataclass
class Rule:
    match: str = _checked("", _match)
    destination: str = _checked("", _destination)  # a server, MTA (normal delivery) or GRAPH
    port: int = _checked(25, _port)
    conversion_host: str = _checked("", _optional(_domain))
    tls: str = _checked("opportunistic", _tls)
    # "": the sender's per-user account, else the common one (the original); "none": no login; a name.
    account: str = _checked("", _rule_account)

    @property
    def by_graph(self) -> bool:
        """Sent through Microsoft Graph, not SMTP: ``port`` and ``tls`` are unused."""
        return self.destination.upper() == GRAPH

    @property
    def to_server(self) -> bool:
        """Sent by SMTP to the rule's own server (not MTA, not GRAPH)."""
        return self.destination.upper() not in ("MTA", GRAPH)


@dataclass
class Options:
    skip_local: bool = False
    relay_for_rule_matches: bool = False
    check_local_users: bool = False
    max_forward_count: int = _checked(30, _positive)
    relay_networks: list[str] = _checked(["127.0.0.0/8", "::1"], _each(_relay_network))
    relay_when_authenticated: bool = True


@dataclass
class CommonAccount:
    username: str = ""


@dataclass
class PerUserAccount:
    local_user: str = _checked("", _address)
    username: str = ""  # a password account (keyring key user:ADDRESS), as in the original
    account: str = _checked("", _optional(_account_name))  # or the name of an entry in accounts


@dataclass
class OAuth2:
    """How an account signs in with OAuth 2.0 (app/accounts/); its tokens never live here."""

    provider: str = _checked("", _choice(PROVIDERS))
    tenant: str = ""  # microsoft: the directory (contoso.onmicrosoft.com, its id, or organizations)
    client_id: str = ""
    flow: str = _checked("authorization_code", _choice(FLOWS))
    scope: str = ""  # empty: the provider's preset
    authorize_url: str = _checked("", _optional(_url))
    token_url: str = _checked("", _optional(_url))
    device_url: str = _checked("", _optional(_url))
    graph_url: str = _checked("", _optional(_url))


@dataclass
class UpstreamAccount:
    """An account Tenso logs in to destinations with: a password in the keyring under
    ``account:NAME``, or OAuth 2.0 (then ``account:NAME`` holds the client secret, if any)."""

    name: str = _checked("", _account_name)
    username: str = ""
    oauth2: OAuth2 | None = None

    @property
    def key(self) -> str:
        return f"account:{self.name.lower()}"


@dataclass
class AuthAccounts:
    common: CommonAccount = field(default_factory=CommonAccount)
    per_user: list[PerUserAccount] = field(default_factory=list)


@dataclass
class Device:
    """A login-only account for a scanner or another machine (not a mailbox): it may relay once
    logged in; its password is the keyring entry ``device:NAME``."""

    name: str = _checked("", _account_name)
    login: str = _checked("", _login)  # the SMTP AUTH user name
    senders: list[str] = _checked([], _each(_address))  # empty: any MAIL FROM

    @property
    def key(self) -> str:
        return f"device:{self.name.lower()}"


@dataclass
class Queue:
    dir: str = ""
    retry_minutes: list[int] = _checked([5, 10, 20, 40, 80, 160, 320], _each(_positive))
    max_age_hours: int = _checked(120, _positive)
    workers: int = _checked(16, _positive)


@dataclass
class Delivery:
    """Normal delivery (MTA) and the queue's extras; not in the original product."""

    dns_servers: list[str] = _checked([], _each(_dns_server))  # empty: the system's resolvers
    mx_port: int = _checked(25, _port)  # only tests change this
    delay_warning_hours: int = _checked(0, _at_least(0))  # 0: no delay warnings


@dataclass
class Backup:
    enabled: bool = False
    dir: str = ""
    keep_days: int = _checked(30, _positive)


@dataclass
class Settings:
    version: int = VERSION
    server: Server = field(default_factory=Server)
    local_domains: list[str] = _checked([], _each(_domain))
    local_users: list[LocalUser] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    accounts: list[UpstreamAccount] = field(default_factory=list)
    devices: list[Device] = field(default_factory=list)
    options: Options = field(default_factory=Options)
    auth_accounts: AuthAccounts = field(default_factory=AuthAccounts)
    queue: Queue = field(default_factory=Queue)
    mailbox_dir: str = ""
    backup: Backup = field(default_factory=Backup)
    delivery: Delivery = field(default_factory=Delivery)

    # Where the file was read from: relative folders are taken from there.
    source: Path | None = field(default=None, compare=False, repr=False, metadata={"internal": True})

    def problems(self) -> list[Problem]:
        """Checks that involve more than one field."""
        found: list[Problem] = []
        if self.version != VERSION:
            found.append(Problem("version", "must be {version}", version=VERSION))
        if not self.server.listen:
            found.append(Problem("server.listen", "must list at least one address:port"))
        if bool(self.server.tls_cert) != bool(self.server.tls_key):
            found.append(Problem("server.tls_key", "tls_cert and tls_key must be set together"))
        for name in ("tls_cert", "tls_key"):
            value = getattr(self.server, name)
            if value and not self.resolve(value).is_file():
                found.append(Problem(f"server.{name}", "file not found: {path}", path=str(self.resolve(value))))
        users = {u.address.lower() for u in self.local_users}
        seen: set[str] = set()
        for i, user in enumerate(self.local_users):
            if user.address.lower() in seen:
                found.append(Problem(f"local_users[{i}].address", "{address} is listed twice", address=user.address))
            seen.add(user.address.lower())
        for i, account in enumerate(self.auth_accounts.per_user):
            if account.local_user and account.local_user.lower() not in users:
                found.append(
                    Problem(
                        f"auth_accounts.per_user[{i}].local_user",
                        "{address} is not a local user",
                        address=account.local_user,
                    )
                )
        found.extend(self._account_problems())
        found.extend(self._listener_problems())
        found.extend(self._device_problems(users))
        listening = [parse_listen(entry.address) for entry in self.server.listeners]
        for i, rule in enumerate(self.rules):
            if _is_listening(rule.destination, rule.port, listening):
                found.append(
                    Problem(
                        f"rules[{i}].destination",
                        "{host}:{port} is Tenso itself (server.listen); mail would loop (rule No. {number})",
                        host=rule.destination,
                        port=rule.port,
                        number=i + 1,
                    )
                )
            if rule.destination.upper() == "MTA" and rule.conversion_host:
                found.append(
                    Problem(
                        f"rules[{i}].conversion_host",
                        "only a forwarding rule can rewrite (rule No. {number})",
                        number=i + 1,
                    )
                )
            if rule.by_graph and rule.conversion_host:
                found.append(
                    Problem(
                        f"rules[{i}].conversion_host",
                        "GRAPH takes the recipients from the message's headers, so it cannot rewrite them "
                        "(rule No. {number})",
                        number=i + 1,
                    )
                )
        return found

    def _listener_problems(self) -> list[Problem]:
        found: list[Problem] = []
        server = self.server
        for i, listener in enumerate(server.listeners):
            where = f"server.listen[{i}]"
            if listener.tls == "implicit" and not server.tls_cert:
                found.append(
                    Problem(
                        f"{where}.tls",
                        "implicit TLS needs a certificate: set server.tls_cert and tls_key "
                        "(python -m app certificate create makes one)",
                    )
                )
            if listener.require_auth and server.auth_requires_tls and listener.tls == "none":
                found.append(
                    Problem(
                        f"{where}.require_auth",
                        "this listener has no TLS and server.auth_requires_tls allows AUTH only over TLS, "
                        "so nobody could send here; give it TLS or turn auth_requires_tls off",
                    )
                )
        return found

    def _device_problems(self, users: set[str]) -> list[Problem]:
        found: list[Problem] = []
        names: set[str] = set()
        logins: set[str] = set()
        for i, device in enumerate(self.devices):
            if device.name.lower() in names:
                found.append(Problem(f"devices[{i}].name", "{name} is listed twice", name=device.name))
            names.add(device.name.lower())
            if device.login.lower() in logins:
                found.append(Problem(f"devices[{i}].login", "{login} is listed twice", login=device.login))
            elif device.login.lower() in users:
                found.append(
                    Problem(
                        f"devices[{i}].login",
                        "{login} is a local user's address; a device needs a login of its own",
                        login=device.login,
                    )
                )
            logins.add(device.login.lower())
        return found

    def device(self, login: str) -> Device | None:
        """The device that logs in as ``login`` (user names compare without case)."""
        return next((d for d in self.devices if d.login.lower() == login.lower()), None)

    def graph_accounts(self) -> set[str]:
        """The accounts (lower-case names) that rules with destination GRAPH send with: their
        tokens are for Microsoft Graph (app/accounts asks for its scope)."""
        return {r.account.lower() for r in self.rules if r.by_graph and r.account not in ("", NO_ACCOUNT)}

    def account(self, name: str) -> UpstreamAccount | None:
        return next((a for a in self.accounts if a.name.lower() == name.lower()), None)

    def _account_problems(self) -> list[Problem]:
        found: list[Problem] = []
        seen: set[str] = set()
        for i, account in enumerate(self.accounts):
            if account.name.lower() in seen:
                found.append(Problem(f"accounts[{i}].name", "{name} is listed twice", name=account.name))
            seen.add(account.name.lower())
            if not account.username:
                found.append(
                    Problem(f"accounts[{i}].username", "is missing (the user name or mailbox the destination knows)")
                )
            if account.oauth2 is not None:
                found.extend(_oauth2_problems(account, f"accounts[{i}].oauth2"))
        for i, user in enumerate(self.auth_accounts.per_user):
            where = f"auth_accounts.per_user[{i}]"
            if user.username and user.account:
                found.append(Problem(f"{where}.account", "give either username or account, not both"))
            elif user.account and self.account(user.account) is None:
                found.append(Problem(f"{where}.account", "no account named {name} in accounts", name=user.account))
        graph = self.graph_accounts()
        for i, rule in enumerate(self.rules):
            if rule.by_graph:
                found.extend(self._graph_problems(i, rule))
                continue
            if rule.account in ("", NO_ACCOUNT):
                continue
            named = self.account(rule.account)
            if named is None:
                found.append(
                    Problem(
                        f"rules[{i}].account",
                        "no account named {name} in accounts (rule No. {number})",
                        name=rule.account,
                        number=i + 1,
                    )
                )
            elif named.oauth2 is not None and rule.tls == "none":
                found.append(
                    Problem(
                        f"rules[{i}].tls",
                        "the OAuth 2.0 account {name} is only used over TLS; choose required or implicit "
                        "(rule No. {number})",
                        name=named.name,
                        number=i + 1,
                    )
                )
            elif named.name.lower() in graph:
                found.append(
                    Problem(
                        f"rules[{i}].account",
                        "the account {name} gets tokens for Microsoft Graph (a rule with destination GRAPH uses "
                        "it); a rule that sends by SMTP needs an account of its own (rule No. {number})",
                        name=named.name,
                        number=i + 1,
                    )
                )
        return found

    def _graph_problems(self, i: int, rule: Rule) -> list[Problem]:
        """GRAPH sends with the rule's own account: a Microsoft one with the client-credentials
        flow (the application permission Mail.Send), whose token is for Graph."""
        if rule.account in ("", NO_ACCOUNT):
            return [
                Problem(
                    f"rules[{i}].account",
                    "GRAPH sends with the rule's own account: name a microsoft account with the "
                    "client_credentials flow (rule No. {number})",
                    number=i + 1,
                )
            ]
        named = self.account(rule.account)
        if named is None:
            return [
                Problem(
                    f"rules[{i}].account",
                    "no account named {name} in accounts (rule No. {number})",
                    name=rule.account,
                    number=i + 1,
                )
            ]
        o = named.oauth2
        if o is None or o.provider != "microsoft" or o.flow != "client_credentials":
            return [
                Problem(
                    f"rules[{i}].account",
                    "GRAPH needs a microsoft OAuth 2.0 account with the client_credentials flow; {name} is not "
                    "one (rule No. {number})",
                    name=named.name,
                    number=i + 1,
                )
            ]
        if o.scope and o.scope != GRAPH_SCOPE:
            where = self.accounts.index(named)
            return [
                Problem(
                    f"accounts[{where}].oauth2.scope",
                    "must be {scope} or left out: rule No. {number} sends by GRAPH with this account",
                    scope=GRAPH_SCOPE,
                    number=i + 1,
                )
            ]
        return []

    # --- derived paths ---

    def resolve(self, path: str) -> Path:
        p = Path(path).expanduser()
        if not p.is_absolute() and self.source is not None:
            p = self.source.parent / p
        return p

    def _dir(self, value: str, name: str) -> Path:
        return self.resolve(value) if value else data_dir() / name

    @property
    def queue_dir(self) -> Path:
        return self._dir(self.queue.dir, "queue")

    @property
    def mailbox_path(self) -> Path:
        return self._dir(self.mailbox_dir, "mailboxes")

    @property
    def backup_path(self) -> Path:
        return self._dir(self.backup.dir, "backup")


# --- loading and saving ------------------------------------------------------------


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is list:
        return "a list"
    if dataclasses.is_dataclass(tp):
        return "an object"
    return {str: "a string", int: "a whole number", bool: "true or false"}.get(tp, str(tp))


def _build(tp: Any, value: Any, path: str, problems: list[Problem]) -> Any:
    """Turns JSON ``value`` into ``tp``; appends problems and returns None when it cannot."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        choices = [t for t in typing.get_args(tp) if t is not type(None)]
        if len(choices) > 1:  # "ADDRESS:PORT" or an object (server.listen): the JSON type decides
            tp = next((t for t in choices if dataclasses.is_dataclass(t)), str) if isinstance(value, dict) else str
            if not isinstance(value, (str, dict)):
                problems.append(Problem(path, "must be {kind}", ("kind",), kind="a string or an object"))
                return None
        else:  # an optional section: null or left out means none
            if value is None:
                return None
            (tp,) = choices
        origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            problems.append(Problem(path, "must be {kind}", ("kind",), kind=_type_name(tp)))
            return None
        return _build_object(cast(type, tp), value, path, problems)  # a field's type: the class, not an instance
    if origin is list:
        if not isinstance(value, list):
            problems.append(Problem(path, "must be {kind}", ("kind",), kind=_type_name(tp)))
            return None
        (item_tp,) = typing.get_args(tp)
        items = [_build(item_tp, item, f"{path}[{i}]", problems) for i, item in enumerate(value)]
        return items
    ok = isinstance(value, tp) and not (tp is int and isinstance(value, bool))
    if not ok:
        problems.append(Problem(path, "must be {kind}", ("kind",), kind=_type_name(tp)))
        return None
    return value.strip() if isinstance(value, str) else value


@functools.cache
def _shape(cls: type) -> tuple[dict[str, Any], dict[str, dataclasses.Field]]:
    """A section's field types and fields (get_type_hints is slow: once per class)."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    return hints, fields


def _build_object(cls: type, data: dict, path: str, problems: list[Problem]) -> Any:
    hints, fields = _shape(cls)
    prefix = f"{path}." if path else ""
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in fields:
            problems.append(Problem(f"{prefix}{key}", "unknown setting"))
            continue
        before = len(problems)
        built = _build(hints[key], value, prefix + key, problems)
        if len(problems) > before:
            continue
        check = fields[key].metadata.get("check")
        if check is not None:
            if getattr(check, "each", False):
                for i, item in enumerate(built):
                    problem = check(item)
                    if problem:
                        problems.append(Problem(f"{prefix}{key}[{i}]", "{check}", ("check",), check=problem))
            else:
                problem = check(built)
                if problem:
                    problems.append(_failed_check(f"{prefix}{key}", "{check}", problem, path))
        values[key] = built
    obj = cls(**values)
    # Defaults of required-looking fields (match, destination, address) are "" and must be filled.
    for name, f in fields.items():
        if name not in data and f.metadata.get("check") and not getattr(f.metadata["check"], "each", False):
            problem = f.metadata["check"](getattr(obj, name))
            if problem:
                problems.append(_failed_check(f"{prefix}{name}", "is missing ({check})", problem, path))
    return obj


def _failed_check(field: str, template: str, check: str, path: str) -> Problem:
    """A field's check failed; under ``rules[N]`` the problem also names the grid's row."""
    number = _rule_number(path)
    if number is None:
        return Problem(field, template, ("check",), check=check)
    return Problem(field, template + " (rule No. {number})", ("check",), check=check, number=number)


def _rule_number(path: str) -> int | None:
    """`rules[2]` is the third row of the window's grid: the GUI numbers from 1."""
    if path.startswith("rules[") and path.endswith("]"):
        return int(path[6:-1]) + 1
    return None


def from_dict(data: Any, source: Path | None = None) -> Settings:
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise SettingsError([Problem("(file)", "must be a JSON object")])
    settings = _build_object(Settings, data, "", problems)
    settings.source = source
    if not problems:
        problems.extend(settings.problems())
    if problems:
        raise SettingsError(problems)
    return settings


def check_field(cls: type, name: str, value: Any) -> str | None:
    """The declared check of one field, for a window validating a cell as it is typed."""
    f = next(f for f in dataclasses.fields(cls) if f.name == name)
    check = f.metadata.get("check")
    if check is None:
        return None
    if getattr(check, "each", False):
        return next((p for p in (check(v) for v in value) if p), None)
    return check(value)


def copy(settings: Settings) -> Settings:
    """An independent copy to edit (the window's working copy)."""
    return from_dict(to_dict(settings), source=settings.source)


def to_dict(settings: Settings) -> dict:
    data = dataclasses.asdict(settings)
    data.pop("source", None)
    # Keys of the accounts feature at their defaults are left out: a file saved by this version
    # reads as before to anyone who never used accounts (and to an older Tenso).
    for account in data["accounts"]:
        if account["oauth2"] is None:  # a password account: written as it is typed
            del account["oauth2"]
    if not data["accounts"]:
        del data["accounts"]
    if not data["devices"]:
        del data["devices"]
    for row in [*data["rules"], *data["auth_accounts"]["per_user"]]:
        if row["account"] == "":
            del row["account"]
    return data


def load(path: Path) -> Settings:
    """Reads and validates a settings file; a missing file gives the defaults."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return from_dict({}, source=path)
    except OSError as exc:
        raise SettingsError([Problem("(file)", "cannot read {path}: {why}", path=str(path), why=exc.strerror)]) from exc
    except UnicodeDecodeError as exc:
        raise SettingsError([Problem("(file)", "{path} is not UTF-8 text", path=str(path))]) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        where = Problem("(file)", "line {line} column {column}: {why}", line=exc.lineno, column=exc.colno, why=exc.msg)
        raise SettingsError([where]) from exc
    return from_dict(data, source=path)


def last_good_path(path: Path) -> Path:
    """Where the window keeps a copy of the last settings file that loaded without problems."""
    path = Path(path)
    return path.with_name(f"{path.stem}.last-good{path.suffix}")


def save(settings: Settings, path: Path) -> None:
    """Atomic: a reader sees the old file or the new one, never half of either."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(to_dict(settings), indent=2, ensure_ascii=False) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def _oauth2_problems(account: UpstreamAccount, where: str) -> list[Problem]:
    """What an OAuth 2.0 account lacks for its provider and flow; ``where``: its oauth2 field."""
    o = account.oauth2
    assert o is not None
    found = []
    if not o.client_id:
        found.append(Problem(f"{where}.client_id", "is missing (the application (client) id of the app registration)"))
    if o.provider == "microsoft" and not o.tenant:
        found.append(
            Problem(f"{where}.tenant", "is missing (the tenant's domain such as contoso.onmicrosoft.com, or its id)")
        )
    if o.provider == "generic":
        if not o.token_url:
            found.append(Problem(f"{where}.token_url", "is missing (a generic provider needs its token endpoint)"))
        if o.flow == "authorization_code" and not o.authorize_url:
            found.append(Problem(f"{where}.authorize_url", "is missing (needed for the authorization_code flow)"))
        if o.flow == "device_code" and not o.device_url:
            found.append(Problem(f"{where}.device_url", "is missing (needed for the device_code flow)"))
    if o.provider == "google" and o.flow != "authorization_code":
        found.append(
            Problem(
                f"{where}.flow",
                "Google offers only authorization_code for mail (https://mail.google.com/), not {flow}",
                flow=o.flow,
            )
        )
    return found


def _is_listening(destination: str, port: int, listening: list[tuple[str, int]]) -> bool:
    """Does a rule point at one of our own listening sockets?  Only numeric addresses and
    localhost are judged here (``check`` works offline); delivery checks resolved names too."""
    return reaches_listener(numeric_addresses(destination), port, listening)
