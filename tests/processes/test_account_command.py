"""``python -m app account login|status|logout`` as docs/command-line.md describes them, against the
authorization server of tests/support/oauth.py, with the keyring that holds 2,560 bytes at most."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from tests.support import REPO
from tests.support.oauth import AuthServer, browse
from tests.support.processes import run_app


@pytest.fixture
def server():
    s = AuthServer(token_chars=3000)  # Microsoft-sized tokens: more than the keyring may hold
    yield s
    s.stop()


@pytest.fixture
def env(tmp_path):
    return {
        **os.environ,
        "PYTHON_KEYRING_BACKEND": "tests.support.keyrings.CappedKeyring",
        "TENSO_DATA_DIR": str(tmp_path / "data"),
    }


def config(tmp_path, server: AuthServer, flow: str = "authorization_code"):
    path = tmp_path / "settings.json"
    accounts = [
        {"name": "m365", "username": server.user, "oauth2": server.oauth2(flow)},
        {"name": "isp", "username": "isp-id"},
    ]
    path.write_text(json.dumps({"accounts": accounts}), encoding="utf-8")
    return path


def test_login_prints_the_address_waits_for_the_redirect_and_says_who_is_signed_in(tmp_path, server, env):
    path = config(tmp_path, server)
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "account", "login", "m365", "--config", str(path), "--no-browser"],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = ""
        while not url.startswith("http"):
            url = proc.stdout.readline().strip()
            assert url or proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert url.startswith(server.url("/authorize?"))
        assert "Signed in" in browse(url)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    took = time.monotonic() - started
    assert proc.returncode == 0, err
    assert f"m365: signed in as {server.user}; access token valid until " in out
    print(f"account login (process start to exit, local server): {took:.2f} s")

    status = run_app("account", "status", "--config", str(path), "--json", env=env)
    assert status.returncode == 0, status.stderr
    m365, isp = json.loads(status.stdout)
    assert set(m365) == {
        "name",
        "kind",
        "signed_in",
        "expires",
        "last_refresh",
        "error",
        "flow",
        "credential_expires",
        "expiry_warning",
    }
    assert (m365["name"], m365["kind"], m365["signed_in"], m365["last_refresh"], m365["error"]) == (
        "m365",
        "oauth2",
        True,
        None,
        None,
    )
    assert m365["expires"] and m365["expires"][:4].isdigit()
    assert (isp["kind"], isp["signed_in"]) == ("password", False)
    text = run_app("account", "status", "m365", "--config", str(path), env=env)
    assert text.stdout.startswith("m365  oauth2  signed in  expires "), text.stdout

    out = run_app("account", "logout", "m365", "--config", str(path), env=env)
    assert out.returncode == 0 and out.stdout.strip() == "m365: signed out"
    status = run_app("account", "status", "m365", "--config", str(path), "--json", env=env)
    assert json.loads(status.stdout)[0]["signed_in"] is False


def test_client_credentials_read_the_secret_from_standard_input_and_fail_with_one_line(tmp_path, server, env):
    path = config(tmp_path, server, flow="client_credentials")
    bad = run_app("account", "login", "m365", "--config", str(path), stdin="wrong\n", env=env)
    assert bad.returncode == 1
    assert bad.stderr.strip().count("\n") == 0 and "invalid_client" in bad.stderr, bad.stderr
    good = run_app("account", "login", "m365", "--config", str(path), stdin=server.client_secret + "\n", env=env)
    assert good.returncode == 0, good.stderr
    assert server.grants["client_credentials"] == 1
    again = run_app("account", "login", "m365", "--config", str(path), env=env)  # the stored secret
    assert again.returncode == 0, again.stderr


def test_login_of_an_unknown_or_password_account_says_so(tmp_path, server, env):
    path = config(tmp_path, server)
    unknown = run_app("account", "login", "nobody", "--config", str(path), env=env)
    assert unknown.returncode == 1 and "no account named nobody" in unknown.stderr
    password = run_app("account", "login", "isp", "--config", str(path), env=env)
    assert password.returncode == 1 and "password set account:isp" in password.stderr
