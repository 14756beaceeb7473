"""Who may come in: connection limits and the ban on guessing passwords (docs/devices.md,
"Limits and bans").

At connect, ``admit`` counts the client's open connections against ``server.max_connections``
and ``server.max_connections_per_client`` and checks the listener's ``networks``; beyond a limit
the connection is answered ``421 4.7.0`` and closed before anything else is done for it.  Each
failed login is remembered per client address for ``FAILURE_WINDOW_SECONDS``; the
``auth_failures_limit``-th within that time bars the address from AUTH for ``auth_ban_minutes``
(``454 4.7.0``, one warning line).  A ban stops logins only: a relay-network client that sends
without logging in is never affected.  Everything here lives in memory (a restart lifts every
ban) and counts for this process alone (``server.processes`` > 1: each process counts its own).
Every call is a few dict operations on the event loop.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from app.mail.relaynets import RelayNetworks
from app.status import AuthBan

if TYPE_CHECKING:
    from app.settings import Listener, Server

log = logging.getLogger("tenso")

FAILURE_WINDOW_SECONDS = 600.0  # failed logins counted over the last 10 minutes
REFUSAL_LOG_SECONDS = 60.0  # a client refused for too many connections is logged at most this often
MAX_TRACKED = 10_000  # client addresses with recent failures kept before stale ones are dropped
TOO_MANY_CONNECTIONS = "421 4.7.0 {host} Too many connections, try again later"
TOO_MANY_FROM_YOU = "421 4.7.0 {host} Too many connections from your address, try again later"
NOT_FROM_HERE = "554 5.7.1 {host} This service is not for your address"
BANNED = "454 4.7.0 Too many failed logins from your address; try again later"


class Door:
    """The open connections and failed logins of one receiving process."""

    def __init__(self, clock=time.time) -> None:
        self._clock = clock
        self.open = 0
        self._per_client: dict[str, int] = {}
        self._failures: dict[str, deque[float]] = {}
        self._bans: dict[str, AuthBan] = {}
        self._networks: dict[tuple[str, ...], RelayNetworks] = {}
        self._refusals_said: dict[str, tuple[float, int]] = {}  # client -> (last warning, refused since)
        self.on_ban: Callable[[], None] | None = None  # a client was barred (the gateway saves its status)

    # --- connections ---

    def admit(self, client: str, server: Server, listener: Listener) -> str | None:
        """None and the connection is counted (``leave`` when it ends), else the reply to close it with."""
        if listener.networks and client not in self._allowed(listener.networks):
            log.info("client %s refused on %s: not in its networks", client, listener.address)
            return NOT_FROM_HERE.format(host=server.hostname)
        if self.open >= server.max_connections:
            self._refused(client, "%d connections open (server.max_connections)", self.open)
            return TOO_MANY_CONNECTIONS.format(host=server.hostname)
        mine = self._per_client.get(client, 0)
        if mine >= server.max_connections_per_client:
            self._refused(client, "it has %d connections open (server.max_connections_per_client)", mine)
            return TOO_MANY_FROM_YOU.format(host=server.hostname)
        self.open += 1
        self._per_client[client] = mine + 1
        return None

    def _refused(self, client: str, why: str, n: int) -> None:
        """One warning per client per REFUSAL_LOG_SECONDS, however fast it keeps knocking."""
        now = self._clock()
        said = self._refusals_said.get(client)
        if said is not None and now - said[0] < REFUSAL_LOG_SECONDS:
            self._refusals_said[client] = (said[0], said[1] + 1)
            return
        more = f" ({said[1]} more refused since the last line)" if said and said[1] else ""
        if len(self._refusals_said) >= MAX_TRACKED:
            self._refusals_said.clear()
        self._refusals_said[client] = (now, 0)
        log.warning("client %s refused: " + why + "%s", client, n, more)

    def leave(self, client: str) -> None:
        self.open -= 1
        left = self._per_client.get(client, 1) - 1
        if left > 0:
            self._per_client[client] = left
        else:
            self._per_client.pop(client, None)

    def _allowed(self, networks: list[str]) -> RelayNetworks:
        key = tuple(networks)
        found = self._networks.get(key)
        if found is None:
            found = self._networks[key] = RelayNetworks(networks)
        return found

    # --- logins ---

    def banned(self, client: str) -> bool:
        ban = self._bans.get(client)
        if ban is None:
            return False
        if self._clock() >= ban.until:
            del self._bans[client]
            return False
        return True

    def failed(self, client: str, server: Server) -> None:
        """A failed login from ``client``: the limit-th within the window bars it."""
        limit = server.auth_failures_limit
        if not limit:
            return
        now = self._clock()
        if len(self._failures) >= MAX_TRACKED:  # many addresses (an IPv6 range): forget the stale ones
            self._forget_stale(now)
        times = self._failures.setdefault(client, deque())
        times.append(now)
        while times and times[0] <= now - FAILURE_WINDOW_SECONDS:
            times.popleft()
        if len(times) >= limit and client not in self._bans:
            until = now + server.auth_ban_minutes * 60
            self._bans[client] = AuthBan(client, until, len(times))
            del self._failures[client]
            log.warning(
                "client %s may not log in for %d minutes: %d failed logins within %d minutes "
                "(server.auth_failures_limit)",
                client,
                server.auth_ban_minutes,
                len(times),
                FAILURE_WINDOW_SECONDS // 60,
            )
            if self.on_ban is not None:
                self.on_ban()

    def _forget_stale(self, now: float) -> None:
        """Drops the clients whose failures all left the window, and the bans that ended."""
        for client, times in list(self._failures.items()):
            if times[-1] <= now - FAILURE_WINDOW_SECONDS:
                del self._failures[client]
        for client, ban in list(self._bans.items()):
            if ban.until <= now:
                del self._bans[client]

    def bans(self) -> list[AuthBan]:
        """The bans in force now (safe to call from another thread: changes nothing)."""
        now = self._clock()
        return [ban for ban in list(self._bans.values()) if ban.until > now]
