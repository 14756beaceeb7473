"""Messages too large for one Graph sendMail (over 4 MB of request): a real gateway sends them to
the Graph stand-in of tests/support/graph.py as a draft, attachments and upload sessions, then
send; the recipient gets the same subject, body, attachment bytes and Message-ID."""

from __future__ import annotations

import base64
import os
import smtplib
import time

import pytest

from app.accounts import service
from app.deliver.couriers import graph as graph_mod
from app.deliver.couriers import graph_upload
from tests.gateway.test_graph import MAILBOX, graph_gateway, graph_server, to_upstream  # noqa: F401  (fixtures)
from tests.gateway.test_oauth_accounts import auth_server, data_dir  # noqa: F401  (fixtures)
from tests.support.gateway import retry_now
from tests.support.smtp import message, send
from tests.support.waiting import wait_until

SUBJECT = "スキャン文書 請求書 2026年12月"
BODY = "複合機でスキャンした文書を送ります。\r\nソフト表示\r\n"


def scan(pdf: bytes, charset: str = "iso-2022-jp", message_id: str = "<scan-10mb@lan.test>") -> bytes:
    """A scanner's mail: a Japanese subject in encoded words, a text body, one PDF."""
    subject = "=?ISO-2022-JP?B?" + base64.b64encode(SUBJECT.encode("iso-2022-jp")).decode() + "?="
    if charset == "utf-8":
        subject = "=?UTF-8?B?" + base64.b64encode(SUBJECT.encode()).decode() + "?="
    encoded = base64.encodebytes(pdf).replace(b"\n", b"\r\n")
    return (
        b"From: scanner@lan.test\r\nTo: office@example.net\r\nSubject: " + subject.encode() + b"\r\n"
        b"Message-ID: " + message_id.encode() + b"\r\nX-Scanner-Model: MFP-9000\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="==b=="\r\n\r\n'
        b"--==b==\r\nContent-Type: text/plain; charset=" + charset.encode() + b"\r\n"
        b"Content-Transfer-Encoding: 7bit\r\n\r\n" + BODY.encode(charset) + b"\r\n"
        b'--==b==\r\nContent-Type: application/pdf; name="scan0001.pdf"\r\n'
        b'Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="scan0001.pdf"\r\n\r\n'
        + encoded
        + b"--==b==--\r\n"
    )


def pdf(size: int) -> bytes:
    return b"%PDF-1.4\n" + os.urandom(size - 9)


def test_a_10_mb_scan_arrives_as_the_same_message_through_upload_sessions(
    tmp_path,
    auth_server,  # noqa: F811
    data_dir,  # noqa: F811
    graph_server,  # noqa: F811
    gateway_factory,
):
    auth = auth_server()
    graph = graph_server(auth)
    gw = graph_gateway(tmp_path, auth, graph, gateway_factory)
    document = pdf(7_500_000)
    mail = scan(document)
    assert len(mail) > 10_000_000
    send(gw.port, "scanner@lan.test", ["office@example.net", "hidden@example.net"], mail)
    dot = time.time()  # the 250 after the final dot
    (sent,) = graph.wait_sent(1, timeout=60)
    print(f"\na {len(mail):,}-byte scan: from the final dot to Graph's send in {sent.at - dot:.2f} s")
    assert sent.mime == b"" and sent.message is not None and sent.mailbox == MAILBOX
    assert sent.message["subject"] == SUBJECT
    assert sent.message["body"] == {"contentType": "Text", "content": BODY}
    assert sent.message["internetMessageId"] == "<scan-10mb@lan.test>"
    assert sent.message["toRecipients"] == [{"emailAddress": {"address": "office@example.net"}}]
    assert sent.message["bccRecipients"] == [{"emailAddress": {"address": "hidden@example.net"}}]
    assert {"name": "X-Scanner-Model", "value": "MFP-9000"} in sent.message["internetMessageHeaders"]
    assert all(h["name"].lower().startswith("x-") for h in sent.message["internetMessageHeaders"])
    (attachment,) = sent.attachments
    assert (attachment.name, attachment.content_type, attachment.uploaded) == ("scan0001.pdf", "application/pdf", True)
    assert attachment.data == document
    # Pieces of 3,276,800 bytes (10 × 320 KiB), the last one shorter; never an Authorization header.
    assert [status for _, status in graph.pieces] == [200, 200, 201]
    assert graph.pieces[0][0] == f"bytes 0-3276799/{len(document)}"
    assert graph.sent == [sent] and graph.drafts == {} and graph.deleted == []
    assert not any(path.endswith("/sendMail") for _, path, _ in graph.graph_requests)
    wait_until(lambda: gw.spool.ids() == [], 10, "the message to leave the queue")


def test_a_piece_that_fails_once_is_sent_again_and_the_message_goes(
    tmp_path,
    auth_server,  # noqa: F811
    data_dir,  # noqa: F811
    graph_server,  # noqa: F811
    gateway_factory,
):
    auth = auth_server()
    graph = graph_server(auth)
    graph.fail_pieces(1)
    gw = graph_gateway(tmp_path, auth, graph, gateway_factory)
    document = pdf(4_000_000)
    send(gw.port, "scanner@lan.test", ["office@example.net"], scan(document, "utf-8"))
    (sent,) = graph.wait_sent(1, timeout=30)
    first = f"bytes 0-3276799/{len(document)}"
    assert graph.pieces == [(first, 503), (first, 200), (f"bytes 3276800-{len(document) - 1}/{len(document)}", 201)]
    assert sent.attachments[0].data == document and sent.message["subject"] == SUBJECT
    wait_until(lambda: gw.spool.ids() == [], 10, "the message to leave the queue")


def test_a_failed_send_of_the_draft_deletes_it_and_defers_then_the_next_try_sends(
    tmp_path,
    auth_server,  # noqa: F811
    data_dir,  # noqa: F811
    graph_server,  # noqa: F811
    gateway_factory,
):
    auth = auth_server()
    graph = graph_server(auth)
    graph.fail_send(500)
    gw = graph_gateway(tmp_path, auth, graph, gateway_factory)
    send(gw.port, "scanner@lan.test", ["office@example.net"], scan(pdf(3_500_000)))
    (qid,) = gw.spool.ids()
    wait_until(lambda: graph.deleted, 30, "the draft to be deleted")
    wait_until(lambda: gw.spool.load(qid).recipients[0].attempts == 1, 10, "the attempt to be recorded")
    rcpt = gw.spool.load(qid).recipients[0]
    assert rcpt.state == "deferred" and "500" in rcpt.reply and "the draft was deleted" in rcpt.reply
    assert graph.sent == [] and graph.drafts == {}
    retry_now(gw, qid)  # the next try starts again from nothing, and sends
    (sent,) = graph.wait_sent(1, timeout=30)
    assert sent.message is not None and len(graph.deleted) == 1
    wait_until(lambda: gw.spool.ids() == [], 10, "the message to leave the queue")


def test_a_small_message_still_goes_as_one_sendmail_of_its_own_bytes(
    tmp_path,
    auth_server,  # noqa: F811
    data_dir,  # noqa: F811
    graph_server,  # noqa: F811
    gateway_factory,
):
    auth = auth_server()
    graph = graph_server(auth)
    gw = graph_gateway(tmp_path, auth, graph, gateway_factory)
    small = scan(pdf(2_000_000))  # 2.7 MB: 3.6 MB once base64-encoded, under sendMail's 4 MB
    send(gw.port, "scanner@lan.test", ["office@example.net"], small)
    (sent,) = graph.wait_sent(1)
    assert sent.message is None and sent.mime.endswith(small) and graph.graph_requests == []


def test_the_pieces_are_multiples_of_320_kib_under_4_mb():
    assert graph_upload.PIECE % (320 * 1024) == 0 and graph_upload.PIECE <= 4 * 1024 * 1024


def test_the_stand_in_refuses_a_sendmail_over_4_mb_as_graph_does(
    tmp_path,
    auth_server,  # noqa: F811
    data_dir,  # noqa: F811
    graph_server,  # noqa: F811
    gateway_factory,
):
    auth = auth_server()
    graph = graph_server(auth)
    gw = graph_gateway(tmp_path, auth, graph, gateway_factory)
    box = graph_mod.Mailbox(graph.url, MAILBOX, "graph")

    def token(fresh: bool) -> str:
        return service.access_token(gw.gateway.settings, "graph", fresh=fresh)

    outcome = graph_mod.send(box, token, message(body="A" * 3_200_000))  # 4.3 MB once base64-encoded
    assert outcome.reply.startswith("554 5.3.4 Microsoft Graph refused the message as too large: 413")
    assert graph.sent == []


def test_a_message_over_the_mailboxs_limit_is_refused_at_data_with_552(
    tmp_path,
    auth_server,  # noqa: F811
    data_dir,  # noqa: F811
    graph_server,  # noqa: F811
    gateway_factory,
    upstream_factory,
):
    auth = auth_server()
    graph = graph_server(auth)
    upstream = upstream_factory()
    other = to_upstream(upstream.port, "@partner.test")
    limits = {"limits": {"message_mb": 1}}  # the mailbox takes 1 MB (a test's number)
    gw = graph_gateway(tmp_path, auth, graph, gateway_factory, before=[other], account=limits)
    mail = scan(pdf(1_000_000))  # 1.35 MB
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(gw.port, "scanner@lan.test", ["office@example.net"], mail)
    code, text = refused.value.smtp_code, refused.value.smtp_error.decode()
    assert code == 552 and text.startswith("5.3.4 Message too big for the mailbox office@contoso.example")
    assert "over its limit of 1 MB (accounts[].limits.message_mb of graph)" in " ".join(text.split())
    assert gw.spool.ids() == [] and graph.requests == [] and graph.graph_requests == []
    send(gw.port, "scanner@lan.test", ["someone@partner.test"], mail)  # no limit known for that way out
    (got,) = upstream.handler.wait_for(1)
    assert got.rcpt_tos == ["someone@partner.test"]


def test_an_expired_token_in_the_draft_way_gets_one_refresh_and_the_message_goes(
    tmp_path,
    auth_server,  # noqa: F811
    data_dir,  # noqa: F811
    graph_server,  # noqa: F811
    gateway_factory,
):
    auth = auth_server()
    graph = graph_server(auth)
    gw = graph_gateway(tmp_path, auth, graph, gateway_factory)
    auth.expire_all()  # the token Tenso holds is refused
    send(gw.port, "scanner@lan.test", ["office@example.net"], scan(pdf(3_500_000)))
    graph.wait_sent(1, timeout=30)
    statuses = [status for method, _, status in graph.graph_requests if method == "POST"]
    assert statuses[:2] == [401, 201] and auth.grants["client_credentials"] == 2  # one refresh, not one per request
