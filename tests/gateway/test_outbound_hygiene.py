"""Outbound hygiene (issue 24, item 8), end to end through real upstreams on 127.0.0.1: a changed
password is used at once (no pooled session that logged in with the old one), a bounce's
``Status:`` is the reply's own enhanced code or its class, and lines over 998 bytes are folded
for a destination that keeps to RFC 5321's limit.  (The greeting's deadline is in
test_slow_destinations.py.)"""

from __future__ import annotations

import email
import email.policy
import logging

from app.system import passwords
from tests.support.smtp import folded_as_postfix, message, send, strip_received
from tests.support.waiting import wait_until


def _rules(port: int) -> list[dict]:
    return [{"match": "*", "destination": "127.0.0.1", "port": port, "tls": "none"}]


def test_a_changed_password_is_used_by_the_next_delivery_not_a_pooled_session(gateway_factory, upstream_factory):
    up = upstream_factory(accounts={"isp-id": "password-A"})
    passwords.set("common", "password-A")
    gw = gateway_factory(rules=_rules(up.port), auth_accounts={"common": {"username": "isp-id"}}, queue={"workers": 1})
    send(gw.port, "a@lan.test", ["x@example.net"], message("first"))
    up.handler.wait_for(1)
    # The password changes at the ISP and in the keyring (as `password set` does, from any process),
    # well within the pool's idle time: the old session is still logged in with A.
    up.handler.accounts["isp-id"] = "password-B"
    passwords.set("common", "password-B")
    send(gw.port, "a@lan.test", ["y@example.net"], message("second"))
    got = up.handler.wait_for(2)
    assert [m.rcpt_tos for m in got] == [["x@example.net"], ["y@example.net"]]
    assert up.handler.auth_attempts == [("CRAM-MD5", "isp-id", True), ("CRAM-MD5", "isp-id", True)], (
        "the second message went on the session that had logged in with the old password"
    )
    assert up.handler.ehlos == 2


def test_an_unchanged_password_keeps_the_pooled_session(gateway_factory, upstream_factory):
    up = upstream_factory(accounts={"isp-id": "same"})
    passwords.set("common", "same")
    gw = gateway_factory(rules=_rules(up.port), auth_accounts={"common": {"username": "isp-id"}}, queue={"workers": 1})
    for i in range(2):
        send(gw.port, "a@lan.test", [f"x{i}@example.net"], message(f"m{i}"))
        up.handler.wait_for(i + 1)
    assert len(up.handler.auth_attempts) == 1 and up.handler.ehlos == 1


def _delivery_status(bounce_data: bytes) -> str:
    report = email.message_from_bytes(bounce_data, policy=email.policy.default)
    assert report.get_content_type() == "multipart/report"
    return next(p for p in report.walk() if p.get_content_type() == "message/delivery-status").as_string()


def test_a_bounce_status_is_the_reply_class_not_digits_in_its_text(gateway_factory, upstream_factory):
    up = upstream_factory()
    refusal = "500 Line too long (see RFC5321 4.5.3.1.6)"  # aiosmtpd's words, digits and all
    up.handler.data_replies = [refusal]
    gw = gateway_factory(rules=_rules(up.port))
    send(gw.port, "a@lan.test", ["x@example.net"], message("refused"))
    (bounce,) = up.handler.wait_for(1)  # the DATA refusal stored nothing; this is the bounce
    assert (bounce.mail_from, bounce.rcpt_tos) == ("<>", ["a@lan.test"])
    status = _delivery_status(bounce.data)
    assert "Status: 5.0.0" in status and "4.5.3" not in status.split("Diagnostic-Code")[0], status
    assert f"Diagnostic-Code: smtp; {refusal}" in status
    wait_until(lambda: gw.spool.ids() == [], what="the message bounced and left the queue")


def test_a_bounce_status_is_the_enhanced_code_right_after_the_reply_code(gateway_factory, upstream_factory):
    up = upstream_factory()
    up.handler.rcpt_replies = {"nobody@example.net": "550 5.1.1 no such user (see 4.4.7 in our FAQ)"}
    gw = gateway_factory(rules=_rules(up.port))
    send(gw.port, "a@lan.test", ["nobody@example.net"], message())
    (bounce,) = up.handler.wait_for(1)
    assert "Status: 5.1.1" in _delivery_status(bounce.data)


def test_lines_over_998_bytes_are_folded_for_a_destination_that_keeps_to_the_limit(
    gateway_factory, upstream_factory, caplog
):
    caplog.set_level(logging.INFO, logger="tenso")
    up = upstream_factory(strict_lines=True)  # aiosmtpd's own limit: "500 Line too long" otherwise
    gw = gateway_factory(rules=_rules(up.port))
    long_line = b"".join(b"%04d" % i for i in range(500))  # 2,000 bytes, no two pieces alike
    body = "short line\r\n" + long_line.decode() + "\r\n.dot line\r\n" + "b" * 998 + "\r\nend\r\n"
    data = message("long", body)
    send(gw.port, "printer@lan.test", ["x@example.net"], data)
    (got,) = up.handler.wait_for(1)
    assert got.mail_from == "printer@lan.test", got  # delivered, not a bounce
    expected = data.replace(long_line, folded_as_postfix(long_line))
    assert strip_received(got.data) == expected
    assert all(len(line) <= 998 for line in got.data.split(b"\r\n"))
    wait_until(lambda: gw.spool.ids() == [], what="delivered")
    said = [r.getMessage() for r in caplog.records if "folded as RFC 5321 requires" in r.getMessage()]
    assert len(said) == 1 and "lines over 998 bytes" in said[0], said


def test_lines_of_998_bytes_or_fewer_pass_byte_for_byte_to_a_strict_destination(gateway_factory, upstream_factory):
    up = upstream_factory(strict_lines=True)
    gw = gateway_factory(rules=_rules(up.port))
    data = message("at the limit", "c" * 998 + "\r\n" + "\u65e5\u672c" * 100 + "\r\n")
    send(gw.port, "printer@lan.test", ["x@example.net"], data)
    (got,) = up.handler.wait_for(1)
    assert strip_received(got.data) == data
