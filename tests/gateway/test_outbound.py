"""app.deliver.smtp against real servers on loopback: one transaction, with and without RFC 2920 PIPELINING.

Two kinds of peer: the aiosmtpd upstream of tests/support/smtp.py (a real SMTP implementation,
optionally advertising PIPELINING), and a scripted raw-socket peer below that records
every recv() chunk, so the tests can see how Tenso groups its writes on the wire.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from dataclasses import dataclass, field

import pytest

from app.deliver import smtp
from app.deliver.smtp import Destination
from tests.support.smtp import message

HELO_NAME = "tenso.test"
SENDER = "a@lan.test"


@pytest.fixture
def pool(upstream_factory, peer_factory):
    # Depends on both server factories so its sessions QUIT before the servers stop.
    pool = smtp.Pool()
    yield pool
    pool.close_all()


def _to(port: int) -> Destination:
    return Destination("127.0.0.1", port, "none", None)


def _deliver(pool, port, rcpts, content, sender=SENDER, mail_options=()):
    mail = smtp.Outgoing(HELO_NAME, sender, list(rcpts), content, list(mail_options))
    return smtp.deliver(pool, _to(port), None, mail)


# --- against the aiosmtpd upstream -----------------------------------------------------------


@pytest.fixture(params=[True, False], ids=["pipelining", "one-by-one"])
def upstream(request, upstream_factory):
    return upstream_factory(pipelining=request.param)


def _assert_session_mode(pool, up) -> None:
    """The pooled session saw the EHLO the parametrization intended (so both paths really ran)."""
    conn = pool.take(_to(up.port))
    assert conn is not None, "the session was not given back to the pool"
    assert conn.smtp.has_extn("pipelining") is up.handler.pipelining
    pool.give_back(conn)


def _next_message_arrives_on_the_same_session(pool, up) -> None:
    """After an odd transaction, the pooled session must still be in step with the replies."""
    before = len(up.messages)
    data = message("follow-up", "the next one\r\n")
    results = _deliver(pool, up.port, ["again@example.net"], data, sender="b@lan.test")
    assert results == {"again@example.net": "250 2.0.0 OK upstream"}
    got = up.handler.wait_for(before + 1)
    assert len(got) == before + 1
    assert (got[-1].mail_from, got[-1].rcpt_tos, got[-1].data) == ("b@lan.test", ["again@example.net"], data)
    assert up.handler.ehlos == 1, "a second connection was made instead of reusing the pooled one"
    _assert_session_mode(pool, up)


def test_all_recipients_accepted_message_arrives_byte_for_byte(pool, upstream):
    body = ".leading dot\r\n..two dots\r\n.\r\nlast line\r\n"
    data = message("dots", body)
    rcpts = ["x@example.net", "y@example.net", "z@example.org"]
    results = _deliver(pool, upstream.port, rcpts, data)
    assert results == dict.fromkeys(rcpts, "250 2.0.0 OK upstream")
    (got,) = upstream.handler.wait_for(1)
    assert got.mail_from == SENDER
    assert got.rcpt_tos == rcpts
    assert got.data == data  # un-stuffed again by the server: no extra dots, nothing lost
    assert f"SIZE={len(data)}" in got.mail_options
    assert upstream.handler.ehlos == 1
    _assert_session_mode(pool, upstream)


def test_per_recipient_replies_are_the_servers_and_only_the_accepted_get_the_message(pool, upstream):
    upstream.handler.rcpt_replies = {
        "nobody@example.net": "550 5.1.1 no such user",
        "later@example.net": "451 4.2.0 try later",
    }
    data = message("mixed")
    results = _deliver(pool, upstream.port, ["nobody@example.net", "ok@example.net", "later@example.net"], data)
    assert results == {
        "nobody@example.net": "550 5.1.1 no such user",
        "ok@example.net": "250 2.0.0 OK upstream",
        "later@example.net": "451 4.2.0 try later",
    }
    (got,) = upstream.handler.wait_for(1)
    assert (got.rcpt_tos, got.data) == (["ok@example.net"], data)
    _next_message_arrives_on_the_same_session(pool, upstream)


def test_every_recipient_refused_sends_no_message(pool, upstream):
    upstream.handler.rcpt_replies = {
        "nobody@example.net": "550 5.1.1 no such user",
        "later@example.net": "452 4.2.2 mailbox full",
    }
    results = _deliver(pool, upstream.port, ["nobody@example.net", "later@example.net"], message("refused"))
    assert results == {"nobody@example.net": "550 5.1.1 no such user", "later@example.net": "452 4.2.2 mailbox full"}
    assert upstream.messages == []
    _next_message_arrives_on_the_same_session(pool, upstream)


def test_refused_data_is_the_reply_of_the_accepted_recipients(pool, upstream):
    upstream.handler.rcpt_replies = {"nobody@example.net": "550 5.1.1 no such user"}
    upstream.handler.data_replies = ["554 5.6.0 content refused"]
    results = _deliver(
        pool, upstream.port, ["ok1@example.net", "nobody@example.net", "ok2@example.net"], message("refused content")
    )
    assert results == {
        "ok1@example.net": "554 5.6.0 content refused",
        "nobody@example.net": "550 5.1.1 no such user",
        "ok2@example.net": "554 5.6.0 content refused",
    }
    assert upstream.messages == []
    _next_message_arrives_on_the_same_session(pool, upstream)


def test_refused_mail_from_is_every_recipients_reply(pool, upstream):
    upstream.handler.mail_replies = {"spammer@lan.test": "550 5.7.1 sender not allowed"}
    rcpts = ["x@example.net", "y@example.net"]
    results = _deliver(pool, upstream.port, rcpts, message("from a refused sender"), sender="spammer@lan.test")
    assert results == dict.fromkeys(rcpts, "550 5.7.1 sender not allowed")
    assert upstream.messages == []
    _next_message_arrives_on_the_same_session(pool, upstream)


def test_outbound_socket_has_tcp_nodelay(upstream_factory):
    up = upstream_factory()
    conn = smtp.connect(_to(up.port), None, HELO_NAME)
    try:
        assert conn.smtp.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        conn.close()


# --- against a scripted peer that records how the bytes arrive ---------------------------------


@dataclass
class Transaction:
    mail_from: str
    rcpts: list[str]  # the accepted ones
    data_chunks: list[bytes]  # recv() chunks of the DATA phase, terminator included
    content: bytes  # un-stuffed, without the terminating "."


@dataclass
class ScriptedPeer:
    """A plain SMTP server on 127.0.0.1 that records every chunk recv() returns.

    ``rcpt_replies`` maps a recipient to its refusal (others get 250); with
    ``data_without_recipients`` DATA gets 354 even when no recipient was accepted,
    as some servers that check recipients late do.
    """

    pipelining: bool = True
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    data_without_recipients: bool = False
    command_chunks: list[bytes] = field(default_factory=list)  # chunks read outside the DATA phase
    transactions: list[Transaction] = field(default_factory=list)
    connections: int = 0
    errors: list[str] = field(default_factory=list)

    def __post_init__(self):
        peer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                peer._session(self.request)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name="scripted-peer", daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()  # joins the session threads
        self.thread.join(5)

    @property
    def all_bytes(self) -> bytes:
        return b"".join(self.command_chunks + [c for t in self.transactions for c in t.data_chunks])

    def _session(self, sock: socket.socket) -> None:
        self.connections += 1
        sock.settimeout(5)
        buf = b""

        def recv(into: list[bytes]) -> bytes:
            chunk = sock.recv(65536)
            if not chunk:
                raise EOFError
            into.append(chunk)
            return chunk

        def reply(*lines: str) -> None:
            sock.sendall(b"".join(line.encode() + b"\r\n" for line in lines))

        mail_from, rcpts = None, []
        try:
            reply("220 peer.test ESMTP scripted")
            while True:
                while b"\r\n" not in buf:
                    buf += recv(self.command_chunks)
                line, _, buf = buf.partition(b"\r\n")
                verb = line[:4].upper().decode()
                address = line.partition(b"<")[2].partition(b">")[0].decode()
                if verb == "EHLO":
                    mail_from, rcpts = None, []
                    extensions = ["SIZE 10000000", "8BITMIME"] + (["PIPELINING"] if self.pipelining else [])
                    reply("250-peer.test", *(f"250-{e}" for e in extensions[:-1]), f"250 {extensions[-1]}")
                elif verb == "MAIL":
                    mail_from, rcpts = address, []
                    reply("250 2.1.0 OK")
                elif verb == "RCPT":
                    if mail_from is None:
                        reply("503 5.5.1 need MAIL")
                    elif address in self.rcpt_replies:
                        reply(self.rcpt_replies[address])
                    else:
                        rcpts.append(address)
                        reply("250 2.1.5 OK")
                elif verb == "DATA":
                    if mail_from is None or not (rcpts or self.data_without_recipients):
                        reply("503 5.5.1 need RCPT")
                        continue
                    if buf:
                        self.errors.append(f"bytes after DATA before 354: {buf!r}")
                    reply("354 go ahead")
                    buf = self._read_data(recv, mail_from, rcpts)
                    reply("250 2.0.0 queued" if rcpts else "554 5.5.1 no valid recipients")
                    mail_from, rcpts = None, []
                elif verb == "RSET":
                    mail_from, rcpts = None, []
                    reply("250 2.0.0 OK")
                elif verb == "NOOP":
                    reply("250 2.0.0 OK")
                elif verb == "QUIT":
                    reply("221 2.0.0 bye")
                    return
                else:
                    reply("500 5.5.2 what?")
        except EOFError:
            return
        except Exception as exc:  # recorded for the test to see, the thread must not die loudly
            self.errors.append(repr(exc))

    def _read_data(self, recv, mail_from: str, rcpts: list[str]) -> bytes:
        """Reads until CRLF "." CRLF; records the transaction; returns what came after the terminator."""
        chunks: list[bytes] = []
        data = b""
        while (end := (b"\r\n" + data).find(b"\r\n.\r\n")) < 0:
            data += recv(chunks)
        raw, rest = data[:end], data[end + 3 :]
        lines = [line[1:] if line.startswith(b".") else line for line in raw.split(b"\r\n")]
        self.transactions.append(Transaction(mail_from, list(rcpts), chunks, b"\r\n".join(lines)))
        return rest


@pytest.fixture
def peer_factory():
    made: list[ScriptedPeer] = []

    def make(**kwargs) -> ScriptedPeer:
        peer = ScriptedPeer(**kwargs)
        made.append(peer)
        return peer

    yield make
    for peer in made:
        peer.stop()
    assert [e for peer in made for e in peer.errors] == []


DOTS = b"Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nlast line\r\n"


@pytest.mark.parametrize(
    ("content", "on_the_wire"),
    [
        (DOTS, b"Subject: dots\r\n\r\n..leading dot\r\n...two dots\r\n..\r\nlast line\r\n.\r\n"),
        (b"Subject: no final newline\r\n\r\nlast", b"Subject: no final newline\r\n\r\nlast\r\n.\r\n"),
        (b".starts with a dot\r\n", b"..starts with a dot\r\n.\r\n"),
    ],
    ids=["dot-lines", "no-final-crlf", "leading-dot"],
)
def test_pipelined_commands_go_in_one_write_and_the_body_with_its_dot_in_another(
    pool, peer_factory, content, on_the_wire
):
    peer = peer_factory(pipelining=True)
    rcpts = ["x@example.net", "y@example.net", "z@example.org"]
    results = _deliver(pool, peer.port, rcpts, content)
    assert results == dict.fromkeys(rcpts, "250 2.0.0 queued")
    ehlo, *commands = peer.command_chunks
    assert ehlo.upper() == f"EHLO {HELO_NAME}\r\n".upper().encode()  # smtplib's own, in lower case
    assert commands == [
        (
            f"MAIL FROM:<{SENDER}> SIZE={len(content)}\r\n"
            "RCPT TO:<x@example.net>\r\nRCPT TO:<y@example.net>\r\nRCPT TO:<z@example.org>\r\n"
            "DATA\r\n"
        ).encode(),
    ]
    (txn,) = peer.transactions
    assert (txn.mail_from, txn.rcpts) == (SENDER, rcpts)
    # Body and terminating dot in one write: a lone ".\r\n" would wait for the peer's delayed ACK.
    assert txn.data_chunks == [on_the_wire]
    expected = content if content.endswith(b"\r\n") else content + b"\r\n"
    assert txn.content == expected


def test_without_pipelining_each_command_waits_for_its_reply(pool, peer_factory):
    peer = peer_factory(pipelining=False, rcpt_replies={"nobody@example.net": "550 5.1.1 no such user"})
    results = _deliver(pool, peer.port, ["x@example.net", "nobody@example.net"], DOTS)
    assert results == {"x@example.net": "250 2.0.0 queued", "nobody@example.net": "550 5.1.1 no such user"}
    # smtplib writes its verbs in lower case (SMTP commands are case-insensitive)
    assert [c.upper() for c in peer.command_chunks] == [
        f"EHLO {HELO_NAME}\r\n".upper().encode(),
        f"MAIL FROM:<{SENDER}> SIZE={len(DOTS)}\r\n".upper().encode(),
        b"RCPT TO:<X@EXAMPLE.NET>\r\n",
        b"RCPT TO:<NOBODY@EXAMPLE.NET>\r\n",
        b"DATA\r\n",
    ]
    (txn,) = peer.transactions
    assert txn.rcpts == ["x@example.net"]
    assert txn.data_chunks == [b"Subject: dots\r\n\r\n..leading dot\r\n...two dots\r\n..\r\nlast line\r\n.\r\n"]
    assert txn.content == DOTS


def test_354_after_every_recipient_refused_gets_a_lone_dot_never_the_message(pool, peer_factory):
    peer = peer_factory(
        pipelining=True,
        data_without_recipients=True,
        rcpt_replies={"nobody@example.net": "550 5.1.1 no such user", "gone@example.net": "550 5.1.6 moved away"},
    )
    secret = message("must not leave", "confidential body\r\n")
    results = _deliver(pool, peer.port, ["nobody@example.net", "gone@example.net"], secret)
    assert results == {"nobody@example.net": "550 5.1.1 no such user", "gone@example.net": "550 5.1.6 moved away"}
    (txn,) = peer.transactions
    assert (txn.rcpts, txn.data_chunks, txn.content) == ([], [b".\r\n"], b"")
    assert b"confidential" not in peer.all_bytes and b"must not leave" not in peer.all_bytes

    # The reply to that "." was read: the same session carries the next message in step.
    follow = message("follow-up")
    assert _deliver(pool, peer.port, ["ok@example.net"], follow) == {"ok@example.net": "250 2.0.0 queued"}
    assert [(t.rcpts, t.content) for t in peer.transactions[1:]] == [(["ok@example.net"], follow)]
    assert peer.connections == 1
