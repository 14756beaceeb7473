"""End to end: smtplib client -> Tenso -> an upstream that demands and checks SMTP AUTH."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, message, send, strip_received

from app import passwords


def test_forwards_to_rule_destination_with_common_account_cram_md5(gateway_factory, upstream_factory):
    up = upstream_factory(accounts={"isp-id": "isp-secret"})
    passwords.set("common", "isp-secret")
    gw = gateway_factory(rules=[{"match": "*", "destination": "127.0.0.1", "port": up.port, "tls": "none"}],
                         auth_accounts={"common": {"username": "isp-id"}})
    data = message("hello")
    send(gw.port, "a@lan.test", ["someone@example.net"], data)
    (got,) = up.handler.wait_for(1)
    assert got.mail_from == "a@lan.test"
    assert got.rcpt_tos == ["someone@example.net"]
    assert got.auth_user == "isp-id" and got.auth_mechanism == "CRAM-MD5"
    assert strip_received(got.data) == data
