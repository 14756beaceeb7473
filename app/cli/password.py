"""``password set|delete KEY``, ``password use-file``: the secrets of the accounts.

When a gateway runs on the settings' queue, ``set`` and ``delete`` go to it through its control
channel and it keeps the secret in its own keyring: a Windows service running as another account
could not read this user's.  With none running, this user's OS keyring (or the file keyring chosen
instead) is used, as the gateway started by this user reads it."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from app.cli import running
from app.cli.command import Command
from app.settings import keys
from app.system import passwords, paths


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["set", "delete", "use-file"])
    parser.add_argument("key", metavar="KEY", nargs="?", help=f"{keys.WHAT_KEYS_ARE} (not for use-file)")


def _read_secret(key: str) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(f"password for {key}: ")
    return sys.stdin.readline().rstrip("\r\n")


def run(args: argparse.Namespace) -> int:
    if args.action == "use-file":
        problem = passwords.keyring_problem()
        if not problem:
            print(f"passwords are already kept by {passwords.backend_name()}; nothing changed")
            return 0
        path = passwords.choose_file_keyring(paths.data_dir())
        print(f"passwords are now kept in {path}: anyone who can read this account's files can read them")
        return 0
    if not args.key:
        print(f"password {args.action} needs a KEY: {keys.WHAT_KEYS_ARE}", file=sys.stderr)
        return 2
    try:
        key = passwords.normalize_key(args.key)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    client = running.gateway(running.target(Path(args.config)).queue_dir)
    if client is not None:
        with client:
            return _through_gateway(client, args.action, key)
    try:
        if args.action == "delete":
            passwords.delete(key)
            print(f"password for {key} removed")
            return 0
        password = _read_secret(key)
        if not password:
            print("no password given on standard input; nothing stored", file=sys.stderr)
            return 1
        passwords.set(key, password)
    except passwords.PasswordStoreError as exc:
        print(f"cannot store the password: {exc}", file=sys.stderr)
        return 1
    print(f"password for {key} stored in {passwords.backend_name()}")
    return 0


def _through_gateway(client, action: str, key: str) -> int:
    engine = client.call("engine")
    who = f"the running gateway ({engine['mode']}, pid {engine['pid']})"
    if action == "delete":
        client.call("password.delete", key=key)
        print(f"password for {key} removed from the keyring of {who}")
        return 0
    password = _read_secret(key)
    if not password:
        print("no password given on standard input; nothing stored", file=sys.stderr)
        return 1
    stored = client.call("password.set", key=key, secret=password)
    print(f"password for {key} stored by {who} in its keyring ({stored['keyring']})")
    return 0


COMMAND = Command("password", "store a password in the keyring (of the running gateway)", arguments, run)
