"""TLS towards destinations, per rule: opportunistic, required (verified), implicit (verified)."""

from __future__ import annotations

import ssl
import warnings

import pytest
import trustme

from app.system import passwords
from tests.support.smtp import message, send


@pytest.fixture
def ca(tmp_path, monkeypatch):
    """A private CA that Tenso trusts through SSL_CERT_FILE, as an admin would configure it."""
    authority = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    return authority


def server_context(cert: trustme.LeafCert) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return context


def rule(port: int, tls: str, host: str = "localhost") -> dict:
    return {"match": "*", "destination": host, "port": port, "tls": tls}


def _state(gw):
    import time

    for _ in range(500):
        ids = gw.spool.ids()
        if ids and all(r.attempts for r in gw.spool.load(ids[0]).recipients):
            return gw.spool.load(ids[0]).recipients[0]
        time.sleep(0.02)
    raise AssertionError("no attempt recorded")


def test_required_tls_with_a_trusted_certificate_sends_encrypted_and_authenticates(
    gateway_factory, upstream_factory, ca
):
    up = upstream_factory(accounts={"isp-id": "pw"}, tls_context=server_context(ca.issue_cert("localhost")))
    passwords.set("common", "pw")
    gw = gateway_factory(rules=[rule(up.port, "required")], auth_accounts={"common": {"username": "isp-id"}})
    send(gw.port, "a@lan.test", ["x@example.net"], message())
    (got,) = up.handler.wait_for(1)
    assert got.tls and got.auth_user == "isp-id"
    assert got.auth_mechanism == "PLAIN"  # over TLS the simple mechanism is fine


def test_required_tls_refuses_a_certificate_for_another_host_and_keeps_the_mail(gateway_factory, upstream_factory, ca):
    up = upstream_factory(tls_context=server_context(ca.issue_cert("other.example")))
    gw = gateway_factory(rules=[rule(up.port, "required")])
    send(gw.port, "a@lan.test", ["x@example.net"], message())
    rcpt = _state(gw)
    assert rcpt.state == "deferred" and "certificate" in rcpt.reply
    assert up.messages == []


def test_required_tls_refuses_a_destination_that_offers_only_tls_1_0_and_keeps_the_mail(
    gateway_factory, upstream_factory, ca
):
    """The legacy profile is for listeners: towards a destination Tenso insists on TLS 1.2."""
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old.minimum_version = old.maximum_version = ssl.TLSVersion.TLSv1
    old.set_ciphers("ALL:@SECLEVEL=0")
    ca.issue_cert("localhost", key_type=trustme.KeyType.RSA).configure_cert(old)
    up = upstream_factory(tls_context=old)
    gw = gateway_factory(rules=[rule(up.port, "required")])
    send(gw.port, "a@lan.test", ["x@example.net"], message())
    rcpt = _state(gw)
    assert rcpt.state == "deferred" and "TLS" in rcpt.reply, rcpt.reply
    assert up.messages == []


def test_required_tls_without_starttls_on_offer_keeps_the_mail(gateway_factory, upstream_factory, ca):
    up = upstream_factory()
    gw = gateway_factory(rules=[rule(up.port, "required")])
    send(gw.port, "a@lan.test", ["x@example.net"], message())
    rcpt = _state(gw)
    assert rcpt.state == "deferred" and "STARTTLS" in rcpt.reply
    assert up.messages == []


def test_opportunistic_tls_encrypts_even_with_an_untrusted_certificate(gateway_factory, upstream_factory):
    stranger = trustme.CA()  # not trusted by Tenso
    up = upstream_factory(tls_context=server_context(stranger.issue_cert("localhost")))
    gw = gateway_factory(rules=[rule(up.port, "opportunistic")])
    send(gw.port, "a@lan.test", ["x@example.net"], message())
    (got,) = up.handler.wait_for(1)
    assert got.tls


def test_opportunistic_tls_sends_in_clear_when_not_offered(gateway_factory, upstream_factory):
    up = upstream_factory()
    gw = gateway_factory(rules=[rule(up.port, "opportunistic")])
    send(gw.port, "a@lan.test", ["x@example.net"], message())
    (got,) = up.handler.wait_for(1)
    assert not got.tls


def test_no_tls_rule_never_starts_tls_and_prefers_cram_md5(gateway_factory, upstream_factory, ca):
    up = upstream_factory(accounts={"isp-id": "pw"}, tls_context=server_context(ca.issue_cert("localhost")))
    passwords.set("common", "pw")
    gw = gateway_factory(rules=[rule(up.port, "none")], auth_accounts={"common": {"username": "isp-id"}})
    send(gw.port, "a@lan.test", ["x@example.net"], message())
    (got,) = up.handler.wait_for(1)
    assert not got.tls and got.auth_mechanism == "CRAM-MD5"


def test_implicit_tls_connects_with_tls_from_the_first_byte(gateway_factory, upstream_factory, ca):
    up = upstream_factory(implicit_tls_context=server_context(ca.issue_cert("localhost")))
    gw = gateway_factory(rules=[rule(up.port, "implicit")])
    send(gw.port, "a@lan.test", ["x@example.net"], message())
    (got,) = up.handler.wait_for(1)
    assert got.tls
