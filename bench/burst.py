"""A scanner's burst to a limited mailbox: 80 messages sent at once, by 80 connections, to a
headless Tenso whose one rule goes to an Exchange Online–like submission server with Exchange's
limits (30 messages a minute, 3 sessions at once; tests/support/exchange.py, which answers a 4th
session with Exchange's ``432 4.3.2`` and delays what is over the rate).

Run with the project's python, from the repository (it imports ``app`` and ``tests.support``,
whose sandbox puts the keyring and the data folders in a temporary folder)::

    .venv/bin/python bench/burst.py            # 80 messages: about 2.7 minutes at 30 a minute
    .venv/bin/python bench/burst.py --messages 20
    .venv/bin/python bench/burst.py --without-limits --timeout 300   # the same burst, no limits kept

Loopback only (127.0.0.1, free ports); it stops by itself (at most ``--timeout`` s).  Prints the
time until the last message arrived, the most sessions the server saw at once, the rate it
received at, and its refusals (432) and delays (over the rate): 0 and 0 when Tenso keeps the limits.
"""

from __future__ import annotations

import argparse
import json
import os
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from app.deliver.limits import EXCHANGE_ONLINE  # noqa: E402  (after the path)
from app.system import passwords  # noqa: E402
from tests.support.exchange import Exchange  # noqa: E402  (first import of tests.support: the sandbox)
from tests.support.processes import free_port  # noqa: E402

USER, PASSWORD = "scanner@contoso.test", "bench-secret"


def wait_listening(port: int, deadline: float, proc: subprocess.Popen) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"Tenso ended at start (status {proc.returncode})")
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("Tenso did not listen in time")


def send_all(port: int, count: int) -> list[BaseException]:
    errors: list[BaseException] = []
    go = threading.Barrier(count)

    def one(i: int) -> None:
        body = f"From: mfp@lan.test\r\nTo: to{i}@example.net\r\nSubject: scan {i}\r\n\r\npage {i}\r\n"
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
                go.wait(30)
                client.sendmail("mfp@lan.test", [f"to{i}@example.net"], body.encode())
        except BaseException as exc:  # counted and printed
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=80)
    parser.add_argument("--timeout", type=float, default=600.0, help="give up after this many seconds")
    parser.add_argument(
        "--without-limits", action="store_true", help='the account with "limits": {} (as Tenso was before them)'
    )
    args = parser.parse_args()
    limits = {
        "messages_per_minute": EXCHANGE_ONLINE.messages_per_minute,
        "sessions": EXCHANGE_ONLINE.sessions,
        "recipients_per_day": EXCHANGE_ONLINE.recipients_per_day,
    }
    server = Exchange({USER: PASSWORD}, sessions=limits["sessions"], messages_per_minute=limits["messages_per_minute"])
    passwords.set("account:m365", PASSWORD)
    work = Path(tempfile.mkdtemp(prefix="tenso-burst-"))
    port = free_port()
    config = {
        # 80 connections from one address: above server.max_connections_per_client's default of 50.
        "server": {"listen": [f"127.0.0.1:{port}"], "hostname": "tenso.bench", "max_connections_per_client": 100},
        "queue": {"dir": str(work / "queue")},
        "rules": [{"match": "*", "destination": "127.0.0.1", "port": server.port, "tls": "none", "account": "m365"}],
        "accounts": [{"name": "m365", "username": USER, "limits": {} if args.without_limits else limits}],
    }
    settings = work / "settings.json"
    settings.write_text(json.dumps(config), encoding="utf-8")
    log = (work / "tenso.log").open("wb")
    cmd = [sys.executable, "-m", "app", "--headless", "--config", str(settings)]
    proc = subprocess.Popen(
        cmd, cwd=REPO, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=os.environ
    )
    try:
        wait_listening(port, time.monotonic() + 30, proc)
        print(f"sending {args.messages} messages at once to Tenso on 127.0.0.1:{port} ...", file=sys.stderr)
        start = time.monotonic()
        errors = send_all(port, args.messages)
        accepted = time.monotonic() - start
        handler = server.handler
        deadline = start + args.timeout
        while len(handler.messages) < args.messages - len(errors) and time.monotonic() < deadline:
            time.sleep(0.5)
        arrivals = sorted(handler.arrivals)
        last = arrivals[-1] - start if arrivals else float("nan")
        span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else 0.0
        rate = (len(arrivals) - 1) / span * 60 if span else float("nan")
        taken = args.messages - len(errors)
        print(f"messages sent / accepted by Tenso:   {args.messages} / {taken} (in {accepted:.1f} s)")
        print(f"arrived at the server:               {len(arrivals)}")
        print(f"time until the last arrived:         {last:.1f} s")
        print(f"sessions at once (most seen):        {handler.max_sessions} (limit {limits['sessions']})")
        print(f"rate received (first to last):       {rate:.1f} a minute (limit {limits['messages_per_minute']})")
        print(f"refused (432 4.3.2):                 {handler.refused}")
        print(f"delayed by the server (over rate):   {handler.delayed}")
        return 0 if len(arrivals) == args.messages and not handler.refused else 1
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
