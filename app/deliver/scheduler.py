"""The queue runner: decides *when* each message is attempted; ``delivery`` does the attempt.

The spool holds the state; this module keeps only an index of when to look at
each message next (a heap of due times), rebuilt from the spool at start.
Attempts run in the delivery worker process (``deliver.worker``), or in a thread pool here
(see ``delivers_in_process``); never on the event loop.  Queue control (retry
now, delete, bounce now, pause) comes from the window through the methods
below or the control channel (app/control), or as request files in the spool's control
folder from a Tenso without the channel (an older command line), looked at every
CONTROL_POLL_SECONDS.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import os
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from app.deliver import backup, limits, throttle
from app.deliver.attempt import Deliverer, Result
from app.deliver.limits import Limiter
from app.deliver.worker import DeliveryWorker
from app.settings import AccountLimits
from app.store.spool import EVERY, WAITING, Request
from app.system.backoff import restart_pause

if TYPE_CHECKING:
    from app.deliver.context import DeliveryContext
    from app.store.activity import Delivered

log = logging.getLogger("tenso")

STARTUP = -1.0  # due-time of the start-up run: before anything else, and tried even if deferred
# The control folder's time (and the pause flag) is looked at this often; listed only when it moved.
# Only request files from a Tenso without the control channel come that way, so not every second.
CONTROL_POLL_SECONDS = 5.0
CONTROL_UNSURE_SECONDS = 3.0  # a listing this soon after the folder's last change is repeated (FAT: 2 s clock)
FRESH_LIMIT = 256  # messages handed over in memory at most; beyond that they are read back
FRESH_BYTES = 2 << 20  # and at most this many bytes of them: 100 KB mail is read back sooner
PRUNE_EVERY_SECONDS = 3600.0


def reserved_slots(workers: int) -> int:
    """The last slots, kept for destinations with no attempt running: a destination that is slow
    (or has a thousand messages) never holds every slot, and a healthy destination's mail still
    leaves at once.  A quarter of queue.workers (4 of the default 16)."""
    return max(1, workers // 4) if workers > 1 else 0


def delivers_in_process(processes: int) -> bool:
    """Whether attempts run in a delivery process, chosen once at start.

    With one receiving process (the default) delivery gets a process of its own, so sending
    never competes with receiving for one interpreter.  With ``server.processes`` 2 or more the
    receiving workers already carry most of the receiving work, and a third interpreter would
    cost its memory for no measured gain (docs/performance.md); attempts then run
    in threads here.  ``TENSO_DELIVERY_PROCESS=0`` asks for threads in every case."""
    return os.environ.get("TENSO_DELIVERY_PROCESS", "1") != "0" and processes <= 1


class Scheduler:
    def __init__(
        self,
        context: DeliveryContext,
        on_reload: Callable[[], None] | None = None,
        on_outcomes: Callable[[list[Delivered]], None] | None = None,
    ):
        self.context = context
        self.on_reload = on_reload  # ``python -m app reload`` arrived through the control folder
        self.on_outcomes = on_outcomes  # each attempt's outcomes, for the status counts
        self.spool = context.spool
        self.deliverer = Deliverer(context)
        workers = context.settings.queue.workers
        self.process: DeliveryWorker | None = None
        self.executor: ThreadPoolExecutor | None = None
        if delivers_in_process(context.settings.server.processes):
            self.process = DeliveryWorker(context, workers)
        else:
            self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="deliver")
        self._slots = asyncio.Semaphore(workers)
        self._workers = workers
        self._reserved = reserved_slots(workers)
        # Per destination, as the couriers name it ("host:port", "mx:domain", "GRAPH mailbox"): attempts
        # running, and messages waiting for a slot (parked: not due again until an attempt there, or anywhere, ends).
        self._dest_of: dict[str, frozenset[str]] = {}  # what each message waits for, once known
        self._holding: dict[str, frozenset[str]] = {}  # running attempt -> the destinations it counts
        self._busy: Counter[str] = Counter()
        self._parked: dict[str, deque[str]] = {}
        # Per account with limits (limits.py): what each message asks of them (account -> its
        # recipients there), what running attempts hold, and a wake-up per account held by time.
        self._limiter = Limiter()
        self._wants: dict[str, dict[str, int]] = {}
        self._limited: dict[str, dict[str, int]] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._may_limit = limits.possible(context.settings)  # mail found at start is then routed first
        self._due: list[tuple[float, str]] = []
        self._in_flight: set[str] = set()
        self._forced: set[str] = set()
        self._bounce: set[str] = set()
        self._again: set[str] = set()  # asked for (retry / bounce now) while an attempt was running
        self._fresh: dict[str, tuple] = {}  # just accepted: envelope and bytes, until the first attempt
        self._fresh_bytes = 0
        self._tasks: set[asyncio.Task] = set()
        self._wakeup = asyncio.Event()
        self._runner: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner_started = 0.0
        self._runner_failures = 0
        self._stopping = False
        self._last_prune = 0.0
        self._control_seen: int | None = None  # the control folder's mtime (ns) at the last listing
        self._control_listed = 0  # when that listing was (time.time_ns)

    # --- control ---

    def start(self, ids: list[str]) -> None:
        """Begins with one attempt for everything in the spool, deferred mail included
        (as sendmail's queue run at start-up): a restart is how admins say "try again"."""
        # Marked "forced" only when taken from the heap: no second set of 100,000 ids in memory.
        self._due.extend((STARTUP, qid) for qid in ids)
        heapq.heapify(self._due)
        if self.process:
            self.process.start()
        self._loop = asyncio.get_running_loop()
        self._start_runner()

    def _start_runner(self) -> None:
        if self._stopping:
            return
        self._runner_started = time.monotonic()
        assert self._loop is not None  # start() sets it first
        self._runner = self._loop.create_task(self._run(), name="tenso-scheduler")
        self._runner.add_done_callback(self._runner_ended)

    def _runner_ended(self, runner: asyncio.Task) -> None:
        """A queue runner that fails does not leave the queue unattended: it starts again,
        after 1 s, then twice as long each time it fails again soon (at most a minute)."""
        if self._stopping or runner.cancelled() or runner.exception() is None:
            return
        self._runner_failures, pause = restart_pause(self._runner_failures, time.monotonic() - self._runner_started)
        # The traceback once per run of failures; the log stays readable if it keeps failing.
        log.error(
            "the queue runner failed (%s); it starts again in %g s",
            runner.exception(),
            pause,
            exc_info=runner.exception() if self._runner_failures == 1 else None,
        )
        assert self._loop is not None  # the runner was started on it
        self._loop.call_later(pause, self._start_runner)

    def wake(self, qid: str, when: float = 0.0) -> None:
        """Look at ``qid`` at ``when`` (now by default)."""
        heapq.heappush(self._due, (when, qid))
        self._wakeup.set()

    def accepted(self, qid: str, envelope, parts: tuple[bytes, ...]) -> None:
        """A new message is on disk: attempt it now, from memory (bounded: not while paused)."""
        self._dest_of[qid], self._wants[qid] = self._route(envelope.recipients, envelope.sender, envelope.rule)
        if self.executor and len(self._fresh) < FRESH_LIMIT and not self.paused:
            size = sum(map(len, parts))
            if self._fresh_bytes + size <= FRESH_BYTES:
                self._fresh[qid] = (envelope, parts)
                self._fresh_bytes += size
        self.wake(qid)

    def retry(self, qid: str | None = None) -> None:
        """Retry now: one message, or every message when ``qid`` is None."""
        ids = [qid] if qid else self.spool.ids()
        self._forced.update(ids)
        for one in ids:
            self.wake(one)
        log.info("retry now requested for %s", qid or f"all {len(ids)} queued message(s)")

    def bounce(self, qid: str) -> None:
        """Give up on every recipient still waiting and tell the sender."""
        self._bounce.add(qid)
        self.wake(qid)
        log.info("%s bounce requested by the administrator", qid)

    def delete(self, qid: str) -> None:
        self.spool.remove(qid)
        log.info("%s deleted by the administrator (no bounce)", qid)

    @property
    def paused(self) -> bool:
        return self.spool.paused

    def pause(self, paused: bool = True) -> None:
        self.spool.set_paused(paused)
        self._wakeup.set()
        log.info("delivery %s", "paused: mail is still accepted and kept in the queue" if paused else "resumed")

    async def stop(self, grace: float) -> int:
        """Stops starting attempts and waits up to ``grace`` s for those running.  Returns how many
        were left: the delivery process is then killed and they are tried again at the next start.
        Attempts in threads cannot be killed: those are waited for until they end (0 left)."""
        self._stopping = True
        self._wakeup.set()
        for timer in self._timers.values():
            timer.cancel()
        runner = self._runner
        if runner and not runner.done():  # one that failed was logged when it did
            # The loop ends on _stopping; cancel() alone is not enough on Python 3.11,
            # whose wait_for() can swallow a cancellation that meets a wake-up.
            try:
                await asyncio.wait_for(asyncio.shield(runner), 5)
            except TimeoutError:
                runner.cancel()
            except Exception:
                log.exception("the queue runner failed while stopping")
        if self.process:
            # The child finishes what it has (answers come back), then exits.
            left = await self.process.stop(grace)
            if self._tasks:
                await asyncio.wait(self._tasks, timeout=1.0)
            return left
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=grace)
        left = sum(not t.done() for t in self._tasks)
        if left:
            # A thread cannot be stopped as the delivery process is: the queue stays locked
            # until its attempt ends, or a new start could send the same message again.
            log.warning("waiting for %d delivery attempt(s) to end before the queue is released", left)
            await asyncio.wait(self._tasks)
        assert self.executor is not None  # threads, as there is no delivery process
        self.executor.shutdown(wait=False, cancel_futures=True)
        await asyncio.to_thread(self.deliverer.close)
        return 0

    # --- the loop ---

    async def _run(self) -> None:
        assert self._loop is not None  # start() sets it before the runner
        was_paused = None
        next_poll = 0.0
        while not self._stopping:
            # Cleared before this turn's work, not after it: a wake-up (new mail, stop) that comes
            # while the turn awaits (the control poll, a slot) makes the wait below return at once.
            self._wakeup.clear()
            now = time.time()
            if now >= next_poll:
                next_poll = now + CONTROL_POLL_SECONDS
                if self._control_moved():
                    await self._poll_control()
                await self._prune_backups()
            paused = self.paused
            if paused != was_paused and was_paused is not None:
                log.info("delivery %s", "paused" if paused else "resumed")
            was_paused = paused
            while not paused and not self._stopping and self._due and self._due[0][0] <= now:
                when, qid = heapq.heappop(self._due)
                if when == STARTUP:
                    self._forced.add(qid)
                if qid not in self._dest_of and self._may_limit and qid not in self._in_flight:
                    await self._learn(qid)  # found at start, or queued by an attempt (a bounce)
                if qid in self._in_flight:
                    if qid in self._forced or qid in self._bounce:
                        self._again.add(qid)  # an explicit request: run again right after
                    continue  # otherwise the running attempt reschedules it
                destinations = self._destinations(qid)
                full = self._full(destinations)
                if full is not None:
                    self._parked.setdefault(full, deque()).append(qid)
                    continue
                wants = None if qid in self._bounce else self._wants.get(qid)  # a bounce sends nothing
                if wants and self._held(qid, wants):
                    continue
                await self._slots.acquire()
                self._in_flight.add(qid)
                self._holding[qid] = destinations
                self._busy.update(destinations)
                if wants:
                    self._began(qid, wants)
                try:
                    task = self._loop.create_task(self._attempt(qid))
                except BaseException:
                    self._in_flight.discard(qid)
                    self._release(qid)
                    self._slots.release()
                    heapq.heappush(self._due, (when, qid))
                    raise
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            timeout = next_poll - time.time()
            if self._due and not paused:
                timeout = min(timeout, self._due[0][0] - time.time())
            # A timer that sets the event, not wait_for: no task and no timeout scope made every
            # second of an idle day (under the window's loop each of those is a turn of Qt's loop).
            timer = self._loop.call_later(max(timeout, 0.0), self._wakeup.set)
            try:
                await self._wakeup.wait()
            finally:
                timer.cancel()

    def _control_moved(self) -> bool:
        """Whether the control folder may hold a request not yet taken: its modification time
        moved since the last listing, or that listing came so soon after the folder's last change
        that a file made in the same clock tick would not have moved it.  One stat on the loop
        (like the paused flag's), where a listing took a thread hop and a directory read every
        second of an idle day."""
        try:
            mtime = os.stat(self.spool.control).st_mtime_ns
        except OSError:
            return True  # _poll_control says what is wrong
        if mtime == self._control_seen and self._control_listed - mtime > CONTROL_UNSURE_SECONDS * 1e9:
            return False
        self._control_seen = mtime
        self._control_listed = time.time_ns()
        return True

    async def _poll_control(self) -> None:
        try:
            requests = await asyncio.to_thread(self.spool.take_requests)
        except OSError as exc:
            log.error("queue control folder unreadable: %s", exc)
            return
        for action, qid in requests:
            target = None if qid == EVERY else qid
            try:
                if action == Request.RETRY:
                    self.retry(target)
                elif action == Request.BOUNCE and target:
                    self.bounce(target)
                elif action == Request.DELETE and target:
                    await asyncio.to_thread(self.delete, target)
                elif action == Request.RELOAD:
                    if self.on_reload is not None:
                        self.on_reload()
                    else:
                        log.warning("reload requested: this gateway takes new settings from its window (Apply)")
            except OSError as exc:  # the others in the batch are still carried out
                log.error("queue request %s %s failed: %s", action, qid, exc)

    async def _prune_backups(self) -> None:
        if time.time() - self._last_prune > PRUNE_EVERY_SECONDS:
            self._last_prune = time.time()
            removed = await asyncio.to_thread(backup.prune, self.context.settings)
            if removed:
                log.info(
                    "backup: removed %d day folder(s) older than %d days",
                    removed,
                    self.context.settings.backup.keep_days,
                )

    # --- slots per destination ---

    def _route(self, recipients: list[str], sender: str, rule: int = 0) -> tuple[frozenset[str], dict[str, int]]:
        """The destinations of a new message's recipients, as their couriers name them, and the
        limited accounts they go by (routing is microseconds; the attempt routes again, and what
        it finds waiting replaces this)."""
        found = set()
        wants: Counter[str] = Counter()
        router = self.context.router
        for rcpt in recipients:
            try:
                decision = router.route(rcpt, sender, rule)
                slot = self.deliverer.slot(decision)
            except ValueError:
                continue
            if slot is not None:
                found.add(slot)
            limited = self.deliverer.limits(decision)
            if limited is not None:
                self._limiter.set(*limited)
                wants[limited[0]] += 1
        return frozenset(found), dict(wants)

    async def _learn(self, qid: str) -> None:
        """Where a message found in the queue at start, or queued by an attempt (a bounce, a
        forward.txt copy), goes, so that its first attempt keeps its account's limits too (read in
        a thread; only when some account may have limits)."""
        try:
            message = await asyncio.to_thread(self.spool.load, qid)
        except Exception:  # gone, or unreadable: the attempt says which
            return
        waiting = [r.address for r in message.recipients if r.state in WAITING]
        self._dest_of[qid], self._wants[qid] = self._route(waiting, message.sender, message.envelope.rule)

    def _held(self, qid: str, wants: dict[str, int]) -> bool:
        """Parks ``qid`` when an account's limit holds it back: until an attempt of that account
        ends, or until the time its limit allows (one timer per account).  Nothing is logged and
        nothing is counted: waiting for a limit is not a failure."""
        now = time.time()
        held = self._limiter.hold(wants, now)
        if held is None:
            return False
        key, until = held
        self._parked.setdefault(key, deque()).append(qid)
        if until is not None and key not in self._timers:
            assert self._loop is not None
            self._timers[key] = self._loop.call_later(max(until - now, 0.0), self._unpark, key)
        return True

    def _began(self, qid: str, wants: dict[str, int]) -> None:
        """An attempt of limited accounts starts: counted, and the next message an account holds
        back gets a look when the account's rate allows it."""
        self._limited[qid] = wants
        now = time.time()
        self._limiter.begin(wants, now)
        for key in wants:
            due = self._limiter.next_start(key)
            if due is not None and self._parked.get(key) and key not in self._timers:
                assert self._loop is not None
                self._timers[key] = self._loop.call_later(max(due - now, 0.0), self._unpark, key)

    def _unpark(self, key: str) -> None:
        """An account's limit allows the next message: the first it holds gets another look."""
        self._timers.pop(key, None)
        waiting = self._parked.get(key)
        if waiting:
            self.wake(waiting.popleft())
        if not waiting:
            self._parked.pop(key, None)

    def day_limited(self) -> list[tuple[str, float]]:
        """The accounts whose daily limit holds mail back, and until when (Status)."""
        return self._limiter.day_limited(time.time())

    def _destinations(self, qid: str) -> frozenset[str]:
        return self._dest_of.get(qid, frozenset())  # unknown (recovered at start): counted nowhere

    def _full(self, destinations: frozenset[str]) -> str | None:
        """A destination of these that may not take another slot now, or None."""
        free = self._workers - len(self._in_flight)
        for d in destinations:
            if self._busy[d] and free <= self._reserved:
                return d
        return None

    def _release(self, qid: str) -> None:
        """An attempt ended: its destinations' counts go down, and parked messages get another look
        (one per destination: they are parked again at once if their destination is still full)."""
        self._limiter.end(self._limited.pop(qid, {}))
        for d in self._holding.pop(qid, frozenset()):
            self._busy[d] -= 1
            if self._busy[d] <= 0:
                del self._busy[d]
        for d in list(self._parked):
            waiting = self._parked[d]
            if waiting:
                self.wake(waiting.popleft())
            if not waiting:
                del self._parked[d]

    async def _attempt(self, qid: str) -> None:
        forced = qid in self._forced
        bounce = qid in self._bounce
        fresh = self._fresh.pop(qid, None)
        if fresh is not None:
            self._fresh_bytes -= sum(map(len, fresh[1]))
        self._forced.discard(qid)
        self._bounce.discard(qid)
        if self._stopping:  # started in the same loop turn as stop(): leave it to the next start
            self._in_flight.discard(qid)
            self._release(qid)
            self._slots.release()
            return
        try:
            if self.process:
                result: Result = await self.process.attempt(qid, forced, bounce)
            else:
                loop = asyncio.get_running_loop()
                result = await loop.run_in_executor(self.executor, self.deliverer.attempt, qid, forced, bounce, fresh)
        except Exception:
            log.exception("%s delivery attempt failed; retrying in 5 minutes", qid)
            result = Result(time.time() + 300)
        finally:
            self._in_flight.discard(qid)
            self._release(qid)
            self._slots.release()
        self._throttled(qid, result)
        if result.next_try is None:
            self._dest_of.pop(qid, None)
            self._wants.pop(qid, None)
        else:
            self._dest_of[qid] = frozenset(result.waiting_for)
            # An attempt that made none (the delivery worker ended, nothing was due) leaves them as they were.
            self._wants[qid] = self._waiting_accounts(result) if result.outcomes else self._wants.get(qid, {})
        if self.on_outcomes and result.outcomes:
            self.on_outcomes(result.outcomes)
        if self._stopping:
            return
        for created in result.created:
            self.wake(created)
        if qid in self._again:
            self._again.discard(qid)
            self.wake(qid)
        elif result.next_try is not None:
            self.wake(qid, result.next_try)

    def _waiting_accounts(self, result: Result) -> dict[str, int]:
        """The limited accounts the recipients still waiting go by (from the attempt, which may
        have run in the delivery worker: the limits come with it)."""
        wants = {}
        for key, (per_minute, sessions, per_day, recipients) in result.limited.items():
            self._limiter.set(key, AccountLimits(per_minute, sessions, per_day))
            wants[key] = recipients
        return wants

    def _throttled(self, qid: str, result: Result) -> None:
        """A destination that said "too many sessions" gets fewer for a while."""
        if any(throttle.kind_of(o.reply) == throttle.Kind.SESSIONS for o in result.outcomes):
            now = time.time()
            for key in result.limited or self._wants.get(qid, {}):
                self._limiter.lower(key, now)
