"""A real keyring backend with Windows Credential Manager's limit: a secret of more than 2,560
bytes (as UTF-16, the way Credential Manager stores it: 1,280 characters) is refused.

Select it with ``PYTHON_KEYRING_BACKEND=tests.support.keyrings.CappedKeyring`` (subprocesses) or
``keyring.set_keyring(CappedKeyring())`` (this process).  Its secrets are in a JSON file of the
session's sandbox, so a subprocess and the test see the same entries.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError, PasswordSetError

from tests.support.sandbox import SANDBOX

CAP_BYTES = 2560


class CappedKeyring(KeyringBackend):
    priority = 1  # only when chosen
    path = SANDBOX / "capped-keyring.json"
    _lock = threading.Lock()

    def _read(self) -> dict[str, str]:
        try:
            return json.loads(Path(self.path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}

    def _write(self, entries: dict[str, str]) -> None:
        tmp = Path(self.path).with_suffix(".tmp")
        tmp.write_text(json.dumps(entries), encoding="utf-8")
        tmp.replace(self.path)

    def get_password(self, service: str, username: str) -> str | None:
        with self._lock:
            return self._read().get(f"{service}\0{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        size = len(password.encode("utf-16-le"))
        if size > CAP_BYTES:
            raise PasswordSetError(f"the secret is {size} bytes; Credential Manager keeps at most {CAP_BYTES}")
        with self._lock:
            entries = self._read()
            entries[f"{service}\0{username}"] = password
            self._write(entries)

    def delete_password(self, service: str, username: str) -> None:
        with self._lock:
            entries = self._read()
            if entries.pop(f"{service}\0{username}", None) is None:
                raise PasswordDeleteError("no such entry")
            self._write(entries)
