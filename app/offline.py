"""What the command line and the window ask of the settings without a running gateway.

The warnings of ``python -m app check`` (``warnings_for``: a rule hidden by a row above, the
common account's password sent where it is not meant, a login without TLS; and, asking the
keyring, the accounts whose password is not stored), the warnings that can still be given for
a file with problems (``broken_file_warnings``), the rules tab's route preview and hidden rows,
and the test login.  Nothing here listens or touches the queue; only the test login goes on the
network.

The settings warnings are ``Problem``s: the command line prints them as they are (English), the
window words them in its language.  The password warnings are the command line's alone (the
window's Status tab words the missing passwords itself).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from app import settings as settings_mod
from app import suggest
from app.deliver import credentials, smtp
from app.deliver.smtp import LoginReport
from app.problems import Problem
from app.route.router import Account, Decision, Router, named_account
from app.settings import Destination, Settings, SettingsError, TlsMode, keys
from app.status import missing_passwords
from app.system import passwords

# --- warnings: allowed, but almost certainly not meant -------------------------------------------


def warnings_for(settings: Settings) -> list[Problem]:
    """Things that are allowed but almost certainly not meant (no keyring, no network)."""
    router = Router(settings)
    return (
        hidden_row_warnings(router, list(enumerate(r.match for r in settings.rules)))
        + common_account_warnings(settings)
        + cleartext_login_warnings(settings, router)
    )


def common_account_warnings(settings: Settings) -> list[Problem]:
    """Rules that would hand the common account's password to a server it was not meant for.

    A rule that names no account sends the common account (or the sender's per-user one) to its
    destination whenever that server offers AUTH; the original product did so to every rule's
    server.  The common account is taken to belong to the destination of the catch-all rule
    (``*``): that is the ISP or Microsoft 365 that everything else goes to.  Without a ``*`` rule
    it is taken to belong to the destination of the first forwarding rule that names no account.
    Every other destination that would get it is named: set the rule's account to ``none`` (the
    server takes mail without a login, as internal servers do) or to the account it needs.
    """
    common = settings.auth_accounts.common.username
    rows = [(i, r) for i, r in enumerate(settings.rules) if r.to_server and not r.account]
    if not common or not rows:
        return []
    catch_all = next((r for r in settings.rules if r.match.strip() == "*" and r.to_server), None)
    meant = (catch_all or rows[0][1]).destination.lower()
    why = Problem("", "the rule for *") if catch_all else Problem("", "the first rule that sends to a server")
    return [
        Problem(
            f"rules[{i}].account",
            "rule No. {number} ({match}) sends the common account's password ({common}) to {destination} "
            "whenever it offers AUTH, but the common account looks meant for {meant} ({why}); "
            'set this rule\'s account to "none" if {destination} takes mail without a login, '
            "or name the account it needs",
            number=i + 1,
            match=r.match,
            common=common,
            destination=r.destination,
            meant=meant,
            why=why,
        )
        for i, r in rows
        if r.destination.lower() != meant
    ]


def cleartext_login_warnings(settings: Settings, router: Router) -> list[Problem]:
    """``tls: none`` with a login: the password may cross the network readable (plain LOGIN)."""
    found = []
    for i, r in enumerate(settings.rules):
        if not r.to_server or r.tls != TlsMode.NONE:
            continue
        account = router.account_for("", r)
        per_user = not r.account and any(a.username or a.account for a in settings.auth_accounts.per_user)
        if account is None and not per_user:
            continue
        who = (
            Problem("", "the account {account}", account=account.describe())
            if account
            else Problem("", "the senders' per-user accounts")
        )
        found.append(
            Problem(
                f"rules[{i}].tls",
                "rule No. {number} logs in to {destination} with {who} without TLS: when the server offers "
                "no CRAM-MD5 the password crosses the network readable (LOGIN/PLAIN); use opportunistic or "
                "required if the server offers STARTTLS",
                number=i + 1,
                destination=r.destination,
                who=who,
            )
        )
    return found


def hidden_row_warnings(router: Router, rows: list[tuple[int, str]]) -> list[Problem]:
    """``rows``: the file's index and match of each rule in ``router``'s table, in its order."""
    found = []
    for k, (i, match) in enumerate(rows):
        hider = router.hidden_by(k)
        if hider is not None:
            h, above = rows[hider]
            found.append(
                Problem(
                    f"rules[{i}].match",
                    "rule No. {number} ({match}) can never match: rule No. {above_number} ({above}) above it "
                    "catches all its mail",
                    number=i + 1,
                    match=match,
                    above_number=h + 1,
                    above=above,
                )
            )
    return found


def password_warnings(settings: Settings) -> list[str]:
    """Accounts a rule would log in with whose password is not stored: that mail would wait.
    Blocking (the keyring)."""
    try:
        missing = missing_passwords(settings)
    except (passwords.PasswordStoreError, ValueError) as exc:
        return [f"the passwords cannot be checked: {exc}"]
    return [
        f"{m.words} has no {'client secret' if m.secret else 'password'} stored: "
        f"mail that needs it waits in the queue; run: {suggest.command(settings, f'password set {m.key}')}"
        for m in missing
    ]


def sign_in_warnings(settings: Settings) -> list[str]:
    """The OAuth 2.0 accounts a rule uses that sign in as a person (authorization code, device
    code) and have no tokens stored: their mail waits until someone signs in.  Client-credentials
    accounts need no sign-in (their secret is in ``password_warnings``).  Reads the token store."""
    from app.accounts import service
    from app.settings import Flow

    named = {r.account.lower() for r in settings.rules} | {a.account.lower() for a in settings.auth_accounts.per_user}
    found = []
    for account in settings.accounts:
        if account.oauth2 is None or account.oauth2.flow == Flow.CLIENT_CREDENTIALS:
            continue
        if account.name.lower() not in named:
            continue
        state = service.account_status(settings, account.name)
        if state.signed_in:
            continue
        why = f" ({state.error})" if state.error else ""
        found.append(
            f"account {account.name} ({account.oauth2.flow}) is not signed in{why}: mail that needs it waits in "
            f"the queue; sign in with: {suggest.command(settings, f'account login {account.name}')}"
        )
    return found


# --- the warnings of a file with problems ----------------------------------------------------------

SALVAGE_ROUNDS = 8  # leaving a part out can make a problem elsewhere (a rule naming a dropped account)
_STEP = re.compile(r"([A-Za-z_]\w*)|\[(\d+)\]")
_GONE = object()  # a list item left out, removed once every problem of a round is marked


def broken_file_warnings(path: Path) -> list[str]:
    """The warnings ``check`` can still give for a file that does not load: the hidden rows among
    the rules whose match is valid, and, from what loads with every part a problem names left
    out, the logins without TLS and the passwords not stored (blocking: the keyring).  The common
    account's destination is judged from all the rules, so it is left unjudged when a rule has a
    problem."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return []
    found: list[str] = list(_hidden_rules_of(data))
    salvaged = _salvaged(data)
    if salvaged is None:
        return found
    settings, rules_left_out = salvaged
    if not rules_left_out:
        found += common_account_warnings(settings)
    found += cleartext_login_warnings(settings, Router(settings))
    return found + password_warnings(settings)


def _hidden_rules_of(data: Any) -> list[Problem]:
    """The hidden-row warnings from the rules whose match is valid (the others are problems
    already), each under its own index."""
    rows = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        return []
    matches = {i: row.get("match") for i, row in enumerate(rows) if isinstance(row, dict)}
    valid = {
        i: m
        for i, m in matches.items()
        if isinstance(m, str) and settings_mod.check_field(settings_mod.Rule, "match", m) is None
    }
    table = sorted(valid.items())
    router = Router(
        settings_mod.Settings(rules=[settings_mod.Rule(match=m, destination=Destination.MTA) for _, m in table])
    )
    return hidden_row_warnings(router, table)


def _inert_rule(i: int) -> dict:
    """What a rule with a problem becomes: a row that matches nothing real and sends to no server,
    so that every other rule keeps its number."""
    return {"match": f"rule-{i + 1}-left-out@tenso.invalid", "destination": str(Destination.MTA)}


def _salvaged(data: Any) -> tuple[Settings, bool] | None:
    """The settings with every part a problem names left out, and whether a rule was; None when a
    problem names no part that can be left out (a file that is not JSON, a whole section)."""
    if not isinstance(data, dict):
        return None
    data = copy.deepcopy(data)
    rules_left_out = False
    for _ in range(SALVAGE_ROUNDS):
        try:
            return settings_mod.from_dict(data), rules_left_out
        except SettingsError as exc:
            marked = [_leave_out(data, problem.field) for problem in exc.problems]
        if not all(marked):
            return None
        rules_left_out |= "rule" in marked
        _sweep(data)
    return None


def _leave_out(data: dict, field: str) -> str:
    """Marks the part of ``data`` that ``field`` names as left out: the innermost list item on its
    path (a rule becomes an inert row: "rule"), else the deepest key there is ("key").  "" when
    ``field`` names nothing in ``data``, or an inert rule again."""
    steps = [int(index) if index else key for key, index in _STEP.findall(field)]
    if not steps or steps[0] not in data:
        return ""
    node: Any = data
    item: tuple[list, int] | None = None
    key: tuple[dict, str] | None = None
    for step in steps:
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                break
            item = (node, step)
        else:
            if not isinstance(node, dict) or step not in node:
                break
            key = (node, step)
        node = node[step]
        if node is _GONE:
            return "key"  # left out already for another problem of this round
    if item is not None:
        items, i = item
        if items is data.get("rules"):
            if items[i] == _inert_rule(i):
                return ""
            items[i] = _inert_rule(i)
            return "rule"
        items[i] = _GONE
        return "key"
    if key is not None:
        owner, name = key
        del owner[name]
        return "key"
    return ""


def _sweep(node: Any) -> None:
    if isinstance(node, dict):
        for value in node.values():
            _sweep(value)
    elif isinstance(node, list):
        node[:] = [item for item in node if item is not _GONE]
        for item in node:
            _sweep(item)


# --- the rules tab and the auth tab ----------------------------------------------------------------


def route_preview(settings: Settings, recipient: str, sender: str = "") -> Decision:
    """Where ``recipient`` would go now (the rules tab's test line).  ValueError: bad settings."""
    return Router(settings).route(recipient, sender)


def hidden_rules(settings: Settings) -> dict[int, int]:
    """Rule index -> the index of the earlier rule that takes all its mail (never reached)."""
    router = Router(settings)
    return {i: h for i in range(len(settings.rules)) if (h := router.hidden_by(i)) is not None}


def check_login(settings: Settings, rule_index: int, account_key: str) -> LoginReport:
    """Blocking: connects to rule ``rule_index``'s server and logs in with ``account_key``
    ("common", "user:ADDRESS", "account:NAME" or "" for none), as delivery would.
    PasswordStoreError when the password cannot be read."""
    rule = settings.rules[rule_index]
    accounts = settings.auth_accounts
    account = None
    key = keys.parse(account_key)
    named = settings.account(key.name) if key and key.kind == keys.KeyKind.ACCOUNT else None
    if named is not None:
        account = named_account(named)
    elif key and key.kind == keys.KeyKind.COMMON and accounts.common.username:
        account = Account(keys.COMMON, accounts.common.username)
    elif key and key.kind == keys.KeyKind.USER:
        user = key.name
        found = next((a for a in accounts.per_user if a.local_user == user), None)
        if found and found.username:
            account = Account(account_key, found.username)
    password: smtp.Secret | None = None
    if account and account.oauth2:
        password = credentials.token_source(settings, account.name)
    elif account:
        password = passwords.get(account.key)

    destination = smtp.Destination(rule.destination, rule.port, rule.tls, account, rule_index + 1, settings.source)
    return smtp.try_login(destination, password, settings.server.hostname)
