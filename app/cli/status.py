"""``status``: what the gateway on the settings' queue is doing (the Status tab, in text or JSON).

Asked of the running gateway through its control channel when one serves the queue: what it
really listens on and runs, even when the settings file has a typo it has not taken (the file's
problems are shown beside).  With none, read from the files the gateway keeps (``engine`` null)."""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime
from pathlib import Path

from app import status as status_mod
from app.cli import running
from app.cli.command import Command
from app.mail.replies import explain
from app.settings import Settings
from app.suggest import command


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")


OUTCOME_WORDS = {
    "received": "received",
    "relayed": "relayed",
    "local": "delivered locally",
    "deferred": "deferred",
    "bounced": "bounced",
    "refused": "refused at RCPT",
}


def _time(iso: str | None) -> float | None:
    return None if iso is None else datetime.fromisoformat(iso).timestamp()


def _ago(iso: str | None, now: float) -> str:
    t = _time(iso)
    if t is None:
        return "never"
    shown = time.strftime("%H:%M" if now - t < 20 * 3600 else "%Y-%m-%d %H:%M", time.localtime(t))
    minutes = int((now - t) // 60)
    ago = f"{minutes} min ago" if minutes < 120 else f"{minutes // 60} h ago"
    return f"{shown} ({ago})"


def _print_fix(reply: str | None) -> None:
    """Under a refusal Tenso knows: what to change (python -m app explain says more)."""
    advice = explain(reply) if reply else None
    if advice is not None:
        first, *more = advice.fix.split("\n")
        print(f"    what to do: {first}")
        for line in more:
            print(f"      {line}")


def run(args: argparse.Namespace) -> int:
    """What the gateway on this settings file's queue is doing: the Status tab, in text."""
    target = running.target(Path(args.config))
    client = running.gateway(target.queue_dir, reading=True)
    if client is None:
        if target.settings is None:
            running.print_problems(target, running=False)
            return 1
        found = {**status_mod.from_outside(target.settings).as_json(), "engine": None}
        where: Settings | Path = target.settings
    else:
        with client:
            found = client.call("status")
        where = Path(found["engine"]["config"])  # the suggested commands act on the gateway's own file
    if args.json:
        if target.problems:
            running.print_problems(target, running=True)
        print(json.dumps(found, ensure_ascii=False, indent=2))
        return 0
    _print(found, target, where)
    return 0


def _print(found: dict, target: running.Target, where: Settings | Path) -> None:
    now = time.time()
    engine = found["engine"]
    if found["state"] == status_mod.State.STOPPED:
        print(f"Tenso is not running on the queue {target.queue_dir}")
    else:
        since = f", since {_ago(engine['started'], now)}" if engine else ""
        mode = f" ({engine['mode']}, pid {engine['pid']}{since})" if engine else ""
        print(f"Tenso is running{mode}, listening on {', '.join(found['listening']) or '(nothing)'}")
        if found["state"] == status_mod.State.PAUSED:
            print(f"delivery is PAUSED: mail is accepted and kept ({command(where, 'queue resume')})")
    if engine:
        note = running.other_file(target, engine)
        if note:
            print(note)
    if target.problems:
        print(f"{target.path} has problems; the gateway has not taken it: " + "; ".join(target.problems))
    print("today: " + ", ".join(f"{OUTCOME_WORDS[o]} {n}" for o, n in found["today"].items()))
    queue = found["queue"]
    if queue["messages"]:
        print(
            f"queue: {queue['messages']} message(s), {queue['recipients']} recipient(s) waiting"
            + (f"; the oldest received {_ago(queue['oldest'], now)}" if queue["oldest"] else "")
        )
    else:
        print("queue: empty")
    if found["destinations"]:
        print("destinations:")
    for d in found["destinations"]:
        mark = "FAILING " if d["failing"] else ""
        line = f"  {mark}{d['name']}: last success {_ago(d['last_success'], now)}"
        if d["last_failure"]:
            line += f"; last failure {_ago(d['last_failure'], now)}: {d['last_reply'] or ''}"
        print(line)
        if d["failing"]:
            _print_fix(d["last_reply"])
    for m in found["missing_passwords"]:
        what = "client secret" if m["secret"] else "password"
        print(f"no {what} stored for {m['account']}: run {command(where, 'password set ' + m['key'])}")
    for needed in found["sign_in_needed"]:
        why = f" ({needed['why']})" if needed["why"] else ""
        login = command(where, f"account login {needed['account']}")
        print(f"account {needed['account']} must sign in{why}: run {login}")
        _print_fix(needed["why"])
    for refused in found["token_refused"]:
        print(
            f"account {refused['account']}: the token request was refused; the mail waits, the next attempt asks again:"
        )
        print(f"  {refused['why']}")
        _print_fix(refused["why"])
    for e in found["expiring"]:
        print(f"WARNING: {e['text']}")
    if found["password_problem"]:
        print(f"the passwords cannot be checked: {found['password_problem']}")
    for limited in found["day_limits"]:
        when = time.strftime("%m-%d %H:%M", time.localtime(_time(limited["until"]) or now))
        name = limited["account"]
        print(f"account {name} reached its daily limit of recipients: its mail waits in the queue until {when}")
    for ban in found["auth_bans"]:
        until = time.strftime("%H:%M", time.localtime(_time(ban["until"]) or now))
        failures = ban["failures"]
        print(f"{ban['client']} may not log in until {until} ({failures} failed logins; server.auth_failures_limit)")


COMMAND = Command("status", "what the gateway is doing: counts, queue, destinations", arguments, run)
