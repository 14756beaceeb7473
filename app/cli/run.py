"""``python -m app`` without a command: the desktop program (window and tray), or with
``--headless`` (or where there is no screen or no Qt) the gateway alone, ``app/headless.py``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from app import __version__
from app.cli.command import Command, load


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version", action="version", version=f"Tenso {__version__}")
    parser.add_argument("--headless", action="store_true", help="run the gateway without a window")


def run(args: argparse.Namespace) -> int:
    config = Path(args.config)
    if args.headless:
        return run_headless(config)
    return run_desktop(config)


def run_headless(config: Path) -> int:
    from app.headless import run_headless as serve  # the engine only when it runs

    settings = load(config)
    if settings is None:
        return 1
    return serve(config, settings)


def run_desktop(config: Path) -> int:
    no_screen = (
        sys.platform.startswith("linux")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
        and not os.environ.get("QT_QPA_PLATFORM")
    )
    if no_screen:
        print("No screen here (DISPLAY is not set); running headless. Use --headless to say so.", file=sys.stderr)
        return run_headless(config)
    try:
        from app.gui import main as gui_main  # Qt only when asked for
    except ImportError:
        print("The window is not available here (PySide6 or app.gui missing); running headless.", file=sys.stderr)
        return run_headless(config)
    return gui_main.run(config)


ENTRY = Command("", "the desktop program, or the gateway alone with --headless", arguments, run)
