"""Finding where a domain's mail goes: MX records, with A/AAAA fallback, cached by TTL.

dnspython does the DNS; this module adds what RFC 5321 section 5 asks of a
sender: lowest preference first, equal preferences shuffled, the domain's own
address when there is no MX, and RFC 7505's null MX (``MX 0 .``) as a
permanent failure.  The servers asked are the system's, or ``dns_servers``
from the settings (``127.0.0.1:5353`` style entries carry a port).
Everything blocks: call from a thread.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass

import dns.exception
import dns.rdatatype
import dns.resolver

DNS_TIMEOUT = 10.0
NEGATIVE_TTL = 60.0


class LookupError(Exception):  # the domain-specific meaning is the point
    """No route to the domain's mail; ``permanent`` separates 5xx from 4xx."""

    def __init__(self, reply: str, permanent: bool):
        super().__init__(reply)
        self.reply = reply
        self.permanent = permanent


@dataclass(frozen=True)
class MailHost:
    name: str
    preference: int
    addresses: tuple[str, ...]


def _parse_server(entry: str) -> tuple[str, int]:
    entry = entry.strip()
    if entry.startswith("["):  # [::1]:5353
        host, _, port = entry[1:].partition("]:")
        return host, int(port or 53)
    if entry.count(":") == 1:  # 127.0.0.1:5353
        host, port = entry.split(":")
        return host, int(port)
    return entry, 53


class Resolver:
    def __init__(self, servers: list[str] | None = None):
        if servers:
            self._resolver = dns.resolver.Resolver(configure=False)
            parsed = [_parse_server(s) for s in servers]
            self._resolver.nameservers = [h for h, _ in parsed]
            self._resolver.nameserver_ports = {h: p for h, p in parsed}
        else:
            self._resolver = dns.resolver.Resolver()
        self._resolver.lifetime = DNS_TIMEOUT
        self._cache: dict[tuple[str, str], tuple[float, object]] = {}
        self._lock = threading.Lock()

    def _query(self, name: str, rdtype: str):
        """Answer records, or None for "no such record"; raises LookupError for NXDOMAIN / failures."""
        key = (name, rdtype)
        with self._lock:
            cached = self._cache.get(key)
            if cached and cached[0] > time.monotonic():
                result = cached[1]
                if isinstance(result, LookupError):
                    raise result
                return result
        try:
            answer = self._resolver.resolve(name, rdtype, raise_on_no_answer=False)
            records = list(answer) if answer.rrset is not None else None
            ttl = answer.rrset.ttl if answer.rrset is not None else NEGATIVE_TTL
            result = records
        except dns.resolver.NXDOMAIN:
            result, ttl = LookupError(f"550 5.1.2 domain {name} does not exist", True), NEGATIVE_TTL
        except (dns.exception.Timeout, dns.resolver.NoNameservers, dns.resolver.LifetimeTimeout) as exc:
            raise LookupError(f"451 4.4.3 DNS lookup of {name} {rdtype} failed: {exc}", False) from exc
        except dns.exception.DNSException as exc:
            raise LookupError(f"451 4.4.3 DNS lookup of {name} {rdtype} failed: {exc}", False) from exc
        with self._lock:
            self._cache[key] = (time.monotonic() + max(ttl, 1), result)
        if isinstance(result, LookupError):
            raise result
        return result

    def addresses(self, name: str) -> tuple[str, ...]:
        found: list[str] = []
        for rdtype in ("A", "AAAA"):
            try:
                records = self._query(name, rdtype)
            except LookupError as exc:
                if exc.permanent:
                    continue
                raise
            found += [r.address for r in records or []]
        return tuple(found)

    def mail_hosts(self, domain: str) -> list[MailHost]:
        """Where to deliver mail for ``domain``, in the order to try."""
        domain = domain.rstrip(".").lower()
        if domain.startswith("[") and domain.endswith("]"):  # address literal: user@[192.0.2.1]
            literal = domain[1:-1].removeprefix("IPv6:").removeprefix("ipv6:")
            return [MailHost(literal, 0, (literal,))]
        records = self._query(domain, "MX")
        if not records:
            addresses = self.addresses(domain)
            if not addresses:
                raise LookupError(f"550 5.1.2 {domain} has no MX and no address", True)
            return [MailHost(domain, 0, addresses)]
        if len(records) == 1 and str(records[0].exchange) == ".":
            raise LookupError(f"556 5.1.10 {domain} accepts no mail (null MX)", True)
        by_pref: dict[int, list[str]] = {}
        for r in records:
            name = str(r.exchange).rstrip(".")
            if name:
                by_pref.setdefault(r.preference, []).append(name)
        hosts: list[MailHost] = []
        for pref in sorted(by_pref):
            names = by_pref[pref]
            random.shuffle(names)
            for name in names:
                try:
                    addresses = self.addresses(name)
                except LookupError:
                    addresses = ()
                hosts.append(MailHost(name, pref, addresses))
        if not any(h.addresses for h in hosts):
            raise LookupError(f"451 4.4.3 no address found for the mail hosts of {domain}", False)
        return hosts
