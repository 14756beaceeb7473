"""The queue runner: takes due messages from the spool and delivers them in threads.

The spool holds the state; this module keeps only an index of *when* to look
at each message next (a heap of due times), rebuilt from the spool at start.
An attempt routes every due recipient afresh (so a corrected rule also fixes
mail already waiting), groups recipients by destination, runs one SMTP
transaction per destination in a worker thread and writes each recipient's
outcome back to the spool: 2xx sent, 4xx or no connection deferred to the next
retry time, 5xx failed with the server's reply kept.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from app import outbound, passwords, routing
from app.spool import DEFERRED, FAILED, FINAL, SENT, QueuedMessage, Recipient

if TYPE_CHECKING:
    from app.gateway import Gateway

log = logging.getLogger("tenso")

MTA_NOT_YET = "451 4.3.2 normal delivery (MTA) is not available in this version; kept in the queue"


class Scheduler:
    def __init__(self, gateway: Gateway):
        self.gateway = gateway
        workers = gateway.settings.queue.workers
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="deliver")
        self.pool = outbound.Pool()
        self._slots = asyncio.Semaphore(workers)
        self._due: list[tuple[float, str]] = []
        self._in_flight: set[str] = set()
        self._tasks: set[asyncio.Task] = set()
        self._wakeup = asyncio.Event()
        self._runner: asyncio.Task | None = None
        self._stopping = False
        self._forced: set[str] = set()

    # --- control ---

    def start(self, ids: list[str]) -> None:
        """Begins with one attempt for everything in the spool, deferred mail included
        (as sendmail's queue run at start-up): a restart is how admins say "try again"."""
        self._forced.update(ids)
        for qid in ids:
            heapq.heappush(self._due, (0.0, qid))
        self._runner = asyncio.create_task(self._run(), name="tenso-scheduler")

    def wake(self, qid: str, when: float = 0.0) -> None:
        """Look at ``qid`` at ``when`` (now by default)."""
        heapq.heappush(self._due, (when, qid))
        self._wakeup.set()

    async def stop(self, grace: float) -> int:
        """Stops starting attempts; waits up to ``grace`` s for those running.  Returns how many were left."""
        self._stopping = True
        if self._runner:
            self._runner.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=grace)
        left = sum(not t.done() for t in self._tasks)
        self.executor.shutdown(wait=False, cancel_futures=True)
        if not left:
            await asyncio.to_thread(self.pool.close_all)
        return left

    # --- the loop ---

    async def _run(self) -> None:
        while True:
            now = time.time()
            while self._due and self._due[0][0] <= now:
                _, qid = heapq.heappop(self._due)
                if qid in self._in_flight:
                    continue  # the running attempt reschedules it
                await self._slots.acquire()
                self._in_flight.add(qid)
                task = asyncio.create_task(self._attempt(qid))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            self._wakeup.clear()
            timeout = self._due[0][0] - time.time() if self._due else None
            try:
                await asyncio.wait_for(self._wakeup.wait(), timeout)
            except TimeoutError:
                pass

    async def _attempt(self, qid: str) -> None:
        try:
            loop = asyncio.get_running_loop()
            next_try = await loop.run_in_executor(self.executor, self.attempt, qid)
        except Exception:
            log.exception("%s delivery attempt failed; retrying in 5 minutes", qid)
            next_try = time.time() + 300
        finally:
            self._in_flight.discard(qid)
            self._slots.release()
        if next_try is not None and not self._stopping:
            self.wake(qid, next_try)

    # --- one attempt, in a worker thread ---

    def attempt(self, qid: str) -> float | None:
        """Delivers what is due of ``qid``; returns when to look again (None: nothing left)."""
        spool = self.gateway.spool
        try:
            message = spool.load(qid)
        except FileNotFoundError:
            return None  # deleted meanwhile
        now = time.time()
        due = message.pending(float("inf") if qid in self._forced else now)
        self._forced.discard(qid)
        if not due:
            return message.next_try
        router = self.gateway.router
        groups: dict[outbound.Destination, list[tuple[Recipient, str]]] = defaultdict(list)
        for rcpt in due:
            decision = router.route(rcpt.address, message.sender)
            if decision.kind == routing.FORWARD:
                dest = outbound.Destination(decision.host, decision.port, decision.tls, decision.auth)
                groups[dest].append((rcpt, decision.rcpt))
            else:
                self._record(message, rcpt, MTA_NOT_YET, now)
                log.info("%s to=<%s> waiting: normal delivery (MTA, %s) is not available yet",
                         qid, rcpt.address, decision.kind)
        if groups:
            content = spool.content(qid)
            for dest, items in groups.items():
                self._deliver_group(message, dest, items, content)
        if message.done and not any(r.state == FAILED for r in message.recipients):
            spool.remove(qid)
            log.info("%s removed: delivered to every recipient", qid)
            return None
        spool.save_state(message)
        return message.next_try

    def _deliver_group(
        self, message: QueuedMessage, dest: outbound.Destination, items: list[tuple[Recipient, str]], content: bytes
    ) -> None:
        password = None
        if dest.account:
            try:
                password = passwords.get(dest.account.key)
            except passwords.PasswordStoreError as exc:
                log.error("%s cannot read the password for %s: %s", message.id, dest.account.key, exc)
        by_rcpt: dict[str, list[Recipient]] = defaultdict(list)
        for rcpt, sent_as in items:
            by_rcpt[sent_as].append(rcpt)
        settings = self.gateway.settings
        replies = outbound.deliver(
            self.pool, dest, password, settings.server.hostname, message.sender,
            list(by_rcpt), content, message.envelope.mail_options,
        )
        now = time.time()
        for sent_as, reply in replies.items():
            for rcpt in by_rcpt[sent_as]:
                self._record(message, rcpt, reply, now)
                shown = f"<{rcpt.address}>" + (f" as <{sent_as}>" if sent_as != rcpt.address else "")
                log.info("%s to=%s relay=%s:%d%s state=%s reply=%s", message.id, shown, dest.host, dest.port,
                         f" auth={dest.account.key}" if dest.account else "", rcpt.state, reply)

    def _record(self, message: QueuedMessage, rcpt: Recipient, reply: str, now: float) -> None:
        rcpt.attempts += 1
        rcpt.reply = reply
        rcpt.updated = now
        if reply.startswith("2"):
            rcpt.state = SENT
        elif reply.startswith("5"):
            rcpt.state = FAILED
        else:
            rcpt.state = DEFERRED
            rcpt.next_try = now + self.retry_delay(rcpt.attempts)
        assert rcpt.state in FINAL or rcpt.next_try > 0

    def retry_delay(self, attempts: int) -> float:
        schedule = self.gateway.settings.queue.retry_minutes
        return 60.0 * schedule[min(attempts, len(schedule)) - 1]
