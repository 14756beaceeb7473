"""Passwords are never kept in plain text without the administrator's say-so.

keyring, when no OS keyring exists and keyrings.alt is installed, picks keyrings.alt's plain-text
file by itself: ``password set`` used to say "stored in the keyring" with the password base64'd in
~/.local/share/python_keyring.  Each test runs Tenso in a fresh home with no keyring chosen
(PYTHON_KEYRING_BACKEND unset), as on a Linux server without a desktop.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support import REPO
from tests.support.processes import free_port, run_app, wait_listening


def _env(tmp_path, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHON_KEYRING_BACKEND"}
    env.update(
        HOME=str(tmp_path / "home"),
        XDG_DATA_HOME=str(tmp_path / "home" / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "home" / "config"),
        TENSO_DATA_DIR=str(tmp_path / "tenso"),
        DBUS_SESSION_BUS_ADDRESS="disabled:",
        **extra,
    )
    return env


def _files(tmp_path) -> list[str]:
    return sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())


def test_without_an_os_keyring_a_password_is_refused_until_the_administrator_chooses_a_file(tmp_path):
    env = _env(tmp_path)
    refused = run_app("password", "set", "common", stdin="secret-1\n", env=env, timeout=30)
    assert refused.returncode == 1, refused.stdout
    assert "no OS keyring is available" in refused.stderr and "python -m app password use-file" in refused.stderr
    assert _files(tmp_path) == [], "nothing may be written before the choice"

    chose = run_app("password", "use-file", env=env, timeout=30)
    assert chose.returncode == 0, chose.stderr
    keyring_file = tmp_path / "tenso" / "keyring.cfg"
    assert str(keyring_file) in chose.stdout and "anyone who can read this account's files" in chose.stdout

    stored = run_app("password", "set", "common", stdin="secret-1\n", env=env, timeout=30)
    assert stored.returncode == 0, stored.stderr
    assert f"stored in the file {keyring_file}" in stored.stdout
    assert keyring_file.exists()
    assert not (tmp_path / "home" / "data" / "python_keyring").exists(), "keyrings.alt's own default file"


def test_a_backend_that_prompts_on_a_terminal_is_refused_without_waiting(tmp_path):
    env = _env(tmp_path, PYTHON_KEYRING_BACKEND="keyrings.alt.file.EncryptedKeyring")
    result = run_app("password", "set", "common", stdin="secret-2\n", env=env, timeout=30)
    assert result.returncode == 1
    assert "EncryptedKeyring" in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_the_headless_gateway_says_at_start_that_passwords_cannot_be_kept(tmp_path):
    port = free_port()
    config = tmp_path / "settings.json"
    config.write_text(json.dumps({"server": {"listen": [f"127.0.0.1:{port}"]}}), encoding="utf-8")
    log = tmp_path / "tenso.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app", "--headless", "--config", str(config)],
            cwd=REPO,
            env=_env(tmp_path),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
        )
    try:
        wait_listening(port, proc)
        text = log.read_text(encoding="utf-8", errors="replace")
        assert "passwords: no OS keyring is available" in text, text
        assert "no SMTP AUTH login can be made" in text
    finally:
        proc.kill()
        proc.wait(10)


def test_a_running_process_sees_a_file_choice_made_after_it_was_refused(tmp_path):
    """The delivery worker read a password before the administrator chose the file (in the window
    or with password use-file): it used to stay refused until Tenso restarted."""
    script = """
import subprocess, sys
from app.system import passwords
try:
    passwords.get("common")
    print("not refused")
except passwords.PasswordStoreError:
    print("refused")
subprocess.run([sys.executable, "-m", "app", "password", "use-file"], check=True, capture_output=True)
subprocess.run([sys.executable, "-m", "app", "password", "set", "common"], input="late-choice\\n",
               text=True, check=True, capture_output=True)
print(passwords.get("common"))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=_env(tmp_path), capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ["refused", "late-choice"], (result.stdout, result.stderr)
