"""A destination that answers one byte at a time is cut off by a deadline per stage (smtplib's
own timeout restarts with every byte), and the mail waits for its next try (issue 17, item 6).

The slow server is real: a socket server on 127.0.0.1 that speaks SMTP and drips chosen replies
a byte every 0.2 s.  The deadlines are shortened for the test (module constants).
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from app.deliver import deadlines, outbound
from tests.support.smtp import message


class DrippingServer:
    """Answers SMTP; the reply to ``slow`` ("EHLO" or "DATA-END") comes one byte per ``pause`` s."""

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
            conn.sendall(b"220 slow.test ESMTP\r\n")
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


@pytest.mark.parametrize(("slow", "stage"), [("DATA-END", "the transaction"), ("EHLO", "EHLO and STARTTLS")])
def test_a_dripping_server_is_cut_off_at_the_stage_deadline(short_deadlines, slow, stage):
    server = DrippingServer(slow)
    try:
        dest = outbound.Destination("127.0.0.1", server.port, "none", None)
        started = time.monotonic()
        pool = outbound.Pool()
        replies = outbound.deliver(pool, dest, None, "tenso.test", "a@lan.test", ["b@far.test"], message(), [])
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
        dest = outbound.Destination("127.0.0.1", server.port, "none", None)
        pool = outbound.Pool()
        replies = outbound.deliver(pool, dest, None, "tenso.test", "a@lan.test", ["b@far.test"], message(), [])
        pool.close_all()
    finally:
        server.stop()
    assert replies == {"b@far.test": "250 2.0.0 queued as SLOW1"}


def test_the_transaction_deadline_grows_with_the_size():
    assert deadlines.transaction_seconds(0) == deadlines.TRANSACTION_SECONDS
    assert deadlines.transaction_seconds(25 * 2**20) > deadlines.TRANSACTION_SECONDS + 1000
