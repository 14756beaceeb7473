"""Sending as another address (``rules[].rewrite_from``): the header ``From:`` of a message in its
raw bytes.

Exchange Online (and most submission servers) let a mailbox send only as itself or as an address
it has Send As rights for, and refuse anything else with ``550 5.7.60 Client does not have
permissions to send as this sender``.  Devices send as whatever they were set up with, so a rule
can make the sender the mailbox it logs in with: the envelope sender (the courier's job) and the
``From:`` header (this module) become that address.

What changes, and nothing else (DKIM-Signature, Received and every other byte stay as they were):

- the ``From:`` header lines, folded continuation lines included, become one line: the original
  display name, as its bytes were (an RFC 2047 word, or raw Shift_JIS from an old printer), with
  the new address.  Keeping the name is what an administrator expects: the recipient still sees
  "Scanner 3F" or "経理部 複合機" in the list of mail, and the address shows the mailbox it was
  sent from, as Outlook shows mail sent with Send As.  A "via Tenso" suffix would be text in
  English in a Japanese office's mail, and would break a name that is an encoded word.
- the original ``From:`` is kept as ``Reply-To:`` (its lines as they were, renamed), unless the
  message has a Reply-To already: replies still reach the person or device that sent it.
- a message without a From gets one, with the new address alone; one whose From is that
  address already is sent as it is.
"""

from __future__ import annotations

import re

from app.mail.lineends import to_crlf

_HEADER_END = b"\r\n\r\n"
_FROM = re.compile(rb"from[ \t]*:", re.IGNORECASE)
_REPLY_TO = re.compile(rb"reply-to[ \t]*:", re.IGNORECASE)


def header_lines(content: bytes) -> tuple[list[bytes], bytes]:
    """The header block as its fields (each with its continuation lines and CRLFs), and the rest
    (the empty line and the body).  ``content`` has CRLF line ends."""
    end = content.find(_HEADER_END)
    if content.startswith(b"\r\n"):
        return [], content
    head, rest = (content, b"") if end < 0 else (content[: end + 2], content[end + 2 :])
    fields: list[bytes] = []
    for line in head.splitlines(keepends=True):
        if fields and line[:1] in (b" ", b"\t"):
            fields[-1] += line
        else:
            fields.append(line)
    return fields, rest


def display_name(value: bytes) -> bytes:
    """The display name of a From value (its bytes unfolded and trimmed; b"" when there is none):
    what stands before the angle address, ``"Scanner 3F" <scan@lan>`` gives ``"Scanner 3F"``."""
    unfolded = value.replace(b"\r\n", b"").strip()
    angle = _angle_start(unfolded)
    return unfolded[:angle].strip() if angle > 0 else b""


def _address_of(value: bytes) -> bytes:
    """The address of a From value: what the angle brackets hold, else the whole (trimmed)."""
    unfolded = value.replace(b"\r\n", b"").strip()
    angle = _angle_start(unfolded)
    if angle < 0:
        return unfolded
    return unfolded[angle + 1 :].partition(b">")[0].strip()


def _angle_start(value: bytes) -> int:
    """Where the angle address starts (the first ``<`` outside a quoted string), or -1."""
    quoted = escaped = False
    for i, byte in enumerate(value):
        if escaped:
            escaped = False
        elif byte == 0x5C and quoted:  # backslash
            escaped = True
        elif byte == 0x22:  # double quote
            quoted = not quoted
        elif byte == 0x3C and not quoted:  # <
            return i
    return -1


def rewrite_from(content: bytes, address: str) -> bytes:
    """``content`` sent as ``address``: From: rewritten, the original kept as Reply-To: (see the
    module's docstring).  ``address`` is one the settings checked (ASCII or UTF-8)."""
    content = to_crlf(content)
    fields, rest = header_lines(content)
    new = address.encode("utf-8")
    at = next((i for i, f in enumerate(fields) if _FROM.match(f)), None)
    if at is None:
        return b"From: <" + new + b">\r\n" + b"".join(fields) + rest
    original = fields[at]
    if _address_of(original[original.index(b":") + 1 :]).lower() == new.lower():
        return content  # sent as that address already: nothing to change, no Reply-To to add
    name = display_name(original[original.index(b":") + 1 :])
    replaced = [b"From: " + (name + b" <" + new + b">" if name else b"<" + new + b">") + b"\r\n"]
    if not any(_REPLY_TO.match(f) for f in fields):
        replaced.append(b"Reply-To:" + original[original.index(b":") + 1 :])
    return b"".join(fields[:at] + replaced + fields[at + 1 :]) + rest
