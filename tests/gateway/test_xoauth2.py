"""XOAUTH2 on the wire: an aiosmtpd upstream that offers AUTH XOAUTH2 only after STARTTLS and
checks every token with the authorization server of tests/support/oauth.py."""

from __future__ import annotations

import time

import pytest
import trustme

from app.accounts import service
from tests.gateway.test_oauth_accounts import auth_server, data_dir, sign_in  # noqa: F401  (fixtures)
from tests.gateway.test_tls_outbound import ca, server_context  # noqa: F401  (the ca fixture)
from tests.support.gateway import make_settings, retry_now, wait_attempts
from tests.support.oauth import AuthServer, xoauth2_upstream
from tests.support.smtp import message, send
from tests.support.waiting import wait_until


@pytest.fixture
def upstreams():
    made = []

    def make(server: AuthServer, context):
        controller, handler = xoauth2_upstream(server, context, hostname="127.0.0.1")
        made.append(controller)
        return controller, handler

    yield make
    for controller in made:
        controller.stop()


def settings_with(tmp_path, server: AuthServer, port: int, tls: str = "required"):
    account = {"name": "m365", "username": server.user, "oauth2": server.oauth2()}
    return make_settings(
        tmp_path,
        accounts=[account],
        rules=[{"match": "*", "destination": "localhost", "port": port, "tls": tls, "account": "m365"}],
    )


@pytest.fixture
def localhost_cert(ca):  # noqa: F811
    return server_context(ca.issue_cert("localhost"))


def _only(gw):
    (qid,) = gw.spool.ids()
    (rcpt,) = wait_attempts(gw, qid, 1).values()
    return qid, rcpt


def test_relayed_mail_logs_in_with_xoauth2_and_a_valid_token_after_starttls(
    tmp_path,
    auth_server,  # noqa: F811
    data_dir,  # noqa: F811
    upstreams,
    localhost_cert,
    gateway_factory,
):
    server = auth_server()
    controller, handler = upstreams(server, localhost_cert)
    settings = settings_with(tmp_path, server, controller.port)
    sign_in(settings)
    gw = gateway_factory(settings)
    send(gw.port, "a@lan.test", ["x@example.net"], message())
    (got,) = handler.wait_for(1)
    assert got.tls and (got.auth_user, got.auth_mechanism) == (server.user, "XOAUTH2")
    assert [(u, valid) for u, _, valid in handler.tokens] == [(server.user, True)]


def test_after_expiry_the_next_message_uses_a_refreshed_token(
    tmp_path,
    auth_server,  # noqa: F811
    data_dir,  # noqa: F811
    upstreams,
    localhost_cert,
    gateway_factory,
):
    server = auth_server(access_seconds=3600)
    controller, handler = upstreams(server, localhost_cert)
    settings = settings_with(tmp_path, server, controller.port)
    sign_in(settings)
    stored = service.store().load("m365")
    assert stored is not None
    signed_in_token = stored.access_token
    stored.expires_at = time.time() - 1  # an hour later: the token Tenso holds has expired
    service.store().save("m365", stored)
    gw = gateway_factory(settings)
    send(gw.port, "a@lan.test", ["x@example.net"], message())
    handler.wait_for(1)
    ((user, used, valid),) = handler.tokens  # refreshed before use: no refused attempt first
    assert valid and used != signed_in_token and server.grants["refresh_token"] == 1


def test_a_token_refused_although_believed_valid_gets_one_refresh_and_one_retry(
    tmp_path,
    auth_server,  # noqa: F811
    data_dir,  # noqa: F811
    upstreams,
    localhost_cert,
    gateway_factory,
):
    server = auth_server()
    controller, handler = upstreams(server, localhost_cert)
    settings = settings_with(tmp_path, server, controller.port)
    sign_in(settings)
    server.expire_all()
    gw = gateway_factory(settings)
    send(gw.port, "a@lan.test", ["x@example.net"], message())
    (got,) = handler.wait_for(1)
    assert [valid for _, _, valid in handler.tokens] == [False, True]
    assert server.grants["refresh_token"] == 1 and got.auth_mechanism == "XOAUTH2"


def test_a_server_refusing_every_token_defers_with_its_reply_after_one_retry(
    tmp_path,
    auth_server,  # noqa: F811
    data_dir,  # noqa: F811
    upstreams,
    localhost_cert,
    gateway_factory,
):
    server = auth_server()
    controller, handler = upstreams(server, localhost_cert)
    handler.reject = "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant."
    settings = settings_with(tmp_path, server, controller.port)
    sign_in(settings)
    gw = gateway_factory(settings)
    send(gw.port, "a@lan.test", ["x@example.net"], message())
    _, rcpt = _only(gw)
    assert rcpt.state == "deferred" and len(handler.tokens) == 2 and server.grants["refresh_token"] == 1
    assert "AUTH XOAUTH2 as office@contoso.example refused: 535 5.7.139" in rcpt.reply
    assert "SmtpClientAuthentication is disabled for the Tenant" in rcpt.reply


def test_revoked_consent_defers_keeps_the_mail_and_it_goes_after_a_new_sign_in(
    tmp_path,
    auth_server,  # noqa: F811
    data_dir,  # noqa: F811
    upstreams,
    localhost_cert,
    gateway_factory,
):
    server = auth_server()
    controller, handler = upstreams(server, localhost_cert)
    settings = settings_with(tmp_path, server, controller.port)
    sign_in(settings)
    server.revoke()
    gw = gateway_factory(settings)
    send(gw.port, "a@lan.test", ["x@example.net"], message())
    qid, rcpt = _only(gw)
    assert rcpt.state == "deferred" and handler.messages == []
    assert "sign in again: Auth accounts → m365" in rcpt.reply
    server.restore()
    sign_in(settings)
    retry_now(gw, qid)
    (got,) = handler.wait_for(1)
    assert got.auth_mechanism == "XOAUTH2"
    wait_until(lambda: gw.spool.ids() == [], 10, "the message to leave the queue")


def test_a_token_never_goes_over_tls_that_did_not_verify(
    tmp_path,
    auth_server,  # noqa: F811
    data_dir,  # noqa: F811
    upstreams,
    gateway_factory,
):
    server = auth_server()
    controller, handler = upstreams(server, server_context(trustme.CA().issue_cert("localhost")))
    settings = settings_with(tmp_path, server, controller.port, tls="opportunistic")
    sign_in(settings)
    gw = gateway_factory(settings)
    send(gw.port, "a@lan.test", ["x@example.net"], message())
    _, rcpt = _only(gw)
    assert rcpt.state == "deferred" and handler.tokens == []
    assert "an OAuth 2.0 token goes only over TLS with a verified certificate" in rcpt.reply
    assert "rules[0].tls to required" in rcpt.reply
