"""The front door for office devices (issue 16): listeners with their own TLS, device logins,
what old clients send, and the limits against abuse.

Real parts only: the gateway on loopback, smtplib and raw sockets as the devices, Python's ssl
forced to TLS 1.0 with an RSA key-exchange suite as an old multifunction printer, an aiosmtpd
upstream as Microsoft 365, passwords in keyrings.alt's file backend.  "Another client" is
127.0.0.2 (all of 127/8 is this machine's loopback on Linux).
"""

from __future__ import annotations

import concurrent.futures
import smtplib
import socket
import ssl
import time
import warnings

import pytest
import trustme

from app.settings import SettingsError, from_dict
from app.system import passwords
from tests.support import tlsprobe
from tests.support.gateway import rule
from tests.support.logs import LogCapture
from tests.support.smtp import Raw, b64, message, strip_received, write_tls_files
from tests.support.waiting import wait_until

USER, USER_PW = "user1@example.jp", "user1-secret"
DEVICE, DEVICE_LOGIN, DEVICE_PW = "mfp-2f", "mfp2f", "scanner-secret"
SCAN_FROM = "scan@example.jp"
NO_RELAY = {"relay_networks": []}  # loopback may not relay by address: only a login lets mail out


@pytest.fixture(scope="module")
def rsa_ca() -> trustme.CA:
    return trustme.CA(key_type=trustme.KeyType.RSA)  # RSA key exchange needs an RSA certificate


@pytest.fixture
def cert_files(rsa_ca, tmp_path) -> dict:
    return write_tls_files(rsa_ca.issue_cert("tenso.test", "127.0.0.1", key_type=trustme.KeyType.RSA), tmp_path)


@pytest.fixture
def trusting(rsa_ca) -> ssl.SSLContext:
    context = ssl.create_default_context()
    rsa_ca.configure_trust(context)
    return context


@pytest.fixture
def accounts():
    passwords.set(f"local:{USER}", USER_PW)
    passwords.set(f"device:{DEVICE}", DEVICE_PW)


def old_printer(rsa_ca) -> ssl.SSLContext:
    """What a multifunction printer from ~2012 offers: TLS 1.0 and AES128-SHA, nothing newer."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    rsa_ca.configure_trust(context)
    context.set_ciphers("AES128-SHA:@SECLEVEL=0")
    with warnings.catch_warnings():  # Python deprecates TLS 1.0: just what this printer speaks
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1
    return context


def ports(gw) -> list[int]:
    return [port for _, port in gw.gateway.bound]


def local_users() -> list[dict]:
    return [{"address": USER}]


def devices(**device) -> list[dict]:
    return [{"name": DEVICE, "login": DEVICE_LOGIN, **device}]


# --- listeners ------------------------------------------------------------------------------


def test_a_tls_1_0_printer_relays_through_a_legacy_listener_and_is_refused_by_a_modern_one(
    gateway_factory, upstream_factory, cert_files, rsa_ca
):
    up = upstream_factory()
    gw = gateway_factory(
        server={
            **cert_files,
            "listen": [{"address": "127.0.0.1:0", "tls_profile": "legacy"}, {"address": "127.0.0.1:0"}],
        },
        rules=[rule(up.port)],
    )
    legacy, modern = ports(gw)
    with smtplib.SMTP("127.0.0.1", legacy, timeout=10) as c:
        c.starttls(context=old_printer(rsa_ca))
        assert (c.sock.version(), c.sock.cipher()[0]) == ("TLSv1", "AES128-SHA")
        c.sendmail("scan@lan.test", ["x@example.net"], message("scan"))
    (got,) = up.handler.wait_for(1)
    assert b"with ESMTPS" in got.data.split(b"\r\n\r\n")[0]

    with smtplib.SMTP("127.0.0.1", modern, timeout=10) as c, pytest.raises(ssl.SSLError):
        c.starttls(context=old_printer(rsa_ca))


def test_a_modern_client_gets_tls_1_2_or_newer_on_a_legacy_listener(gateway_factory, cert_files, trusting):
    gw = gateway_factory(server={**cert_files, "listen": [{"address": "127.0.0.1:0", "tls_profile": "legacy"}]})
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as c:
        c.starttls(context=trusting)
        assert c.sock.version() in ("TLSv1.2", "TLSv1.3")


def test_smtps_with_auth_relays_and_mail_before_auth_gets_530(
    gateway_factory, upstream_factory, cert_files, trusting, accounts
):
    up = upstream_factory()
    gw = gateway_factory(
        server={**cert_files, "listen": [{"address": "127.0.0.1:0", "tls": "implicit", "require_auth": True}]},
        local_domains=["example.jp"],
        local_users=local_users(),
        options=NO_RELAY,
        rules=[rule(up.port)],
    )
    with smtplib.SMTP_SSL("127.0.0.1", gw.port, context=trusting, timeout=10) as c:
        c.ehlo("client.test")
        assert "auth" in c.esmtp_features and "starttls" not in c.esmtp_features
        assert c.mail(USER)[0] == 530
        c.rset()
        c.login(USER, USER_PW)
        c.sendmail(USER, ["someone@example.net"], message("over SMTPS"))
    (got,) = up.handler.wait_for(1)
    assert got.rcpt_tos == ["someone@example.net"]
    assert b"with ESMTPSA" in got.data.split(b"\r\n\r\n")[0]


def test_a_listener_with_networks_refuses_other_clients_at_connect(gateway_factory):
    gw = gateway_factory(
        server={
            "listen": [
                {"address": "127.0.0.1:0", "networks": ["192.0.2.0/24"]},
                {"address": "127.0.0.1:0", "networks": ["127.0.0.0/8"]},
            ]
        }
    )
    closed, open_ = ports(gw)
    with pytest.raises(smtplib.SMTPConnectError) as refused:
        smtplib.SMTP("127.0.0.1", closed, timeout=10)
    assert refused.value.smtp_code == 554
    with smtplib.SMTP("127.0.0.1", open_, timeout=10) as c:
        assert c.noop()[0] == 250


def test_the_settings_refuse_an_smtps_listener_without_a_certificate_and_keep_plain_entries_as_strings(tmp_path):
    with pytest.raises(SettingsError) as bad:
        from_dict({"server": {"listen": [{"address": "0.0.0.0:465", "tls": "implicit"}]}})
    assert "server.listen[0].tls: implicit TLS needs a certificate" in str(bad.value)
    with pytest.raises(SettingsError) as bad:
        from_dict({"server": {"listen": [{"address": "0.0.0.0:25", "tls": "tls1"}]}})
    assert "server.listen[0].tls: must be one of starttls, implicit, none" in str(bad.value)


# --- what old devices send ---------------------------------------------------------------------


@pytest.fixture
def plain_auth_gateway(gateway_factory, upstream_factory, accounts):
    """A plain listener where devices may log in without TLS (auth_requires_tls off), as for a
    scanner on the LAN that cannot do TLS at all."""
    up = upstream_factory()
    gw = gateway_factory(
        server={"auth_requires_tls": False},
        local_domains=["example.jp"],
        local_users=local_users(),
        devices=devices(),
        options=NO_RELAY,
        rules=[rule(up.port)],
    )
    return gw, up


def test_auth_login_uses_the_classic_prompts_byte_for_byte(plain_auth_gateway):
    gw, up = plain_auth_gateway
    with LogCapture() as log, Raw(gw.port) as raw:
        assert raw.cmd("EHLO mfp.lan")[0] == 250
        assert raw.line("AUTH LOGIN") == b"334 VXNlcm5hbWU6\r\n"  # "Username:"
        assert raw.line(b64(DEVICE_LOGIN)) == b"334 UGFzc3dvcmQ6\r\n"  # "Password:"
        assert raw.line(b64(DEVICE_PW)) == b"235 2.7.0 Authentication successful\r\n"
        wait_until(lambda: log.matching(r"^AUTH device:mfp-2f from 127\.0\.0\.1$"))
    # One line for the login; aiosmtpd's warning about its own deprecated attribute is not for admins.
    assert log.matching("deprecated") == [], log.text()


def test_auth_login_with_the_user_name_inline_and_in_lower_case(plain_auth_gateway):
    gw, up = plain_auth_gateway
    with Raw(gw.port) as raw:
        assert raw.cmd("EHLO mfp.lan")[0] == 250
        assert raw.line("auth login " + b64(DEVICE_LOGIN)) == b"334 UGFzc3dvcmQ6\r\n"
        assert raw.line(b64(DEVICE_PW)) == b"235 2.7.0 Authentication successful\r\n"


@pytest.mark.parametrize("inline", [True, False], ids=["initial-response", "next-line"])
def test_auth_plain_with_an_initial_response_or_on_the_next_line(plain_auth_gateway, inline):
    gw, up = plain_auth_gateway
    credentials = b64(f"\0{DEVICE_LOGIN}\0{DEVICE_PW}")
    with Raw(gw.port) as raw:
        assert raw.cmd("EHLO mfp.lan")[0] == 250
        if inline:
            assert raw.line("Auth Plain " + credentials) == b"235 2.7.0 Authentication successful\r\n"
        else:
            assert raw.line("AUTH PLAIN") == b"334 \r\n"
            assert raw.line(credentials) == b"235 2.7.0 Authentication successful\r\n"


def test_a_device_that_says_helo_then_logs_in_and_sends_is_answered_and_relayed(plain_auth_gateway):
    gw, up = plain_auth_gateway
    with Raw(gw.port) as raw:
        assert raw.cmd("HELO mfp.lan")[0] == 250
        assert raw.line("AUTH LOGIN") == b"334 VXNlcm5hbWU6\r\n"
        assert raw.line(b64(DEVICE_LOGIN)) == b"334 UGFzc3dvcmQ6\r\n"
        assert raw.line(b64(DEVICE_PW)) == b"235 2.7.0 Authentication successful\r\n"
        assert raw.cmd(f"MAIL FROM:<{SCAN_FROM}>")[0] == 250
        assert raw.cmd("RCPT TO:<office@example.net>")[0] == 250
        assert raw.cmd("DATA")[0] == 354
        code, text = raw.cmd(message("scan after HELO") + b".")
        assert code == 250, text
    (got,) = up.handler.wait_for(1)
    assert b"with SMTPA" in got.data.split(b"\r\n\r\n")[0]  # HELO: plain SMTP, authenticated


# --- device logins ---------------------------------------------------------------------------------


def test_a_device_login_relays_and_a_mailbox_password_is_not_a_devices(plain_auth_gateway):
    gw, up = plain_auth_gateway
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as c:
        with pytest.raises(smtplib.SMTPAuthenticationError):
            c.login(DEVICE_LOGIN, USER_PW)
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as c:
        with pytest.raises(smtplib.SMTPAuthenticationError):
            c.login(USER, DEVICE_PW)
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as c:
        c.ehlo("mfp.lan")
        assert c.mail(SCAN_FROM)[0] == 250
        assert c.rcpt("office@example.net")[0] == 550  # no login: no relay
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as c:
        c.login(DEVICE_LOGIN, DEVICE_PW)
        c.sendmail(SCAN_FROM, ["office@example.net"], message("scan"))
    (got,) = up.handler.wait_for(1)
    assert got.mail_from == SCAN_FROM and got.rcpt_tos == ["office@example.net"]
    assert strip_received(got.data).startswith(b"From: a@client.test")


def test_a_device_with_senders_is_refused_another_mail_from(gateway_factory, upstream_factory, accounts):
    up = upstream_factory()
    gw = gateway_factory(
        server={"auth_requires_tls": False},
        devices=devices(senders=[SCAN_FROM]),
        options=NO_RELAY,
        rules=[rule(up.port)],
    )
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as c:
        c.login(DEVICE_LOGIN, DEVICE_PW)
        code, text = c.mail("ceo@example.jp")
        assert (code, text[:9]) == (550, b"5.7.1 <ce"), text
        assert c.mail(SCAN_FROM.upper())[0] == 250  # addresses compare without case
        assert c.rcpt("office@example.net")[0] == 250


# --- limits -----------------------------------------------------------------------------------------


def greeting(sock: socket.socket) -> bytes:
    """The first line a connection gets, and b"" appended when the server then hangs up."""
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(1024)
        if not chunk:
            return data
        data += chunk
    return data


def test_connections_beyond_the_per_client_limit_get_421_while_another_client_relays_at_once(
    gateway_factory, upstream_factory
):
    up = upstream_factory()
    gw = gateway_factory(server={"max_connections_per_client": 20}, rules=[rule(up.port)])
    with LogCapture() as log:
        held = [socket.create_connection(("127.0.0.1", gw.port), timeout=5) for _ in range(30)]
        replies = [greeting(s) for s in held]
    # One warning for the ten refusals: a client knocking fast cannot flood the log.
    assert len(log.matching(r"^client 127\.0\.0\.1 refused: it has 20 connections open")) == 1, log.text()
    try:
        assert sum(r.startswith(b"220 ") for r in replies) == 20, replies
        refused = [s for s, r in zip(held, replies, strict=True) if r.startswith(b"421 4.7.0")]
        assert len(refused) == 10, replies
        for s in refused:
            assert s.recv(1024) == b""  # closed at once
        started = time.monotonic()
        with Raw(gw.port, source="127.0.0.2") as other:
            assert other.greeting[0] == 220
            assert other.cmd("EHLO other.lan")[0] == 250
            assert other.cmd("MAIL FROM:<a@lan.test>")[0] == 250
            assert other.cmd("RCPT TO:<x@example.net>")[0] == 250
            assert other.cmd("DATA")[0] == 354
            assert other.cmd(message("meanwhile") + b".")[0] == 250
        up.handler.wait_for(1)
        assert time.monotonic() - started < 3
    finally:
        for s in held:
            s.close()
    # Their slots are given back: the same client may connect again.
    wait_until(lambda: gw.gateway.door.open == 0, 5, "the held connections to be counted out")
    with Raw(gw.port) as again:
        assert again.greeting[0] == 220


def test_connections_beyond_max_connections_get_421_from_any_client(gateway_factory):
    gw = gateway_factory(server={"max_connections": 3})
    held = [socket.create_connection(("127.0.0.1", gw.port), timeout=5) for _ in range(3)]
    try:
        assert all(greeting(s).startswith(b"220 ") for s in held)
        with socket.create_connection(("127.0.0.1", gw.port), timeout=5, source_address=("127.0.0.2", 0)) as s:
            assert greeting(s).startswith(b"421 4.7.0")
    finally:
        for s in held:
            s.close()


def login_fails(port: int, user: str, password: str, source: str = "127.0.0.1") -> bytes:
    """One AUTH PLAIN attempt on a connection of its own; the reply line."""
    with Raw(port, timeout=10, source=source) as raw:
        raw.cmd("EHLO guesser.lan")
        return raw.line("AUTH PLAIN " + b64(f"\0{user}\0{password}"))


def test_eleven_wrong_passwords_bar_the_address_from_auth_but_not_others_nor_relay_without_login(
    gateway_factory, upstream_factory, accounts
):
    up = upstream_factory()
    gw = gateway_factory(
        server={"auth_requires_tls": False, "auth_failures_limit": 10, "auth_ban_minutes": 30},
        local_domains=["example.jp"],
        local_users=local_users(),
        rules=[rule(up.port)],
    )
    with LogCapture() as log:
        with concurrent.futures.ThreadPoolExecutor(10) as pool:  # each failure waits 1 s: side by side
            first = list(pool.map(lambda i: login_fails(gw.port, USER, f"guess-{i}"), range(10)))
        assert all(r.startswith(b"535 ") for r in first), first
        assert login_fails(gw.port, USER, "guess-10").startswith(b"454 4.7.0")  # the 11th
        assert login_fails(gw.port, USER, USER_PW).startswith(b"454 4.7.0")  # the 12th, right password
        assert login_fails(gw.port, USER, USER_PW, source="127.0.0.2").startswith(b"235 ")
        # 127.0.0.1 is a relay network: it sends without a login as before.
        with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as c:
            c.sendmail("a@lan.test", ["x@example.net"], message("relay without login"))
        up.handler.wait_for(1)
    assert len(log.matching(r"^client 127\.0\.0\.1 may not log in for 30 minutes: 10 failed logins")) == 1, log.text()
    (ban,) = gw.gateway.status().auth_bans
    assert ban.client == "127.0.0.1" and 29 * 60 < ban.until - time.time() <= 30 * 60


def test_no_ban_when_auth_failures_limit_is_0(gateway_factory, accounts):
    gw = gateway_factory(
        server={"auth_requires_tls": False, "auth_failures_limit": 0},
        local_domains=["example.jp"],
        local_users=local_users(),
    )
    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        replies = list(pool.map(lambda i: login_fails(gw.port, USER, f"guess-{i}"), range(12)))
    assert all(r.startswith(b"535 ") for r in replies), replies
    assert login_fails(gw.port, USER, USER_PW).startswith(b"235 ")


def test_each_tls_profile_accepts_its_versions_and_suites_and_no_others(gateway_factory, cert_files):
    gw = gateway_factory(
        server={
            **cert_files,
            "listen": [{"address": "127.0.0.1:0", "tls_profile": "legacy"}, {"address": "127.0.0.1:0"}],
        }
    )
    legacy, modern = ports(gw)
    results = {"legacy": tlsprobe.matrix(legacy), "modern": tlsprobe.matrix(modern)}
    print(f"\n{ssl.OPENSSL_VERSION}\n{tlsprobe.table(results)}")
    for profile, found in results.items():
        tlsprobe.expect_profile(found, profile)
