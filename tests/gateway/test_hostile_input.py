"""Hostile input harms nothing (issue 17): what a client sends on purpose to break, hide or
smuggle is refused, normalized or logged as one line, and never leaves Tenso as something else.

Clients are raw sockets (tests.support.smtp.Raw): smtplib would repair the bytes these tests
are about.  Destinations are real servers on loopback: aiosmtpd for a strict one, and
``LaxUpstream`` for a server that ends the data at any bare CR or LF, as vulnerable ones did.
"""

from __future__ import annotations

import gc
import logging
import os
import random
import re
import socket
import ssl
import struct
import time

import pytest
import trustme

from app.store.spool import Envelope, Spool, new_id
from tests.support.gateway import make_settings, rule
from tests.support.logs import LogCapture
from tests.support.processes import TensoProcess, free_port, write_config
from tests.support.smtp import LaxUpstream, Raw, strip_received, write_tls_files
from tests.support.waiting import wait_until

QUEUED_AS = re.compile(r"queued as (\S+)")
HEADER = b"From: a@lan.test\r\nTo: x@dest.test\r\nSubject: hostile\r\n\r\n"


@pytest.fixture
def lax_upstream():
    # Requested before gateway_factory, so the gateway (and its pooled sessions) stops first.
    up = LaxUpstream()
    yield up
    up.stop()


def parked_rules() -> list[dict]:
    """Mail for anyone to a loopback port where nothing listens: it stays in the queue."""
    return [rule(9)]


def as_client_meant(wire: bytes) -> bytes:
    """What ``wire`` (sent after DATA) means: the dot taken off each line that starts with one
    (RFC 5321 4.5.2; a line ends with CRLF), then every bare CR and bare LF made a CRLF."""
    return re.sub(rb"\r\n|\r|\n", b"\r\n", wire.replace(b"\r\n.", b"\r\n"))


def send_raw(port: int, sender: bytes, recipients: list[bytes], data: bytes) -> tuple[int, str]:
    """One transaction over a raw socket; ``data`` is sent as is (no dot-stuffing), then CRLF "." CRLF."""
    with Raw(port) as raw:
        assert raw.cmd("EHLO client.test")[0] == 250
        assert raw.cmd(b"MAIL FROM:<" + sender + b">")[0] == 250
        for rcpt in recipients:
            assert raw.cmd(b"RCPT TO:<" + rcpt + b">")[0] == 250
        assert raw.cmd("DATA")[0] == 354
        raw.send(data)
        reply = raw.cmd(b".")
        raw.cmd("QUIT")
        return reply


def queue_id(text: str) -> str:
    found = QUEUED_AS.search(text)
    assert found, text
    return found.group(1)


# --- 1. SMTP smuggling, and 8. a bare LF followed by a dot ----------------------------------

# Every way a lax server could see an end of data other than CRLF "." CRLF.
FALSE_ENDS = [
    b"\r.\r",
    b"\n.\n",
    b"\r\n.\n",
    b"\n.\r\n",
    b"\r.\r\n",
    b"\r\n.\r",
    b"\r.\n",
    b"\n.\r",
]


@pytest.mark.parametrize(
    "false_end", FALSE_ENDS, ids=[e.decode().encode("unicode_escape").decode() for e in FALSE_ENDS]
)
def test_a_smuggled_second_message_reaches_a_lax_upstream_as_part_of_the_one_message(
    lax_upstream, gateway_factory, false_end
):
    """Before: the bytes left Tenso as received.  Those with the dot after a bare CR ended the
    data at the lax server and delivered the smuggled message to the victim; those with the dot
    after a bare LF were stuffed by accident and arrived with bare LFs and an extra dot."""
    gw = gateway_factory(rules=[rule(lax_upstream.port)])
    smuggled = b"MAIL FROM:<boss@lan.test>\r\nRCPT TO:<victim@dest.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nwire money"
    body = HEADER + b"first part" + false_end + smuggled + false_end + b"rest of the first message\r\n"
    code, text = send_raw(gw.port, b"a@lan.test", [b"x@dest.test"], body)
    assert code == 250, text
    qid = queue_id(text)
    lax_upstream.wait(lambda: lax_upstream.transactions, what="the first transaction")
    wait_until(lambda: not gw.spool.exists(qid), what=f"{qid} delivered")
    gw.stop()  # the pooled session ends: the lax server has read every byte Tenso sent
    lax_upstream.wait(lambda: lax_upstream.sessions_ended, what="the session's end")
    assert [t.rcpt_tos for t in lax_upstream.transactions] == [["x@dest.test"]], lax_upstream.transactions
    assert strip_received(lax_upstream.transactions[0].data) == as_client_meant(body)


def test_bare_line_ends_are_stored_as_crlf_and_every_other_byte_as_received(gateway_factory):
    gw = gateway_factory(rules=parked_rules())
    body = HEADER + b"\x93\xfa\x96{\x8c\xea\nShift_JIS after a bare LF\r\x1b$B$3$s\x1b(B\r\n\r\n\tend\r\n"
    code, text = send_raw(gw.port, b"a@lan.test", [b"x@dest.test"], body)
    assert code == 250, text
    assert strip_received(gw.spool.content(queue_id(text))) == as_client_meant(body)


def test_a_dot_after_a_bare_line_end_arrives_once_at_a_strict_upstream(gateway_factory, upstream_factory):
    """Before: outbound dot-stuffing made ``\\n.`` ``\\n..``, and a strict server (dots are
    removed after CRLF only) stored the extra dot."""
    up = upstream_factory()
    gw = gateway_factory(rules=[rule(up.port)])
    wire = HEADER + b"one\n.after LF\r\n..stuffed by the client\r\ntwo\r.after CR\r\n"
    meant = HEADER + b"one\r\n.after LF\r\n.stuffed by the client\r\ntwo\r\n.after CR\r\n"
    code, text = send_raw(gw.port, b"a@lan.test", [b"x@dest.test"], wire)
    assert code == 250, text
    (got,) = up.handler.wait_for(1)
    assert strip_received(got.data) == meant


def test_refuse_mode_answers_550_5_5_2_to_bare_line_ends_and_stores_nothing(gateway_factory):
    gw = gateway_factory(server={"bare_newlines": "refuse"}, rules=parked_rules())
    code, text = send_raw(gw.port, b"a@lan.test", [b"x@dest.test"], HEADER + b"one\ntwo\r\n")
    assert (code, text[:5]) == (550, "5.5.2"), text
    assert gw.spool.ids() == []
    code, text = send_raw(gw.port, b"a@lan.test", [b"x@dest.test"], HEADER + b"one\r\ntwo\r\n")
    assert code == 250, text


# --- 2. envelopes that are not text -----------------------------------------------------------

NOT_TEXT = [
    b"\xe2\x82@dest.test",  # invalid UTF-8 (a cut-off three-byte sequence)
    b"caf\xe9@dest.test",  # Latin-1, not UTF-8
    b"a\x00b@dest.test",
    b"a\x01b@dest.test",
    b"a\rb@dest.test",
    b"a\x1bb@dest.test",  # ESC: the start of a terminal escape for whoever reads the log
    b"a\x7f@dest.test",
    b"a\xc2\x85b@dest.test",  # U+0085, a C1 control character in valid UTF-8
]

RELAY_OPTIONS = {
    "relay networks": {"rules": parked_rules()},
    "relay for rule matches": {
        "rules": [{**rule(9), "match": "@dest.test"}],
        "options": {"relay_networks": [], "relay_for_rule_matches": True},
    },
    "local user": {"rules": parked_rules(), "options": {"relay_networks": []}, "local_domains": ["dest.test"]},
}


@pytest.mark.parametrize("relay", RELAY_OPTIONS)
def test_mail_from_that_is_not_text_gets_501_5_1_7_under_every_relay_option(gateway_factory, relay):
    gw = gateway_factory(**RELAY_OPTIONS[relay])
    with Raw(gw.port) as raw:
        assert raw.cmd("EHLO client.test")[0] == 250
        for address in NOT_TEXT:
            code, text = raw.cmd(b"MAIL FROM:<" + address.replace(b"dest", b"src") + b"> SMTPUTF8")
            assert (code, text[:6]) == (501, "5.1.7 "), (address, code, text)
        assert raw.cmd("MAIL FROM:<a@src.test>")[0] == 250  # the session goes on


@pytest.mark.parametrize("relay", RELAY_OPTIONS)
def test_rcpt_to_that_is_not_text_gets_553_5_1_3_under_every_relay_option(gateway_factory, relay):
    gw = gateway_factory(**RELAY_OPTIONS[relay])
    with Raw(gw.port) as raw:
        assert raw.cmd("EHLO client.test")[0] == 250
        assert raw.cmd("MAIL FROM:<a@src.test> SMTPUTF8")[0] == 250
        for address in NOT_TEXT:
            code, text = raw.cmd(b"RCPT TO:<" + address + b">")
            assert (code, text[:6]) == (553, "5.1.3 "), (address, code, text)
        assert raw.cmd("DATA")[0] == 503  # no recipient was taken
    assert gw.spool.ids() == []


def test_a_queued_message_that_cannot_be_encoded_fails_with_a_bounce_not_endless_retries(
    tmp_path, gateway_factory, upstream_factory
):
    """Before: every attempt raised UnicodeEncodeError ("delivery attempt failed; retrying in 5
    minutes") and the message sat in the queue until it expired."""
    up = upstream_factory(smtputf8=True)
    settings = make_settings(tmp_path, rules=[rule(up.port)])
    qid = new_id()  # as an older Tenso accepted it: the recipient is not UTF-8
    envelope = Envelope("a@lan.test", ["\udce2\udc82@dest.test"], ["SMTPUTF8"], "127.0.0.1", "client.test")
    envelope.received_at = time.time()
    Spool(settings.queue_dir).store(qid, envelope, HEADER + b"body\r\n")
    with LogCapture() as log:
        gw = gateway_factory(settings)
        (bounce,) = up.handler.wait_for(1)
        wait_until(lambda: gw.spool.ids() == [], what="the message and its bounce gone from the queue")
    assert bounce.rcpt_tos == ["a@lan.test"] and b"554 5.6.7 cannot be sent" in bounce.data, bounce
    assert log.matching(rf"{qid} to=<.*> 554 5\.6\.7 cannot be sent: .*surrogates not allowed")
    assert not log.matching("attempt failed"), log.text()


# --- 3. log lines never vanish ----------------------------------------------------------------


def headless_session(tmp_path, lines: list[bytes], until: str) -> tuple[str, str]:
    """``python -m app --headless`` with a data folder of its own: one raw session of ``lines``,
    then, once a line matching ``until`` is logged, its stderr and its log file."""
    port = free_port()
    env = {**os.environ, "TENSO_DATA_DIR": str(tmp_path / "data")}
    tenso = TensoProcess(write_config(tmp_path, port, 9), port, tmp_path / "stderr.log", env=env)
    try:
        tenso.wait_listening()
        with Raw(port) as raw:
            for line in lines:
                raw.cmd(line)
        tenso.wait_log(until)
    finally:
        tenso.close()
    return tenso.log, (tmp_path / "data" / "logs" / "tenso.log").read_text(encoding="utf-8")


def test_addresses_that_are_not_utf8_are_logged_escaped_in_the_log_file_and_on_stderr(tmp_path):
    """Before: the file handler failed on the surrogate escapes ("--- Logging error ---") and
    the line was lost from the log file, so a hostile client could hide its traffic."""
    session = [
        b"EHLO client.test",
        b"MAIL FROM:<\xe2\x82@src.test>",
        b"MAIL FROM:<a@lan.test>",
        b"RCPT TO:<caf\xe9@dest.test>",
    ]
    stderr, file = headless_session(tmp_path, session, until="refused RCPT")
    for line in (r"refused MAIL FROM:<\xe2\x82@src.test> client=127.0.0.1", r"refused RCPT <caf\xe9@dest.test>"):
        assert line in file and line in stderr, (line, file, stderr)
    assert "Logging error" not in stderr


# --- 7. aiosmtpd's own warnings ---------------------------------------------------------------


def test_aiosmtpd_warnings_are_in_the_log_file_and_on_stderr_formatted_as_tensos_lines(tmp_path):
    """Before: ``('127.0.0.1', 40000) unrecognised: FOO`` went to stderr alone, without a time."""
    stderr, file = headless_session(tmp_path, [b"EHLO client.test", b"FOO bar"], until="unrecognised")
    line = re.compile(
        r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING client 127\.0\.0\.1 unrecognised: FOO$", re.MULTILINE
    )
    assert line.search(file) and line.search(stderr), (file, stderr)
    assert "('127.0.0.1'" not in stderr


# --- 4. ordinary network events are one line, not a traceback ----------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_gateway(ca, tmp_path, gateway_factory):
    return gateway_factory(
        server=write_tls_files(ca.issue_cert("tenso.test", "127.0.0.1"), tmp_path), rules=parked_rules()
    )


def client_hello() -> bytes:
    """The first bytes a real TLS client sends."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ssl.create_default_context().wrap_bio(incoming, outgoing, server_hostname="tenso.test")
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    return outgoing.read()


def after_starttls(port: int, then) -> None:
    with Raw(port) as raw:
        assert raw.cmd("EHLO client.test")[0] == 250
        assert raw.cmd("STARTTLS")[0] == 220
        then(raw.sock)


def reset(sock: socket.socket) -> None:
    """Closes with a TCP RST instead of a FIN, as a crashed or killed client does."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


DROPS = {
    "hangs up at once": lambda sock: sock.shutdown(socket.SHUT_WR),
    "resets mid-handshake": lambda sock: (sock.sendall(client_hello()[:40]), time.sleep(0.2), reset(sock)),
    "resets after its hello": lambda sock: (sock.sendall(client_hello()), time.sleep(0.2), reset(sock)),
}


@pytest.mark.parametrize("drop", DROPS)
def test_a_client_that_drops_during_the_tls_handshake_is_one_info_line_without_traceback(tls_gateway, drop):
    with LogCapture() as log:
        after_starttls(tls_gateway.port, DROPS[drop])
        wait_until(lambda: log.matching(r"^client 127\.0\.0\.1 closed the connection during the TLS handshake$"))
        time.sleep(0.2)  # whatever else the session's end would log
        gc.collect()  # and a task's exception that nobody retrieved
    assert log.tracebacks == [], log.tracebacks
    assert len(log.matching("TLS")) == 1, log.text()


def test_a_client_that_speaks_plain_text_after_starttls_is_one_info_line_without_traceback(tls_gateway):
    def plain(sock: socket.socket) -> None:
        sock.sendall(b"EHLO client.test\r\n")
        assert sock.recv(100) == b""  # the gateway hangs up

    with LogCapture() as log:
        after_starttls(tls_gateway.port, plain)
        wait_until(lambda: log.matching(r"^client 127\.0\.0\.1: TLS handshake failed: .*WRONG_VERSION_NUMBER"))
        time.sleep(0.2)
        gc.collect()
    assert log.tracebacks == [], log.tracebacks
    assert len(log.matching("TLS")) == 1, log.text()


def test_a_client_that_sends_more_behind_starttls_gets_554_and_is_hung_up_on_at_once(tls_gateway):
    """RFC 3207: nothing may follow STARTTLS before the handshake.  Before (found by the fuzz
    run below): 220, then the gateway waited for a handshake that never came, until the idle
    timeout (300 s by default)."""
    with LogCapture() as log, Raw(tls_gateway.port) as raw:
        assert raw.cmd("EHLO client.test")[0] == 250
        raw.send(b"STARTTLS\r\nMAIL FROM:<injected@lan.test>\r\n")
        assert raw.reply()[0] == 554
        assert raw.sock.recv(100) == b""  # hung up, within Raw's 5 s timeout
    assert log.matching(r"^client 127\.0\.0\.1 sent more after STARTTLS, before the TLS handshake: hung up$")
    assert log.tracebacks == []


# Each makes the email package's address parser raise (IndexError, UnboundLocalError) inside
# aiosmtpd's _getaddr, instead of its HeaderParseError.
PARSER_BREAKERS = [b"<", b"a@", b"<@", b". @", b"a@[ "]


def test_an_address_that_breaks_the_stdlib_parser_gets_501_and_no_traceback(gateway_factory):
    gw = gateway_factory(rules=parked_rules())
    with LogCapture() as log, Raw(gw.port) as raw:
        assert raw.cmd("EHLO client.test")[0] == 250
        for arg in PARSER_BREAKERS:
            code, text = raw.cmd(b"MAIL FROM:" + arg)
            assert (code, text[:6]) == (501, "5.1.7 "), (arg, code, text)
        assert raw.cmd("MAIL FROM:<a@lan.test>")[0] == 250
        for arg in PARSER_BREAKERS:
            code, text = raw.cmd(b"RCPT TO:" + arg)
            assert (code, text[:6]) == (501, "5.1.3 "), (arg, code, text)
        assert raw.cmd("RCPT TO:<x@dest.test>")[0] == 250  # the session goes on
    assert log.tracebacks == [], log.tracebacks


# --- 9. trace headers as the RFCs write them ----------------------------------------------------


def received_of(gw, text: str) -> str:
    """The Received header Tenso put on the message its reply ``text`` names."""
    stored = gw.spool.content(queue_id(text))
    return stored[: len(stored) - len(strip_received(stored))].decode()


def test_received_names_an_ipv6_client_with_the_ipv6_address_literal(gateway_factory):
    """RFC 5321 4.1.3: ``[IPv6:::1]``; before, ``([::1])``."""
    gw = gateway_factory(server={"listen": ["[::1]:0"]}, rules=parked_rules())
    with Raw(gw.port, host="::1") as raw:
        assert raw.cmd("EHLO client.test")[0] == 250
        assert raw.cmd("MAIL FROM:<a@lan.test>")[0] == 250
        assert raw.cmd("RCPT TO:<x@dest.test>")[0] == 250
        assert raw.cmd("DATA")[0] == 354
        code, text = raw.cmd(HEADER + b"body\r\n.")
    assert code == 250, text
    assert received_of(gw, text).startswith("Received: from client.test ([IPv6:::1])\r\n"), received_of(gw, text)


def smtputf8_message(raw: Raw) -> tuple[int, str]:
    assert raw.cmd("MAIL FROM:<差出人@lan.test> SMTPUTF8".encode())[0] == 250
    assert raw.cmd("RCPT TO:<x@dest.test>")[0] == 250
    assert raw.cmd("DATA")[0] == 354
    return raw.cmd(HEADER + "本文\r\n.".encode())


def test_received_of_smtputf8_mail_says_with_utf8smtp(gateway_factory):
    """RFC 6531 4.3 registers UTF8SMTP (and UTF8SMTPS, UTF8SMTPA, UTF8SMTPSA); before, ESMTP."""
    gw = gateway_factory(rules=parked_rules())
    with Raw(gw.port) as raw:
        assert raw.cmd("EHLO client.test")[0] == 250
        code, text = smtputf8_message(raw)
        assert code == 250, text
        assert " with UTF8SMTP id " in received_of(gw, text), received_of(gw, text)
        assert raw.cmd("MAIL FROM:<a@lan.test>")[0] == 250  # and mail without SMTPUTF8 stays ESMTP
        assert raw.cmd("RCPT TO:<x@dest.test>")[0] == 250
        assert raw.cmd("DATA")[0] == 354
        code, text = raw.cmd(HEADER + b"body\r\n.")
        assert " with ESMTP id " in received_of(gw, text), received_of(gw, text)


def test_received_of_smtputf8_mail_after_starttls_says_with_utf8smtps(tls_gateway, ca):
    context = ssl.create_default_context()
    ca.configure_trust(context)
    with Raw(tls_gateway.port) as raw:
        assert raw.cmd("EHLO client.test")[0] == 250
        assert raw.cmd("STARTTLS")[0] == 220
        raw.sock = context.wrap_socket(raw.sock, server_hostname="127.0.0.1")
        assert raw.cmd("EHLO client.test")[0] == 250
        code, text = smtputf8_message(raw)
    assert code == 250, text
    assert " with UTF8SMTPS id " in received_of(tls_gateway, text), received_of(tls_gateway, text)


def test_a_reply_that_echoes_bytes_that_are_not_utf8_is_sent_escaped(gateway_factory):
    """aiosmtpd echoes VRFY's argument; before (found by the fuzz run below), bytes that were
    not UTF-8 failed the reply with UnicodeEncodeError and a traceback."""
    gw = gateway_factory(rules=parked_rules())
    with LogCapture() as log, Raw(gw.port) as raw:
        assert raw.cmd(b"VRFY (\xff") == (502, "Could not VRFY (\\udcff")
        assert raw.cmd("NOOP")[0] == 250
    assert log.tracebacks == []


# --- a fuzz run: random sessions, a fixed seed and a count ------------------------------------

FUZZ_SEED = 17
FUZZ_SESSIONS = 2000
TRANSACTION = b"EHLO fuzz.test\r\nMAIL FROM:<a@lan.test>\r\nRCPT TO:<x@dest.test>\r\nDATA\r\n"
VERBS = [b"EHLO ", b"HELO ", b"MAIL FROM:", b"RCPT TO:", b"DATA", b"RSET", b"NOOP", b"VRFY ", b"HELP", b"AUTH "]
VERBS += [b"AUTH PLAIN ", b"AUTH LOGIN", b"STARTTLS", b"BDAT ", b"QUIT", b"", b"\x00", b"\xff\xfe"]
PIECES = [b"<", b">", b"@", b"a", b"dest.test", b"\x00", b"\r", b"\n", b"\r\n", b".", b" ", b"\t", b"\xe2\x82"]
PIECES += [b"\xff", b"\x1b", b'"', b"\\", b"(", b")", b"[", b"]", b":", b"SIZE=", b"BODY=8BITMIME", b"SMTPUTF8"]
PIECES += [b"=", "日本".encode(), b"x" * 1100, b"\r.\r", b"\n.\n", b"AHVzZXIAcGFzcw=="]


def fuzz_session(rng, port: int) -> str:
    """One session of random commands and bytes, all written at once; how it ended."""
    burst = b"".join(
        rng.choice(VERBS) + b"".join(rng.choice(PIECES) for _ in range(rng.randint(0, 12))) + b"\r\n"
        for _ in range(rng.randint(1, 10))
    )
    if rng.random() < 0.4:  # half of them a message whose body is the random part
        burst = TRANSACTION + HEADER + burst
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.recv(1000)  # the greeting
        if rng.random() < 0.15:
            sock.sendall(burst[: rng.randint(0, len(burst))])
            reset(sock)
            return "reset"
        # Ends any DATA, AUTH exchange or line left open, then says goodbye.
        sock.sendall(burst + b"\r\n.\r\nQUIT\r\n")
        try:
            while sock.recv(65536):
                pass
        except ConnectionResetError:
            return "reset by the gateway"
        except TimeoutError:
            return "stalled"
        return "closed"


def cores_shared() -> float:
    """How many test processes each core runs: pytest-xdist's workers over the cores, at least 1."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    return max(1.0, workers / (os.cpu_count() or 1))


def test_random_sessions_leave_the_gateway_answering_and_the_log_without_a_traceback(tls_gateway):
    rng = random.Random(FUZZ_SEED)
    started = time.monotonic()
    with LogCapture() as log:
        endings = [fuzz_session(rng, tls_gateway.port) for _ in range(FUZZ_SESSIONS)]
        seconds = time.monotonic() - started
        code, text = send_raw(tls_gateway.port, b"a@lan.test", [b"x@dest.test"], HEADER + b"still here\r\n")
        time.sleep(0.5)  # what the last sessions' ends would log
        gc.collect()
    counts = {ending: endings.count(ending) for ending in sorted(set(endings))}
    print(
        f"fuzz: {FUZZ_SESSIONS} sessions (seed {FUZZ_SEED}) in {seconds:.1f} s, {counts}, "
        f"{len(log.matching(' accepted '))} accepted, {len(log.tracebacks)} tracebacks"
    )
    assert code == 250, text
    assert log.tracebacks == [], log.tracebacks
    assert not [r for r in log.records if r[0] >= logging.ERROR], log.text()
    assert counts.get("stalled", 0) == 0, counts
    # About 5 s on a core of its own: 30 s, more when the tests run side by side on fewer cores.
    limit = 30 * cores_shared()
    assert seconds < limit, f"{FUZZ_SESSIONS} sessions took {seconds:.1f} s (limit {limit:.0f} s)"
