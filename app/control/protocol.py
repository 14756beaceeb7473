"""The control channel's wire format: newline-delimited JSON, UTF-8.

A request is ``{"op": "...", "args": {...}}``; a reply ``{"ok": true, "result": ...}`` or
``{"ok": false, "error": "<plain words>"}``.  A streaming op (``log.follow``) answers many ``ok``
lines until the client closes.  One connection carries several requests in turn.  A line longer
than ``MAX_LINE`` is refused: a client cannot make the gateway hold gigabytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MAX_LINE = 8 << 20  # bytes in one line, its newline excluded


class ProtocolError(Exception):
    """A line that is not a request or a reply; the message says so in plain words."""


class LineTooLong(ProtocolError):
    pass


@dataclass(frozen=True)
class Request:
    op: str
    args: dict[str, Any] = field(default_factory=dict)


def encode(message: object) -> bytes:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def request(op: str, args: dict[str, Any]) -> bytes:
    return encode({"op": op, "args": args})


def ok(result: object) -> bytes:
    return encode({"ok": True, "result": result})


def error(words: str) -> bytes:
    return encode({"ok": False, "error": words})


def _parse(line: bytes) -> object:
    try:
        return json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError(f"the request is not a line of JSON in UTF-8 ({exc})") from exc


def parse_request(line: bytes) -> Request:
    data = _parse(line)
    if not isinstance(data, dict) or not isinstance(data.get("op"), str):
        raise ProtocolError('the request must be a JSON object with "op" (a text) and "args" (an object)')
    args = data.get("args", {})
    if not isinstance(args, dict):
        raise ProtocolError('"args" must be a JSON object')
    return Request(data["op"], args)


def parse_reply(line: bytes) -> dict[str, Any]:
    data = _parse(line)
    if not isinstance(data, dict) or not isinstance(data.get("ok"), bool):
        raise ProtocolError("the gateway's reply is not a reply of the control channel")
    return data


class LineReader:
    """Lines from a byte stream read in chunks by ``recv`` (b"" at its end), each at most
    ``limit`` bytes long."""

    def __init__(self, recv: Callable[[], bytes], limit: int = MAX_LINE):
        self._recv = recv
        self._limit = limit
        self._buffer = bytearray()

    def next_line(self) -> bytes | None:
        """The next line without its newline; None when the stream ended; LineTooLong past the limit."""
        start = 0
        while True:
            end = self._buffer.find(b"\n", start)
            if end >= 0:
                if end > self._limit:
                    raise LineTooLong(f"a line of the control channel may have at most {self._limit} bytes")
                line = bytes(self._buffer[:end])
                del self._buffer[: end + 1]
                return line
            if len(self._buffer) > self._limit:
                raise LineTooLong(f"a line of the control channel may have at most {self._limit} bytes")
            start = len(self._buffer)
            chunk = self._recv()
            if not chunk:
                return None
            self._buffer += chunk
