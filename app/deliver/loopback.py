"""Would a destination reach Tenso itself?  A rule's server or an MX host that is one of Tenso's
own listening sockets would send the mail round in a circle until the hop limit bounces it; the
couriers ask here first and refuse at once instead."""

from __future__ import annotations

import socket
import threading
import time
from typing import TYPE_CHECKING, cast

from app.system.net import numeric_addresses, reaches_listener

if TYPE_CHECKING:
    from app.deliver.context import DeliveryContext

HOST_CACHE_SECONDS = 60.0


class Loopback:
    def __init__(self, context: DeliveryContext):
        self.context = context
        self._host_cache: dict[str, tuple[float, tuple[str, ...]]] = {}
        self._self_cache: dict[tuple, bool] = {}
        self._lock = threading.Lock()

    def host_addresses(self, host: str) -> tuple[str, ...]:
        """A destination's addresses, for the loop check only (smtplib resolves again)."""
        numeric = numeric_addresses(host)
        if numeric:
            return tuple(sorted(numeric))
        with self._lock:
            cached = self._host_cache.get(host)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
            found = tuple(sorted({cast(str, info[4][0]) for info in infos}))  # AF_INET/AF_INET6: strings
        except OSError:
            found = ()
        with self._lock:
            self._host_cache[host] = (time.monotonic() + HOST_CACHE_SECONDS, found)
        return found

    def is_self(self, ip: str, port: int) -> bool:
        """Would connecting to ip:port reach one of Tenso's own listening sockets?"""
        bound = self.context.bound
        key = (ip, port, tuple(bound))
        found = self._self_cache.get(key)
        if found is None:
            found = self._self_cache[key] = reaches_listener(numeric_addresses(ip) or {ip}, port, bound)
        return found

    def loops(self, host: str, port: int) -> bool:
        """Does any address of ``host`` reach Tenso itself on ``port``?"""
        return any(self.is_self(ip, port) for ip in self.host_addresses(host))
