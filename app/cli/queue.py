"""``queue list|retry|delete|bounce|pause|resume``: the queue read from the spool directly; what
must act on it goes to the running gateway as a request, or, with none running, is done here."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from app.cli.command import Command, load
from app.mail.replies import explain
from app.settings import Settings
from app.status import queue_json
from app.store.spool import WAITING, QueueLocked, Spool
from app.suggest import command


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["list", "retry", "delete", "bounce", "pause", "resume"])
    parser.add_argument("ids", nargs="*", metavar="ID", help="queue ids (retry without ids: everything)")
    parser.add_argument("--json", action="store_true", help="list as JSON")


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else "-"


def run(args: argparse.Namespace) -> int:
    settings = load(Path(args.config))
    if settings is None:
        return 1
    spool = Spool(settings.queue_dir)
    if args.action == "list":
        return _queue_list(settings, spool, args.json)
    if args.action in ("pause", "resume"):
        spool.set_paused(args.action == "pause")
        print(f"delivery {'paused (mail is still accepted)' if args.action == 'pause' else 'resumed'}")
        return 0
    ids = args.ids or []
    if args.action == "retry" and not ids:
        ids = ["ALL"]
    if not ids:
        print(f"queue {args.action} needs at least one queue id", file=sys.stderr)
        return 2
    missing = [q for q in ids if q != "ALL" and not spool.exists(q)]
    if missing:
        print("not in the queue: " + " ".join(missing), file=sys.stderr)
        return 1
    try:
        lock = spool.lock()
    except QueueLocked:
        for qid in ids:
            spool.request(args.action, qid)
        print(f"{args.action} requested for {' '.join(ids)}; the running gateway acts within a second")
        if args.action in ("bounce", "retry") and spool.paused:
            print(
                f"note: delivery is paused: the {args.action} is carried out when delivery resumes "
                f"({command(settings, 'queue resume')})"
            )
        return 0
    try:
        return _queue_offline(settings, spool, args.action, ids)
    finally:
        lock.release()


def _queue_offline(settings: Settings, spool: Spool, action: str, ids: list[str]) -> int:
    """No gateway runs on this queue: act on the spool directly."""
    from app.gateway import Gateway

    if action == "delete":
        for qid in ids:
            spool.remove(qid)
        print(f"deleted {' '.join(ids)}")
    elif action == "bounce":
        gateway = Gateway(settings)
        for qid in ids:
            result = gateway.bounce_offline(qid)
            print(
                f"{qid}: returned to the sender"
                + (f" (bounce {', '.join(result.created)})" if result.created else " (sender is <>: no bounce)")
            )
        if spool.paused:
            print(
                "note: delivery is paused: the bounce messages wait in the queue until delivery resumes "
                f"({command(settings, 'queue resume')})"
            )
    else:
        print("no gateway is running on this queue; everything in it is tried as soon as Tenso starts")
    return 0


def _queue_list(settings: Settings, spool: Spool, as_json: bool) -> int:
    rows = spool.messages()
    if as_json:
        print(json.dumps(queue_json(rows), ensure_ascii=False, indent=2))
        return 0
    if spool.paused:
        print(f"delivery is PAUSED ({command(settings, 'queue resume')})")
    if not rows:
        print("the queue is empty")
        return 0
    for m in rows:
        print(f"{m.id}  {_when(m.envelope.received_at)}  {m.size} bytes  from <{m.sender}>")
        for r in m.recipients:
            nxt = f"  next {_when(r.next_try)}" if r.state in WAITING and r.next_try else ""
            print(f"    <{r.address}>  {r.state}  attempts {r.attempts}{nxt}")
            if r.reply:
                print(f"        {r.reply}")
                advice = explain(r.reply) if r.state in WAITING else None
                if advice is not None:
                    print("        what to do: " + " ".join(line.strip() for line in advice.fix.splitlines()))
    print(f"{len(rows)} message(s)")
    return 0


COMMAND = Command("queue", "list the queue, retry, delete or bounce messages, pause delivery", arguments, run)
