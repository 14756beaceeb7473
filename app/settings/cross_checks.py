"""Checks that involve more than one field: the server's certificate and listeners, local users,
devices, and rules that would loop or cannot rewrite.  Each takes the sections it involves
(``Settings.problems`` in model.py runs them all; the accounts' own are in account_checks.py).

They run in the same pass as the checks of single fields, so ``check`` names every problem at
once; ``broken`` holds the fields whose own check failed, and a check skips what one of them makes
meaningless (a loop to a port that is no port, a second listing of an address that is none).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from app.mail import addresses
from app.problems import Problem
from app.settings.enums import ListenerTls, RewriteFrom, RuleAccount
from app.settings.sections import Alerts, Device, LocalUser, PerUserAccount, Rule, Server, UpstreamAccount, find_account
from app.system.net import numeric_addresses, parse_listen, reaches_listener


class Broken:
    """The fields (JSON paths) that already have a problem of their own."""

    def __init__(self, fields: Iterable[str] = ()):
        self.fields = frozenset(fields)

    def __call__(self, *paths: str) -> bool:
        """Is any of ``paths`` broken, or inside a broken field (``rules[2]`` holds
        ``rules[2].port``)?"""
        return bool(self.fields) and any(
            path == f or path.startswith((f + ".", f + "[")) for path in paths for f in self.fields
        )


def unknown(broken: Broken, path: str, value: str) -> bool:
    """A field whose value is not known: broken and empty (given as another type, or left out).
    A value that failed its check is still what was typed, and is judged as that."""
    return not value and broken(path)


def server_problems(server: Server, resolve: Callable[[str], Path], broken: Broken) -> list[Problem]:
    """At least one listener; the certificate and its key set together, and on disk."""
    found: list[Problem] = []
    if not server.listen and not broken("server.listen"):
        found.append(Problem("server.listen", "must list at least one address:port"))
    if bool(server.tls_cert) != bool(server.tls_key) and not broken("server.tls_cert", "server.tls_key"):
        found.append(Problem("server.tls_key", "tls_cert and tls_key must be set together"))
    for name in ("tls_cert", "tls_key"):
        value = getattr(server, name)
        if value and not broken(f"server.{name}") and not resolve(value).is_file():
            found.append(Problem(f"server.{name}", "file not found: {path}", path=str(resolve(value))))
    return found


def user_problems(local_users: list[LocalUser], per_user: list[PerUserAccount], broken: Broken) -> list[Problem]:
    """Each local user once; a per-user account only for a local user."""
    found: list[Problem] = []
    users = {u.address.lower() for u in local_users}  # a broken address too: it is listed
    seen: set[str] = set()
    for i, user in enumerate(local_users):
        if broken(f"local_users[{i}].address"):
            continue
        if user.address.lower() in seen:
            found.append(Problem(f"local_users[{i}].address", "{address} is listed twice", address=user.address))
        seen.add(user.address.lower())
    if broken("local_users") or any(
        unknown(broken, f"local_users[{i}].address", u.address) for i, u in enumerate(local_users)
    ):
        return found  # a user whose address is not known may be the one a per-user account means
    for i, account in enumerate(per_user):
        where = f"auth_accounts.per_user[{i}].local_user"
        if account.local_user and account.local_user.lower() not in users and not broken(where):
            found.append(Problem(where, "{address} is not a local user", address=account.local_user))
    return found


def listener_problems(server: Server, broken: Broken) -> list[Problem]:
    """A listener's TLS needs the server's certificate; a login it requires must be possible."""
    found: list[Problem] = []
    for i, listener in enumerate(server.listeners):
        where = f"server.listen[{i}]"
        if (
            listener.tls == ListenerTls.IMPLICIT
            and not server.tls_cert
            and not broken(f"{where}.tls", "server.tls_cert")
        ):
            found.append(
                Problem(
                    f"{where}.tls",
                    "implicit TLS needs a certificate: set server.tls_cert and tls_key "
                    "(python -m app certificate create makes one)",
                )
            )
        if (
            listener.require_auth
            and server.auth_requires_tls
            and listener.tls == ListenerTls.NONE
            and not broken(f"{where}.require_auth", f"{where}.tls", "server.auth_requires_tls")
        ):
            found.append(
                Problem(
                    f"{where}.require_auth",
                    "this listener has no TLS and server.auth_requires_tls allows AUTH only over TLS, "
                    "so nobody could send here; give it TLS or turn auth_requires_tls off",
                )
            )
    return found


def device_problems(devices: list[Device], local_users: list[LocalUser], broken: Broken) -> list[Problem]:
    """Each device's name and login once, and no login that is a local user's address."""
    found: list[Problem] = []
    users = {u.address.lower() for u in local_users}
    names: set[str] = set()
    logins: set[str] = set()
    for i, device in enumerate(devices):
        if not broken(f"devices[{i}].name"):
            if device.name.lower() in names:
                found.append(Problem(f"devices[{i}].name", "{name} is listed twice", name=device.name))
            names.add(device.name.lower())
        if broken(f"devices[{i}].login"):
            continue
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


def rule_problems(rules: list[Rule], server: Server, broken: Broken) -> list[Problem]:
    """No rule that sends to Tenso itself; a conversion host only where it can rewrite."""
    found: list[Problem] = []
    listening = [
        parse_listen(entry.address)
        for i, entry in enumerate(server.listeners)
        if not broken(f"server.listen[{i}]", f"server.listen[{i}].address")
    ]
    for i, rule in enumerate(rules):
        where = f"rules[{i}]"
        if not broken(f"{where}.destination", f"{where}.port") and _is_listening(
            rule.destination, rule.port, listening
        ):
            found.append(
                Problem(
                    f"{where}.destination",
                    "{host}:{port} is Tenso itself (server.listen); mail would loop (rule No. {number})",
                    host=rule.destination,
                    port=rule.port,
                    number=i + 1,
                )
            )
        if not rule.conversion_host or broken(f"{where}.destination", f"{where}.conversion_host"):
            continue
        if rule.by_mta:
            found.append(
                Problem(
                    f"{where}.conversion_host",
                    "only a forwarding rule can rewrite (rule No. {number})",
                    number=i + 1,
                )
            )
        if rule.by_graph:
            found.append(
                Problem(
                    f"{where}.conversion_host",
                    "GRAPH takes the recipients from the message's headers, so it cannot rewrite them "
                    "(rule No. {number})",
                    number=i + 1,
                )
            )
    return found


def rewrite_problems(
    rules: list[Rule],
    accounts: list[UpstreamAccount],
    common_username: str,
    per_user: list[PerUserAccount],
    broken: Broken,
) -> list[Problem]:
    """``rewrite_from`` only where Tenso sends to a server or to GRAPH; ``account`` only where the
    rule logs in as a user name that is an address (the mailbox to send as).  A per-user account's
    user name is not judged: a sender whose per-user account logs in with a plain user name is
    sent as it was (route/router.py send_from)."""
    found: list[Problem] = []
    for i, rule in enumerate(rules):
        where = f"rules[{i}].rewrite_from"
        if not rule.rewrite_from or broken(where, f"rules[{i}].destination"):
            continue
        if rule.by_mta:
            found.append(
                Problem(
                    where,
                    "only a rule that sends to a server or to GRAPH can change the sender (rule No. {number})",
                    number=i + 1,
                )
            )
            continue
        if rule.rewrite_from != RewriteFrom.ACCOUNT or broken(f"rules[{i}].account"):
            continue
        if rule.account == RuleAccount.NONE:
            found.append(
                Problem(
                    where,
                    "account means the user name the rule logs in with, and this rule logs in with none "
                    "(rules[].account); give the address to send as instead (rule No. {number})",
                    number=i + 1,
                )
            )
            continue
        named = find_account(accounts, rule.account_name) if rule.account_name else None
        if rule.account_name and named is None:
            continue  # account_checks.py says that the account is not there
        username, whose = (named.username, named.name) if named else (common_username, "the common account")
        if not (named or username or per_user):
            found.append(
                Problem(
                    where,
                    "account means the user name the rule logs in with, and this rule has no account to log in "
                    "with (no common account, no per-user ones); give the address to send as instead "
                    "(rule No. {number})",
                    number=i + 1,
                )
            )
        elif username and not addresses.is_address(username):
            found.append(
                Problem(
                    where,
                    "account means the user name the rule logs in with, and {whose} logs in as “{username}”, "
                    "which is not an address; give the address to send as instead (rule No. {number})",
                    ("whose",),
                    whose=whose,
                    username=username,
                    number=i + 1,
                )
            )
    return found


def alert_problems(alerts: Alerts, rules: list[Rule], broken: Broken) -> list[Problem]:
    """``alerts.email_rule`` names a rule that is there; the summary and a rule need someone to mail."""
    found: list[Problem] = []
    if alerts.email_rule > len(rules) and not broken("alerts.email_rule"):
        found.append(
            Problem(
                "alerts.email_rule",
                "no rule {number} (there are {count}); 0 sends the alert mail by the normal routing",
                number=alerts.email_rule,
                count=len(rules),
            )
        )
    if alerts.summary_hour >= 0 and not alerts.email_to and not broken("alerts.summary_hour", "alerts.email_to"):
        found.append(Problem("alerts.summary_hour", "the daily summary is mailed: set alerts.email_to too"))
    return found


def _is_listening(destination: str, port: int, listening: list[tuple[str, int]]) -> bool:
    """Does a rule point at one of our own listening sockets?  Only numeric addresses and
    localhost are judged here (``check`` works offline); delivery checks resolved names too."""
    return reaches_listener(numeric_addresses(destination), port, listening)
