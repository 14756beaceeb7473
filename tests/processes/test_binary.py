"""Smoke tests of the built one-file program (dist/tenso), not the source tree.

Run by .ci/run after `pyinstaller build.spec`, with TENSO_BINARY pointing at the result;
skipped in a plain `python -m pytest` where nothing was built.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from tests.support import tlsprobe
from tests.support.processes import free_port, wait_listening
from tests.support.smtp import message, send, strip_received, write_tls_files

BINARY = os.environ.get("TENSO_BINARY", "")
pytestmark = pytest.mark.skipif(not BINARY, reason="set TENSO_BINARY to the built program (done by .ci/run)")


def run(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=60, **kw)


@contextlib.contextmanager
def headless(config: Path, log: Path) -> Iterator[subprocess.Popen]:
    """The program running headless on ``config`` (stderr into ``log``); when the block ends
    without an error it must stop cleanly on SIGTERM (exit 0), and it is killed in any case."""
    with open(log, "w") as err:
        proc = subprocess.Popen([BINARY, "--headless", "--config", str(config)], stderr=err)
    try:
        yield proc
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_binary_prints_its_version():
    from app import __version__

    result = run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"Tenso {__version__}"


def test_binary_checks_a_settings_file(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"rules": [{"match": "*", "destination": "smtp.isp.example", "port": 587}]}))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"rules": [{"match": "*", "destination": "x", "port": 70000}]}))
    assert run("check", "--config", str(good)).returncode == 0
    result = run("check", "--config", str(bad))
    assert result.returncode == 1 and "rules[0].port: must be 1-65535" in result.stderr


def test_binary_relays_a_message_headless(tmp_path, upstream_factory):
    up = upstream_factory()
    port = free_port()
    config = tmp_path / "settings.json"
    config.write_text(
        json.dumps(
            {
                "server": {"listen": [f"127.0.0.1:{port}"], "hostname": "binary.test"},
                "rules": [{"match": "*", "destination": "127.0.0.1", "port": up.port, "tls": "none"}],
                "queue": {"dir": str(tmp_path / "queue")},
            }
        )
    )
    log = tmp_path / "stderr.log"
    with headless(config, log) as proc:
        wait_listening(port, proc)
        data = message("from the binary")
        send(port, "a@lan.test", ["x@example.net"], data)
        (got,) = up.handler.wait_for(1)
        assert strip_received(got.data) == data
    assert "accepted from=<a@lan.test>" in log.read_text()


def test_the_binarys_openssl_keeps_each_tls_profile(tmp_path):
    """The legacy profile needs RSA key exchange and TLS 1.0 from the OpenSSL bundled in the exe,
    which is not the one of the source tree's Python on every machine: probed here, as users get it."""
    authority = trustme.CA(key_type=trustme.KeyType.RSA)
    files = write_tls_files(authority.issue_cert("binary.test", key_type=trustme.KeyType.RSA), tmp_path)
    legacy, modern = free_port(), free_port()
    config = tmp_path / "settings.json"
    listen = [{"address": f"127.0.0.1:{legacy}", "tls_profile": "legacy"}, {"address": f"127.0.0.1:{modern}"}]
    config.write_text(
        json.dumps(
            {"server": {"listen": listen, "hostname": "binary.test", **files}, "queue": {"dir": str(tmp_path / "q")}}
        )
    )
    with headless(config, tmp_path / "stderr.log") as proc:
        wait_listening(legacy, proc)
        wait_listening(modern, proc)
        results = {"legacy": tlsprobe.matrix(legacy), "modern": tlsprobe.matrix(modern)}
        print(f"\nthe built program's listeners:\n{tlsprobe.table(results)}")
        for profile, found in results.items():
            tlsprobe.expect_profile(found, profile)


def test_binary_window_starts_offscreen_and_quits_cleanly(tmp_path):
    port = free_port()
    config = tmp_path / "settings.json"
    config.write_text(
        json.dumps({"server": {"listen": [f"127.0.0.1:{port}"]}, "queue": {"dir": str(tmp_path / "queue")}})
    )
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_RUNTIME_DIR": str(tmp_path),
    }
    log = tmp_path / "stderr.log"
    with open(log, "w") as err:
        proc = subprocess.Popen([BINARY, "--config", str(config)], env=env, stderr=err)
    try:
        startup = wait_listening(port, proc, timeout=30)
        print(f"window + gateway listening after {startup:.2f} s")
        # Let the probe connection finish: Python 3.11's asyncio logs a spurious error when a
        # connection is accepted in the very iteration its server closes (fixed in 3.12).
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = log.read_text()
    assert "Traceback" not in err, err
    assert f"listening on 127.0.0.1 port {port}" in err
