"""Start with Windows from a source tree: the Run entry's command works from any folder (Windows
starts it with no working folder of ours), here with this Python in place of pythonw."""

from __future__ import annotations

import shlex
import subprocess

from app import __version__
from app.system import autostart


def test_the_logon_command_starts_tenso_from_any_folder(tmp_path):
    command = shlex.split(autostart.command())
    assert command[1] == "-c", command
    result = subprocess.run([*command, "--version"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Tenso {__version__}"
