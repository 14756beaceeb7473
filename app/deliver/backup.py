"""Backup copies of mail sent out (送信メールのバックアップ): one .eml per message in a day folder."""

from __future__ import annotations

import logging
import shutil
import time
from datetime import date
from typing import TYPE_CHECKING

from app.store.spool import OwnClient

if TYPE_CHECKING:
    from app.settings import Settings
    from app.store.spool import QueuedMessage

log = logging.getLogger("tenso")


def keep_copy(settings: Settings, message: QueuedMessage, content: bytes) -> None:
    """Before the first attempt of mail a client sent (not of bounces or forward.txt copies)."""
    backup = settings.backup
    if not backup.enabled or any(r.attempts for r in message.recipients):
        return
    if not message.envelope.client or message.envelope.client in tuple(OwnClient):
        return
    day = date.fromtimestamp(message.envelope.received_at).isoformat()
    folder = settings.backup_path / day
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{message.id}.eml").write_bytes(content)
    except OSError as exc:
        log.error("%s backup copy not written to %s: %s", message.id, folder, exc)


def prune(settings: Settings) -> int:
    """Removes day folders older than keep_days; returns how many."""
    backup = settings.backup
    root = settings.backup_path
    if not backup.enabled or not root.is_dir():
        return 0
    cutoff = date.fromtimestamp(time.time() - backup.keep_days * 86400).isoformat()
    removed = 0
    for folder in root.iterdir():
        if folder.is_dir() and len(folder.name) == 10 and folder.name < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
