"""``check`` warns of an OAuth 2.0 account a rule uses that signs in as a person and is not
signed in, with the command to sign in (and the ``--config`` of the file checked)."""

from __future__ import annotations

import json

from app import cli


def test_check_warns_of_an_account_that_must_sign_in_and_not_of_client_credentials(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TENSO_DATA_DIR", str(tmp_path / "data"))  # no tokens stored
    oauth = {"provider": "microsoft", "tenant": "contoso.example", "client_id": "cid"}
    config = tmp_path / "office settings.json"
    config.write_text(
        json.dumps(
            {
                "version": 1,
                "accounts": [
                    {"name": "m365", "username": "scan@contoso.example", "oauth2": {**oauth, "flow": "device_code"}},
                    {
                        "name": "app",
                        "username": "app@contoso.example",
                        "oauth2": {**oauth, "flow": "client_credentials", "credential": "certificate"},
                    },
                ],
                "rules": [
                    {"match": "@a.example", "destination": "smtp.office365.com", "port": 587, "account": "m365"},
                    {"match": "*", "destination": "smtp.office365.com", "port": 587, "account": "app"},
                ],
            }
        ),
        encoding="utf-8",
    )
    assert cli.main(["check", "--config", str(config)]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "signed in" in line]
    assert warnings == [
        "warning: account m365 (device_code) is not signed in: mail that needs it waits in the queue; "
        f'sign in with: python -m app account login m365 --config "{config}"'
    ]
