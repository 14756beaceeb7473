"""What an upstream's refusal means and what to change, in English and Japanese; and the
RFC 3464 Status a bounce gives for a reply.

Upstreams answer in codes and English: ``535 5.7.3 Authentication unsuccessful`` has four
causes at Exchange Online and none of them is a wrong password.  ``explain`` recognises the
replies Tenso's users meet (Exchange Online, Entra ID's token endpoint, Gmail, Microsoft
Graph, and the few every SMTP server gives) and says in two or three sentences what happened
and which setting, tab, Entra page or PowerShell command fixes it.  It reads the reply in any
form it reaches an administrator: as the server sent it (also multi-line), as smtplib's
``(535, b'...')``, or quoted inside Tenso's own words (``451 4.4.0 AUTH LOGIN as ... refused:
535 5.7.139 ...``).  An unknown reply gives ``None``: Tenso never guesses.

The table is data, one module per provider (``exchange``, ``entra``, ``google``, ``graph``,
``smtp``; its parts in ``entry``): each entry is recognised by one or more patterns (all
conditions of a pattern must hold) and the pattern that says most wins, so a distinctive text
beats a bare code (the weights are in ``entry``).  Standard library only, no Qt: the command
line, ``status --json``, the log and the window all use it.
"""

from __future__ import annotations

import ast
import base64
import binascii
import json
import re

from app.mail.replies import entra, exchange, google, graph, smtp
from app.mail.replies.entry import Advice, Facts, Known, Pattern, Words

__all__ = ["KNOWN", "Advice", "Known", "Pattern", "Words", "explain", "status_of"]

# In this order: on a tie the entry listed first wins.
KNOWN: tuple[Known, ...] = exchange.KNOWN + entra.KNOWN + google.KNOWN + graph.KNOWN + smtp.KNOWN

# smtplib's exceptions print as (535, b'5.7.8 ...') or (535, '...'): a Python literal, read as one.
_REPR = re.compile(r"""\(\s*([2-5]\d\d)\s*,\s*(b?(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"))\s*\)""", re.DOTALL)
# The code that repeats at the start of each line of a multi-line reply (535-5.7.8 ...\n535 5.7.8 ...).
_CONTINUATION = re.compile(r"\r?\n[ \t]*[2-5]\d\d(?:-|[ \t]|$)")
# A three-digit code standing alone: not part of a host:port, an address, a date or a status code.
_CODE = re.compile(r"""(?<![^\s(\["'])([2-5]\d\d)(?=[ \-,;:)\]]|\.(?!\d)|$)""")
_STATUS = re.compile(r"(?<!\d)(?<!\d\.)([245]\.\d{1,3}\.\d{1,3})(?!\.?\d)")
_AADSTS = re.compile(r"\bAADSTS(\d{4,7})\b", re.IGNORECASE)
_CHALLENGE = re.compile(r"(?<![^\s(\[\"':])334[ -]+([A-Za-z0-9+/]{8,}={0,2})(?![A-Za-z0-9+/=])")
# The reply's own status: the enhanced code right after the three-digit code that starts it.
_LEADING = re.compile(r"\s*([2-5])\d\d(?:[ \-]+([245]\.\d{1,3}\.\d{1,3})(?!\.?\d)|(?=[ \-]|$))")


def _unwrap(reply: str) -> str:
    """The reply with smtplib's ``(code, b'text')`` written as ``code text``, on one line."""

    def literal(found: re.Match[str]) -> str:
        try:
            value = ast.literal_eval(found.group(2))
        except (ValueError, SyntaxError):
            return found.group(0)
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        return f"{found.group(1)} {text}"

    text = _REPR.sub(literal, reply)
    return " ".join(_CONTINUATION.sub(" ", text).split())


def _challenges(text: str) -> frozenset[str]:
    """The ``status`` of each XOAUTH2 error challenge in ``text`` (Google: ``{"status":"401",...}``)."""
    found = set()
    for blob in _CHALLENGE.findall(text):
        try:
            data = json.loads(base64.b64decode(blob + "=" * (-len(blob) % 4), validate=True))
        except (binascii.Error, ValueError):
            continue
        if isinstance(data, dict) and "status" in data:
            found.add(str(data["status"]))
    return frozenset(found)


def _facts(reply: str) -> Facts:
    text = _unwrap(reply)
    return Facts(
        text=text,
        codes=frozenset(_CODE.findall(text)),
        statuses=frozenset(_STATUS.findall(text)),
        aadsts=frozenset(_AADSTS.findall(text)),
        challenges=_challenges(text),
    )


def explain(reply: str, lang: str = "en") -> Advice | None:
    """What ``reply`` means and what to change (``lang``: ``en`` or ``ja``), or ``None`` when
    Tenso does not know the reply.  Of the entries that fit, the one whose pattern says most
    wins; on a tie, the one listed first."""
    facts = _facts(reply)
    best: Known | None = None
    best_score = 0
    for known in KNOWN:
        score = known.score(facts)
        if score > best_score:
            best, best_score = known, score
    if best is None:
        return None
    return best.advice("ja" if lang.lower().startswith("ja") else "en")


def status_of(reply: str) -> str:
    """The RFC 3464 ``Status:`` for a reply: the enhanced status code that stands right after
    the three-digit code starting it (``550 5.7.1 ...`` and ``500-5.5.2 ...`` alike), else one
    made of the code's class (``5xx`` → ``5.0.0``, ``2xx`` → ``2.0.0``, anything else
    ``4.0.0``).  Digits further on are the server's prose, never the status:
    ``500 Line too long (see RFC5321 4.5.3.1.6)`` is ``5.0.0``."""
    text = _unwrap(reply)
    found = _LEADING.match(text)
    if found is None:
        return "5.0.0" if text.startswith("5") else "4.0.0"
    if found.group(2):
        return found.group(2)
    return {"5": "5.0.0", "2": "2.0.0"}.get(found.group(1), "4.0.0")
