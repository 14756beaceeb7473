"""Receiving in more than one process (``server.processes``; app/receive/workers.py, app/receive/worker_main.py).

With ``server.processes`` = N, Tenso starts N-1 ``python -m app receive-worker`` children that
accept on the very same listening sockets, store into the shared spool and tell the parent the
queue id; the parent's scheduler delivers.  These tests run real processes over 127.0.0.1, kill
them with real signals and read the real log.  Which process took a message is read from its
queue id: the last three hex digits are the node number of the process that made it (the main
process: its pid % 4096; the delivery process, when there is one: +1; receiving worker k: +1+k).  Finding processes
reads /proc, so those tests run on Linux only.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from app import settings as settings_mod
from app.deliver import worker as delivery_worker
from app.receive import workers as receivers
from tests.support import REPO
from tests.support.gateway import make_settings, rule
from tests.support.logs import LogCapture
from tests.support.processes import check, children_running, free_port, gone, write_config
from tests.support.smtp import message
from tests.support.waiting import wait_until

LINUX = sys.platform.startswith("linux")
needs_proc = pytest.mark.skipif(not LINUX, reason="finds processes through /proc")
STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"  # the parent's log format: time, level, message
WORKER_THREAD = "receiving-process-1"  # the parent's thread that reads worker 1's lines
QUEUED_AS = re.compile(rb"queued as ([0-9A-F]{16})\b")


# --- processes ----------------------------------------------------------------------------------


def one_child(parent: int, command: str, timeout: float = 5.0) -> tuple[int, int]:
    found = wait_until(lambda: children_running(parent, command), timeout, f"a {command} child of {parent}")
    time.sleep(0.2)  # a second one would be started right after the first: give it the chance to show
    found = children_running(parent, command)
    assert len(found) == 1, f"expected one {command} child of {parent}, found {found}"
    return found[0]


def peer_ports(pid: int) -> set[int]:
    """The remote ports of the IPv4 TCP connections ``pid`` holds open: its socket descriptors,
    looked up in /proc/PID/net/tcp.  A client's own port says which process serves it."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    ports = set()
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[9]) in inodes:
            ports.add(int(fields[2].rsplit(":", 1)[1], 16))
    return ports


# --- clients -------------------------------------------------------------------------------------


def send_for_id(port: int, rcpt: str, subject: str = "test") -> str:
    """One message on its own connection; the queue id from Tenso's 250 reply to DATA."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo("client.test")
        code, reply = client.mail("a@lan.test")
        assert code == 250, reply
        code, reply = client.rcpt(rcpt)
        assert code == 250, (rcpt, code, reply)
        code, reply = client.data(message(subject))
        assert code == 250, (rcpt, code, reply)
    found = QUEUED_AS.search(reply)
    assert found, reply
    return found.group(1).decode()


def send_many(port: int, rcpts: list[str], threads: int = 8) -> dict[str, str]:
    """``rcpts`` sent concurrently, one connection each: recipient -> queue id."""
    with ThreadPoolExecutor(threads) as pool:
        ids = list(pool.map(lambda r: send_for_id(port, r, r), rcpts))
    return dict(zip(rcpts, ids, strict=True))


def rcpt_reply(port: int, rcpt: str) -> tuple[int, bytes]:
    """MAIL and RCPT on a connection of its own: the reply to RCPT."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo("client.test")
        code, reply = client.mail("a@lan.test")
        assert code == 250, reply
        return client.rcpt(rcpt)


class Sessions:
    """Idle SMTP sessions (raw sockets, greeted); every one is closed at teardown, whatever failed."""

    def __init__(self) -> None:
        self.opened: list[socket.socket] = []

    def greeted(self, port: int) -> socket.socket:
        conn = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.opened.append(conn)
        assert conn.recv(1024).startswith(b"220 "), "no greeting"
        return conn

    def in_both(self, port: int, worker_pid: int, tries: int = 60) -> list[socket.socket]:
        """Opened until the worker serves one of them and the main process another."""
        mine: list[socket.socket] = []
        for _ in range(tries):
            mine.append(self.greeted(port))
            ports = {c.getsockname()[1] for c in mine}
            in_worker = ports & peer_ports(worker_pid)
            if in_worker and ports - in_worker:
                return mine
            time.sleep(0.05)  # a worker just started may not be accepting yet
        pytest.fail(f"{tries} sessions and not one in each process")

    def close(self) -> None:
        for conn in self.opened:
            conn.close()


@pytest.fixture
def sessions():
    made = Sessions()
    yield made
    made.close()


def smtp_reply(conn: socket.socket) -> bytes:
    """The last line of the next whole reply on a raw session (one command at a time); b"" at the end."""
    data = b""
    while not (data.endswith(b"\r\n") and data.split(b"\r\n")[-2][3:4] == b" "):
        chunk = conn.recv(4096)
        if not chunk:
            return data
        data += chunk
    return data.split(b"\r\n")[-2]


def last_words(conns: list[socket.socket]) -> list[bytes]:
    """What each session hears next (b"" when closed, b"(reset)" when reset); each is closed then."""
    heard = []
    for conn in conns:
        conn.settimeout(3)
        try:
            heard.append(conn.recv(1024))
        except ConnectionResetError:
            heard.append(b"(reset)")
        finally:
            conn.close()
    return heard


def node_of(qid: str) -> int:
    return int(qid[-3:], 16)


def delivered(up) -> Counter:
    """How many copies the upstream received for each recipient."""
    return Counter(r for m in up.messages for r in m.rcpt_tos)


def config_with_processes(tmp_path: Path, port: int, upstream_port: int, processes: int = 2) -> Path:
    config = write_config(tmp_path, port, upstream_port)
    data = json.loads(config.read_text(encoding="utf-8"))
    data["server"]["processes"] = processes
    config.write_text(json.dumps(data), encoding="utf-8")
    return config


@pytest.fixture
def two_processes(tenso, tmp_path, monkeypatch):
    """``python -m app --headless`` with ``server.processes`` 2, forwarding to ``upstream_port``."""
    monkeypatch.delenv("TENSO_DELIVERY_PROCESS", raising=False)
    monkeypatch.delenv("TENSO_LOG_LEVEL", raising=False)

    def start(upstream_port: int):
        port = free_port()
        config = config_with_processes(tmp_path, port, upstream_port)
        proc = tenso(config, port)
        proc.config = config
        return proc

    return start


def sent_by_both(
    port: int, main_node: int, worker_node: int, prefix: str, batch: int = 40, rounds: int = 6
) -> dict[str, str]:
    """Batches of concurrent mail until both processes have accepted some: recipient -> queue id.

    A worker just started takes a moment (Python starting, imports) before it accepts: a half
    second's pause between batches gives it that."""
    ids: dict[str, str] = {}
    for round_ in range(rounds):
        if round_:
            time.sleep(0.5)
        ids.update(send_many(port, [f"{prefix}{round_}-{i}@example.net" for i in range(batch)]))
        nodes = {node_of(q) for q in ids.values()}
        assert nodes <= {main_node, worker_node}, (
            f"queue ids from nodes {sorted(nodes)}, expected only {main_node} (main) and {worker_node} (worker)"
        )
        if nodes == {main_node, worker_node}:
            return ids
    pytest.fail(
        f"{len(ids)} messages over {rounds} rounds, all accepted by node(s) {sorted(nodes)}: "
        f"one process took every connection"
    )


# --- 1. two processes share the port ---------------------------------------------------------------


@needs_proc
def test_two_processes_both_accept_and_every_message_is_delivered_once(two_processes, upstream_factory):
    up = upstream_factory()
    tenso = two_processes(up.port)
    pid = tenso.proc.pid
    worker = one_child(pid, receivers.COMMAND)
    assert children_running(pid, delivery_worker.COMMAND) == [], (
        "with two receiving processes delivery runs in threads of the main one, not in a delivery process"
    )
    main_node, worker_node = pid % 4096, (pid + 2) % 4096

    ids = sent_by_both(tenso.port, main_node, worker_node, "m")
    assert len(set(ids.values())) == len(ids), "two messages got the same queue id"

    got = up.handler.wait_for(len(ids), timeout=20)
    time.sleep(0.3)  # a duplicate would come right behind
    counts = delivered(up)
    assert set(counts) == set(ids), set(ids) ^ set(counts)
    assert [r for r, n in counts.items() if n != 1] == [], counts
    assert len(up.messages) == len(got) == len(ids)
    # Each copy carries the Received header of the process that accepted it, with its queue id.
    for m in up.messages:
        (rcpt,) = m.rcpt_tos
        assert f" id {ids[rcpt]}".encode() in m.data.split(b"\r\n\r\n", 1)[0], m.data[:300]

    wait_until(
        lambda: not any((tenso.config.parent / "queue" / "msg").iterdir()),
        10,
        "the queue emptying (the parent delivered and removed what the worker accepted)",
    )
    tenso.wait_log(r"removed: delivered to every recipient", count=len(ids), timeout=10)
    log = tenso.log
    assert re.search(rf"^{STAMP} INFO receiving in 2 processes$", log, re.MULTILINE), log
    for rcpt, qid in ids.items():
        accepted = re.findall(
            rf"^{STAMP} INFO {qid} accepted from=<a@lan\.test> to=<{re.escape(rcpt)}> ", log, re.MULTILINE
        )
        assert len(accepted) == 1, f"{qid} ({rcpt}): {len(accepted)} accepted line(s) in:\n{log}"
    assert "Traceback" not in log and "receiving process" not in log, log
    assert not gone(worker), "the worker ended while mail was being sent"


# --- 2. the worker dies: it is started again ----------------------------------------------------------


@needs_proc
def test_killed_receiving_process_is_restarted_and_mail_keeps_flowing(two_processes, upstream_factory):
    up = upstream_factory()
    tenso = two_processes(up.port)
    pid = tenso.proc.pid
    first = one_child(pid, receivers.COMMAND)
    main_node, worker_node = pid % 4096, (pid + 2) % 4096

    os.kill(first[0], signal.SIGKILL)
    tenso.wait_log(
        rf"(?m)^{STAMP} ERROR receiving process 1 ended \(exit status -9\); starting it again(?: in 1 s)?$", timeout=5
    )
    # Meanwhile the main process alone answers on the port.
    early = send_many(tenso.port, [f"gap{i}@example.net" for i in range(3)], threads=3)
    assert {node_of(q) for q in early.values()} == {main_node}, early

    second = wait_until(lambda: children_running(pid, receivers.COMMAND), 5, "a new receive-worker")
    assert len(second) == 1, second
    second = second[0]
    assert second != first and gone(first)

    # The new worker got the listening sockets: it accepts mail again, and the parent delivers it.
    ids = {**early, **sent_by_both(tenso.port, main_node, worker_node, "after", batch=20)}
    up.handler.wait_for(len(ids), timeout=20)
    time.sleep(0.3)
    counts = delivered(up)
    assert set(counts) == set(ids) and set(counts.values()) == {1}, counts

    assert tenso.proc.poll() is None, tenso.log
    assert children_running(pid, receivers.COMMAND) == [second]
    assert len(re.findall(r"receiving process \d+ ended", tenso.log)) == 1, tenso.log


@needs_proc
def test_restart_pause_doubles_while_the_worker_keeps_dying_and_starts_over_once_it_ran_steadily(
    gateway_factory, upstream_factory, tmp_path, monkeypatch, caplog
):
    monkeypatch.setattr(receivers, "RESTART_PAUSE_SECONDS", 0.05)
    monkeypatch.setattr(receivers, "STEADY_SECONDS", 1.5)
    up = upstream_factory()
    server = {"listen": ["127.0.0.1:0"], "hostname": "tenso.test", "processes": 2}
    gw = gateway_factory(make_settings(tmp_path, server=server, rules=[rule(up.port)]))
    caplog.set_level(logging.ERROR, logger="tenso")

    def kill_and_wait_for_the_next() -> str:
        old = gw.gateway.receivers._procs[1]
        os.kill(old.pid, signal.SIGKILL)
        wait_until(lambda: gw.gateway.receivers._procs[1] is not old, 5, "a new worker")
        return [r.getMessage() for r in caplog.records if "receiving process 1 ended" in r.getMessage()][-1]

    quick = [kill_and_wait_for_the_next() for _ in range(3)]  # each dies right after starting
    assert [m.rsplit(" in ", 1)[1] for m in quick] == ["0.05 s", "0.1 s", "0.2 s"], quick
    time.sleep(1.6)  # this one runs steadily: the next end starts over at the first pause
    assert kill_and_wait_for_the_next().endswith("starting it again in 0.05 s")


# --- 3. Tenso is killed: the worker goes with it ---------------------------------------------------------


@needs_proc
def test_sigkill_of_tenso_ends_the_receiving_process_and_nothing_answers_on_the_port(
    two_processes, upstream_factory, sessions
):
    up = upstream_factory()
    tenso = two_processes(up.port)
    pid = tenso.proc.pid
    worker = one_child(pid, receivers.COMMAND)
    clients = sessions.in_both(tenso.port, worker[0])  # none may outlive Tenso

    os.kill(pid, signal.SIGKILL)
    assert tenso.proc.wait(5) == -signal.SIGKILL
    began = time.monotonic()
    try:
        wait_until(lambda: gone(worker), 3, f"receive-worker {worker[0]} ending after Tenso was killed")
    finally:
        if not gone(worker):  # it would hold the port and the spool forever
            os.kill(worker[0], signal.SIGKILL)
    assert time.monotonic() - began < 3

    heard = last_words(clients)
    assert set(heard) <= {b"", b"(reset)"}, f"sessions still open after Tenso was killed: {heard}"
    for _ in range(5):
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", tenso.port), timeout=2).close()


# --- 4. SIGTERM: a clean stop, nothing lost ------------------------------------------------------------


class Senders:
    """Client threads, each sending one message per connection (a recipient of its own each time)
    until stopped or refused a connection.  Records the queue id of every message that got its 250,
    and every other reply (code, text) the clients got to a command."""

    def __init__(self, port: int, threads: int = 6):
        self.port = port
        self.accepted: dict[str, str] = {}  # recipient -> queue id
        self.replies: list[tuple[str, int, bytes]] = []  # recipient, code, text: anything but 250
        self.errors: list[BaseException] = []  # connections refused, cut...
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(threads)]
        for t in self._threads:
            t.start()

    def _one(self, rcpt: str) -> None:
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as client:
            client.ehlo("client.test")
            for step in (
                lambda: client.mail("a@lan.test"),
                lambda: client.rcpt(rcpt),
                lambda: client.data(message(rcpt)),
            ):
                code, text = step()
                if code != 250:
                    with self._lock:
                        self.replies.append((rcpt, code, text))
                    return
        with self._lock:
            self.accepted[rcpt] = QUEUED_AS.search(text).group(1).decode()

    def _run(self, n: int) -> None:
        i = 0
        while not self._stop.is_set():
            rcpt = f"c{n}-{i}@example.net"
            i += 1
            try:
                self._one(rcpt)
            except smtplib.SMTPResponseException as exc:  # 421 to DATA, a 4xx greeting...
                with self._lock:
                    self.replies.append((rcpt, exc.smtp_code, exc.smtp_error))
            except (OSError, smtplib.SMTPException) as exc:
                with self._lock:
                    self.errors.append(exc)
                if isinstance(exc, ConnectionRefusedError):
                    return

    def busy(self, count: int, nodes: set[int]) -> bool:
        """At least ``count`` messages accepted, and some by each of ``nodes``."""
        with self._lock:
            return len(self.accepted) >= count and {node_of(q) for q in self.accepted.values()} == nodes

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(30)


def queued_recipients(queue: Path) -> dict[str, str]:
    """Recipient -> queue id of every message in ``queue``/msg."""
    found = {}
    for path in (queue / "msg").iterdir():
        with open(path, "rb") as f:
            for rcpt in json.loads(f.readline())["recipients"]:
                found[rcpt] = path.name
    return found


@needs_proc
def test_sigterm_stops_both_processes_and_every_accepted_message_is_delivered_after_restart(
    two_processes, tenso, upstream_factory, sessions
):
    up = upstream_factory()
    deferred = 5
    up.handler.data_replies.extend(["451 4.3.0 try again later"] * deferred)  # these wait in the queue
    first = two_processes(up.port)
    pid = first.proc.pid
    worker = one_child(pid, receivers.COMMAND)
    queue = first.config.parent / "queue"
    both = {pid % 4096, (pid + 2) % 4096}

    # Clients keep sending while Tenso is told to stop: every message that got its 250 must arrive.
    senders = Senders(first.port)
    try:
        # The worker needs a moment to start: stop once both processes have been taking mail.
        wait_until(lambda: senders.busy(30, both), 20, "30 messages accepted, some by each process")
        idle = sessions.in_both(first.port, worker[0])  # each must hear 421 when Tenso stops
        first.proc.send_signal(signal.SIGTERM)
        began = time.monotonic()
        try:
            code = first.proc.wait(15)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running 15 s after SIGTERM:\n{first.log}")
        took = time.monotonic() - began
    finally:
        senders.stop()
    assert code == 0, first.log
    # The worker stops when told (it is killed only after receivers.STOP_SECONDS).
    assert took < receivers.STOP_SECONDS - 1, f"{took:.1f} s from SIGTERM to exit:\n{first.log}"
    wait_until(lambda: gone(worker), 3, f"receive-worker {worker[0]} ending with Tenso")
    log = first.log
    assert "Traceback" not in log and "receiving process" not in log, log
    # Whoever was cut off by the stop was told to come back later, never refused for good.
    assert [r for r in senders.replies if r[1] != 421] == [], senders.replies
    heard = last_words(idle)
    assert all(h.startswith(b"421 4.3.2 ") for h in heard), f"idle sessions cut without a 421: {heard}"

    # Each message that got a 250 is at the upstream or in msg/; nothing is left half-written.
    accepted = senders.accepted
    queued = queued_recipients(queue)
    arrived = delivered(up)
    missing = [r for r in accepted if r not in arrived and r not in queued]
    assert not missing, f"accepted, then neither delivered nor queued: {missing}"
    assert len(queued) >= deferred, queued
    assert list((queue / "tmp").iterdir()) == []
    # Every 250 was preceded by its "accepted" line, which reached the parent's log before it exited.
    unlogged = [q for q in accepted.values() if not re.search(rf"^{STAMP} INFO {q} accepted from=", log, re.M)]
    assert unlogged == [], f"250 given but no accepted line: {unlogged}\n{log}"

    second = tenso(first.config, first.port)  # the same settings, queue and port
    wait_until(
        lambda: set(accepted) <= set(delivered(up)),
        20,
        f"every accepted message delivered after the restart:\n{second.log}",
    )
    time.sleep(0.3)
    counts = delivered(up)
    assert [r for r in accepted if counts[r] != 1] == [], {r: counts[r] for r in accepted if counts[r] != 1}
    wait_until(lambda: not any((queue / "msg").iterdir()), 10, "the queue emptying")


@needs_proc
@pytest.mark.parametrize(
    "processes",
    [
        1,
        2,
    ],
)
def test_ctrl_c_in_the_console_stops_without_refusing_mail_for_good(tmp_path, upstream_factory, sessions, processes):
    """Ctrl+C in a console sends SIGINT to the whole process group: Tenso and its workers."""
    up = upstream_factory()
    port = free_port()
    config = config_with_processes(tmp_path, port, up.port, processes=processes)
    log_path = tmp_path / "tenso.log"
    with open(log_path, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app", "--headless", "--config", str(config)],
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    senders = None
    try:
        wait_until(
            lambda: proc.poll() is not None or "running (headless)" in log_path.read_text(), 15, "Tenso starting"
        )
        assert proc.poll() is None, log_path.read_text()
        nodes = {(proc.pid + k) % 4096 for k in ((0, 2) if processes == 2 else (0,))}
        senders = Senders(port, threads=10)  # many sessions, so that some are mid-DATA at Ctrl+C
        # Every process up and working (the delivery process too: mail is arriving) before Ctrl+C.
        wait_until(
            lambda: senders.busy(60, nodes) and len(up.messages) >= 10,
            20,
            "60 messages accepted, some by each process, and 10 delivered",
        )
        if processes == 2:
            (worker,) = children_running(proc.pid, receivers.COMMAND)
            idle = sessions.in_both(port, worker[0])
        else:
            idle = [sessions.greeted(port) for _ in range(3)]
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(15) == 0, log_path.read_text()
    finally:
        if senders:
            senders.stop()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    cut = [h for h in last_words(idle) if not h.startswith(b"421 4.3.2 ")]
    log = log_path.read_text()
    queued = queued_recipients(tmp_path / "queue")
    arrived = delivered(up)
    assert [r for r in senders.accepted if r not in arrived and r not in queued] == []
    refused = [r for r in senders.replies if r[1] != 421]
    assert refused == [], f"replies other than 421 while stopping: {refused}"
    assert cut == [], f"{len(cut)} of {len(idle)} idle sessions cut without a 421: {cut}"
    assert "Traceback" not in log and "Fatal Python error" not in log, log


# --- 5. new settings reach the worker -----------------------------------------------------------------


def test_settings_applied_to_the_running_gateway_reach_the_receiving_process(
    gateway_factory, upstream_factory, tmp_path
):
    up = upstream_factory()
    server = {"listen": ["127.0.0.1:0"], "hostname": "tenso.test", "processes": 2}
    me = os.getpid()
    main_node, worker_node = me % 4096, (me + 2) % 4096
    with LogCapture() as log:
        gw = gateway_factory(make_settings(tmp_path, server=server, rules=[rule(up.port)]))
        worker = gw.gateway.receivers._procs[1]
        assert worker.poll() is None
        if LINUX:
            assert [pid for pid, _ in children_running(me, receivers.COMMAND)] == [worker.pid]

        # Before: 127.0.0.1 may relay; both processes accept.
        ids = sent_by_both(gw.port, main_node, worker_node, "before", batch=20)
        up.handler.wait_for(len(ids), timeout=20)

        # After: 127.0.0.1 is no longer a relay network; no process may take a recipient.
        closed = make_settings(
            tmp_path, server=server, rules=[rule(up.port)], options={"relay_networks": ["192.0.2.0/24"]}
        )
        gw.call(gw.gateway.reconfigure(closed))
        assert gw.gateway.receivers._procs[1] is worker, "an unchanged server section restarted the worker"

        # The receiving process reads the new settings from its pipe a moment later (nothing
        # answers that it has them; under load that moment was seen to be long enough for a
        # connection to be served with the old ones): first it refuses too, then nothing may pass.
        def worker_refuses() -> bool:
            rcpt_reply(gw.port, "probe@example.net")
            probes = log.matching(r"^refused RCPT <probe@example\.net>")
            return any(thread == WORKER_THREAD for _, _, thread in probes)

        wait_until(worker_refuses, 10, "the receiving process to refuse with the new settings")
        tried = 0
        for round_ in range(5):
            rcpts = [f"after{round_}-{i}@example.net" for i in range(20)]
            with ThreadPoolExecutor(8) as pool:
                replies = list(pool.map(lambda r: rcpt_reply(gw.port, r), rcpts))
            tried += len(rcpts)
            accepted = [(r, c, t) for r, (c, t) in zip(rcpts, replies, strict=True) if c != 550]
            assert accepted == [], f"recipients accepted after relaying was closed: {accepted}"
            assert all(t.startswith(b"5.7.1 Relaying denied") for _, t in replies), replies
            refused_by_worker = wait_until(
                lambda: log.matching(r"^refused RCPT <after\d+-\d+@example\.net>"), 5, "the refusals logged"
            )
            if any(thread == WORKER_THREAD for _, _, thread in refused_by_worker):
                break
        else:
            pytest.fail(f"{tried} connections after the change, none taken by the receiving process")
        wait_until(lambda: len(log.matching(r"^refused RCPT <after")) == tried, 5, "one refusal line per RCPT")
        assert len(up.messages) == len(ids)
        assert worker.poll() is None

        # And back: each change is sent, not only the first.
        gw.call(gw.gateway.reconfigure(make_settings(tmp_path, server=server, rules=[rule(up.port)])))
        again = sent_by_both(gw.port, main_node, worker_node, "again", batch=20)
        up.handler.wait_for(len(ids) + len(again), timeout=20)
        assert gw.gateway.receivers._procs[1] is worker


def test_changed_server_section_restarts_the_receiving_process_with_the_new_settings(
    gateway_factory, upstream_factory, tmp_path
):
    up = upstream_factory()
    server = {"listen": ["127.0.0.1:0"], "hostname": "tenso.test", "processes": 2}
    me = os.getpid()
    gw = gateway_factory(make_settings(tmp_path, server=server, rules=[rule(up.port)]))
    old = gw.gateway.receivers._procs[1]

    gw.call(
        gw.gateway.reconfigure(
            make_settings(tmp_path, server={**server, "hostname": "renamed.test"}, rules=[rule(up.port)])
        )
    )
    assert old.poll() is not None, "the old worker still runs after the server section changed"
    new = gw.gateway.receivers._procs[1]
    assert new is not old and new.poll() is None
    ids = sent_by_both(gw.port, me % 4096, (me + 2) % 4096, "renamed", batch=20)
    got = up.handler.wait_for(len(ids), timeout=20)
    for m in got:  # both processes name themselves by the new host name
        assert b"by renamed.test (Tenso)" in m.data.split(b"\r\n\r\n", 1)[0], m.data[:300]


@needs_proc
def test_message_complete_when_the_worker_is_stopped_is_not_left_unannounced_in_the_spool(
    gateway_factory, upstream_factory, sessions, tmp_path
):
    """A server section change stops the worker while the gateway runs on: whatever the worker put in
    the spool must reach the scheduler now, not at the next start of Tenso.  The worker is frozen
    (SIGSTOP) while the end of a message and the stop arrive, so both are waiting when it wakes."""
    up = upstream_factory()
    server = {"listen": ["127.0.0.1:0"], "hostname": "tenso.test", "processes": 2}
    gw = gateway_factory(make_settings(tmp_path, server=server, rules=[rule(up.port)]))
    for trial in range(4):
        worker = gw.gateway.receivers._procs[1]
        idle = sessions.in_both(gw.port, worker.pid)
        (conn,) = [c for c in idle if c.getsockname()[1] in peer_ports(worker.pid)][:1]
        rcpt = f"trial{trial}@example.net"
        for command in (b"EHLO client.test", b"MAIL FROM:<a@lan.test>", f"RCPT TO:<{rcpt}>".encode(), b"DATA"):
            conn.sendall(command + b"\r\n")
            answer = smtp_reply(conn)
        assert answer.startswith(b"354"), answer

        os.kill(worker.pid, signal.SIGSTOP)
        try:
            conn.sendall(message(rcpt).replace(b"\r\n.", b"\r\n..") + b"\r\n.\r\n")
            renamed = make_settings(tmp_path, server={**server, "hostname": f"t{trial}.test"}, rules=[rule(up.port)])
            changing = asyncio.run_coroutine_threadsafe(gw.gateway.reconfigure(renamed), gw.loop)
            time.sleep(0.2)  # the parent has sent "stop" and waits for the worker to end
        finally:
            os.kill(worker.pid, signal.SIGCONT)
        changing.result(15)
        answer = smtp_reply(conn)
        assert answer.startswith((b"250", b"421")), answer

        if rcpt in queued_recipients(gw.spool.root) or delivered(up)[rcpt]:
            # On disk (whatever the client was told): the scheduler must have it and deliver it now.
            wait_until(
                lambda r=rcpt: delivered(up)[r],
                3,
                f"{rcpt} (in the spool; client told {answer.strip()!r}) delivered while Tenso runs",
            )


# --- 6. the setting itself -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 17, -1])
def test_processes_outside_1_to_16_is_refused_naming_the_field(tmp_path, value):
    with pytest.raises(settings_mod.SettingsError) as caught:
        make_settings(tmp_path, server={"processes": value})
    assert caught.value.problems == ["server.processes: must be 1-16"]


def test_processes_must_be_a_whole_number(tmp_path):
    with pytest.raises(settings_mod.SettingsError) as caught:
        make_settings(tmp_path, server={"processes": "2"})
    assert caught.value.problems == ["server.processes: must be a whole number"]


def test_processes_defaults_to_1_and_1_and_16_are_allowed(tmp_path):
    assert make_settings(tmp_path).server.processes == 1
    for value in (1, 16):
        assert make_settings(tmp_path, server={"processes": value}).server.processes == value


def test_check_accepts_processes_2_and_refuses_17(tmp_path):
    good = config_with_processes(tmp_path, 2525, 2526, processes=2)
    result = check(good)
    assert result.returncode == 0, result.stderr
    assert f"{good}: OK (1 rules, 0 local users)" in result.stdout
    assert result.stderr == ""

    bad = config_with_processes(tmp_path, 2525, 2526, processes=17)
    result = check(bad)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "server.processes: must be 1-16" in result.stderr
