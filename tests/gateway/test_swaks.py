"""An independent SMTP client (swaks, from Debian) through Tenso: STARTTLS, AUTH, relay, refusal.

.ci/run installs swaks; where it is missing these tests say so and skip.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
import trustme

from app.system import passwords
from tests.support.smtp import strip_received, write_tls_files

SWAKS = shutil.which("swaks")
pytestmark = pytest.mark.skipif(SWAKS is None, reason="swaks is not installed (apt-get install swaks)")
USER, PASSWORD = "user1@example.test", "swaks-secret"


def swaks(port: int, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SWAKS, "--server", "127.0.0.1", "--port", str(port), "--helo", "client.test", "--timeout", "20", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def tls_files(tmp_path):
    return write_tls_files(trustme.CA().issue_cert("tenso.test", "127.0.0.1"), tmp_path)


def test_swaks_logs_in_after_starttls_and_relays_through_tenso(gateway_factory, upstream_factory, tls_files):
    up = upstream_factory()
    passwords.set(f"local:{USER}", PASSWORD)
    gw = gateway_factory(
        server=tls_files,
        local_users=[{"address": USER}],
        options={"relay_networks": ["10.0.0.0/8"]},  # only a login lets this client relay
        rules=[{"match": "*", "destination": "127.0.0.1", "port": up.port, "tls": "none"}],
    )
    result = swaks(
        gw.port,
        "--tls",
        "--auth",
        "PLAIN",
        "--auth-user",
        USER,
        "--auth-password",
        PASSWORD,
        "--from",
        USER,
        "--to",
        "someone@example.net",
        "--header",
        "Subject: from swaks",
        "--body",
        "hello from swaks",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "queued as" in result.stdout
    (got,) = up.handler.wait_for(1)
    assert got.rcpt_tos == ["someone@example.net"]
    assert b"Subject: from swaks" in strip_received(got.data)
    assert b"with ESMTPSA" in got.data  # the Received header says TLS and AUTH were used


def test_swaks_from_outside_without_login_is_refused_and_nothing_is_stored(gateway_factory, upstream_factory):
    up = upstream_factory()
    gw = gateway_factory(
        options={"relay_networks": ["10.0.0.0/8"]},
        rules=[{"match": "*", "destination": "127.0.0.1", "port": up.port, "tls": "none"}],
    )
    result = swaks(gw.port, "--from", "a@outside.example", "--to", "victim@example.net")
    assert result.returncode != 0
    assert "550 5.7.1" in result.stdout
    assert gw.spool.ids() == [] and up.messages == []


@pytest.fixture
def rsa_tls_files(tmp_path):
    """An RSA certificate: TLS 1.0 clients with RSA key exchange need one."""
    authority = trustme.CA(key_type=trustme.KeyType.RSA)
    return write_tls_files(authority.issue_cert("tenso.test", "127.0.0.1", key_type=trustme.KeyType.RSA), tmp_path)


def test_swaks_as_an_old_scanner_logs_in_as_a_device_over_smtps_and_over_tls_1_0(
    gateway_factory, upstream_factory, rsa_tls_files
):
    """swaks speaking SMTPS (--tlsc) with AUTH LOGIN, and STARTTLS forced to TLS 1.0 with
    AES128-SHA, logs in as a device and relays: implicit and legacy listeners seen by an
    independent client."""
    up = upstream_factory()
    passwords.set("device:mfp-2f", "scanner-secret")
    gw = gateway_factory(
        server={
            **rsa_tls_files,
            "listen": [
                {"address": "127.0.0.1:0", "tls": "implicit", "require_auth": True},
                {"address": "127.0.0.1:0", "tls_profile": "legacy"},
            ],
        },
        devices=[{"name": "mfp-2f", "login": "mfp2f", "senders": ["scan@example.test"]}],
        options={"relay_networks": ["10.0.0.0/8"]},
        rules=[{"match": "*", "destination": "127.0.0.1", "port": up.port, "tls": "none"}],
    )
    smtps, legacy = (port for _, port in gw.gateway.bound)
    login = ["--auth", "LOGIN", "--auth-user", "mfp2f", "--auth-password", "scanner-secret"]
    mail = ["--from", "scan@example.test", "--to", "office@example.net", "--header", "Subject: scan"]
    result = swaks(smtps, "--tlsc", *login, *mail)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "334 VXNlcm5hbWU6" in result.stdout and "334 UGFzc3dvcmQ6" in result.stdout, result.stdout
    old = ["--tls", "--tls-protocol", "tlsv1", "--tls-cipher", "AES128-SHA:@SECLEVEL=0"]
    result = swaks(legacy, *old, *login, *mail)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "TLS started with cipher TLSv1:AES128-SHA" in result.stdout, result.stdout
    assert len(up.handler.wait_for(2)) == 2
