"""Group commit: the receiving side's messages made durable in batches, by threads of their own.

Each message used to take its own trip through the loop's thread pool (a task, a context copy,
a pool thread woken, a call back to the loop) and its own directory fsync unless another ran
just then.  Here the loop appends the message to a list and, if a committer thread waits, wakes
it; the thread takes everything that has gathered, writes each file (``Spool.store_many``: one
``writev`` and one ``fdatasync`` per message, into the empty file of its slot; one directory
fsync for those of the batch that found no slot and went by ``tmp/``) and hands the
whole batch back to the loop in one call.  While one thread syncs, the next takes the messages
that came meanwhile, so batches run side by side and a lone message never waits for others.

Durability is unchanged: a message's future is resolved only after its data and a durable name
for it are on disk (its slot's, made durable before it was handed out, or ``msg/``'s after the
directory fsync: ``store_many`` returned), and only then does the handler answer 250.  Threads
start on the first message and wait on a condition when there is nothing to do: an idle gateway
has no timer or poll here.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.store.spool import Envelope, Spool

THREADS = 4  # batches in flight at once: their file syncs overlap, the disk merges their flushes

_Item = tuple[str, "Envelope", tuple[bytes, ...], asyncio.Future]


class Committer:
    """``await store(...)`` returns once the message is durable (OSError if it could not be).

    ``then(qid, envelope, parts)``, when given, runs in the commit thread once the message is
    durable, and what it returns is what ``store`` returns (the history's summary of its headers,
    read there rather than on the loop); it must not raise."""

    def __init__(
        self,
        spool: Spool,
        threads: int = THREADS,
        then: Callable[[str, Envelope, tuple[bytes, ...]], Any] | None = None,
    ):
        self.spool = spool
        self.then = then
        self.max_threads = threads
        self._cond = threading.Condition()
        self._pending: list[_Item] = []
        self._threads = 0
        self._waiting = 0  # threads waiting for work

    async def store(self, qid: str, envelope: Envelope, *parts: bytes) -> Any:
        future = asyncio.get_running_loop().create_future()
        with self._cond:
            self._pending.append((qid, envelope, parts, future))
            if self._waiting:
                self._cond.notify()
            elif self._threads < self.max_threads:
                self._threads += 1
                threading.Thread(target=self._work, name=f"commit-{self._threads}", daemon=True).start()
            # else every thread is busy: the first to finish takes this one with the others
        return await future

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._pending:
                    self._waiting += 1
                    self._cond.wait()
                    self._waiting -= 1
                batch, self._pending = self._pending, []
            try:
                results: list[BaseException | None] = list(
                    self.spool.store_many([(qid, envelope, parts) for qid, envelope, parts, _ in batch])
                )
            except BaseException as exc:  # not an OSError of one message: each is told, none is lost
                results = [exc] * len(batch)
            by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future, BaseException | None, Any]]] = {}
            for (qid, envelope, parts, future), result in zip(batch, results, strict=True):
                value = self.then(qid, envelope, parts) if result is None and self.then is not None else None
                by_loop.setdefault(future.get_loop(), []).append((future, result, value))
            for loop, done in by_loop.items():
                try:
                    loop.call_soon_threadsafe(_settle, done)
                except RuntimeError:  # that loop is closed: nobody waits for the answers any more
                    pass


def _settle(done: list[tuple[asyncio.Future, BaseException | None, Any]]) -> None:
    """On the loop: each message's answer (a future cancelled meanwhile, by a stop, is left)."""
    for future, result, value in done:
        if future.done():
            continue
        if result is None:
            future.set_result(value)
        else:
            future.set_exception(result)
