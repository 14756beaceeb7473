"""What Tenso reads in a message's header: only the Received lines, to stop mail loops."""

from __future__ import annotations

import re

_RECEIVED = re.compile(rb"^received:", re.IGNORECASE | re.MULTILINE)
_HEADER_END = re.compile(rb"\r?\n\r?\n")


def count_hops(content: bytes) -> int:
    """How many Received headers the message carries (each relay on the way adds one)."""
    end = _HEADER_END.search(content)
    header = content[: end.start()] if end else content
    return len(_RECEIVED.findall(header))
