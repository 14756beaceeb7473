"""What the History tab writes out of a message's record: its timeline (the detail pane), the text
to paste into Microsoft 365's message trace, and the CSV file of a search.

Plain functions of the objects of ``history --json`` / ``history.detail``, in the window's
language; the CSV is written in the controller's thread (``write_csv``), never on the GUI's.
"""

from __future__ import annotations

import csv
import html
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.gui.history_model import shown_time, state_word
from app.gui.i18n import current, tr, tr_later
from app.mail.replies import explain

# Microsoft 365's message trace: the time Exchange Online received the message is after Tenso
# received it (a deferral, a retry) and its clock may differ by minutes; a query spans at most 10 days.
TRACE_BEFORE = timedelta(minutes=15)
TRACE_AFTER = timedelta(hours=1)
TRACE_MOST = timedelta(days=10)
TRACE_KEPT = timedelta(days=90)  # how far back Microsoft 365's message trace goes


def _when(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None


def utc_text(when: datetime) -> str:
    """As Exchange Online PowerShell takes a time in UTC whatever the computer's regional date
    format: ``2026-12-08 00:30:00Z``."""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _e(value: object) -> str:
    return html.escape(str(value))


def _advice_html(reply: str | None) -> str:
    advice = explain(reply, current()) if reply else None
    if advice is None:
        return ""
    lines = "<br>".join(_e(line) for line in advice.lines())
    return f"<div style='margin-left:16px; color:#4a4a4a'>→ {lines}</div>"


def _where(event: dict) -> str:
    parts = []
    if event.get("rule"):
        parts.append(tr("rule {0}").format(event["rule"]))
    parts += [event[k] for k in ("destination", "account") if event.get(k)]
    return ", ".join(str(p) for p in parts)


def _client(client: str, login: str | None, helo: str | None = None) -> str:
    """``192.0.2.10 (login device:mfp2f, HELO mfp2f.example.jp)``."""
    details = [tr("login {0}").format(login) if login else "", f"HELO {helo}" if helo else ""]
    said = ", ".join(d for d in details if d)
    return _e(f"{client} ({said})" if said else client)


# The clients of the messages Tenso makes itself (recorded with the login "tenso": app/history/summary.py).
OWN_MESSAGES = {
    "alert": tr_later("an alert or the daily summary, to alerts.email_to"),
    "bounce": tr_later("a bounce or delay warning to the sender of a message"),
    "forward.txt": tr_later("a copy by a local user's forward.txt"),
    "tenso": tr_later("a test message from the window"),
}


def _received_html(found: dict, event: dict) -> str:
    client, login = event.get("client") or found["client"], event.get("login") or found.get("login")
    when = f"<b>{_e(shown_time(event['time']))}</b>"
    if login == "tenso" and client in OWN_MESSAGES:
        return f"<p>{when}  {_e(tr('Made by Tenso itself: {0}').format(tr(OWN_MESSAGES[client])))}</p>"
    who = _client(client, login, event.get("helo"))
    return f"<p>{when}  {tr('Received from {0}').format(who)}</p>"


def _attempt_html(event: dict) -> str:
    head = tr("attempt {0} to {1}: {2}").format(
        event["attempt"], _e(f"<{event['address']}>"), state_word(event["state"])
    )
    where = _where(event)
    lines = [f"<b>{_e(shown_time(event['time']))}</b>  {head}" + (f" ({_e(where)})" if where else "")]
    if event.get("reply"):
        lines.append(f"<div style='margin-left:16px'><tt>{_e(event['reply'])}</tt></div>")
        lines.append(_advice_html(event["reply"]))
    if event.get("upstream_id"):
        their = tr("Their id for the message: {0}").format(_e(event["upstream_id"]))
        lines.append(f"<div style='margin-left:16px'>{their}</div>")
    if event.get("dsn"):
        lines.append(
            f"<div style='margin-left:16px'>{tr('Report sent to the sender: {0}').format(_e(event['dsn']))}</div>"
        )
    return "<p>" + "".join(lines) + "</p>"


def timeline_html(found: dict) -> str:
    """The detail pane: who sent it, from where, then each attempt with its reply, what the reply
    means (the known replies of app/mail/replies), the destination's id and the report sent.
    ``found``: ``history.detail``'s object, or a search's (a refusal has no timeline)."""
    out = []
    if found["id"] is None:
        refused = tr("Refused from {0}").format(_client(found["client"], found.get("login")))
        out.append(f"<p><b>{_e(shown_time(found['received']))}</b>  {refused}</p>")
        out.append(f"<p>{tr('Sender')}: {_e('<' + found['from'] + '>')}</p>")
        for r in found["recipients"]:
            out.append(f"<p>{_e('<' + r['address'] + '>')}: {state_word(r['state'])}")
            reply = f"<div style='margin-left:16px'><tt>{_e(r['reply'] or '')}</tt></div>"
            out.append(reply + _advice_html(r["reply"]) + "</p>")
        return "".join(out)
    facts = [
        (tr("Queue ID"), found["id"]),
        (tr("Sender"), f"<{found['from']}>"),
        (tr("From (header)"), found.get("header_from") or ""),
        (tr("Subject"), found.get("subject") or ""),
        ("Message-ID", found.get("message_id") or ""),
        (tr("Size"), tr("{0} bytes").format(f"{found['size']:,}") if found.get("size") is not None else ""),
    ]
    if found.get("attachments"):
        facts.append((tr("Attachments"), str(found["attachments"])))
    rows = "".join(f"<tr><td><b>{_e(k)}</b>&nbsp;&nbsp;</td><td>{_e(v)}</td></tr>" for k, v in facts if v)
    out.append(f"<table>{rows}</table>")
    timeline = found.get("timeline") or [{"time": found["received"], "event": "received"}]
    for event in timeline:
        out.append(_received_html(found, event) if event["event"] == "received" else _attempt_html(event))
    if len(timeline) == 1 and found["recipients"]:
        waiting = ", ".join(f"<{r['address']}>" for r in found["recipients"])
        out.append(f"<p>{_e(tr('No attempt yet for {0}.').format(waiting))}</p>")
    return "".join(out)


def _ps(value: str) -> str:
    """A PowerShell literal: single quotes, its own quotes doubled (no $ or ` is expanded)."""
    return "'" + value.replace("'", "''") + "'"


def trace_window(found: dict) -> tuple[datetime, datetime]:
    """From a little before Tenso received the message to an hour after its last attempt (UTC),
    never more than the 10 days one message trace query may span."""
    start = _when(found["received"])
    assert start is not None  # every message and refusal has its time
    tried = [t for t in (_when(r.get("last_attempt")) for r in found["recipients"]) if t]
    end = max([start, *tried]) + TRACE_AFTER
    start -= TRACE_BEFORE
    return max(start, end - TRACE_MOST).astimezone(UTC), end.astimezone(UTC)


def message_trace_text(found: dict) -> str:
    """What the administrator pastes into Microsoft 365's message trace (Exchange admin center)
    or into Exchange Online PowerShell, to follow the message past Tenso."""
    start, end = trace_window(found)
    recipients = [r["address"] for r in found["recipients"]]
    lines = [
        tr("Microsoft 365 message trace (Exchange admin center > Mail flow > Message trace)"),
        f"Message-ID: {found.get('message_id') or tr('(none)')}",
        f"{tr('Sender')}: {found['from']}",
        f"{tr('Recipients')}: {', '.join(recipients)}",
        f"{tr('Time (UTC)')}: {utc_text(start)} - {utc_text(end)}",
    ]
    if datetime.now(UTC) - end > TRACE_KEPT:
        lines.append(
            tr("Microsoft 365 keeps its message trace for 90 days: this message is older, it is no longer there.")
        )
    ids = sorted({r["upstream_id"] for r in found["recipients"] if r.get("upstream_id")})
    if ids:
        lines.append(f"{tr('Their id for the message')}: {', '.join(ids)}")
    command = ["Get-MessageTraceV2"]
    if found.get("message_id"):
        command += ["-MessageId", _ps(found["message_id"])]
    else:  # no Message-ID header: by the envelope
        command += ["-SenderAddress", _ps(found["from"]), "-RecipientAddress", ",".join(_ps(a) for a in recipients)]
    command += ["-StartDate", _ps(utc_text(start)), "-EndDate", _ps(utc_text(end))]
    lines += ["", tr("Exchange Online PowerShell (Connect-ExchangeOnline first):"), " ".join(command)]
    return "\n".join(lines) + "\n"


CSV_COLUMNS: tuple[tuple[str, Callable[[dict, dict], object]], ...] = (
    (tr_later("Received"), lambda m, r: shown_time(m["received"])),
    (tr_later("Queue ID"), lambda m, r: m["id"] or ""),
    (tr_later("Client"), lambda m, r: m["client"]),
    (tr_later("Login"), lambda m, r: m["login"] or ""),
    (tr_later("Sender"), lambda m, r: m["from"]),
    (tr_later("From (header)"), lambda m, r: m["header_from"] or ""),
    (tr_later("Subject"), lambda m, r: m["subject"] or ""),
    ("Message-ID", lambda m, r: m["message_id"] or ""),
    (tr_later("Size"), lambda m, r: "" if m["size"] is None else m["size"]),
    (tr_later("Recipient"), lambda m, r: r["address"]),
    (tr_later("State"), lambda m, r: state_word(r["state"])),
    (tr_later("Rule"), lambda m, r: r["rule"] or ""),
    (tr_later("Destination"), lambda m, r: r["destination"] or ""),
    (tr_later("Account"), lambda m, r: r["account"] or ""),
    (tr_later("Attempts"), lambda m, r: r["attempts"]),
    (tr_later("Last attempt"), lambda m, r: shown_time(r["last_attempt"])),
    (tr_later("Reply"), lambda m, r: r["reply"] or ""),
    (tr_later("Their id for the message"), lambda m, r: r["upstream_id"] or ""),
)


def csv_writer(path: Path) -> Callable[[Iterable[list[dict]]], None]:
    """Writes a search, given in parts, as CSV at ``path``, one line per recipient: UTF-8 with a
    byte order mark (Excel then reads Japanese right; without it, it guesses Shift_JIS), CRLF line
    ends.  The headers are translated now, on the GUI thread; the file is written by the caller's
    thread."""
    headers = [tr(name) for name, _ in CSV_COLUMNS]

    def write(parts: Iterable[list[dict]]) -> None:
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            rows = csv.writer(out)
            rows.writerow(headers)
            for found in parts:
                for m in found:
                    for r in m["recipients"]:
                        rows.writerow([value(m, r) for _, value in CSV_COLUMNS])

    return write
