"""``status``: what the gateway on the settings' queue is doing (the Status tab, in text or JSON),
read from the files it keeps; with or without a gateway running."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from app import status as status_mod
from app.cli.command import Command, load
from app.mail.replies import explain
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


def _ago(t: float | None, now: float) -> str:
    if t is None:
        return "never"
    shown = time.strftime("%H:%M" if now - t < 20 * 3600 else "%Y-%m-%d %H:%M", time.localtime(t))
    minutes = int((now - t) // 60)
    ago = f"{minutes} min ago" if minutes < 120 else f"{minutes // 60} h ago"
    return f"{shown} ({ago})"


def _print_fix(reply: str) -> None:
    """Under a refusal Tenso knows: what to change (python -m app explain says more)."""
    advice = explain(reply) if reply else None
    if advice is not None:
        first, *more = advice.fix.split("\n")
        print(f"    what to do: {first}")
        for line in more:
            print(f"      {line}")


def run(args: argparse.Namespace) -> int:
    """What the gateway on this settings file's queue is doing: the Status tab, in text."""
    settings = load(Path(args.config))
    if settings is None:
        return 1
    found = status_mod.from_outside(settings)
    if args.json:
        print(json.dumps(found.as_json(), ensure_ascii=False, indent=2))
        return 0
    now = time.time()
    if found.state == status_mod.State.STOPPED:
        print(f"Tenso is not running on the queue {settings.queue_dir}")
    else:
        print(f"Tenso is running, listening on {', '.join(found.listening) or '(nothing)'}")
        if found.state == status_mod.State.PAUSED:
            print(f"delivery is PAUSED: mail is accepted and kept ({command(settings, 'queue resume')})")
    print("today: " + ", ".join(f"{OUTCOME_WORDS[o]} {n}" for o, n in found.today.items()))
    if found.queue_messages:
        print(
            f"queue: {found.queue_messages} message(s), {found.queue_recipients} recipient(s) waiting"
            + (f"; the oldest received {_ago(found.oldest, now)}" if found.oldest else "")
        )
    else:
        print("queue: empty")
    if found.destinations:
        print("destinations:")
    for d in found.destinations:
        mark = "FAILING " if d.failing else ""
        line = f"  {mark}{d.name}: last success {_ago(d.last_success, now)}"
        if d.last_failure:
            line += f"; last failure {_ago(d.last_failure, now)}: {d.last_reply}"
        print(line)
        if d.failing:
            _print_fix(d.last_reply)
    for m in found.missing_passwords:
        what = "client secret" if m.secret else "password"
        print(f"no {what} stored for {m.words}: run {command(settings, f'password set {m.key}')}")
    for needed in found.sign_in_needed:
        why = f" ({needed.why})" if needed.why else ""
        login = command(settings, f"account login {needed.account}")
        print(f"account {needed.account} must sign in{why}: run {login}")
        _print_fix(needed.why)
    for refused in found.token_refused:
        print(f"account {refused.account}: the token request was refused; the mail waits, the next attempt asks again:")
        print(f"  {refused.why}")
        _print_fix(refused.why)
    for e in found.expiring:
        print(f"WARNING: {e.text}")
    if found.password_problem:
        print(f"the passwords cannot be checked: {found.password_problem}")
    for name, held in found.day_limits:
        when = time.strftime("%m-%d %H:%M", time.localtime(held))
        print(f"account {name} reached its daily limit of recipients: its mail waits in the queue until {when}")
    for ban in found.auth_bans:
        until = time.strftime("%H:%M", time.localtime(ban.until))
        print(f"{ban.client} may not log in until {until} ({ban.failures} failed logins; server.auth_failures_limit)")
    return 0


COMMAND = Command("status", "what the gateway is doing: counts, queue, destinations", arguments, run)
