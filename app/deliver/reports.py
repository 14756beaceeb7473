"""Messages Tenso writes itself: delivery status notifications and subject-only notices.

Bounces follow RFC 3464: ``multipart/report`` with a human-readable part, a
``message/delivery-status`` part (one block per recipient: Final-Recipient,
Action, Status, Diagnostic-Code) and the original headers as
``text/rfc822-headers``.  They are sent from the null sender ``<>`` so that a
bounce can never cause another bounce.
"""

from __future__ import annotations

import re
import secrets
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import formatdate, make_msgid
from enum import StrEnum

from app.mail.replies import status_of
from app.store.spool import QueuedMessage, Recipient

_HEADER_END = re.compile(rb"\r?\n\r?\n")


def original_headers(content: bytes) -> bytes:
    end = _HEADER_END.search(content)
    return content[: end.start()] + b"\r\n" if end else content


def subject_of(content: bytes) -> str:
    headers = BytesHeaderParser(policy=policy.compat32).parsebytes(original_headers(content))
    raw = headers.get("Subject", "")
    try:
        return str(make_header(decode_header(str(raw))))
    except (UnicodeError, LookupError, ValueError):
        return str(raw)


def _crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8", "surrogateescape")


class Action(StrEnum):
    """What a report says became of its recipients (its ``Action:`` field)."""

    FAILED = "failed"  # a bounce
    DELAYED = "delayed"  # a delay warning: still being retried


def delivery_status(
    hostname: str, message: QueuedMessage, recipients: list[Recipient], content: bytes, action: Action = Action.FAILED
) -> bytes:
    """The RFC 3464 report for ``recipients`` of ``message``."""
    boundary = f"=_tenso_{secrets.token_hex(12)}"
    failed = action == Action.FAILED
    if failed:
        intro = (
            "This is the mail gateway at {host}.\n\n"
            "Your message could not be delivered to the recipients below.\n"
            "The reasons given by the receiving servers follow each address.\n\n"
            "メールを以下の宛先に配送できませんでした。\n"
        )
        subject = "Undelivered Mail Returned to Sender"
    else:
        intro = (
            "This is the mail gateway at {host}.\n\n"
            "Your message has not been delivered yet to the recipients below.\n"
            "Tenso keeps trying; you do not need to send it again.\n\n"
            "メールの配送が遅れています (再送を続けています)。\n"
        )
        subject = "Delayed Mail (still being retried)"
    lines = [intro.format(host=hostname)]
    for r in recipients:
        lines.append(f"<{r.address}>: {r.reply}")
    human = "\n".join(lines) + "\n"
    arrival = formatdate(message.envelope.received_at, localtime=True)
    status = [f"Reporting-MTA: dns; {hostname}", f"X-Tenso-Queue-ID: {message.id}", f"Arrival-Date: {arrival}", ""]
    for r in recipients:
        status += [
            f"Final-Recipient: rfc822; {r.address}",
            f"Action: {action}",
            f"Status: {status_of(r.reply)}",
            f"Diagnostic-Code: smtp; {r.reply}",
        ]
        if r.updated:
            status.append(f"Last-Attempt-Date: {formatdate(r.updated, localtime=True)}")
        status.append("")
    head = (
        f"From: Mail Delivery System <MAILER-DAEMON@{hostname}>\n"
        f"To: <{message.sender}>\n"
        f"Subject: {subject}\n"
        f"Date: {formatdate(localtime=True)}\n"
        f"Message-ID: {make_msgid(domain=hostname)}\n"
        "Auto-Submitted: auto-replied\n"
        "MIME-Version: 1.0\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\n'
        "\n"
        "This is a MIME-encapsulated delivery status notification.\n\n"
        f"--{boundary}\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n\n"
        f"{human}\n"
        f"--{boundary}\n"
        "Content-Type: message/delivery-status\n\n" + "\n".join(status) + f"\n--{boundary}\n"
        "Content-Type: text/rfc822-headers\n\n"
    )
    return _crlf(head) + original_headers(content) + _crlf(f"\n--{boundary}--\n")


def subject_notice(hostname: str, user: str, target: str, sender: str, content: bytes) -> bytes:
    """SUBJECTONLY: tell ``target`` that mail arrived for ``user``, with its subject only."""
    subject = subject_of(content)
    notice = EmailMessage(policy=policy.SMTP)
    notice["From"] = user
    notice["To"] = target
    notice["Subject"] = f"[Tenso] {subject}" if subject else "[Tenso] new mail"
    notice["Date"] = formatdate(localtime=True)
    notice["Message-ID"] = make_msgid(domain=hostname)
    notice["Auto-Submitted"] = "auto-generated"
    notice.set_content(
        f"New mail for {user}\n{user} 宛にメールが届きました\n\nFrom: {sender or '<>'}\nSubject: {subject}\n",
        charset="utf-8",
    )
    return notice.as_bytes()
