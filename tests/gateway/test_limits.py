"""Limits per mailbox (issue 24, item 2): mail to an account with limits waits its turn in the
queue, and the destination never sees more than the account may send; a destination that says
"too many" defers the mail, never bounces it.

The destination is an Exchange Online–like submission server (tests/support/exchange.py) that
enforces a session limit and a rate with Exchange's own replies, and counts what it saw.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time

import pytest

from app.store.spool import DEFERRED
from app.system import passwords
from tests.support.exchange import QUOTA_EXCEEDED, Exchange
from tests.support.gateway import recipients, retry_now, rule, wait_attempts
from tests.support.logs import LogCapture
from tests.support.smtp import message, send
from tests.support.waiting import wait_until

USER, PASSWORD = "scanner@contoso.test", "mailbox-secret"


@pytest.fixture
def exchange():
    made: list[Exchange] = []

    def make(**limits) -> Exchange:
        server = Exchange({USER: PASSWORD}, **limits)
        made.append(server)
        return server

    yield make
    for server in made:
        server.stop()


def limited_gateway(gateway_factory, server: Exchange, limits: dict | None, **sections):
    passwords.set("account:m365", PASSWORD)
    account: dict = {"name": "m365", "username": USER}
    if limits is not None:
        account["limits"] = limits
    return gateway_factory(rules=[{**rule(server.port), "account": "m365"}], accounts=[account], **sections)


def burst(port: int, count: int) -> None:
    """``count`` messages sent at once, each by its own connection (a scanner's 80 scans)."""
    errors: list[BaseException] = []

    def one(i: int) -> None:
        try:
            send(port, "mfp@lan.test", [f"to{i}@example.net"], message(f"scan {i}"))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors


@pytest.mark.parametrize("in_process", [False, True], ids=["delivery-worker", "threads"])
def test_a_burst_to_a_limited_account_arrives_whole_over_at_most_its_sessions(
    gateway_factory, exchange, monkeypatch, in_process
):
    if in_process:  # the threads of the main process (server.processes 2 or more) share the count too
        monkeypatch.setenv("TENSO_DELIVERY_PROCESS", "0")
    server = exchange(sessions=3, messages_per_minute=0)
    gw = limited_gateway(gateway_factory, server, {"sessions": 3, "messages_per_minute": 600})
    with LogCapture() as log:
        burst(gw.port, 40)
        server.handler.wait_for(40, timeout=60)
    assert server.handler.refused == 0, f"{server.handler.refused} session(s) refused with 432"
    assert server.handler.max_sessions <= 3, f"{server.handler.max_sessions} sessions at once"
    wait_until(lambda: not gw.spool.ids(), 10, "the queue to empty")
    # No log line for a message waiting its turn: each message has its arrival, its delivery and
    # its removal, nothing about a limit.
    assert not log.matching(r"(?i)limit|wait|held|throttl"), log.text()


def test_a_rate_limit_spaces_the_messages(gateway_factory, exchange):
    server = exchange(sessions=3, messages_per_minute=0)
    gw = limited_gateway(gateway_factory, server, {"messages_per_minute": 60})
    burst(gw.port, 10)
    server.handler.wait_for(10, timeout=30)
    arrivals = sorted(server.handler.arrivals)
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    # 60 a minute: one a second.  Starts are spaced exactly; arrivals vary by a transaction's
    # time (the first, on a new session in a new delivery process, can take a second more).
    assert arrivals[-1] - arrivals[0] >= 7.5, gaps
    assert sorted(gaps)[1] >= 0.5, gaps


def test_too_many_sessions_defers_and_the_mail_leaves_later(gateway_factory, exchange):
    server = exchange(sessions=3, messages_per_minute=0)
    server.handler.others = 3  # three other devices hold the mailbox's sessions
    gw = limited_gateway(gateway_factory, server, {"sessions": 3})
    send(gw.port, "mfp@lan.test", ["boss@example.net"], message())
    (qid,) = gw.spool.ids()
    (rcpt,) = wait_attempts(gw, qid, 1).values()
    assert rcpt.state == DEFERRED, rcpt.reply
    assert "432 4.3.2" in rcpt.reply and rcpt.reply.startswith("451 4.7.0 "), rcpt.reply
    assert 30 <= rcpt.next_try - time.time() <= 90, "a minute, not the retry schedule"
    assert server.handler.refused >= 1
    server.handler.others = 0  # the other devices are done
    retry_now(gw, qid)
    server.handler.wait_for(1)
    wait_until(lambda: not gw.spool.ids(), 10, "the message to leave the queue")


def test_the_daily_quota_5xx_defers_and_never_bounces(gateway_factory, exchange):
    server = exchange(sessions=3, messages_per_minute=0, recipients_per_day=1)
    gw = limited_gateway(gateway_factory, server, {"sessions": 3})
    send(gw.port, "mfp@lan.test", ["first@example.net"], message())
    server.handler.wait_for(1)
    wait_until(lambda: not gw.spool.ids(), 10, "the first message to leave")
    send(gw.port, "mfp@lan.test", ["second@example.net"], message())
    (qid,) = gw.spool.ids()
    (rcpt,) = wait_attempts(gw, qid, 1).values()
    assert rcpt.state == DEFERRED, rcpt.reply
    assert QUOTA_EXCEEDED in rcpt.reply
    assert rcpt.next_try - time.time() >= 1800, "the daily quota: an hour, not minutes"
    assert gw.spool.ids() == [qid], "no bounce was queued"
    server.handler.recipients_per_day = 10000  # the next day
    retry_now(gw, qid)
    server.handler.wait_for(2)
    wait_until(lambda: not gw.spool.ids(), 10, "the message to leave the queue")
    assert server.handler.over_quota == 1


def test_a_message_waiting_for_its_account_is_in_the_queue_untried(gateway_factory, exchange):
    server = exchange(sessions=3, messages_per_minute=0)
    gw = limited_gateway(gateway_factory, server, {"messages_per_minute": 2})  # one every 30 s
    send(gw.port, "mfp@lan.test", ["one@example.net"], message())
    server.handler.wait_for(1)
    send(gw.port, "mfp@lan.test", ["two@example.net"], message())
    time.sleep(1.0)
    (qid,) = gw.spool.ids()
    (rcpt,) = recipients(gw, qid).values()
    # Waiting for the account's turn: no attempt made, none counted, nothing to report.
    assert rcpt.attempts == 0 and rcpt.reply in ("", None), rcpt
    assert len(server.handler.messages) == 1
    assert not re.search("two@", "".join(str(m.rcpt_tos) for m in server.handler.messages))


def test_mail_found_in_the_queue_at_start_keeps_the_limits_too(tmp_path, gateway_factory, exchange):
    server = exchange(sessions=3, messages_per_minute=0)
    first = limited_gateway(gateway_factory, server, {"sessions": 3, "messages_per_minute": 600})
    first.on_loop(first.gateway.scheduler.pause, True)
    burst(first.port, 12)
    first.stop()
    assert len(first.spool.ids()) == 12
    again = limited_gateway(gateway_factory, server, {"sessions": 3, "messages_per_minute": 600})
    again.on_loop(again.gateway.scheduler.pause, False)
    server.handler.wait_for(12, timeout=30)
    assert server.handler.refused == 0 and server.handler.max_sessions <= 3, server.handler.max_sessions


def test_an_account_at_its_daily_limit_holds_its_mail_and_status_says_so_once(gateway_factory, exchange):
    server = exchange(sessions=3, messages_per_minute=0)
    gw = limited_gateway(gateway_factory, server, {"recipients_per_day": 2})
    with LogCapture() as log:
        send(gw.port, "mfp@lan.test", ["a@example.net", "b@example.net"], message())
        server.handler.wait_for(1)
        for _ in range(3):
            send(gw.port, "mfp@lan.test", ["c@example.net"], message())
        wait_until(lambda: len(gw.spool.ids()) == 3, 10, "three messages waiting")
        time.sleep(1.0)
    assert len(server.handler.messages) == 1
    for qid in gw.spool.ids():
        assert all(r.attempts == 0 for r in recipients(gw, qid).values()), "waiting is not an attempt"
    assert len(log.matching(r"reached its limit of 2 recipients in 24 hours")) == 1, log.text()
    status = gw.call(asyncio.to_thread(gw.gateway.status))
    ((name, until),) = status.day_limits
    assert name == "m365" and until - time.time() > 23 * 3600
    assert status.as_json()["day_limits"][0]["account"] == "m365"


def test_bounce_now_does_not_wait_for_the_accounts_turn(gateway_factory, exchange):
    server = exchange(sessions=3, messages_per_minute=0)
    gw = limited_gateway(gateway_factory, server, {"messages_per_minute": 1})  # one a minute
    send(gw.port, "mfp@lan.test", ["one@example.net"], message())
    server.handler.wait_for(1)
    wait_until(lambda: not gw.spool.ids(), 10, "the first message to leave")
    send(gw.port, "mfp@lan.test", ["two@example.net"], message())
    (qid,) = gw.spool.ids()
    gw.loop.call_soon_threadsafe(gw.gateway.scheduler.bounce, qid)
    wait_until(lambda: qid not in gw.spool.ids(), 5, "the bounce, at once")
    assert not [m for m in server.handler.messages if "two@example.net" in m.rcpt_tos]


def test_a_bounce_to_a_limited_account_waits_its_turn_too(gateway_factory, exchange):
    server = exchange(sessions=3, messages_per_minute=0)
    server.handler.rcpt_replies["nobody@example.net"] = "550 5.1.1 no such user"
    gw = limited_gateway(gateway_factory, server, {"messages_per_minute": 2})  # one every 30 s
    send(gw.port, "mfp@lan.test", ["nobody@example.net"], message())
    # The bounce to mfp@lan.test goes by the same rule and account: it waits its turn.
    wait_until(
        lambda: len(gw.spool.ids()) == 1 and recipients(gw, gw.spool.ids()[0]).get("mfp@lan.test"), 10, "the bounce"
    )
    time.sleep(1.0)
    assert server.handler.messages == [], "the bounce left before the account's turn"
    (qid,) = gw.spool.ids()
    assert recipients(gw, qid)["mfp@lan.test"].attempts == 0
