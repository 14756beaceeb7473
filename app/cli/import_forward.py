"""``import-forward USER FORWARD_TXT``: a local user's forward.txt from the original, into the settings."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app import settings as settings_mod
from app.cli.command import Command, load
from app.mail import addresses, forwarding


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("user", metavar="USER", help="the local user's address")
    parser.add_argument("file", metavar="FORWARD_TXT")


def run(args: argparse.Namespace) -> int:
    config = Path(args.config)
    settings = load(config)
    if settings is None:
        return 1
    user = next(
        (u for u in settings.local_users if addresses.normalize(u.address) == addresses.normalize(args.user)), None
    )
    if user is None:
        print(f"{args.user} is not a local user; add it to local_users first", file=sys.stderr)
        return 1
    try:
        good, problems = forwarding.parse_file(forwarding.read_file(Path(args.file)))
    except (OSError, UnicodeError) as exc:
        print(f"cannot read {args.file}: {exc}", file=sys.stderr)
        return 1
    if problems:
        print(f"{args.file}: nothing imported, fix these lines first:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    user.forward = good
    settings_mod.save(settings, config)
    print(f"imported {len(good)} forwarding line(s) for {user.address} into {config}")
    return 0


COMMAND = Command(
    "import-forward",
    "import a local user's forward.txt from the original",
    arguments,
    run,
    config_must_exist=False,  # it writes the file: a missing one starts from the defaults
)
