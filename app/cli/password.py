"""``password set|delete KEY``, ``password use-file``: the OS keyring (or the file keyring chosen
instead), without a settings file."""

from __future__ import annotations

import argparse
import getpass
import sys

from app.cli.command import Command
from app.settings import keys
from app.system import passwords, paths


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["set", "delete", "use-file"])
    parser.add_argument("key", metavar="KEY", nargs="?", help=f"{keys.WHAT_KEYS_ARE} (not for use-file)")


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
    try:
        if args.action == "delete":
            passwords.delete(key)
            print(f"password for {key} removed")
            return 0
        if sys.stdin.isatty():
            password = getpass.getpass(f"password for {key}: ")
        else:
            password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            print("no password given on standard input; nothing stored", file=sys.stderr)
            return 1
        passwords.set(key, password)
    except passwords.PasswordStoreError as exc:
        print(f"cannot store the password: {exc}", file=sys.stderr)
        return 1
    print(f"password for {key} stored in {passwords.backend_name()}")
    return 0


COMMAND = Command("password", "store a password in the OS keyring", arguments, run, takes_config=False)
