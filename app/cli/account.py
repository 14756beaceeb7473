"""``account login|status|logout``: OAuth 2.0 accounts signed in and out, every account's state;
``account certificate create NAME``: the key pair and certificate of a client-credentials account."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
from datetime import datetime
from pathlib import Path

from app.cli import running
from app.cli.command import Command, load
from app.control.client import Client, ControlError
from app.settings import Credential, Flow, Settings
from app.suggest import command
from app.system import passwords


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["login", "status", "logout", "certificate", "test"])
    parser.add_argument("name", metavar="NAME", nargs="?", help="the account's name (status: all when left out)")
    parser.add_argument("target", metavar="ACCOUNT", nargs="?", help="certificate create ACCOUNT: the account's name")
    parser.add_argument("--no-browser", action="store_true", help="only print the address to open")
    parser.add_argument("--device", action="store_true", help="sign in with a code on another device")
    parser.add_argument("--json", action="store_true", help="status as JSON")
    parser.add_argument("--rule", default=None, metavar="N", help="test: log in at rule N's server")


def _local(when: str | None) -> str:
    """An ISO 8601 time of ``AccountStatus.as_json``, in local time."""
    return datetime.fromisoformat(when).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z") if when else "-"


def run(args: argparse.Namespace) -> int:
    from app.accounts import service

    if args.action in ("status", "login", "logout"):
        target = running.target(Path(args.config))
        client = running.gateway(target.queue_dir)
        if client is not None:
            with client:
                return _through_gateway(client, target, args)
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
            found = [service.account_status(settings, n).as_json() for n in names]
        except service.AccountError as exc:
            print(exc, file=sys.stderr)
            return 1
        return _print_status(found, args.json)
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


def _print_status(found: list[dict], as_json: bool) -> int:
    """``account status``: the accounts' states as ``AccountStatus.as_json`` gives them."""
    if as_json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
        return 0
    if not found:
        print("no accounts in the settings file (accounts)")
    for s in found:
        state = "signed in" if s["signed_in"] else ("password stored" if s["kind"] == "password" else "not signed in")
        if s["kind"] == "password" and not s["signed_in"]:
            state = "no password stored"
        if s["flow"] == Flow.CLIENT_CREDENTIALS:  # nobody signs in: a token is asked when one is needed
            held = "token held" if s["signed_in"] else "a token is asked at the next delivery"
            state = f"client credentials, {held}"
        line = f"{s['name']}  {s['kind']}  {state}"
        if s["kind"] == "oauth2" and (s["expires"] or s["last_refresh"]):
            line += f"  expires {_local(s['expires'])}  last refresh {_local(s['last_refresh'])}"
        if s["error"] and s["kind"] == "oauth2":
            line += f"  error: {s['error']}"
        print(line)
        if s["expiry_warning"]:
            print(f"  WARNING: {s['expiry_warning']}")
    return 0


def _through_gateway(client: Client, target: running.Target, args: argparse.Namespace) -> int:
    """The running gateway keeps the accounts' tokens: status and sign-out are asked of it; a sign-in
    runs its browser (or device) part here and hands the tokens over."""
    from app import settings as settings_mod
    from app.accounts import service

    if target.problems:
        running.print_problems(target, running=True)
    if args.action == "status":
        return _print_status(client.call("account.status", name=args.name or ""), args.json)
    if not args.name:
        print(f"account {args.action} needs the account's NAME", file=sys.stderr)
        return 2
    running_with = client.call("settings.get")  # the account as the gateway knows it
    config = running_with["config"]
    settings = settings_mod.from_dict(running_with["settings"], source=Path(config))
    account = settings.account(args.name)
    if account is None:
        print(f"no account named {args.name} in accounts of {config} (the running gateway's)", file=sys.stderr)
        return 1
    if args.action == "logout":
        had = client.call("account.logout", name=account.name)["signed_out"]
        print(f"{account.name}: signed out" if had else f"{account.name}: was not signed in")
        return 0
    try:
        return _account_login(settings, account, args, client)
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


def _account_login(settings: Settings, account, args: argparse.Namespace, gateway: Client | None = None) -> int:
    """Signs in here; with a running ``gateway``, the tokens (and a client secret) go to it."""
    from app.accounts import service

    if account.oauth2 is None:
        print(
            f"{account.name} is a password account: run {command(settings, 'password set ' + account.key)}",
            file=sys.stderr,
        )
        return 1
    secret = None
    if account.oauth2.flow == Flow.CLIENT_CREDENTIALS and not args.device and gateway is not None:
        return _app_secret_to_gateway(account, gateway)
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
        keep=None if gateway is None else lambda reply: _tokens_to_gateway(gateway, account.name, reply),
    )
    if gateway is not None:
        print(f"{account.name}: the running gateway keeps the tokens")
    until = _local(status.as_json()["expires"])
    print(
        f"{account.name}: signed in as {account.username}; access token valid until {until} "
        f"({time.monotonic() - started:.1f} s)"
    )
    return 0


def _tokens_to_gateway(gateway: Client, name: str, reply: dict):
    from app.accounts import service

    try:
        kept = gateway.call("account.tokens", name=name, tokens=reply)
    except ControlError as exc:
        raise service.AccountError(f"signed in, but the running gateway did not keep the tokens: {exc}") from exc
    return service.status_from_json(kept)


def _app_secret_to_gateway(account, gateway: Client) -> int:
    """Client credentials: nobody signs in; the gateway needs the client secret in its own keyring
    (or the certificate, which ``account certificate create`` made where it runs)."""
    if account.oauth2.credential != Credential.SECRET:
        print(f"{account.name}: client credentials with a certificate: nothing to sign in; the gateway asks a token")
        return 0
    if gateway.call("password.is_set", key=account.key)["set"]:
        print(f"{account.name}: the running gateway has the client secret; it asks a token at the next delivery")
        return 0
    prompt = f"client secret of {account.name}: "
    secret = getpass.getpass(prompt) if sys.stdin.isatty() else sys.stdin.readline().rstrip("\r\n")
    if not secret:
        print(f"{account.name}: no client secret given on standard input", file=sys.stderr)
        return 1
    gateway.call("password.set", key=account.key, secret=secret)
    print(f"{account.name}: the client secret is stored by the running gateway; it asks a token at the next delivery")
    return 0


COMMAND = Command("account", "sign OAuth 2.0 accounts in and out, show every account's state", arguments, run)
