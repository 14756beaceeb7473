"""Checks across the accounts: ``accounts[]`` themselves (unique names, what an OAuth 2.0 provider
and flow need), and the rules and per-user entries that name them, GRAPH rules above all.  As
in cross_checks.py, ``broken`` holds the fields with a problem of their own, and what one of them
makes meaningless is skipped.
"""

from __future__ import annotations

from app.problems import Problem
from app.settings.cross_checks import Broken, unknown
from app.settings.enums import Credential, Flow, Provider, TlsMode
from app.settings.sections import PerUserAccount, Rule, UpstreamAccount, find_account, graph_accounts

GRAPH_SCOPE = "https://graph.microsoft.com/.default"  # the application permission Mail.Send


def account_problems(
    accounts: list[UpstreamAccount], per_user: list[PerUserAccount], rules: list[Rule], broken: Broken
) -> list[Problem]:
    found: list[Problem] = []
    seen: set[str] = set()
    for i, account in enumerate(accounts):
        where = f"accounts[{i}]"
        if not broken(f"{where}.name"):
            if account.name.lower() in seen:
                found.append(Problem(f"{where}.name", "{name} is listed twice", name=account.name))
            seen.add(account.name.lower())
        if not account.username and not broken(f"{where}.username"):
            found.append(Problem(f"{where}.username", "is missing (the user name or mailbox the destination knows)"))
        if account.oauth2 is not None:
            found.extend(oauth2_problems(account, f"{where}.oauth2", broken))
    # An account whose name is not known may be the one a rule or a per-user entry names.
    names_known = not broken("accounts") and not any(
        unknown(broken, f"accounts[{i}].name", a.name) for i, a in enumerate(accounts)
    )
    for i, user in enumerate(per_user):
        where = f"auth_accounts.per_user[{i}]"
        if user.username and user.account:
            if not broken(f"{where}.username", f"{where}.account"):
                found.append(Problem(f"{where}.account", "give either username or account, not both"))
        elif (
            user.account
            and names_known
            and not broken(f"{where}.account")
            and find_account(accounts, user.account) is None
        ):
            found.append(Problem(f"{where}.account", "no account named {name} in accounts", name=user.account))
    graph = graph_accounts([r for i, r in enumerate(rules) if not broken(f"rules[{i}].destination")])
    for i, rule in enumerate(rules):
        if broken(f"rules[{i}].account"):
            continue  # which account it logs in with is not known
        if rule.by_graph:
            found.extend(_graph_problems(i, rule, accounts, names_known, broken))
            continue
        if not rule.account_name:
            continue
        named = find_account(accounts, rule.account_name)
        if named is None:
            if names_known:
                found.append(_no_such_account(i, rule))  # SMTP or GRAPH, the account is not there
        elif broken(f"rules[{i}].destination"):
            continue  # by SMTP or GRAPH is not known, nor what the account must be
        elif named.oauth2 is not None and rule.tls == TlsMode.NONE and not broken(f"rules[{i}].tls"):
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


def _graph_problems(
    i: int, rule: Rule, accounts: list[UpstreamAccount], names_known: bool, broken: Broken
) -> list[Problem]:
    """GRAPH sends with the rule's own account: a Microsoft one with the client-credentials
    flow (the application permission Mail.Send), whose token is for Graph."""
    if not rule.account_name:
        return [
            Problem(
                f"rules[{i}].account",
                "GRAPH sends with the rule's own account: name a microsoft account with the "
                "client_credentials flow (rule No. {number})",
                number=i + 1,
            )
        ]
    named = find_account(accounts, rule.account_name)
    if named is None:
        return [_no_such_account(i, rule)] if names_known else []
    where = f"accounts[{accounts.index(named)}].oauth2"
    o = named.oauth2
    if broken(f"{where}.provider", f"{where}.flow"):
        return []  # what kind of account it is, is not known
    if o is None or o.provider != Provider.MICROSOFT or o.flow != Flow.CLIENT_CREDENTIALS:
        return [
            Problem(
                f"rules[{i}].account",
                "GRAPH needs a microsoft OAuth 2.0 account with the client_credentials flow; {name} is not "
                "one (rule No. {number})",
                name=named.name,
                number=i + 1,
            )
        ]
    if o.scope and o.scope != GRAPH_SCOPE and not broken(f"{where}.scope"):
        return [
            Problem(
                f"{where}.scope",
                "must be {scope} or left out: rule No. {number} sends by GRAPH with this account",
                scope=GRAPH_SCOPE,
                number=i + 1,
            )
        ]
    return []


def _no_such_account(i: int, rule: Rule) -> Problem:
    return Problem(
        f"rules[{i}].account",
        "no account named {name} in accounts (rule No. {number})",
        name=rule.account,
        number=i + 1,
    )


def oauth2_problems(account: UpstreamAccount, where: str, broken: Broken) -> list[Problem]:
    """What an OAuth 2.0 account lacks for its provider and flow; ``where``: its oauth2 field.
    A provider or flow that is none of the words asks for nothing (its own problem says so)."""
    o = account.oauth2
    assert o is not None

    def missing(name: str) -> bool:
        return not getattr(o, name) and not broken(f"{where}.{name}")

    found = []
    if missing("client_id"):
        found.append(Problem(f"{where}.client_id", "is missing (the application (client) id of the app registration)"))
    if o.provider == Provider.MICROSOFT and missing("tenant"):
        found.append(
            Problem(f"{where}.tenant", "is missing (the tenant's domain such as contoso.onmicrosoft.com, or its id)")
        )
    if o.provider == Provider.GENERIC:
        if missing("token_url"):
            found.append(Problem(f"{where}.token_url", "is missing (a generic provider needs its token endpoint)"))
        if o.flow == Flow.AUTHORIZATION_CODE and missing("authorize_url") and not broken(f"{where}.flow"):
            found.append(Problem(f"{where}.authorize_url", "is missing (needed for the authorization_code flow)"))
        if o.flow == Flow.DEVICE_CODE and missing("device_url"):
            found.append(Problem(f"{where}.device_url", "is missing (needed for the device_code flow)"))
    if o.credential == Credential.CERTIFICATE and o.flow != Flow.CLIENT_CREDENTIALS and not broken(f"{where}.flow"):
        found.append(
            Problem(
                f"{where}.credential",
                "certificate is only for the client_credentials flow; {flow} signs in a person",
                flow=o.flow,
            )
        )
    if o.provider == Provider.GOOGLE and o.flow != Flow.AUTHORIZATION_CODE and not broken(f"{where}.flow"):
        found.append(
            Problem(
                f"{where}.flow",
                "Google offers only authorization_code for mail (https://mail.google.com/), not {flow}",
                flow=o.flow,
            )
        )
    return found
