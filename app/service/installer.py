"""Who installed the service: the administrator whose user may open the service's control channel
even from a prompt that is not elevated (the pipe also admits SYSTEM, the service's own account
and elevated administrators; app/control/address.pipe_sddl).

``service install`` records the installing user's SID in ``installer.json`` in the service's
folder (%ProgramData%\\Tenso, which only the service, SYSTEM and administrators may write);
``service host`` reads it and hands it to the gateway as ``admin_sid``.  Plain Python: the SID
itself is looked up by app/service/windows.py."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.control.address import SID
from app.system.files import fsync_dir

log = logging.getLogger("tenso")

FILE = "installer.json"


@dataclass(frozen=True)
class Installer:
    sid: str  # S-1-5-21-...
    user: str  # DOMAIN\name, as the administrator reads it


def path(root: Path) -> Path:
    return Path(root) / FILE


def record(root: Path, sid: str, user: str) -> Path:
    """Writes who installed the service (replacing an earlier installer's); ValueError for what is
    not a SID."""
    if not SID.fullmatch(sid):
        raise ValueError(f"not a Windows security identifier (S-1-...): {sid!r}")
    target = path(root)
    temporary = target.with_name(FILE + ".tmp")
    temporary.write_text(json.dumps({"sid": sid, "user": user}, ensure_ascii=False) + "\n", encoding="utf-8")
    temporary.replace(target)
    fsync_dir(target.parent)
    return target


def read(root: Path) -> Installer | None:
    """The recorded installer, or None: none recorded (a service installed by an older Tenso), or a
    file that does not hold a SID (logged: the channel then admits only SYSTEM, the service's
    account and elevated administrators)."""
    target = path(root)
    try:
        data: Any = json.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        log.warning("%s cannot be read (%s): only elevated administrators may open the control channel", target, exc)
        return None
    sid = data.get("sid") if isinstance(data, dict) else None
    if not isinstance(sid, str) or not SID.fullmatch(sid):
        log.warning(
            "%s holds no SID of the installing administrator: only elevated administrators may open the control "
            "channel; install the service again to record it",
            target,
        )
        return None
    user = data.get("user")
    return Installer(sid, user if isinstance(user, str) and user else sid)
