"""The command line (docs/command-line.md): one module per command, each registered as a
``Command`` (``command.py``) that says whether its ``--config`` file must exist.

``python -m app`` alone starts the desktop program or, with ``--headless``, the gateway alone
(``run.py``); the commands ask the gateway running on the settings' queue through its control
channel (``running.py``), or, with none running, read the settings, the queue and the keyring directly.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from app.cli import (
    account,
    certificate,
    check,
    explain,
    history,
    import_forward,
    password,
    queue,
    reload,
    route,
    run,
    service,
    status,
)
from app.cli.command import Command, config_option
from app.control.client import ControlError
from app.system import paths

# In the order ``--help`` lists them.
COMMANDS: tuple[Command, ...] = (
    route.COMMAND,
    check.COMMAND,
    password.COMMAND,
    queue.COMMAND,
    reload.COMMAND,
    status.COMMAND,
    service.COMMAND,
    history.COMMAND,
    account.COMMAND,
    certificate.COMMAND,
    import_forward.COMMAND,
    explain.COMMAND,
)


def build_parser() -> argparse.ArgumentParser:
    config = config_option()
    entry = argparse.ArgumentParser(add_help=False)
    run.ENTRY.arguments(entry)
    parser = argparse.ArgumentParser(
        prog="python -m app", description="Tenso: an SMTP forwarding gateway.", parents=[entry, config]
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        own = sub.add_parser(command.name, help=command.help, parents=[config] if command.takes_config else [])
        command.arguments(own)
        own.set_defaults(registered=command)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command: Command = getattr(args, "registered", run.ENTRY)
    named = args.config is not None
    default = paths.default_config_path()
    args.config = args.config or str(default)
    if named and command.must_exist(args) and not Path(args.config).exists():
        # Only the per-user default may be missing (a first start); a named file that is not
        # there is a typo, and starting with defaults on port 25 would hide it.
        print(
            f"{args.config}: no such settings file; check the --config path (without --config, Tenso uses {default})",
            file=sys.stderr,
        )
        return 2
    try:
        code = command.run(args)
        sys.stdout.flush()
    except ControlError as exc:  # the running gateway refused, or its channel broke mid-way
        print(f"the running gateway: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (``status | head -1``): what is left unsaid goes nowhere, quietly
        # (the recipe of the Python docs, "Note on SIGPIPE"), instead of a traceback.
        _stdout_to_devnull()
        return 1
    return code


def _stdout_to_devnull() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout is no file (a test's StringIO)
        pass
