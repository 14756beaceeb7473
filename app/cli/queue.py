"""``queue list|retry|delete|bounce|pause|resume``: through the control channel of the gateway
running on the settings' queue, which answers what it did; with none running, on the spool
directly (and to a gateway without the channel, an older Tenso, as request files)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

from app.cli import running
from app.cli.command import Command
from app.control.client import Client, ControlError
from app.mail.replies import explain
from app.settings import Settings
from app.status import queue_json
from app.store.spool import WAITING, QueueLocked, Spool
from app.suggest import command


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["list", "retry", "delete", "bounce", "pause", "resume"])
    parser.add_argument("ids", nargs="*", metavar="ID", help="queue ids (retry without ids: everything)")
    parser.add_argument("--json", action="store_true", help="list as JSON")


def _when(iso: str | None) -> str:
    """An ISO 8601 time of ``queue_json`` as the list shows it, in local time."""
    return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S") if iso else "-"


def run(args: argparse.Namespace) -> int:
    target = running.target(Path(args.config))
    client = running.gateway(target.queue_dir, reading=args.action == "list")
    if client is not None:
        with client:
            return _through_gateway(client, target, args)
    settings = target.settings
    if settings is None:
        running.print_problems(target, running=False)
        return 1
    spool = Spool(settings.queue_dir)
    if args.action == "list":
        return _queue_list(settings, spool, args.json)
    if args.action in ("pause", "resume"):
        spool.set_paused(args.action == "pause")
        print(f"delivery {'paused (mail is still accepted)' if args.action == 'pause' else 'resumed'}")
        return 0
    ids = _ids(args)
    if ids is None:
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
        print(f"{args.action} requested for {' '.join(ids)}; the running gateway acts within 5 seconds")
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


def _ids(args: argparse.Namespace) -> list[str] | None:
    ids = args.ids or []
    if args.action == "retry" and not ids:
        ids = ["ALL"]
    if not ids:
        print(f"queue {args.action} needs at least one queue id", file=sys.stderr)
        return None
    return ids


def _through_gateway(client: Client, target: running.Target, args: argparse.Namespace) -> int:
    """The running gateway does it and says what it did."""
    engine = client.call("engine")
    where = Path(engine["config"])
    if target.problems:
        running.print_problems(target, running=True)
    if args.action == "list":
        rows = client.call("queue.list")
        if args.json:
            print(json.dumps(rows, ensure_ascii=False, indent=2))
            return 0
        paused = client.call("status")["state"] == "paused"
        return _print_list(rows, paused, where)
    if args.action in ("pause", "resume"):
        client.call(f"queue.{args.action}")
        print(f"delivery {'paused (mail is still accepted)' if args.action == 'pause' else 'resumed'}")
        return 0
    ids = _ids(args)
    if ids is None:
        return 2
    failed = 0
    paused = False
    for qid in ids:
        try:
            done = client.call(f"queue.{args.action}", id=qid)
        except ControlError as exc:
            print(f"{qid}: {exc}", file=sys.stderr)
            failed += 1
            continue
        paused = done["paused"]
        what = {"retry": "retried now", "delete": "deleted (no bounce)", "bounce": "returned to the sender"}
        count = f" ({done['count']} message(s))" if qid == "ALL" else ""
        print(f"{qid}: {what[args.action]}{count}")
    if paused and args.action in ("bounce", "retry"):
        print(
            f"note: delivery is paused: the {args.action} is carried out when delivery resumes "
            f"({command(where, 'queue resume')})"
        )
    return 1 if failed else 0


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
    return _print_list(queue_json(rows), spool.paused, settings)


def _print_list(rows: list[dict], paused: bool, where: Settings | Path) -> int:
    if paused:
        print(f"delivery is PAUSED ({command(where, 'queue resume')})")
    if not rows:
        print("the queue is empty")
        return 0
    for m in rows:
        print(f"{m['id']}  {_when(m['received'])}  {m['size']} bytes  from <{m['sender']}>")
        for r in m["recipients"]:
            waiting = r["state"] in WAITING
            nxt = f"  next {_when(r['next_try'])}" if waiting and r["next_try"] else ""
            print(f"    <{r['address']}>  {r['state']}  attempts {r['attempts']}{nxt}")
            if r["reply"]:
                print(f"        {r['reply']}")
                advice = explain(r["reply"]) if waiting else None
                if advice is not None:
                    print("        what to do: " + " ".join(line.strip() for line in advice.fix.splitlines()))
    print(f"{len(rows)} message(s)")
    return 0


COMMAND = Command("queue", "list the queue, retry, delete or bounce messages, pause delivery", arguments, run)
