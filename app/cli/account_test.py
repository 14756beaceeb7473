"""``account test NAME [--rule N]``: logs in with a password or OAuth 2.0 account at the server of
the first rule that uses it (or rule N) as delivery would, sends no mail, and prints the server's
answer.  Exit 0 when the login is accepted, 1 otherwise."""

from __future__ import annotations

import argparse
import sys

from app.settings import Settings


def run(settings: Settings, args: argparse.Namespace) -> int:
    from app import offline
    from app.accounts import service
    from app.system import passwords

    account = settings.account(args.name or "")
    if account is None:
        print(f"no account named {args.name} in accounts", file=sys.stderr)
        return 1
    uses = [i for i, r in enumerate(settings.rules) if r.account.lower() == account.name.lower()]
    if args.rule is not None:
        if not str(args.rule).isdigit():
            print(f"--rule takes a rule number (1 is the first rule), not {args.rule}", file=sys.stderr)
            return 2
        index = int(args.rule) - 1
        if not 0 <= index < len(settings.rules):
            print(f"there is no rule No. {args.rule} (the file has {len(settings.rules)})", file=sys.stderr)
            return 1
    elif uses:
        index = uses[0]
    else:
        print(f"no rule uses the account {account.name}: name one with --rule N", file=sys.stderr)
        return 1
    rule = settings.rules[index]
    where = f"rule No. {index + 1} ({rule.destination}:{rule.port})"
    if account.oauth2 is not None:
        print(f"account {account.name}: asking for a token first ({account.oauth2.flow})")
    try:
        report = offline.check_login(settings, index, account.key)
    except (service.AccountError, passwords.PasswordStoreError) as exc:
        print(f"account {account.name}: {where}: the login could not be tried: {exc}", file=sys.stderr)
        return 1
    if report.error is not None:
        print(f"account {account.name}: {where}: the login failed: {report.error}", file=sys.stderr)
        return 1
    if report.username is None:
        print(f"account {account.name}: {where}: the server offers no login (AUTH: {report.offered or 'none'})")
        return 1
    tls = "encrypted" if report.encrypted else "NOT encrypted"
    print(f"account {account.name}: {where}: login accepted as {report.username} ({tls}; it offers {report.offered})")
    return 0
