"""The daily summary (``alerts.summary_hour``, off by default): yesterday's counts, what bounced,
what is still queued and why, mailed to ``alerts.email_to`` once a day at the set local hour.

``build`` puts its content together from plain values, in one place: today the bounces come from
the log's bounce lines the watcher keeps (state.py); a history database can feed the same.
``due`` says whether the day's summary is to be sent now; the day sent is kept in alerts.json,
so a restart after the hour does not send a second one.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass

from app.store.activity import Outcome

QUEUED_LISTED = 50  # more waiting recipients are said as a number


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
    Outcome.REFUSED: ("refused at RCPT", "受信拒否"),
}


def build(
    day: str,
    counts: dict[Outcome, int],
    bounces: list[str],
    bounces_more: int,
    waiting: list[Waiting],
    hostname: str,
) -> tuple[str, str]:
    """The summary's subject and text, English then Japanese."""
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
