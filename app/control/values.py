"""The control channel's JSON back into the engine's values: ``status`` as ``app.status.Status``,
``queue.list`` as the spool's ``QueuedMessage`` (what the window's tabs show, as the console of a
gateway that runs elsewhere: app/gui/console.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.settings import Settings
from app.status import MissingPassword, SignInNeeded, State, Status, TokenRefused, needed_passwords
from app.store.activity import DestinationStatus, Outcome
from app.store.spool import Envelope, QueuedMessage, Recipient, RecipientState

ISO = "%Y-%m-%dT%H:%M:%S%z"  # app.status.iso_time


def from_iso(iso: str | None) -> float | None:
    if not iso:
        return None
    try:
        return datetime.strptime(iso, ISO).timestamp()
    except ValueError:
        return datetime.fromisoformat(iso).timestamp()


def status_from_json(data: dict[str, Any], settings: Settings) -> Status:
    """``status``'s answer as the Status tab's ``Status`` (the missing passwords worded from the
    running settings, as the window words its own)."""
    needed = {m.key: m for m in needed_passwords(settings)}
    missing = [
        needed.get(m["key"]) or MissingPassword(m["key"], m.get("account", ""), "", secret=bool(m.get("secret")))
        for m in data.get("missing_passwords", [])
    ]
    queue = data.get("queue", {})
    return Status(
        state=State(data.get("state", State.RUNNING)),
        listening=list(data.get("listening", [])),
        today={Outcome(k): int(v) for k, v in data.get("today", {}).items() if k in Outcome.__members__.values()},
        queue_messages=int(queue.get("messages", 0)),
        queue_recipients=int(queue.get("recipients", 0)),
        oldest=from_iso(queue.get("oldest")),
        destinations=[
            DestinationStatus(
                d["name"],
                from_iso(d.get("last_success")),
                from_iso(d.get("last_failure")),
                d.get("last_reply") or "",
                1 if d.get("failing") else 0,
            )
            for d in data.get("destinations", [])
        ],
        missing_passwords=missing,
        hours=[
            (int(from_iso(h["start"]) or 0), {o: int(h.get(o.value, 0)) for o in Outcome})
            for h in data.get("hours", [])
        ],
        password_problem=data.get("password_problem") or "",
        sign_in_needed=[SignInNeeded(n["account"], n.get("why") or "") for n in data.get("sign_in_needed", [])],
        token_refused=[TokenRefused(t["account"], t.get("why") or "") for t in data.get("token_refused", [])],
        day_limits=[(d["account"], from_iso(d.get("until")) or 0.0) for d in data.get("day_limits", [])],
    )


def messages_from_json(rows: list[dict[str, Any]]) -> list[QueuedMessage]:
    """``queue.list``'s answer as the Queue tab's messages."""
    messages = []
    for row in rows:
        recipients = [
            Recipient(
                r["address"],
                RecipientState(r["state"]) if r["state"] in RecipientState.__members__.values() else r["state"],
                int(r.get("attempts", 0)),
                from_iso(r.get("next_try")) or 0.0,
                r.get("reply") or "",
            )
            for r in row.get("recipients", [])
        ]
        envelope = Envelope(
            row["sender"], [r.address for r in recipients], received_at=from_iso(row.get("received")) or 0
        )
        messages.append(QueuedMessage(row["id"], envelope, recipients, int(row.get("size", 0))))
    return messages
