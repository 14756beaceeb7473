"""Inbound SMTP: what a client sees on the wire, and what lands in the spool.

Every test talks to the real gateway over a loopback socket: smtplib where a
well-behaved client is enough, a raw socket where the input must be malformed
or the timing matters.  Mail is routed by a ``*`` rule to a loopback port where
nothing listens, so accepted messages stay deferred in the spool for inspection.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
import time

import pytest
import trustme

from app.receive import handler as inbound_handler
from app.system import passwords
from tests.support import FIXTURES
from tests.support.smtp import Raw, b64, message, send, strip_received, write_tls_files

USER = "user1@example.test"
PASSWORD = "inbound-secret-1"
OUTSIDE = "someone@example.net"
QUEUED_AS = re.compile(r"queued as (\S+)")


# --- helpers -----------------------------------------------------------------------------


def closed_port() -> int:
    """A loopback port where nothing listens: delivery there is refused, so mail stays queued."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parked_rules() -> list[dict]:
    return [{"match": "*", "destination": "127.0.0.1", "port": closed_port(), "tls": "none"}]


def local_user_settings(**options) -> dict:
    return {
        "local_users": [{"address": USER}],
        "rules": parked_rules(),
        "options": options,
    }


def client(port: int) -> smtplib.SMTP:
    c = smtplib.SMTP("127.0.0.1", port, timeout=10)
    c.ehlo("client.test")
    return c


def queue_id(reply: bytes | str) -> str:
    text = reply.decode() if isinstance(reply, bytes) else reply
    found = QUEUED_AS.search(text)
    assert found, f"no 'queued as' in {text!r}"
    return found.group(1)


def transaction(c: smtplib.SMTP, sender: str, recipients: list[str], data: bytes) -> tuple[int, bytes]:
    """MAIL/RCPT/DATA without smtplib's SIZE= parameter; returns the reply to the end of DATA."""
    code, resp = c.mail(sender)
    assert code == 250, resp
    for rcpt in recipients:
        code, resp = c.rcpt(rcpt)
        assert code == 250, (rcpt, resp)
    return c.data(data)


def received_header(stored: bytes) -> str:
    return stored[: len(stored) - len(strip_received(stored))].decode()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls(ca, tmp_path):
    """Server settings holding a certificate for 127.0.0.1, and a client context that trusts it."""
    files = write_tls_files(ca.issue_cert("tenso.test", "127.0.0.1"), tmp_path)
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return files, context


def tls_client(port: int, context: ssl.SSLContext) -> smtplib.SMTP:
    c = client(port)
    code, resp = c.starttls(context=context)
    assert code == 220, resp
    c.ehlo("client.test")
    return c


@pytest.fixture
def user_password():
    passwords.set(f"local:{USER}", PASSWORD)
    return PASSWORD


# --- 1. EHLO --------------------------------------------------------------------------------


def test_ehlo_names_configured_host_and_advertises_size_pipelining_8bitmime_smtputf8(
    gateway_factory,
):
    gw = gateway_factory(server={"hostname": "gw.inbound.test", "max_message_bytes": 4096})
    with client(gw.port) as c:
        first_line = c.ehlo_resp.split(b"\n")[0]
        features = c.esmtp_features
    assert first_line == b"gw.inbound.test"
    assert features.get("size") == "4096"
    for extension in ("pipelining", "8bitmime", "smtputf8"):
        assert extension in features, (extension, features)


def test_starttls_not_advertised_without_certificate(gateway_factory):
    gw = gateway_factory()
    with client(gw.port) as c:
        assert "starttls" not in c.esmtp_features
        code, _ = c.docmd("STARTTLS")
        assert code != 220


def test_starttls_advertised_with_certificate_and_upgrades_with_it(gateway_factory, tls):
    server, context = tls
    gw = gateway_factory(server=server)
    with client(gw.port) as c:
        assert "starttls" in c.esmtp_features
        code, resp = c.starttls(context=context)  # verifies the chain and the 127.0.0.1 name
        assert code == 220, resp
        assert c.sock.version() is not None
        c.ehlo("client.test")
        assert "starttls" not in c.esmtp_features, "STARTTLS offered again inside TLS"
        assert set(c.esmtp_features["auth"].split()) == {"PLAIN", "LOGIN"}


def test_pipelined_commands_are_answered_in_order(gateway_factory):
    gw = gateway_factory(rules=parked_rules())
    with Raw(gw.port) as raw:
        assert raw.cmd("EHLO client.test")[0] == 250
        raw.send(b"MAIL FROM:<a@lan.test>\r\nRCPT TO:<x@example.net>\r\nRCPT TO:<y@example.net>\r\nDATA\r\n")
        codes = [raw.reply()[0] for _ in range(4)]
        assert codes == [250, 250, 250, 354]
        code, text = raw.cmd(b"Subject: pipelined\r\n\r\nbody\r\n.")
        assert code == 250, text
    assert gw.spool.load(queue_id(text)).envelope.recipients == ["x@example.net", "y@example.net"]


# --- 2. AUTH for local users ----------------------------------------------------------------


def test_auth_not_offered_and_refused_538_without_tls_when_tls_is_required(gateway_factory, user_password):
    gw = gateway_factory(**local_user_settings(relay_networks=["10.0.0.0/8"]))
    with client(gw.port) as c:
        assert "auth" not in c.esmtp_features
        code, resp = c.docmd("AUTH", "PLAIN " + b64(f"\0{USER}\0{user_password}"))
        assert code == 538, resp
        c.mail("a@lan.test")
        code, resp = c.rcpt(OUTSIDE)  # still not logged in: an outsider may not relay
    assert code == 550, resp


def test_auth_plain_succeeds_after_starttls_with_right_password(gateway_factory, tls, user_password):
    server, context = tls
    gw = gateway_factory(server=server, **local_user_settings())
    with tls_client(gw.port, context) as c:
        c.user, c.password = USER, user_password
        code, resp = c.auth("PLAIN", c.auth_plain)
        assert code == 235, resp


def test_auth_login_succeeds_after_starttls_with_right_password(gateway_factory, tls, user_password):
    server, context = tls
    gw = gateway_factory(server=server, **local_user_settings())
    with tls_client(gw.port, context) as c:
        c.user, c.password = USER, user_password
        code, resp = c.auth("LOGIN", c.auth_login, initial_response_ok=False)  # both 334 challenges
        assert code == 235, resp


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_auth_wrong_password_gets_535_reply_and_client_may_retry(gateway_factory, tls, user_password, mechanism):
    server, context = tls
    gw = gateway_factory(server=server, **local_user_settings())
    with tls_client(gw.port, context) as c:  # timeout=10: a reply that never comes fails the test
        c.user, c.password = USER, user_password + "-wrong"
        method = c.auth_plain if mechanism == "PLAIN" else c.auth_login
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            c.auth(mechanism, method)
        assert refused.value.smtp_code == 535
        c.password = user_password
        code, resp = c.auth(mechanism, method)
        assert code == 235, resp


def test_a_refused_login_is_answered_only_after_auth_failed_delay(gateway_factory, tls, user_password, monkeypatch):
    """Against password guessing; the other tests make the delay 0.05 s (gateway_factory)."""
    server, context = tls
    gw = gateway_factory(server=server, **local_user_settings())
    monkeypatch.setattr(inbound_handler, "AUTH_FAILED_DELAY", 0.5)
    with tls_client(gw.port, context) as c:
        c.user, c.password = USER, user_password + "-wrong"
        started = time.monotonic()
        with pytest.raises(smtplib.SMTPAuthenticationError):
            c.auth("PLAIN", c.auth_plain)
        assert time.monotonic() - started >= 0.5


def test_auth_fails_for_address_that_is_not_a_local_user_even_with_keyring_entry(gateway_factory, tls):
    server, context = tls
    passwords.set("local:stranger@example.test", "stranger-pw")
    gw = gateway_factory(server=server, **local_user_settings())
    with tls_client(gw.port, context) as c:
        c.user, c.password = "stranger@example.test", "stranger-pw"
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            c.auth("PLAIN", c.auth_plain)
        assert refused.value.smtp_code == 535


def test_auth_works_in_clear_when_tls_not_required(gateway_factory, user_password):
    gw = gateway_factory(server={"auth_requires_tls": False}, **local_user_settings())
    with client(gw.port) as c:
        assert {"PLAIN", "LOGIN"} <= set(c.esmtp_features.get("auth", "").split())
        code, resp = c.login(USER, user_password)
        assert code == 235, resp


def test_authenticated_client_outside_relay_networks_may_relay(gateway_factory, user_password):
    gw = gateway_factory(
        server={"auth_requires_tls": False},
        **local_user_settings(relay_networks=["10.0.0.0/8"], relay_when_authenticated=True),
    )
    with client(gw.port) as c:
        c.mail("a@lan.test")
        code, resp = c.rcpt(OUTSIDE)
        assert code == 550 and resp.startswith(b"5.7.1"), "127.0.0.1 should be an outsider here"
        c.rset()
        c.login(USER, user_password)
        code, reply = transaction(c, USER, [OUTSIDE], message("relayed"))
        assert code == 250, reply
    envelope = gw.spool.load(queue_id(reply)).envelope
    assert envelope.recipients == [OUTSIDE]
    assert envelope.auth_user == USER


def test_authenticated_client_outside_relay_networks_refused_when_relay_when_authenticated_off(
    gateway_factory, user_password
):
    gw = gateway_factory(
        server={"auth_requires_tls": False},
        **local_user_settings(relay_networks=["10.0.0.0/8"], relay_when_authenticated=False),
    )
    with client(gw.port) as c:
        code, resp = c.login(USER, user_password)
        assert code == 235, resp
        c.mail(USER)
        code, resp = c.rcpt(OUTSIDE)
    assert code == 550 and resp.startswith(b"5.7.1"), resp
    assert gw.spool.ids() == []


# --- 3. bad input ------------------------------------------------------------------------------


def test_garbage_commands_get_500_and_connection_stays_usable(gateway_factory):
    gw = gateway_factory(rules=parked_rules())
    with Raw(gw.port) as raw:
        assert raw.cmd("EHLO client.test")[0] == 250
        for junk in (b"FROBNICATE now", b"\xff\xfe\x80 binary", b"", b"NOOP " + b"x" * 2000, b"MAIL FRO <x>"):
            code, text = raw.cmd(junk)
            assert 500 <= code <= 502, (junk[:20], code, text)
        assert raw.cmd("NOOP")[0] == 250
        assert raw.cmd("MAIL FROM:<a@lan.test>")[0] == 250
        assert raw.cmd("RCPT TO:<x@example.net>")[0] == 250
        assert raw.cmd("DATA")[0] == 354
        code, text = raw.cmd(b"Subject: after junk\r\n\r\nstill fine\r\n.")
        assert code == 250, text
    assert gw.spool.ids() == [queue_id(text)]


def test_client_sending_only_unknown_commands_is_told_502_and_disconnected(gateway_factory):
    gw = gateway_factory()
    with Raw(gw.port) as raw:
        codes = []
        for i in range(20):
            codes.append(raw.cmd(f"XBOGUS{i}")[0])
            if codes[-1] != 500:
                break
        assert codes[-1] == 502 and len(codes) > 1, codes
        assert raw.sock.recv(10) == b"", "connection left open after 502"


def test_rcpt_before_mail_gets_503(gateway_factory):
    gw = gateway_factory()
    with client(gw.port) as c:
        code, _ = c.rcpt("x@example.net")
    assert code == 503


def test_data_before_rcpt_gets_503(gateway_factory):
    gw = gateway_factory()
    with client(gw.port) as c:
        assert c.docmd("DATA")[0] == 503  # before MAIL as well
        assert c.mail("a@lan.test")[0] == 250
        assert c.docmd("DATA")[0] == 503
    assert gw.spool.ids() == []


def test_mail_from_with_size_above_limit_gets_552_and_at_limit_250(gateway_factory):
    gw = gateway_factory(server={"max_message_bytes": 2048})
    with client(gw.port) as c:
        code, _ = c.mail("a@lan.test", ["SIZE=2049"])
        assert code == 552
        code, resp = c.mail("a@lan.test", ["SIZE=2048"])
        assert code == 250, resp


def padded(size: int) -> bytes:
    """A message of exactly ``size`` bytes, ending in CRLF."""
    head = message("size")
    data = head + b"y" * (size - len(head) - 2) + b"\r\n"
    assert len(data) == size
    return data


def test_message_body_above_max_message_bytes_gets_552_and_nothing_is_stored(gateway_factory):
    gw = gateway_factory(server={"max_message_bytes": 2048}, rules=parked_rules())
    with client(gw.port) as c:
        code, resp = transaction(c, "a@lan.test", ["x@example.net"], padded(3000))
        assert code == 552, resp
        assert gw.spool.ids() == []
        code, resp = transaction(c, "a@lan.test", ["x@example.net"], message("small after big"))
        assert code == 250, resp  # the same connection goes on
    assert gw.spool.ids() == [queue_id(resp)]


def test_message_of_exactly_max_message_bytes_is_accepted(gateway_factory):
    gw = gateway_factory(server={"max_message_bytes": 2048}, rules=parked_rules())
    data = padded(2048)
    with client(gw.port) as c:
        code, resp = transaction(c, "a@lan.test", ["x@example.net"], data)
        assert code == 250, resp
    assert strip_received(gw.spool.content(queue_id(resp))) == data


def test_recipients_beyond_max_recipients_get_452_and_first_ones_are_kept(gateway_factory):
    gw = gateway_factory(server={"max_recipients": 3}, rules=parked_rules())
    rcpts = [f"r{i}@example.net" for i in range(1, 6)]
    with client(gw.port) as c:
        assert c.mail("a@lan.test")[0] == 250
        replies = [c.rcpt(r) for r in rcpts]
        code, resp = c.data(message("capped"))
        assert code == 250, resp
    assert [code for code, _ in replies] == [250, 250, 250, 452, 452]
    assert replies[3][1].startswith(b"4.5.3")
    assert gw.spool.load(queue_id(resp)).envelope.recipients == rcpts[:3]


def hops(n: int) -> str:
    return "".join(
        f"Received: from hop{i}.test by hop{i + 1}.test; Mon, 1 Jan 2024 00:00:0{i % 10} +0000\r\n" for i in range(n)
    )


def test_message_with_max_forward_count_received_headers_gets_554_and_is_not_stored(gateway_factory):
    gw = gateway_factory(options={"max_forward_count": 5}, rules=parked_rules())
    data = hops(5).encode() + message("loop")
    with client(gw.port) as c:
        code, resp = transaction(c, "a@lan.test", ["x@example.net"], data)
    assert code == 554 and resp.startswith(b"5.4.6"), resp
    assert gw.spool.ids() == []


def test_message_with_fewer_received_headers_than_max_forward_count_is_accepted(gateway_factory):
    gw = gateway_factory(options={"max_forward_count": 5}, rules=parked_rules())
    data = hops(4).encode() + message("four hops")
    with client(gw.port) as c:
        code, resp = transaction(c, "a@lan.test", ["x@example.net"], data)
    assert code == 250, resp
    assert strip_received(gw.spool.content(queue_id(resp))) == data


def test_received_lines_in_the_body_do_not_count_as_hops(gateway_factory):
    gw = gateway_factory(options={"max_forward_count": 5}, rules=parked_rules())
    data = message("forwarded copy", body="see below\r\n\r\n" + hops(8))
    with client(gw.port) as c:
        code, resp = transaction(c, "a@lan.test", ["x@example.net"], data)
    assert code == 250, resp


def test_null_sender_is_accepted(gateway_factory):
    gw = gateway_factory(rules=parked_rules())
    with client(gw.port) as c:
        code, resp = c.docmd("MAIL FROM:<>")
        assert code == 250, resp
        assert c.rcpt("x@example.net")[0] == 250
        code, resp = c.data(message("bounce"))
        assert code == 250, resp
    assert queue_id(resp) in gw.spool.ids()


def test_null_sender_is_stored_as_empty_reverse_path(gateway_factory):
    """A bounce's envelope must say "no sender" so that nothing is ever bounced back to it."""
    gw = gateway_factory(rules=parked_rules())
    with client(gw.port) as c:
        assert c.docmd("MAIL FROM:<>")[0] == 250
        assert c.rcpt("x@example.net")[0] == 250
        code, resp = c.data(message("bounce"))
        assert code == 250, resp
    assert gw.spool.load(queue_id(resp)).envelope.sender == ""


def test_idle_client_is_disconnected_after_timeout_seconds(gateway_factory):
    gw = gateway_factory(server={"timeout_seconds": 1})
    with Raw(gw.port) as raw:
        assert raw.cmd("EHLO client.test")[0] == 250
        started = time.monotonic()
        raw.sock.settimeout(3)
        rest = b""
        while chunk := raw.sock.recv(1024):  # socket.timeout here means never disconnected
            rest += chunk
        waited = time.monotonic() - started
    assert rest == b"" or rest.startswith(b"421"), rest
    assert 0.5 <= waited < 3, waited


def test_client_still_sending_data_is_not_cut_off_by_idle_timeout(gateway_factory):
    """The timeout is for idle clients; a message that takes longer than it to arrive is still taken,
    as long as it arrives faster than smtp.MIN_DATA_RATE (here 2.5 KB/s against 500 bytes/s)."""
    gw = gateway_factory(server={"timeout_seconds": 1}, rules=parked_rules())
    with Raw(gw.port) as raw:
        assert raw.cmd("EHLO client.test")[0] == 250
        assert raw.cmd("MAIL FROM:<a@lan.test>")[0] == 250
        assert raw.cmd("RCPT TO:<x@example.net>")[0] == 250
        assert raw.cmd("DATA")[0] == 354
        try:
            raw.send(b"Subject: slow link\r\n\r\n")
            for i in range(6):  # 2.4 s of steady data, never idle for more than 0.4 s
                time.sleep(0.4)
                raw.send(b"line %d " % i + b"x" * 990 + b"\r\n")
            code, text = raw.cmd(b".")
        except OSError as exc:
            pytest.fail(f"connection dropped while the client was sending: {exc!r}")
    assert code == 250, text


def _drip_until_cut_off(raw: Raw, data: bytes, pause: float, limit: float) -> tuple[float, bytes]:
    """Sends ``data`` one byte every ``pause`` s, as a hostile slow client does; returns how long the
    gateway let it go on and what it said, once it hangs up (or after ``limit`` s: not cut off)."""
    started = time.monotonic()
    raw.sock.settimeout(pause)
    said = b""
    for byte in data:
        if time.monotonic() - started > limit:
            break
        try:
            raw.send(bytes([byte]))
            chunk = raw.sock.recv(1024)  # within ``pause``, or socket.timeout: still connected
        except TimeoutError:
            continue
        except OSError:  # reset: hung up
            break
        said += chunk
        if not chunk:
            break
    return time.monotonic() - started, said


def test_a_command_line_dripped_a_byte_at_a_time_is_cut_off_after_timeout_seconds(gateway_factory):
    """Every byte arrives well within the idle timeout, but the line never ends: a client like this
    held a connection slot for as long as it liked (issue 17, item 5)."""
    gw = gateway_factory(server={"timeout_seconds": 1})
    with Raw(gw.port) as raw:
        waited, said = _drip_until_cut_off(raw, b"EHLO " + b"x" * 100 + b"\r\n", 0.2, 8)
    assert said.startswith(b"421 4.4.2"), said
    assert waited < 3, waited


def test_data_dripped_a_byte_at_a_time_is_cut_off_by_the_data_deadline(gateway_factory):
    """In DATA the deadline grows with what arrives (1 s per 500 bytes): a few bytes a second
    never earn the time a real message would."""
    gw = gateway_factory(server={"timeout_seconds": 1}, rules=parked_rules())
    with Raw(gw.port) as raw:
        assert raw.cmd("EHLO client.test")[0] == 250
        assert raw.cmd("MAIL FROM:<a@lan.test>")[0] == 250
        assert raw.cmd("RCPT TO:<x@example.net>")[0] == 250
        assert raw.cmd("DATA")[0] == 354
        waited, said = _drip_until_cut_off(raw, b"Subject: drip\r\n\r\n" + b"y" * 100, 0.2, 8)
    assert said.startswith(b"421 4.4.2"), said
    assert waited < 3, waited
    assert gw.spool.ids() == []


def test_lines_longer_than_1000_bytes_are_accepted_and_stored_byte_for_byte(gateway_factory):
    gw = gateway_factory(rules=parked_rules())
    long_header = "X-Long: " + "h" * 1500 + "\r\n"
    data = message("long lines", body="a" * 2000 + "\r\n" + "." + "b" * 5000 + "\r\nend\r\n", extra=long_header)
    fixture = (FIXTURES / "dots-and-long-lines.eml").read_bytes()
    with client(gw.port) as c:
        replies = [transaction(c, "a@lan.test", ["x@example.net"], d) for d in (data, fixture)]
    for (code, resp), sent in zip(replies, (data, fixture), strict=True):
        assert code == 250, resp
        assert strip_received(gw.spool.content(queue_id(resp))) == sent


# --- 4. spool facts ------------------------------------------------------------------------------


def test_250_reply_names_queue_id_that_is_in_the_spool(gateway_factory):
    gw = gateway_factory(rules=parked_rules())
    with client(gw.port) as c:
        code, resp = transaction(c, "a@lan.test", ["x@example.net"], message("queued"))
    assert code == 250
    qid = queue_id(resp)
    assert gw.spool.ids() == [qid]


def test_stored_message_is_received_header_naming_hostname_and_id_then_sent_bytes(gateway_factory):
    gw = gateway_factory(server={"hostname": "gw.inbound.test"}, rules=parked_rules())
    data = message("8bit", body="h\xe9llo, \u65e5\u672c\u8a9e\r\n.leading dot\r\n\r\n\r\ntrailing blank lines\r\n")
    with client(gw.port) as c:
        code, resp = transaction(c, "a@lan.test", ["x@example.net"], data)
    assert code == 250, resp
    qid = queue_id(resp)
    stored = gw.spool.content(qid)
    header = received_header(stored)
    assert header.startswith("Received: from client.test ([127.0.0.1])")
    assert "by gw.inbound.test" in header and f"id {qid}" in header, header
    assert strip_received(stored) == data


def test_spool_envelope_has_sender_recipients_client_ip_and_helo(gateway_factory):
    gw = gateway_factory(rules=parked_rules())
    with client(gw.port) as c:
        code, resp = transaction(c, "a@lan.test", ["x@example.net", "y@example.org"], message("envelope"))
    assert code == 250, resp
    envelope = gw.spool.load(queue_id(resp)).envelope
    assert envelope.sender == "a@lan.test"
    assert envelope.recipients == ["x@example.net", "y@example.org"]
    assert envelope.client == "127.0.0.1"
    assert envelope.helo == "client.test"
    assert envelope.auth_user == ""


def test_enhanced_status_codes_advertised_only_if_every_reply_carries_one(gateway_factory):
    """RFC 2034 section 4: after ENHANCEDSTATUSCODES, every reply but the greeting and EHLO carries one."""
    gw = gateway_factory(server={"max_message_bytes": 2048}, rules=parked_rules())
    with Raw(gw.port) as raw:
        code, text = raw.cmd("EHLO client.test")
        assert code == 250
        if "ENHANCEDSTATUSCODES" not in text.upper():
            return  # not promised, so not owed
        replies = [
            (line, *raw.cmd(line))
            for line in (
                "RCPT TO:<x@example.net>",
                "DATA",
                "MAIL FROM:<a@lan.test> SIZE=9999",
                "MAIL FROM:<a@lan.test>",
                "RCPT TO:<x@example.net>",
                "RSET",
                "NOOP",
            )
        ]
    lacking = [
        f"{line} -> {code} {text}" for line, code, text in replies if not re.match(r"[245]\.\d{1,3}\.\d{1,3} ", text)
    ]
    assert not lacking, lacking


PARSED_LIKE_AIOSMTPD = [
    "<a@example.com>",
    "<a@example.com> SIZE=100",
    "<a.b+tag@sub.example.com>  BODY=8BITMIME SMTPUTF8",
    "<a@example.com>\tSIZE=1",
    "<a@example.com>(comment) SIZE=1",
    "<a@example.com> (comment)",
    '<"quoted local"@example.com>',
    "<a@[192.0.2.1]>",
    "< a@example.com >",
    " <a@example.com>",
    "<a..b@example.com>",
    "<.a@example.com>",
    "<a@example..com>",
    "<a@example.com.>",
    "<a@-example.com>",
    "<@relay.example:a@example.com>",
    "<a@b@example.com>",
    "<aé@example.com>",
    "<a@exämple.com>",
    "<>",
    "<a>",
    "a@example.com",
    "a@example.com SIZE=1",
    "<a@example.com",
    "a@example.com>",
    "",
    "<" + "x" * 64 + "@example.com>",
    "<" + "x" * 65 + "@example.com>",
    "<a@example.com>x",
]


@pytest.mark.parametrize("arg", PARSED_LIKE_AIOSMTPD)
def test_plain_address_shortcut_parses_every_form_as_aiosmtpd_does(arg):
    from aiosmtpd.smtp import SMTP

    from app.receive.smtp import TensoSMTP

    server = TensoSMTP.__new__(TensoSMTP)  # _getaddr reads only local_part_limit
    server.local_part_limit = 64
    assert server._getaddr(arg) == SMTP._getaddr(server, arg)


def test_plain_address_shortcut_is_taken_for_the_common_form(monkeypatch):
    from aiosmtpd.smtp import SMTP

    from app.receive.smtp import TensoSMTP

    def refuse(self, arg):
        raise AssertionError(f"aiosmtpd's parser called for {arg!r}")

    monkeypatch.setattr(SMTP, "_getaddr", refuse)
    server = TensoSMTP.__new__(TensoSMTP)
    server.local_part_limit = 0
    assert server._getaddr("<a.b@example.com> SIZE=10") == ("a.b@example.com", "SIZE=10")


def test_a_finished_connection_is_freed_without_the_cyclic_collector(gateway_factory):
    """Each SMTP session used to leave ~50 objects in reference cycles (bound-method tables,
    the stream writer, the cancelled task); collecting them stalled the loop under load."""
    import gc

    from app.receive.smtp import TensoSMTP

    gw = gateway_factory(
        rules=[{"match": "*", "destination": "127.0.0.1", "port": 9, "tls": "none"}], queue={"workers": 1}
    )
    send(gw.port, "a@lan.test", ["b@example.net"], message("warm-up"))
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)  # whatever the collector frees from here on is kept to look at
    try:
        for i in range(5):
            send(gw.port, "a@lan.test", ["b@example.net"], message(f"m{i}"))
            with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as client:  # and one that only says hello
                client.ehlo("x.test")
        time.sleep(0.5)  # the sessions' last callbacks run on the gateway's loop
        gc.collect()
        cyclic = [o for o in gc.garbage if isinstance(o, TensoSMTP)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert cyclic == []
