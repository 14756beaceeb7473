"""Alerts from a real gateway (docs/alerts.md): a destination that is down (a port that refuses
every connection) and comes back, many messages, a webhook receiver on 127.0.0.1 and an SMTP
sink for the alert mail.  Time is the watcher's clock, moved by the test: no sleeping."""

from __future__ import annotations

import base64
import email
import email.policy
import smtplib
import time

import pytest

from app.alerts import watcher as watcher_mod
from app.history import query
from app.history.records import State
from tests.support.gateway import RunningGateway, make_settings, retry_now, rule
from tests.support.processes import dead_port, revive
from tests.support.smtp import Upstream, message
from tests.support.waiting import wait_until
from tests.support.webhook import WebhookReceiver

FAILING = "destination_failing"


@pytest.fixture
def receiver():
    hook = WebhookReceiver()
    yield hook
    hook.stop()


class Clock:
    """The watcher's time: the real time plus what the test has moved it on."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def __call__(self) -> float:
        return time.time() + self.ahead


@pytest.fixture
def started(upstream_factory, short_gateway_waits):
    made: list[RunningGateway] = []

    def start(settings, clock: Clock) -> RunningGateway:
        gw = RunningGateway(settings, prepare=lambda g: setattr(g.alerts, "clock", clock))
        made.append(gw)
        return gw

    yield start
    for gw in made:
        gw.stop()


def send_many(port: int, count: int, to: str = "someone@far.test") -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        for i in range(count):
            client.sendmail("scan@lan.test", [to], message(f"scan {i}"))


def check(gw: RunningGateway):
    return gw.call(gw.gateway.alerts.check())


def deferred_once(gw: RunningGateway, count: int) -> None:
    def all_tried() -> bool:
        messages = gw.spool.messages()
        return len(messages) == count and all(r.attempts >= 1 for m in messages for r in m.recipients)

    wait_until(all_tried, 20, f"{count} messages deferred once")


def test_a_destination_down_then_back_is_told_started_once_and_ended_once_whatever_the_mail(
    tmp_path, started, receiver
):
    port = dead_port()
    settings = make_settings(tmp_path, rules=[rule(port)], alerts={"webhook_url": receiver.url, "after_minutes": 30})
    clock = Clock()
    gw = started(settings, clock)
    send_many(gw.port, 25)
    deferred_once(gw, 25)

    assert check(gw) == [] and receiver.posts == []  # failing, but not yet for 30 minutes
    clock.ahead = 31 * 60
    check(gw)
    assert receiver.events() == [(FAILING, "started")]
    post = receiver.posts[0]
    assert set(post) == {"event", "state", "text", "text_ja", "time", "details"}
    assert post["details"]["destination"] == f"127.0.0.1:{port}"
    assert f"127.0.0.1:{port}" in post["text"] and "送信先" in post["text_ja"]
    assert receiver.content_types[0].startswith("application/json")

    send_many(gw.port, 10)  # more mail to the same dead destination: no more alerts
    retry_now(gw)
    wait_until(lambda: sum(r.attempts for m in gw.spool.messages() for r in m.recipients) >= 60, 20, "retries")
    for ahead in (40, 60, 100):
        clock.ahead = ahead * 60
        check(gw)
    assert receiver.events() == [(FAILING, "started")]

    gw.stop()  # a clean restart tells nothing again (alerts.json), and no engine_stopped
    gw = started(settings, clock)
    check(gw)
    assert receiver.events() == [(FAILING, "started")]

    revive(port)
    upstream = Upstream(port=port)
    try:
        retry_now(gw)
        upstream.handler.wait_for(35, timeout=30)
        wait_until(lambda: not gw.spool.ids(), 20, "the queue to empty")
        check(gw)
        check(gw)
    finally:
        upstream.stop()
    assert receiver.events() == [(FAILING, "started"), (FAILING, "ended")]
    assert receiver.posts[-1]["details"]["destination"] == f"127.0.0.1:{port}"


def test_a_condition_that_lasts_is_told_again_after_repeat_hours(tmp_path, started, receiver):
    port = dead_port()
    settings = make_settings(tmp_path, rules=[rule(port)], alerts={"webhook_url": receiver.url, "repeat_hours": 24})
    clock = Clock()
    gw = started(settings, clock)
    send_many(gw.port, 3)
    deferred_once(gw, 3)
    clock.ahead = 31 * 60
    check(gw)
    clock.ahead = 23 * 3600
    check(gw)
    assert receiver.events(FAILING) == [(FAILING, "started")]
    clock.ahead = 31 * 60 + 24 * 3600
    check(gw)
    check(gw)
    assert receiver.events(FAILING) == [(FAILING, "started"), (FAILING, "repeated")]
    # The oldest message has waited more than after_minutes × 4: the queue is stuck, told once.
    assert receiver.events("queue_stuck") == [("queue_stuck", "started")]


def test_the_alert_mail_goes_by_email_rule_and_never_by_the_failing_destination(
    tmp_path, started, receiver, upstream_factory, caplog
):
    port = dead_port()
    sink = upstream_factory()
    alerts = {"webhook_url": receiver.url, "email_to": "admin@ops.test"}
    settings = make_settings(tmp_path, rules=[rule(port), rule(sink.port, "@ops.test")], alerts=alerts)
    clock = Clock()
    gw = started(settings, clock)
    # Rule 1 catches everything (the dead destination); through it (email_rule 1) the alert mail
    # would go by the destination that fails: it is skipped.  email_rule 2 is the sink.
    rules = [rule(port), rule(sink.port, "@ops.test")]
    gw.gateway.apply(make_settings(tmp_path, rules=rules, alerts={**alerts, "email_rule": 1}))
    send_many(gw.port, 2)
    deferred_once(gw, 2)
    clock.ahead = 31 * 60
    with caplog.at_level("WARNING", logger="tenso"):
        check(gw)
    assert receiver.events(FAILING) == [(FAILING, "started")]  # the other channels still told it
    assert "no alert mail to <admin@ops.test>" in caplog.text and f"127.0.0.1:{port}" in caplog.text
    assert not [m for m in gw.spool.messages() if m.envelope.client == "alert"]

    gw.gateway.apply(make_settings(tmp_path, rules=rules, alerts={**alerts, "email_rule": 2}))
    clock.ahead = 31 * 60 + 24 * 3600
    check(gw)
    arrived = sink.handler.wait_for(1)[0]
    assert arrived.rcpt_tos == ["admin@ops.test"] and arrived.mail_from == "<>"  # like a DSN: no bounce loop
    mail = email.message_from_bytes(arrived.data, policy=email.policy.default)
    text = mail.get_content()
    assert f"127.0.0.1:{port}" in text and "送信先" in text and mail["Auto-Submitted"] == "auto-generated"
    assert "Tenso alert (still)" in mail["Subject"] or "alerts" in mail["Subject"]
    assert sink.messages == [arrived]  # the scans stay queued for the dead destination


def test_a_webhook_that_fails_is_logged_once_not_per_alert(tmp_path, started, caplog):
    hook = WebhookReceiver(status=500)
    try:
        settings = make_settings(tmp_path, alerts={"webhook_url": hook.url})
        gw = started(settings, Clock())
        with caplog.at_level("WARNING", logger="tenso"):
            for _ in range(3):
                answers = gw.call(gw.gateway.alerts.test(settings))
        assert len(hook.posts) == 3
        webhook = [a for a in answers if a.channel == "webhook"]
        assert webhook and not webhook[0].ok and "HTTP 500" in webhook[0].text
        assert caplog.text.count("the webhook did not take the alert") == 1
    finally:
        hook.stop()


def test_the_way_of_a_decision_is_named_as_the_status_counts_name_destinations(tmp_path):
    from app.route.router import Router

    settings = make_settings(tmp_path, rules=[rule(2525, "@a.test")])
    router = Router(settings)
    assert watcher_mod.way_of(router.route("x@a.test")) == "127.0.0.1:2525"
    assert watcher_mod.way_of(router.route("x@b.test")) == "MX"
    assert watcher_mod.way_of(router.route("x@b.test", "", 1)) == "127.0.0.1:2525"  # the rule named


class FixedClock:
    """The watcher's time set by the test (a local day and hour), not the real time."""

    def __init__(self, when: float) -> None:
        self.when = when

    def __call__(self) -> float:
        return self.when


def local_today(hour: int, minute: int = 0, days: int = 0) -> float:
    t = time.localtime()
    return time.mktime((t.tm_year, t.tm_mon, t.tm_mday + days, hour, minute, 0, 0, 0, -1))


def test_the_daily_summary_is_mailed_once_at_its_hour_with_the_counts_and_the_bounces(
    tmp_path, started, upstream_factory, caplog
):
    """With the history off: the counts are the status counts, the bounces the log's lines."""
    caplog.set_level("INFO", logger="tenso")  # the program's level: the bounce lines are INFO
    sink = upstream_factory()
    sink.handler.rcpt_replies["nobody@far.test"] = "550 5.1.1 no such user here"
    settings = make_settings(
        tmp_path,
        rules=[rule(sink.port)],
        alerts={"email_to": "admin@ops.test", "summary_hour": 9},
        history={"enabled": False},
    )
    clock = FixedClock(local_today(0, 30))  # before the hour: nothing
    gw = started(settings, clock)
    send_many(gw.port, 2)
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=30) as client:
        client.sendmail("scan@lan.test", ["nobody@far.test"], message("to nobody"))
    sink.handler.wait_for(3)  # the two, and the bounce to scan@lan.test
    wait_until(lambda: not gw.spool.messages(), 20, "the queue empty")  # else a day later it is "stuck"
    check(gw)
    assert len(sink.messages) == 3

    clock.when = local_today(9, 5, days=1)  # the next day, after 9:00: today's mail is yesterday's
    check(gw)
    check(gw)
    summaries = [m for m in sink.handler.wait_for(4) if m.rcpt_tos == ["admin@ops.test"]]
    assert len(summaries) == 1
    mail = email.message_from_bytes(summaries[0].data, policy=email.policy.default)
    assert "Tenso daily summary" in mail["Subject"] and "1 bounced" in mail["Subject"]
    text = mail.get_content()
    assert "  received: 3" in text and "  bounced: 1" in text and "  返送（エラー）: 1" in text
    assert "nobody@far.test" in text  # the bounce line

    gw.stop()  # a restart after the hour sends no second summary
    gw = started(settings, clock)
    check(gw)
    assert len([m for m in sink.messages if m.rcpt_tos == ["admin@ops.test"]]) == 1


def test_with_the_history_on_the_summary_lists_each_bounce_with_its_subject_and_the_reply(
    tmp_path, started, upstream_factory
):
    """The upstream refuses one recipient for good: the summary's bounce line comes from the
    history (sender, recipient, the decoded Japanese subject, the upstream's reply), and its
    counts are the history's: 4 sent on (the bounce to the scanner too), 1 bounced, 1 refused
    at RCPT (no rule, no relaying)."""
    sink = upstream_factory()
    sink.handler.rcpt_replies["nobody@far.test"] = "550 5.1.1 no such user here"
    settings = make_settings(
        tmp_path,
        rules=[rule(sink.port, "@far.test"), rule(sink.port, "@lan.test")],
        alerts={"email_to": "admin@far.test", "summary_hour": 9},
        options={"relay_networks": [], "relay_for_rule_matches": True},  # x@elsewhere.test: no rule, refused
    )
    clock = FixedClock(local_today(0, 30))
    gw = started(settings, clock)
    send_many(gw.port, 2)
    subject = "=?UTF-8?B?" + base64.b64encode("請求書 12月分".encode()).decode() + "?="
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=30) as client:
        client.sendmail("scan@lan.test", ["nobody@far.test"], message(subject))
        refused = client.sendmail("scan@lan.test", ["ok@far.test", "x@elsewhere.test"], message("partly"))
    assert list(refused) == ["x@elsewhere.test"]
    sink.handler.wait_for(4)  # the two, the partly one, and the bounce goes to scan@lan.test
    wait_until(lambda: not gw.spool.messages(), 20, "the queue empty")

    def sent_in_history() -> int:  # an attempt's record reaches the writer after its message left the queue
        gw.gateway.history.flush()
        found = query.search(settings.history_path, query.Filters(state=State.SENT))
        return sum(r["state"] == "sent" for m in found for r in m["recipients"])

    wait_until(lambda: sent_in_history() == 4, 20, "the 4 deliveries in the history")

    clock.when = local_today(9, 5, days=1)
    check(gw)
    wait_until(lambda: [m for m in sink.messages if m.rcpt_tos == ["admin@far.test"]], 20, "the summary")
    summaries = [m for m in sink.messages if m.rcpt_tos == ["admin@far.test"]]
    assert len(summaries) == 1
    mail = email.message_from_bytes(summaries[0].data, policy=email.policy.default)
    text = mail.get_content()
    assert "  sent on: 4" in text and "  bounced: 1" in text and "  refused (never queued): 1" in text, text
    assert "Bounced (1):" in text and "返送されたメール（1 件）:" in text
    line = next(li for li in text.splitlines() if "nobody@far.test" in li)
    assert "<scan@lan.test> to <nobody@far.test>" in line
    assert '"請求書 12月分"' in line and "550 5.1.1 no such user here" in line, line

    # The summary is in the history as a message Tenso made itself: sender <>, client "alert",
    # login "tenso", From Tenso; a search for the scanner's mail does not list it.
    wait_until(lambda: not gw.spool.messages(), 20, "the summary delivered")
    gw.gateway.history.flush()
    path = settings.history_path
    own = query.search(path, query.Filters(subject="Tenso daily summary"))
    assert [(m["from"], m["client"], m["login"], m["header_from"]) for m in own] == [
        ("", "alert", "tenso", "Tenso <tenso@tenso.test>")
    ]
    assert [(r["address"], r["state"]) for r in own[0]["recipients"]] == [("admin@far.test", "sent")]
    scans = query.search(path, query.Filters(sender="scan@lan.test"))
    assert scans and all(m["client"] != "alert" and m["login"] != "tenso" for m in scans)
    bounce = query.search(path, query.Filters(recipient="scan@lan.test"))
    assert [(m["from"], m["client"], m["login"]) for m in bounce] == [("", "bounce", "tenso")]
