"""Where the control channel of a queue folder is: derived from the folder alone, so that the
gateway and every client find the same address without asking anyone.

Unix: the socket file ``<queue>/control.sock``; when that path is too long for a Unix socket
address, ``<tmp>/tenso-<uid>/<hash>.sock`` (``uid``: the owner of the queue folder, so a root
client finds a user's gateway; the folder is 0700 and must belong to that user or root).
Windows: the named pipe ``\\\\.\\pipe\\tenso-<hash>``.  ``<hash>`` is taken from the queue
folder's resolved path (case-folded on Windows, where paths are).  The SDDL of the pipe is built
here too: plain text, tested on every system.
"""

from __future__ import annotations

import hashlib
import ntpath
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

SOCKET_NAME = "control.sock"
MAX_SOCKET_PATH = 100  # bytes; sun_path holds 108 on Linux and 104 on macOS, with its NUL

PIPE_PREFIX = "\\\\.\\pipe\\"
SID = re.compile(r"S-1-\d+(-\d+)+")


@dataclass(frozen=True)
class Address:
    kind: str  # "unix" or "pipe"
    path: str  # the socket file, or the pipe's name

    def __str__(self) -> str:
        return self.path


def queue_hash(queue_dir: Path | str, windows: bool = sys.platform == "win32") -> str:
    """16 hex digits naming a queue folder (given resolved)."""
    text = ntpath.normcase(str(queue_dir)) if windows else str(queue_dir)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def pipe_name(queue_dir: Path | str) -> str:
    """The named pipe of a queue folder: ``\\\\.\\pipe\\tenso-<hash>``."""
    return f"{PIPE_PREFIX}tenso-{queue_hash(queue_dir, windows=True)}"


def short_folder(uid: int) -> Path:
    """The per-user folder for socket paths too long for their queue folder."""
    return Path(tempfile.gettempdir()) / f"tenso-{uid}"


def socket_path(queue_dir: Path, uid: int | None = None) -> Path:
    """The socket file of a (resolved) queue folder; ``uid`` owns the short folder when one is
    needed (default: the queue folder's owner)."""
    path = queue_dir / SOCKET_NAME
    if len(os.fsencode(path)) <= MAX_SOCKET_PATH:
        return path
    if uid is None:
        try:
            uid = queue_dir.stat().st_uid
        except OSError:
            uid = os.getuid()
    return short_folder(uid) / f"{queue_hash(queue_dir, windows=False)}.sock"


def for_queue(queue_dir: Path) -> Address:
    """The control channel of the queue folder ``queue_dir`` on this system."""
    try:
        resolved = Path(queue_dir).resolve()
    except OSError:
        resolved = Path(queue_dir).absolute()
    if sys.platform == "win32":
        return Address("pipe", pipe_name(resolved))
    return Address("unix", str(socket_path(resolved)))


def pipe_sddl(own_sid: str, extra_sid: str | None = None) -> str:
    """The security descriptor of the pipe: full access for SYSTEM, the administrators, the
    gateway's own user and ``extra_sid`` (the administrator who installed the service), nobody
    else (a protected DACL: nothing inherited).  ValueError for what is not a SID."""
    sids = ["SY", "BA"]
    for sid in (own_sid, extra_sid):
        if sid is None:
            continue
        if not SID.fullmatch(sid):
            raise ValueError(f"not a Windows security identifier (S-1-...): {sid!r}")
        if sid not in sids:
            sids.append(sid)
    return "D:P" + "".join(f"(A;;GA;;;{sid})" for sid in sids)
