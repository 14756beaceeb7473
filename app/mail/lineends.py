"""The line ends of a message: CRLF only, as SMTP defines a line (RFC 5321 2.3.8).

A bare CR or a bare LF is not a line end to a strict server, but is one to a lax server:
a body holding ``\\r.\\r`` or ``\\n.\\n`` ends the data early at the lax one, and what follows
is read as commands (SMTP smuggling, CVE-2023-51764 and its family).  Tenso turns every bare
CR and bare LF into CRLF on receipt (Postfix's ``smtpd_forbid_bare_newline = normalize``) and
again before sending, so that no downstream server can find an end of data anywhere but at
the real one.  Every other byte stays as it was.
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
