"""The message history when a worker process is killed (kill -9): no row lost, none doubled.

The records ride on the lines the workers already send the main process (a receiving worker's
``accepted``, the delivery worker's ``history`` line before it saves an attempt's state), and
every row is keyed by what the event carries (queue id; queue id + recipient + attempt number),
so a worker dying mid-way leaves either no record of what it did not finish or one that the
attempt made again replaces.  These tests kill real workers with real signals, send real mail
over 127.0.0.1, and read the history with ``python -m app history`` or ``query.search``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import smtplib
import sqlite3
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.history import query
from app.receive import workers as receivers
from tests.support.gateway import make_settings, rule
from tests.support.processes import children_running, free_port, run_app, write_config
from tests.support.smtp import message, send
from tests.support.waiting import wait_until

needs_proc = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds processes through /proc")
QUEUED_AS = re.compile(rb"queued as ([0-9A-F]{16})\b")
TENSO_ID = re.compile(rb"\(Tenso\) with \S+ id ([0-9A-F]{16})")
UPSTREAM_REPLY = "250 2.0.0 Ok: queued as UP{}"


def attempts_per_message(db_path) -> Counter:
    with sqlite3.connect(db_path) as db:
        return Counter(qid for (qid,) in db.execute("SELECT qid FROM attempts"))


# --- the delivery worker ---------------------------------------------------------------------------


@needs_proc
def test_a_killed_delivery_worker_loses_and_doubles_no_row(gateway_factory, upstream_factory, tmp_path):
    from tests.processes.test_worker import SilentPeer

    up = upstream_factory()
    up.handler.accepted_reply = UPSTREAM_REPLY.format("X1")
    stuck = SilentPeer()
    try:
        settings = make_settings(tmp_path, rules=[rule(up.port, "@ok.test"), rule(stuck.port, "@stuck.test")])
        gw = gateway_factory(settings)
        process = gw.gateway.scheduler.process
        assert process is not None, "attempts should run in the delivery worker"
        for n in range(3):
            send(gw.port, "a@lan.test", [f"done{n}@ok.test"], message(f"before {n}"))
        up.handler.wait_for(3)
        for n in range(2):
            send(gw.port, "a@lan.test", [f"held{n}@stuck.test"], message(f"held {n}"))
        stuck.wait_connection()
        stuck.wait_connection()  # both attempts are in the child, waiting for a greeting
        first = process._proc
        os.kill(first.pid, signal.SIGKILL)
        wait_until(lambda: first.returncode is not None and not process._pending, 10, "the lost attempts answered")

        moved = make_settings(tmp_path, rules=[rule(up.port, "@ok.test"), rule(up.port, "@stuck.test")])
        gw.call(gw.gateway.reconfigure(moved))
        gw.loop.call_soon_threadsafe(gw.gateway.scheduler.retry, None)
        up.handler.wait_for(5, timeout=20)
        wait_until(lambda: not gw.spool.ids(), 10, "the queue emptying")
        assert process._proc is not first
    finally:
        stuck.close()

    path = gw.gateway.settings.history_path

    def all_sent():
        found = query.search(path, query.Filters(), limit=100)
        return found if len(found) == 5 and all(f["recipients"][0]["state"] == "sent" for f in found) else None

    found = wait_until(all_sent, 10, "five sent messages in the history")
    assert len({f["id"] for f in found}) == 5
    assert {f["recipients"][0]["address"] for f in found} == {f"done{n}@ok.test" for n in range(3)} | {
        f"held{n}@stuck.test" for n in range(2)
    }
    assert all(f["recipients"][0]["attempts"] == 1 for f in found)  # the killed attempt never finished: not counted
    assert all(f["recipients"][0]["upstream_id"] == "UPX1" for f in found)
    assert attempts_per_message(path) == Counter({f["id"]: 1 for f in found})


# --- a receiving worker ----------------------------------------------------------------------------


def send_tolerant(port: int, rcpt: str) -> str | None:
    """One message on its own connection: the queue id of Tenso's 250, or None when the session
    was cut (its process was killed)."""
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            client.ehlo("client.test")
            client.mail("a@lan.test")
            client.rcpt(rcpt)
            code, reply = client.data(message(rcpt))
    except (smtplib.SMTPException, OSError):
        return None
    found = QUEUED_AS.search(reply) if code == 250 else None
    return found.group(1).decode() if found else None


@needs_proc
def test_a_killed_receiving_worker_loses_and_doubles_no_row(tenso, tmp_path, upstream_factory, monkeypatch):
    monkeypatch.delenv("TENSO_DELIVERY_PROCESS", raising=False)
    up = upstream_factory()
    port = free_port()
    config = write_config(tmp_path, port, up.port)
    data = json.loads(config.read_text(encoding="utf-8"))
    data["server"]["processes"] = 2
    config.write_text(json.dumps(data), encoding="utf-8")
    first = tenso(config, port)
    pid = first.proc.pid
    worker_node = (pid + 2) % 4096
    (worker,) = wait_until(lambda: children_running(pid, receivers.COMMAND), 10, "the receiving worker")

    acknowledged: list[str] = []
    lock = threading.Lock()
    killed = threading.Event()

    def one(n: int) -> None:
        qid = send_tolerant(port, f"r{n}@example.net")
        if qid is None:
            return
        with lock:
            acknowledged.append(qid)
            from_worker = sum(1 for q in acknowledged if int(q[-3:], 16) == worker_node)
        if from_worker >= 5 and not killed.is_set():
            killed.set()
            os.kill(worker[0], signal.SIGKILL)  # mid-stream: other sessions of the worker are cut

    # The kernel shares the connections between the two receiving processes as it likes: under
    # load the gateway's own process may take nearly all of a round, so send rounds until the
    # worker has answered 5 and been killed, and one round more (sessions cut, others going on).
    with ThreadPoolExecutor(8) as pool:
        for start in range(0, 600, 120):
            list(pool.map(one, range(start, start + 120)))
            if killed.is_set():
                break
    assert killed.is_set(), f"the worker accepted fewer than 5 of {len(acknowledged)} messages"
    assert len(acknowledged) >= 60, acknowledged

    def at_upstream() -> set[str]:
        return {TENSO_ID.search(m.data).group(1).decode() for m in up.messages}

    wait_until(lambda: set(acknowledged) <= at_upstream(), 30, "every acknowledged message delivered")
    # A message the worker stored but was killed before announcing waits for the next start:
    # stop and start again, as an administrator would, then stop to read the file at rest.
    first.proc.send_signal(signal.SIGTERM)
    assert first.proc.wait(20) == 0, first.log
    second = tenso(config, port)
    time.sleep(2.0)
    second.proc.send_signal(signal.SIGTERM)
    assert second.proc.wait(20) == 0, second.log

    done = run_app("history", "--config", str(config), "--json", "--limit", "1000")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    ids = [f["id"] for f in found]
    assert len(ids) == len(set(ids)), "a message shown twice"
    delivered = at_upstream()
    assert set(acknowledged) <= set(ids), f"lost: {sorted(set(acknowledged) - set(ids))}"
    assert set(ids) == delivered, f"in the history only: {set(ids) - delivered}; delivered only: {delivered - set(ids)}"
    assert all([r["state"] for r in f["recipients"]] == ["sent"] for f in found)
    from_worker = [q for q in ids if int(q[-3:], 16) == worker_node]
    assert from_worker, "none of the worker's messages in the history"
    counts = attempts_per_message(tmp_path / "queue" / "history.sqlite3")
    assert set(counts) == set(ids) and set(counts.values()) == {1}, counts
