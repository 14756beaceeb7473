"""``account login|status|logout``: OAuth 2.0 accounts signed in and out, every account's state;
``account certificate create NAME``: the key pair and certificate of a client-credentials account."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
from pathlib import Path

from app.cli.command import Command, load
from app.settings import Credential, Flow, Settings
from app.system import passwords


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["login", "status", "logout", "certificate", "test"])
    parser.add_argument("name", metavar="NAME", nargs="?", help="the account's name (status: all when left out)")
    parser.add_argument("target", metavar="ACCOUNT", nargs="?", help="certificate create ACCOUNT: the account's name")
    parser.add_argument("--no-browser", action="store_true", help="only print the address to open")
    parser.add_argument("--device", action="store_true", help="sign in with a code on another device")
    parser.add_argument("--json", action="store_true", help="status as JSON")
    parser.add_argument("--rule", default=None, metavar="N", help="test: log in at rule N's server")


def _local(when) -> str:
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z") if when else "-"


def run(args: argparse.Namespace) -> int:
    from app.accounts import service

    settings = load(Path(args.config))
    if settings is None:
        return 1
    if args.action == "certificate":
        return _certificate(settings, args)
    if args.action == "test":
        from app.cli import account_test

        return account_test.run(settings, args)
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
            if s.flow == Flow.CLIENT_CREDENTIALS:  # nobody signs in: a token is asked when one is needed
                held = "token held" if s.signed_in else "a token is asked at the next delivery"
                state = f"client credentials, {held}"
            line = f"{s.name}  {s.kind}  {state}"
            if s.kind == "oauth2" and (s.expires or s.last_refresh):
                line += f"  expires {_local(s.expires)}  last refresh {_local(s.last_refresh)}"
            if s.error and s.kind == "oauth2":
                line += f"  error: {s.error}"
            print(line)
            if s.warning:
                print(f"  WARNING: {s.warning}")
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


def _certificate(settings: Settings, args: argparse.Namespace) -> int:
    """``account certificate create NAME``: a new key pair; prints what to upload in Entra ID."""
    from app.accounts import certificates

    if args.name != "create" or not args.target:
        print("usage: python -m app account certificate create NAME", file=sys.stderr)
        return 2
    account = settings.account(args.target)
    if account is None:
        print(f"no account named {args.target} in accounts of {args.config}", file=sys.stderr)
        return 1
    if account.oauth2 is None or account.oauth2.flow != Flow.CLIENT_CREDENTIALS:
        print(f"{account.name}: a certificate is for OAuth 2.0 with the client_credentials flow", file=sys.stderr)
        return 1
    try:
        made = certificates.create(account.name)
    except certificates.CertificateError as exc:
        print(f"{account.name}: {exc}", file=sys.stderr)
        return 1
    print(f"{account.name}: a new certificate, valid until {made.not_after:%Y-%m-%d}")
    print("upload this file in Entra ID (App registrations > the app > Certificates & secrets > Certificates):")
    print(f"  {made.cert}")
    print(f"its SHA-1 thumbprint (Entra ID shows it after the upload): {made.thumbprint}")
    print(f"the private key stays in {made.key} (encrypted; its passphrase is in the keyring)")
    if account.oauth2.credential != Credential.CERTIFICATE:
        print(f'set "credential": "certificate" in the oauth2 of account {account.name} to use it')
    return 0


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
