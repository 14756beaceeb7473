"""Where each recipient goes: the ordered rule table (転送設定), first match wins.

Address, domain and subdomain rows are indexed by key, each key remembering
the first row that carries it; the answer is the smallest row number among
the few candidates for a recipient (its address, its domain, its parent
domains, the first ``*``).  That is the same answer as trying the rows top to
bottom, at a cost that does not grow with the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.mail import addresses
from app.mail.addresses import MatchKind
from app.route.targets import (
    BY_WORD,
    LocalTarget,
    MxTarget,
    RouteKind,
    ServerTarget,
    Target,
    UnknownLocal,
    Word,
)
from app.settings import NO_ACCOUNT, RewriteFrom, Rule, Settings, UpstreamAccount, keys

# The kinds by name, as the callers of route() compare them (``decision.kind == FORWARD``).
FORWARD, GRAPH, LOCAL = RouteKind.FORWARD, RouteKind.GRAPH, RouteKind.LOCAL
MX, UNKNOWN_LOCAL = RouteKind.MX, RouteKind.UNKNOWN_LOCAL


@dataclass(frozen=True)
class Account:
    """The credentials a destination gets: keyring key, the user name sent, and how.

    ``name`` is what ``route`` and the window show: ``common``, ``user:ADDRESS`` or the name of
    an entry in ``accounts``.  ``oauth2``: the account signs in with tokens (app/accounts/), and
    ``key`` then holds its client secret, if any, not a password."""

    key: str  # keyring key: "common", "user:<local user>" or "account:<name>"
    username: str
    name: str = ""
    oauth2: bool = False

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.key)

    def __str__(self) -> str:
        return self.name

    def describe(self) -> str:
        """The name and the user name, for the command line and the log."""
        return f"{self.name} ({self.username}{', OAuth 2.0' if self.oauth2 else ''})"


@dataclass(frozen=True)
class Decision:
    recipient: str  # as received in RCPT TO
    target: Target  # where it goes: ServerTarget, GraphTarget, LocalTarget, MxTarget or UnknownLocal
    rule: int | None  # 1-based row number, None when no row decided
    rcpt: str  # the recipient as it will be sent (after 変換ホスト名)
    auth: Account | None
    note: str = ""
    send_from: str = ""  # the sender the destination sees (rules[].rewrite_from); "": the message's own

    @property
    def kind(self) -> RouteKind:
        return self.target.kind

    @property
    def destination(self) -> str:
        return self.target.destination

    # The rule's server, for the words of ``route`` and the window: None for any other target.

    @property
    def host(self) -> str | None:
        return self.target.host if isinstance(self.target, ServerTarget) else None

    @property
    def port(self) -> int | None:
        return self.target.port if isinstance(self.target, ServerTarget) else None

    @property
    def tls(self) -> str | None:
        return self.target.tls if isinstance(self.target, ServerTarget) else None

    def as_json(self) -> dict:
        return {
            "recipient": self.recipient,
            "rule": self.rule,
            "destination": self.destination,
            "port": self.port,
            "rcpt": self.rcpt,
            "auth": self.auth.name if self.auth else None,
            "delivery": self.kind,
            "note": self.note,
            "send_from": self.send_from or None,  # rules[].rewrite_from; None: the message's own sender
        }


def named_account(account: UpstreamAccount) -> Account:
    return Account(account.key, account.username, account.name, account.oauth2 is not None)


class Router:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.options = settings.options
        self.rules: list[Rule] = list(settings.rules)
        self._address: dict[str, int] = {}
        self._domain: dict[str, int] = {}
        self._subdomains: dict[str, int] = {}
        self._any: int | None = None
        for i, rule in enumerate(self.rules):
            match = addresses.parse_match(rule.match)
            if match.kind == MatchKind.ANY:
                if self._any is None:
                    self._any = i
            else:
                index = {
                    MatchKind.ADDRESS: self._address,
                    MatchKind.DOMAIN: self._domain,
                    MatchKind.SUBDOMAINS: self._subdomains,
                }
                index[match.kind].setdefault(match.key, i)
        self.local_users = {addresses.normalize(u.address) for u in settings.local_users}
        self.local_domains = {addresses.ascii_domain(d) for d in settings.local_domains}
        self._named = {a.name.lower(): named_account(a) for a in settings.accounts}
        self._per_user: dict[str, Account] = {}
        for a in settings.auth_accounts.per_user:
            user = addresses.normalize(a.local_user)
            if a.account and a.account.lower() in self._named:
                self._per_user[user] = self._named[a.account.lower()]
            elif a.username:
                self._per_user[user] = Account(keys.user_key(user), a.username)
        common = settings.auth_accounts.common.username
        self._common = Account(keys.COMMON, common) if common else None

    # --- matching ---

    def first_match(self, recipient: str, include_any: bool = True) -> int | None:
        """0-based index of the first row matching ``recipient``, or None."""
        address = addresses.normalize(recipient)
        domain = addresses.domain_of(recipient)
        candidates = [self._address.get(address), self._domain.get(domain)]
        if self._subdomains:
            labels = domain.split(".")
            candidates += [self._subdomains.get(".".join(labels[i:])) for i in range(1, len(labels))]
        if include_any:
            candidates.append(self._any)
        found = [c for c in candidates if c is not None]
        return min(found) if found else None

    def hidden_by(self, index: int) -> int | None:
        """The 0-based row that catches everything row ``index`` would, or None."""
        match = addresses.parse_match(self.rules[index].match)
        if self._any is not None and self._any < index:
            return self._any
        if match.kind == MatchKind.ADDRESS:
            first = self.first_match(match.key, include_any=False)
        elif match.kind == MatchKind.DOMAIN:
            first = self._domain.get(match.key)
            labels = match.key.split(".")
            parents = [self._subdomains.get(".".join(labels[i:])) for i in range(1, len(labels))]
            first = min([x for x in [first, *parents] if x is not None], default=None)
        elif match.kind == MatchKind.SUBDOMAINS:
            labels = match.key.split(".")
            parents = [self._subdomains.get(".".join(labels[i:])) for i in range(len(labels))]
            first = min([x for x in parents if x is not None], default=None)
        else:
            first = self._any
        return first if first is not None and first < index else None

    def is_local_user(self, address: str) -> bool:
        return addresses.normalize(address) in self.local_users

    def is_local_domain(self, address: str) -> bool:
        return addresses.domain_of(address) in self.local_domains

    def account_for(self, sender: str, rule: Rule | None = None) -> Account | None:
        """The account ``rule`` logs in with: the one it names, none for ``none``; for a rule that
        names none (and without a rule), the per-user account of a local sender, else the common one."""
        if rule is not None and rule.account == NO_ACCOUNT:
            return None
        if rule is not None and rule.account:
            return self._named.get(rule.account.lower())  # settings.problems: every name exists
        return self._per_user.get(addresses.normalize(sender)) or self._common

    # --- the decision ---

    def route(self, recipient: str, sender: str = "", rule_number: int = 0) -> Decision:
        """Where ``recipient`` goes.  ``rule_number`` (1-based) names the rule a message Tenso made
        itself leaves by, whatever it matches (an alert mail through ``alerts.email_rule``)."""
        local_user = self.is_local_user(recipient)
        if 0 < rule_number <= len(self.rules):
            return self._by_rule(recipient, sender, rule_number - 1, local_user, forced=True)
        if local_user and self.options.skip_local:
            return self._mta(recipient, None, "local user, not forwarded (skip local)")
        index = self.first_match(recipient)
        if index is None:
            return self._mta(recipient, None, "no rule matches")
        return self._by_rule(recipient, sender, index, local_user)

    def _by_rule(self, recipient: str, sender: str, index: int, local_user: bool, forced: bool = False) -> Decision:
        rule = self.rules[index]
        word = rule.destination.upper()
        if word == Word.MTA:
            return self._mta(recipient, index + 1, "")
        if self.options.check_local_users and not local_user and not forced:
            return self._mta(recipient, None, f"rule {index + 1} not used: not a local user (check local users)")
        named = BY_WORD.get(word)
        auth = self.account_for(sender, rule)
        if named is not None:  # settings.problems: GRAPH names a Microsoft account, and no conversion host
            return Decision(recipient, named(), index + 1, recipient, auth, send_from=send_from(rule, auth))
        rcpt = recipient
        if rule.conversion_host:
            local, _ = addresses.split(recipient)
            rcpt = f"{local}@{rule.conversion_host}"
        return Decision(
            recipient=recipient,
            target=ServerTarget(rule.destination.strip("[]"), rule.port, rule.tls),
            rule=index + 1,
            rcpt=rcpt,
            auth=auth,
            send_from=send_from(rule, auth),
        )

    def _mta(self, recipient: str, rule: int | None, note: str) -> Decision:
        target: Target
        if self.is_local_user(recipient):
            target = LocalTarget()
        elif self.is_local_domain(recipient):
            target, note = UnknownLocal(), note or "no such local user"
        else:
            target = MxTarget()
        return Decision(recipient, target, rule, recipient, None, note)


def send_from(rule: Rule, auth: Account | None) -> str:
    """The address a rule sends as (``rewrite_from``): "" for the message's own sender, and for
    ``account`` when the account the rule logs in with has no address for a user name (the
    settings checks say so for the common and named accounts; a sender whose per-user account
    logs in with a plain user name is sent as it was)."""
    if rule.rewrite_from != RewriteFrom.ACCOUNT:
        return rule.rewrite_from
    username = auth.username if auth else ""
    return username if addresses.is_address(username) else ""
