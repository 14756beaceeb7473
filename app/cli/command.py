"""What every command shares: its registration (``Command``), the one ``--config`` option, and the
settings file loaded with its problems printed."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from app import settings as settings_mod
from app.settings import Settings, SettingsError
from app.system import paths


@dataclass(frozen=True)
class Command:
    """One command of ``python -m app``: its name and help line, its own arguments, what it does
    (an exit code), and how it takes the settings file."""

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    takes_config: bool = True  # has --config (the settings file) among its options
    # A --config FILE that is not there stops the command with exit 2 before it runs: it would only
    # read the file, so a missing one is a typo, and going on with the defaults would hide it.  Only
    # the per-user default may be missing (a first start).  False: the command makes the file, or
    # says itself that it is missing.  A function: it depends on the arguments (certificate show).
    config_must_exist: bool | Callable[[argparse.Namespace], bool] = True

    def must_exist(self, args: argparse.Namespace) -> bool:
        must = self.config_must_exist
        if not self.takes_config:
            return False  # a --config before the command is not this command's
        return must(args) if callable(must) else must


def config_option() -> argparse.ArgumentParser:
    """The ``--config`` option, declared once: a parent of every parser that takes it."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--config", default=None, help=f"settings file (default: {paths.default_config_path()})")
    return parent


def no_arguments(parser: argparse.ArgumentParser) -> None:
    """For a command that has only the shared options."""


def load(path: Path) -> Settings | None:
    """The settings of ``path`` (the defaults when it is missing), or None after its problems."""
    try:
        return settings_mod.load(path)
    except SettingsError as exc:
        print_problems(path, exc.problems)
        return None


def print_problems(path: Path, problems: Sequence[str]) -> None:
    print(f"{path}: the settings have problems:", file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
