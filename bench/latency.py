"""Latency probes for bench/run.py: one message at a time, timed from the client's final dot.

A probe is an SMTP client (plain sockets, TCP_NODELAY) that sends one message of a given size to
a relay, to a recipient at ``probe.example``, and notes two moments after writing the final
``.`` CRLF: the relay's 250, and the probe sink (a small SMTP server in this process, where each
relay sends ``probe.example``) reading that message's own final dot.  Both clocks are this
process's ``time.monotonic``.  Standard library only, loopback only.
"""

from __future__ import annotations

import re
import socket
import statistics
import threading
import time
from dataclasses import dataclass, field

PROBE_DOMAIN = "probe.example"
PROBE_RECIPIENT = f"someone@{PROBE_DOMAIN}"
PROBE_ID = re.compile(rb"X-Probe: (\d+)")


class ProbeSink:
    """An SMTP server on loopback that notes, per ``X-Probe: N`` header, when the message's final dot
    arrived.  One thread per connection; answers EHLO without PIPELINING, every command 250."""

    def __init__(self, host: str):
        self.host = host
        self._sock = socket.create_server((host, 0))
        self.port = self._sock.getsockname()[1]
        self.arrived: dict[int, float] = {}
        self._cond = threading.Condition()
        self._stopping = False
        threading.Thread(target=self._accept, daemon=True, name="probe-sink").start()

    def _accept(self) -> None:
        while not self._stopping:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._serve, args=(conn,), daemon=True, name="probe-sink-session").start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.sendall(b"220 probe-sink ESMTP\r\n")
            pending = b""
            in_data = False
            while True:
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    return
                if not chunk:
                    return
                now = time.monotonic()
                pending += chunk
                while True:
                    if in_data:
                        end = pending.find(b"\r\n.\r\n")
                        if end < 0:
                            break
                        body, pending = pending[: end + 2], pending[end + 5 :]
                        found = PROBE_ID.search(body)
                        if found:
                            with self._cond:
                                self.arrived[int(found.group(1))] = now
                                self._cond.notify_all()
                        in_data = False
                        conn.sendall(b"250 2.0.0 Ok: queued\r\n")
                        continue
                    line, sep, rest = pending.partition(b"\r\n")
                    if not sep:
                        break
                    pending = rest
                    verb = line[:4].upper()
                    if verb == b"EHLO":
                        conn.sendall(b"250-probe-sink\r\n250 8BITMIME\r\n")
                    elif verb == b"DATA":
                        in_data = True
                        pending = b"\r\n" + pending  # the body's first line may be the final dot
                        conn.sendall(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    elif verb == b"QUIT":
                        conn.sendall(b"221 Bye\r\n")
                        return
                    else:
                        conn.sendall(b"250 Ok\r\n")

    def wait(self, n: int, deadline: float) -> float | None:
        with self._cond:
            while n not in self.arrived:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)
            return self.arrived[n]

    def close(self) -> None:
        self._stopping = True
        self._sock.close()


def _expect(sock: socket.socket, buffer: list[bytes], code: bytes) -> None:
    """Reads one whole reply (multi-line too); raises unless it starts with ``code``."""
    data = buffer[0]
    while True:
        lines = data.split(b"\r\n")
        for i, line in enumerate(lines[:-1]):
            if line[3:4] == b" ":
                reply = b"\r\n".join(lines[: i + 1])
                buffer[0] = b"\r\n".join(lines[i + 1 :])
                if not reply.startswith(code) and not lines[i].startswith(code):
                    raise OSError(f"expected {code.decode()}, got {reply[-200:]!r}")
                return
        chunk = sock.recv(65536)
        if not chunk:
            raise OSError("the relay closed the connection")
        data += chunk


def body(n: int, size: int) -> bytes:
    head = (
        f"From: <bench@source.example>\r\nTo: <{PROBE_RECIPIENT}>\r\nSubject: latency probe {n}\r\nX-Probe: {n}\r\n\r\n"
    ).encode()
    line = b"La de da de da, one message at a time, timed from the final dot.\r\n"
    return head + line * max(1, (size - len(head)) // len(line))


def probe(host: str, port: int, sink: ProbeSink, n: int, size: int, timeout: float = 10.0) -> tuple[float, float]:
    """One message through the relay at ``port``: (final dot → 250, final dot → at the sink), seconds."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffer = [b""]
        _expect(sock, buffer, b"220")
        for command, code in (
            (b"EHLO probe-client.localdomain", b"250"),
            (b"MAIL FROM:<bench@source.example>", b"250"),
            (f"RCPT TO:<{PROBE_RECIPIENT}>".encode(), b"250"),
            (b"DATA", b"354"),
        ):
            sock.sendall(command + b"\r\n")
            _expect(sock, buffer, code)
        sock.sendall(body(n, size))
        t0 = time.monotonic()
        sock.sendall(b".\r\n")
        _expect(sock, buffer, b"250")
        replied = time.monotonic()
        sock.sendall(b"QUIT\r\n")
    arrived = sink.wait(n, t0 + timeout)
    if arrived is None:
        raise OSError(f"probe {n} did not reach the probe sink within {timeout:.0f} s")
    return replied - t0, arrived - t0


@dataclass
class Latencies:
    """Probe results of one relay in one situation (alone, or beside the load), in seconds."""

    reply: list[float] = field(default_factory=list)
    arrival: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""

    def failed(self, exc: OSError) -> None:
        self.errors += 1
        self.first_error = self.first_error or str(exc)

    def add(self, other: Latencies) -> None:
        self.reply += other.reply
        self.arrival += other.arrival
        self.errors += other.errors

    @staticmethod
    def p95(values: list[float]) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]

    def text(self, which: str) -> str:
        values = self.reply if which == "reply" else self.arrival
        if not values:
            return "—"
        return f"{statistics.median(values) * 1000:.2f} / {self.p95(values) * 1000:.2f}"


_next_probe = iter(range(1, 1 << 62))
_next_lock = threading.Lock()


def next_id() -> int:
    with _next_lock:
        return next(_next_probe)


def one_at_a_time(host: str, port: int, sink: ProbeSink, count: int, size: int) -> Latencies:
    """``count`` probes in a row, each after the previous one arrived (plus 20 ms of quiet)."""
    found = Latencies()
    for _ in range(count):
        try:
            reply, arrival = probe(host, port, sink, next_id(), size)
        except OSError as exc:
            found.failed(exc)
        else:
            found.reply.append(reply)
            found.arrival.append(arrival)
        time.sleep(0.02)
    return found


class Beside(threading.Thread):
    """Probes in a row, every ``gap`` s, while a load runs; ``finish`` stops and returns them."""

    def __init__(self, host: str, port: int, sink: ProbeSink, size: int, gap: float = 0.05):
        super().__init__(daemon=True, name="latency-beside-load")
        self.args = (host, port, sink)
        self.size = size
        self.gap = gap
        self.found = Latencies()
        self._done = threading.Event()

    def run(self) -> None:
        host, port, sink = self.args
        while not self._done.wait(self.gap):
            try:
                reply, arrival = probe(host, port, sink, next_id(), self.size)
            except OSError as exc:
                self.found.failed(exc)
            else:
                self.found.reply.append(reply)
                self.found.arrival.append(arrival)

    def finish(self) -> Latencies:
        self._done.set()
        self.join()
        return self.found
