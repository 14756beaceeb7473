"""What is wrong now, found from what the gateway already keeps: each destination's last success
and failure (store/activity.py), the accounts the Status tab names (app/status.py), the oldest
message of the queue, the queue's disk.  Blocking (the queue, the keyring, the disk): the watcher
calls ``find`` in a thread.

The words say what happened and what to do, in English and in Japanese; the details are the
webhook's ``details`` (and the mail's last lines).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from app import status
from app.alerts.events import Condition, Event
from app.settings import Settings
from app.store.activity import DestinationStatus
from app.store.spool import WAITING, OwnClient, Spool

# disk_low: the queue's disk has less than this free, or less than this share of it.  A scanner's
# day of mail is some hundred MB; below 1 GiB a few large messages can fill it and Tenso must then
# refuse mail with 452 (insufficient storage).  5 % keeps a warning ahead on a small disk too.
DISK_LOW_BYTES = 1 << 30
DISK_LOW_SHARE = 0.05
STUCK_FACTOR = 4  # queue_stuck: the oldest message waits after_minutes × this


def clock_text(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(t))


def iso(t: float) -> str | None:
    return status.iso_time(t)


def destinations(found: list[DestinationStatus], now: float, after_minutes: int) -> list[Condition]:
    """A destination whose temporary failures have gone on for ``after_minutes`` with no success."""
    conditions = []
    for d in found:
        since = d.failing_since if d.failing_since is not None else d.last_failure
        if not d.failing or since is None or now - since < after_minutes * 60:
            continue
        minutes = int((now - since) // 60)
        reply = d.last_reply or "no reply"
        conditions.append(
            Condition(
                key=f"{Event.DESTINATION_FAILING}:{d.name}",
                event=Event.DESTINATION_FAILING,
                text=(
                    f"the destination {d.name} has failed for {minutes} minutes (since {clock_text(since)}); "
                    f"the mail waits in the queue and is retried. Last reply: {reply}. Check that server "
                    "and the way to it (network, password, account), or the Status tab."
                ),
                text_ja=(
                    f"送信先 {d.name} への送信が {minutes} 分間失敗しています（{clock_text(since)} から）。"
                    f"メールはキューで待機し、再送されます。最後の応答: {reply}。"
                    "そのサーバーと経路（ネットワーク、パスワード、アカウント）、または「状態」タブを確認してください。"
                ),
                since=since,
                details={
                    "destination": d.name,
                    "since": iso(since),
                    "failures": d.failures,
                    "last_reply": d.last_reply,
                },
            )
        )
    return conditions


def accounts(settings: Settings, now: float) -> list[Condition]:
    """OAuth 2.0 accounts that must sign in again or whose token requests are refused, and secrets
    or certificates expiring within 14 days: what the Status tab shows, the same functions."""
    conditions = []
    for n in status.sign_ins_needed(settings):
        why = n.why or "never signed in"
        conditions.append(
            Condition(
                key=f"{Event.ACCOUNT_SIGN_IN}:{n.account}",
                event=Event.ACCOUNT_SIGN_IN,
                text=(
                    f"the account {n.account} must sign in again ({why}); its mail waits. Sign it in on the "
                    f"Accounts page, or with: python -m app account login {n.account}"
                ),
                text_ja=(
                    f"アカウント {n.account} の再サインインが必要です（{why}）。そのメールは待機中です。"
                    f"アカウントの画面でサインインするか、python -m app account login {n.account} を実行してください。"
                ),
                since=now,
                details={"account": n.account, "why": n.why or None},
            )
        )
    for t in status.tokens_refused(settings):
        conditions.append(
            Condition(
                key=f"{Event.ACCOUNT_SIGN_IN}:{t.account}",
                event=Event.ACCOUNT_SIGN_IN,
                text=(
                    f"the token requests of the account {t.account} are refused ({t.why}); its mail waits and "
                    "each attempt asks again. Check the client secret or certificate and the app's permissions."
                ),
                text_ja=(
                    f"アカウント {t.account} のトークン要求が拒否されています（{t.why}）。メールは待機し、"
                    "送信のたびに再要求します。"
                    "クライアント シークレットまたは証明書と、アプリのアクセス許可を確認してください。"
                ),
                since=now,
                details={"account": t.account, "why": t.why},
            )
        )
    for e in status.expiring(settings):
        what_ja = "クライアント シークレット" if e.what == "client secret" else "証明書"
        if e.days_left < 0:
            when, when_ja = f"expired on {e.day}", f"{e.day} に期限切れになりました"
        else:
            when, when_ja = (
                f"expires on {e.day} ({e.days_left} days left)",
                f"{e.day} に期限切れになります（残り {e.days_left} 日）",
            )
        conditions.append(
            Condition(
                key=f"{Event.SECRET_EXPIRING}:{e.account}:{e.what}",
                event=Event.SECRET_EXPIRING,
                text=f"the {e.what} of the account {e.account} {when}. {e.text}",
                text_ja=(
                    f"アカウント {e.account} の{what_ja}が{when_ja}。期限の前に新しいものを作成して登録してください。"
                ),
                since=now,
                details={"account": e.account, "what": e.what, "date": e.day, "days_left": e.days_left},
            )
        )
    return conditions


def oldest_waiting(spool: Spool) -> tuple[str, float] | None:
    """The oldest message with a recipient still waiting, and when it came (alert mails aside).
    Queue ids sort by arrival, so this reads the first envelopes only, not the whole queue."""
    for qid in spool.ids():
        try:
            message = spool.load(qid)
        except (FileNotFoundError, ValueError):
            continue
        if message.envelope.client == OwnClient.ALERT:
            continue  # an alert mail that waits is not an alert of its own (nor a loop of them)
        if any(r.state in WAITING for r in message.recipients):
            return qid, message.envelope.received_at
    return None


def queue_stuck(spool: Spool, now: float, after_minutes: int) -> list[Condition]:
    found = oldest_waiting(spool)
    if found is None:
        return []
    qid, received = found
    if now - received < after_minutes * 60 * STUCK_FACTOR:
        return []
    hours = (now - received) / 3600
    return [
        Condition(
            key=str(Event.QUEUE_STUCK),
            event=Event.QUEUE_STUCK,
            text=(
                f"the oldest message in the queue ({qid}) has waited {hours:.1f} hours (since "
                f"{clock_text(received)}); see the Queue tab for why it is not delivered."
            ),
            text_ja=(
                f"キューの最も古いメール（{qid}）が {hours:.1f} 時間送信されずに待っています"
                f"（{clock_text(received)} から）。"
                "理由は「キュー」タブで確認してください。"
            ),
            since=received,
            details={"queue_id": qid, "received": iso(received)},
        )
    ]


def disk_low(folder: Path, now: float) -> list[Condition]:
    try:
        usage = shutil.disk_usage(folder)
    except OSError:
        return []
    if usage.free >= DISK_LOW_BYTES and usage.free >= usage.total * DISK_LOW_SHARE:
        return []
    free_mb = usage.free // (1 << 20)
    return [
        Condition(
            key=str(Event.DISK_LOW),
            event=Event.DISK_LOW,
            text=(
                f"the disk of the queue {folder} is nearly full: {free_mb} MB free. When it is full Tenso "
                "must refuse mail; free some space (old backups, logs) or move queue.dir to a larger disk."
            ),
            text_ja=(
                f"キュー {folder} のディスクの空きが残りわずかです（空き {free_mb} MB）。"
                "満杯になるとメールを受け付けられません。"
                "古いバックアップやログを削除するか、queue.dir を大きいディスクに移してください。"
            ),
            since=now,
            details={"folder": str(folder), "free_bytes": usage.free, "total_bytes": usage.total},
        )
    ]


def find(settings: Settings, found: list[DestinationStatus], spool: Spool, now: float) -> list[Condition]:
    """Everything wrong now (blocking: call it in a thread)."""
    after = settings.alerts.after_minutes
    return [
        *destinations(found, now, after),
        *accounts(settings, now),
        *queue_stuck(spool, now, after),
        *disk_low(spool.root, now),
    ]


def engine_stopped(started: float, alive: float, now: float) -> Condition:
    """The gateway that ran before this one ended without a stop; ``alive``: its last sign of life."""
    last = clock_text(alive) if alive else "unknown"
    return Condition(
        key=str(Event.ENGINE_STOPPED),
        event=Event.ENGINE_STOPPED,
        text=(
            f"Tenso ended without being stopped (last seen running at {last}), and started again at "
            f"{clock_text(now)}. Mail it had accepted is in the queue and is delivered now; look in the log "
            "and the Windows event log for why it ended (a crash, a kill, the power)."
        ),
        text_ja=(
            f"Tenso が停止操作なしに終了していました（最後に動作を確認: {last}）。"
            f"{clock_text(now)} に再び起動しました。"
            "受け付け済みのメールはキューにあり、これから送信されます。終了の原因（異常終了、強制終了、電源）を"
            "ログと Windows のイベント ログで確認してください。"
        ),
        since=alive or now,
        details={"last_alive": iso(alive) if alive else None, "previous_start": iso(started) if started else None},
        once=True,
    )


def test(now: float) -> Condition:
    return Condition(
        key=str(Event.TEST),
        event=Event.TEST,
        text="this is a test alert from the window's Send a test alert; nothing is wrong.",
        text_ja="これは「テスト通知を送信」によるテストの通知です。問題は起きていません。",
        since=now,
        details={},
        once=True,
    )
