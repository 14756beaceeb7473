"""Relay networks (中継を許可する設定): which client addresses may relay.

Every form the original accepted, plus CIDR and IPv6: ``192.168.1.10``,
``192.168.0.0/16``, ``192.168.*.*``, ``192.168.1.10-192.168.1.50``,
``2001:db8::/32``.  Each entry becomes an inclusive integer range per IP
version, so matching is two comparisons whatever the form.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class AddressRange:
    version: int
    first: int
    last: int

    def __contains__(self, ip: IPAddress) -> bool:
        return ip.version == self.version and self.first <= int(ip) <= self.last


def _ip(text: str) -> IPAddress:
    try:
        ip = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        raise ValueError(f"{text.strip()} is not an IP address") from None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped  # clients are compared in IPv4 form, so entries are too
    return ip


def parse(entry: str) -> AddressRange:
    """One relay network entry → its address range; ValueError says what is wrong."""
    text = entry.strip()
    if not text:
        raise ValueError("is empty")
    if "*" in text:
        parts = text.split(".")
        if len(parts) != 4:
            raise ValueError("wildcards are written like 192.168.*.*")
        wild = [p == "*" for p in parts]
        if any(w and not later for w, later in zip(wild, wild[1:], strict=False)):
            raise ValueError("a * may only be followed by more *, as in 192.168.*.*")
        first = _ip(".".join("0" if w else p for w, p in zip(wild, parts, strict=False)))
        last = _ip(".".join("255" if w else p for w, p in zip(wild, parts, strict=False)))
        return AddressRange(4, int(first), int(last))
    if "/" in text:
        try:
            net = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise ValueError(f"{text} is not a network such as 192.168.0.0/16") from None
        return AddressRange(net.version, int(net.network_address), int(net.broadcast_address))
    if "-" in text:
        low, _, high = text.partition("-")
        first, last = _ip(low), _ip(high)
        if first.version != last.version:
            raise ValueError("both ends of a range must be IPv4 or both IPv6")
        if int(first) > int(last):
            raise ValueError("the first address of a range must not be above the last")
        return AddressRange(first.version, int(first), int(last))
    ip = _ip(text)
    return AddressRange(ip.version, int(ip), int(ip))


class RelayNetworks:
    def __init__(self, entries: list[str]):
        self.ranges = [parse(e) for e in entries]
        self._seen: dict[str, bool] = {}  # client address -> answer; a LAN has few, cleared when full

    def __contains__(self, client: str | None) -> bool:
        if not client:
            return False
        found = self._seen.get(client)
        if found is None:
            if len(self._seen) >= 4096:
                self._seen.clear()
            found = self._seen[client] = self._contains(client)
        return found

    def _contains(self, client: str) -> bool:
        try:
            ip = ipaddress.ip_address(client.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # ::ffff:192.168.1.5 from a dual-stack socket
        return any(ip in r for r in self.ranges)
