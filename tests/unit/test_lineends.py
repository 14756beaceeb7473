"""app.mail.lineends's folding of lines over 998 bytes, as Postfix's smtp_line_length_limit = 998
does: 998 bytes, then CR LF SPACE and up to 997 more; everything else as it was."""

from __future__ import annotations

import pytest

from app.mail.lineends import LINE_LIMIT, fold_long_lines, has_long_lines


@pytest.mark.parametrize(
    ("line", "lines"),
    [
        (b"a" * 998, [b"a" * 998]),  # at the limit: not touched
        (b"a" * 999, [b"a" * 998, b" a"]),
        (b"a" * 998 + b"b" * 997, [b"a" * 998, b" " + b"b" * 997]),
        (b"a" * 998 + b"b" * 997 + b"c", [b"a" * 998, b" " + b"b" * 997, b" c"]),
    ],
)
def test_a_line_is_broken_after_998_bytes_and_each_piece_starts_with_a_space(line, lines):
    content = b"Subject: x\r\n\r\n" + line + b"\r\nend\r\n"
    folded = fold_long_lines(content)
    assert folded == b"Subject: x\r\n\r\n" + b"\r\n".join(lines) + b"\r\nend\r\n"
    assert all(len(piece) <= LINE_LIMIT for piece in folded.split(b"\r\n"))


def test_content_without_long_lines_is_the_same_object_and_a_last_line_without_crlf_stays_so():
    short = b"Subject: x\r\n\r\n" + b"y" * 998 + b"\r\n"
    assert fold_long_lines(short) is short and not has_long_lines(short)
    assert fold_long_lines(b"z" * 1000) == b"z" * 998 + b"\r\n zz"
