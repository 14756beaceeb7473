"""First run: no settings file, a fresh data folder -> the window opens with safe defaults and the
gateway listens on the default port 25 (skipped where port 25 cannot be bound by this user)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from app import settings as settings_mod
from app.route.router import MX, Router
from tests.support import REPO as ROOT
from tests.support.processes import wait_listening


def test_defaults_relay_only_for_this_machine_and_deliver_normally():
    defaults = settings_mod.from_dict({})
    assert defaults.options.relay_networks == ["127.0.0.0/8", "::1"]
    assert defaults.rules == [] and defaults.server.listen == ["0.0.0.0:25"]
    assert Router(defaults).route("someone@example.org").kind == MX


def port_25_free() -> bool:
    try:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", 25))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not port_25_free(), reason="port 25 is taken or needs administrator rights here")
def test_first_start_opens_the_window_with_defaults_and_listens_on_port_25(tmp_path):
    config = tmp_path / "config" / "settings.json"  # does not exist: a first start
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "TENSO_CONFIG": str(config),
        "TENSO_DATA_DIR": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "XDG_RUNTIME_DIR": str(tmp_path),
    }
    log = tmp_path / "stderr.log"
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "app"], cwd=ROOT, env=env, stderr=err)
    try:
        wait_listening(25, proc, timeout=30)
        with socket.create_connection(("127.0.0.1", 25), timeout=5) as s:
            assert s.recv(100).startswith(b"220 "), "not an SMTP greeting"
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = log.read_text()
    assert "listening on 0.0.0.0 port 25" in text and "Traceback" not in text
    assert not config.exists()  # nothing is written until the administrator presses Apply
    assert (tmp_path / "data" / "queue" / "msg").is_dir()  # the queue lives in the fresh data folder
