"""Local mailboxes: one Maildir per local user under ``mailbox_dir``.

Maildir needs no locks: a message is written to ``tmp/``, fsynced and renamed
into ``new/``, so a reader (a POP server, a mail client, ``mailbox.Maildir``)
sees whole messages only.  Blocking: call from a thread.
"""

from __future__ import annotations

import itertools
import os
import socket
import threading
import time
from pathlib import Path

from app.mail import addresses
from app.system.files import fsync_dir

_counter = itertools.count()
_counter_lock = threading.Lock()


def maildir_of(root: Path, address: str) -> Path:
    return Path(root) / addresses.normalize(address)


def deliver(root: Path, address: str, sender: str, content: bytes) -> Path:
    """Stores ``content`` in the user's Maildir with Return-Path and Delivered-To on top."""
    maildir = maildir_of(root, address)
    for sub in ("tmp", "new", "cur"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    with _counter_lock:
        n = next(_counter)
    host = socket.gethostname().replace("/", "\\057").replace(":", "\\072")
    name = f"{time.time_ns() // 1000}.P{os.getpid()}Q{n}.{host}"
    head = f"Return-Path: <{sender}>\r\nDelivered-To: {addresses.normalize(address)}\r\n".encode(
        "utf-8", "surrogateescape"
    )
    tmp = maildir / "tmp" / name
    with open(tmp, "xb") as f:
        f.write(head)
        f.write(content)
        f.flush()
        os.fsync(f.fileno())
    final = maildir / "new" / name
    os.replace(tmp, final)
    fsync_dir(maildir / "new")
    return final
