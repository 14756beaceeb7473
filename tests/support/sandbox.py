"""The test session's own data folders, set before anything imports keyring or computes a data folder.

Imported first by ``tests.support`` (so by every worker module and by tests/conftest.py): the
keyring goes to keyrings.alt's plaintext file backend, and Tenso's data folder and the XDG
data and config folders are in a fresh temporary directory, never the user's own.  The
subprocesses the tests start inherit these variables; one that imports ``tests.support`` itself
(a keyring backend of ``tests.support.keyrings`` named by PYTHON_KEYRING_BACKEND) keeps the
session's sandbox instead of making another.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Under pytest-xdist each worker process is a session of its own: it gets its own folders (one
# keyring file, one default data folder per process), not those of the controller it inherited.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")

if os.environ.get("TENSO_TESTS_SANDBOX") and os.environ.get("TENSO_TESTS_SANDBOX_OF", "") == _WORKER:
    SANDBOX = Path(os.environ["TENSO_TESTS_SANDBOX"])  # a subprocess of the session: the same folders
else:
    SANDBOX = Path(tempfile.mkdtemp(prefix=f"tenso-tests-{_WORKER}-" if _WORKER else "tenso-tests-"))
    os.environ["TENSO_TESTS_SANDBOX"] = str(SANDBOX)
    os.environ["TENSO_TESTS_SANDBOX_OF"] = _WORKER
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyrings.alt.file.PlaintextKeyring"
    os.environ["XDG_DATA_HOME"] = str(SANDBOX / "xdg-data")
    os.environ["TENSO_DATA_DIR"] = str(SANDBOX / "tenso-data")
    os.environ["XDG_CONFIG_HOME"] = str(SANDBOX / "xdg-config")  # the default settings file, Qt's QSettings
