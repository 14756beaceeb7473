"""The gateway's recent log lines, and each new one, for ``log.follow`` on the control channel.

A logging handler keeps the last ``KEEP`` lines and hands every new line to the followers' queues.
It never blocks the code that logs (the event loop among it): a follower that reads too slowly
loses lines, and is told how many.
"""

from __future__ import annotations

import collections
import logging
import queue
import threading

from app.system import logs
from app.system.logs import LOG_FORMAT

KEEP = 1000
FOLLOWER_BACKLOG = 10000


class Follower:
    """One client's view of the feed (a server.Subscription)."""

    def __init__(self, feed: LogFeed, last: list[str]):
        self._feed = feed
        self._queue: queue.Queue[str | None] = queue.Queue(FOLLOWER_BACKLOG)
        self._last = collections.deque(last)
        self.dropped = 0
        self._closed = False

    def put(self, line: str) -> None:
        try:
            self._queue.put_nowait(line)
        except queue.Full:
            self.dropped += 1

    def get(self) -> str | None:
        if self._last:
            return self._last.popleft()
        line = self._queue.get()
        if line is None or self._closed:
            return None
        if self.dropped:
            dropped, self.dropped = self.dropped, 0
            self._last.append(line)
            return f"({dropped} log line(s) left out: this client read too slowly)"
        return line

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._feed.unfollow(self)
            try:
                self._queue.put_nowait(None)
            except queue.Full:  # get() sees _closed at its next line
                pass


class LogFeed(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logs.Formatter(LOG_FORMAT))
        self._recent: collections.deque[str] = collections.deque(maxlen=KEEP)
        self._followers: list[Follower] = []
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        with self._guard:
            self._recent.append(line)
            followers = list(self._followers)
        for follower in followers:
            follower.put(line)

    def follow(self, last: int) -> Follower:
        with self._guard:
            recent = list(self._recent)[-last:] if last > 0 else []
            follower = Follower(self, recent)
            self._followers.append(follower)
        return follower

    def unfollow(self, follower: Follower) -> None:
        with self._guard:
            if follower in self._followers:
                self._followers.remove(follower)

    def install(self) -> None:
        logs.add_handler(self)

    def remove(self) -> None:
        logs.remove_handler(self)
        with self._guard:
            followers = list(self._followers)
        for follower in followers:
            follower.close()
