"""``history``: where a message went, days later: the message history searched by period, sender,
recipient, subject, Message-ID and state (docs/history.md).  Asked of the gateway running on the
settings' queue through its control channel (its own history file, whatever file is given here);
read from the history file when none runs, or when its channel does not let this user in."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.cli import running
from app.cli.command import Command
from app.control.client import Client
from app.history import query
from app.history.records import State

STATES = [s.value for s in State if s != State.QUEUED]


def arguments(parser: argparse.ArgumentParser) -> None:
    # The values are read in run(), not by argparse: the manual's templates (--since WHEN) parse.
    parser.add_argument("--since", metavar="WHEN", help="received at or after: 2026-12-08, 2h, 3d")
    parser.add_argument("--until", metavar="WHEN", help="received at or before (the same forms)")
    parser.add_argument("--from", dest="sender", default="", metavar="ADDR", help="a part of the sender's address")
    parser.add_argument("--to", dest="recipient", default="", metavar="ADDR", help="a part of a recipient's address")
    parser.add_argument("--subject", default="", metavar="TEXT", help="a part of the subject")
    parser.add_argument("--message-id", default="", metavar="ID", help="the Message-ID (with or without <>)")
    parser.add_argument("--state", metavar="STATE", help=f"a recipient's state: {', '.join(STATES)}")
    parser.add_argument("--limit", default=str(query.DEFAULT_LIMIT), metavar="N", help="at most N (50)")
    parser.add_argument("--json", action="store_true", help="print JSON")


def _shown(iso: str | None) -> str:
    """``2026-12-08T09:30:12+0900`` as the administrator reads it: ``2026-12-08 09:30:12``."""
    return (iso or "")[:19].replace("T", " ")


def _print(found: dict) -> None:
    who = found["client"] + (f", {found['login']}" if found["login"] else "")
    sender = f"<{found['from']}>"
    if found["id"] is None:
        rcpts = found["recipients"]
        reply = rcpts[0]["reply"] if rcpts else ""
        to = ", ".join(f"<{r['address']}>" for r in rcpts)
        print(f"{_shown(found['received'])}  REFUSED  from {sender} ({who}) to {to}: {reply}")
        return
    subject = f'  "{found["subject"]}"' if found["subject"] else ""
    print(f"{_shown(found['received'])}  {found['id']}  from {sender} ({who}){subject}")
    details = [d for d in (found["header_from"] and f"From: {found['header_from']}", found["message_id"]) if d]
    if details:
        print("    " + "  ".join(details))
    for r in found["recipients"]:
        line = f"    <{r['address']}> {r['state']}"
        if r["attempts"] > 1:
            line += f" after {r['attempts']} attempts"
        where = [w for w in (r["rule"] and f"rule {r['rule']}", r["destination"], r["account"]) if w]
        if where:
            line += f" ({', '.join(str(w) for w in where)})"
        if r["reply"]:
            line += f": {r['reply']}"
        if r["upstream_id"] and r["upstream_id"] not in (r["reply"] or ""):
            line += f" [their id: {r['upstream_id']}]"
        print(line)


def _filters(args: argparse.Namespace) -> query.Filters:
    """The options as a search; ValueError saying which one is wrong and what it takes."""
    if args.state and args.state not in STATES:
        raise ValueError(f"argument --state: {args.state!r}: choose one of {', '.join(STATES)}")
    try:
        since = query.parse_when(args.since) if args.since else None
        until = query.parse_when(args.until) if args.until else None
    except ValueError as exc:
        raise ValueError(f"argument --since/--until: {exc}") from None
    return query.Filters(
        since=since,
        until=until,
        sender=args.sender,
        recipient=args.recipient,
        subject=args.subject,
        message_id=args.message_id,
        state=State(args.state) if args.state else None,
    )


def run(args: argparse.Namespace) -> int:
    """The history's messages that match, newest first (JSON: the objects of INTERFACES.md)."""
    try:
        filters = _filters(args)
        limit = int(args.limit)
        if limit < 1:
            raise ValueError
    except ValueError as exc:
        why = str(exc) or f"argument --limit: {args.limit!r}: write a whole number of 1 or more"
        print(f"python -m app history: error: {why}", file=sys.stderr)
        return 2
    args.limit = limit
    target = running.target(Path(args.config))
    client = running.gateway(target.queue_dir, reading=True)
    if client is not None:
        with client:
            found = _through_gateway(client, target, args)
        path = None
    else:
        if target.settings is None:
            running.print_problems(target, running=False)
            return 1
        path = target.settings.history_path
        try:
            found = query.search(path, filters, args.limit)
        except Exception as exc:  # sqlite3.Error, OSError: a file that cannot be read, in plain words
            print(f"cannot read the history file {path}: {exc}", file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
        return 0
    if not found:
        if path is not None and not path.exists():
            print(f"no history yet: {path} does not exist")
            print("(Tenso writes it once mail arrives, unless history.enabled is false)")
        else:
            print("no message in the history matches")
        return 0
    for item in found:
        _print(item)
    if len(found) == args.limit:
        print(f"(the newest {args.limit}; --limit N shows more, --since and --until choose the period)")
    return 0


def _through_gateway(client: Client, target: running.Target, args: argparse.Namespace) -> list[dict]:
    """The running gateway searches its own history file (the one it writes).  A note on stderr
    names it, so that a reader knows which gateway's history this is."""
    engine = client.call("engine")
    if target.problems:
        running.print_problems(target, running=True)
    note = running.other_file(target, engine)
    if note:
        print(note, file=sys.stderr)
    print(
        f"(the history of the gateway running on {engine['queue']}: {engine['mode']}, pid {engine['pid']})",
        file=sys.stderr,
    )
    asked = {
        "since": args.since,
        "until": args.until,
        "from": args.sender,
        "to": args.recipient,
        "subject": args.subject,
        "message_id": args.message_id,
        "state": args.state,
        "limit": args.limit,
    }
    return client.call("history", **{k: v for k, v in asked.items() if v not in (None, "")})


COMMAND = Command("history", "where each message went: search the message history", arguments, run)
