"""A password never goes where it does not belong (issue 15, point 2): LOGIN and PLAIN only over
TLS whose certificate verified against the destination's name, CRAM-MD5 otherwise, plain LOGIN
only with ``tls: none``, and each rule's server gets only the rule's own account."""

from __future__ import annotations

import pytest
import trustme

from app import offline
from app.system import passwords
from tests.gateway.test_tls_outbound import ca, server_context  # noqa: F401  (the ca fixture)
from tests.support.gateway import make_settings, wait_attempts
from tests.support.smtp import message, send


def rule(port: int, tls: str, match: str = "*", **extra) -> dict:
    return {"match": match, "destination": "localhost", "port": port, "tls": tls, **extra}


COMMON = {"common": {"username": "isp-id"}}


@pytest.fixture
def stranger():
    """A CA Tenso does not trust: a server in the middle, or a self-signed office server."""
    return trustme.CA()


def _deferred(gw) -> object:
    (qid,) = gw.spool.ids()
    (rcpt,) = wait_attempts(gw, qid, 1).values()
    return rcpt


def test_an_untrusted_certificate_never_gets_plain_or_login_and_the_reply_says_what_to_change(
    gateway_factory, upstream_factory, stranger
):
    up = upstream_factory(
        accounts={"isp-id": "pw"},
        mechanisms=("LOGIN", "PLAIN"),
        tls_context=server_context(stranger.issue_cert("localhost")),
    )
    passwords.set("common", "pw")
    gw = gateway_factory(rules=[rule(up.port, "opportunistic")], auth_accounts=COMMON)
    send(gw.port, "a@lan.test", ["x@example.net"], message())
    rcpt = _deferred(gw)
    assert up.handler.auth_attempts == [] and up.messages == []
    assert rcpt.state == "deferred", rcpt.reply
    assert rcpt.reply.startswith("451 4.4.0 not logged in as common: the TLS certificate of localhost did not verify")
    assert "it is for localhost" in rcpt.reply and "SSL_CERT_FILE" in rcpt.reply
    assert "rules[0].destination" in rcpt.reply and "does not offer (LOGIN PLAIN)" in rcpt.reply


def test_an_untrusted_certificate_still_encrypts_and_logs_in_by_cram_md5(gateway_factory, upstream_factory, stranger):
    up = upstream_factory(accounts={"isp-id": "pw"}, tls_context=server_context(stranger.issue_cert("localhost")))
    passwords.set("common", "pw")
    gw = gateway_factory(rules=[rule(up.port, "opportunistic")], auth_accounts=COMMON)
    send(gw.port, "a@lan.test", ["x@example.net"], message())
    (got,) = up.handler.wait_for(1)
    assert got.tls and (got.auth_user, got.auth_mechanism) == ("isp-id", "CRAM-MD5")
    assert [m for m, _, _ in up.handler.auth_attempts] == ["CRAM-MD5"]


def test_opportunistic_tls_tries_a_verified_handshake_first_and_then_uses_plain(
    gateway_factory,
    upstream_factory,
    ca,  # noqa: F811
    stranger,
    tmp_path,
):
    trusted = upstream_factory(accounts={"isp-id": "pw"}, tls_context=server_context(ca.issue_cert("localhost")))
    untrusted = upstream_factory(
        accounts={"isp-id": "pw"}, tls_context=server_context(stranger.issue_cert("localhost"))
    )
    passwords.set("common", "pw")
    settings = make_settings(
        tmp_path,
        rules=[rule(trusted.port, "opportunistic"), rule(untrusted.port, "opportunistic")],
        auth_accounts=COMMON,
    )
    first, second = (offline.check_login(settings, i, "common") for i in (0, 1))
    assert (first.error, first.encrypted, first.verified) == (None, True, True)
    assert (second.error, second.encrypted, second.verified) == (None, True, False)
    assert [m for m, _, _ in trusted.handler.auth_attempts] == ["PLAIN"]
    assert [m for m, _, _ in untrusted.handler.auth_attempts] == ["CRAM-MD5"]
    gw = gateway_factory(settings)
    send(gw.port, "a@lan.test", ["x@example.net"], message())
    (got,) = trusted.handler.wait_for(1)
    assert got.tls and got.auth_mechanism == "PLAIN"


def test_without_starttls_login_is_sent_only_when_the_rule_says_tls_none(gateway_factory, upstream_factory, tmp_path):
    up = upstream_factory(accounts={"isp-id": "pw"}, mechanisms=("LOGIN",))
    passwords.set("common", "pw")
    gw = gateway_factory(rules=[rule(up.port, "opportunistic")], auth_accounts=COMMON)
    send(gw.port, "a@lan.test", ["x@example.net"], message())
    rcpt = _deferred(gw)
    assert up.handler.auth_attempts == [] and up.messages == []
    assert "localhost offers no STARTTLS" in rcpt.reply and "set rules[0].tls to none" in rcpt.reply, rcpt.reply
    gw.stop()

    (tmp_path / "none").mkdir()
    gw2 = gateway_factory(make_settings(tmp_path / "none", rules=[rule(up.port, "none")], auth_accounts=COMMON))
    send(gw2.port, "a@lan.test", ["x@example.net"], message())
    (got,) = up.handler.wait_for(1)
    assert not got.tls and got.auth_mechanism == "LOGIN"


def test_a_second_rules_server_never_sees_the_first_rules_account(gateway_factory, upstream_factory):
    first = upstream_factory(accounts={"isp-id": "isp-pw"})
    second = upstream_factory(accounts={"other-id": "other-pw"})
    third = upstream_factory(accounts={"isp-id": "isp-pw"})  # would take the ISP's account, had it been sent
    third.handler.require_auth = False
    passwords.set("account:isp", "isp-pw")
    passwords.set("account:other", "other-pw")
    passwords.set("common", "isp-pw")
    gw = gateway_factory(
        rules=[
            rule(first.port, "none", "@a.example", account="isp"),
            rule(second.port, "none", "@b.example", account="other"),
            rule(third.port, "none", "@c.example", account="none"),
        ],
        accounts=[{"name": "isp", "username": "isp-id"}, {"name": "other", "username": "other-id"}],
        auth_accounts=COMMON,
    )
    for _ in range(2):  # the second message over pooled sessions
        send(gw.port, "a@lan.test", ["x@a.example", "y@b.example", "z@c.example"], message())
    for up in (first, second, third):
        up.handler.wait_for(2)
    assert {u for _, u, _ in first.handler.auth_attempts} == {"isp-id"}
    assert {u for _, u, _ in second.handler.auth_attempts} == {"other-id"}
    assert third.handler.auth_attempts == []
    assert [m.auth_user for m in second.messages] == ["other-id", "other-id"]
