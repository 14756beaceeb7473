"""Where the service keeps its files: one folder, ``%ProgramData%\\Tenso``, readable by the
service's account, SYSTEM and Administrators only (``acl.py``).

    settings.json   the settings the service runs with (``service install --config`` may name another)
    queue\\          the queue (``queue.dir`` of a moved installation points here)
    logs\\           tenso.log, as the window's and the headless gateway's
    keyring.cfg     the secrets (the file keyring; docs/service.md says why not Credential Manager)
    tokens\\, tls\\, accounts\\   OAuth 2.0 token files and certificates, as in a per-user data folder
    runtime\\        where the one-file Tenso.exe unpacks itself while it runs as the service

The service process is given ``TENSO_DATA_DIR`` (so every default folder is here, also for its
worker processes) and ``TMP``/``TEMP`` pointing at ``runtime\\`` through the service's own
environment in the registry: PyInstaller's one-file bootloader unpacks into ``%TEMP%\\_MEIxxxxxx``
and removes it when the program ends; a process that was killed cannot, so at each start the
service removes what earlier runs left in ``runtime\\`` (``stale_extractions``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath

from app.system.paths import APP_NAME

# The environment the service process gets (the service's registry value "Environment").
DATA_ENV = "TENSO_DATA_DIR"
FILE_KEYRING_ENV = "TENSO_FILE_KEYRING"  # "1": the data folder's file keyring, whatever else exists
EXTRACTION_PREFIX = "_MEI"  # PyInstaller's one-file extraction folders


def program_data() -> PureWindowsPath:
    """``%ProgramData%`` (``C:\\ProgramData`` where the variable is not set: a Linux test)."""
    return PureWindowsPath(os.environ.get("ProgramData") or os.environ.get("PROGRAMDATA") or r"C:\ProgramData")


@dataclass(frozen=True)
class Layout:
    """The service's folder and the files in it (Windows paths, or any paths in tests)."""

    root: PureWindowsPath | Path

    @property
    def settings(self):
        return self.root / "settings.json"

    @property
    def queue(self):
        return self.root / "queue"

    @property
    def logs(self):
        return self.root / "logs"

    @property
    def runtime(self):
        return self.root / "runtime"

    @property
    def keyring(self):
        return self.root / "keyring.cfg"

    def environment(self) -> dict[str, str]:
        """What the service process is started with, besides the system's own variables."""
        return {
            DATA_ENV: str(self.root),
            FILE_KEYRING_ENV: "1",
            "TMP": str(self.runtime),
            "TEMP": str(self.runtime),
        }


def service_layout() -> Layout:
    return Layout(program_data() / APP_NAME)


def stale_extractions(folder: Path, own: Path | None) -> list[Path]:
    """The one-file extraction folders in ``folder`` that are not this process's own (``own``,
    ``sys._MEIPASS``): what a service process that was killed left behind.  Only the service
    unpacks into its ``runtime`` folder, and only one service process runs at a time (the service
    manager starts one; its workers share its extraction), so every other one is stale."""
    try:
        entries = sorted(folder.iterdir())
    except FileNotFoundError:
        return []
    mine = Path(own).resolve() if own else None
    return [p for p in entries if p.name.startswith(EXTRACTION_PREFIX) and p.is_dir() and p.resolve() != mine]
