"""End to end: smtplib client -> Tenso -> an upstream that demands and checks SMTP AUTH."""

from __future__ import annotations

import email
import email.policy

import pytest

from app.system import passwords
from tests.support import FIXTURES
from tests.support.smtp import folded_as_postfix, message, send, strip_received
from tests.support.waiting import wait_until as _wait_until


def test_forwards_to_rule_destination_with_common_account_cram_md5(gateway_factory, upstream_factory):
    up = upstream_factory(accounts={"isp-id": "isp-secret"})
    passwords.set("common", "isp-secret")
    gw = gateway_factory(
        rules=[{"match": "*", "destination": "127.0.0.1", "port": up.port, "tls": "none"}],
        auth_accounts={"common": {"username": "isp-id"}},
    )
    data = message("hello")
    send(gw.port, "a@lan.test", ["someone@example.net"], data)
    (got,) = up.handler.wait_for(1)
    assert got.mail_from == "a@lan.test"
    assert got.rcpt_tos == ["someone@example.net"]
    assert got.auth_user == "isp-id" and got.auth_mechanism == "CRAM-MD5"
    assert strip_received(got.data) == data


@pytest.mark.parametrize("mechanism", ["LOGIN", "PLAIN"])
def test_uses_login_or_plain_when_the_destination_offers_only_that(gateway_factory, upstream_factory, mechanism):
    up = upstream_factory(accounts={"isp-id": "pw-" + mechanism}, mechanisms=(mechanism,))
    passwords.set("common", "pw-" + mechanism)
    gw = gateway_factory(
        rules=[{"match": "*", "destination": "127.0.0.1", "port": up.port, "tls": "none"}],
        auth_accounts={"common": {"username": "isp-id"}},
    )
    send(gw.port, "a@lan.test", ["x@example.net"], message())
    (got,) = up.handler.wait_for(1)
    assert (got.auth_user, got.auth_mechanism) == ("isp-id", mechanism)


def test_local_user_sender_authenticates_with_its_own_account_others_with_common(gateway_factory, upstream_factory):
    up = upstream_factory(accounts={"isp-id": "common-pw", "id1": "user1-pw"})
    passwords.set("common", "common-pw")
    passwords.set("user:user1@example.jp", "user1-pw")
    gw = gateway_factory(
        local_domains=["example.jp"],
        local_users=[{"address": "user1@example.jp"}, {"address": "user2@example.jp"}],
        rules=[{"match": "*", "destination": "127.0.0.1", "port": up.port, "tls": "none"}],
        auth_accounts={
            "common": {"username": "isp-id"},
            "per_user": [{"local_user": "user1@example.jp", "username": "id1"}],
        },
    )
    send(gw.port, "User1@Example.jp", ["x@example.net"], message("from user1"))
    send(gw.port, "user2@example.jp", ["y@example.net"], message("from user2"))
    got = up.handler.wait_for(2)
    used = {m.mail_from.lower(): m.auth_user for m in got}
    assert used == {"user1@example.jp": "id1", "user2@example.jp": "isp-id"}


def test_wrong_password_keeps_the_message_queued_with_the_servers_reply(gateway_factory, upstream_factory):
    up = upstream_factory(accounts={"isp-id": "right"})
    passwords.set("common", "wrong")
    gw = gateway_factory(
        rules=[{"match": "*", "destination": "127.0.0.1", "port": up.port, "tls": "none"}],
        auth_accounts={"common": {"username": "isp-id"}},
    )
    send(gw.port, "a@lan.test", ["x@example.net"], message())
    qid = _wait_for_attempt(gw)
    (rcpt,) = gw.spool.load(qid).recipients
    assert rcpt.state == "deferred" and "535" in rcpt.reply and "isp-id" in rcpt.reply
    assert "wrong" not in rcpt.reply
    assert up.messages == []


def test_conversion_host_rewrites_the_recipient_domain_only(gateway_factory, upstream_factory):
    up = upstream_factory()
    gw = gateway_factory(
        rules=[
            {
                "match": "@mail2.example.jp",
                "destination": "127.0.0.1",
                "port": up.port,
                "conversion_host": "example.jp",
                "tls": "none",
            }
        ]
    )
    data = message()
    send(gw.port, "a@lan.test", ["u@MAIL2.example.jp"], data)
    (got,) = up.handler.wait_for(1)
    assert got.rcpt_tos == ["u@example.jp"]
    assert strip_received(got.data) == data  # headers are not rewritten


def test_recipients_routing_differently_become_one_transaction_per_destination(gateway_factory, upstream_factory):
    up1, up2 = upstream_factory(), upstream_factory()
    gw = gateway_factory(
        rules=[
            {"match": "@one.example", "destination": "127.0.0.1", "port": up1.port, "tls": "none"},
            {"match": "*", "destination": "127.0.0.1", "port": up2.port, "tls": "none"},
        ]
    )
    send(gw.port, "a@lan.test", ["a@one.example", "b@two.example", "c@one.example", "d@three.example"], message())
    (m1,) = up1.handler.wait_for(1)
    (m2,) = up2.handler.wait_for(1)
    assert sorted(m1.rcpt_tos) == ["a@one.example", "c@one.example"]
    assert sorted(m2.rcpt_tos) == ["b@two.example", "d@three.example"]
    _wait_until(lambda: gw.spool.ids() == [])


def test_per_recipient_outcomes_sent_deferred_bounced(gateway_factory, upstream_factory):
    up = upstream_factory()
    up.handler.rcpt_replies = {
        "later@example.net": "451 4.2.0 try later",
        "nobody@example.net": "550 5.1.1 no such user",
    }
    gw = gateway_factory(rules=[{"match": "*", "destination": "127.0.0.1", "port": up.port, "tls": "none"}])
    send(gw.port, "a@lan.test", ["ok@example.net", "later@example.net", "nobody@example.net"], message())
    (got,) = up.handler.wait_for(1)
    assert got.rcpt_tos == ["ok@example.net"]
    qid = _wait_for_attempt(gw)
    states = {r.address: (r.state, r.reply) for r in gw.spool.load(qid).recipients}
    assert states["ok@example.net"][0] == "sent"
    assert states["later@example.net"] == ("deferred", "451 4.2.0 try later")
    assert states["nobody@example.net"] == ("bounced", "550 5.1.1 no such user")
    later = next(r for r in gw.spool.load(qid).recipients if r.address == "later@example.net")
    assert 4 * 60 < later.next_try - later.updated <= 5 * 60  # first step of the retry schedule
    # The bounce went to the sender, through the same rules, from <>, naming only the failed one.
    bounce = up.handler.wait_for(2)[1]
    assert (bounce.mail_from, bounce.rcpt_tos) == ("<>", ["a@lan.test"])
    report = email.message_from_bytes(bounce.data, policy=email.policy.default)
    assert report.get_content_type() == "multipart/report"
    status = next(p for p in report.walk() if p.get_content_type() == "message/delivery-status")
    text = status.as_string()
    assert "Final-Recipient: rfc822; nobody@example.net" in text and "later@example.net" not in text
    assert "Status: 5.1.1" in text and "Diagnostic-Code: smtp; 550 5.1.1 no such user" in text


def test_connections_to_a_destination_are_reused(gateway_factory, upstream_factory):
    up = upstream_factory(accounts={"isp-id": "pw"})
    passwords.set("common", "pw")
    gw = gateway_factory(
        rules=[{"match": "*", "destination": "127.0.0.1", "port": up.port, "tls": "none"}],
        auth_accounts={"common": {"username": "isp-id"}},
        queue={"workers": 1},
    )
    for i in range(5):
        send(gw.port, "a@lan.test", [f"x{i}@example.net"], message(f"m{i}"))
        up.handler.wait_for(i + 1)
    assert len(up.handler.auth_attempts) == 1  # one session, one login, five messages


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.eml")))
def test_fixture_mail_passes_byte_for_byte(gateway_factory, upstream_factory, name):
    up = upstream_factory()
    gw = gateway_factory(rules=[{"match": "*", "destination": "127.0.0.1", "port": up.port, "tls": "none"}])
    data = (FIXTURES / name).read_bytes()
    send(gw.port, "printer@lan.test", ["x@example.net"], data)
    (got,) = up.handler.wait_for(1, timeout=30)
    expected = data if data.endswith(b"\r\n") else data + b"\r\n"  # SMTP itself must end the last line
    # Lines over 998 bytes (dots-and-long-lines.eml has them) are folded as Postfix does, whatever
    # the destination: SMTP allows no longer line; every other byte arrives as it was sent.
    assert strip_received(got.data) == folded_as_postfix(expected)


def _wait_for_attempt(gw) -> str:
    """The single queued message's id, once its first delivery attempt is recorded."""

    def attempted():
        ids = gw.spool.ids()
        return len(ids) == 1 and all(r.attempts for r in gw.spool.load(ids[0]).recipients)

    _wait_until(attempted)
    return gw.spool.ids()[0]
