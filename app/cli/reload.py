"""``reload``: asks the gateway running on the settings' queue to read its settings file again."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.cli.command import Command, load, no_arguments
from app.store.spool import QueueLocked, Spool


def run(args: argparse.Namespace) -> int:
    """Asks the gateway running on this settings file's queue to read its settings file again."""
    settings = load(Path(args.config))
    if settings is None:
        print("nothing was reloaded: fix these first", file=sys.stderr)
        return 1
    spool = Spool(settings.queue_dir)
    try:
        lock = spool.lock()
    except QueueLocked:
        spool.request("reload", "ALL")
        print(
            f"reload requested: a headless gateway running on {spool.root} reads its settings file again within "
            "a second (the log says how it went); a gateway in the window takes new settings with Apply instead"
        )
        return 0
    lock.release()
    print(f"no gateway is running on {spool.root}; the settings are read when Tenso starts", file=sys.stderr)
    return 1


COMMAND = Command("reload", "make the running gateway read its settings file again", no_arguments, run)
