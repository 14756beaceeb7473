"""Delivery attempts in a second process, so receiving and sending each get a core.

CPython runs one thread of Python at a time.  With smtplib sessions in threads
beside the SMTP server, every message's delivery competed with the next
message's reception for that one lock, and the event loop (and the window on
it) waited its turn.  The spool is already the interface between the two
halves: the server commits ``msg/<id>``, and an attempt reads the message,
writes its state back and removes it when done.  So the scheduler stays here,
deciding *when*; the child process runs ``Deliverer.attempt``, deciding *how*.

The two talk over the child's stdin and stdout, one JSON object per line:

    parent -> child   {"config": {...settings...}, "source": path, "spool": path, "bound": [[ip, port], ...], ...}
                      {"n": 7, "qid": "...", "forced": false, "bounce": false}
                      {"stop": true}
    child -> parent   {"n": 7, "next_try": 1790000000.0, "created": ["..."], "waiting_for": ["host:25"],
                       "outcomes": [["relayed", "smtp.example.jp:587", "250 ok"], ...],
                       "limited": {"account m365": [30, 3, 10000, 1]}}
                      {"log": [20, "the line", "bounce"]}
                      {"history": [{"kind": "attempt", ...}, ...]}   (before the attempt's answer)

The child's log lines come back here and go through this process's logging
(stderr, the rotating file, the window's log tab and tray), so there is one log.
If the child dies, the attempts it had are retried a minute later and a new
child is started (at once; after 2, 4 ... 60 s if it keeps dying, ``system.backoff``):
the messages never left the spool.  A clean stop sends
``{"stop": true}``: the child finishes the attempts it has and exits.  If this
process is killed instead, the child sees its input end without that line and
exits at once, as if killed with it (the next start retries what was running).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from app.deliver.attempt import Result
from app.history import records
from app.settings import to_dict
from app.store import spool
from app.store.activity import Delivered, Outcome
from app.system import workers
from app.system.backoff import restart_pause

if TYPE_CHECKING:
    from app.deliver.context import DeliveryContext

log = logging.getLogger("tenso")

COMMAND = "delivery-worker"
RETRY_AFTER_CRASH_SECONDS = 60.0


class DeliveryWorker:
    """The parent side: ``await attempt(...)`` runs one attempt in the child process."""

    def __init__(self, context: DeliveryContext, threads: int):
        self.context = context
        self.threads = threads  # queue.workers: the child's delivery threads
        self._worker: workers.Worker | None = None
        self._pending: dict[int, asyncio.Future] = {}
        self._next = 0
        self._sent_config: tuple | None = None
        self._stopping = False
        self._restarts = 0  # quick ends in a row (system.backoff)
        self._restart_pause = 0.0  # decided when the child ended
        self._restarting: asyncio.Task | None = None  # one restart, awaited by every attempt waiting
        self._loop: asyncio.AbstractEventLoop | None = None
        self._alive = False
        self._outbox: list[bytes] = []  # lines for the child, written once per loop turn

    @property
    def _proc(self):
        """The child's Popen (None before the first start)."""
        return self._worker.proc if self._worker else None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._spawn()

    def _spawn(self) -> None:
        assert self._loop is not None
        self._worker = workers.Worker(
            COMMAND, "delivery process", self._loop, self._answer, self._lost, "delivery-process-reader"
        )
        self._alive = True
        self._sent_config = None

    # --- requests ---

    async def attempt(self, qid: str, forced: bool, bounce: bool) -> Result:
        if not self._alive:
            if self._stopping:
                return Result(time.time() + RETRY_AFTER_CRASH_SECONDS)
            await self._restart()
        assert self._loop is not None
        self._next += 1
        n = self._next
        future = self._loop.create_future()
        self._pending[n] = future
        self._send_config()
        self._send({"n": n, "qid": qid, "forced": forced, "bounce": bounce})
        # If the child dies first, its reader thread answers this with "later" (see _lost).
        return await future

    def _send_config(self) -> None:
        """The settings and listening addresses, whenever they differ from what the child has."""
        context = self.context
        bound = [list(b) for b in context.bound]
        key = (context.settings, bound)  # the object itself, held: an id() could be reused by a newer one
        if self._sent_config is not None and key[0] is self._sent_config[0] and bound == self._sent_config[1]:
            return
        source = str(context.settings.source) if context.settings.source else None
        # The spool the gateway opened: a queue.dir changed while running takes effect at the next start.
        self._send(
            {
                "config": to_dict(context.settings),
                "source": source,
                "bound": bound,
                "spool": str(context.spool.root),
                "workers": self.threads,
                "level": log.getEffectiveLevel(),
                "node": spool.node(1),
            }
        )
        self._sent_config = key

    def _send(self, obj: dict) -> None:
        assert self._loop is not None
        if not self._outbox:
            self._loop.call_soon(self._flush)
        self._outbox.append(workers.encode(obj))

    def _flush(self) -> None:
        """Everything asked of the child in this loop turn, in one write."""
        data = b"".join(self._outbox)
        self._outbox.clear()
        if not data or self._worker is None:
            return
        try:
            self._worker.write(data)
        except (OSError, ValueError) as exc:  # the child is gone: the reader thread answers what was pending
            log.error("the delivery process did not take %d request(s): %s", data.count(b"\n"), exc)

    async def _restart(self) -> None:
        """Every attempt that finds the child gone waits for the same one restart."""
        if self._restarting is None:
            assert self._loop is not None
            self._restarting = self._loop.create_task(self._respawn())
        await asyncio.shield(self._restarting)

    async def _respawn(self) -> None:
        worker = self._worker
        try:
            log.error(
                "the delivery process ended (exit status %s); starting it again",
                worker.proc.returncode if worker else None,
            )
            # At once the first time; if it keeps ending soon after its start, 2, 4 ... 60 s.
            await asyncio.sleep(self._restart_pause if self._restarts > 1 else 0)
            if not self._alive and not self._stopping:
                self._spawn()
        finally:
            self._restarting = None

    # --- answers (on the loop, from the reader thread) ---

    def _answer(self, messages: list[dict]) -> None:
        for msg in messages:
            if "history" in msg and self.context.history is not None:
                self.context.history.add([records.from_json(r) for r in msg["history"]])
            if "n" not in msg:
                continue
            future = self._pending.pop(msg["n"], None)
            if future is not None and not future.done():
                outcomes = [Delivered(Outcome(o), via, reply) for o, via, reply in msg.get("outcomes", [])]
                future.set_result(
                    Result(
                        msg["next_try"], msg["created"], outcomes, msg.get("waiting_for", []), msg.get("limited", {})
                    )
                )

    def _lost(self, worker: workers.Worker) -> None:
        """The child is gone: what it had is retried later (its messages are still in the spool)."""
        if worker is not self._worker:
            return
        self._alive = False
        # How long it ran is measured now, at its end: time spent dead is not time it ran.
        self._restarts, self._restart_pause = restart_pause(self._restarts, time.monotonic() - worker.started)
        later = Result(time.time() + RETRY_AFTER_CRASH_SECONDS)
        if self._pending and not self._stopping:
            log.error(
                "the delivery process ended (exit status %s) with %d attempt(s) running; they are retried in a minute",
                worker.proc.returncode,
                len(self._pending),
            )
        for future in self._pending.values():
            if not future.done():
                future.set_result(later)
        self._pending.clear()

    # --- stopping ---

    async def stop(self, grace: float) -> int:
        """Closes the child's input: it finishes what it has, closes its sessions and exits.
        Returns how many attempts were still running after ``grace`` seconds (then it is killed)."""
        self._stopping = True
        worker = self._worker
        if worker is None:
            return 0
        self._send({"stop": True})
        self._flush()
        worker.close_input()
        try:
            await asyncio.wait_for(asyncio.to_thread(worker.proc.wait), grace)
        except TimeoutError:
            left = len(self._pending)
            worker.proc.kill()
            await asyncio.to_thread(worker.proc.wait)
            return left
        return 0
