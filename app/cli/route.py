"""``route``: where each recipient would go, read from the rules directly (no gateway needed)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.cli.command import Command, load
from app.mail import addresses
from app.route.router import FORWARD, GRAPH, Router


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="sender", default="", help="envelope sender (picks the auth account)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("recipients", nargs="+", metavar="RECIPIENT")


def run(args: argparse.Namespace) -> int:
    settings = load(Path(args.config))
    if settings is None:
        return 1
    not_addresses = [r for r in args.recipients if not addresses.is_address(r)]
    if args.sender and not addresses.is_address(args.sender):
        not_addresses.append(f"--from {args.sender}")
    if not_addresses:
        for text in not_addresses:
            print(f"{text}: not an address (write it as user@example.jp)", file=sys.stderr)
        return 1
    router = Router(settings)
    decisions = [router.route(r, args.sender or "") for r in args.recipients]
    if args.json:
        print(json.dumps([d.as_json() for d in decisions], ensure_ascii=False, indent=2))
        return 0
    for d in decisions:
        rule = f"rule {d.rule}" if d.rule else "no rule"
        if d.kind == FORWARD:
            where = f"{d.host}:{d.port} (TLS {d.tls})"
        elif d.kind == GRAPH:
            where = f"GRAPH (Microsoft Graph sendMail as {d.auth.username if d.auth else '?'})"
        else:
            where = f"MTA ({d.kind})"
        auth = d.auth.describe() if d.auth and d.kind in (FORWARD, GRAPH) else "none"
        note = f"  [{d.note}]" if d.note else ""
        sent_as = f", sent as <{d.send_from}>" if d.send_from else ""  # rules[].rewrite_from
        print(f"{d.recipient}: {rule} -> {where}, RCPT TO:<{d.rcpt}>, auth {auth}{sent_as}{note}")
    return 0


COMMAND = Command("route", "show where each recipient would go", arguments, run)
