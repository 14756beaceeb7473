"""One delivery attempt of one queued message, start to finish, in a delivery thread.

Every due recipient is routed afresh (a corrected rule also fixes mail that is already waiting)
and handed to the courier of its decision's target (app/deliver/couriers: a rule's server,
Microsoft Graph, a local mailbox, the domain's MX hosts), in batches: the recipients that go the
same way (the same courier and slot) travel together, one transaction or request per batch.

Each reply sets its recipient's state (recipients.py: sent, deferred to the next retry time,
failed).  Failed recipients are reported to the sender in one RFC 3464 bounce (reports.py),
itself queued and delivered like any other mail; never to ``<>``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from app.deliver import backup, limits, recipients, reports
from app.deliver.advice_log import AdviceLog
from app.deliver.couriers import Couriers
from app.deliver.couriers.base import Batch, Courier, Reply
from app.history import summary
from app.history.records import Attempt, Record, State
from app.history.upstream import upstream_id
from app.mail.headers import count_hops
from app.store.activity import LOCAL_DESTINATION, Delivered, Outcome
from app.store.spool import SENT, WAITING, Envelope, OwnClient, QueuedMessage, Recipient, new_id

if TYPE_CHECKING:
    from app.deliver.context import DeliveryContext
    from app.route.router import Decision
    from app.settings import AccountLimits, Settings

log = logging.getLogger("tenso")

HISTORY_STATE = {
    Outcome.RELAYED: State.SENT,
    Outcome.LOCAL: State.DELIVERED,
    Outcome.DEFERRED: State.DEFERRED,
    Outcome.BOUNCED: State.BOUNCED,
}


@dataclass
class Result:
    """What an attempt leaves for the scheduler: when to look again, new messages to wake,
    and each recipient's outcome (for the status counts)."""

    next_try: float | None
    created: list[str] = field(default_factory=list)
    outcomes: list[Delivered] = field(default_factory=list)
    waiting_for: list[str] = field(default_factory=list)  # slots of the recipients still waiting
    # The limited accounts of the recipients still waiting: [per minute, sessions, per day, recipients].
    limited: dict[str, list[int]] = field(default_factory=dict)
    # The history's records of this attempt (told to ``context.history`` before the state is saved).
    history: list[Record] = field(default_factory=list)


class Deliverer:
    def __init__(self, context: DeliveryContext):
        self.context = context
        self.couriers = Couriers(context)
        self.advice = AdviceLog()  # what a known refusal means, said once per destination

    @property
    def settings(self) -> Settings:
        return self.context.settings

    @property
    def _keeps_history(self) -> bool:
        """Whether this attempt's records are wanted (a context with a history, history.enabled)."""
        return self.context.history is not None and self.settings.history.enabled

    def slot(self, decision: Decision) -> str | None:
        """The destination the scheduler counts this decision's mail by (None: counted nowhere)."""
        return self.couriers.of(decision).slot(decision)

    def limits(self, decision: Decision) -> tuple[str, AccountLimits] | None:
        """The account this decision's mail counts against, and its limits (limits.py)."""
        return limits.of(self.settings, decision)

    def close(self) -> None:
        """Ends the sessions kept for reuse (at the end of delivery)."""
        self.couriers.close()

    # --- the attempt ---

    def attempt(
        self,
        qid: str,
        forced: bool = False,
        bounce_now: bool = False,
        fresh: tuple[Envelope, tuple[bytes, ...]] | None = None,
    ) -> Result:
        """``fresh``: the envelope and bytes just written by the server, so the first attempt
        of a new message does not read back what is still in memory (the same bytes as on disk)."""
        spool = self.context.spool
        content: bytes | None = None
        try:
            if fresh is not None and spool.exists(qid):
                envelope, parts = fresh
                content = b"".join(parts)
                message = QueuedMessage(qid, envelope, [Recipient(a) for a in envelope.recipients], len(content))
            else:
                message = spool.load(qid)
        except FileNotFoundError:
            return Result(None)  # deleted meanwhile
        result = Result(None)
        if bounce_now:
            for r in message.pending(float("inf")):
                self._record(message, Reply(r, "554 5.0.0 returned to the sender by the administrator"), result)
            due = []
        else:
            due = message.pending(float("inf") if forced else time.time())
        if due:
            if content is None:
                content = spool.content(qid)
            backup.keep_copy(self.settings, message, content)
            hops = count_hops(content)
            if hops > self.settings.options.max_forward_count:
                for r in due:
                    self._record(message, Reply(r, f"554 5.4.6 mail loop: {hops} Received headers"), result)
            else:
                self._deliver(message, due, content, result)
        self._finish(message, result)
        self._tell_history(result)
        if message.done:
            spool.remove(qid)
            if all(r.state == SENT for r in message.recipients):
                log.info("%s removed: delivered to every recipient", qid)
            else:
                log.info("%s removed: every recipient delivered or bounced", qid)
            return result
        if spool.exists(qid):
            spool.save_state(message)
        result.next_try = message.next_try
        return result

    def _deliver(self, message: QueuedMessage, due: list[Recipient], content: bytes, result: Result) -> None:
        """Each batch to its courier; ``result.waiting_for``: the slots whose recipients wait."""
        router = self.context.router
        batches: dict[tuple[Courier, str | None], Batch] = {}
        for rcpt in due:
            decision = router.route(rcpt.address, message.sender, message.envelope.rule)
            courier = self.couriers.of(decision)
            key = (courier, courier.slot(decision))
            batches.setdefault(key, Batch(message, content)).recipients.append((rcpt, decision))
        waiting = set()
        for (courier, slot), batch in batches.items():
            decided = {id(rcpt): decision for rcpt, decision in batch.recipients}
            for reply in courier.deliver(batch):
                self._record(message, reply, result, decided.get(id(reply.rcpt)))
            if slot is not None and any(rcpt.state in WAITING for rcpt, _ in batch.recipients):
                waiting.add(slot)
            for rcpt, decision in batch.recipients:
                limited = self.limits(decision) if rcpt.state in WAITING else None
                if limited is not None:
                    account, allowed = limited
                    result.limited.setdefault(account, [*limits.as_list(allowed), 0])[3] += 1
        result.waiting_for = sorted(waiting)

    def _record(self, message: QueuedMessage, reply: Reply, result: Result, decision: Decision | None = None) -> None:
        """The recipient's new state from a reply, its outcome for the counts and the history, and
        its log line."""
        rcpt = reply.rcpt
        now = time.time()
        outcome = recipients.record(message, rcpt, reply.reply, now, self.settings.queue, reply.via, reply.retry_after)
        result.outcomes.append(outcome)
        result.created.extend(reply.created)
        if self._keeps_history:
            account = decision.auth.name if decision is not None and decision.auth is not None else ""
            result.history.append(
                Attempt(
                    qid=message.id,
                    recipient=rcpt.address,
                    attempt=rcpt.attempts,
                    time=now,
                    state=HISTORY_STATE[outcome.outcome],
                    reply=rcpt.reply,
                    rule=decision.rule if decision is not None else None,
                    destination=reply.via or (decision.destination if decision is not None else ""),
                    account=account,
                    upstream_id=upstream_id(rcpt.reply) if reply.via != LOCAL_DESTINATION else None,
                )
            )
            for created in reply.created:  # a forward.txt copy: queued by this attempt, read back now
                copy = summary.from_file(self.context.spool.msg / created, created)
                if copy is not None:
                    result.history.append(copy)
        if reply.line:
            log.info(
                "%s %s state=%s reply=%s",
                message.id,
                reply.line,
                rcpt.state,
                reply.reply,
                extra={"event": "failing"} if reply.failing else None,
            )
        self.advice.note(message.id, reply.via, reply.reply, rcpt.state)

    # --- the reports ---

    def _finish(self, message: QueuedMessage, result: Result) -> None:
        """Bounces for failed recipients, delay warnings when due."""
        failed, late = recipients.finish(message, self.settings.delivery.delay_warning_hours)
        if failed:
            result.created.append(self._report(message, failed, reports.Action.FAILED, result))
        if late:
            result.created.append(self._report(message, late, reports.Action.DELAYED, result))

    def _tell_history(self, result: Result) -> None:
        """The attempt's records, before its state is saved: a worker killed after this leaves
        the attempt to be made again under the same number, which replaces the row."""
        if result.history and self.context.history is not None:
            self.context.history.add(result.history)

    def _report(self, message: QueuedMessage, rcpts: list[Recipient], action: reports.Action, result: Result) -> str:
        hostname = self.settings.server.hostname
        body = reports.delivery_status(hostname, message, rcpts, self.context.spool.content(message.id), action)
        qid = new_id()
        envelope = Envelope(
            sender="",
            recipients=[message.sender],
            mail_options=["BODY=8BITMIME"],
            client=OwnClient.BOUNCE,
            helo=hostname,
            received_at=time.time(),
        )
        self.context.spool.store(qid, envelope, body)
        if self._keeps_history:
            result.history.append(summary.received(qid, envelope, (body,)))
            told = {r.address for r in rcpts}
            result.history[:] = [
                replace(a, dsn=qid) if isinstance(a, Attempt) and a.qid == message.id and a.recipient in told else a
                for a in result.history
            ]
        log.info(
            "%s %s: DSN (%s) to <%s> for %s",
            message.id,
            "bounced" if action == reports.Action.FAILED else "delayed",
            qid,
            message.sender,
            ",".join(f"<{r.address}>" for r in rcpts),
            extra={"event": "bounce"} if action == reports.Action.FAILED else None,
        )  # the window's tray says so
        return qid
