"""Named upstream accounts (``accounts[]``, ``rules[].account``, ``auth_accounts.per_user[].account``):
parsed and checked as docs/accounts.md says, chosen per rule, shown by name by ``route`` and ``check``."""

from __future__ import annotations

import json

import pytest

from app import settings as settings_mod
from app.route.router import Router
from app.settings import SettingsError
from app.system import passwords
from tests.support.processes import check, run_app

M365 = {
    "name": "m365",
    "username": "office@contoso.example",
    "oauth2": {"provider": "microsoft", "tenant": "contoso.example", "client_id": "cid"},
}
ISP = {"name": "isp", "username": "isp-id"}


def problems(data: dict) -> list[str]:
    with pytest.raises(SettingsError) as exc:
        settings_mod.from_dict(data)
    return exc.value.problems


def test_accounts_of_both_kinds_are_read_and_a_password_account_is_saved_without_oauth2(tmp_path):
    data = {"accounts": [ISP, M365], "rules": [{"match": "*", "destination": "smtp.example", "account": "m365"}]}
    settings = settings_mod.from_dict(data)
    isp, m365 = settings.accounts
    assert (isp.name, isp.username, isp.oauth2, isp.key) == ("isp", "isp-id", None, "account:isp")
    assert m365.oauth2 is not None and m365.oauth2.flow == "authorization_code"
    assert m365.oauth2.tenant == "contoso.example"
    path = tmp_path / "settings.json"
    settings_mod.save(settings, path)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert "oauth2" not in saved["accounts"][0]
    assert settings_mod.load(path).accounts == settings.accounts


@pytest.mark.parametrize(
    ("account", "expected"),
    [
        ({"name": "a", "username": "u", "oauth2": {"provider": "microsoft", "client_id": "c"}}, "oauth2.tenant"),
        ({"name": "a", "username": "u", "oauth2": {"provider": "generic", "client_id": "c"}}, "oauth2.token_url"),
        (
            {
                "name": "a",
                "username": "u",
                "oauth2": {
                    "provider": "generic",
                    "client_id": "c",
                    "flow": "device_code",
                    "token_url": "https://t.example/token",
                },
            },
            "oauth2.device_url",
        ),
        (
            {
                "name": "a",
                "username": "u",
                "oauth2": {"provider": "generic", "client_id": "c", "token_url": "https://t.example/token"},
            },
            "oauth2.authorize_url",
        ),
        (
            {
                "name": "a",
                "username": "u",
                "oauth2": {"provider": "google", "client_id": "c", "token_url": "http://login.example/token"},
            },
            "oauth2.token_url: must be https",
        ),
        ({"name": "a", "username": "u", "oauth2": {"provider": "microsoft", "tenant": "t"}}, "oauth2.client_id"),
        ({"name": "a", "username": "u", "oauth2": {"provider": "aol", "client_id": "c"}}, "oauth2.provider"),
        (
            {"name": "a", "username": "u", "oauth2": {"provider": "google", "client_id": "c", "flow": "implicit"}},
            "oauth2.flow",
        ),
        ({"name": "none", "username": "u"}, "name"),
        ({"name": "a"}, "username"),
        (
            {
                "name": "a",
                "username": "u",
                "oauth2": {"provider": "microsoft", "tenant": "t", "client_id": "c", "credential": "certificate"},
            },
            "oauth2.credential: certificate is only for the client_credentials flow",
        ),
        (
            {
                "name": "a",
                "username": "u",
                "oauth2": {
                    "provider": "microsoft",
                    "tenant": "t",
                    "client_id": "c",
                    "flow": "client_credentials",
                    "credential": "key",
                },
            },
            "oauth2.credential: must be one of secret, certificate",
        ),
        ({"name": "a", "username": "u", "secret_expires": "2027-02-30"}, "secret_expires: must be a date"),
    ],
)
def test_an_account_missing_what_its_provider_and_flow_need_names_the_field(account, expected):
    found = problems({"accounts": [account]})
    assert any(p.startswith(f"accounts[0].{expected}") for p in found), found


def test_plain_http_endpoints_are_accepted_for_loopback_hosts_only():
    oauth2 = {
        "provider": "generic",
        "client_id": "c",
        "authorize_url": "http://127.0.0.1:8080/authorize",
        "token_url": "http://[::1]:8080/token",
    }
    settings_mod.from_dict({"accounts": [{"name": "local", "username": "u", "oauth2": oauth2}]})


def test_a_rule_naming_an_account_that_does_not_exist_fails_check_naming_the_field(tmp_path):
    config = tmp_path / "settings.json"
    config.write_text(
        json.dumps(
            {
                "accounts": [ISP],
                "rules": [{"match": "*", "destination": "smtp.example", "account": "m365"}],
                "auth_accounts": {"per_user": [{"local_user": "a@example.jp", "account": "nobody"}]},
                "local_users": [{"address": "a@example.jp"}],
            }
        ),
        encoding="utf-8",
    )
    result = check(config)
    assert result.returncode == 1
    assert "rules[0].account: no account named m365 in accounts (rule No. 1)" in result.stderr
    assert "auth_accounts.per_user[0].account: no account named nobody in accounts" in result.stderr


def test_duplicate_names_and_oauth2_without_tls_are_problems():
    found = problems(
        {
            "accounts": [M365, {**ISP, "name": "M365"}],
            "rules": [{"match": "*", "destination": "smtp.example", "tls": "none", "account": "m365"}],
        }
    )
    assert "accounts[1].name: M365 is listed twice" in found
    assert any(p.startswith("rules[0].tls: the OAuth 2.0 account m365 is only used over TLS") for p in found), found


ROUTED = {
    "local_users": [{"address": "boss@example.jp"}, {"address": "u2@example.jp"}],
    "accounts": [ISP, M365],
    "rules": [
        {"match": "@lan.example", "destination": "10.0.0.5", "account": "none"},
        {"match": "@isp.example", "destination": "smtp.isp.example", "port": 587, "account": "isp"},
        {"match": "*", "destination": "smtp.office365.com", "port": 587, "tls": "required"},
    ],
    "auth_accounts": {
        "common": {"username": "common-id"},
        "per_user": [
            {"local_user": "boss@example.jp", "username": "boss-id"},
            {"local_user": "u2@example.jp", "account": "m365"},
        ],
    },
}


def test_each_rule_uses_its_own_account_none_or_the_original_choice():
    router = Router(settings_mod.from_dict(ROUTED))
    assert router.route("a@lan.example", "boss@example.jp").auth is None
    isp = router.route("a@isp.example", "boss@example.jp").auth
    assert isp is not None and (isp.name, isp.key, isp.username, isp.oauth2) == ("isp", "account:isp", "isp-id", False)
    assert str(router.route("x@else.example", "boss@example.jp").auth) == "user:boss@example.jp"
    m365 = router.route("x@else.example", "u2@example.jp").auth
    assert m365 is not None and (m365.name, m365.oauth2, m365.username) == ("m365", True, "office@contoso.example")
    assert str(router.route("x@else.example", "other@example.jp").auth) == "common"


def test_route_shows_the_account_by_name_in_text_and_json(tmp_path):
    config = tmp_path / "settings.json"
    config.write_text(json.dumps(ROUTED), encoding="utf-8")
    recipients = ["a@lan.example", "a@isp.example", "x@else.example"]
    args = ["route", "--config", str(config), "--from", "u2@example.jp", *recipients]
    result = run_app(*args, "--json")
    assert result.returncode == 0, result.stderr
    assert [d["auth"] for d in json.loads(result.stdout)] == [None, "isp", "m365"]
    text = run_app(*args).stdout.splitlines()
    assert text[0].endswith("auth none") and text[1].endswith("auth isp (isp-id)")
    assert text[2].endswith("auth m365 (office@contoso.example, OAuth 2.0)"), text


def test_check_warns_about_the_common_password_going_to_another_server_and_about_logins_without_tls(tmp_path):
    passwords.set("common", "pw")
    config = tmp_path / "settings.json"
    config.write_text(
        json.dumps(
            {
                "rules": [
                    {"match": "@example.jp", "destination": "mail1.internal.example", "tls": "opportunistic"},
                    {"match": "@quiet.example", "destination": "10.0.0.9", "account": "none", "tls": "none"},
                    {"match": "@old.example", "destination": "old-isp.example", "tls": "none", "account": "isp"},
                    {"match": "*", "destination": "smtp.isp.example", "port": 587, "tls": "required"},
                ],
                "accounts": [ISP],
                "auth_accounts": {"common": {"username": "isp-id"}},
            }
        ),
        encoding="utf-8",
    )
    passwords.set("account:isp", "pw2")
    result = check(config)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 2, result.stderr
    assert warnings[0].startswith(
        "warning: rules[0].account: rule No. 1 (@example.jp) sends the common account's password (isp-id) to "
        "mail1.internal.example whenever it offers AUTH, but the common account looks meant for smtp.isp.example"
    )
    assert warnings[1].startswith("warning: rules[2].tls: rule No. 3 logs in to old-isp.example with the account isp")


def test_check_without_a_catch_all_rule_takes_the_first_server_as_the_common_accounts(tmp_path):
    data = {
        "rules": [
            {"match": "@a.example", "destination": "smtp.isp.example"},
            {"match": "@b.example", "destination": "smtp.isp.example", "port": 587},
            {"match": "@c.example", "destination": "intranet.example"},
        ],
        "auth_accounts": {"common": {"username": "isp-id"}},
    }
    from app.offline import warnings_for

    found = warnings_for(settings_mod.from_dict(data))
    assert [w.split(":")[0] for w in found] == ["rules[2].account"], found


def test_password_set_stores_an_accounts_password_under_account_name():
    result = run_app("password", "set", "account:ISP", stdin="isp-secret\n")
    assert result.returncode == 0, result.stderr
    assert "account:isp" in result.stdout
    assert passwords.get("account:isp") == "isp-secret"
