"""The delivery process (app/deliver/worker.py, app/deliver/worker_main.py): a real child, killed for real.

Delivery attempts run in ``python -m app delivery-worker``, a child of Tenso talking JSON
lines over its stdin and stdout.  These tests kill that child and Tenso itself with real
signals, deliver real mail over 127.0.0.1 and read the real log: the child is replaced when
it dies, dies when Tenso dies, sends its log lines and the messages it created (bounces)
back to the parent, and gets new settings when they change.  Finding processes reads
/proc, so the tests that need it run on Linux only.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from app.deliver import worker
from tests.support.gateway import make_settings, rule
from tests.support.logs import LogCapture
from tests.support.processes import TensoProcess, children_running, free_port, gone, stat, write_config
from tests.support.smtp import message, send
from tests.support.waiting import wait_until

LINUX = sys.platform.startswith("linux")
needs_proc = pytest.mark.skipif(not LINUX, reason="finds processes through /proc")
READER_THREAD = "delivery-process-reader"  # the parent's thread that reads the child's lines
STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"  # the parent's log format: time, level, message


# --- processes ------------------------------------------------------------------------------------


def delivery_children(parent: int) -> list[tuple[int, int]]:
    """The live ``delivery-worker`` children of ``parent``, as (pid, start time)."""
    return children_running(parent, worker.COMMAND)


def one_delivery_child(parent: int, timeout: float = 5.0) -> tuple[int, int]:
    children = wait_until(lambda: delivery_children(parent), timeout, f"a delivery-worker child of {parent}")
    assert len(children) == 1, f"expected one delivery-worker child of {parent}, found {children}"
    return children[0]


def queue_ids(gw) -> set[str]:
    return set(gw.spool.ids())


def delivered(up, rcpt: str) -> list:
    """The copies the upstream received for exactly this one recipient."""
    return [m for m in up.messages if m.rcpt_tos == [rcpt]]


class SilentPeer:
    """A TCP listener that accepts and never answers: an SMTP attempt to it hangs before the greeting."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.connections: list[socket.socket] = []

    def wait_connection(self, timeout: float = 10.0) -> socket.socket:
        ready, _, _ = select.select([self.sock], [], [], timeout)
        assert ready, f"no connection to the silent peer on port {self.port} within {timeout} s"
        conn, _ = self.sock.accept()
        self.connections.append(conn)
        return conn

    def hang_up(self) -> None:
        """Closes the connections: a hanging attempt ends at once (deferred) instead of after 30 s."""
        while self.connections:
            self.connections.pop().close()

    def close(self) -> None:
        self.hang_up()
        self.sock.close()


@pytest.fixture
def silent_peer():
    """List it after ``gateway_factory`` so it hangs up first and the gateway's stop does not wait."""
    peer = SilentPeer()
    yield peer
    peer.close()


@pytest.fixture
def headless(tenso, tmp_path, monkeypatch):
    """``python -m app --headless`` processes forwarding to ``upstream_port`` (conftest's
    ``tenso`` fixture: killed at teardown)."""
    monkeypatch.delenv("TENSO_DELIVERY_PROCESS", raising=False)  # the default: a delivery process

    def start(upstream_port: int) -> TensoProcess:
        port = free_port()
        return tenso(write_config(tmp_path, port, upstream_port), port)

    return start


# --- the child dies: the next attempt starts another ----------------------------------------------


@needs_proc
def test_attempts_that_find_the_delivery_process_gone_share_one_restart(gateway_factory, upstream_factory):
    """Attempts that find the child dead in the same turn wait for one restart, not one each
    (each used to count as another failure: 0, 2, 4, 8 ... s behind a child that was running)."""
    up = upstream_factory()
    with LogCapture() as log:
        gw = gateway_factory(rules=[rule(up.port)])
        process = gw.gateway.scheduler.process
        first = process._proc
        os.kill(first.pid, signal.SIGKILL)
        wait_until(lambda: first.returncode is not None and first.stdout.closed, 5, "the parent noticing")
        gw.call(asyncio.sleep(0))

        async def six_at_once():
            # Ids not in the queue: the child answers each at once ("deleted meanwhile").
            return await asyncio.gather(*(process.attempt(f"NOSUCH{i}", False, False) for i in range(6)))

        results = gw.call(six_at_once(), timeout=20)
        assert [r.next_try for r in results] == [None] * 6, results
        assert len(log.matching(r"the delivery process ended .*; starting it again")) == 1, log.text()
        assert [pid for pid, _ in delivery_children(os.getpid())] == [process._proc.pid]


@needs_proc
def test_killed_delivery_process_is_replaced_and_the_next_mail_is_delivered(gateway_factory, upstream_factory):
    up = upstream_factory()
    with LogCapture() as log:
        gw = gateway_factory(rules=[rule(up.port)])
        process = gw.gateway.scheduler.process
        assert process is not None, "TENSO_DELIVERY_PROCESS is not 0: attempts should run in a child"
        first = process._proc
        assert delivery_children(os.getpid()) == [(first.pid, stat(first.pid)[2])]
        send(gw.port, "a@lan.test", ["one@example.net"], message("before the kill"))
        up.handler.wait_for(1)
        # Idle, so no attempt is lost (one would wait a minute): the upstream's 250 is not the end of
        # the attempt, the child still removes the message and answers.
        wait_until(lambda: not queue_ids(gw) and not process._pending, 5, "the first attempt finishing")

        os.kill(first.pid, signal.SIGKILL)
        # The reader thread reaps the child and closes both pipes (no descriptors left behind), then
        # hands the news to the loop; one trip through the loop makes sure it has been taken.
        wait_until(
            lambda: first.returncode is not None and first.stdin.closed and first.stdout.closed,
            5,
            "the parent noticing its child's death",
        )
        assert first.returncode == -signal.SIGKILL
        gw.call(asyncio.sleep(0))

        began = time.monotonic()
        send(gw.port, "a@lan.test", ["two@example.net"], message("after the kill"))
        got = up.handler.wait_for(2, timeout=10)
        took = time.monotonic() - began
        assert got[1].rcpt_tos == ["two@example.net"]
        assert took < 5, f"the mail after the kill took {took:.1f} s (a lost attempt waits 60 s)"

        second = process._proc
        assert second is not first and second.pid != first.pid
        assert second.poll() is None
        assert [pid for pid, _ in delivery_children(os.getpid())] == [second.pid]
        wait_until(lambda: not queue_ids(gw), 5, "the queue emptying")
        # The child removes the message before its lines have crossed the pipe to the reader thread.
        wait_until(lambda: log.matching(r"removed: delivered to every recipient")[1:], 5, "the child's lines")

    ended = log.matching(r"^the delivery process ended \(exit status -9\); starting it again$")
    assert [level for level, _, _ in ended] == [logging.ERROR], log.text()
    assert not log.matching("attempt\\(s\\) running"), log.text()  # it was idle: nothing to retry later
    # The new child's line for the new mail came over its pipe: logged here by the reader thread.
    sent = log.matching(r"to=<two@example\.net> relay=127\.0\.0\.1:\d+ state=sent")
    assert [thread for _, _, thread in sent] == [READER_THREAD], log.text()


@needs_proc
def test_attempt_running_when_the_child_dies_is_answered_and_retry_now_delivers_it(
    gateway_factory, upstream_factory, silent_peer, tmp_path
):
    up = upstream_factory()
    with LogCapture() as log:
        gw = gateway_factory(make_settings(tmp_path, rules=[rule(silent_peer.port)]))
        process = gw.gateway.scheduler.process
        first = process._proc
        send(gw.port, "a@lan.test", ["stuck@example.net"], message("stuck"))
        (qid,) = queue_ids(gw)
        silent_peer.wait_connection()  # the child is in the attempt, waiting for a greeting
        assert process._pending, "the parent should be waiting for the child's answer"

        os.kill(first.pid, signal.SIGKILL)
        line = wait_until(
            lambda: log.matching(r"ended \(exit status -9\) with 1 attempt\(s\) running"),
            5,
            "the parent reporting the lost attempt",
        )
        assert line[0][0] == logging.ERROR
        wait_until(lambda: not process._pending, 5, "the lost attempt answered")
        assert queue_ids(gw) == {qid}  # still queued: the attempt never finished

        # An administrator points the route elsewhere and says "retry now": no minute's wait.
        gw.call(gw.gateway.reconfigure(make_settings(tmp_path, rules=[rule(up.port)])))
        gw.loop.call_soon_threadsafe(gw.gateway.scheduler.retry, qid)
        (got,) = up.handler.wait_for(1, timeout=10)
        assert got.rcpt_tos == ["stuck@example.net"]
        wait_until(lambda: not queue_ids(gw), 5, "the queue emptying")
        assert process._proc is not first and process._proc.poll() is None


# --- Tenso dies: the child goes with it ----------------------------------------------------------


@needs_proc
@pytest.mark.parametrize("busy", [False, True], ids=["idle", "mid-attempt"])
def test_sigkill_of_tenso_ends_its_delivery_process(headless, silent_peer, busy):
    tenso = headless(silent_peer.port)
    child = one_delivery_child(tenso.proc.pid)
    if busy:
        # The child is in an attempt that would hang for 30 s (the peer never greets): it must
        # end anyway (its input ends, PR_SET_PDEATHSIG), not live on to finish the attempt.
        assert send(tenso.port, "a@lan.test", ["b@example.net"], message("in flight")) == {}
        conn = silent_peer.wait_connection()
    assert not gone(child)

    os.kill(tenso.proc.pid, signal.SIGKILL)
    assert tenso.proc.wait(5) == -signal.SIGKILL
    began = time.monotonic()
    wait_until(lambda: gone(child), 3, f"delivery-worker {child[0]} ending after Tenso was killed")
    assert time.monotonic() - began < 3
    if busy:  # and its session with the peer is closed, not left half-open
        conn.settimeout(3)
        assert conn.recv(1) == b""


@needs_proc
def test_sigterm_stops_tenso_with_exit_0_and_its_delivery_process(headless, upstream_factory):
    up = upstream_factory()
    tenso = headless(up.port)
    child = one_delivery_child(tenso.proc.pid)
    assert send(tenso.port, "a@lan.test", ["b@example.net"], message("before stopping")) == {}
    up.handler.wait_for(1)

    tenso.proc.send_signal(signal.SIGTERM)
    try:
        code = tenso.proc.wait(5)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running 5 s after SIGTERM:\n{tenso.log}")
    assert code == 0, tenso.log
    wait_until(lambda: gone(child), 3, f"delivery-worker {child[0]} ending with Tenso")
    assert "Traceback" not in tenso.log
    assert "the delivery process ended" not in tenso.log  # a clean stop is not reported as a crash


# --- what crosses the pipe: log lines and created messages -------------------------------------------


@needs_proc
def test_child_log_lines_and_bounce_reach_the_parent(headless, upstream_factory):
    up = upstream_factory()
    up.handler.rcpt_replies["bad@example.net"] = "550 5.1.1 <bad@example.net>: no such user"
    tenso = headless(up.port)
    one_delivery_child(tenso.proc.pid)  # attempts run there, so every delivery line below came from it

    refused = send(tenso.port, "a@lan.test", ["good@example.net", "bad@example.net"], message("half bounces"))
    assert refused == {}  # Tenso accepts both; the upstream refuses one later
    tenso.wait_log(r"bounced: DSN", timeout=10)
    qid = re.search(r"INFO (\S+) accepted from=<a@lan\.test>", tenso.log).group(1)
    dsn = re.search(
        rf"INFO {qid} bounced: DSN \((\S+)\) to <a@lan\.test> for <bad@example\.net>$", tenso.log, re.MULTILINE
    )
    assert dsn, tenso.log
    dsn = dsn.group(1)

    # The bounce the child stored is attempted now (its id came back with the answer), from <>.
    got = up.handler.wait_for(2, timeout=10)
    original, bounce = sorted(got, key=lambda m: m.mail_from == "<>")  # aiosmtpd writes <> as "<>"
    assert (original.mail_from, original.rcpt_tos) == ("a@lan.test", ["good@example.net"])
    assert (bounce.mail_from, bounce.rcpt_tos) == ("<>", ["a@lan.test"])
    assert b"bad@example.net" in bounce.data and b"550 5.1.1" in bounce.data
    tenso.wait_log(rf"{dsn} removed: delivered to every recipient", timeout=10)

    log = tenso.log
    relay = rf"relay=127\.0\.0\.1:{up.port}"
    for line in (
        rf"INFO {qid} to=<good@example\.net> {relay} state=sent reply=250 ",
        rf"INFO {qid} to=<bad@example\.net> {relay} state=failed reply=550 5\.1\.1 ",
        rf"INFO {qid} bounced: DSN \({dsn}\) to <a@lan\.test> for <bad@example\.net>$",
        rf"INFO {qid} removed: every recipient delivered or bounced$",
        rf"INFO {dsn} to=<a@lan\.test> {relay} state=sent reply=250 ",
    ):
        # Once each, formatted by the parent (time stamp and level), not printed by the child itself.
        found = re.findall(rf"^{STAMP} {line}", log, re.MULTILINE)
        assert len(found) == 1, f"{line!r} found {len(found)} times in:\n{log}"
    assert "Traceback" not in log and "delivery process:" not in log


# --- without a delivery process ---------------------------------------------------------------------


def test_delivery_process_0_delivers_in_threads_without_a_child(gateway_factory, upstream_factory, monkeypatch):
    monkeypatch.setenv("TENSO_DELIVERY_PROCESS", "0")
    up = upstream_factory()
    with LogCapture() as log:
        gw = gateway_factory(rules=[rule(up.port)])
        scheduler = gw.gateway.scheduler
        assert scheduler.process is None and scheduler.executor is not None
        send(gw.port, "a@lan.test", ["b@example.net"], message("in a thread"))
        (got,) = up.handler.wait_for(1)
        assert got.rcpt_tos == ["b@example.net"]
        if LINUX:
            assert delivery_children(os.getpid()) == []
        # The upstream has the message before the sender has read its 250 and logged "sent".
        wait_until(lambda: log.matching(r"to=<b@example\.net> .*state=sent"), what="the sent line")
    sent = log.matching(r"to=<b@example\.net> relay=127\.0\.0\.1:\d+ state=sent")
    assert len(sent) == 1 and sent[0][2] != READER_THREAD, log.text()


# --- new settings reach the child ---------------------------------------------------------------------


def test_reconfigured_route_reaches_the_running_child(gateway_factory, upstream_factory, tmp_path):
    a, b = upstream_factory(), upstream_factory()
    gw = gateway_factory(make_settings(tmp_path, rules=[rule(a.port)]))
    first = gw.gateway.scheduler.process._proc
    send(gw.port, "a@lan.test", ["first@example.net"], message("to A"))
    (got,) = a.handler.wait_for(1)
    assert got.rcpt_tos == ["first@example.net"]

    gw.call(gw.gateway.reconfigure(make_settings(tmp_path, rules=[rule(b.port)])))
    send(gw.port, "a@lan.test", ["second@example.net"], message("to B"))
    (got,) = b.handler.wait_for(1, timeout=10)
    assert got.rcpt_tos == ["second@example.net"]
    assert len(a.messages) == 1, "the child still routes with the old settings"

    # And back again: each change is sent, not only the first.
    gw.call(gw.gateway.reconfigure(make_settings(tmp_path, rules=[rule(a.port)])))
    send(gw.port, "a@lan.test", ["third@example.net"], message("to A again"))
    got = a.handler.wait_for(2, timeout=10)
    assert got[1].rcpt_tos == ["third@example.net"] and len(b.messages) == 1
    assert gw.gateway.scheduler.process._proc is first  # the same child: told over its pipe, not restarted


def test_two_settings_changes_in_a_row_both_reach_the_child(gateway_factory, upstream_factory, tmp_path):
    """Two applies with no mail between them, many times over: the next mail follows the last one.

    Settings told to the child were once recognised by id(): a new Settings object often took the
    address of the one last sent (freed by the first change), and the child kept the old route.
    """
    ups = [upstream_factory(), upstream_factory()]
    gw = gateway_factory(make_settings(tmp_path, rules=[rule(ups[0].port)]))
    route = 0
    for round_ in range(40):
        counts = [len(u.messages) for u in ups]
        expected = sum(counts) + 1
        send(gw.port, "a@lan.test", [f"round{round_}@example.net"], message())
        wait_until(lambda n=expected: sum(len(u.messages) for u in ups) >= n, 10, f"round {round_}'s mail")
        assert len(ups[route].messages) == counts[route] + 1, (
            f"round {round_}: the mail went to upstream {1 - route}, the route before the last two changes"
        )
        wait_until(lambda: not queue_ids(gw), 5, "the attempt finishing")
        # Something else changed and applied, then the route changed and applied: no mail between.
        gw.call(
            gw.gateway.reconfigure(
                make_settings(tmp_path, rules=[rule(ups[route].port)], options={"max_forward_count": 20 + round_ % 2})
            )
        )
        route = 1 - route
        gw.call(gw.gateway.reconfigure(make_settings(tmp_path, rules=[rule(ups[route].port)])))


class HoldNotice:
    """Holds the parent between seeing its child's output end and being told it has ended, as a
    slow exit would: the parent learns late that its child is gone.  (The end is awaited in a
    thread, ``Worker._ended``; this one waits first.)"""

    def __init__(self, worker) -> None:
        self.holding = threading.Event()
        self.go_on = threading.Event()
        original = worker._ended

        def held() -> None:
            self.holding.set()
            self.go_on.wait(20)
            original()

        worker._ended = held


@needs_proc
def test_attempts_of_a_dead_child_are_answered_even_when_new_mail_comes_before_the_parent_notices(
    gateway_factory, upstream_factory, silent_peer, tmp_path
):
    """New mail attempted between the child's death and the parent noticing it must not orphan the
    attempts the dead child had.  (Once, an attempt that found the child dead by poll() started a new
    one first; the reader's late report of the old child's end was then ignored, and its attempts
    stayed "running" until Tenso was restarted: retry now could not reach them.)"""
    up = upstream_factory()
    hold = None
    try:
        with LogCapture() as log:
            gw = gateway_factory(make_settings(tmp_path, rules=[rule(silent_peer.port, "@hang.test"), rule(up.port)]))
            process = gw.gateway.scheduler.process
            first = process._proc
            send(gw.port, "a@lan.test", ["stuck@hang.test"], message("stuck"))
            (stuck,) = queue_ids(gw)
            silent_peer.wait_connection()  # its attempt is running in the child

            hold = HoldNotice(process._worker)
            os.kill(first.pid, signal.SIGKILL)
            wait_until(lambda: (stat(first.pid) or "X")[0] in "ZX", 5, "the killed child ending")
            assert hold.holding.wait(10), "the parent never saw the child's output end"
            before = queue_ids(gw)
            send(gw.port, "a@lan.test", ["after@example.net"], message("after the kill"))
            (after,) = queue_ids(gw) - before
            scheduler = gw.gateway.scheduler
            wait_until(
                lambda: after in scheduler._in_flight or delivered(up, "after@example.net"),
                5,
                "the new mail's attempt starting while the parent still knows nothing",
            )
            hold.go_on.set()

            line = wait_until(
                lambda: log.matching(r"ended \(exit status -9\) with \d+ attempt\(s\) running"),
                5,
                f"the lost attempts reported; still waiting for the dead child: {process._pending}",
            )
            assert line[0][0] == logging.ERROR
            wait_until(lambda: not process._pending, 5, "every attempt given to the dead child answered")

            # Retry now (after pointing the stuck route at the upstream) reaches both messages at once.
            gw.call(gw.gateway.reconfigure(make_settings(tmp_path, rules=[rule(up.port)])))
            gw.loop.call_soon_threadsafe(gw.gateway.scheduler.retry, None)
            for rcpt in ("stuck@hang.test", "after@example.net"):
                wait_until(lambda r=rcpt: delivered(up, r), 10, f"{rcpt} delivered")
            wait_until(lambda: not ({stuck, after} & queue_ids(gw)), 5, "both messages leaving the queue")
            assert process._proc is not first and process._proc.poll() is None
    finally:
        if hold is not None:
            hold.go_on.set()
