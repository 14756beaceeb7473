"""The command line, run as administrators run it: `python -m app ...` in a subprocess.

The subprocesses inherit the session's sandbox (tests/support/sandbox.py: PYTHON_KEYRING_BACKEND,
XDG_DATA_HOME, TENSO_DATA_DIR), so `password set` writes to the same file keyring this process reads.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
from pathlib import Path

import keyring

from app import __version__
from tests.support.processes import run_app as tenso


def test_version_prints_the_package_version():
    result = tenso("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Tenso {__version__}"
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", __version__)


def test_headless_with_invalid_settings_exits_1_naming_each_field(tmp_path):
    config = tmp_path / "settings.json"
    config.write_text(
        json.dumps(
            {
                "version": 1,
                "server": {"listen": ["127.0.0.1:99999"], "max_recipients": 0},
                "rules": [
                    {"match": "*", "destination": "127.0.0.1", "port": 2525},
                    {"match": "@example.jp", "destination": "bad host!", "port": 70000, "tls": "sometimes"},
                ],
                "queue": {"dir": str(tmp_path / "queue")},
                "optoins": {},
            }
        ),
        encoding="utf-8",
    )
    result = tenso("--headless", "--config", str(config))
    assert result.returncode == 1, result.stderr
    problems = [line.strip() for line in result.stderr.splitlines()]
    for field in (
        "server.listen[0]:",
        "server.max_recipients:",
        "rules[1].destination:",
        "rules[1].port:",
        "rules[1].tls:",
        "optoins: unknown setting",
    ):
        assert any(line.startswith(field) for line in problems), f"{field} not named:\n{result.stderr}"
    assert not any(line.startswith("rules[0]") for line in problems), result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "queue").exists()  # refused before touching anything


def test_headless_on_a_taken_port_says_cannot_listen_and_exits_nonzero(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = tmp_path / "settings.json"
        config.write_text(
            json.dumps(
                {
                    "server": {"hostname": "tenso.test", "listen": [f"127.0.0.1:{port}"]},
                    "queue": {"dir": str(tmp_path / "queue")},
                }
            ),
            encoding="utf-8",
        )
        result = tenso("--headless", "--config", str(config))
    assert result.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_password_set_common_stores_stdin_in_the_keyring_and_nowhere_else(tmp_path):
    password = "pw-" + secrets.token_urlsafe(12)
    assert keyring.get_password("tenso", "common") != password
    config = tmp_path / "settings.json"
    original = json.dumps(
        {"auth_accounts": {"common": {"username": "isp-id"}}, "queue": {"dir": str(tmp_path / "queue")}}
    )
    config.write_text(original, encoding="utf-8")
    env = {**os.environ, "TENSO_CONFIG": str(config)}

    result = tenso("--config", str(config), "password", "set", "common", stdin=password + "\n", env=env)

    assert result.returncode == 0, result.stderr
    assert keyring.get_password("tenso", "common") == password
    assert config.read_text(encoding="utf-8") == original
    assert password not in result.stdout + result.stderr
    for folder in (tmp_path, Path(os.environ["TENSO_DATA_DIR"])):
        for path in folder.rglob("*"):
            if path.is_file():
                assert password.encode() not in path.read_bytes(), path


def test_password_set_with_empty_stdin_stores_nothing_and_exits_1():
    keyring.set_password("tenso", "common", "kept-before")
    result = tenso("password", "set", "common", stdin="")
    assert result.returncode == 1
    assert "nothing stored" in result.stderr
    assert keyring.get_password("tenso", "common") == "kept-before"


def test_password_set_with_an_invalid_key_exits_2():
    result = tenso("password", "set", "bogus", stdin="secret-for-bogus\n")
    assert result.returncode == 2
    assert (
        "bogus" in result.stderr and "common, user:ADDRESS, local:ADDRESS, account:NAME or device:NAME" in result.stderr
    )
    assert keyring.get_password("tenso", "bogus") is None
    assert "secret-for-bogus" not in result.stdout + result.stderr


def test_a_mistyped_config_path_is_an_error_not_a_start_with_defaults(tmp_path):
    """``--config typo.json`` used to start on 0.0.0.0:25 with defaults and say nothing."""
    typo = tmp_path / "settngs.json"
    data = tmp_path / "data"
    env = {**os.environ, "TENSO_DATA_DIR": str(data)}
    for args in (("--headless",), ("route", "someone@example.com"), ("queue", "list")):
        result = tenso(*args, "--config", str(typo), env=env, timeout=5)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert f"{typo}: no such settings file" in result.stderr, result.stderr
        assert "listening" not in result.stderr
    assert not typo.exists() and not data.exists(), "nothing is created for a file that is not there"


def test_the_per_user_default_may_be_missing_on_a_first_start(tmp_path):
    env = {**os.environ, "TENSO_CONFIG": str(tmp_path / "first" / "settings.json")}
    result = tenso("route", "someone@example.com", env=env)
    assert result.returncode == 0, result.stderr
    assert "mx" in result.stdout.lower()
