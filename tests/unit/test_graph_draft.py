"""A MIME message as Graph's JSON draft (couriers/graph_draft.py): what the recipient will see."""

from __future__ import annotations

import base64

from app.deliver.couriers import graph_draft

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


def test_html_with_an_inline_image_keeps_the_html_body_and_the_image_inline_by_its_content_id():
    image = base64.encodebytes(PNG).replace(b"\n", b"\r\n")
    content = (
        b'From: "Sales, Tokyo" <sales@example.jp>\r\nTo: =?UTF-8?B?5bGx55Sw?= <yamada@example.jp>, b@example.jp\r\n'
        b"Cc: c@example.jp\r\nReply-To: desk@example.jp\r\nSubject: =?UTF-8?B?6KaL56mN5pu4?=\r\n"
        b"Message-ID: <m-1@example.jp>\r\nX-Empty: \r\nDate: Tue, 8 Dec 2026 10:00:00 +0900\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary="r"\r\n\r\n'
        b'--r\r\nContent-Type: multipart/alternative; boundary="a"\r\n\r\n'
        b"--a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain\r\n"
        b'--a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<img src="cid:logo@x">\r\n--a--\r\n'
        b"--r\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + image
        + b"--r--\r\n"
    )
    built = graph_draft.draft(content, ["yamada@example.jp", "hidden@example.net"])
    m = built.message
    assert m["subject"] == "見積書" and m["body"] == {"contentType": "HTML", "content": '<img src="cid:logo@x">'}
    assert m["from"] == {"emailAddress": {"address": "sales@example.jp", "name": "Sales, Tokyo"}}
    assert m["toRecipients"][0] == {"emailAddress": {"address": "yamada@example.jp", "name": "山田"}}
    assert [r["emailAddress"]["address"] for r in m["bccRecipients"]] == ["hidden@example.net"]
    assert m["replyTo"] == [{"emailAddress": {"address": "desk@example.jp"}}] and "internetMessageHeaders" not in m
    (part,) = built.parts
    assert (part.data, part.inline, part.content_id, part.content_type) == (PNG, True, "logo@x", "image/png")
    assert part.as_item()["isInline"] is True and part.name == "attachment1.png"


def test_undeclared_shift_jis_in_the_subject_and_body_is_read_as_shift_jis():
    content = (
        b"From: scanner@lan.test\r\nTo: x@example.net\r\nSubject: "
        + "スキャン文書 ソ表".encode("shift_jis")
        + b"\r\n\r\n"
        + "ソフト表示\r\n".encode("shift_jis")
    )
    m = graph_draft.draft(content, ["x@example.net"]).message
    assert m["subject"] == "スキャン文書 ソ表" and m["body"] == {"contentType": "Text", "content": "ソフト表示\r\n"}
