"""Named accounts on the wire: each rule's server gets the rule's account, or no login at all."""

from __future__ import annotations

from app.system import passwords
from tests.support.gateway import rule
from tests.support.smtp import message, send


def test_a_rule_naming_an_account_logs_in_with_that_accounts_password(gateway_factory, upstream_factory):
    up = upstream_factory(accounts={"isp-id": "isp-secret"})
    passwords.set("account:isp", "isp-secret")
    passwords.set("common", "common-secret")
    gw = gateway_factory(
        rules=[{**rule(up.port), "account": "isp"}],
        accounts=[{"name": "isp", "username": "isp-id"}],
        auth_accounts={"common": {"username": "common-id"}},
    )
    send(gw.port, "a@lan.test", ["x@example.net"], message())
    (got,) = up.handler.wait_for(1)
    assert got.auth_user == "isp-id"
    assert [a[1] for a in up.handler.auth_attempts] == ["isp-id"]


def test_a_rule_with_account_none_never_logs_in_although_the_server_offers_auth(gateway_factory, upstream_factory):
    up = upstream_factory(accounts={"common-id": "common-secret"})
    up.handler.require_auth = False  # an internal server: AUTH on offer, mail taken without it
    passwords.set("common", "common-secret")
    gw = gateway_factory(
        rules=[{**rule(up.port), "account": "none"}], auth_accounts={"common": {"username": "common-id"}}
    )
    send(gw.port, "a@lan.test", ["x@example.net"], message())
    (got,) = up.handler.wait_for(1)
    assert got.auth_user is None and up.handler.auth_attempts == []
