"""Checks that involve more than one field: the server's certificate and listeners, local users,
devices, and rules that would loop or cannot rewrite.  Each takes the sections it involves
(``Settings.problems`` in model.py runs them all; the accounts' own are in account_checks.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app.problems import Problem
from app.settings.enums import ListenerTls
from app.settings.sections import Device, LocalUser, PerUserAccount, Rule, Server
from app.system.net import numeric_addresses, parse_listen, reaches_listener


def server_problems(server: Server, resolve: Callable[[str], Path]) -> list[Problem]:
    """At least one listener; the certificate and its key set together, and on disk."""
    found: list[Problem] = []
    if not server.listen:
        found.append(Problem("server.listen", "must list at least one address:port"))
    if bool(server.tls_cert) != bool(server.tls_key):
        found.append(Problem("server.tls_key", "tls_cert and tls_key must be set together"))
    for name in ("tls_cert", "tls_key"):
        value = getattr(server, name)
        if value and not resolve(value).is_file():
            found.append(Problem(f"server.{name}", "file not found: {path}", path=str(resolve(value))))
    return found


def user_problems(local_users: list[LocalUser], per_user: list[PerUserAccount]) -> list[Problem]:
    """Each local user once; a per-user account only for a local user."""
    found: list[Problem] = []
    users = {u.address.lower() for u in local_users}
    seen: set[str] = set()
    for i, user in enumerate(local_users):
        if user.address.lower() in seen:
            found.append(Problem(f"local_users[{i}].address", "{address} is listed twice", address=user.address))
        seen.add(user.address.lower())
    for i, account in enumerate(per_user):
        if account.local_user and account.local_user.lower() not in users:
            found.append(
                Problem(
                    f"auth_accounts.per_user[{i}].local_user",
                    "{address} is not a local user",
                    address=account.local_user,
                )
            )
    return found


def listener_problems(server: Server) -> list[Problem]:
    """A listener's TLS needs the server's certificate; a login it requires must be possible."""
    found: list[Problem] = []
    for i, listener in enumerate(server.listeners):
        where = f"server.listen[{i}]"
        if listener.tls == ListenerTls.IMPLICIT and not server.tls_cert:
            found.append(
                Problem(
                    f"{where}.tls",
                    "implicit TLS needs a certificate: set server.tls_cert and tls_key "
                    "(python -m app certificate create makes one)",
                )
            )
        if listener.require_auth and server.auth_requires_tls and listener.tls == ListenerTls.NONE:
            found.append(
                Problem(
                    f"{where}.require_auth",
                    "this listener has no TLS and server.auth_requires_tls allows AUTH only over TLS, "
                    "so nobody could send here; give it TLS or turn auth_requires_tls off",
                )
            )
    return found


def device_problems(devices: list[Device], local_users: list[LocalUser]) -> list[Problem]:
    """Each device's name and login once, and no login that is a local user's address."""
    found: list[Problem] = []
    users = {u.address.lower() for u in local_users}
    names: set[str] = set()
    logins: set[str] = set()
    for i, device in enumerate(devices):
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


def rule_problems(rules: list[Rule], server: Server) -> list[Problem]:
    """No rule that sends to Tenso itself; a conversion host only where it can rewrite."""
    found: list[Problem] = []
    listening = [parse_listen(entry.address) for entry in server.listeners]
    for i, rule in enumerate(rules):
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
        if rule.by_mta and rule.conversion_host:
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


def _is_listening(destination: str, port: int, listening: list[tuple[str, int]]) -> bool:
    """Does a rule point at one of our own listening sockets?  Only numeric addresses and
    localhost are judged here (``check`` works offline); delivery checks resolved names too."""
    return reaches_listener(numeric_addresses(destination), port, listening)
