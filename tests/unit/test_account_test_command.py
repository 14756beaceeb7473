"""``account test NAME``: logs in at the server of the account's rule, against a real upstream
that checks AUTH, and sends no mail; exit 0 when the login is accepted, 1 otherwise."""

from __future__ import annotations

import json

from app import cli
from app.system import passwords


def _config(tmp_path, port: int):
    config = tmp_path / "settings.json"
    rule = {"match": "*", "destination": "127.0.0.1", "port": port, "tls": "none", "account": "isp"}
    config.write_text(
        json.dumps({"version": 1, "accounts": [{"name": "isp", "username": "isp-id"}], "rules": [rule]}),
        encoding="utf-8",
    )
    return config


def test_account_test_logs_in_and_says_the_server_accepted(tmp_path, upstream_factory, capsys):
    up = upstream_factory(accounts={"isp-id": "isp-secret"})
    passwords.set("account:isp", "isp-secret")
    assert cli.main(["account", "test", "isp", "--config", str(_config(tmp_path, up.port))]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"account isp: rule No. 1 (127.0.0.1:{up.port}): login accepted as isp-id"), out
    assert up.handler.auth_attempts[-1][1:] == ("isp-id", True)
    assert up.messages == [], "a test login sends no mail"


def test_account_test_gives_the_servers_refusal_with_exit_1(tmp_path, upstream_factory, capsys):
    up = upstream_factory(accounts={"isp-id": "right"})
    passwords.set("account:isp", "wrong")
    assert cli.main(["account", "test", "isp", "--config", str(_config(tmp_path, up.port))]) == 1
    err = capsys.readouterr().err
    assert "the login failed" in err and "535" in err, err


def test_account_test_of_an_unknown_rule_number_says_so(tmp_path, capsys):
    assert cli.main(["account", "test", "isp", "--rule", "4", "--config", str(_config(tmp_path, 1))]) == 1
    assert "there is no rule No. 4 (the file has 1)" in capsys.readouterr().err
