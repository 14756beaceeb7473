"""``account login|status|logout``: OAuth 2.0 accounts signed in and out, every account's state."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
from pathlib import Path

from app.cli.command import Command, load
from app.settings import Flow, Settings
from app.system import passwords


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["login", "status", "logout"])
    parser.add_argument("name", metavar="NAME", nargs="?", help="the account's name (status: all when left out)")
    parser.add_argument("--no-browser", action="store_true", help="only print the address to open")
    parser.add_argument("--device", action="store_true", help="sign in with a code on another device")
    parser.add_argument("--json", action="store_true", help="status as JSON")


def _local(when) -> str:
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z") if when else "-"


def run(args: argparse.Namespace) -> int:
    from app.accounts import service

    settings = load(Path(args.config))
    if settings is None:
        return 1
    if args.action == "status":
        names = [args.name] if args.name else [a.name for a in settings.accounts]
        try:
            found = [service.account_status(settings, n) for n in names]
        except service.AccountError as exc:
            print(exc, file=sys.stderr)
            return 1
        if args.json:
            print(json.dumps([s.as_json() for s in found], ensure_ascii=False, indent=2))
            return 0
        if not found:
            print("no accounts in the settings file (accounts)")
        for s in found:
            state = "signed in" if s.signed_in else ("password stored" if s.kind == "password" else "not signed in")
            if s.kind == "password" and not s.signed_in:
                state = "no password stored"
            line = f"{s.name}  {s.kind}  {state}"
            if s.kind == "oauth2" and (s.expires or s.last_refresh):
                line += f"  expires {_local(s.expires)}  last refresh {_local(s.last_refresh)}"
            if s.error and s.kind == "oauth2":
                line += f"  error: {s.error}"
            print(line)
        return 0
    if not args.name:
        print(f"account {args.action} needs the account's NAME", file=sys.stderr)
        return 2
    account = settings.account(args.name)
    if account is None:
        print(f"no account named {args.name} in accounts of {args.config}", file=sys.stderr)
        return 1
    try:
        if args.action == "logout":
            had = service.logout(settings, account.name)
            print(f"{account.name}: signed out" if had else f"{account.name}: was not signed in")
            return 0
        return _account_login(settings, account, args)
    except service.AccountError as exc:
        print(f"{account.name}: {exc}", file=sys.stderr)
        return 1


def _account_login(settings: Settings, account, args: argparse.Namespace) -> int:
    from app.accounts import service

    if account.oauth2 is None:
        print(f"{account.name} is a password account: run python -m app password set {account.key}", file=sys.stderr)
        return 1
    secret = None
    if account.oauth2.flow == Flow.CLIENT_CREDENTIALS and not args.device:
        try:
            stored = passwords.get(account.key)
        except passwords.PasswordStoreError as exc:
            print(f"{account.name}: the client secret cannot be read: {exc}", file=sys.stderr)
            return 1
        if stored is None:
            prompt = f"client secret of {account.name}: "
            secret = getpass.getpass(prompt) if sys.stdin.isatty() else sys.stdin.readline().rstrip("\r\n")
            if not secret:
                print(f"{account.name}: no client secret given on standard input", file=sys.stderr)
                return 1

    def show_url(url: str) -> None:
        print("open this address in a browser to sign in (Tenso waits up to 5 minutes):", flush=True)
        print(url, flush=True)

    def show_code(url: str, code: str) -> None:
        print(f"on any device, open {url} and enter the code {code} (Tenso waits up to 5 minutes)", flush=True)

    started = time.monotonic()
    status = service.login(
        settings,
        account.name,
        show_url=show_url,
        open_browser=not args.no_browser,
        device=args.device,
        show_code=show_code,
        secret=secret,
    )
    print(
        f"{account.name}: signed in as {account.username}; access token valid until {_local(status.expires)} "
        f"({time.monotonic() - started:.1f} s)"
    )
    return 0


COMMAND = Command("account", "sign OAuth 2.0 accounts in and out, show every account's state", arguments, run)
