"""``check``: every problem of a settings file and every warning, in one run; works offline.

Exit 0 when the file is valid (warnings or not), 1 when it has problems or is missing.  The
problems go first, one line each naming its field; then the warnings that can still be given
(``app/offline.py``: for a file with problems, from the parts that have none).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app import offline
from app.cli.command import Command, load, no_arguments


def run(args: argparse.Namespace) -> int:
    path = Path(args.config)
    if not path.exists():
        print(f"{path}: no such file", file=sys.stderr)
        return 1
    settings = load(path)
    if settings is None:
        _print_warnings(offline.broken_file_warnings(path))
        return 1
    _print_warnings(
        offline.warnings_for(settings) + offline.password_warnings(settings) + offline.sign_in_warnings(settings)
    )
    print(f"{path}: OK ({len(settings.rules)} rules, {len(settings.local_users)} local users)")
    return 0


def _print_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)


COMMAND = Command(
    "check",
    "validate a settings file",
    no_arguments,
    run,
    config_must_exist=False,  # a missing file is check's own answer (exit 1), as scripts expect
)
