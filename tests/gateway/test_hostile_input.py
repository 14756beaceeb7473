"""Hostile input harms nothing (issue 17): what a client sends on purpose to break, hide or
smuggle is refused, normalized or logged as one line, and never leaves Tenso as something else.

Clients are raw sockets (tests.support.smtp.Raw): smtplib would repair the bytes these tests
are about.  Destinations are real servers on loopback: aiosmtpd for a strict one, and
``LaxUpstream`` for a server that ends the data at any bare CR or LF, as vulnerable ones did.
"""

from __future__ import annotations

import re

import pytest

from tests.support.gateway import rule
from tests.support.smtp import LaxUpstream, Raw, strip_received
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
