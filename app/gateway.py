"""The gateway: settings, router, spool, queue runner and listening servers, assembled.

One object the headless runner and the window both drive: ``await start()``
on a running loop, ``await stop()`` to close the ports and let deliveries in
flight finish (or leave them to the spool), ``apply()`` for new settings.
"""

from __future__ import annotations

import asyncio
import errno
import gc
import logging
import time
from collections.abc import Callable
from enum import StrEnum

from app.alerts.watcher import Watcher
from app.control import address as control_address
from app.control import ops as control_ops
from app.control.logfeed import LogFeed
from app.control.runtime import Runtime
from app.control.server import ControlServer
from app.deliver.attempt import Deliverer, Result
from app.deliver.scheduler import Scheduler
from app.history.records import Received, Record, Refusal
from app.history.writer import Recorder
from app.problems import Problem
from app.receive import listeners
from app.receive.door import Door
from app.receive.handler import InboundHandler
from app.receive.workers import ReceivingWorkers
from app.route.policy import RelayPolicy
from app.route.router import Router
from app.settings import Settings
from app.status import State, Status, gather
from app.store.activity import FILE_NAME as ACTIVITY_FILE
from app.store.activity import Activity, Delivered, Outcome
from app.store.spool import Envelope, OwnClient, QueueLock, QueueLocked, Spool, new_id
from app.system.looplag import LoopLag
from app.system.net import parse_listen
from app.system.portowner import port_owner

log = logging.getLogger("tenso")

ACTIVITY_SAVE_SECONDS = 5.0  # the status counts reach the disk at most this often, when they changed
ACTIVITY_CHECK_SECONDS = 60.0  # with nothing received or delivered: bans and day limits looked at this often
TOKEN_CHECK_SECONDS = 60.0  # how often the gateway looks for OAuth 2.0 tokens close to expiry


class FailedPart(StrEnum):
    """What a start (or a rebind) failed on, for a caller that offers a way out of it."""

    QUEUE = "queue"  # another gateway holds the queue's lock
    CERTIFICATE = "certificate"  # server.tls_cert / tls_key cannot be loaded
    LISTEN = "listen"  # an address of server.listen cannot be bound


class GatewayError(Exception):
    """The gateway cannot start; the message says why and what to change (``problem``: the
    same, for the window to word in its language; ``part``: what failed)."""

    def __init__(self, problem: str, part: FailedPart):
        super().__init__(problem)
        self.problem = problem
        self.part = part


def _bind_problem(entry: str, exc: OSError) -> Problem:
    why: object
    if exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)):
        owner = port_owner(parse_listen(entry)[1])
        why = (
            Problem("", "the port is already in use by {owner}", owner=owner)
            if owner
            else Problem("", "the port is already in use (is another mail server running?)")
        )
    elif exc.errno == errno.EACCES:
        why = Problem("", "permission denied (ports below 1024 need administrator rights on this system)")
    elif exc.errno == errno.EADDRNOTAVAIL:
        why = Problem("", "this machine has no such address")
    else:
        why = exc.strerror or str(exc)
    return Problem(
        "", "cannot listen on {entry}: {why}; choose another address:port in server.listen", entry=entry, why=why
    )


_frozen = False


def _freeze_once() -> None:
    """What exists at the first start (modules, classes, the window) lives as long as the
    process: moved out of the cyclic collector's sight, a full collection under load walks
    only the mail's objects, and stalls the loop far less.  Once: a later start would also
    pin whatever garbage happened to be waiting."""
    global _frozen
    if not _frozen:
        gc.collect()
        gc.freeze()
        _frozen = True


class Gateway:
    def __init__(self, settings: Settings, runtime: Runtime | None = None, admin_sid: str | None = None):
        self.settings = settings
        self.runtime = runtime  # given: the gateway serves the control channel while it runs
        self.admin_sid = admin_sid  # Windows: one more user who may open the channel (the service's installer)
        self.started = 0.0  # time.time() of the last start
        self.control: ControlServer | None = None
        self._feed: LogFeed | None = None
        self.router = Router(settings)
        self.policy = RelayPolicy(self.router)
        self.spool = Spool(settings.queue_dir)
        self.scheduler: Scheduler | None = None
        self.servers: list[asyncio.Server] = []
        self._listener_of: list[int] = []  # per listening socket, its index in server.listen
        self.door = Door()  # connection limits and login bans: kept while the ports are rebound
        self.door.on_ban = self._busy  # python -m app status shows a new ban within seconds
        self.handler: InboundHandler | None = None
        self.receivers: ReceivingWorkers | None = None  # server.processes - 1 workers on the same ports
        self._lock: QueueLock | None = None
        self.loop_lag = LoopLag()
        self.on_reload: Callable[[], None] | None = None  # set by the headless runner: SIGHUP, reload
        self.activity = Activity(self.spool.root / ACTIVITY_FILE)  # the status counts
        # The message history: its one writer, fed by this process's events and the workers'.
        self.history = Recorder(settings.history_path, self.spool.msg, settings.history.enabled, settings.history.days)
        self._saver: asyncio.Task | None = None
        self._activity_changed = asyncio.Event()  # set by _busy(): the saver has something to write
        self._refresher: asyncio.Task | None = None
        self.alerts = Watcher(self)  # tells the administrator when mail stops (app/alerts/)

    def apply(self, settings: Settings) -> None:
        """New rules and options; they take effect for the next recipient and the next attempt."""
        router = Router(settings)
        self.policy = RelayPolicy(router)
        self.router = router
        self.settings = settings
        self.history.configure(settings.history.enabled, settings.history.days)
        if self.receivers:
            self.receivers.configure()

    async def reconfigure(self, settings: Settings) -> None:
        """Applies new settings to the running gateway; a changed server section rebinds.

        Mail already accepted is untouched (it is in the spool).  If the new
        addresses cannot be bound, the old settings and ports come back and
        GatewayError says why.  The queue folder and delivery thread count take effect
        at the next start.
        """
        old = self.settings
        self.apply(settings)
        if settings.server == old.server or not self.servers:
            return
        await self._close_servers()
        try:
            await self._listen()
        except GatewayError:
            await self._close_servers()
            self.apply(old)
            await self._listen()
            raise

    async def _close_servers(self) -> None:
        for server in self.servers:
            server.close()
        if self.handler:
            self.handler.close_sessions()
        if self.receivers:
            await self.receivers.stop()
            self.receivers = None
        for server in self.servers:
            await server.wait_closed()
        if self.handler:  # let what is being stored reach the queue runner
            await self.handler.settle(5.0)
        self.servers.clear()
        self._listener_of.clear()

    def _stored(self, qid: str, envelope: Envelope, parts: tuple[bytes, ...], record: Received | None = None) -> None:
        """The handler has made a message durable: deliver it (from memory, when there is room).
        ``record``: the history's, read in the commit thread; without it the history reads it."""
        self.activity.count(Outcome.RECEIVED)
        self._busy()
        if record is not None:
            self.history.add([record])
        else:
            self.history.stored(qid, envelope, parts)
        if self.scheduler is not None:
            self.scheduler.accepted(qid, envelope, parts)

    async def submit(
        self, sender: str, recipients: list[str], content: bytes, client: str = "tenso", rule: int = 0
    ) -> str:
        """Queues a message Tenso makes itself (the window's test message, an alert mail) as if a
        client had sent it: stored durably, then delivered by the rules (``rule``, 1-based: by
        that rule alone).  Returns its queue id; OSError when it cannot be stored."""
        qid = new_id()
        envelope = Envelope(sender=sender, recipients=recipients, client=client, received_at=time.time(), rule=rule)
        await asyncio.to_thread(self.spool.store, qid, envelope, content)
        log.info(
            "%s accepted from=<%s> to=%s size=%d client=%s (%s)",
            qid,
            sender,
            ",".join(f"<{r}>" for r in recipients),
            len(content),
            client,
            "an alert from Tenso" if client == OwnClient.ALERT else "a test message from the window",
        )
        self._stored(qid, envelope, (content,))
        return qid

    def _worker_stored(self, ids: list[str]) -> None:
        """A receiving worker has made these durable: deliver them (read back from the store)."""
        self.activity.count(Outcome.RECEIVED, len(ids))
        self._busy()
        if self.scheduler is not None:
            for qid in ids:
                self.scheduler.wake(qid)

    def _refused(self, refusal: Refusal) -> None:
        """A refusal by this process's handler: in the history, and counted when the relay policy refused."""
        if refusal.counted:
            self.activity.count(Outcome.REFUSED)
            self._busy()
        self.history.add([refusal])

    def _worker_refused(self, n: int) -> None:
        self.activity.count(Outcome.REFUSED, n)
        self._busy()

    def _recorded(self, records: list[Record]) -> None:
        """What a worker process tells the history (its records ride on its lines)."""
        self.history.add(records)

    def _delivered(self, outcomes: list[Delivered]) -> None:
        self.activity.delivered(outcomes)
        self._busy()

    def _busy(self) -> None:
        """Something happened: the loop-lag monitor samples, the status counts get saved."""
        self.loop_lag.busy()
        self._activity_changed.set()

    async def _save_activity(self) -> None:
        """Writes the status counts a few seconds after they change (off the loop).  While nothing
        is received or delivered it sleeps a minute between looks at the bans and day limits (a
        ban made by failed logins alone), rather than waking every few seconds for nothing."""
        while True:
            try:
                await asyncio.wait_for(self._activity_changed.wait(), ACTIVITY_CHECK_SECONDS)
            except TimeoutError:
                pass
            else:
                await asyncio.sleep(ACTIVITY_SAVE_SECONDS)  # what comes meanwhile is saved with it
            self._activity_changed.clear()
            self.activity.set_bans([(b.client, b.until, b.failures) for b in self.door.bans()])
            if self.scheduler is not None:
                self.activity.set_day_limits(self.scheduler.day_limited())
            if self.activity.dirty:
                await asyncio.to_thread(self.activity.save)

    @property
    def state(self) -> State:
        if not self.servers:
            return State.STOPPED
        return State.PAUSED if self.spool.paused else State.RUNNING

    def listening(self) -> list[str]:
        return [f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}" for ip, port in self.bound]

    def status(self) -> Status:
        """Blocking (reads the queue, asks the keyring): call it in a thread."""
        limited = self.scheduler.day_limited() if self.scheduler is not None else []
        bans = self.door.bans()
        return gather(self.settings, self.activity, self.state, self.listening(), self.spool, bans, limited)

    def bounce_offline(self, qid: str) -> Result:
        """``tenso queue bounce`` with no gateway running: returns ``qid`` to its sender now (and
        writes the history of it, with no writer thread running)."""
        result = Deliverer(self).attempt(qid, bounce_now=True)
        self.history.write_pending()
        return result

    @property
    def bound(self) -> list[tuple[str, int]]:
        """The (address, port) pairs actually listening (port 0 in the settings becomes real)."""
        return [sock.getsockname()[:2] for server in self.servers for sock in server.sockets]

    async def start(self) -> None:
        try:
            self._lock = self.spool.lock()
        except QueueLocked as exc:
            raise GatewayError(
                Problem("", "{why}; stop it first, or give this one its own queue.dir", why=exc.args[0]),
                FailedPart.QUEUE,
            ) from exc
        if self.runtime is not None:  # the control channel's log.follow: the lines of this start on
            self._feed = LogFeed()
            self._feed.install()
        ids = await asyncio.to_thread(self.spool.recover)
        log.info("queue %s: %d message(s) waiting", self.spool.root, len(ids))
        kept_before = self.history.path.exists()
        self.history.start()
        self.history.recovered(ids)  # the messages the history may not know: a worker died before telling
        if ids and self.history.enabled and kept_before:
            # Their received rows are read from their files before delivery may remove them: the few
            # a killed worker left untold.  A history new to this queue (the first start of a version
            # with one, or the file removed) does not hold the start up to read every queued file.
            await asyncio.to_thread(self.history.flush)
        await asyncio.to_thread(self.activity.load)
        self.activity.set_bans([])  # an earlier run's bans ended with it
        self._activity_changed = asyncio.Event()  # this loop's
        self._saver = asyncio.get_running_loop().create_task(self._save_activity())
        self.scheduler = Scheduler(self, lambda: self.on_reload() if self.on_reload else None, self._delivered)
        self.scheduler.start(ids)
        self.loop_lag.start()
        self._refresher = asyncio.get_running_loop().create_task(self._refresh_tokens())
        self.started = time.time()
        await self._serve_control()  # before the ports: whoever got an answer there finds the channel
        try:
            await self._listen()
        except GatewayError:
            await self.stop()
            raise
        await self.alerts.start()
        _freeze_once()

    async def _serve_control(self) -> None:
        """The control channel, for the command line and the window: started after the queue's
        lock is held, so one gateway per queue serves it.  Without it the mail still flows."""
        feed = self._feed
        if self.runtime is None or feed is None:
            return
        server = ControlServer(
            control_ops.handlers(self.runtime, self, feed), control_address.for_queue(self.spool.root), self.admin_sid
        )
        try:
            await server.start()
        except OSError as exc:
            log.error(
                "control channel: cannot serve it (%s); python -m app status and reload read the files "
                "instead until Tenso is started again",
                exc,
            )
            return
        self.control = server

    async def _stop_control(self) -> None:
        server, self.control = self.control, None
        if server is not None:
            await server.stop()
        feed, self._feed = self._feed, None
        if feed is not None:
            feed.remove()

    async def _refresh_tokens(self) -> None:
        """OAuth 2.0 access tokens renewed ahead of time, in a thread, so that a delivery seldom
        waits for a refresh (it refreshes itself only a token within 5 minutes of expiry)."""
        while True:
            if any(a.oauth2 is not None for a in self.settings.accounts):
                from app.accounts import service

                await asyncio.to_thread(service.refresh_due, self.settings)
            await asyncio.sleep(TOKEN_CHECK_SECONDS)

    async def _listen(self) -> None:
        server_settings = self.settings.server
        try:
            tls = listeners.contexts(self.settings)
        except (OSError, ValueError) as exc:
            raise GatewayError(
                Problem("server.tls_cert", "cannot load the certificate: {why}", why=str(exc)), FailedPart.CERTIFICATE
            ) from exc
        self.handler = handler = InboundHandler(self, self._stored, self._refused, self.door)
        for index, listener in enumerate(server_settings.listeners):
            try:
                server = await listeners.serve(self.settings, index, handler, tls)
            except OSError as exc:
                await self._close_servers()
                raise GatewayError(_bind_problem(listener.address, exc), FailedPart.LISTEN) from exc
            self.servers.append(server)
            self._listener_of.extend(index for _ in server.sockets)
            for sock in server.sockets:
                log.info("listening on %s port %d%s", *sock.getsockname()[:2], listeners.describe(listener, tls))
        if server_settings.processes > 1:
            self.receivers = ReceivingWorkers(
                self, server_settings.processes - 1, self._worker_stored, self._worker_refused, self._recorded
            )
            sockets = [sock for server in self.servers for sock in server.sockets]
            self.receivers.start(list(zip(self._listener_of, sockets, strict=True)))
            log.info("receiving in %d processes", server_settings.processes)

    async def stop(self, grace: float = 10.0) -> int:
        """Closes the ports, then waits up to ``grace`` s for deliveries in flight.

        Returns how many attempts were still running; their messages stay in the
        spool as they were and are tried again at the next start.
        """
        await self._stop_control()
        await self._close_servers()
        await asyncio.to_thread(self.spool.release_slots)
        await self.alerts.stop()
        self.loop_lag.stop()
        if self._refresher:
            self._refresher.cancel()
            self._refresher = None
        left = await self.scheduler.stop(grace) if self.scheduler else 0
        if self._saver:
            self._saver.cancel()
            self._saver = None
            await asyncio.to_thread(self.activity.save)
        await asyncio.to_thread(self.history.stop)
        if self._lock:
            self._lock.release()
            self._lock = None
        self.loop_lag = LoopLag()
        if left:
            log.warning("stopped with %d delivery attempt(s) unfinished; they are retried at next start", left)
        return left
