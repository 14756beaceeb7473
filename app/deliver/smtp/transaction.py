"""One transaction on a session ready for MAIL: MAIL, each RCPT, DATA and the message, with
RFC 2920 PIPELINING where the server offers it; a reply per recipient."""

from __future__ import annotations

import smtplib

from app.deliver.smtp import deadlines
from app.deliver.smtp.errors import reply
from app.deliver.smtp.session import Connection
from app.mail.lineends import to_crlf

BODY_8BIT = "BODY=8BITMIME"  # the mail options the queue keeps (Envelope.mail_options)
SMTPUTF8 = "SMTPUTF8"


def timed(conn: Connection, sender: str, rcpts: list[str], content: bytes, mail_options: list[str]) -> dict[str, str]:
    """``transaction`` within its deadline: a server answering a byte at a time is cut off."""
    seconds = deadlines.transaction_seconds(len(content))
    with deadlines.stage(conn.smtp, "the transaction (MAIL to the reply after the final dot)", seconds):
        return transaction(conn, sender, rcpts, content, mail_options)


def transaction(
    conn: Connection, sender: str, rcpts: list[str], content: bytes, mail_options: list[str]
) -> dict[str, str]:
    """MAIL, RCPT each, DATA; returns the reply per rcpt.  Raises on a broken connection."""
    smtp = conn.smtp
    smtp.command_encoding = "ascii"
    options = []
    if smtp.has_extn("size"):
        options.append(f"SIZE={len(content)}")
    if BODY_8BIT in mail_options and smtp.has_extn("8bitmime"):
        options.append(BODY_8BIT)
    needs_utf8 = not (sender.isascii() and all(r.isascii() for r in rcpts))
    if SMTPUTF8 in mail_options or needs_utf8:
        if smtp.has_extn("smtputf8"):
            options.append(SMTPUTF8)
        elif needs_utf8:
            refused = "553 5.6.7 the destination does not support SMTPUTF8, needed for this address"
            return dict.fromkeys(rcpts, refused)
    if smtp.has_extn("pipelining"):
        return pipelined(smtp, sender, rcpts, content, options)
    code, resp = smtp.mail(sender, options)
    if code != 250:
        smtp.rset()
        return dict.fromkeys(rcpts, reply(code, resp))
    results: dict[str, str] = {}
    accepted = []
    for rcpt in rcpts:
        code, resp = smtp.rcpt(rcpt)
        results[rcpt] = reply(code, resp)
        if code in (250, 251):
            accepted.append(rcpt)
    if not accepted:
        smtp.rset()
        return results
    code, resp = smtp.docmd("DATA")
    if code == 354:
        code, resp = send_data(smtp, content)
    else:
        smtp.rset()
    for rcpt in accepted:
        results[rcpt] = reply(code, resp)
    return results


def pipelined(smtp: smtplib.SMTP, sender: str, rcpts: list[str], content: bytes, options: list[str]) -> dict[str, str]:
    """RFC 2920: MAIL, every RCPT and DATA in one write, then their replies in order.

    Two round trips per message instead of three plus one per recipient.  Every reply is
    read and checked: a DATA answered 354 after all recipients were refused gets a lone
    "." (the transaction then fails on its own), never the message.
    """
    encoding = "utf-8" if SMTPUTF8 in options else "ascii"
    params = "".join(" " + o for o in options)
    commands = [f"MAIL FROM:{smtplib.quoteaddr(sender)}{params}\r\n"]
    commands += [f"RCPT TO:{smtplib.quoteaddr(rcpt)}\r\n" for rcpt in rcpts]
    commands.append("DATA\r\n")
    smtp.send("".join(commands).encode(encoding))
    mail_code, mail_resp = smtp.getreply()
    results: dict[str, str] = {}
    accepted = []
    for rcpt in rcpts:
        code, resp = smtp.getreply()
        # After a refused MAIL the RCPT replies are only "503 need MAIL": report the cause.
        results[rcpt] = reply(code, resp) if mail_code == 250 else reply(mail_code, mail_resp)
        if mail_code == 250 and code in (250, 251):
            accepted.append(rcpt)
    code, resp = smtp.getreply()
    if code == 354:
        if not accepted:
            smtp.send(b".\r\n")
            smtp.getreply()
            return results
        code, resp = send_data(smtp, content)
    elif mail_code == 250:
        smtp.rset()
    for rcpt in accepted:
        results[rcpt] = reply(code, resp)
    return results


def send_data(smtp: smtplib.SMTP, content: bytes) -> tuple[int, bytes]:
    """The message after 354: CRLF line ends, dot-stuffed, ended with CRLF "." CRLF; returns the
    final reply.

    What smtplib.SMTP.data does, with bytes.replace instead of a regular expression over
    every line (a third of the delivery threads' time on 100 KB messages).  Bare CR and LF
    become CRLF first (mail that was queued before Tenso did so on receipt): then no
    downstream server finds an end of data before the real one, and only line starts are
    stuffed, so a strict server stores no extra dot after what was a bare LF.
    """
    stuffed = to_crlf(content).replace(b"\r\n.", b"\r\n..")
    if stuffed.startswith(b"."):
        stuffed = b"." + stuffed
    # One write: a small ".\r\n" sent on its own waits for the peer's delayed ACK (Nagle).
    smtp.send(stuffed + (b".\r\n" if stuffed.endswith(b"\r\n") else b"\r\n.\r\n"))
    return smtp.getreply()
