"""The daily summary (``alerts.summary_hour``, off by default): yesterday's counts, what bounced,
what is still queued and why, mailed to ``alerts.email_to`` once a day at the set local hour.

``build`` puts its content together from plain values, in one place.  With the history on
(``history.enabled``, the default) yesterday's sent, delivered, bounced and refused counts and the
bounced recipients (sender, recipient, subject, reply) come from the history file
(app/history/query.py ``day``); with it off, from the status counts and the log's bounce lines the
watcher keeps (state.py), which have no subject.
``due`` says whether the day's summary is to be sent now; the day sent is kept in alerts.json,
so a restart after the hour does not send a second one.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass

from app.history.query import Bounced, Day
from app.store.activity import Outcome

QUEUED_LISTED = 50  # more waiting recipients are said as a number
BOUNCES_LISTED = 50  # from the history: more bounced recipients are said as a number


@dataclass(frozen=True)
class Waiting:
    qid: str
    received: float
    sender: str
    recipient: str
    attempts: int
    reply: str  # the last reply, why it waits ("" before the first attempt)


def day_of(t: float) -> str:
    return time.strftime("%Y-%m-%d", time.localtime(t))


def due(now: float, hour: int, last_day: str) -> bool:
    """At or after ``hour`` (local) today, and not sent today; ``hour`` -1: never."""
    if hour < 0:
        return False
    return time.localtime(now).tm_hour >= hour and day_of(now) != last_day


def yesterday(now: float) -> tuple[float, float]:
    """Local midnight to midnight of the day before ``now`` (as epoch seconds)."""
    today = datetime.datetime.fromtimestamp(now).date()
    start = datetime.datetime.combine(today - datetime.timedelta(days=1), datetime.time())
    end = datetime.datetime.combine(today, datetime.time())
    return start.timestamp(), end.timestamp()


COUNT_WORDS = {
    Outcome.RECEIVED: ("received", "受信"),
    Outcome.RELAYED: ("sent on", "転送"),
    Outcome.LOCAL: ("to local mailboxes", "ローカル配送"),
    Outcome.DEFERRED: ("deferred (retried)", "再送待ち"),
    Outcome.BOUNCED: ("bounced", "返送（エラー）"),
    Outcome.REFUSED: ("refused (never queued)", "受信拒否"),
}


def with_history(counts: dict[Outcome, int], found: Day) -> dict[Outcome, int]:
    """The status counts with what the history counted instead: sent on, to local mailboxes,
    bounced, refused (at RCPT or DATA: the status counts only the relay policy's refusals)."""
    return {
        **counts,
        Outcome.RELAYED: found.sent,
        Outcome.LOCAL: found.delivered,
        Outcome.BOUNCED: found.bounced,
        Outcome.REFUSED: found.refused,
    }


def bounce_line(b: Bounced) -> str:
    """One bounced recipient, as the summary lists it (the same line in both languages)."""
    when = time.strftime("%H:%M", time.localtime(b.time))
    subject = f' "{b.subject}"' if b.subject else ""
    return f"{when} {b.qid} <{b.sender}> to <{b.recipient}>{subject}: {b.reply}"


def build(
    day: str,
    counts: dict[Outcome, int],
    bounces: list[str],
    bounces_more: int,
    waiting: list[Waiting],
    hostname: str,
    from_history: bool = False,
) -> tuple[str, str]:
    """The summary's subject and text, English then Japanese; ``from_history``: the bounces
    were read from the history (the rest of them is found there, not in the log)."""
    bounced = counts.get(Outcome.BOUNCED, 0)
    received = counts.get(Outcome.RECEIVED, 0)
    subject = (
        f"Tenso daily summary {day}: {received} received, {bounced} bounced, {len(waiting)} waiting / 日次レポート"
    )
    en = [f"Tenso on {hostname}: the day {day}", ""]
    ja = [f"{hostname} の Tenso: {day} の集計", ""]
    for outcome, (word, word_ja) in COUNT_WORDS.items():
        en.append(f"  {word}: {counts.get(outcome, 0)}")
        ja.append(f"  {word_ja}: {counts.get(outcome, 0)}")
    en += ["", f"Bounced ({len(bounces) + bounces_more}):"]
    ja += ["", f"返送されたメール（{len(bounces) + bounces_more} 件）:"]
    if not bounces and not bounces_more:
        en.append("  none")
        ja.append("  なし")
    for line in bounces:
        en.append(f"  {line}")
        ja.append(f"  {line}")
    if bounces_more:
        if from_history:
            en.append(f"  and {bounces_more} more (the History tab lists them: state bounced)")
            ja.append(f"  ほか {bounces_more} 件（「履歴」タブで状態「返送済み」を検索してください）")
        else:
            en.append(f"  and {bounces_more} more (see the log)")
            ja.append(f"  ほか {bounces_more} 件（ログを参照）")
    en += ["", f"Still in the queue now ({len(waiting)} recipient(s)):"]
    ja += ["", f"現在キューで待機中（{len(waiting)} 宛先）:"]
    if not waiting:
        en.append("  none")
        ja.append("  なし")
    for w in waiting[:QUEUED_LISTED]:
        since = time.strftime("%m-%d %H:%M", time.localtime(w.received))
        why = w.reply or "not tried yet"
        why_ja = w.reply or "未送信"
        en.append(f"  {w.qid} since {since} <{w.sender}> to <{w.recipient}>, {w.attempts} attempt(s): {why}")
        ja.append(f"  {w.qid} {since} から <{w.sender}> → <{w.recipient}>、{w.attempts} 回試行: {why_ja}")
    if len(waiting) > QUEUED_LISTED:
        en.append(f"  and {len(waiting) - QUEUED_LISTED} more (the Queue tab lists them)")
        ja.append(f"  ほか {len(waiting) - QUEUED_LISTED} 件（「キュー」タブに一覧があります）")
    return subject, "\n".join(en + ["", "----", ""] + ja) + "\n"
