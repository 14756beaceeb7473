"""Searching the history: ``search`` (the list, newest first, a page at a time), ``detail``
(one message's timeline) and ``day`` (a period's counts and bounces, for the daily summary).
Used by ``python -m app history``, the control channel's ``history``, the window's History tab
and the alerts' daily summary; plain data in, plain data out (the objects of ``history --json``),
nothing of the command line.  Blocking (SQLite): call it in a thread.

A search with no ``state`` lists the messages and the refusals together; ``state`` ``refused``
only the refusals; any other state the messages with a recipient in it.  Text filters match
a part of the value, without case for ASCII letters (``--from scanner@`` finds every scanner).
"""

from __future__ import annotations

import heapq
import itertools
import json
import re
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from app.history.records import State
from app.history.schema import open_for_reading

DEFAULT_LIMIT = 50
_WHOLE_ADDRESS = re.compile(r"^\s*[^@\s%_]+@[^@\s%_]+\.[^@\s%_.]+\s*$")
_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
# Ids per IN (...) list: SQLite's default limit of bound values is 32766 (Python on Windows), and a
# page far down a long search (the window's "more", its CSV export) asks for more messages than that.
_IDS_PER_QUERY = 500


@dataclass(frozen=True)
class Filters:
    """What to look for; every field left empty matches everything."""

    since: float | None = None  # epoch seconds, received at or after
    until: float | None = None  # received at or before
    sender: str = ""  # ``--from``: a part of the envelope sender or of the header From
    recipient: str = ""  # ``--to``: a part of a recipient's address
    subject: str = ""  # a part of the decoded Subject
    message_id: str = ""  # the Message-ID, with or without its <>
    state: State | None = None  # messages with a recipient in this state; REFUSED: the refusals


def parse_when(text: str, now: float | None = None) -> float:
    """``--since`` / ``--until``: ISO 8601 (``2026-12-08``, ``2026-12-08T09:30``, with or without
    an offset; without one, local time), or a time ago (``90m``, ``2h``, ``3d``, ``1w``).
    ValueError, saying what is accepted, for anything else."""
    match = _RELATIVE.match(text)
    if match:
        return (time.time() if now is None else now) - float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is not a time: write it as 2026-12-08, 2026-12-08T09:30 (ISO 8601), or as a time ago: 2h, 3d"
        ) from None
    return when.timestamp()  # naive: local time, as the administrator reads the clock


def filters_from(data: dict) -> Filters:
    """Filters from a JSON object with the option names of ``history`` (``since``, ``until``,
    ``from``, ``to``, ``subject``, ``message_id``, ``state``): for the control channel.
    ``since`` / ``until`` may be epoch seconds or text for ``parse_when``.  ValueError when one
    is not understood."""

    def when(key: str) -> float | None:
        value = data.get(key)
        if value in (None, ""):
            return None
        return float(value) if isinstance(value, (int, float)) else parse_when(str(value))

    state = data.get("state") or None
    try:
        chosen = State(state) if state else None
    except ValueError:
        raise ValueError(f"state {state!r}: choose one of {', '.join(s.value for s in State)}") from None
    return Filters(
        since=when("since"),
        until=when("until"),
        sender=str(data.get("from") or ""),
        recipient=str(data.get("to") or ""),
        subject=str(data.get("subject") or ""),
        message_id=str(data.get("message_id") or ""),
        state=chosen,
    )


def iso_time(t: float | None) -> str | None:
    """As ``status --json`` and ``queue list --json`` write times: ISO 8601 as RFC 3339 has it: local, to the second,
    the offset with its colon (2026-12-08T09:31:00+09:00)."""
    return None if t is None else datetime.fromtimestamp(t).astimezone().isoformat(timespec="seconds")


def _like(text: str) -> str:
    """A LIKE pattern for ``text`` anywhere in the value (its own % and _ taken literally)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _message_ids(text: str) -> list[str]:
    bare = text.strip().strip("<>").strip()
    return [f"<{bare}>", bare]


def _message_query(filters: Filters, limit: int) -> tuple[str, list]:
    where: list[str] = []
    args: list = []
    if filters.since is not None:
        where.append("m.received >= ?")
        args.append(filters.since)
    if filters.until is not None:
        where.append("m.received <= ?")
        args.append(filters.until)
    if filters.sender:
        where.append("(m.sender LIKE ? ESCAPE '\\' OR m.header_from LIKE ? ESCAPE '\\')")
        args += [_like(filters.sender)] * 2
    if filters.subject:
        where.append("m.subject LIKE ? ESCAPE '\\'")
        args.append(_like(filters.subject))
    if filters.message_id:
        where.append("m.message_id IN (?, ?)")
        args += _message_ids(filters.message_id)
    if filters.recipient:
        # One pass over the recipients' address index (a LIKE with a leading % reads it all),
        # or straight to the address when a whole one is given.
        if _WHOLE_ADDRESS.match(filters.recipient):
            where.append("m.id IN (SELECT qid FROM recipients WHERE address = ? COLLATE NOCASE)")
            args.append(filters.recipient.strip())
        else:
            where.append("m.id IN (SELECT qid FROM recipients WHERE address LIKE ? ESCAPE '\\')")
            args.append(_like(filters.recipient))
    if filters.state is not None:
        where.append("EXISTS (SELECT 1 FROM recipients r WHERE r.qid = m.id AND r.state = ?)")
        args.append(filters.state.value)
    sql = "SELECT * FROM messages m"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return sql + " ORDER BY m.received DESC, m.id DESC LIMIT ?", [*args, limit]


def _refusal_query(filters: Filters, limit: int) -> tuple[str, list] | None:
    if filters.subject or filters.message_id:
        return None  # a refusal has neither
    where: list[str] = []
    args: list = []
    if filters.since is not None:
        where.append("time >= ?")
        args.append(filters.since)
    if filters.until is not None:
        where.append("time <= ?")
        args.append(filters.until)
    if filters.sender:
        where.append("sender LIKE ? ESCAPE '\\'")
        args.append(_like(filters.sender))
    if filters.recipient:
        where.append("recipients LIKE ? ESCAPE '\\'")
        args.append(_like(filters.recipient))
    sql = "SELECT * FROM refusals"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return sql + " ORDER BY time DESC, key DESC LIMIT ?", [*args, limit]


def _recipient(row: sqlite3.Row) -> dict:
    return {
        "address": row["address"],
        "state": row["state"],
        "rule": row["rule"],
        "destination": row["destination"] or None,
        "account": row["account"] or None,
        "reply": row["reply"] or None,
        "attempts": row["attempts"],
        "last_attempt": iso_time(row["last_attempt"]),
        "upstream_id": row["upstream_id"],
    }


def _message(row: sqlite3.Row, recipients: list[dict]) -> dict:
    return {
        "id": row["id"],
        "received": iso_time(row["received"]),
        "client": row["client"],
        "login": row["login"] or None,
        "from": row["sender"],
        "header_from": row["header_from"] or None,
        "subject": row["subject"] or None,
        "message_id": row["message_id"] or None,
        "size": row["size"],
        "recipients": recipients,
    }


def _refusal(row: sqlite3.Row) -> dict:
    return {
        "id": None,
        "received": iso_time(row["time"]),
        "client": row["client"],
        "login": row["login"] or None,
        "from": row["sender"],
        "header_from": None,
        "subject": None,
        "message_id": None,
        "size": None,
        "recipients": [
            {
                "address": address,
                "state": State.REFUSED.value,
                "rule": None,
                "destination": None,
                "account": None,
                "reply": row["reply"],
                "attempts": 0,
                "last_attempt": None,
                "upstream_id": None,
            }
            for address in json.loads(row["recipients"])
        ],
    }


def _recipients_of(db: sqlite3.Connection, ids: list[str]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {qid: [] for qid in ids}
    if not ids:
        return found
    for start in range(0, len(ids), _IDS_PER_QUERY):
        chunk = ids[start : start + _IDS_PER_QUERY]
        marks = ",".join("?" * len(chunk))
        rows = db.execute(f"SELECT * FROM recipients WHERE qid IN ({marks}) ORDER BY qid, position, address", chunk)
        for row in rows:
            found[row["qid"]].append(_recipient(row))
    return found


def search(db_path: Path, filters: Filters, limit: int = DEFAULT_LIMIT, offset: int = 0) -> list[dict]:
    """The messages (and refusals) that match, newest first: ``limit`` of them after the first
    ``offset`` (the window's pages).  [] when there is no history file yet."""
    db = open_for_reading(db_path)
    if db is None or limit <= 0:
        return []
    try:
        wanted = offset + limit
        rows: list[tuple[float, str, sqlite3.Row]] = []  # (time, tie-break, row), newest first
        if filters.state != State.REFUSED:
            sql, args = _message_query(filters, wanted)
            rows = [(row["received"], row["id"], row) for row in db.execute(sql, args)]
        refusals = _refusal_query(filters, wanted) if filters.state in (None, State.REFUSED) else None
        if refusals is not None:
            others = [(row["time"], row["key"], row) for row in db.execute(*refusals)]
            rows = list(heapq.merge(rows, others, key=lambda item: (item[0], item[1]), reverse=True))
        page = [row for _, _, row in rows[offset:wanted]]
        messages = [row for row in page if "id" in row.keys()]
        recipients = _recipients_of(db, [row["id"] for row in messages])  # the page's only
        return [_message(row, recipients[row["id"]]) if "id" in row.keys() else _refusal(row) for row in page]
    finally:
        db.close()


def pages(db_path: Path, filters: Filters, size: int = 5000) -> Iterator[list[dict]]:
    """Every message (and refusal) that matches, newest first, ``size`` at a time: a whole search
    read once, through one connection (the window's CSV export).  The memory held is that of one
    page, never of the whole search (100,000 objects alive at once made Python's collector hold
    every thread, the window's too, for a third of a second).  Nothing when there is no file."""
    db = open_for_reading(db_path)
    if db is None:
        return
    try:
        streams: list[Iterator[tuple[float, str, sqlite3.Row]]] = []
        if filters.state != State.REFUSED:
            sql, args = _message_query(filters, -1)  # LIMIT -1: none
            streams.append((row["received"], row["id"], row) for row in db.execute(sql, args))
        refusals = _refusal_query(filters, -1) if filters.state in (None, State.REFUSED) else None
        if refusals is not None:
            streams.append((row["time"], row["key"], row) for row in db.execute(*refusals))
        merged = heapq.merge(*streams, key=lambda item: (item[0], item[1]), reverse=True)
        while page := [row for _, _, row in itertools.islice(merged, size)]:
            messages = [row for row in page if "id" in row.keys()]
            recipients = _recipients_of(db, [row["id"] for row in messages])
            yield [_message(row, recipients[row["id"]]) if "id" in row.keys() else _refusal(row) for row in page]
    finally:
        db.close()


def detail(db_path: Path, qid: str) -> dict | None:
    """One message's whole story: the object ``search`` gives, with its ``attachments`` and
    ``helo``, and ``timeline``: its arrival, then every attempt of every recipient in order
    (``{"time", "event": "received", "client", "login", "helo"}``, ``{"time", "event":
    "attempt", "address", "attempt", "state", "rule", "destination", "account", "reply",
    "upstream_id", "dsn"}``).  None when the history has no such message."""
    db = open_for_reading(db_path)
    if db is None:
        return None
    try:
        row = db.execute("SELECT * FROM messages WHERE id = ?", (qid,)).fetchone()
        if row is None:
            return None
        found = _message(row, _recipients_of(db, [qid])[qid])
        found["attachments"] = row["attachments"]
        found["helo"] = row["helo"] or None
        timeline: list[dict] = [
            {
                "time": iso_time(row["received"]),
                "event": "received",
                "client": row["client"],
                "login": row["login"] or None,
                "helo": row["helo"] or None,
            }
        ]
        for a in db.execute("SELECT * FROM attempts WHERE qid = ? ORDER BY time, attempt, recipient", (qid,)):
            timeline.append(
                {
                    "time": iso_time(a["time"]),
                    "event": "attempt",
                    "address": a["recipient"],
                    "attempt": a["attempt"],
                    "state": a["state"],
                    "rule": a["rule"],
                    "destination": a["destination"] or None,
                    "account": a["account"] or None,
                    "reply": a["reply"],
                    "upstream_id": a["upstream_id"],
                    "dsn": a["dsn"] or None,
                }
            )
        found["timeline"] = timeline
        return found
    finally:
        db.close()


@dataclass(frozen=True)
class Bounced:
    """A recipient that failed for good, as the daily summary lists it."""

    qid: str
    time: float
    sender: str
    recipient: str
    subject: str
    reply: str


@dataclass(frozen=True)
class Day:
    """What the history says of one period (the daily summary's yesterday)."""

    sent: int  # recipient attempts a destination server took
    delivered: int  # put in a local mailbox (or forwarded on by forward.txt)
    bounced: int  # recipients that failed for good
    refused: int  # refusals at RCPT or DATA (nothing was queued)
    bounces: list[Bounced]  # the first ``listed`` of the bounced, oldest first


def day(db_path: Path, start: float, end: float, listed: int = 50) -> Day | None:
    """The counts of the attempts and refusals made from ``start`` to before ``end``, and the
    bounced recipients with their message's sender and subject; None when there is no history
    file.  One pass over the attempts (no index on their time: the summary asks once a day)."""
    db = open_for_reading(db_path)
    if db is None:
        return None
    try:
        counts = dict(
            db.execute(
                "SELECT state, COUNT(*) FROM attempts WHERE time >= ? AND time < ? GROUP BY state", (start, end)
            ).fetchall()
        )
        refused = db.execute("SELECT COUNT(*) FROM refusals WHERE time >= ? AND time < ?", (start, end)).fetchone()[0]
        rows = db.execute(
            "SELECT a.qid, a.time, a.recipient, a.reply, m.sender, m.subject FROM attempts a "
            "LEFT JOIN messages m ON m.id = a.qid WHERE a.time >= ? AND a.time < ? AND a.state = ? "
            "ORDER BY a.time, a.qid, a.recipient LIMIT ?",
            (start, end, State.BOUNCED.value, max(listed, 0)),
        ).fetchall()
        bounces = [
            Bounced(r["qid"], r["time"], r["sender"] or "", r["recipient"], r["subject"] or "", r["reply"])
            for r in rows
        ]
        return Day(
            sent=counts.get(State.SENT.value, 0),
            delivered=counts.get(State.DELIVERED.value, 0),
            bounced=counts.get(State.BOUNCED.value, 0),
            refused=refused,
            bounces=bounces,
        )
    finally:
        db.close()
