"""Real network parts for the MTA tests: a DNS server on loopback, and mail hosts on their own
loopback addresses.

Normal delivery (MTA) asks DNS for a domain's MX hosts and connects to
``delivery.mx_port`` on each host's address.  So the tests need a DNS server they control
(dnslib's ``DNSServer`` with a resolver answering from a small zone) and several mail hosts
that share one port, each on its own loopback address (127.0.0.2, 127.0.0.3, ...).  Every
address here is in 127.0.0.0/8.  (Reading Maildirs and delivery status reports is in
``tests.support.mail``, the gateway's queue in ``tests.support.gateway``.)
"""

from __future__ import annotations

import socket
import socketserver
import threading

from dnslib import MX, QTYPE, RCODE, RR, A
from dnslib.server import BaseResolver, DNSLogger, DNSServer

from tests.support.smtp import UpstreamController, UpstreamHandler

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
        self.thread = threading.Thread(
            target=self.server.server.serve_forever, kwargs={"poll_interval": 0.05}, name="dns-stub", daemon=True
        )
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
    """An aiosmtpd server (the upstream handler of ``tests.support.smtp``) on ``address``:``port``."""

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
