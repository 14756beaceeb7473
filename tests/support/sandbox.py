"""The test session's own data folders, set before anything imports keyring or computes a data folder.

Imported first by ``tests.support`` (so by every helper module and by tests/conftest.py): the
keyring goes to keyrings.alt's plaintext file backend, and Tenso's data folder and the XDG
data and config folders are in a fresh temporary directory, never the user's own.  The
subprocesses the tests start inherit these variables.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

SANDBOX = Path(tempfile.mkdtemp(prefix="tenso-tests-"))
os.environ["PYTHON_KEYRING_BACKEND"] = "keyrings.alt.file.PlaintextKeyring"
os.environ["XDG_DATA_HOME"] = str(SANDBOX / "xdg-data")
os.environ["TENSO_DATA_DIR"] = str(SANDBOX / "tenso-data")
os.environ["XDG_CONFIG_HOME"] = str(SANDBOX / "xdg-config")  # the default settings file, Qt's QSettings
