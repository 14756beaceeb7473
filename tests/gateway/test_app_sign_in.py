"""Client credentials with nobody there (issue 24, item 1): a stored secret or a certificate is
enough; a refused token request defers the mail with the provider's words, is logged once, shows
on Status and is asked again at the next attempt; a new secret counts at once.  Against the real
authorization server of tests/support/oauth.py, which checks the secret and verifies the client
assertion's signature against the uploaded certificate, and an XOAUTH2 upstream on 127.0.0.1."""

from __future__ import annotations

import json
import os
from datetime import date, timedelta

import pytest

from app import status as status_mod
from app.accounts import certificates, service
from app.system import passwords
from tests.gateway.test_oauth_accounts import auth_server, data_dir  # noqa: F401  (fixtures)
from tests.gateway.test_tls_outbound import ca, server_context  # noqa: F401  (the ca fixture)
from tests.gateway.test_xoauth2 import localhost_cert, upstreams  # noqa: F401  (fixtures)
from tests.support.gateway import make_settings, retry_now, wait_attempts
from tests.support.logs import TensoLog
from tests.support.oauth import AuthServer
from tests.support.smtp import message, send
from tests.support.waiting import wait_until


def app_settings(tmp_path, server: AuthServer, port: int, credential: str = "secret", **account):
    oauth2 = server.oauth2("client_credentials")  # credential left out: "secret", the default
    if credential != "secret":
        oauth2["credential"] = credential
    return make_settings(
        tmp_path,
        accounts=[{"name": "app", "username": server.user, "oauth2": oauth2, **account}],
        rules=[{"match": "*", "destination": "localhost", "port": port, "tls": "required", "account": "app"}],
    )


def _deferred(gw, qid: str, attempts: int):
    (rcpt,) = wait_attempts(gw, qid, attempts).values()
    assert rcpt.state == "deferred", rcpt.reply
    return rcpt


def _account_lines(log: TensoLog, *parts: str) -> list[str]:
    """The account's own log lines (each message's deferral line, with its queue id, aside)."""
    return [line for line in log.matching(*parts) if line.startswith("account app:")]


def _gone(gw, qid: str) -> None:
    wait_until(lambda: qid not in gw.spool.ids(), 10, f"{qid} to leave the queue")


@pytest.fixture
def app_upstream(auth_server, upstreams, localhost_cert):  # noqa: F811
    server = auth_server()
    controller, handler = upstreams(server, localhost_cert)
    return server, controller, handler


def test_a_stored_client_secret_delivers_with_nobody_having_signed_in(
    tmp_path,
    app_upstream,
    data_dir,  # noqa: F811
    gateway_factory,
):
    server, controller, handler = app_upstream
    passwords.set("account:app", server.client_secret)  # password set account:app, nothing more
    gw = gateway_factory(app_settings(tmp_path, server, controller.port))
    send(gw.port, "a@lan.test", ["x@example.net"], message())
    (got,) = handler.wait_for(1)
    assert (got.auth_user, got.auth_mechanism) == (server.user, "XOAUTH2")
    assert server.grants["client_credentials"] == 1 and server.refused == []


def test_a_refused_token_request_defers_with_its_error_and_the_next_attempt_delivers(
    tmp_path,
    app_upstream,
    data_dir,  # noqa: F811
    gateway_factory,
):
    server, controller, handler = app_upstream
    passwords.set("account:app", server.client_secret)
    settings = app_settings(tmp_path, server, controller.port)
    server.refuse_next(1, "invalid_client", "AADSTS7000222: The provided client secret keys are expired.")
    gw = gateway_factory(settings)
    send(gw.port, "a@lan.test", ["x@example.net"], message())
    (qid,) = gw.spool.ids()
    rcpt = _deferred(gw, qid, 1)
    assert "invalid_client: AADSTS7000222: The provided client secret keys are expired." in rcpt.reply
    assert "sign in" not in rcpt.reply and handler.messages == []
    refused = status_mod.from_outside(settings)
    assert refused.sign_in_needed == []  # client credentials never wait for a sign-in
    ((account, why),) = [(r.account, r.why) for r in refused.token_refused]
    assert account == "app" and "AADSTS7000222" in why
    state = service.account_status(settings, "app")
    assert state.error is not None and "AADSTS7000222" in state.error
    retry_now(gw, qid)  # the retry schedule's next attempt, without waiting 5 minutes
    (got,) = handler.wait_for(1)
    assert got.auth_mechanism == "XOAUTH2" and server.grants["client_credentials"] == 1
    _gone(gw, qid)
    assert status_mod.from_outside(settings).token_refused == []
    assert service.account_status(settings, "app").error is None


def test_a_refusal_is_logged_once_for_five_messages_and_once_when_it_works_again(
    tmp_path,
    app_upstream,
    data_dir,  # noqa: F811
    gateway_factory,
):
    server, controller, handler = app_upstream
    passwords.set("account:app", server.client_secret)
    server.refuse_next(100, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
    with TensoLog() as log:
        gw = gateway_factory(app_settings(tmp_path, server, controller.port))
        for i in range(5):
            send(gw.port, "a@lan.test", [f"x{i}@example.net"], message())
        ids = gw.spool.ids()
        assert len(ids) == 5
        for qid in ids:
            _deferred(gw, qid, 1)
        assert len(_account_lines(log, "AADSTS7000215")) == 1, log.lines
        server.refusals.clear()
        retry_now(gw)
        handler.wait_for(5)
        for qid in ids:
            _gone(gw, qid)
    assert len(_account_lines(log, "AADSTS7000215")) == 1, log.lines
    assert len(_account_lines(log, "works again")) == 1, log.lines


def test_an_outage_of_the_token_endpoint_defers_and_an_error_that_changes_is_logged_again(
    tmp_path,
    app_upstream,
    data_dir,  # noqa: F811
    gateway_factory,
):
    server, controller, handler = app_upstream
    passwords.set("account:app", server.client_secret)
    server.refuse_next(1, status=503)
    server.refuse_next(1, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
    with TensoLog() as log:
        gw = gateway_factory(app_settings(tmp_path, server, controller.port))
        send(gw.port, "a@lan.test", ["x@example.net"], message())
        (qid,) = gw.spool.ids()
        assert "answered HTTP 503" in _deferred(gw, qid, 1).reply
        retry_now(gw, qid)
        assert "AADSTS7000215" in _deferred(gw, qid, 2).reply
        retry_now(gw, qid)
        handler.wait_for(1)
        _gone(gw, qid)
    assert len(_account_lines(log, "HTTP 503")) == 1
    assert len(_account_lines(log, "AADSTS7000215")) == 1


def test_a_new_secret_takes_effect_at_the_next_attempt(
    tmp_path,
    app_upstream,
    data_dir,  # noqa: F811
    gateway_factory,
):
    server, controller, handler = app_upstream
    passwords.set("account:app", "the-expired-secret")
    gw = gateway_factory(app_settings(tmp_path, server, controller.port))
    send(gw.port, "a@lan.test", ["x@example.net"], message())
    (qid,) = gw.spool.ids()
    assert "invalid client secret" in _deferred(gw, qid, 1).reply
    passwords.set("account:app", server.client_secret)  # python -m app password set account:app
    retry_now(gw, qid)
    (got,) = handler.wait_for(1)
    assert got.auth_mechanism == "XOAUTH2"
    _gone(gw, qid)
    assert server.refused == ["invalid_client"] and server.grants["client_credentials"] == 1


def test_a_changed_secret_drops_the_token_asked_with_the_old_one(
    tmp_path,
    auth_server,  # noqa: F811
    data_dir,  # noqa: F811
):
    server = auth_server()
    settings = app_settings(tmp_path, server, 9)
    passwords.set("account:app", server.client_secret)
    first = service.access_token(settings, "app")
    assert service.access_token(settings, "app") == first and server.grants["client_credentials"] == 1
    passwords.set("account:app", "a-secret-that-was-never-valid")
    with pytest.raises(service.AccountError, match="invalid client secret") as refused:
        service.access_token(settings, "app")
    assert not refused.value.needs_sign_in


def test_a_certificate_account_is_verified_by_the_server_and_the_mail_leaves(
    tmp_path,
    app_upstream,
    data_dir,  # noqa: F811
    gateway_factory,
    capsys,
):
    from app.cli import main

    server, controller, handler = app_upstream
    settings = app_settings(tmp_path, server, controller.port, credential="certificate")
    config = tmp_path / "settings.json"
    from app import settings as settings_mod

    settings_mod.save(settings, config)
    assert main(["account", "certificate", "create", "app", "--config", str(config)]) == 0
    printed = capsys.readouterr().out
    made = certificates.load("app")
    assert str(made.cert) in printed and made.thumbprint in printed and len(made.thumbprint) == 40
    assert made.key.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    if os.name != "nt":
        assert made.key.stat().st_mode & 0o077 == 0
    server.upload(made.cert.read_bytes())  # what the administrator does in Entra ID
    gw = gateway_factory(settings)
    send(gw.port, "a@lan.test", ["x@example.net"], message())
    (got,) = handler.wait_for(1)
    assert got.auth_mechanism == "XOAUTH2" and server.refused == []
    ((header, claims),) = server.assertions
    assert header["alg"] == "RS256" and "x5t" in header and "x5t#S256" in header
    assert claims["aud"] == server.url("/token") and claims["iss"] == claims["sub"] == server.client_id
    assert claims["exp"] - claims["nbf"] <= 600


def test_a_certificate_that_was_not_uploaded_defers_with_aadsts700027(
    tmp_path,
    app_upstream,
    data_dir,  # noqa: F811
    gateway_factory,
):
    server, controller, handler = app_upstream
    settings = app_settings(tmp_path, server, controller.port, credential="certificate")
    server.upload(certificates.create("app").cert.read_bytes())
    certificates.create("app")  # made again, the new one not uploaded
    gw = gateway_factory(settings)
    send(gw.port, "a@lan.test", ["x@example.net"], message())
    (qid,) = gw.spool.ids()
    rcpt = _deferred(gw, qid, 1)
    assert "AADSTS700027" in rcpt.reply and handler.messages == []
    server.upload(certificates.load("app").cert.read_bytes())
    retry_now(gw, qid)
    handler.wait_for(1)
    _gone(gw, qid)


def test_expiry_within_14_days_shows_in_account_status_and_status_json(
    tmp_path,
    auth_server,  # noqa: F811
    data_dir,  # noqa: F811
    capsys,
):
    from app import settings as settings_mod
    from app.cli import main

    server = auth_server()
    soon = (date.today() + timedelta(days=10)).isoformat()
    later = (date.today() + timedelta(days=40)).isoformat()
    oauth2 = server.oauth2("client_credentials")
    settings = make_settings(
        tmp_path,
        accounts=[
            {"name": "app", "username": server.user, "oauth2": oauth2, "secret_expires": soon},
            {"name": "later", "username": server.user, "oauth2": oauth2, "secret_expires": later},
            {"name": "cert", "username": server.user, "oauth2": {**oauth2, "credential": "certificate"}},
        ],
        rules=[{"match": "*", "destination": "localhost", "port": 9, "tls": "required", "account": "app"}],
    )
    certificates.create("cert", days=5)
    config = tmp_path / "settings.json"
    settings_mod.save(settings, config)
    assert main(["account", "status", "app", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert f"the client secret of account app expires on {soon} (in 10 day(s))" in out
    assert "password set account:app" in out
    assert main(["account", "status", "later", "--config", str(config)]) == 0
    assert "expires on" not in capsys.readouterr().out
    assert main(["status", "--json", "--config", str(config)]) == 0
    found = json.loads(capsys.readouterr().out)["expiring"]
    assert {(e["account"], e["what"], e["days_left"]) for e in found} == {
        ("app", "client secret", 10),
        ("cert", "certificate", 5),
    }
    assert main(["status", "--config", str(config)]) == 0
    assert "the certificate of account cert expires on" in capsys.readouterr().out


def test_a_malformed_secret_expires_is_a_problem_naming_the_field(tmp_path):
    from app.settings import SettingsError

    with pytest.raises(SettingsError) as bad:
        make_settings(tmp_path, accounts=[{"name": "app", "username": "u", "secret_expires": "31.03.2027"}])
    assert any("accounts[0].secret_expires" in p and "YYYY-MM-DD" in p for p in bad.value.problems)


def test_a_sign_in_mark_left_by_an_older_tenso_does_not_stop_client_credentials(tmp_path, auth_server, data_dir):  # noqa: F811
    """Before issue 24 a refused client-credentials request marked the token file "sign in again"
    for good; such a file is only an old token now, and the next request asks again."""
    from app.accounts.tokens import TokenSet

    server = auth_server()
    settings = app_settings(tmp_path, server, 9)
    passwords.set("account:app", server.client_secret)
    service.store().save("app", TokenSet(error="account app: invalid_client", needs_sign_in=True))
    assert server.valid(service.access_token(settings, "app"))
    state = service.account_status(settings, "app")
    assert state.signed_in and state.error is None and state.flow == "client_credentials"


def test_a_client_secret_that_is_not_stored_is_shown_as_such(tmp_path, auth_server, data_dir):  # noqa: F811
    from app import offline

    server = auth_server()
    settings = app_settings(tmp_path, server, 9)
    passwords.delete("account:app")  # the session's keyring: another test may have stored one
    (missing,) = status_mod.from_outside(settings).missing_passwords
    assert (missing.key, missing.secret) == ("account:app", True)
    (warning,) = offline.password_warnings(settings)
    assert warning.startswith("the account app (client credentials) has no client secret stored")
    assert status_mod.from_outside(app_settings(tmp_path, server, 9, credential="certificate")).missing_passwords == []
    passwords.set("account:app", server.client_secret)
    assert status_mod.from_outside(settings).missing_passwords == []


def test_a_token_endpoint_that_cannot_be_reached_is_a_deferral_not_a_sign_in(tmp_path, auth_server, data_dir):  # noqa: F811
    from tests.support.processes import free_port

    server = auth_server()
    settings = app_settings(tmp_path, server, 9)
    passwords.set("account:app", server.client_secret)
    settings.accounts[0].oauth2.token_url = f"http://127.0.0.1:{free_port()}/token"  # nothing listens there
    with pytest.raises(service.AccountError, match="cannot reach 127.0.0.1") as refused:
        service.access_token(settings, "app")
    assert not refused.value.needs_sign_in and "the mail waits and is tried again" in str(refused.value)
    assert status_mod.sign_ins_needed(settings) == []
