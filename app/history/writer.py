"""The one writer of the history file: a thread of the main process, fed through a queue.

Everything that happens to mail reaches the main process already (the receiving workers announce
what they stored and refused, the delivery worker answers each attempt); the history's records
ride on those lines, and ``Recorder.add`` only puts them on a queue, from any thread, so the
receiving loop and the delivery threads never wait for SQLite.  The thread writes what gathered
in ``BATCH_SECONDS`` in one transaction.  A ``kill -9`` of the main process loses at most that
last batch (under a second of events); the mail itself is in the queue, untouched.

It also keeps the file small: rows older than ``history.days`` go once an hour, and when the
file grows over ``MAX_BYTES`` the oldest go early, with one line in the log saying so.
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, TypeVar

from app.history import summary
from app.history.records import Attempt, Received, Record, Refusal, State
from app.history.schema import open_for_writing
from app.store.spool import Envelope

log = logging.getLogger("tenso")

R = TypeVar("R", Received, Attempt, Refusal)

BATCH_SECONDS = 0.25  # events gathered into one transaction at most this long
BATCH_MAX = 5000
PRUNE_SECONDS = 3600.0
MAX_BYTES = 2 << 30  # 2 GB: about two million messages; beyond, the oldest go before their days
EARLY_SHARE = 0.9  # an early prune brings the file down to this share of MAX_BYTES
DELETE_CHUNK = 2000  # rows removed per transaction, so that readers never wait long


@dataclass(frozen=True)
class _Stored:
    """A message stored in this process: summarized in the writer's thread, not on the loop."""

    qid: str
    envelope: Envelope
    parts: tuple[bytes, ...]


@dataclass(frozen=True)
class _Recovered:
    """Messages the gateway found in the queue at start: a received row from each file, for
    those that have none (their worker died before telling, or the last batch was lost)."""

    ids: list[str]


_Item = Record | _Stored | _Recovered | threading.Event


def _text(value: str) -> str:
    """``value`` as SQLite can store it: the bytes behind surrogate escapes (an address that was
    not UTF-8) shown as U+FFFD."""
    try:
        data = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        data = value.encode("utf-8", "surrogatepass")
    return data.decode("utf-8", "replace")


def _cleaned(record: R) -> R:
    changes: dict[str, Any] = {}
    for f in fields(record):
        value = getattr(record, f.name)
        if isinstance(value, str):
            changes[f.name] = _text(value)
        elif isinstance(value, list):
            changes[f.name] = [_text(v) for v in value]
    return replace(record, **changes)


class Recorder:
    """``add`` from anywhere; ``start`` / ``stop`` by the gateway.  ``path``: the history file;
    ``messages``: the queue's ``msg/`` folder (for ``recovered``)."""

    def __init__(self, path: Path, messages: Path, enabled: bool = True, days: int = 90, max_bytes: int = MAX_BYTES):
        self.path = path
        self.messages = messages
        self.enabled = enabled
        self.days = days
        self.max_bytes = max_bytes
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._db: sqlite3.Connection | None = None
        self._failing = False  # the last write failed (said once, until one succeeds)
        self._next_prune = 0.0

    def configure(self, enabled: bool, days: int) -> None:
        self.enabled = enabled
        if days != self.days:
            self.days = days
            self._next_prune = 0.0  # a shorter keep takes effect at once

    # --- from any thread ---

    def add(self, records: list[Record]) -> None:
        if self.enabled:
            for record in records:
                self._queue.put(record)

    def stored(self, qid: str, envelope: Envelope, parts: tuple[bytes, ...]) -> None:
        """A message this process stored (the bytes are only read, in the writer's thread)."""
        if self.enabled:
            self._queue.put(_Stored(qid, envelope, parts))

    def recovered(self, ids: list[str]) -> None:
        if self.enabled and ids:
            self._queue.put(_Recovered(list(ids)))

    def flush(self, timeout: float = 10.0) -> bool:
        """Waits until everything added before is written (tests, and the offline bounce)."""
        if self._thread is None:
            self.write_pending()
            return True
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    # --- the thread ---

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="history-writer", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Writes what is queued, then ends the thread (blocking: call it in a thread)."""
        thread = self._thread
        if thread is None:
            self.write_pending()
            return
        self._queue.put(None)
        thread.join(timeout)
        self._thread = None

    def write_pending(self) -> None:
        """Writes what is queued now, in the caller's thread (no writer thread running)."""
        batch: list[_Item] = []
        self._take_queued(batch)
        self._write(batch)
        self._close()

    def _run(self) -> None:
        running = True
        while running:
            wait = max(0.05, self._next_prune - time.monotonic())
            try:
                first = self._queue.get(timeout=wait)
            except queue.Empty:
                first = None
                if self._next_prune > time.monotonic():
                    continue
            else:
                if first is None:
                    running = False
            batch: list[_Item] = [first] if first is not None else []
            deadline = time.monotonic() + BATCH_SECONDS
            while running and batch and len(batch) < BATCH_MAX:
                left = deadline - time.monotonic()
                if left <= 0 or isinstance(batch[-1], threading.Event):
                    break
                try:
                    item = self._queue.get(timeout=left)
                except queue.Empty:
                    break
                if item is None:
                    running = False
                else:
                    batch.append(item)
            if not running:  # a stop: what was queued before it goes too
                self._take_queued(batch)
            self._write(batch)
            if time.monotonic() >= self._next_prune:
                self._prune()
                self._next_prune = time.monotonic() + PRUNE_SECONDS
        self._close()

    def _take_queued(self, batch: list[_Item]) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is not None:
                batch.append(item)

    # --- writing ---

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = open_for_writing(self.path)
        return self._db

    def _close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _write(self, batch: list[_Item]) -> None:
        """Writes a batch; a failure is said once (and the thread goes on: mail never waits for it)."""
        done = [item for item in batch if isinstance(item, threading.Event)]
        items = [item for item in batch if not isinstance(item, threading.Event)]
        try:
            if items:
                self._insert(self._connection(), items)
            if self._failing:
                log.info("the history file %s is written again", self.path)
                self._failing = False
        except Exception as exc:  # sqlite3.Error, OSError, or a record it cannot take
            if not self._failing:
                log.error(
                    "cannot write the history file %s: %s; %d event(s) are not in the history (mail is not "
                    "affected); check the disk and the file's permissions, or move it away to start a new one",
                    self.path,
                    exc,
                    len(items),
                )
            self._failing = True
            self._close()
        for event in done:
            event.set()

    def _insert(self, db: sqlite3.Connection, items: Sequence[_Item]) -> None:
        received: list[Received] = []
        attempts: list[Attempt] = []
        refusals: list[Refusal] = []
        for item in items:
            if isinstance(item, _Stored):
                received.append(summary.received(item.qid, item.envelope, item.parts))
            elif isinstance(item, _Recovered):
                received.extend(self._from_queue(db, item.ids))
            elif isinstance(item, Received):
                received.append(item)
            elif isinstance(item, Attempt):
                attempts.append(item)
            elif isinstance(item, Refusal):
                refusals.append(item)
        try:
            self._execute(db, received, attempts, refusals)
        except UnicodeEncodeError:  # text that is not Unicode (an address's undecodable bytes)
            clean = [_cleaned(r) for r in received], [_cleaned(a) for a in attempts], [_cleaned(r) for r in refusals]
            self._execute(db, *clean)

    def _execute(
        self, db: sqlite3.Connection, received: list[Received], attempts: list[Attempt], refusals: list[Refusal]
    ) -> None:
        db.execute("BEGIN")
        try:
            db.executemany(
                "INSERT OR IGNORE INTO messages VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (r.qid, r.received, r.client, r.login, r.helo, r.sender, r.header_from, r.subject)
                    + (r.message_id, r.size, r.attachments)
                    for r in received
                ],
            )
            db.executemany(
                "INSERT INTO recipients VALUES (?,?,?,?,0,NULL,NULL,'','','',NULL) "
                "ON CONFLICT (qid, address) DO UPDATE SET position = excluded.position",
                [(r.qid, address, n, State.QUEUED.value) for r in received for n, address in enumerate(r.recipients)],
            )
            db.executemany(
                "INSERT OR REPLACE INTO attempts VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (a.qid, a.recipient, a.attempt, a.time, a.state, a.reply, a.rule, a.destination, a.account)
                    + (a.upstream_id, a.dsn)
                    for a in attempts
                ],
            )
            db.executemany(
                "INSERT INTO recipients VALUES (?,?,1000,?,?,?,?,?,?,?,?) "
                "ON CONFLICT (qid, address) DO UPDATE SET state = excluded.state, attempts = excluded.attempts, "
                "last_attempt = excluded.last_attempt, rule = excluded.rule, destination = excluded.destination, "
                "account = excluded.account, reply = excluded.reply, upstream_id = excluded.upstream_id "
                "WHERE excluded.attempts >= recipients.attempts",
                [
                    (a.qid, a.recipient, a.state, a.attempt, a.time, a.rule, a.destination, a.account, a.reply)
                    + (a.upstream_id,)
                    for a in attempts
                ],
            )
            db.executemany(
                "INSERT OR IGNORE INTO refusals VALUES (?,?,?,?,?,?,?,?)",
                [
                    (r.key, r.time, r.stage, r.client, r.login, r.sender, json.dumps(r.recipients, ensure_ascii=False))
                    + (r.reply,)
                    for r in refusals
                ],
            )
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _from_queue(self, db: sqlite3.Connection, ids: list[str]) -> list[Received]:
        """Received rows for the queued messages the history does not know, read from their files."""
        known: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            known.update(row[0] for row in db.execute(f"SELECT id FROM messages WHERE id IN ({marks})", chunk))
        found = []
        for qid in ids:
            if qid not in known:
                record = summary.from_file(self.messages / qid, qid)
                if record is not None:
                    found.append(record)
        return found

    # --- pruning ---

    def _prune(self) -> None:
        if self._db is None and not self.path.exists():
            return  # nothing recorded yet (or ever, with history.enabled false)
        try:
            db = self._connection()
            self._remove_before(db, time.time() - self.days * 86400)
            self._keep_bounded(db)
        except (sqlite3.Error, OSError) as exc:
            log.warning(
                "cannot remove old entries from the history file %s: %s; tried again in an hour", self.path, exc
            )
            self._close()

    def _remove_before(self, db: sqlite3.Connection, cutoff: float) -> int:
        """Removes what was received before ``cutoff``, a chunk per transaction; how many messages."""
        removed = 0
        while True:
            ids = [
                row[0]
                for row in db.execute("SELECT id FROM messages WHERE received < ? LIMIT ?", (cutoff, DELETE_CHUNK))
            ]
            if not ids:
                break
            marks = ",".join("?" * len(ids))
            db.execute("BEGIN")
            db.execute(f"DELETE FROM recipients WHERE qid IN ({marks})", ids)
            db.execute(f"DELETE FROM attempts WHERE qid IN ({marks})", ids)
            db.execute(f"DELETE FROM messages WHERE id IN ({marks})", ids)
            db.execute("COMMIT")
            removed += len(ids)
        db.execute("DELETE FROM refusals WHERE time < ?", (cutoff,))
        return removed

    def used_bytes(self, db: sqlite3.Connection | None = None) -> int:
        """The bytes the rows take (the file's pages less the free ones, which SQLite reuses)."""
        db = db or self._connection()
        pages = db.execute("PRAGMA page_count").fetchone()[0] - db.execute("PRAGMA freelist_count").fetchone()[0]
        return int(pages * db.execute("PRAGMA page_size").fetchone()[0])

    def _keep_bounded(self, db: sqlite3.Connection) -> None:
        used = self.used_bytes(db)
        if used <= self.max_bytes:
            return
        total = db.execute("SELECT count(*) FROM messages").fetchone()[0]
        drop = max(1, int(total * (1 - EARLY_SHARE * self.max_bytes / used)))
        row = db.execute("SELECT received FROM messages ORDER BY received LIMIT 1 OFFSET ?", (min(drop, total - 1),))
        first = row.fetchone()
        if first is None:
            return
        cutoff = float(first[0])
        removed = self._remove_before(db, cutoff)
        log.warning(
            "the history file %s reached %d MB, over its bound of %d MB: the %d oldest message(s), received "
            "before %s, were removed before their %d days (history.days); the mail itself is not affected",
            self.path,
            used // (1 << 20),
            self.max_bytes // (1 << 20),
            removed,
            time.strftime("%Y-%m-%d %H:%M", time.localtime(cutoff)),
            self.days,
        )
