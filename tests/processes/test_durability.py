"""Durability of the real process: `python -m app --headless` killed, stopped and restarted.

"A Tenso subprocess killed with SIGKILL while 200 messages are being accepted with the
upstream down; restart with the upstream up; every message that got a 250 arrives."
Nothing here runs in-process except the clients and the upstream: the gateway is the
command administrators run, and a crash is a real SIGKILL.
"""

from __future__ import annotations

import json
import os
import re
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.processes import TensoProcess, free_port, write_config
from tests.support.smtp import send, strip_received
from tests.support.waiting import wait_until

TOTAL = 200
CLIENT_THREADS = 10
KILL_AFTER = 100
QUEUED_AS = re.compile(r"queued as ([0-9A-F]+)")
MESSAGE_ID = re.compile(rb"^Message-ID: <([^>]+)>", re.IGNORECASE | re.MULTILINE)
RECEIVED_ID = re.compile(rb"\(Tenso\) with \S+ id ([0-9A-F]+)")


def submit(port: int, message_id: str) -> str | None:
    """One SMTP transaction; the queue id from the 250 reply to DATA, or None without a 250."""
    data = (
        f"From: a@lan.test\r\nTo: b@example.net\r\nSubject: durability {message_id}\r\n"
        f"Message-ID: <{message_id}>\r\n\r\nbody of {message_id}\r\n"
    ).encode()
    try:
        client = smtplib.SMTP("127.0.0.1", port, timeout=10)
    except OSError:
        return None
    try:
        client.ehlo("client.test")
        if client.mail("a@lan.test")[0] != 250 or client.rcpt("b@example.net")[0] != 250:
            return None
        code, reply = client.data(data)
        if code != 250:
            return None
        match = QUEUED_AS.search(reply.decode())
        assert match, f"250 without a queue id: {reply!r}"
        return match.group(1)
    except (OSError, smtplib.SMTPException):
        return None
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()


def spool_files(tmp_path: Path, folder: str = "msg") -> set[str]:
    return {p.name for p in (tmp_path / "queue" / folder).iterdir()}


def wait_spool_empty(tmp_path: Path, timeout: float, log: TensoProcess) -> None:
    deadline = time.monotonic() + timeout
    while spool_files(tmp_path):
        if time.monotonic() > deadline:
            left = sorted(spool_files(tmp_path))
            raise AssertionError(
                f"{len(left)} message(s) still in queue/msg after {timeout} s, such as "
                f"{left[:5]}; the gateway's log ends:\n{log.log[-3000:]}"
            )
        time.sleep(0.1)


def kill_mid_stream(
    first: TensoProcess,
    submit_one: Callable[[str], str | None],
    total: int,
    sessions: int,
    kill_after: int,
    name: str,
    timeout: float,
    together: bool = False,
) -> tuple[dict[str, str], list[str]]:
    """``total`` messages from ``sessions`` clients (all starting at once when ``together``), the
    gateway killed with SIGKILL once ``kill_after`` have their 250: which were acknowledged
    (Message-ID -> queue id from "250 ... queued as") and which were not."""
    acked: dict[str, str] = {}
    unacked: list[str] = []
    lock = threading.Condition()
    next_index = iter(range(total))
    start = threading.Barrier(sessions) if together else None

    def client() -> None:
        if start is not None:
            start.wait()  # all sessions at once, so that commits overlap
        while True:
            with lock:
                i = next(next_index, None)
            if i is None:
                return
            mid = f"{name}-{i:03d}@client.test"
            qid = submit_one(mid)
            with lock:
                if qid:
                    acked[mid] = qid
                else:
                    unacked.append(mid)
                lock.notify_all()

    threads = [threading.Thread(target=client, name=f"{name}-client-{n}") for n in range(sessions)]
    for t in threads:
        t.start()
    try:
        with lock:
            assert lock.wait_for(lambda: len(acked) >= kill_after or len(acked) + len(unacked) == total, timeout)
            assert len(acked) >= kill_after, f"only {len(acked)} acknowledged before any kill:\n{first.log}"
            os.kill(first.proc.pid, signal.SIGKILL)
    finally:
        for t in threads:
            t.join(60)
    assert first.proc.wait(10) == -signal.SIGKILL
    return acked, unacked


def arrived(upstream) -> dict[str, list[str]]:
    """Message-ID -> the queue ids in the Received headers of its copies at the upstream."""
    found: dict[str, list[str]] = {}
    for got in upstream.messages:
        mid = MESSAGE_ID.search(got.data)
        qid = RECEIVED_ID.search(got.data)
        assert mid and qid, got.data[:500]
        found.setdefault(mid.group(1).decode(), []).append(qid.group(1).decode())
    return found


def test_sigkill_during_200_acceptances_loses_no_acknowledged_message(tmp_path, tenso, upstream_factory):
    listen_port, upstream_port = free_port(), free_port()
    config = write_config(tmp_path, listen_port, upstream_port)
    first = tenso(config, listen_port)  # the upstream port is closed: every attempt is refused

    acked, unacked = kill_mid_stream(
        first, lambda mid: submit(listen_port, mid), TOTAL, CLIENT_THREADS, KILL_AFTER, "durability", 60
    )
    assert len(acked) + len(unacked) == TOTAL
    assert unacked, "the kill came after every message was accepted: nothing was tested mid-stream"

    # 250 only once on disk: every acknowledged message is a committed spool file.
    assert set(acked.values()) <= spool_files(tmp_path)
    # The first run's log follows each message by its queue id from arrival.
    log1 = first.log
    for qid in acked.values():
        assert re.search(rf"INFO {qid} accepted from=<a@lan\.test> to=<b@example\.net>", log1), qid
    assert "Traceback" not in log1

    upstream = upstream_factory(port=upstream_port)
    second = tenso(config, listen_port)
    wait_spool_empty(tmp_path, 20, second)

    got = arrived(upstream)
    missing = sorted(set(acked) - set(got))
    assert not missing, f"{len(missing)} acknowledged message(s) never arrived: {missing[:10]}"
    for mid, qid in acked.items():
        assert got[mid] == [qid], f"{mid}: expected one copy queued as {qid}, got {got[mid]}"
    extra = set(got) - set(acked)
    assert extra <= set(unacked)  # committed just before the kill, reply lost: may arrive
    assert all(len(qids) == 1 for qids in got.values()), "a message arrived twice"
    assert spool_files(tmp_path, "state") == set() and spool_files(tmp_path, "tmp") == set()

    # The delivery process's lines reach the log through Tenso's own process: the last of them
    # may come a moment after the spool is empty (seen with the tests side by side).
    wait_until(
        lambda: all(f"{qid} removed: delivered to every recipient" in second.log for qid in acked.values()),
        10,
        "every removal in the second run's log",
    )
    log2 = second.log
    for qid in acked.values():
        assert re.search(rf"INFO {qid} to=<b@example\.net> relay=127\.0\.0\.1:{upstream_port} state=sent", log2), qid
        assert f"{qid} removed: delivered to every recipient" in log2
    assert "Traceback" not in log2


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stop_signal_with_upstream_down_exits_0_and_keeps_queued_mail_for_next_start(
    tmp_path, tenso, upstream_factory, stop_signal
):
    listen_port, upstream_port = free_port(), free_port()
    config = write_config(tmp_path, listen_port, upstream_port)
    first = tenso(config, listen_port)

    acked = {f"clean-stop-{i}@client.test": submit(listen_port, f"clean-stop-{i}@client.test") for i in range(5)}
    assert all(acked.values()), acked
    for qid in acked.values():  # each has had its attempt refused: queued, waiting for a retry
        first.wait_log(rf"{qid} to=<b@example\.net> relay=127\.0\.0\.1:{upstream_port} state=deferred")

    began = time.monotonic()
    first.proc.send_signal(stop_signal)
    try:
        code = first.proc.wait(5)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running 5 s after {stop_signal.name}:\n{first.log}")
    assert code == 0, first.log
    assert time.monotonic() - began < 5
    assert "stopped" in first.log and "Traceback" not in first.log
    assert spool_files(tmp_path) == set(acked.values())

    upstream = upstream_factory(port=upstream_port)
    second = tenso(config, listen_port)
    wait_spool_empty(tmp_path, 20, second)
    got = arrived(upstream)
    assert got == {mid: [qid] for mid, qid in acked.items()}


def test_sigterm_with_an_idle_client_connected_still_exits_promptly(tmp_path, tenso):
    """A mail client that keeps its session open (EHLO, then nothing) must not hold up a stop.

    asyncio's Server.wait_closed() waits for every open connection from Python 3.12.1 on,
    so a gateway that only closes its listening sockets would wait for the client's
    timeout (server.timeout_seconds, 300 s by default) before exiting.
    """
    listen_port = free_port()
    config = write_config(tmp_path, listen_port, free_port())
    gateway = tenso(config, listen_port)
    with socket.create_connection(("127.0.0.1", listen_port), timeout=5) as idle:
        idle_file = idle.makefile("rb")
        assert idle_file.readline().startswith(b"220 ")
        idle.sendall(b"EHLO idle.client.test\r\n")
        while not idle_file.readline().startswith(b"250 "):
            pass
        gateway.proc.send_signal(signal.SIGTERM)
        try:
            code = gateway.proc.wait(5)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running 5 s after SIGTERM with an idle client connected:\n{gateway.log}")
        idle_file.close()
    assert code == 0, gateway.log
    assert "stopped" in gateway.log and "Traceback" not in gateway.log


# --- a full disk -------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A real 1 MiB filesystem (tmpfs) for the queue: Linux as root, as in CI; skipped elsewhere."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs Linux and root")
    folder = tmp_path / "small"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], capture_output=True, text=True
    )
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


def test_full_disk_answers_452_keeps_no_partial_file_and_accepts_again_once_mail_has_left(
    small_disk, gateway_factory, upstream_factory
):  # the disk first: unmounted after the gateway stops
    """The queue's disk fills up: the message that does not fit gets 452 4.3.1 (the client keeps it
    and retries), nothing half-written stays behind, the accepted ones are delivered once delivery
    goes on, and with room again the next message is accepted."""
    up = upstream_factory()
    gw = gateway_factory(
        rules=[{"match": "*", "destination": "127.0.0.1", "port": up.port, "tls": "none"}],
        queue={"dir": str(small_disk / "queue")},
    )
    gw.on_loop(gw.gateway.scheduler.pause, True)  # keep what is accepted on the small disk
    body = ("y" * 998 + "\r\n") * 300  # 300 KB: the fourth cannot fit in 1 MiB
    accepted: list[bytes] = []
    refused = None
    for i in range(8):
        data = f"From: a@lan.test\r\nTo: b@example.net\r\nSubject: fill {i}\r\n\r\n{body}".encode()
        try:
            send(gw.port, "a@lan.test", ["b@example.net"], data)
        except smtplib.SMTPDataError as exc:
            refused = exc
            break
        accepted.append(data)
    assert refused is not None, "1 MiB took 8 messages of 300 KB"
    assert (refused.smtp_code, refused.smtp_error[:5]) == (452, b"4.3.1"), refused
    assert 1 <= len(accepted) <= 3
    assert len(gw.spool.ids()) == len(accepted)
    assert list((small_disk / "queue" / "tmp").iterdir()) == [], "a partial file was left behind"

    gw.on_loop(gw.gateway.scheduler.pause, False)
    got = up.handler.wait_for(len(accepted), timeout=20)
    assert sorted(strip_received(m.data) for m in got) == sorted(accepted)
    deadline = time.monotonic() + 10
    while gw.spool.ids() and time.monotonic() < deadline:
        time.sleep(0.05)
    again = f"From: a@lan.test\r\nTo: b@example.net\r\nSubject: again\r\n\r\n{body}".encode()
    assert send(gw.port, "a@lan.test", ["b@example.net"], again) == {}
    got = up.handler.wait_for(len(accepted) + 1, timeout=20)
    assert sorted(strip_received(m.data) for m in got) == sorted([*accepted, again])


GROUP_TOTAL = 400
GROUP_SESSIONS = 40


def test_sigkill_while_40_sessions_commit_at_once_every_250_is_a_whole_file_in_the_spool(tmp_path, tenso):
    """Group commit (store/commit.py): with 40 sessions ending DATA together, messages are made
    durable in batches, one directory fsync each.  A kill -9 in the middle: every message that got
    its 250 is in msg/, whole (its envelope line and its own body), and nothing else is there."""
    listen_port, upstream_port = free_port(), free_port()
    config = write_config(tmp_path, listen_port, upstream_port)
    first = tenso(config, listen_port)  # the upstream port is closed: everything stays queued

    acked, unacked = kill_mid_stream(
        first,
        lambda mid: submit(listen_port, mid),
        GROUP_TOTAL,
        GROUP_SESSIONS,
        GROUP_TOTAL // 2,
        "group",
        90,
        together=True,
    )
    assert unacked, "the kill came after every message was accepted: nothing was tested mid-stream"

    committed = spool_files(tmp_path)
    missing = sorted(set(acked.values()) - committed)
    assert not missing, f"{len(missing)} message(s) answered 250 are not in the spool: {missing[:10]}"
    by_qid = {qid: mid for mid, qid in acked.items()}
    for qid in committed:
        raw = (tmp_path / "queue" / "msg" / qid).read_bytes()
        envelope, _, content = raw.partition(b"\n")
        assert json.loads(envelope)["recipients"] == ["b@example.net"], qid
        found = MESSAGE_ID.search(content)
        assert found, f"{qid}: no Message-ID, the file is cut short: {raw[-200:]!r}"
        mid = found.group(1).decode()
        assert content.endswith(f"body of {mid}\r\n".encode()), f"{qid} is not whole: {raw[-200:]!r}"
        if qid in by_qid:
            assert by_qid[qid] == mid, f"{qid} holds {mid}, but was answered 250 for {by_qid[qid]}"
        else:
            assert mid in unacked, f"{qid} holds {mid}, which was neither acknowledged nor refused"
