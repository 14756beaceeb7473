"""A MIME message as Microsoft Graph's JSON message, for what is too large for one ``sendMail``.

Graph's upload sessions attach files to a *draft*, and a draft is created as JSON: so the message
is taken apart here into what Graph's message resource has (learn.microsoft.com/graph/api/
resources/message): ``subject``, ``body`` (the HTML part if there is one, else the text part),
``from``, ``replyTo``, ``toRecipients`` / ``ccRecipients`` / ``bccRecipients``,
``internetMessageId``, ``internetMessageHeaders`` (Graph takes only custom headers, whose names
start with ``x-``) and each other part as a file attachment (``isInline`` and ``contentId`` for a
part with a Content-ID inside a multipart/related, such as an image the HTML shows).  Every text is
decoded to Unicode: encoded words (ISO-2022-JP, UTF-8...), each part's charset, and for
undeclared 8-bit text UTF-8, else Shift_JIS (CP932), as Japanese devices write it.

Exchange builds the MIME anew from that JSON when it sends: what is lost on the way is listed in
docs/accounts.md ("Large messages").  Pure functions, no network.
"""

from __future__ import annotations

import email
import email.utils
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.message import Message

# Headers Graph lets a draft carry: "Add custom headers only when creating a message, and name
# them starting with x-" (the message resource's page).
CUSTOM_PREFIX = "x-"
MAX_CUSTOM_HEADERS = 50  # Exchange keeps the headers of an item within a quota: stay well below it
MAX_HEADER_CHARS = 1000


@dataclass
class Part:
    """One attachment: its bytes as the MIME part holds them once its transfer encoding is undone."""

    name: str
    content_type: str
    data: bytes
    content_id: str = ""  # without the angle brackets
    inline: bool = False

    def as_item(self) -> dict:
        """createUploadSession's ``AttachmentItem``."""
        item: dict[str, object] = {
            "attachmentType": "file",
            "name": self.name,
            "size": len(self.data),
            "contentType": self.content_type,
        }
        if self.inline:
            item |= {"isInline": True, "contentId": self.content_id}
        return item


@dataclass
class Draft:
    message: dict  # the JSON of POST /users/{mailbox}/messages, without the attachments
    parts: list[Part] = field(default_factory=list)


def draft(content: bytes, recipients: list[str]) -> Draft:
    """The message ``content`` as a Graph draft that goes to the headers' To, Cc and Bcc, plus the
    envelope ``recipients`` they do not name as Bcc (as graph.with_bcc does for raw MIME)."""
    msg = email.message_from_bytes(content, policy=policy.compat32)
    message: dict = {"subject": header_text(_raw(msg, "Subject", ""))}
    named: set[str] = set()
    for header, key in (("To", "toRecipients"), ("Cc", "ccRecipients"), ("Bcc", "bccRecipients")):
        people = _addresses(_raw_all(msg, header))
        named.update(a["emailAddress"]["address"].casefold() for a in people)
        if people:
            message[key] = people
    extra = [r for r in dict.fromkeys(recipients) if r.casefold() not in named]
    if extra:
        message["bccRecipients"] = message.get("bccRecipients", []) + [{"emailAddress": {"address": a}} for a in extra]
    if sender := _addresses(_raw_all(msg, "From")):
        message["from"] = sender[0]
    if reply_to := _addresses(_raw_all(msg, "Reply-To")):
        message["replyTo"] = reply_to
    if message_id := header_text(_raw(msg, "Message-ID", "")).strip():
        message["internetMessageId"] = message_id
    custom = [
        {"name": name, "value": text[:MAX_HEADER_CHARS]}
        for name, value in msg.raw_items()
        if name.lower().startswith(CUSTOM_PREFIX) and (text := header_text(value).strip())
    ]
    if custom:
        message["internetMessageHeaders"] = custom[:MAX_CUSTOM_HEADERS]
    body, parts = _split(msg)
    message["body"] = body
    return Draft(message, parts)


def _raw_all(msg: Message, name: str) -> list[str]:
    """A header's values as parsed, raw 8-bit bytes kept as surrogates (``get`` would replace them
    with U+FFFD, losing an undeclared Shift_JIS subject)."""
    return [value for key, value in msg.raw_items() if key.lower() == name.lower()]


def _raw(msg: Message, name: str, default: str) -> str:
    return next(iter(_raw_all(msg, name)), default)


# --- text --------------------------------------------------------------------------------------


def undeclared(raw: bytes) -> str:
    """8-bit text with no charset: UTF-8 if it is, else Shift_JIS (CP932), else Latin-1."""
    for charset in ("utf-8", "cp932"):
        try:
            return raw.decode(charset)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def header_text(value: object) -> str:
    """A header's value as text: encoded words decoded, raw 8-bit bytes guessed (undeclared)."""
    if value is None:
        return ""
    if not isinstance(value, str):  # email.header.Header, for a header the parser could not keep as str
        value = str(value)
    if any("\udc80" <= c <= "\udcff" for c in value):  # raw bytes the parser kept as surrogates
        value = undeclared(value.encode("ascii", "surrogateescape"))
    try:
        text = str(make_header(decode_header(value)))
    except (UnicodeError, LookupError, ValueError):
        text = value
    return " ".join(text.replace("\r", "").replace("\n", " ").split()) if "\n" in text else text


def _addresses(values: list) -> list[dict]:
    found = []
    for name, address in email.utils.getaddresses([str(v) for v in values]):  # then decoded: a name may hold a comma
        if "@" not in address:
            continue
        entry: dict = {"address": address}
        if name:
            entry["name"] = header_text(name)
        found.append({"emailAddress": entry})
    return found


def _text(part: Message) -> str:
    raw = part.get_payload(decode=True)
    if not isinstance(raw, bytes):
        return ""
    charset = part.get_content_charset()
    if charset:
        try:
            return raw.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    return undeclared(raw)


# --- the parts ---------------------------------------------------------------------------------


def _split(msg: Message) -> tuple[dict, list[Part]]:
    """The body Graph shows (HTML if the message has it, else text) and the other parts."""
    texts: dict[str, str] = {}
    parts: list[Part] = []
    for leaf, related in _leaves(msg, False):
        kind = leaf.get_content_type()
        disposition = (leaf.get("Content-Disposition") or "").split(";")[0].strip().lower()
        is_body = kind in ("text/plain", "text/html") and disposition != "attachment" and not leaf.get_filename()
        if is_body and kind not in texts:
            texts[kind] = _text(leaf)
            continue
        content_id = header_text(leaf.get("Content-ID", "")).strip().strip("<>")
        parts.append(
            Part(
                name=_name(leaf, len(parts) + 1),
                content_type=kind,
                data=_data(leaf),
                content_id=content_id,
                inline=bool(content_id) and (related or disposition == "inline") and disposition != "attachment",
            )
        )
    if "text/html" in texts:
        return {"contentType": "HTML", "content": texts["text/html"]}, parts
    return {"contentType": "Text", "content": texts.get("text/plain", "")}, parts


def _leaves(part: Message, related: bool):
    """Every part that is not a multipart (a forwarded message/rfc822 is one, attached as the .eml
    it is), with whether it sits in a multipart/related (inline images)."""
    if part.is_multipart() and part.get_content_type() != "message/rfc822":
        inside = related or part.get_content_type() == "multipart/related"
        for child in part.get_payload():
            if isinstance(child, Message):
                yield from _leaves(child, inside)
    else:
        yield part, related


def _data(part: Message) -> bytes:
    inner = part.get_payload()
    forwarded = inner[0] if isinstance(inner, list) and inner else None
    if part.get_content_type() == "message/rfc822" and isinstance(forwarded, Message):
        return forwarded.as_bytes(policy=policy.compat32)
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _name(part: Message, number: int) -> str:
    name = part.get_filename()
    if name:
        return header_text(name)  # RFC 2231 is undone by get_filename; encoded words here
    extension = {
        "application/pdf": ".pdf",
        "image/jpeg": ".jpg",
        "image/png": ".png",
        "image/tiff": ".tif",
        "message/rfc822": ".eml",
    }
    return f"attachment{number}{extension.get(part.get_content_type(), '.bin')}"
