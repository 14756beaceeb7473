"""A destination that answers one byte at a time is cut off by a deadline per stage (smtplib's
own timeout restarts with every byte), and the mail waits for its next try (issue 17, item 6).

The slow server is real: a socket server on 127.0.0.1 that speaks SMTP and drips chosen replies
a byte every 0.2 s.  The deadlines are shortened for the test (module constants).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest

from app.deliver import smtp
from app.deliver.smtp import deadlines
from tests.gateway.test_graph import graph_gateway, graph_server  # noqa: F401  (the graph_server fixture)
from tests.gateway.test_oauth_accounts import auth_server, data_dir  # noqa: F401  (fixtures)
from tests.support.gateway import rule
from tests.support.smtp import message, send


class DrippingServer:
    """Answers SMTP; the reply to ``slow`` ("GREETING", "EHLO" or "DATA-END") comes one byte per
    ``pause`` s."""

    def __init__(self, slow: str, pause: float = 0.2):
        self.slow, self.pause = slow, pause
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.closed_by_client = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _send(self, conn: socket.socket, reply: bytes, slow: bool) -> None:
        if not slow:
            conn.sendall(reply)
            return
        for b in reply:
            conn.sendall(bytes([b]))
            time.sleep(self.pause)

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        try:
            self._send(conn, b"220 slow.test ESMTP\r\n", self.slow == "GREETING")
            buf = b""
            in_data = False
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    self.closed_by_client.set()
                    return
                buf += chunk
                while True:
                    if in_data:
                        end = buf.find(b"\r\n.\r\n")
                        if end < 0:
                            break
                        buf, in_data = buf[end + 5 :], False
                        self._send(conn, b"250 2.0.0 queued as SLOW1\r\n", self.slow == "DATA-END")
                        continue
                    line, sep, rest = buf.partition(b"\r\n")
                    if not sep:
                        break
                    buf = rest
                    verb = line[:4].upper()
                    if verb in (b"EHLO", b"HELO"):
                        self._send(conn, b"250-slow.test\r\n250 8BITMIME\r\n", self.slow == "EHLO")
                    elif verb == b"DATA":
                        conn.sendall(b"354 go ahead\r\n")
                        in_data = True
                    elif verb == b"QUIT":
                        conn.sendall(b"221 bye\r\n")
                        return
                    else:
                        conn.sendall(b"250 2.0.0 OK\r\n")
        except OSError:
            self.closed_by_client.set()
        finally:
            conn.close()

    def stop(self) -> None:
        self.sock.close()


@pytest.fixture
def short_deadlines(monkeypatch):
    monkeypatch.setattr(deadlines, "CONNECT_SECONDS", 1.0)
    monkeypatch.setattr(deadlines, "TRANSACTION_SECONDS", 1.0)


@pytest.mark.parametrize(
    ("slow", "stage"),
    [("DATA-END", "the transaction"), ("EHLO", "EHLO and STARTTLS"), ("GREETING", "the greeting")],
)
def test_a_dripping_server_is_cut_off_at_the_stage_deadline(short_deadlines, slow, stage):
    server = DrippingServer(slow)
    try:
        dest = smtp.Destination("127.0.0.1", server.port, "none", None)
        started = time.monotonic()
        pool = smtp.Pool()
        mail = smtp.Outgoing("tenso.test", "a@lan.test", ["b@far.test"], message(), [])
        replies = smtp.deliver(pool, dest, None, mail)
        took = time.monotonic() - started
        pool.close_all()
    finally:
        server.stop()
    (reply,) = replies.values()
    assert reply.startswith("451 4.4.") and "is too slow" in reply and stage in reply, reply
    assert took < 3.0, f"held for {took:.1f} s (the reply drips for far longer; smtplib alone waits 30 s per byte)"
    assert server.closed_by_client.wait(2), "the connection is closed, not left to drip"


def test_a_server_that_answers_in_time_is_not_cut(short_deadlines):
    server = DrippingServer("none")
    try:
        dest = smtp.Destination("127.0.0.1", server.port, "none", None)
        pool = smtp.Pool()
        mail = smtp.Outgoing("tenso.test", "a@lan.test", ["b@far.test"], message(), [])
        replies = smtp.deliver(pool, dest, None, mail)
        pool.close_all()
    finally:
        server.stop()
    assert replies == {"b@far.test": "250 2.0.0 queued as SLOW1"}


def test_the_transaction_deadline_grows_with_the_size():
    assert deadlines.transaction_seconds(0) == deadlines.TRANSACTION_SECONDS
    assert deadlines.transaction_seconds(25 * 2**20) > deadlines.TRANSACTION_SECONDS + 1000


def hold(up) -> threading.Event:
    """The upstream keeps every session waiting in MAIL until the returned event is set."""
    gate = threading.Event()
    original = up.handler.handle_MAIL

    async def held(server, session, envelope, address, options):
        await asyncio.to_thread(gate.wait, 60)
        return await original(server, session, envelope, address, options)

    up.handler.handle_MAIL = held
    return gate


@pytest.mark.parametrize("in_process", [False, True], ids=["delivery-worker", "threads"])
def test_slow_destinations_never_take_every_slot(tmp_path, gateway_factory, upstream_factory, monkeypatch, in_process):
    """queue.workers 4 (one slot kept back): two destinations that hang with three messages each
    hold three slots at most, and mail for a healthy destination leaves at once."""
    if in_process:
        monkeypatch.setenv("TENSO_DELIVERY_PROCESS", "0")
    slow1, slow2, healthy = upstream_factory(), upstream_factory(), upstream_factory()
    gates = [hold(slow1), hold(slow2)]
    gw = gateway_factory(
        queue={"workers": 4},
        rules=[rule(slow1.port, "@slow1.test"), rule(slow2.port, "@slow2.test"), rule(healthy.port)],
    )
    try:
        for i in range(3):
            for domain in ("slow1.test", "slow2.test"):
                send(gw.port, "a@lan.test", [f"r{i}@{domain}"], message(f"slow {i}"))
        time.sleep(0.5)  # every slot the slow ones may take is taken
        started = time.monotonic()
        send(gw.port, "a@lan.test", ["b@healthy.test"], message("healthy"))
        healthy.handler.wait_for(1, timeout=5)
        took = time.monotonic() - started
    finally:
        for gate in gates:
            gate.set()
    assert took < 2.0, f"the healthy destination's mail waited {took:.1f} s"
    slow1.handler.wait_for(3, timeout=15)
    slow2.handler.wait_for(3, timeout=15)


@pytest.mark.parametrize("in_process", [False, True], ids=["delivery-worker", "threads"])
def test_a_hanging_graph_mailbox_is_parked_like_a_server_and_never_takes_every_slot(
    tmp_path,
    auth_server,  # noqa: F811
    data_dir,  # noqa: F811
    graph_server,  # noqa: F811
    gateway_factory,
    upstream_factory,
    monkeypatch,
    in_process,
):
    """queue.workers 4 (one slot kept back): a GRAPH rule's mailbox is a destination like a server,
    so four messages to a Graph that hangs hold three slots at most (the fourth is parked), and
    mail for a healthy server leaves at once."""
    if in_process:
        monkeypatch.setenv("TENSO_DELIVERY_PROCESS", "0")
    auth = auth_server()
    graph = graph_server(auth)
    gate = graph.hold()
    healthy = upstream_factory()
    gw = graph_gateway(
        tmp_path, auth, graph, gateway_factory, before=[rule(healthy.port, "@healthy.test")], queue={"workers": 4}
    )
    try:
        for i in range(4):
            send(gw.port, "a@lan.test", ["b@example.test"], message(f"to graph {i}"))
        graph.wait_held(3)
        time.sleep(0.5)  # every slot the hanging mailbox may take is taken
        started = time.monotonic()
        send(gw.port, "a@lan.test", ["b@healthy.test"], message("healthy"))
        healthy.handler.wait_for(1, timeout=5)
        took = time.monotonic() - started
    finally:
        gate.set()
    assert took < 2.0, f"the healthy destination's mail waited {took:.1f} s"
    graph.wait_for(4)
