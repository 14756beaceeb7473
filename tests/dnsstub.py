"""Real network parts for the MTA tests: a DNS server on loopback, and mail hosts on their own
loopback addresses.

Normal delivery (FORWARDING.md section 3) asks DNS for a domain's MX hosts and connects to
``delivery.mx_port`` on each host's address.  So the tests need a DNS server they control
(dnslib's ``DNSServer`` with a resolver answering from a small zone) and several mail hosts
that share one port, each on its own loopback address (127.0.0.2, 127.0.0.3, ...).  Every
address here is in 127.0.0.0/8.  The small helpers at the end (waiting, reading Maildirs and
delivery status reports, capturing the gateway's log, ageing a spooled message) are shared by
test_mta_delivery.py, test_forward_txt.py and test_queue.py.
"""

from __future__ import annotations

import email
import email.message
import email.policy
import json
import logging
import mailbox
import socket
import socketserver
import threading
import time
from pathlib import Path

from conftest import UpstreamController, UpstreamHandler
from dnslib import MX, QTYPE, RCODE, RR, A
from dnslib.server import BaseResolver, DNSLogger, DNSServer

# --- DNS -----------------------------------------------------------------------------------


class Zone(BaseResolver):
    """Answers from ``records``; a name it has never heard of is NXDOMAIN, a known name
    without records of the asked type is an empty NOERROR answer (NODATA)."""

    def __init__(self) -> None:
        self.records: dict[str, list[RR]] = {}
        self.queries: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def add(self, name: str, rr_type: int, rdata) -> None:
        name = name.rstrip(".").lower()
        with self._lock:
            self.records.setdefault(name, []).append(RR(name + ".", rr_type, rdata=rdata, ttl=300))

    def resolve(self, request, handler):
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        with self._lock:
            self.queries.append((name, QTYPE[request.q.qtype]))
            found = self.records.get(name)
        if found is None:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        for rr in found:
            if rr.rtype == request.q.qtype:
                reply.add_answer(rr)
        return reply


class DNSStub:
    """A DNS server on 127.0.0.1, UDP, on a free port; ``address`` is the ``dns_servers`` entry."""

    def __init__(self) -> None:
        self.zone = Zone()
        self.server = DNSServer(self.zone, address="127.0.0.1", port=0, logger=DNSLogger(logf=lambda _: None))
        self.port = self.server.server.server_address[1]
        self.thread = threading.Thread(target=self.server.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       name="dns-stub", daemon=True)
        self.thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def mx(self, domain: str, preference: int, host: str) -> None:
        self.zone.add(domain, QTYPE.MX, MX(host, preference))

    def null_mx(self, domain: str) -> None:
        """RFC 7505: ``MX 0 .`` says the domain accepts no mail."""
        self.zone.add(domain, QTYPE.MX, MX(".", 0))

    def a(self, name: str, address: str) -> None:
        assert address.startswith("127."), "the tests use loopback only"
        self.zone.add(name, QTYPE.A, A(address))

    def asked(self, name: str) -> list[str]:
        return [qtype for qname, qtype in self.zone.queries if qname == name]

    def stop(self) -> None:
        self.server.server.shutdown()
        self.server.server.server_close()
        self.thread.join(5)


def dead_udp_port() -> int:
    """A UDP port on 127.0.0.1 where nothing answers (a DNS server that is down)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- mail hosts on their own loopback addresses ------------------------------------------------


class Greeter554(socketserver.ThreadingTCPServer):
    """A mail host that greets with 554 (RFC 5321 3.1: "no SMTP service here") and hangs up."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int]):
        self.connections = 0
        super().__init__(address, _Greet554)


class _Greet554(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        self.server.connections += 1
        self.wfile.write(b"554 5.3.2 mx.test has no SMTP service for you\r\n")
        self.wfile.flush()
        try:
            self.rfile.readline()  # QUIT, or nothing
        except OSError:
            pass


class MailHost:
    """An aiosmtpd server (the conftest upstream handler) on ``address``:``port``."""

    def __init__(self, address: str, port: int):
        assert address.startswith("127.")
        self.address = address
        self.handler = UpstreamHandler()
        self.controller = UpstreamController(self.handler, hostname=address, port=port, server_hostname="mx.test")
        self.controller.start()

    @property
    def messages(self):
        return self.handler.messages

    def stop(self) -> None:
        self.controller.stop()


class MailHosts:
    """Mail hosts sharing one port (``delivery.mx_port``) on 127.0.0.2, 127.0.0.3, ..."""

    ADDRESSES = [f"127.0.0.{n}" for n in range(2, 10)]

    def __init__(self) -> None:
        self.port = self._port_free_on_all()
        self.hosts: list[MailHost] = []
        self.greeters: list[Greeter554] = []
        self._threads: list[threading.Thread] = []

    def _port_free_on_all(self) -> int:
        for _ in range(50):
            with socket.socket() as s:
                s.bind((self.ADDRESSES[0], 0))
                port = s.getsockname()[1]
            try:
                for address in ["127.0.0.1", *self.ADDRESSES[1:]]:  # 127.0.0.1: a gateway may share it
                    with socket.socket() as s:
                        s.bind((address, port))
            except OSError:
                continue
            return port
        raise RuntimeError("no port free on every test loopback address")

    def smtp(self, address: str) -> MailHost:
        host = MailHost(address, self.port)
        self.hosts.append(host)
        return host

    def greets_554(self, address: str) -> Greeter554:
        server = Greeter554((address, self.port))
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        self.greeters.append(server)
        self._threads.append(thread)
        return server

    def stop(self) -> None:
        for host in self.hosts:
            host.stop()
        for server in self.greeters:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(5)


# --- waiting and reading, shared by the MTA, forward.txt and queue tests -----------------------


def wait_until(predicate, timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout} s")
        time.sleep(0.02)


def maildir_messages(root: Path, user: str) -> list[bytes]:
    """Every message in ``user``'s Maildir, oldest first, read with the standard library."""
    path = Path(root) / user
    if not (path / "cur").exists():  # created last, after tmp/ and new/
        return []
    box = mailbox.Maildir(path, factory=None, create=False)
    return [box.get_bytes(key) for key in sorted(box.keys())]  # Tenso names files by arrival time


def without_delivery_headers(raw: bytes, sender: str, user: str) -> bytes:
    """A Maildir copy minus the Return-Path and Delivered-To lines Tenso puts on top."""
    head = f"Return-Path: <{sender}>\r\nDelivered-To: {user}\r\n".encode()
    assert raw.startswith(head), raw[:200]
    return raw[len(head):]


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def delivery_status(report: email.message.EmailMessage) -> list[dict[str, str]]:
    """The per-recipient blocks of an RFC 3464 report, as dicts of field -> value."""
    assert report.get_content_type() == "multipart/report", report.get_content_type()
    assert report.get_param("report-type") == "delivery-status"
    part = next(p for p in report.walk() if p.get_content_type() == "message/delivery-status")
    blocks = part.get_payload()  # the email package parses each block as a header set
    return [{k: str(v) for k, v in b.items()} for b in blocks if b.get("Final-Recipient")]


def returned_headers(report: email.message.EmailMessage) -> email.message.EmailMessage:
    """The original message's headers, from the report's text/rfc822-headers part."""
    part = next(p for p in report.walk() if p.get_content_type() == "text/rfc822-headers")
    return email.message_from_bytes(part.get_payload(decode=True), policy=email.policy.default)


class TensoLog(logging.Handler):
    """The gateway's log lines (logger ``tenso``), whatever the logging set-up of the session."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self.logger = logging.getLogger("tenso")

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    def __enter__(self) -> TensoLog:
        self._level = self.logger.level
        self.logger.setLevel(logging.INFO)
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc) -> None:
        self.logger.removeHandler(self)
        self.logger.setLevel(self._level)

    def matching(self, *parts: str) -> list[str]:
        return [line for line in self.lines if all(p in line for p in parts)]


def retry_now(gw, qid: str | None = None) -> None:
    """The window's "retry now", called the way the GUI would: on the gateway's loop."""
    gw.loop.call_soon_threadsafe(gw.gateway.scheduler.retry, qid)


def recipients(gw, qid: str) -> dict[str, object]:
    return {r.address: r for r in gw.spool.load(qid).recipients}


def wait_attempts(gw, qid: str, count: int, timeout: float = 10.0) -> dict[str, object]:
    """Waits until every recipient of ``qid`` has had ``count`` attempts (or the message left)."""

    def done() -> bool:
        try:
            return all(r.attempts >= count for r in gw.spool.load(qid).recipients)
        except FileNotFoundError:
            return True

    wait_until(done, timeout, f"{count} attempt(s) of {qid}")
    try:
        return recipients(gw, qid)
    except FileNotFoundError:
        return {}  # finished and removed


def set_received_at(queue_dir: Path, qid: str, when: float) -> None:
    """Rewrites the envelope line of a spooled message (``queue/msg/<id>``), gateway stopped."""
    path = Path(queue_dir) / "msg" / qid
    raw = path.read_bytes()
    first, _, rest = raw.partition(b"\n")
    envelope = json.loads(first)
    envelope["received_at"] = when
    path.write_bytes(json.dumps(envelope, separators=(",", ":")).encode() + b"\n" + rest)
