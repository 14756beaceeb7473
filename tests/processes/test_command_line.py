"""The command line as an administrator types it: ``python -m app ...`` as a process."""

from __future__ import annotations

import subprocess
import sys

from tests.support import REPO
from tests.support.processes import free_port, write_config


def test_a_reader_that_stops_early_ends_the_command_quietly(tmp_path):
    """``python -m app status | head -1``: no BrokenPipeError traceback when the pipe closes."""
    config = write_config(tmp_path, free_port(), free_port())
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "status", "--config", str(config)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # before the command has written anything: its first write finds no reader
    _, err = proc.communicate(timeout=20)
    assert err.decode() == ""
    assert proc.returncode == 1
