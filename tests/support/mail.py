"""Reading what Tenso delivered: local users' Maildirs and the delivery status reports (bounces)."""

from __future__ import annotations

import email
import email.message
import email.policy
import mailbox
from pathlib import Path


def maildir_messages(root: Path, user: str) -> list[bytes]:
    """Every message in ``user``'s Maildir, oldest first, read with the standard library."""
    path = Path(root) / user
    if not (path / "cur").exists():  # created last, after tmp/ and new/
        return []
    box = mailbox.Maildir(path, factory=None, create=False)
    return [box.get_bytes(key) for key in sorted(box.keys())]  # Tenso names files by arrival time


def without_delivery_headers(raw: bytes, sender: str, user: str) -> bytes:
    """A Maildir copy minus the Return-Path and Delivered-To lines Tenso puts on top."""
    head = f"Return-Path: <{sender}>\r\nDelivered-To: {user}\r\n".encode()
    assert raw.startswith(head), raw[:200]
    return raw[len(head) :]


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def delivery_status(report: email.message.EmailMessage) -> list[dict[str, str]]:
    """The per-recipient blocks of an RFC 3464 report, as dicts of field -> value."""
    assert report.get_content_type() == "multipart/report", report.get_content_type()
    assert report.get_param("report-type") == "delivery-status"
    part = next(p for p in report.walk() if p.get_content_type() == "message/delivery-status")
    blocks = part.get_payload()  # the email package parses each block as a header set
    return [{k: str(v) for k, v in b.items()} for b in blocks if b.get("Final-Recipient")]


def returned_headers(report: email.message.EmailMessage) -> email.message.EmailMessage:
    """The original message's headers, from the report's text/rfc822-headers part."""
    part = next(p for p in report.walk() if p.get_content_type() == "text/rfc822-headers")
    return email.message_from_bytes(part.get_payload(decode=True), policy=email.policy.default)
