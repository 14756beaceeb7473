"""app.mail.rewrite: a message sent as another address changes in its From: lines only (and
gains a Reply-To: with the original From), every other byte as it was."""

from __future__ import annotations

from app.mail.rewrite import display_name, rewrite_from

BODY = b"\r\nbody line\r\nFrom: not a header, in the body\r\n"
DKIM = b"DKIM-Signature: v=1; a=rsa-sha256; d=lan.test; s=sel;\r\n\th=From:To:Subject; b=abc\r\n"
RECEIVED = b"Received: from scanner (192.168.1.20)\r\n\tby tenso; Tue, 8 Dec 2026 01:00:00 +0900\r\n"


def test_a_folded_from_becomes_one_line_with_its_display_name_and_the_original_is_the_reply_to():
    original_from = b'From: "Scanner 3F"\r\n <scan3f@lan.test>\r\n'
    content = RECEIVED + DKIM + original_from + b"To: b@example.net\r\nSubject: scan\r\n" + BODY
    got = rewrite_from(content, "box@corp.example")
    reply_to = b'Reply-To: "Scanner 3F"\r\n <scan3f@lan.test>\r\n'
    new_from = b'From: "Scanner 3F" <box@corp.example>\r\n'
    assert got == RECEIVED + DKIM + new_from + reply_to + b"To: b@example.net\r\nSubject: scan\r\n" + BODY


def test_an_existing_reply_to_is_kept_and_no_second_one_added():
    content = b"reply-to: desk@lan.test\r\nfrom: scan@lan.test\r\nSubject: x\r\n" + BODY
    got = rewrite_from(content, "box@corp.example")
    assert got == b"reply-to: desk@lan.test\r\nFrom: <box@corp.example>\r\nSubject: x\r\n" + BODY


def test_a_name_in_raw_shift_jis_or_an_encoded_word_keeps_its_bytes():
    sjis = "経理部 複合機".encode("shift_jis")
    encoded = b"=?ISO-2022-JP?B?GyRCN1BNfRsoQg==?="
    for name in (sjis, encoded, b'"a <quoted> name"'):
        content = b"From: " + name + b" <mfp@lan.test>\r\nSubject: s\r\n" + BODY
        got = rewrite_from(content, "box@corp.example")
        assert got.startswith(b"From: " + name + b" <box@corp.example>\r\nReply-To: " + name + b" <mfp@lan.test>\r\n")
        assert got.endswith(b"Subject: s\r\n" + BODY)


def test_a_message_without_from_gets_one_and_bare_line_ends_become_crlf():
    assert rewrite_from(b"Subject: s\n\nbody\n", "box@corp.example") == (
        b"From: <box@corp.example>\r\nSubject: s\r\n\r\nbody\r\n"
    )


def test_display_name():
    assert display_name(b' "Scanner" <a@b>') == b'"Scanner"'
    assert display_name(b" a@b") == b""
    assert display_name(b' "x <y>" <a@b>') == b'"x <y>"'


def test_a_message_from_that_address_already_is_left_as_it_is():
    content = b'From: "Box" <Box@Corp.example>\r\nSubject: s\r\n' + BODY
    assert rewrite_from(content, "box@corp.example") is content
    bare = b"From: box@corp.example\r\n" + BODY
    assert rewrite_from(bare, "box@corp.example") is bare
