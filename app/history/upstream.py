"""What the destination named the message, read from its reply: the key that lets an administrator
continue the search in the destination's own logs (Microsoft 365's message trace, Postfix's log).

Only a 2xx reply names a message the destination took; the forms known:

- Postfix, SendGrid, most SMTP servers: ``250 2.0.0 Ok: queued as 4DqXyZ1234`` -> ``4DqXyZ1234``
- Exchange Online and Exchange Server: ``250 2.6.0 <0123abcd@TY1PR01MB1234.jpnprd01.prod.outlook.com>
  [InternalId=123, Hostname=TY1PR01MB1234.jpnprd01.prod.outlook.com] Queued mail for delivery``
  -> the ``<…>`` id; with no ``<…>``, the ``[…Hostname=…]`` text
- Microsoft Graph (Tenso's own reply for it): ``… (request-id 1b2c…)`` -> the request id
- Exim: ``250 OK id=1tXyZa-0001Ab-Cd`` -> ``1tXyZa-0001Ab-Cd``
- Gmail: ``250 2.0.0 OK  1733616000 d9443c01a7336-21f0a2e3c5asi123 - gsmtp`` -> the id before ``- gsmtp``
- Amazon SES: ``250 Ok 0100019b2a3c4d5e-…-000000`` -> that id
"""

from __future__ import annotations

import re

_FORMS = (
    re.compile(r"\bqueued as:?\s+<?([^\s<>]+?)>?(?:[\s,;]|$)", re.IGNORECASE),
    re.compile(r"\(request-id ([0-9A-Za-z-]+)\)"),
    re.compile(r"^2\d\d[ -](?:\d\.\d{1,3}\.\d{1,3} )?(<[^\s<>]+@[^\s<>]+>)"),  # right after the code
    re.compile(r"\[([^\[\]]*\bHostname=[^\[\]]*)\]"),
    re.compile(r"\bid=([^\s,;]+)"),
    re.compile(r"\bOK\s+\d{9,11}\s+(\S+)\s+-\s+gsmtp\b", re.IGNORECASE),
    re.compile(r"^250 Ok ([0-9a-f]{16}-[0-9a-f-]{20,})\b", re.IGNORECASE),
)


def upstream_id(reply: str) -> str | None:
    """The destination's id for the message in ``reply``, or None when it names none (or did
    not take the message)."""
    if not reply.startswith("2"):
        return None
    for form in _FORMS:
        match = form.search(reply)
        if match:
            return match.group(1).rstrip(".")
    return None
