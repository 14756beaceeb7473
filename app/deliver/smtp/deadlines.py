"""Deadlines for a whole stage of an outbound session, not for each byte.

smtplib's timeout applies to each read: a server that answers one byte a second never trips it,
and holds a delivery slot for as long as it likes.  A stage (connecting, greeting, TLS and login;
one transaction from MAIL to the reply after the final dot) gets a deadline instead; when it
passes, the watchdog shuts the socket down, the blocked read ends with an error, and the attempt
reports which stage was too slow (the mail waits for its next try).

One thread watches every armed deadline (a heap), so arming one costs a heap push, not a thread.
Postfix's ``smtp_*_timeout`` values are the reference; ours are totals, so the transaction's
grows with the message's size.
"""

from __future__ import annotations

import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

CONNECT_SECONDS = 60.0  # connect, greeting, EHLO, STARTTLS and AUTH together
TRANSACTION_SECONDS = 120.0  # MAIL to the final reply, for a small message ...
BYTES_PER_SECOND = 20_000  # ... plus the time to send the message at this slowest acceptable rate


def transaction_seconds(size: int) -> float:
    return TRANSACTION_SECONDS + size / BYTES_PER_SECOND


class Expired(Exception):
    """Raised by ``stage`` when its deadline passed (the socket was shut down)."""

    def __init__(self, what: str, seconds: float):
        super().__init__(f"{what} took longer than {seconds:.0f} s")
        self.what = what
        self.seconds = seconds


class _Armed:
    __slots__ = ("fired", "session")

    def __init__(self, session: _Session):
        self.session: _Session | None = session
        self.fired = False


class _Session(Protocol):
    sock: socket.socket | None  # smtplib.SMTP's: replaced by the TLS socket after STARTTLS


class Watchdog:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, _Armed]] = []
        self._dead = 0  # disarmed entries still in the heap
        self._counter = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def arm(self, session: _Session, seconds: float) -> _Armed:
        armed = _Armed(session)
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + seconds, next(self._counter), armed))
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="deadlines", daemon=True)
                self._thread.start()
            self._cond.notify()
        return armed

    def disarm(self, armed: _Armed) -> None:
        with self._cond:
            armed.session = None
            self._dead += 1
            if self._dead > 1024 and self._dead * 2 > len(self._heap):  # most of the heap is done with
                self._heap = [entry for entry in self._heap if entry[2].session is not None]
                heapq.heapify(self._heap)
                self._dead = 0

    def _watch(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                while self._heap and (self._heap[0][2].session is None or self._heap[0][0] <= now):
                    _, _, armed = heapq.heappop(self._heap)
                    if armed.session is None:
                        self._dead -= 1
                        continue
                    armed.fired = True
                    sock = armed.session.sock
                    if sock is not None:
                        try:
                            sock.shutdown(socket.SHUT_RDWR)
                        except OSError:
                            pass  # already closed
                self._cond.wait(self._heap[0][0] - now if self._heap else None)


_watchdog = Watchdog()


@contextmanager
def stage(session: _Session, what: str, seconds: float) -> Iterator[None]:
    """Runs the block with a deadline on ``session`` (an smtplib.SMTP); raises Expired when the
    watchdog had to cut it."""
    armed = _watchdog.arm(session, seconds)
    try:
        yield
    except Exception as exc:  # OSError, smtplib.SMTPServerDisconnected ... after the shutdown
        if armed.fired:
            raise Expired(what, seconds) from exc
        raise
    finally:
        _watchdog.disarm(armed)
    if armed.fired:  # cut just as the block finished: the session is unusable all the same
        raise Expired(what, seconds)
