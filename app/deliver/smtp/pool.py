"""Sessions kept for reuse: a connection that finished a transaction cleanly goes back to a small
pool per destination (host, port, TLS mode, account), so a stream of messages to the ISP reuses
one session instead of paying TCP + TLS + AUTH each time.

A session is reused only with the password it logged in with: the caller reads the password
from the keyring for every delivery, and a session that logged in with another one (the
password was changed, in the window or by ``password set`` in any process) is closed, so the
next delivery logs in again with the new password at once."""

from __future__ import annotations

import hashlib
import threading
import time

from app.deliver.smtp.auth import Secret
from app.deliver.smtp.session import Connection, Destination

IDLE_REUSE_SECONDS = 30.0  # most servers drop idle sessions after a minute or more
MAX_IDLE_PER_DESTINATION = 8


class Pool:
    """Idle connections per destination, handed to one thread at a time."""

    def __init__(self) -> None:
        self._idle: dict[Destination, list[Connection]] = {}
        self._lock = threading.Lock()

    def take(self, destination: Destination, secret: Secret | None = None) -> Connection | None:
        """An idle session to ``destination`` that logged in with ``secret``, if there is one."""
        stale = []
        found = None
        wanted = fingerprint(secret)
        with self._lock:
            idle = self._idle.get(destination, [])
            now = time.monotonic()
            while idle:
                conn = idle.pop()
                if now - conn.idle_since < IDLE_REUSE_SECONDS and conn.secret == wanted:
                    found = conn
                    break
                stale.append(conn)
        for conn in stale:
            conn.close()
        return found

    def give_back(self, conn: Connection) -> None:
        conn.idle_since = time.monotonic()
        with self._lock:
            idle = self._idle.setdefault(conn.destination, [])
            if len(idle) < MAX_IDLE_PER_DESTINATION:
                idle.append(conn)
                return
        conn.close()

    def close_all(self) -> None:
        with self._lock:
            conns = [c for idle in self._idle.values() for c in idle]
            self._idle.clear()
        for conn in conns:
            conn.close()


def fingerprint(secret: Secret | None) -> str | None:
    """What a pooled session remembers of the password it logged in with: a hash, not the
    password.  An OAuth 2.0 token source is the same account's whatever its current token."""
    if secret is None or callable(secret):
        return None
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
