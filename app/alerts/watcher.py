"""The watcher: once a minute (one timer, no polling) it finds what is wrong, decides what to
tell (decide.py) and tells it through every channel set up; and sends the daily summary when due.

It runs on the gateway's loop; everything that blocks (the queue, the keyring, the disk, the
webhook, the Event Log, its own files) runs in a thread.  Alert mails are submitted into the
gateway's own queue, so they are as durable as any mail, and leave by ``alerts.email_rule``:
never by the destination an alert is about (then the log says so and the mail is skipped; the
other channels still go).  The clock is a parameter: tests drive the time, they do not sleep.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from app.alerts import channels, conditions, state, summary
from app.alerts.decide import decide
from app.alerts.events import Condition, Event, Notice, Phase
from app.history import query as history_query
from app.problems import Problem
from app.route.router import Decision, Router
from app.route.targets import GraphTarget, LocalTarget, MxTarget, ServerTarget
from app.settings import Settings
from app.store.activity import LOCAL_DESTINATION, MX_DESTINATION, Activity
from app.store.spool import WAITING, OwnClient, Spool

log = logging.getLogger("tenso")

CHECK_SECONDS = 60.0  # one wake-up a minute: the gateway stays idle
SHOWN = Problem("", "shown")  # the tray's answer


class AlertContext(Protocol):
    """What the watcher needs of the gateway (the gateway is it)."""

    settings: Settings
    router: Router
    spool: Spool
    activity: Activity

    def submit(
        self, sender: str, recipients: list[str], content: bytes, client: str = ..., rule: int = ...
    ) -> Awaitable[str]: ...


@dataclass(frozen=True)
class Answer:
    """What one channel answered to a test alert (the window shows it)."""

    channel: str  # "log", "tray", "event_log", "webhook", "email"
    ok: bool
    text: Problem  # its English; the window shows it in its own language (Problem.worded)


def way_of(decision: Decision) -> str | None:
    """The destination a decision leaves by, as the status counts (and so the alerts) name it."""
    target = decision.target
    if isinstance(target, ServerTarget):
        return f"{target.host}:{target.port}"
    if isinstance(target, GraphTarget) and decision.auth is not None:
        from app.deliver.couriers.graph_http import destination_name

        return destination_name(decision.auth.username)
    if isinstance(target, MxTarget):
        return MX_DESTINATION
    if isinstance(target, LocalTarget):
        return LOCAL_DESTINATION
    return None


class BounceDiary(logging.Handler):
    """Keeps the log's bounce lines (``event`` "bounce": every process's reach this log) for the
    daily summary; a line, not the message."""

    def __init__(self, watcher: Watcher):
        super().__init__(logging.INFO)
        self.watcher = watcher

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "event", "") == "bounce":
            self.watcher.bounced(record.created, record.getMessage())


class Watcher:
    def __init__(self, context: AlertContext, clock: Callable[[], float] = time.time):
        self.context = context
        self.clock = clock
        root = context.spool.root
        self.path = root / state.FILE_NAME
        self.marker_path = root / state.MARKER_NAME
        self.saved = state.Saved()
        self.on_notice: Callable[[Notice], None] | None = None  # the window's tray (on the loop)
        self._task: asyncio.Task | None = None
        self._turn = asyncio.Lock()
        self._diary = BounceDiary(self)
        self._webhook_failed = False  # said once in the log until it works again
        self._started = 0.0
        self._dirty = False

    # --- start and stop ---

    async def start(self) -> None:
        """Reads what was told before; a marker left by a gateway that did not stop is told now."""
        before = await asyncio.to_thread(state.read_marker, self.marker_path)
        self.saved = await asyncio.to_thread(state.load, self.path)
        now = self._started = self.clock()
        await asyncio.to_thread(state.write_marker, self.marker_path, state.Marker(os.getpid(), now, now))
        logging.getLogger("tenso").addHandler(self._diary)
        first = [conditions.engine_stopped(before.started, before.alive, now)] if before is not None else []
        if before is not None:
            log.warning("alerts: Tenso ended without a stop last time (last seen running %s)", _when(before.alive))
        self._task = asyncio.get_running_loop().create_task(self._run(first))

    async def stop(self) -> None:
        """A clean stop: the marker goes, so the next start tells no ``engine_stopped``."""
        if self._task is None:
            return
        self._task.cancel()
        self._task = None
        logging.getLogger("tenso").removeHandler(self._diary)
        async with self._turn:  # a round under way finishes first
            await asyncio.to_thread(self._stopped)

    def _stopped(self) -> None:
        self._save()
        state.remove_marker(self.marker_path)

    async def _run(self, first: list[Condition]) -> None:
        extra = first
        while True:
            try:
                await self.check(extra)
            except Exception:  # one bad round must not end the alerts for good
                log.exception("alerts: the check failed; it runs again in a minute")
            extra = []
            await asyncio.sleep(CHECK_SECONDS)

    # --- one round ---

    async def check(self, extra: list[Condition] | tuple[Condition, ...] = ()) -> list[Notice]:
        """Finds what is wrong now, tells what changed, sends the summary when due; the notices."""
        async with self._turn:
            settings = self.context.settings
            now = self.clock()
            found = await asyncio.to_thread(
                conditions.find, settings, self.context.activity.destinations(), self.context.spool, now
            )
            told, notices = decide(self.saved.told, [*extra, *found], now, settings.alerts.repeat_hours)
            if notices or told.keys() != self.saved.told.keys():
                self._dirty = True
            self.saved.told = told
            if notices:
                await self.tell(notices, settings)
            if summary.due(now, settings.alerts.summary_hour, self.saved.summary_day) and settings.alerts.email_to:
                await self.send_summary(settings, now)
            await asyncio.to_thread(self._persist, now)
            return notices

    def _persist(self, now: float) -> None:
        if self._dirty:
            self._save()
        try:
            state.write_marker(self.marker_path, state.Marker(os.getpid(), self._started, now))
        except OSError as exc:
            log.warning("alerts: cannot write %s: %s", self.marker_path, exc)

    def _save(self) -> None:
        try:
            state.save(self.path, self.saved)
            self._dirty = False
        except (OSError, ValueError) as exc:
            log.warning("alerts: cannot write %s: %s (a restart may tell a condition again)", self.path, exc)

    # --- telling ---

    async def tell(self, notices: list[Notice], settings: Settings) -> list[Answer]:
        """Every channel set up: the log, the tray, the Event Log, the webhook, the mail."""
        answers = []
        for notice in notices:
            level = logging.INFO if notice.phase == Phase.ENDED or notice.event == Event.TEST else logging.WARNING
            log.log(level, "%s", notice.text("en"), extra={"event": "alert"})
            answers.append(Answer("log", True, Problem("", "written")))
            if self.on_notice is not None:
                self.on_notice(notice)
                answers.append(Answer("tray", True, SHOWN))
        answers += await asyncio.to_thread(self._outside, notices, settings)
        answers += await self._mail(notices, settings)
        return answers

    def _outside(self, notices: list[Notice], settings: Settings) -> list[Answer]:
        """The Event Log and the webhook (blocking).  A failing webhook is logged once, not per alert."""
        answers = []
        for notice in notices:
            answers += outside(notice, settings)
        for answer in answers:
            if answer.channel != "webhook":
                continue
            if not answer.ok and not self._webhook_failed:
                self._webhook_failed = True
                log.warning("alerts: the webhook did not take the alert: %s (said once until it works)", answer.text)
            elif answer.ok and self._webhook_failed:
                self._webhook_failed = False
                log.info("alerts: the webhook takes alerts again (%s)", answer.text)
        return answers

    async def _mail(self, notices: list[Notice], settings: Settings) -> list[Answer]:
        alerts = settings.alerts
        if not alerts.email_to:
            return []
        decision = self.context.router.route(alerts.email_to, "", alerts.email_rule)
        way = way_of(decision)
        sendable = []
        for notice in notices:
            about = notice.condition.details.get("destination")
            if notice.phase != Phase.ENDED and about is not None and about == way:
                how = f"rule {alerts.email_rule}" if alerts.email_rule else "the normal routing"
                log.warning(
                    "alerts: no alert mail to <%s> about %s: by %s it would go through that same destination; "
                    "set alerts.email_rule to a rule with another way out (the other channels still told it)",
                    alerts.email_to,
                    about,
                    how,
                )
                continue
            sendable.append(notice)
        if not sendable:
            why = Problem("", "not sent: it would go through {way}, the destination the alert is about", way=way)
            return [Answer("email", False, why)]
        content = channels.mail(sendable, alerts.email_to, settings.server.hostname)
        try:
            qid = await self.context.submit("", [alerts.email_to], content, OwnClient.ALERT, alerts.email_rule)
        except OSError as exc:
            log.error("alerts: the alert mail to <%s> cannot be queued: %s", alerts.email_to, exc)
            return [Answer("email", False, Problem("", "cannot be queued: {error}", error=exc))]
        queued = Problem("", "queued as {qid} to <{to}> via {way}", qid=qid, to=alerts.email_to, way=way)
        return [Answer("email", True, queued)]

    async def test(self, settings: Settings) -> list[Answer]:
        """The window's "Send a test alert": one ``test`` event through every channel of ``settings``."""
        return await self.tell([test_notice(self.clock())], settings)

    # --- the daily summary ---

    def bounced(self, when: float, line: str) -> None:
        """A bounce line of the log (any thread): kept for the summary."""
        bounces = self.saved.bounces
        bounces.append(state.Bounce(when, line))
        if len(bounces) > state.BOUNCES_KEPT:
            del bounces[0]
            self.saved.bounces_dropped += 1
        self._dirty = True

    async def send_summary(self, settings: Settings, now: float) -> str:
        start, end = summary.yesterday(now)
        day = summary.day_of(start)
        counts = self.context.activity.between(start, end)
        waiting = await asyncio.to_thread(_waiting, self.context.spool)
        lines = [b.line for b in self.saved.bounces if start <= b.time < end]
        dropped = self.saved.bounces_dropped if any(b.time < end for b in self.saved.bounces) else 0
        found = None
        if settings.history.enabled:  # the history knows each bounce's subject; the log lines are the fallback
            found = await asyncio.to_thread(
                history_query.day, settings.history_path, start, end, summary.BOUNCES_LISTED
            )
        if found is not None:
            counts = summary.with_history(counts, found)
            lines = [summary.bounce_line(b) for b in found.bounces]
            dropped = found.bounced - len(found.bounces)
        subject, text = summary.build(
            day, counts, lines, dropped, waiting, settings.server.hostname, from_history=found is not None
        )
        alerts = settings.alerts
        content = channels.message(alerts.email_to, settings.server.hostname, subject, text)
        self.saved.summary_day = summary.day_of(now)  # before the submit: a failure is not retried every minute
        self.saved.bounces = [b for b in self.saved.bounces if b.time >= end]
        self.saved.bounces_dropped = 0
        self._dirty = True
        try:
            qid = await self.context.submit("", [alerts.email_to], content, OwnClient.ALERT, alerts.email_rule)
        except OSError as exc:
            log.error("alerts: the daily summary to <%s> cannot be queued: %s", alerts.email_to, exc)
            return ""
        log.info("%s daily summary of %s to <%s>", qid, day, alerts.email_to)
        return qid


def outside(notice: Notice, settings: Settings) -> list[Answer]:
    """The Event Log and the webhook for one notice, each channel's answer (blocking).  Also what
    the window's test alert uses while Tenso is stopped."""
    alerts = settings.alerts
    answers = []
    if alerts.event_log and channels.event_log_available():
        try:
            answers.append(Answer("event_log", True, channels.report_event(notice)))
        except channels.ChannelError as exc:
            answers.append(Answer("event_log", False, exc.problem))
    if alerts.webhook_url:
        try:
            answers.append(
                Answer("webhook", True, channels.post_webhook(alerts.webhook_url, notice, settings.delivery.http_proxy))
            )
        except channels.ChannelError as exc:
            answers.append(Answer("webhook", False, exc.problem))
    return answers


def test_notice(now: float) -> Notice:
    return Notice(conditions.test(now), Phase.STARTED, now)


def _waiting(spool: Spool) -> list[summary.Waiting]:
    found = []
    for message in spool.messages():
        if message.envelope.client == OwnClient.ALERT:
            continue
        for r in message.recipients:
            if r.state in WAITING:
                found.append(
                    summary.Waiting(
                        message.id, message.envelope.received_at, message.sender, r.address, r.attempts, r.reply
                    )
                )
    return found


def _when(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(t)) if t else "at an unknown time"
