"""``history``: where a message went, days later: the message history searched by period, sender,
recipient, subject, Message-ID and state, read from the history file (docs/history.md)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.cli.command import Command, load
from app.history import query
from app.history.records import State


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: write a whole number of 1 or more")
    return value


def _when(text: str) -> float:
    try:
        return query.parse_when(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", type=_when, metavar="WHEN", help="received at or after: 2026-12-08, 2h, 3d")
    parser.add_argument("--until", type=_when, metavar="WHEN", help="received at or before (the same forms)")
    parser.add_argument("--from", dest="sender", default="", metavar="ADDR", help="a part of the sender's address")
    parser.add_argument("--to", dest="recipient", default="", metavar="ADDR", help="a part of a recipient's address")
    parser.add_argument("--subject", default="", metavar="TEXT", help="a part of the subject")
    parser.add_argument("--message-id", default="", metavar="ID", help="the Message-ID (with or without <>)")
    parser.add_argument("--state", choices=[s.value for s in State if s != State.QUEUED], help="a recipient's state")
    parser.add_argument("--limit", type=_positive, default=query.DEFAULT_LIMIT, metavar="N", help="at most N (50)")
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


def run(args: argparse.Namespace) -> int:
    """The history's messages that match, newest first (JSON: the objects of INTERFACES.md)."""
    settings = load(Path(args.config))
    if settings is None:
        return 1
    filters = query.Filters(
        since=args.since,
        until=args.until,
        sender=args.sender,
        recipient=args.recipient,
        subject=args.subject,
        message_id=args.message_id,
        state=State(args.state) if args.state else None,
    )
    path = settings.history_path
    try:
        found = query.search(path, filters, args.limit)
    except Exception as exc:  # sqlite3.Error, OSError: a file that cannot be read, in plain words
        print(f"cannot read the history file {path}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
        return 0
    if not found:
        if not path.exists():
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


COMMAND = Command("history", "where each message went: search the message history", arguments, run)
