"""The settings file on disk: read and checked (a missing file gives the defaults), written
atomically, and the window's copy of the last file that loaded without problems."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from app.problems import Problem
from app.settings import syntax
from app.settings.binding import SettingsError, from_dict, to_dict
from app.settings.model import Settings
from app.system.files import fsync_dir


def load(path: Path) -> Settings:
    """Reads and validates a settings file; a missing file gives the defaults."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return from_dict({}, source=path)
    except OSError as exc:
        raise SettingsError([Problem("(file)", "cannot read {path}: {why}", path=str(path), why=exc.strerror)]) from exc
    except UnicodeDecodeError as exc:
        raise SettingsError([syntax.not_text(path.read_bytes(), str(path))]) from exc
    if "\x00" in text:  # UTF-16 without its byte-order mark decodes as UTF-8 with a NUL in every other place
        raise SettingsError([syntax.not_text(path.read_bytes(), str(path))])
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SettingsError([syntax.problem(text, exc)]) from exc
    return from_dict(data, source=path)


def last_good_path(path: Path) -> Path:
    """Where the window keeps a copy of the last settings file that loaded without problems."""
    path = Path(path)
    return path.with_name(f"{path.stem}.last-good{path.suffix}")


def save(settings: Settings, path: Path) -> None:
    """Atomic: a reader sees the old file or the new one, never half of either."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(to_dict(settings), indent=2, ensure_ascii=False) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
