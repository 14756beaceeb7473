"""The durable queue: the one truth about every accepted message.

Layout under the queue folder::

    tmp/<id>          being written; anything here at start-up was never acknowledged
    msg/<id>          committed message: one JSON line (the envelope), then the bytes as sent
    state/<id>.json   per-recipient delivery state, replaced atomically after each attempt
    control/          requests from ``python -m app queue`` to the running gateway
    paused            present while delivery is paused (mail is still accepted)
    lock              held by the gateway that owns this queue

A message exists once ``msg/<id>`` exists: it is written to ``tmp/``, fsynced,
renamed into ``msg/`` and the directory fsynced before the client hears 250.
Concurrent commits share directory fsyncs (group commit), so durability costs
one file fsync per message plus a fraction of a directory fsync.  All methods
block: the server calls them from threads, never on the event loop.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from app.problems import Problem
from app.system.files import fsync_dir


class RecipientState(StrEnum):
    """A recipient's state, as written in its message's state file and shown by ``queue list``."""

    QUEUED = "queued"  # waiting for its first attempt or for the queue runner
    DEFERRED = "deferred"  # temporary failure; next_try says when
    SENT = "sent"  # delivered (to a server, a mailbox, or forwarded on)
    FAILED = "failed"  # permanent failure; the reply is kept until the bounce is queued
    BOUNCED = "bounced"  # failed, and the sender has been told (or was <>)


QUEUED, DEFERRED, SENT, FAILED, BOUNCED = RecipientState


def _state(word: str) -> RecipientState:
    """A state file's word; one this version does not know (a newer Tenso's) is kept as it is."""
    try:
        return RecipientState(word)
    except ValueError:
        return word  # type: ignore[return-value]  # shown, and left as it is: neither waiting nor final


FINAL = (SENT, BOUNCED)
WAITING = (QUEUED, DEFERRED)


@dataclass
class Recipient:
    address: str
    state: RecipientState = QUEUED
    attempts: int = 0
    next_try: float = 0.0
    reply: str = ""
    updated: float = 0.0
    warned: bool = False  # a delay warning went out


class OwnClient(StrEnum):
    """``Envelope.client`` of the messages Tenso queues itself (else the client's address)."""

    BOUNCE = "bounce"  # a delivery status notification (deliver/reports.py)
    FORWARD = "forward.txt"  # a local user's forward.txt copy
    ALERT = "alert"  # an alert or the daily summary to alerts.email_to (app/alerts/)


class Request(StrEnum):
    """What ``python -m app queue`` and ``reload`` leave in the control folder for the running gateway."""

    RETRY = "retry"
    DELETE = "delete"
    BOUNCE = "bounce"
    RELOAD = "reload"


EVERY = "ALL"  # the queue id of a request about every message


@dataclass
class Envelope:
    """What the client told us; never changes once stored."""

    sender: str
    recipients: list[str]
    mail_options: list[str] = field(default_factory=list)
    client: str = ""
    helo: str = ""
    auth_user: str = ""
    received_at: float = 0.0
    rule: int = 0  # a message Tenso makes itself may name the 1-based rule it leaves by (an alert); 0: the rules decide


@dataclass
class QueuedMessage:
    id: str
    envelope: Envelope
    recipients: list[Recipient]
    size: int

    @property
    def sender(self) -> str:
        return self.envelope.sender

    def pending(self, now: float) -> list[Recipient]:
        return [r for r in self.recipients if r.state in WAITING and r.next_try <= now]

    @property
    def done(self) -> bool:
        return all(r.state in FINAL for r in self.recipients)

    @property
    def next_try(self) -> float | None:
        waiting = [r.next_try for r in self.recipients if r.state in (QUEUED, DEFERRED)]
        return min(waiting) if waiting else None


class _GroupSync:
    """fsync a directory once for every batch of renames that happened before it started."""

    def __init__(self, path: Path):
        self.path = path
        self.cv = threading.Condition()
        self.next_ticket = 0
        self.synced_below = 0
        self.running = False

    def sync(self) -> None:
        with self.cv:
            ticket = self.next_ticket
            self.next_ticket += 1
            while self.synced_below <= ticket:
                if self.running:
                    self.cv.wait()
                    continue
                self.running = True
                covers = self.next_ticket
                self.cv.release()
                try:
                    fsync_dir(self.path)
                finally:
                    self.cv.acquire()
                    self.running = False
                    self.cv.notify_all()
                self.synced_below = covers


_id_lock = threading.Lock()
_last_id = 0
_node = os.getpid() % 4096


def new_id() -> str:
    """Sortable by arrival: microseconds since the epoch, in hex, then this process's node number."""
    global _last_id
    with _id_lock:
        now = time.time_ns() // 1000
        _last_id = max(now, _last_id + 1)
        return f"{_last_id:013X}{_node:03X}"


def node(offset: int) -> int:
    """The node number for Tenso's worker process ``offset`` (1, 2, ...): distinct from this
    process's and from each other's, so processes sharing a queue never make the same id."""
    return (_node + offset) % 4096


def set_node(number: int) -> None:
    global _node
    _node = number % 4096


class Spool:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.tmp = self.root / "tmp"
        self.msg = self.root / "msg"
        self.state = self.root / "state"
        self.control = self.root / "control"
        self._paused_flag = self.root / "paused"  # checked per accepted message: os.path, not Path.exists
        for d in (self.tmp, self.msg, self.state, self.control):
            d.mkdir(parents=True, exist_ok=True)
        self._msg_sync = _GroupSync(self.msg)

    # --- accepting ---

    def store(self, qid: str, envelope: Envelope, *parts: bytes) -> None:
        """Writes the message (``parts`` joined) durably; only then may 250 be sent."""
        # Envelope and Recipient are flat: vars() is asdict() without its recursive copy.
        fields = vars(envelope)
        if not envelope.rule:  # the header as before for what clients send (an older Tenso reads it)
            fields = {k: v for k, v in fields.items() if k != "rule"}
        header = json.dumps(fields, separators=(",", ":")).encode()
        tmp = self.tmp / qid
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        try:
            for part in (header + b"\n", *parts):
                view = memoryview(part)
                while view:
                    view = view[os.write(fd, view) :]
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise
        os.close(fd)
        os.replace(tmp, self.msg / qid)
        self._msg_sync.sync()

    # --- reading ---

    def ids(self) -> list[str]:
        return sorted(p.name for p in self.msg.iterdir())

    def exists(self, qid: str) -> bool:
        return (self.msg / qid).exists()

    def load(self, qid: str) -> QueuedMessage:
        """The message's envelope and state, without its content (FileNotFoundError if gone)."""
        path = self.msg / qid
        with open(path, "rb") as f:
            envelope = Envelope(**json.loads(f.readline()))
            size = os.fstat(f.fileno()).st_size - f.tell()
        recipients = [Recipient(a) for a in envelope.recipients]
        try:
            saved = json.loads((self.state / f"{qid}.json").read_bytes())
        except FileNotFoundError:
            pass
        else:
            recipients = [Recipient(**{**r, "state": _state(r.get("state", QUEUED))}) for r in saved["recipients"]]
        return QueuedMessage(qid, envelope, recipients, size)

    def messages(self) -> list[QueuedMessage]:
        """Every message in the queue, oldest first (one delivered while listing is skipped)."""
        found = []
        for qid in self.ids():
            try:
                found.append(self.load(qid))
            except (FileNotFoundError, ValueError):
                continue
        return found

    def content(self, qid: str) -> bytes:
        with open(self.msg / qid, "rb") as f:
            f.readline()
            return f.read()

    # --- updating ---

    def save_state(self, message: QueuedMessage) -> None:
        data = json.dumps({"recipients": [vars(r) for r in message.recipients]}, ensure_ascii=False)
        final = self.state / f"{message.id}.json"
        tmp = self.state / f".{message.id}.{threading.get_ident()}.tmp"
        with open(tmp, "wb") as f:
            f.write(data.encode())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)

    def remove(self, qid: str) -> None:
        # The message first: a crash in between leaves an orphan state file, which
        # recover() drops, never a message that looks new again.
        (self.msg / qid).unlink(missing_ok=True)
        (self.state / f"{qid}.json").unlink(missing_ok=True)

    # --- control: the queue command talks to a running gateway through files ---

    @property
    def paused(self) -> bool:
        return os.path.exists(self._paused_flag)

    def set_paused(self, paused: bool) -> None:
        if paused:
            self._paused_flag.touch()
        else:
            self._paused_flag.unlink(missing_ok=True)

    def request(self, action: str, qid: str) -> Path:
        """Leaves ``action`` (retry, delete, bounce, reload) on ``qid`` (or ``ALL``) for the running gateway."""
        path = self.control / f"{time.time_ns()}-{action}-{qid}"
        path.touch()
        return path

    def take_requests(self) -> list[tuple[str, str]]:
        found = []
        for p in sorted(self.control.iterdir()):
            _, _, rest = p.name.partition("-")
            action, _, qid = rest.partition("-")
            p.unlink(missing_ok=True)
            found.append((action, qid))
        return found

    def lock(self) -> QueueLock:
        return QueueLock(self.root / "lock")

    def recover(self) -> list[str]:
        """Start-up: drop what was never acknowledged, return every committed id."""
        for p in self.tmp.iterdir():
            p.unlink(missing_ok=True)
        ids = self.ids()
        known = set(ids)
        for p in self.state.iterdir():
            if p.name.startswith(".") or p.name.removesuffix(".json") not in known:
                p.unlink(missing_ok=True)
        return ids


class QueueLocked(Exception):
    """Another Tenso holds this queue."""


class QueueLock:
    """An exclusive OS lock on the queue folder: one gateway per queue, or mail goes out twice."""

    def __init__(self, path: Path):
        self.path = path
        self._file = open(path, "a+b")  # held for the gateway's lifetime
        try:
            if sys.platform == "win32":  # os.name == "nt", in the spelling mypy reads
                import msvcrt

                self._file.seek(0)
                msvcrt.locking(self._file.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            self._file.close()
            raise QueueLocked(
                Problem("", "another Tenso is running on the queue {path}", path=str(path.parent))
            ) from exc

    def release(self) -> None:
        if not self._file.closed:
            self._file.close()  # closing drops the lock on every OS
