"""The queue (docs/delivery-and-queue.md, "The queue"): retries, restarts, expiry, bounces and delay warnings,
the backup folder, and queue control from ``python -m app queue`` while a gateway runs and when
none does.

Retries are triggered with the scheduler's "retry now" (as the window does) or the queue
command, never by waiting minutes.  Old messages are made by rewriting the envelope line of a
spooled message while the gateway is stopped.
"""

from __future__ import annotations

import asyncio
import json
import smtplib
import socketserver
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from app import settings as settings_mod
from app.deliver import backup as backup_copies
from app.deliver import scheduler
from tests.support import REPO
from tests.support.gateway import recipients, retry_now, rule, set_received_at, wait_attempts
from tests.support.logs import TensoLog
from tests.support.mail import delivery_status, parse, returned_headers
from tests.support.processes import dead_port, revive
from tests.support.processes import free_port as _free_port
from tests.support.smtp import message, send, strip_received
from tests.support.waiting import wait_until

SENDER = "a@lan.test"


def hold_at_mail(up) -> tuple[threading.Event, threading.Event]:
    """Makes the upstream wait in MAIL until ``gate`` is set; ``entered`` is set when a session gets there."""
    gate, entered = threading.Event(), threading.Event()
    original = up.handler.handle_MAIL

    async def held(server, session, envelope, address, options):
        entered.set()
        await asyncio.to_thread(gate.wait, 30)
        return await original(server, session, envelope, address, options)

    up.handler.handle_MAIL = held
    return gate, entered


def only_id(gw) -> str:
    wait_until(lambda: len(gw.spool.ids()) == 1, what="one queued message")
    return gw.spool.ids()[0]


def retry_until(gw, qid: str, attempts: int) -> None:
    """Asks for "retry now" until attempt number ``attempts`` is recorded (or the message is gone).
    Asking again covers a request that met the previous attempt still finishing (see the
    in-flight test below)."""
    for _ in range(10):
        retry_now(gw, qid)
        try:
            wait_attempts(gw, qid, attempts, timeout=1.0)
            return
        except AssertionError:
            continue
    raise AssertionError(f"{qid} never reached attempt {attempts}")


def bounce_reports(up) -> list:
    return [parse(m.data) for m in up.messages if m.mail_from == "<>"]


# --- retries, restarts, expiry ------------------------------------------------------------------


def test_temporary_failures_are_retried_until_accepted_and_delivered_once(gateway_factory, upstream_factory):
    up = upstream_factory()
    up.handler.data_replies = ["451 4.3.0 busy", "451 4.3.0 busy"]
    with TensoLog() as log:
        gw = gateway_factory(rules=[rule(up.port)])
        data = message("third time lucky")
        send(gw.port, SENDER, ["x@example.net"], data)
        qid = only_id(gw)
        first = wait_attempts(gw, qid, 1)["x@example.net"]
        assert (first.state, first.reply) == ("deferred", "451 4.3.0 busy")
        assert first.next_try - first.updated > 60  # waits for the schedule, not a busy loop
        retry_until(gw, qid, 2)
        second = recipients(gw, qid)["x@example.net"]
        assert (second.state, second.attempts) == ("deferred", 2)
        retry_until(gw, qid, 3)
        (got,) = up.handler.wait_for(1)
        wait_until(lambda: gw.spool.ids() == [], what="delivered message removed")
    assert strip_received(got.data) == data
    assert up.handler.data_replies == []
    assert len(log.matching(qid, "to=<x@example.net>", "state=")) == 3
    assert len(log.matching(qid, "state=sent")) == 1
    time.sleep(0.2)
    assert len(up.messages) == 1


def test_message_waiting_for_a_down_upstream_is_delivered_after_a_restart(gateway_factory, upstream_factory):
    port = _free_port()  # nothing listens yet
    gw = gateway_factory(rules=[rule(port)])
    data = message("survives a restart")
    send(gw.port, SENDER, ["x@example.net"], data)
    qid = only_id(gw)
    assert wait_attempts(gw, qid, 1)["x@example.net"].state == "deferred"
    settings = gw.gateway.settings
    gw.stop()
    up = upstream_factory(port=port)
    again = gateway_factory(settings=settings)  # same queue folder
    (got,) = up.handler.wait_for(1)
    assert strip_received(got.data) == data and got.rcpt_tos == ["x@example.net"]
    wait_until(lambda: again.spool.ids() == [], what="queue empty after delivery")


def _old_message(gateway_factory, upstream_factory, hours_ago: float, **sections):
    """A message to a dead destination whose arrival is ``hours_ago`` hours back, queued in a
    gateway that has just been restarted.  Mail for anyone else (the sender) reaches ``up``."""
    up = upstream_factory()
    dead = dead_port()
    gw = gateway_factory(rules=[rule(dead, "@example.net"), rule(up.port)], **sections)
    send(gw.port, SENDER, ["x@example.net"], message("waiting a long time"))
    qid = only_id(gw)
    wait_attempts(gw, qid, 1)
    settings = gw.gateway.settings
    gw.stop()
    set_received_at(settings.queue_dir, qid, time.time() - hours_ago * 3600)
    return up, gateway_factory(settings=settings), qid


def test_expired_message_bounces_with_a_4_4_7_delivery_status_notification(gateway_factory, upstream_factory):
    up, gw, qid = _old_message(gateway_factory, upstream_factory, 2, queue={"max_age_hours": 1})
    (dsn,) = up.handler.wait_for(1)
    assert (dsn.mail_from, dsn.rcpt_tos) == ("<>", [SENDER])
    report = parse(dsn.data)
    (status,) = delivery_status(report)
    assert status["Final-Recipient"] == "rfc822; x@example.net"
    assert status["Action"] == "failed"
    assert status["Status"] == "4.4.7"
    assert status["Diagnostic-Code"].startswith("smtp; ") and "451" in status["Diagnostic-Code"]
    assert returned_headers(report)["Subject"] == "waiting a long time"
    wait_until(lambda: gw.spool.ids() == [], what="expired message removed")


def test_delay_warning_is_sent_once_and_the_message_stays_queued(gateway_factory, upstream_factory):
    up, gw, qid = _old_message(gateway_factory, upstream_factory, 2, delivery={"delay_warning_hours": 1})
    (dsn,) = up.handler.wait_for(1)
    assert (dsn.mail_from, dsn.rcpt_tos) == ("<>", [SENDER])
    report = parse(dsn.data)
    (status,) = delivery_status(report)
    assert status["Final-Recipient"] == "rfc822; x@example.net"
    assert status["Action"] == "delayed" and status["Status"].startswith("4.")
    assert returned_headers(report)["Subject"] == "waiting a long time"
    wait_until(lambda: gw.spool.ids() == [qid], what="only the waiting message left")
    assert recipients(gw, qid)["x@example.net"].state == "deferred"
    retry_until(gw, qid, 3)
    wait_until(lambda: gw.spool.ids() == [qid], what="only the waiting message left")
    assert len(up.messages) == 1  # no second warning for the same recipient


def test_bounce_is_never_sent_to_the_null_sender(gateway_factory, upstream_factory):
    up = upstream_factory()
    up.handler.rcpt_replies = {"nobody@example.net": "550 5.1.1 no such user"}
    with TensoLog() as log:
        gw = gateway_factory(rules=[rule(up.port)])
        send(gw.port, "", ["nobody@example.net"], message("a bounce that bounces"))
        wait_until(lambda: log.matching("removed"), what="message finished")
        time.sleep(0.3)
    assert gw.spool.ids() == []
    assert up.messages == []
    assert log.matching("550 5.1.1")  # it did fail permanently...
    assert not log.matching("DSN")  # ...and no report was written for it


def test_each_recipient_outcome_is_handled_on_its_own(gateway_factory, upstream_factory):
    up = upstream_factory()
    up.handler.rcpt_replies = {
        "later@example.net": "451 4.2.0 try later",
        "nobody@example.net": "550 5.1.1 no such user",
    }
    gw = gateway_factory(rules=[rule(up.port)])
    send(gw.port, SENDER, ["ok@example.net", "later@example.net", "nobody@example.net"], message("mixed"))
    qid = only_id(gw)
    state = wait_attempts(gw, qid, 1)
    assert {a: r.state for a, r in state.items()} == {
        "ok@example.net": "sent",
        "later@example.net": "deferred",
        "nobody@example.net": "bounced",
    }
    up.handler.wait_for(2)  # the message to ok@, and the bounce for nobody@
    del up.handler.rcpt_replies["later@example.net"]
    retry_now(gw, qid)
    wait_until(lambda: gw.spool.ids() == [], what="queue empty")
    got = up.handler.wait_for(3)
    relayed = sorted(m.rcpt_tos for m in got if m.mail_from == SENDER)
    assert relayed == [["later@example.net"], ["ok@example.net"]]  # nobody twice, nobody@ never
    (report,) = bounce_reports(up)
    assert [s["Final-Recipient"] for s in delivery_status(report)] == ["rfc822; nobody@example.net"]


class _SlowRefuser(socketserver.ThreadingTCPServer):
    """Takes half a second before saying 421: a delivery attempt that is in flight for a while."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        self.connections = 0
        super().__init__(("127.0.0.1", 0), _SlowGreeting)


class _SlowGreeting(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        self.server.connections += 1
        time.sleep(0.5)
        self.wfile.write(b"421 4.3.2 busy, come back later\r\n")


@pytest.fixture
def slow_refuser():
    server = _SlowRefuser()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_retry_now_requested_during_an_attempt_is_not_lost(slow_refuser, gateway_factory):
    gw = gateway_factory(rules=[rule(slow_refuser.server_address[1])])
    send(gw.port, SENDER, ["x@example.net"], message("retry me"))
    qid = only_id(gw)
    wait_until(lambda: slow_refuser.connections == 1, what="first attempt connected")
    retry_now(gw, qid)  # the administrator presses "retry now" while that attempt still waits
    wait_until(lambda: recipients(gw, qid)["x@example.net"].attempts >= 1, what="first attempt recorded")
    # The request must lead to another attempt now, not at the next scheduled time (5 minutes away).
    wait_until(
        lambda: recipients(gw, qid)["x@example.net"].attempts >= 2,
        timeout=3,
        what="the retry requested during the first attempt",
    )


# --- backup (送信メールのバックアップ) ---------------------------------------------------------------


def test_backup_keeps_one_eml_per_relayed_message_in_a_day_folder(gateway_factory, upstream_factory, tmp_path):
    up = upstream_factory()
    up.handler.data_replies = ["451 4.3.0 busy"]  # the first message needs a second attempt
    backup = tmp_path / "backup"
    days = {date.today().isoformat()}
    gw = gateway_factory(rules=[rule(up.port)], backup={"enabled": True, "dir": str(backup)})
    send(gw.port, SENDER, ["x@example.net"], message("one"))
    first = only_id(gw)
    wait_attempts(gw, first, 1)
    retry_until(gw, first, 2)
    send(gw.port, SENDER, ["y@example.net"], message("two"))
    got = up.handler.wait_for(2)
    wait_until(lambda: gw.spool.ids() == [], what="queue empty")
    days.add(date.today().isoformat())
    (folder,) = list(backup.iterdir())
    assert folder.name in days
    copies = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert len(copies) == 2 and f"{first}.eml" in copies
    assert sorted(copies.values()) == sorted(m.data for m in got)  # as relayed, Received included


def test_prune_removes_day_folders_older_than_keep_days(gateway_factory, tmp_path):
    backup = tmp_path / "backup"
    (backup / "2000-01-01").mkdir(parents=True)
    (backup / "2000-01-01" / "old.eml").write_bytes(b"Subject: old\r\n\r\nold\r\n")
    gw = gateway_factory(backup={"enabled": True, "dir": str(backup), "keep_days": 30})
    wait_until(lambda: not (backup / "2000-01-01").exists(), what="pruned at start")
    recent = (date.today() - timedelta(days=3)).isoformat()
    for name in ("2001-02-03", recent, "notes"):
        (backup / name).mkdir()
        (backup / name / "x.eml").write_bytes(b"Subject: x\r\n\r\nx\r\n")
    assert backup_copies.prune(gw.gateway.settings) == 1
    assert sorted(p.name for p in backup.iterdir()) == sorted([recent, "notes"])


# --- python -m app queue ---------------------------------------------------------------------------


def _config(tmp_path: Path, rules: list[dict]) -> Path:
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps(
            {
                "version": 1,
                "server": {"listen": ["127.0.0.1:0"], "hostname": "tenso.test"},
                "rules": rules,
                "queue": {"dir": str(tmp_path / "queue")},
                "mailbox_dir": str(tmp_path / "mailboxes"),
            }
        ),
        encoding="utf-8",
    )
    return path


def three_control_polls() -> float:
    """Longer than the queue runner takes to see a request in the control folder (pause, retry...):
    three of its CONTROL_POLL_SECONDS (5 s; 0.1 s in the tests' gateways, gateway_factory)."""
    return 3 * scheduler.CONTROL_POLL_SECONDS


def queue_cli(config: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", "queue", *args, "--config", str(config)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.fixture
def queued(tmp_path, gateway_factory, upstream_factory):
    """A running gateway from a settings file; mail to example.net waits for a dead port, the
    rest (the sender's bounces) reaches ``up``.  Returns (config, gw, up, dead_port, qid)."""
    up = upstream_factory()
    dead = dead_port()
    config = _config(tmp_path, [rule(dead, "@example.net"), rule(up.port)])
    gw = gateway_factory(settings=settings_mod.load(config))
    send(gw.port, SENDER, ["x@example.net"], message("queued for the cli"))
    qid = only_id(gw)
    wait_attempts(gw, qid, 1)
    return config, gw, up, dead, qid


def test_queue_list_shows_each_message_with_its_state_and_reply(queued):
    config, gw, _, dead, qid = queued
    done = queue_cli(config, "list")
    assert done.returncode == 0, done.stderr
    assert qid in done.stdout and f"from <{SENDER}>" in done.stdout
    assert "<x@example.net>  deferred  attempts 1" in done.stdout
    assert f"127.0.0.1:{dead}" in done.stdout  # the last reply, naming where it tried
    listed = json.loads(queue_cli(config, "list", "--json").stdout)
    assert [m["id"] for m in listed] == [qid]
    (rcpt,) = listed[0]["recipients"]
    assert listed[0]["sender"] == SENDER
    assert (rcpt["address"], rcpt["state"], rcpt["attempts"]) == ("x@example.net", "deferred", 1)
    # ISO 8601 with the offset, as status --json (issue 25)
    assert rcpt["reply"].startswith("451") and datetime.fromisoformat(rcpt["next_try"]).timestamp() > time.time()


def test_queue_retry_delivers_once_the_upstream_is_up(queued, upstream_factory):
    config, gw, _, dead, qid = queued
    revive(dead)  # the destination comes up, on the port the mail waits for
    late = upstream_factory(port=dead)
    done = queue_cli(config, "retry", qid)
    assert done.returncode == 0 and "requested" in done.stdout, done.stdout + done.stderr
    (got,) = late.handler.wait_for(1, timeout=10)
    assert got.rcpt_tos == ["x@example.net"]
    wait_until(lambda: gw.spool.ids() == [], what="queue empty")


def test_queue_bounce_returns_the_message_to_the_sender(queued):
    config, gw, up, _, qid = queued
    assert queue_cli(config, "bounce", qid).returncode == 0
    (dsn,) = up.handler.wait_for(1, timeout=10)
    assert (dsn.mail_from, dsn.rcpt_tos) == ("<>", [SENDER])
    (status,) = delivery_status(parse(dsn.data))
    assert status["Final-Recipient"] == "rfc822; x@example.net" and status["Action"] == "failed"
    assert "administrator" in status["Diagnostic-Code"]
    wait_until(lambda: gw.spool.ids() == [], what="queue empty")


def test_queue_delete_removes_the_message_without_a_bounce(queued):
    config, gw, up, _, qid = queued
    assert queue_cli(config, "delete", qid).returncode == 0
    wait_until(lambda: gw.spool.ids() == [], what="message deleted")
    time.sleep(0.3)
    assert up.messages == []
    assert queue_cli(config, "delete", qid).returncode == 1  # "not in the queue" now


def test_queue_pause_keeps_accepting_mail_and_resume_delivers_it(tmp_path, gateway_factory, upstream_factory):
    up = upstream_factory()
    config = _config(tmp_path, [rule(up.port)])
    gw = gateway_factory(settings=settings_mod.load(config))
    assert queue_cli(config, "pause").returncode == 0
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=30) as client:
        client.sendmail(SENDER, ["x@example.net"], message("held"))
        code, _ = client.noop()
    assert code == 250
    qid = only_id(gw)
    time.sleep(three_control_polls())
    assert up.messages == []
    assert recipients(gw, qid)["x@example.net"].attempts == 0
    assert "PAUSED" in queue_cli(config, "list").stdout
    assert queue_cli(config, "resume").returncode == 0
    (got,) = up.handler.wait_for(1, timeout=10)
    assert got.rcpt_tos == ["x@example.net"]


def test_a_queue_runner_that_fails_starts_again_and_delivers(tmp_path, gateway_factory, upstream_factory, caplog):
    """An unexpected error in the queue runner (here: once, reading the control folder) is logged
    and the runner starts again a second later; mail accepted meanwhile is delivered."""
    up = upstream_factory()
    config = _config(tmp_path, [rule(up.port)])
    gw = gateway_factory(settings=settings_mod.load(config))
    take_requests = gw.spool.take_requests
    failed = []

    def fails_once() -> list:
        if not failed:
            failed.append(True)
            raise RuntimeError("injected: the control folder read went wrong")
        return take_requests()

    gw.spool.take_requests = fails_once  # the runner polls it every second
    wait_until(lambda: failed, what="the injected failure")
    send(gw.port, SENDER, ["x@example.net"], message("after the failure"))
    (got,) = up.handler.wait_for(1, timeout=10)
    assert got.rcpt_tos == ["x@example.net"]
    assert any(
        r.getMessage() == "the queue runner failed (injected: the control folder read went wrong); "
        "it starts again in 1 s"
        for r in caplog.records
    ), caplog.text
    assert gw.call(gw.gateway.scheduler.stop(grace=5)) == 0  # stopping after a failure is clean


def test_queue_commands_act_on_the_spool_when_no_gateway_runs(queued, gateway_factory):
    config, gw, up, dead, qid = queued
    send(gw.port, SENDER, ["y@example.net"], message("second"))
    wait_until(lambda: len(gw.spool.ids()) == 2, what="two queued")
    other = next(i for i in gw.spool.ids() if i != qid)
    wait_attempts(gw, other, 1)
    gw.stop()
    listed = queue_cli(config, "list")
    assert qid in listed.stdout and other in listed.stdout and "2 message(s)" in listed.stdout
    assert queue_cli(config, "delete", qid).returncode == 0
    assert gw.spool.ids() == [other]  # done at once: no gateway to wait for
    bounced = queue_cli(config, "bounce", other)
    assert bounced.returncode == 0, bounced.stderr
    (dsn_id,) = gw.spool.ids()  # the original is gone; the bounce waits in the queue
    assert dsn_id in bounced.stdout
    dsn = gw.spool.load(dsn_id)
    assert (dsn.sender, dsn.envelope.recipients) == ("", [SENDER])
    assert "no gateway is running" in queue_cli(config, "retry").stdout
    assert queue_cli(config, "pause").returncode == 0
    again = gateway_factory(settings=settings_mod.load(config))
    time.sleep(three_control_polls())
    assert up.messages == []  # paused before the start: nothing goes out
    assert queue_cli(config, "resume").returncode == 0
    (got,) = up.handler.wait_for(1, timeout=10)
    assert got.mail_from == "<>" and got.rcpt_tos == [SENDER]
    (status,) = delivery_status(parse(got.data))
    assert status["Final-Recipient"] == "rfc822; y@example.net"
    wait_until(lambda: again.spool.ids() == [], what="queue empty")


def test_stop_with_delivery_in_threads_keeps_the_queue_locked_until_the_attempt_ends(
    gateway_factory, upstream_factory, monkeypatch
):
    """A delivery thread cannot be killed as the delivery process is: Stop waits past its grace for
    the attempt to end before it releases the queue, so a new start cannot send the message again."""
    from app.store.spool import QueueLocked

    monkeypatch.setenv("TENSO_DELIVERY_PROCESS", "0")
    up = upstream_factory()
    gate, entered = hold_at_mail(up)  # the upstream is slow: the attempt outlasts the grace
    gw = gateway_factory(rules=[rule(up.port)])
    try:
        send(gw.port, SENDER, ["slow@example.net"], message("slow"))
        assert entered.wait(10), "the attempt did not reach the upstream"
        stopping = asyncio.run_coroutine_threadsafe(gw.gateway.stop(grace=0.5), gw.loop)
        time.sleep(1.5)
        assert not stopping.done(), "Stop returned with a delivery thread still sending"
        with pytest.raises(QueueLocked):
            gw.spool.lock()
    finally:
        gate.set()
    assert stopping.result(30) == 0
    (got,) = up.handler.wait_for(1, timeout=10)
    assert got.rcpt_tos == ["slow@example.net"]
    gw.spool.lock().release()  # free now
    assert gw.spool.ids() == []  # delivered and removed: nothing for the next start to send again


# --- memory: new mail handed to delivery ----------------------------------------------------------


def test_new_mail_waiting_for_a_busy_worker_is_kept_in_memory_only_up_to_the_budget(
    gateway_factory, upstream_factory, monkeypatch
):
    """With delivery in threads, a new message goes to its first attempt from memory, but only
    while those waiting hold under ``FRESH_BYTES``; the rest are read back from the queue intact."""
    from app.deliver import scheduler as scheduler_mod

    monkeypatch.setenv("TENSO_DELIVERY_PROCESS", "0")
    up = upstream_factory()
    gate, _ = hold_at_mail(up)  # the only delivery worker waits there
    gw = gateway_factory(rules=[rule(up.port)], queue={"workers": 1})
    scheduler = gw.gateway.scheduler
    body = "x" * 998 + "\r\n"
    sent = [message(f"big {i}", body * 1200) for i in range(4)]  # 1.2 MB each
    try:
        for data in sent:
            send(gw.port, SENDER, ["big@example.net"], data)
        wait_until(lambda: len(gw.spool.ids()) == 4, what="four queued messages")
        held_bytes = gw.on_loop(lambda: scheduler._fresh_bytes)
        held_count = gw.on_loop(lambda: len(scheduler._fresh))
    finally:
        gate.set()
    assert held_bytes <= scheduler_mod.FRESH_BYTES
    assert held_count == 1, f"{held_count} messages of 1.2 MB kept in memory (budget {scheduler_mod.FRESH_BYTES} bytes)"
    got = up.handler.wait_for(4, timeout=30)
    assert sorted(strip_received(m.data) for m in got) == sorted(sent)
    assert gw.on_loop(lambda: scheduler._fresh_bytes) == 0
