"""File-system workers the store, the mailboxes and the settings file share."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_dir(path: Path) -> None:
    """Makes a rename in ``path`` durable (no-op on Windows: NTFS journals renames, and
    directories cannot be opened for fsync there)."""
    if os.name == "nt":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
