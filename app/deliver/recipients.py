"""A recipient's state through an attempt, from the replies of the ways out.

2xx: sent.  5xx: failed.  4xx: deferred to the next retry time of ``queue.retry_minutes``, or
sooner when the destination said how long to wait; failed instead once the message is older than
``queue.max_age_hours``.  At the end of an attempt the sender hears of the failed recipients (one
bounce: they are then bounced) and, once, of those deferred longer than
``delivery.delay_warning_hours``; never a sender of ``<>`` (no bounce of a bounce).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from app.deliver import throttle
from app.store.activity import LOCAL_DESTINATION, Delivered, Outcome
from app.store.spool import BOUNCED, DEFERRED, FAILED, SENT

if TYPE_CHECKING:
    from app.settings import Queue
    from app.store.spool import QueuedMessage, Recipient

log = logging.getLogger("tenso")


def record(
    message: QueuedMessage,
    rcpt: Recipient,
    reply: str,
    now: float,
    queue: Queue,
    via: str | None = None,
    retry_after: float | None = None,
) -> Delivered:
    """The recipient's new state from ``reply``, and the outcome the status counts get (``via``:
    the destination that answered; ``retry_after``: the seconds it asked to wait)."""
    settle(message, rcpt, reply, now, queue)
    if retry_after is not None and rcpt.state == DEFERRED:
        latest = message.envelope.received_at + queue.max_age_hours * 3600
        rcpt.next_try = min(now + retry_after, latest)
    if rcpt.state == DEFERRED and throttle.kind_of(rcpt.reply) is not None:
        via = None  # a destination that asks to slow down works: not marked failing in Status
    if rcpt.state == SENT:
        outcome = Outcome.LOCAL if via == LOCAL_DESTINATION else Outcome.RELAYED
    else:
        outcome = Outcome.DEFERRED if rcpt.state == DEFERRED else Outcome.BOUNCED
    return Delivered(outcome, via, rcpt.reply)


def settle(message: QueuedMessage, rcpt: Recipient, reply: str, now: float, queue: Queue) -> None:
    rcpt.attempts += 1
    rcpt.reply = reply
    rcpt.updated = now
    if reply.startswith("2"):
        rcpt.state = SENT
        return
    if reply.startswith("5"):
        rcpt.state = FAILED
        return
    max_age = queue.max_age_hours * 3600
    age = now - message.envelope.received_at
    if age >= max_age:
        rcpt.state = FAILED
        rcpt.reply = f"554 4.4.7 gave up after {age / 3600:.0f} hours in the queue; last reply: {reply}"
        return
    rcpt.state = DEFERRED
    rcpt.next_try = min(now + retry_delay(queue.retry_minutes, rcpt.attempts), message.envelope.received_at + max_age)


def retry_delay(retry_minutes: list[int], attempts: int) -> float:
    """Seconds before the next try after ``attempts`` tries (the last step repeats)."""
    return 60.0 * retry_minutes[min(attempts, len(retry_minutes)) - 1]


def finish(message: QueuedMessage, delay_warning_hours: float) -> tuple[list[Recipient], list[Recipient]]:
    """The recipients the sender is to be told of at the end of an attempt: those that failed (a
    bounce; they are bounced now, told or not) and those deferred for longer than the delay
    warning (a delay warning, once: they are marked warned)."""
    failed = [r for r in message.recipients if r.state == FAILED]
    if failed and not message.sender:
        log.info("%s failed recipients not reported: the sender is <> (no bounce of a bounce)", message.id)
    for r in failed:
        r.state = BOUNCED
    late: list[Recipient] = []
    if delay_warning_hours and message.sender:
        if time.time() - message.envelope.received_at >= delay_warning_hours * 3600:
            late = [r for r in message.recipients if r.state == DEFERRED and not r.warned]
        for r in late:
            r.warned = True
    return (failed if message.sender else []), late
