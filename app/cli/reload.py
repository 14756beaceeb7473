"""``reload``: the gateway running on the settings' queue reads its settings file again, and says
whether it took it (through its control channel).  A gateway without the channel (an older Tenso)
gets a request file in the queue folder instead, which cannot answer."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.cli import running
from app.cli.command import Command, no_arguments
from app.store.spool import QueueLocked, Spool


def run(args: argparse.Namespace) -> int:
    """Asks the gateway running on this settings file's queue to read its settings file again."""
    target = running.target(Path(args.config))
    client = running.gateway(target.queue_dir)
    if client is not None:
        with client:
            engine = client.call("engine")
            note = running.other_file(target, engine)
            if note:
                print(note, file=sys.stderr)
            answer = client.call("reload")
        if answer["reloaded"]:
            print(f"reloaded: {answer['message']}")
            return 0
        print(f"not reloaded: {answer['message']}", file=sys.stderr)
        return 1
    if target.settings is None:
        running.print_problems(target, running=False)
        print("nothing was reloaded: fix these first", file=sys.stderr)
        return 1
    spool = Spool(target.queue_dir)
    try:
        lock = spool.lock()
    except QueueLocked:
        spool.request("reload", "ALL")
        print(
            f"reload requested: the gateway running on {spool.root} does not answer on a control channel (an older "
            "Tenso, or its log says why it has none); it reads its settings file again within 5 seconds, and only "
            "its log says how that went"
        )
        return 0
    lock.release()
    print(f"no gateway is running on {spool.root}; the settings are read when Tenso starts", file=sys.stderr)
    return 1


COMMAND = Command("reload", "make the running gateway read its settings file again", no_arguments, run)
