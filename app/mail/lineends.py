"""The line ends of a message: CRLF only, as SMTP defines a line (RFC 5321 2.3.8).

A bare CR or a bare LF is not a line end to a strict server, but is one to a lax server:
a body holding ``\\r.\\r`` or ``\\n.\\n`` ends the data early at the lax one, and what follows
is read as commands (SMTP smuggling, CVE-2023-51764 and its family).  Tenso turns every bare
CR and bare LF into CRLF on receipt (Postfix's ``smtpd_forbid_bare_newline = normalize``) and
again before sending, so that no downstream server can find an end of data anywhere but at
the real one.  Every other byte stays as it was.

A line is at most 998 bytes before its CRLF in SMTP (RFC 5321 4.5.3.1.6); Tenso accepts longer
lines from devices, and a destination that keeps to the limit refuses them (``500 Line too
long``).  Before sending by SMTP such a line is folded as Postfix does (``smtp_line_length_limit
= 998``): broken after 998 bytes, each further piece on a line of its own that starts with a
space (CR LF SPACE inserted), so that no line sent is longer than 998 bytes.
"""

from __future__ import annotations


def has_bare_line_ends(content: bytes) -> bool:
    """True when ``content`` holds a CR not followed by LF, or an LF not preceded by CR."""
    pairs = content.count(b"\r\n")
    return content.count(b"\r") != pairs or content.count(b"\n") != pairs


def to_crlf(content: bytes) -> bytes:
    """``content`` with every bare CR and bare LF made a CRLF (``a\\rb\\nc`` → ``a\\r\\nb\\r\\nc``).

    Three passes in C; a message without bare line ends (nearly every one) is returned as is
    after the three counts of ``has_bare_line_ends``.
    """
    if not has_bare_line_ends(content):
        return content
    return content.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")


LINE_LIMIT = 998  # bytes of a line before its CRLF (RFC 5321 4.5.3.1.6, RFC 5322 2.1.1)


def has_long_lines(content: bytes) -> bool:
    """True when a line of ``content`` (CRLF line ends) is longer than LINE_LIMIT bytes."""
    if len(content) <= LINE_LIMIT:
        return False
    return max(map(len, content.split(b"\r\n"))) > LINE_LIMIT


def fold_long_lines(content: bytes) -> bytes:
    """``content`` (CRLF line ends) with every line over LINE_LIMIT bytes broken into pieces of
    at most LINE_LIMIT bytes, the second and further starting with a space; shorter lines, and
    every byte of the long ones, as they were."""
    if not has_long_lines(content):
        return content
    out = []
    for line in content.split(b"\r\n"):
        if len(line) <= LINE_LIMIT:
            out.append(line)
            continue
        out.append(line[:LINE_LIMIT])
        rest, step = line[LINE_LIMIT:], LINE_LIMIT - 1  # the space counts into the piece's length
        out += [b" " + rest[i : i + step] for i in range(0, len(rest), step)]
    return b"\r\n".join(out)
