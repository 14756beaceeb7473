"""Workers shared by the test suite (the fixtures that use them are in the conftest.py files).

- ``sandbox``: the session's keyring and data folders (set on import, before anything else)
- ``smtp``: upstream SMTP servers that check AUTH themselves, a lax one that ends the data at any
  bare CR or LF, clients (smtplib, and raw bytes), messages, TLS files
- ``gateway``: the real engine on its own loop thread, settings for it, its queue
- ``processes``: Tenso as a subprocess, processes read from /proc, free ports
- ``dnsstub``: a DNS server and mail hosts on loopback addresses, for MX delivery
- ``tls``: one TLS handshake over 127.0.0.1 between two contexts
- ``mail``: what was delivered: Maildirs and delivery status reports
- ``logs``: the gateway's log records, captured in this process
- ``waiting``: polling until a condition holds
- ``gui``: the desktop window on a qasync loop (imports Qt)
"""

from __future__ import annotations

from pathlib import Path

from tests.support import sandbox  # noqa: F401  (first: before anything imports keyring or app)

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "mail"  # what each is: tests/fixtures/README.md
