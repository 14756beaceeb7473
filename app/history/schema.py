"""The history file's tables, and opening it: for the one writer, or for any number of readers.

``messages``    one row per message received, keyed by its queue id
``recipients``  one row per recipient of a message: its latest state (what a search shows)
``attempts``    one row per recipient attempt, keyed by queue id + recipient + attempt number
``refusals``    one row per refusal at RCPT or DATA (nothing was queued), keyed where it was made

Every key is one the events already carry, so an event written twice is one row.  WAL: readers
(the command line, the window) read while the gateway writes, and a write costs one append.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

VERSION = 1  # PRAGMA user_version

TABLES = """
CREATE TABLE IF NOT EXISTS messages (
    id          TEXT PRIMARY KEY,   -- the queue id
    received    REAL NOT NULL,      -- epoch seconds
    client      TEXT NOT NULL,      -- the client's address ("bounce", "forward.txt", "tenso": Tenso's own)
    login       TEXT NOT NULL,      -- the SMTP AUTH identity, else ''
    helo        TEXT NOT NULL,
    sender      TEXT NOT NULL,      -- the envelope sender ('' for <>)
    header_from TEXT NOT NULL,      -- decoded
    subject     TEXT NOT NULL,      -- decoded
    message_id  TEXT NOT NULL,      -- with its <>, '' when none
    size        INTEGER NOT NULL,
    attachments INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_received ON messages (received);
CREATE INDEX IF NOT EXISTS messages_message_id ON messages (message_id);

CREATE TABLE IF NOT EXISTS recipients (
    qid          TEXT NOT NULL,
    address      TEXT NOT NULL,
    position     INTEGER NOT NULL,  -- its place in the envelope (an attempt seen first: 1000)
    state        TEXT NOT NULL,     -- records.State
    attempts     INTEGER NOT NULL,
    last_attempt REAL,
    rule         INTEGER,
    destination  TEXT NOT NULL,
    account      TEXT NOT NULL,
    reply        TEXT NOT NULL,
    upstream_id  TEXT,
    PRIMARY KEY (qid, address)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS recipients_address ON recipients (address COLLATE NOCASE);

CREATE TABLE IF NOT EXISTS attempts (
    qid         TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    time        REAL NOT NULL,
    state       TEXT NOT NULL,
    reply       TEXT NOT NULL,
    rule        INTEGER,
    destination TEXT NOT NULL,
    account     TEXT NOT NULL,
    upstream_id TEXT,
    dsn         TEXT NOT NULL,      -- the queue id of the bounce or delay warning sent, else ''
    PRIMARY KEY (qid, recipient, attempt)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS refusals (
    key        TEXT PRIMARY KEY,
    time       REAL NOT NULL,
    stage      TEXT NOT NULL,       -- RCPT or DATA
    client     TEXT NOT NULL,
    login      TEXT NOT NULL,
    sender     TEXT NOT NULL,
    recipients TEXT NOT NULL,       -- a JSON list
    reply      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS refusals_time ON refusals (time);
"""


def open_for_writing(path: Path) -> sqlite3.Connection:
    """The writer's connection (one per file: the gateway holds the queue's lock).  WAL with
    ``synchronous=NORMAL``: a transaction is on disk when it commits, as far as a killed process
    goes; a power cut may lose the last ones (the history is a diary, the queue holds the mail)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=5000")
    db.executescript(TABLES)  # IF NOT EXISTS: a table or index added later appears in an older file
    if db.execute("PRAGMA user_version").fetchone()[0] < VERSION:
        db.execute(f"PRAGMA user_version={VERSION}")
    return db


def open_for_reading(path: Path) -> sqlite3.Connection | None:
    """A reader's connection, or None when there is no history yet (nothing recorded, or
    ``history.enabled`` false since the start).  Read-only: a search never changes the file."""
    if not path.exists():
        return None
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
    db.execute("PRAGMA busy_timeout=5000")
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not {"messages", "attempts", "refusals"} <= tables:  # the writer has made the file, not yet its tables
        db.close()
        return None
    db.row_factory = sqlite3.Row
    return db
