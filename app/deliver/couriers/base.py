"""What every way out is to the attempt and the scheduler: a ``Courier``.

A courier answers two questions, and knows nothing of the others (chasquid's Courier, maddy's
DeliveryTarget):

- ``slot(decision)``: the name of the destination a recipient's mail goes to ("host:port",
  "mx:domain", "GRAPH mailbox"), which the scheduler counts running attempts by and parks mail
  by when that destination holds its share of the delivery slots; None for ways out that hold
  a slot only for a moment (a local mailbox), which are counted nowhere;
- ``deliver(batch)``: sends one message to the recipients that go the same way (the same slot),
  and gives a ``Reply`` for every one of them.  It never raises for what the destination
  answers or for a destination that cannot be reached: those are replies (4xx: the recipient
  waits for its next try; 5xx: it fails and the sender gets a bounce).

The attempt turns each reply into the recipient's new state (recipients.py) and logs it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from app.mail import lineends, rewrite

if TYPE_CHECKING:
    from app.deliver.context import DeliveryContext
    from app.deliver.loopback import Loopback
    from app.deliver.smtp import Pool
    from app.route.router import Decision
    from app.settings import Settings
    from app.store.spool import QueuedMessage, Recipient

log = logging.getLogger("tenso")

# Tenso's own replies for a destination that cannot be reached or logged in to: the tray says so.
FAILING = ("451 4.4.0 ", "451 4.4.2 ")


@dataclass
class Batch:
    """The recipients of one message that go the same way, each with the router's decision."""

    message: QueuedMessage
    content: bytes
    recipients: list[tuple[Recipient, Decision]] = field(default_factory=list)


@dataclass
class Reply:
    """What became of one recipient of a batch."""

    rcpt: Recipient
    reply: str  # an SMTP reply: 2xx sent, 4xx try again later, 5xx failed
    via: str | None = None  # the destination that answered, as the status counts name it; None: none did
    line: str = ""  # the log line up to its state and reply ("to=<a@b> relay=host:25"); "": none to log
    failing: bool = False  # the log line also tells the tray the destination is failing
    retry_after: float | None = None  # seconds the destination asked to wait (sooner than the schedule)
    created: tuple[str, ...] = ()  # messages this delivery queued (forward.txt copies)


class Courier(Protocol):
    def slot(self, decision: Decision) -> str | None: ...

    def deliver(self, batch: Batch) -> list[Reply]: ...


@dataclass(frozen=True)
class Shared:
    """What the couriers of one Deliverer share: the context, the SMTP sessions kept for reuse
    (a rule's server and an MX host alike), and the check that a destination is not Tenso itself."""

    context: DeliveryContext
    pool: Pool
    loopback: Loopback

    @property
    def settings(self) -> Settings:
        return self.context.settings


def failing(reply: str) -> bool:
    return reply.startswith(FAILING)


def unsendable(qid: str, rcpts: list[Recipient], exc: UnicodeError, via: str) -> list[Reply]:
    """Text that cannot be encoded for the way out (an address that is not UTF-8, queued by an
    older Tenso) never will be: the recipients fail, and the sender gets the bounce, instead of
    an exception retried until the message expires."""
    reply = f"554 5.6.7 cannot be sent: {exc}"  # str() of the error shows the character escaped
    for rcpt in rcpts:
        log.warning("%s to=<%s> %s", qid, rcpt.address, reply)
    return [Reply(rcpt, reply, via) for rcpt in rcpts]


def for_smtp(qid: str, content: bytes) -> bytes:
    """The message as SMTP may carry it: CRLF line ends, and lines over 998 bytes folded
    (lineends.py), said once in the log for the message."""
    content = lineends.to_crlf(content)
    if not lineends.has_long_lines(content):
        return content
    log.info("%s message had lines over %d bytes; folded as RFC 5321 requires", qid, lineends.LINE_LIMIT)
    return lineends.fold_long_lines(content)


def rewritten(message: QueuedMessage, content: bytes, send_from: str) -> tuple[str, bytes]:
    """The envelope sender and the content to send, as the rule says (``Decision.send_from``).

    Only what is sent changes: the queue keeps the message's own sender, so a bounce still goes
    to it.  A message from the null sender (a bounce) keeps ``<>`` whatever the rule says: a
    bounce of a bounce must never be possible."""
    if not send_from:
        return message.sender, content
    log.info("%s sent as <%s> (rules[].rewrite_from); the original From: is kept as Reply-To:", message.id, send_from)
    return (send_from if message.sender else ""), rewrite.rewrite_from(content, send_from)


def from_header_as_sent(batch: Batch) -> bytes:
    """For a way out with no envelope (GRAPH: the mailbox is the sender): the content with its
    From: as the rule of the batch's first recipient says (one mailbox, so nearly always one rule)."""
    send_from = batch.recipients[0][1].send_from if batch.recipients else ""
    return rewritten(batch.message, batch.content, send_from)[1]
