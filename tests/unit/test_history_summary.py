"""What the history keeps of a message's header: Japanese subjects in the three charsets Japanese
mail uses (as encoded words, split as mailers split them, and as raw 8-bit bytes), the From as
a mail program shows it, the Message-ID, and the attachments counted from the part headers."""

from __future__ import annotations

import base64

import pytest

from app.history import summary
from app.store.spool import Envelope

SUBJECT = "見積書の送付(①) 株式会社テンソー"


def b_words(text: str, charset: str, codec: str, pieces: int = 1) -> str:
    """``text`` as RFC 2047 B encoded words, its bytes split over ``pieces`` words (mid-character
    for UTF-8, as mailers do)."""
    data = text.encode(codec)
    step = -(-len(data) // pieces)
    return "\r\n ".join(
        f"=?{charset}?B?{base64.b64encode(data[i : i + step]).decode()}?=" for i in range(0, len(data), step)
    )


def iso2022jp_of(text: str) -> bytes:
    """ISO-2022-JP as Windows writes it: ① (NEC row 13, JIS 0x2D21) inside ESC $ B."""
    head, _, tail = text.partition("①")
    return head.encode("iso2022_jp") + b"\x1b$B\x2d\x21\x1b(B" + tail.encode("iso2022_jp")


def header(subject: bytes | str, extra: str = "") -> bytes:
    subject_bytes = subject.encode() if isinstance(subject, str) else subject
    return (
        b"From: =?ISO-2022-JP?B?" + base64.b64encode("山田太郎".encode("iso2022_jp")) + b"?= <yamada@example.jp>\r\n"
        b"Subject: " + subject_bytes + b"\r\nMessage-ID: <20261208.0930@mfp.example.jp>\r\n" + extra.encode() + b"\r\n"
        b"body\r\n"
    )


def record(content: bytes):
    envelope = Envelope("scan@example.jp", ["a@example.jp"], client="192.0.2.10", received_at=1.0)
    return summary.received("QID", envelope, (b"Received: from x\r\n", content))


def test_an_iso_2022_jp_subject_with_windows_characters_is_read():
    data = iso2022jp_of(SUBJECT)
    subject = f"=?ISO-2022-JP?B?{base64.b64encode(data).decode()}?="
    assert record(header(subject)).subject == SUBJECT


def test_a_shift_jis_subject_split_over_two_words_is_read():
    subject = b_words(SUBJECT, "Shift_JIS", "cp932", pieces=2)
    assert record(header(subject)).subject == SUBJECT


def test_a_utf8_subject_split_mid_character_over_three_words_is_read():
    subject = b_words(SUBJECT, "UTF-8", "utf-8", pieces=3)
    assert "\r\n " in subject  # folded, as a long subject is
    assert record(header(subject)).subject == SUBJECT


def test_a_q_encoded_word_between_plain_text_keeps_the_spaces_that_are_text():
    subject = "Re: =?UTF-8?Q?=E8=AB=8B=E6=B1=82=E6=9B=B8?= for December"
    assert record(header(subject)).subject == "Re: 請求書 for December"


@pytest.mark.parametrize("codec", ["utf-8", "cp932", "euc_jp"])
def test_a_raw_8bit_subject_is_read_in_the_charset_it_is_in(codec):
    assert record(header(SUBJECT.replace("①", "1").encode(codec))).subject == SUBJECT.replace("①", "1")


def test_raw_iso_2022_jp_in_a_header_is_read_by_its_escapes():
    assert record(header(iso2022jp_of(SUBJECT))).subject == SUBJECT


def test_the_from_and_the_message_id_are_kept_as_a_mail_program_shows_them():
    found = record(header("x"))
    assert found.header_from == "山田太郎 <yamada@example.jp>"
    assert found.message_id == "<20261208.0930@mfp.example.jp>"
    assert (found.sender, found.client, found.recipients) == ("scan@example.jp", "192.0.2.10", ["a@example.jp"])


def test_the_size_is_what_was_stored_and_a_broken_word_stays_as_text():
    content = header("=?UTF-8?B?not base64!?= rest")
    found = record(content)
    assert found.size == len(b"Received: from x\r\n") + len(content)
    assert found.subject == "=?UTF-8?B?not base64!?= rest"


PDF = 'Content-Type: application/pdf; name="scan.pdf"\r\nContent-Transfer-Encoding: base64\r\n'


def multipart(*parts: str, boundary: str = "outer") -> str:
    body = "".join(f"--{boundary}\r\n{p}\r\n" for p in parts)
    return f"{body}--{boundary}--\r\n"


def test_attachments_are_counted_in_nested_multiparts_and_the_body_is_not_one():
    alternative = 'Content-Type: multipart/alternative; boundary="inner"\r\n\r\n' + multipart(
        "Content-Type: text/plain\r\n\r\nhello", "Content-Type: text/html\r\n\r\n<p>hello</p>", boundary="inner"
    )
    files = [
        'Content-Disposition: attachment; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\nJVBERi0x',
        PDF + "\r\nJVBERi0y",
        "Content-Type: image/jpeg\r\nContent-Disposition: attachment;\r\n"
        " filename*=UTF-8''%E5%86%99%E7%9C%9F.jpg\r\n\r\n/9j/",
    ]
    content = (
        "From: a@example.jp\r\nSubject: three files\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed;\r\n boundary="outer"\r\n\r\n' + multipart(alternative, *files)
    ).encode()
    assert record(content).attachments == 3


def test_a_message_that_is_one_file_counts_one_and_plain_text_none():
    assert record(f"From: a@example.jp\r\n{PDF}\r\nJVBERi0x\r\n".encode()).attachments == 1
    assert record(header("plain")).attachments == 0


def test_a_message_read_back_from_its_queue_file_gives_the_same_record(tmp_path):
    from app.store.spool import Spool

    spool = Spool(tmp_path / "queue")
    envelope = Envelope("scan@example.jp", ["a@example.jp"], client="192.0.2.10", received_at=5.0)
    content = header(b_words(SUBJECT, "UTF-8", "utf-8", pieces=2))
    spool.store("QID1", envelope, content)
    found = summary.from_file(spool.msg / "QID1", "QID1")
    assert found == summary.received("QID1", envelope, (content,))
    assert found is not None and found.subject == SUBJECT
    assert summary.from_file(spool.msg / "gone", "gone") is None
