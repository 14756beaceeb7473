"""The durable queue: the one truth about every accepted message.

Layout under the queue folder::

    tmp/<id>          being written; anything here at start-up was never acknowledged
    slots/<id>        empty files made ahead of the messages that will fill them (see below)
    msg/<id>          committed message: one JSON line (the envelope), then the bytes as sent
    state/<id>.json   per-recipient delivery state, replaced atomically after each attempt
    control/          requests from ``python -m app queue`` to the running gateway
    paused            present while delivery is paused (mail is still accepted)
    lock              held by the gateway that owns this queue

A message is durable before the client hears 250, in one of two ways:

- **Into a slot** (the usual way, ``reserve()`` then ``store``): a thread of the spool's keeps a
  few empty files in ``slots/`` under ids of their own, their names made durable together by
  one directory fsync before any is handed out.  The message is written into its slot (one
  ``writev``: the envelope line, which also holds the length and crc32 of the bytes after it,
  then the bytes) and its data synced (``fdatasync``: the data and the file's new size, all
  that reading it needs; ``fsync`` where there is none): from then on it survives a crash.
  It is then renamed to ``msg/<id>`` (not synced: if a crash loses the rename, the message is
  still whole in ``slots/``) and only then is 250 sent.  One disk sync while the client waits.
- **By tmp/** (no slot ready: the first message, a burst, a message Tenso makes itself): written
  to ``tmp/``, synced, renamed into ``msg/`` and the directory fsynced before 250.  Concurrent
  commits share directory fsyncs: ``store_many`` makes a batch durable with one directory fsync,
  and batches running side by side share theirs (``store.commit.Committer``).

Crash rules (``recover()`` at start-up, with the queue's lock held): ``tmp/`` is emptied (never
acknowledged); in ``slots/``, an empty file is a slot nobody used (removed); a file whose length
and crc32 match its envelope line is a message whose sync returned, perhaps answered 250, so it
is moved to ``msg/``; any other file there was cut short by the crash before its sync returned,
so it was never answered 250: it is removed, with a log line, and never delivered.  ``msg/``
only ever holds whole messages (a file gets there by a rename after its sync), so readers of
``msg/`` never see a slot or half a message.  Files an earlier Tenso wrote (an envelope line
without length and crc32) are read as before.  All methods block: the server calls them from
threads, never on the event loop.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
import zlib
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from app.problems import Problem
from app.system.files import fsync_dir

log = logging.getLogger("tenso")

SLOTS = 32  # empty files a receiving process keeps ready in slots/ (refilled when half are taken)
CHECK = ("length", "crc32")  # the envelope line's fields of a message stored into a slot: its bytes' length and crc32


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
    # Whether state/<id>.json may exist: False when load() found none and nothing saved one
    # since, so that removing the delivered message skips an unlink bound to fail.
    state_saved: bool = True

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


def _write_all(fd: int, parts: list[bytes]) -> None:
    """All of ``parts``, in one system call where the OS has writev (one per part elsewhere)."""
    if hasattr(os, "writev"):
        written = os.writev(fd, parts)
        total = sum(len(p) for p in parts)
        if written == total:
            return
        parts = [b"".join(parts)[written:]]  # a short write (a full disk that freed room): the rest
    for part in parts:
        view = memoryview(part)
        while view:
            view = view[os.write(fd, view) :]


# fdatasync: the data and what reading it needs (a new file's size), not its times; Windows and
# macOS have none (macOS's fsync is what it offers), so fsync there.
_sync_data = getattr(os, "fdatasync", os.fsync)


def envelope_of(line: bytes) -> Envelope:
    """The envelope of a message file's first line (its length and crc32, when there, left out)."""
    fields = json.loads(line)
    for key in CHECK:
        fields.pop(key, None)
    return Envelope(**fields)


def _whole(data: bytes) -> bool:
    """Whether a file of ``slots/`` holds a message whose sync returned: its envelope line names
    the length and crc32 of the bytes that follow, and they match."""
    line, newline, content = data.partition(b"\n")
    try:
        fields = json.loads(line)
        return bool(newline) and fields["length"] == len(content) and fields["crc32"] == zlib.crc32(content)
    except (ValueError, KeyError, TypeError):
        return False


class _Slots:
    """Empty files in ``slots/``, made and made durable (one directory fsync a batch) by a thread
    of their own, ahead of the messages that will fill them.  The thread starts with the first
    ``take()`` and waits on a condition while enough are ready: no timer, nothing while idle."""

    def __init__(self, folder: Path, size: int):
        self.folder = folder
        self.size = size
        self.cond = threading.Condition()
        self.ready: deque[str] = deque()
        self.taken: set[str] = set()  # handed out, not written yet
        self.thread: threading.Thread | None = None
        self.failing = False  # the folder took no new file (a full disk): messages go by tmp/ meanwhile

    def take(self) -> str | None:
        """An id whose empty file in ``slots/`` is durable already, or None when none is ready."""
        with self.cond:
            qid = self.ready.popleft() if self.ready else None
            if qid is not None:
                self.taken.add(qid)
            if len(self.ready) <= self.size // 2:
                if self.thread is None:
                    self.thread = threading.Thread(target=self._fill, name="spool-slots", daemon=True)
                    self.thread.start()
                else:
                    self.cond.notify()
            return qid

    def used(self, qid: str) -> bool:
        """Whether ``qid`` is a slot handed out and not written yet (from now on it is not)."""
        with self.cond:
            if qid in self.taken:
                self.taken.discard(qid)
                return True
            return False

    def release(self) -> None:
        """Removes the slots not written (a stop; one made meanwhile is removed at the next start).
        A message still written into one after this goes by ``tmp/``: its slot is gone."""
        with self.cond:
            unused = [*self.ready, *self.taken]
            self.ready, self.taken = deque(), set()
        for qid in unused:
            (self.folder / qid).unlink(missing_ok=True)

    def _fill(self) -> None:
        while True:
            with self.cond:
                while len(self.ready) > self.size // 2:
                    self.cond.wait()
                wanted = self.size - len(self.ready)
            made = []
            try:
                for _ in range(wanted):
                    qid = new_id()
                    os.close(os.open(self.folder / qid, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
                    made.append(qid)
                fsync_dir(self.folder)  # the slots' names durable before any is handed out
            except OSError as exc:
                for qid in made:
                    (self.folder / qid).unlink(missing_ok=True)
                with self.cond:
                    if not self.failing:
                        log.warning(
                            "the queue folder %s takes no new file (%s): free some disk space there; "
                            "mail is still accepted while it can be stored",
                            self.folder,
                            exc,
                        )
                    self.failing = True
                    self.cond.wait()  # the next message that finds no slot ready wakes this to try again
                continue
            with self.cond:
                self.failing = False
                self.ready.extend(made)


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
        self.slots = self.root / "slots"
        self._paused_flag = self.root / "paused"  # checked per accepted message: os.path, not Path.exists
        for d in (self.tmp, self.msg, self.state, self.control, self.slots):
            d.mkdir(parents=True, exist_ok=True)
        self._msg_sync = _GroupSync(self.msg)
        self._slots = _Slots(self.slots, SLOTS)

    # --- accepting ---

    def reserve(self) -> str:
        """The id for a message about to be stored: a slot's when one is ready (storing it then
        costs one disk sync), else a new one (stored by way of ``tmp/``)."""
        return self._slots.take() or new_id()

    def release_slots(self) -> None:
        """At a stop: the slots made ahead and not used are removed."""
        self._slots.release()

    def store(self, qid: str, envelope: Envelope, *parts: bytes) -> None:
        """Writes the message (``parts`` joined) durably; only then may 250 be sent."""
        if not self._write(qid, envelope, parts):
            self._msg_sync.sync()

    def store_many(self, batch: list[tuple[str, Envelope, tuple[bytes, ...]]]) -> list[OSError | None]:
        """Writes each message of ``batch`` durably, with one directory fsync for those that went
        by ``tmp/`` (none for those written into their slots).  Per message: None once it is
        durable (250 may be sent), or the OSError that stopped it (nothing of it is left in ``msg/``)."""
        results: list[OSError | None] = []
        renamed = []
        for qid, envelope, parts in batch:
            try:
                slot = self._write(qid, envelope, parts)
            except OSError as exc:
                results.append(exc)
            else:
                results.append(None)
                if not slot:
                    renamed.append(len(results) - 1)
        if renamed:
            try:
                self._msg_sync.sync()
            except OSError as exc:  # renamed, but not known durable: not acknowledged
                for i in renamed:
                    results[i] = exc
        return results

    def _write(self, qid: str, envelope: Envelope, parts: tuple[bytes, ...]) -> bool:
        """The message written, synced and renamed to ``msg/<id>``: True when it went into its slot
        (durable now), False when it went by ``tmp/`` (durable once the directory is synced)."""
        # Envelope and Recipient are flat: vars() is asdict() without its recursive copy.
        fields = vars(envelope)
        if not envelope.rule:  # the envelope line as before for what clients send
            fields = {k: v for k, v in fields.items() if k != "rule"}
        binary = getattr(os, "O_BINARY", 0)
        if self._slots.used(qid):
            slot = self.slots / qid
            try:
                fd = os.open(slot, os.O_WRONLY | binary)
            except FileNotFoundError:  # removed meanwhile (a start-up's recover): by tmp/ then
                pass
            else:
                crc = 0
                for part in parts:
                    crc = zlib.crc32(part, crc)
                checked = {**fields, "length": sum(map(len, parts)), "crc32": crc}
                try:
                    _write_all(fd, [json.dumps(checked, separators=(",", ":")).encode() + b"\n", *parts])
                    _sync_data(fd)  # the data and the new size; the slot's name is durable already
                except BaseException:
                    os.close(fd)
                    slot.unlink(missing_ok=True)  # not acknowledged: nothing of it is kept
                    raise
                os.close(fd)
                os.replace(slot, self.msg / qid)  # not synced: lost in a crash, recover() makes it again
                return True
        header = json.dumps(fields, separators=(",", ":")).encode()
        tmp = self.tmp / qid
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | binary, 0o600)
        try:
            _write_all(fd, [header + b"\n", *parts])
            _sync_data(fd)
        except BaseException:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise
        os.close(fd)
        os.replace(tmp, self.msg / qid)
        return False

    # --- reading ---

    def ids(self) -> list[str]:
        return sorted(p.name for p in self.msg.iterdir())

    def exists(self, qid: str) -> bool:
        return (self.msg / qid).exists()

    def load(self, qid: str) -> QueuedMessage:
        """The message's envelope and state, without its content (FileNotFoundError if gone)."""
        path = self.msg / qid
        with open(path, "rb") as f:
            envelope = envelope_of(f.readline())
            size = os.fstat(f.fileno()).st_size - f.tell()
        return self._with_state(qid, envelope, size)

    def load_with_content(self, qid: str) -> tuple[QueuedMessage, bytes]:
        """``load`` and ``content`` from one opening of the file (a delivery attempt needs both),
        read whole with os calls: open, fstat, read, close (``open()`` adds a tty check and seeks)."""
        fd = os.open(self.msg / qid, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            size = os.fstat(fd).st_size
            chunks = [os.read(fd, size)]
            got = len(chunks[0])
            while chunks[-1] and got < size:  # a very large file may come in parts
                chunks.append(os.read(fd, size - got))
                got += len(chunks[-1])
        finally:
            os.close(fd)
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        line, _, content = data.partition(b"\n")
        envelope = envelope_of(line)
        return self._with_state(qid, envelope, len(content)), content

    def _with_state(self, qid: str, envelope: Envelope, size: int) -> QueuedMessage:
        try:
            saved = json.loads((self.state / f"{qid}.json").read_bytes())
        except FileNotFoundError:
            return QueuedMessage(qid, envelope, [Recipient(a) for a in envelope.recipients], size, state_saved=False)
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
        message.state_saved = True

    def remove(self, qid: str, state: bool = True) -> None:
        """The message and its state file (``state`` False: it is known to have none)."""
        # The message first: a crash in between leaves an orphan state file, which
        # recover() drops, never a message that looks new again.
        (self.msg / qid).unlink(missing_ok=True)
        if state:
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
        """Start-up: drop what was never acknowledged, move to ``msg/`` the messages whose rename
        from their slot a crash lost, return every committed id."""
        for p in self.tmp.iterdir():
            p.unlink(missing_ok=True)
        moved = False
        for p in sorted(self.slots.iterdir()):
            data = p.read_bytes()
            if not data:
                p.unlink(missing_ok=True)  # a slot nobody used
            elif _whole(data):
                os.replace(p, self.msg / p.name)
                moved = True
                log.info("%s was stored whole before a stop, and is queued again", p.name)
            else:
                log.warning(
                    "%s removed: a stop cut it short while it was being stored (%d bytes), before the client was "
                    "told it was accepted; the client sends it again",
                    p.name,
                    len(data),
                )
                p.unlink(missing_ok=True)
        if moved:
            fsync_dir(self.msg)
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
