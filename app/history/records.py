"""What the history is told: one record per message received, per recipient attempt, per refusal.

Records cross the pipes of the worker processes as JSON (``to_json`` / ``from_json``), so each is
a flat dataclass of plain values.  Each one carries its own key, so that writing it twice (a
batch sent again after a worker was killed) leaves one row: a message by its queue id, an
attempt by queue id + recipient + attempt number, a refusal by a key made where it happened.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Protocol


class State(StrEnum):
    """A recipient's state in the history (``history --state``, the ``state`` of ``--json``)."""

    QUEUED = "queued"  # received, no attempt yet
    SENT = "sent"  # a destination server (a rule's, an MX host, Microsoft Graph) took it
    DELIVERED = "delivered"  # put in a local mailbox (or forwarded on by forward.txt)
    DEFERRED = "deferred"  # a temporary failure: tried again later
    BOUNCED = "bounced"  # failed for good: returned to the sender (or dropped when the sender is <>)
    REFUSED = "refused"  # refused at RCPT or DATA: never queued


@dataclass(frozen=True)
class Received:
    """A message accepted with 250 (or queued by Tenso itself: a bounce, a forward.txt copy)."""

    qid: str
    received: float  # epoch seconds
    client: str  # the client's address, or "bounce" / "forward.txt" / "tenso" for Tenso's own
    login: str  # the SMTP AUTH identity (a local user's address or ``device:NAME``), else ""
    sender: str  # the envelope sender ("" for <>)
    recipients: list[str]
    header_from: str  # decoded, as the recipient's mail program shows it
    subject: str  # decoded (RFC 2047 encoded words, or raw 8-bit text)
    message_id: str  # as in the header, with its <>; "" when it has none
    size: int  # bytes of the message as stored
    attachments: int
    helo: str = ""


@dataclass(frozen=True)
class Attempt:
    """What one attempt did for one recipient."""

    qid: str
    recipient: str
    attempt: int  # 1 for the first attempt of this recipient
    time: float
    state: str  # a ``State`` word (a newer Tenso's word is kept as it is)
    reply: str
    rule: int | None = None  # 1-based row of the rule that decided, None when none did
    destination: str = ""  # "host:port", "MX", "local mailbox", the Graph mailbox...
    account: str = ""  # the account the destination got, by name
    upstream_id: str | None = None  # what the destination named the message (upstream.py)
    dsn: str = ""  # the queue id of the bounce or delay warning this attempt sent the sender


@dataclass(frozen=True)
class Refusal:
    """A recipient (at RCPT) or a whole message (at MAIL or DATA) refused, with the reply given."""

    key: str  # unique where it was made (a queue-id-like number): no row twice
    time: float
    stage: str  # "MAIL", "RCPT" or "DATA"
    client: str
    login: str
    sender: str
    recipients: list[str]
    reply: str
    counted: bool = field(default=False, compare=False)  # a relay refusal the status counts count


Record = Received | Attempt | Refusal

_KINDS: dict[str, type[Received] | type[Attempt] | type[Refusal]] = {
    "received": Received,
    "attempt": Attempt,
    "refusal": Refusal,
}
_NAMES = {cls: name for name, cls in _KINDS.items()}


def to_json(record: Record) -> dict:
    return {"kind": _NAMES[type(record)], **asdict(record)}


def from_json(data: dict) -> Record:
    """A record sent by a worker process (KeyError / TypeError when it is not one)."""
    values = dict(data)
    cls = _KINDS[values.pop("kind")]
    return cls(**values)


class Sink(Protocol):
    """Where records go: the main process's ``writer.Recorder``, or a worker's pipe to it."""

    def add(self, records: list[Record]) -> None: ...
