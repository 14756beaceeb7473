"""Checks across the accounts: ``accounts[]`` themselves (unique names, what an OAuth 2.0 provider
and flow need), and the rules and per-user entries that name them, GRAPH rules above all.
"""

from __future__ import annotations

from app.problems import Problem
from app.settings.enums import Flow, Provider, TlsMode
from app.settings.sections import PerUserAccount, Rule, UpstreamAccount, find_account, graph_accounts

GRAPH_SCOPE = "https://graph.microsoft.com/.default"  # the application permission Mail.Send


def account_problems(
    accounts: list[UpstreamAccount], per_user: list[PerUserAccount], rules: list[Rule]
) -> list[Problem]:
    found: list[Problem] = []
    seen: set[str] = set()
    for i, account in enumerate(accounts):
        if account.name.lower() in seen:
            found.append(Problem(f"accounts[{i}].name", "{name} is listed twice", name=account.name))
        seen.add(account.name.lower())
        if not account.username:
            found.append(
                Problem(f"accounts[{i}].username", "is missing (the user name or mailbox the destination knows)")
            )
        if account.oauth2 is not None:
            found.extend(oauth2_problems(account, f"accounts[{i}].oauth2"))
    for i, user in enumerate(per_user):
        where = f"auth_accounts.per_user[{i}]"
        if user.username and user.account:
            found.append(Problem(f"{where}.account", "give either username or account, not both"))
        elif user.account and find_account(accounts, user.account) is None:
            found.append(Problem(f"{where}.account", "no account named {name} in accounts", name=user.account))
    graph = graph_accounts(rules)
    for i, rule in enumerate(rules):
        if rule.by_graph:
            found.extend(_graph_problems(i, rule, accounts))
            continue
        if not rule.account_name:
            continue
        named = find_account(accounts, rule.account_name)
        if named is None:
            found.append(
                Problem(
                    f"rules[{i}].account",
                    "no account named {name} in accounts (rule No. {number})",
                    name=rule.account,
                    number=i + 1,
                )
            )
        elif named.oauth2 is not None and rule.tls == TlsMode.NONE:
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


def _graph_problems(i: int, rule: Rule, accounts: list[UpstreamAccount]) -> list[Problem]:
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
        return [
            Problem(
                f"rules[{i}].account",
                "no account named {name} in accounts (rule No. {number})",
                name=rule.account,
                number=i + 1,
            )
        ]
    o = named.oauth2
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
    if o.scope and o.scope != GRAPH_SCOPE:
        where = accounts.index(named)
        return [
            Problem(
                f"accounts[{where}].oauth2.scope",
                "must be {scope} or left out: rule No. {number} sends by GRAPH with this account",
                scope=GRAPH_SCOPE,
                number=i + 1,
            )
        ]
    return []


def oauth2_problems(account: UpstreamAccount, where: str) -> list[Problem]:
    """What an OAuth 2.0 account lacks for its provider and flow; ``where``: its oauth2 field."""
    o = account.oauth2
    assert o is not None
    found = []
    if not o.client_id:
        found.append(Problem(f"{where}.client_id", "is missing (the application (client) id of the app registration)"))
    if o.provider == Provider.MICROSOFT and not o.tenant:
        found.append(
            Problem(f"{where}.tenant", "is missing (the tenant's domain such as contoso.onmicrosoft.com, or its id)")
        )
    if o.provider == Provider.GENERIC:
        if not o.token_url:
            found.append(Problem(f"{where}.token_url", "is missing (a generic provider needs its token endpoint)"))
        if o.flow == Flow.AUTHORIZATION_CODE and not o.authorize_url:
            found.append(Problem(f"{where}.authorize_url", "is missing (needed for the authorization_code flow)"))
        if o.flow == Flow.DEVICE_CODE and not o.device_url:
            found.append(Problem(f"{where}.device_url", "is missing (needed for the device_code flow)"))
    if o.provider == Provider.GOOGLE and o.flow != Flow.AUTHORIZATION_CODE:
        found.append(
            Problem(
                f"{where}.flow",
                "Google offers only authorization_code for mail (https://mail.google.com/), not {flow}",
                flow=o.flow,
            )
        )
    return found
