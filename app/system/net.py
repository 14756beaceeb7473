"""Network addresses, offline: listen entries, numeric hosts, and whether an address is our own."""

from __future__ import annotations

import ipaddress
import socket
from typing import cast


def parse_listen(value: str) -> tuple[str, int]:
    """``0.0.0.0:25``, ``[::]:25``, ``:2525`` → (host, port)."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError("must be address:port, such as 0.0.0.0:25 or [::]:25")
    host = host.strip("[]") or "0.0.0.0"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if host != "localhost":
            raise ValueError(f"{host} is not an IP address") from None
    if not 0 <= int(port) <= 65535:  # 0: any free port (tests, and "just try it")
        raise ValueError("port must be 1-65535")
    return host, int(port)


def is_local_ip(ip: str) -> bool:
    """This machine owns ``ip`` when it can bind to it: offline and instant."""
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.bind((ip, 0))
    except OSError:
        return False
    return True


def numeric_addresses(host: str) -> set[str]:
    """The addresses a numeric host (any spelling: 127.1, 0:0:0:0:0:0:0:1) or localhost stands for.

    Never asks DNS: a name other than localhost gives the empty set."""
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return {"127.0.0.1", "::1"}
    try:
        infos = socket.getaddrinfo(host, None, flags=socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError, ValueError):
        return set()
    return {cast(str, info[4][0]) for info in infos}  # AF_INET/AF_INET6 addresses: strings


def reaches_listener(addresses: set[str], port: int, listening: list[tuple[str, int]]) -> bool:
    """Would a connection to one of ``addresses`` on ``port`` arrive at one of our own sockets?"""
    for host, listen_port in listening:
        if listen_port != port:
            continue
        if host in ("", "0.0.0.0", "::"):  # every local address (:: takes IPv4 too on dual-stack)
            if any(is_local_ip(ip) for ip in addresses):
                return True
        elif numeric_addresses(host) & addresses:
            return True
    return False
