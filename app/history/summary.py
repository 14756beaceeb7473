"""What the history keeps of a message: its envelope and a few header fields, never its content.

The Subject and From are decoded as a mail program shows them: RFC 2047 encoded words (Japanese
mail writes them in ISO-2022-JP, Shift_JIS or UTF-8, and splits one word's bytes over several
encoded words), and raw 8-bit headers that some scanners send (UTF-8, else Shift_JIS, else
EUC-JP).  The attachments are counted from the MIME part headers alone.  All of it is quick and
never raises: a header that cannot be read is kept with its unknown bytes replaced.
"""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path

from app.history.records import Received
from app.store.spool import Envelope, OwnClient, envelope_of

HEADER_LIMIT = 256 * 1024  # a header longer than this is read only this far
PART_HEADER_LIMIT = 8 * 1024
TEXT_LIMIT = 998  # a Subject or From kept longer than this is cut
# The messages Tenso makes itself (an alert, the daily summary, a bounce, a forward.txt copy, the
# window's test message: the gateway's submit names its client "tenso") are recorded with the
# login TENSO, so a search or a program reading ``history --json`` tells them from a client's.
TENSO = "tenso"
OWN_CLIENTS = frozenset({*(c.value for c in OwnClient), TENSO})

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_FOLD = re.compile(rb"\r?\n(?=[ \t])")
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"(=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)[ \t\r\n]+(?==\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)")
_PARAM = re.compile(rb"""(?i)(?:^|;)\s*([a-z0-9*_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))""")

# Charset labels as mailers write them, to Python's codecs.  The Microsoft supersets decode what
# the plain codecs refuse (the circled numbers and other NEC and IBM characters of Japanese mail).
CHARSETS = {
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "cp932": "cp932",
    "iso-2022-jp": "iso-2022-jp",  # read by iso2022jp() below
    "iso-2022-jp-ms": "iso-2022-jp",
    "csiso2022jp": "iso-2022-jp",
    "euc-jp": "euc_jp",
    "x-euc-jp": "euc_jp",
    "ks_c_5601-1987": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
}
RAW_GUESSES = ("cp932", "euc_jp")  # 8-bit header bytes with no charset, not UTF-8: the likelier of these


_ISO2022JP_MODE = re.compile(rb"\x1b(\(B|\(J|\(I|\$@|\$B)")


def iso2022jp(data: bytes) -> str:
    """ISO-2022-JP as Windows writes it (CP50220: the NEC and IBM characters such as ① inside
    the JIS X 0208 escapes), read by turning it into Shift_JIS and decoding that as CP932;
    Python's own codecs refuse those characters."""
    out = bytearray()
    mode = b"(B"
    for n, piece in enumerate(_ISO2022JP_MODE.split(data)):
        if n % 2:
            mode = piece
            continue
        if mode in (b"$B", b"$@"):
            for i in range(0, len(piece) - 1, 2):
                j1, j2 = piece[i], piece[i + 1]
                s1 = ((j1 + 1) >> 1) + 0x70
                s1 += 0x40 if s1 > 0x9F else 0
                s2 = (j2 + 0x1F + (j2 >= 0x60)) if j1 & 1 else j2 + 0x7E
                out += bytes((s1 & 0xFF, s2 & 0xFF))
        elif mode == b"(I":  # JIS X 0201 half-width katakana
            out += bytes(b | 0x80 for b in piece)
        else:
            out += piece
    return out.decode("cp932", "replace")


def _codec(charset: str) -> str:
    label = charset.split("*", 1)[0].strip().lower()  # RFC 2231 language: =?utf-8*ja?B?...?=
    return CHARSETS.get(label, label)


def _decode_bytes(data: bytes, charset: str) -> str:
    codec = _codec(charset)
    if codec == "iso-2022-jp":
        return iso2022jp(data)
    try:
        return data.decode(codec)
    except (LookupError, UnicodeDecodeError):
        return raw_text(data)


def _unlikely(text: str) -> int:
    """Characters that a wrong guess gives: half-width katakana and private use (EUC-JP bytes
    read as Shift_JIS turn into those)."""
    return sum(1 for c in text if "\uff61" <= c <= "\uff9f" or "\ue000" <= c <= "\uf8ff")


def raw_text(data: bytes) -> str:
    """Header bytes with no charset named: ISO-2022-JP by its escapes, UTF-8 when they read as
    UTF-8, else the one of ``RAW_GUESSES`` that gives the fewest unlikely characters, else with
    the unknown bytes replaced."""
    if b"\x1b$" in data or b"\x1b(" in data:
        return iso2022jp(data)
    if data.isascii():
        return data.decode("ascii")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    readings = []
    for codec in RAW_GUESSES:
        try:
            readings.append(data.decode(codec))
        except UnicodeDecodeError:
            continue
    if readings:
        return min(readings, key=_unlikely)  # the first (Shift_JIS) when they tie
    return data.decode("utf-8", "replace")


def _word_bytes(encoding: str, text: str) -> bytes | None:
    try:
        if encoding in "Bb":
            return base64.b64decode(text + "=" * (-len(text) % 4))
        return re.sub(rb"=([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), text.replace("_", " ").encode())
    except (binascii.Error, ValueError):
        return None


def decode(value: bytes) -> str:
    """A header value as text: RFC 2047 encoded words decoded (adjacent words of one charset
    joined before decoding, since mailers split a character's bytes between them), raw 8-bit
    bytes guessed (``raw_text``), folding undone."""
    text = raw_text(_FOLD.sub(b"", value)).strip()
    if "=?" not in text:
        return text
    text = _BETWEEN_WORDS.sub(r"\1", text)  # whitespace between two encoded words is not text
    out: list[str] = []
    pending: list[bytes] = []
    pending_charset = ""
    last = 0

    def flush() -> None:
        if pending:
            out.append(_decode_bytes(b"".join(pending), pending_charset))
            pending.clear()

    for match in _ENCODED_WORD.finditer(text):
        charset, encoding, payload = match.groups()
        data = _word_bytes(encoding, payload)
        if data is None:
            continue
        if match.start() > last or _codec(charset) != _codec(pending_charset):
            flush()
            out.append(text[last : match.start()])
        pending.append(data)
        pending_charset = charset
        last = match.end()
    flush()
    out.append(text[last:])
    return "".join(out)


def header_of(content: bytes) -> bytes:
    """The message's header block (without the blank line that ends it)."""
    end = _HEADER_END.search(content, 0, HEADER_LIMIT)
    return content[: end.start()] if end else content[:HEADER_LIMIT]


WANTED = {name.encode(): name for name in ("from", "subject", "message-id", "content-type", "content-disposition")}


def fields(header: bytes) -> dict[str, bytes]:
    """The fields the history reads (``WANTED``), by lower-case name, the first of each (values
    still folded).  Every other line is passed over with one look at its name: this runs for
    every message received."""
    found: dict[str, bytes] = {}
    current = b""  # the field whose continuation lines follow, if it is one we keep
    for line in header.split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            if current:
                found[WANTED[current]] += b"\r\n" + line.rstrip(b"\r")
            continue
        current = b""
        name, colon, value = line.partition(b":")
        key = name.strip().lower()
        if colon and key in WANTED and WANTED[key] not in found:
            found[WANTED[key]] = value.strip()
            current = key
    return found


def _params(value: bytes) -> dict[str, bytes]:
    """A Content-Type's or Content-Disposition's parameters (``boundary``, ``filename``, ``name``)."""
    value = _FOLD.sub(b"", value)
    found: dict[str, bytes] = {}
    for name, quoted, bare in _PARAM.findall(value):
        found.setdefault(name.lower().decode("ascii", "replace"), quoted if quoted else bare)
    return found


def _is_attachment(part: dict[str, bytes]) -> bool:
    """A part a mail program lists as a file: disposition ``attachment``, or a file name."""
    disposition = part.get("content-disposition", b"")
    if disposition.split(b";", 1)[0].strip().lower() == b"attachment":
        return True
    names = {**_params(disposition), **_params(part.get("content-type", b""))}
    return any(key.startswith(("filename", "name")) for key in names)


def _boundary(part: dict[str, bytes]) -> bytes | None:
    content_type = part.get("content-type", b"")
    if not content_type.lower().startswith(b"multipart/"):
        return None
    boundary = _params(content_type).get("boundary")
    return boundary or None


def attachments(content: bytes, top: dict[str, bytes] | None = None) -> int:
    """How many files the message carries, from its part headers (the parts are not decoded).

    Each line that starts a part of a multipart (``--boundary``) is looked for from each ``-``,
    found with a one-byte ``find`` (memchr): it skips through a base64 body at memory speed, since
    base64 has no ``-`` (a longer needle is searched a hundred times slower)."""
    top = fields(header_of(content)) if top is None else top
    boundary = _boundary(top)
    if boundary is None:
        return 1 if _is_attachment(top) else 0
    boundaries = {boundary}
    count = 0
    pos = content.find(b"-")
    while pos != -1:
        if not (pos and content[pos - 1] == 0x0A and content[pos + 1 : pos + 2] == b"-"):
            pos = content.find(b"-", pos + 1)
            continue
        start = pos + 2
        line_end = content.find(b"\n", start)
        if line_end == -1:
            break
        line = content[start:line_end].rstrip(b"\r")
        if line in boundaries:  # a part begins (``--boundary--`` ends a multipart: not in the set)
            head_end = _HEADER_END.search(content, line_end - 1, line_end + PART_HEADER_LIMIT)
            head = content[line_end + 1 : head_end.start()] if head_end else b""
            lower = head.lower()
            if b"multipart/" in lower:
                inner = _boundary(fields(head))
                if inner is not None:
                    boundaries.add(inner)
            elif b"attachment" in lower or b"name" in lower:  # only then are the fields worth reading
                count += _is_attachment(fields(head))
        pos = content.find(b"-", line_end)
    return count


def _cut(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def received(qid: str, envelope: Envelope, parts: tuple[bytes, ...]) -> Received:
    """The history's record of a stored message; ``parts``: its bytes as stored (the Received:
    line Tenso adds, then the client's message; the header read is the last part's)."""
    content = parts[-1] if parts else b""
    top = fields(header_of(content))
    message_id = raw_text(_FOLD.sub(b"", top.get("message-id", b""))).strip()
    return Received(
        qid=qid,
        received=envelope.received_at,
        client=envelope.client,
        login=envelope.auth_user or (TENSO if envelope.client in OWN_CLIENTS else ""),
        sender=envelope.sender,
        recipients=list(envelope.recipients),
        header_from=_cut(decode(top.get("from", b""))),
        subject=_cut(decode(top.get("subject", b""))),
        message_id=_cut(message_id.split()[0] if message_id else ""),
        size=sum(map(len, parts)),
        attachments=attachments(content, top),
        helo=envelope.helo,
    )


def from_file(path: Path, qid: str) -> Received | None:
    """The record of a message read back from its file in the queue (``msg/<id>``: the envelope
    line, then the bytes); None when it is gone or unreadable."""
    try:
        with open(path, "rb") as f:
            envelope = envelope_of(f.readline())
            content = f.read()
    except (OSError, ValueError, TypeError):
        return None
    return received(qid, envelope, (content,))
