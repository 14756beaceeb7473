"""The GRAPH destination without a network: what goes to Graph (the Bcc line), Retry-After, the
settings' checks, and ``route`` / ``check`` on the command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from app import settings as settings_mod
from app.deliver.couriers import graph
from app.route.router import GRAPH, Router
from app.settings import GRAPH_SCOPE, SettingsError
from tests.support.processes import check, run_app

APP = {
    "name": "graph",
    "username": "office@contoso.example",
    "oauth2": {"provider": "microsoft", "tenant": "contoso.example", "client_id": "cid", "flow": "client_credentials"},
}
RULE = {"match": "*", "destination": "GRAPH", "account": "graph"}


def problems(data: dict) -> list[str]:
    with pytest.raises(SettingsError) as exc:
        settings_mod.from_dict(data)
    return exc.value.problems


# --- what goes to Graph ---


def test_recipients_named_in_to_or_cc_get_no_bcc_and_the_bytes_stay_as_they_are():
    content = (
        b"To: =?ISO-2022-JP?B?GyRCRWxCPBsoQg==?= <Boss@Example.JP>, other@example.jp\r\n"
        b'Cc: "Sales, Tokyo" <sales@example.jp>\r\nSubject: \x83\x5c\x95\x5c\r\n\r\nbody\r\n'
    )
    assert graph.with_bcc(content, ["boss@example.jp", "sales@example.jp"]) is content


def test_envelope_only_recipients_get_one_folded_bcc_line_on_top():
    content = b"To: a@example.jp\r\n\r\nbody\r\n"
    assert graph.with_bcc(content, ["a@example.jp", "x@example.net", "y@example.net", "x@example.net"]) == (
        b"Bcc: x@example.net,\r\n y@example.net\r\n" + content
    )


def test_a_recipient_in_an_existing_bcc_is_not_added_again_and_lf_messages_get_lf():
    content = b"To: a@example.jp\nBcc: hidden@example.net\n\nbody\n"
    assert graph.with_bcc(content, ["hidden@example.net"]) is content
    assert graph.with_bcc(content, ["new@example.net"]) == b"Bcc: new@example.net\n" + content


def test_only_the_headers_are_read_for_recipients():
    content = b"Subject: x\r\n\r\nTo: in-the-body@example.net\r\n"
    assert graph.header_recipients(content) == []
    assert graph.with_bcc(content, ["in-the-body@example.net"]).startswith(b"Bcc: in-the-body@example.net\r\n")


def test_retry_after_in_seconds_or_as_an_http_date():
    assert graph.retry_after("30") == 30.0
    now = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC).timestamp()
    assert graph.retry_after(format_datetime(datetime(2026, 1, 5, 12, 1, 30, tzinfo=UTC), usegmt=True), now) == 90.0
    assert graph.retry_after(None) is None and graph.retry_after("soon") is None
    assert graph.retry_after("0") == 1.0  # never a retry at once


def test_the_send_url_names_the_mailbox():
    box = graph.Mailbox("https://graph.microsoft.com/", "office@contoso.example", "graph")
    assert box.send_url == "https://graph.microsoft.com/v1.0/users/office@contoso.example/sendMail"
    assert box.via == "GRAPH office@contoso.example"


# --- the settings ---


def test_a_graph_rule_with_a_microsoft_client_credentials_account_is_valid_and_port_and_tls_are_unused():
    settings = settings_mod.from_dict({"accounts": [APP], "rules": [{**RULE, "tls": "none", "port": 1}]})
    assert settings.graph_accounts() == {"graph"}
    decision = Router(settings).route("x@example.net")
    assert (decision.kind, decision.destination, decision.port, decision.rule) == (GRAPH, "GRAPH", None, 1)
    assert decision.auth is not None and decision.auth.username == "office@contoso.example"


NO_ACCOUNT_RULE = {"match": "*", "destination": "GRAPH"}


@pytest.mark.parametrize(
    ("oauth2", "rule", "expected"),
    [
        ({}, NO_ACCOUNT_RULE, "rules[0].account: GRAPH sends with the rule's own account"),
        ({}, {**RULE, "account": "none"}, "rules[0].account: GRAPH sends with the rule's own account"),
        ({}, {**RULE, "account": "nobody"}, "rules[0].account: no account named nobody in accounts"),
        (None, RULE, "rules[0].account: GRAPH needs a microsoft OAuth 2.0 account"),
        ({"flow": "authorization_code"}, RULE, "rules[0].account: GRAPH needs a microsoft OAuth 2.0 account"),
        (
            {"provider": "generic", "token_url": "https://login.example/token"},
            RULE,
            "rules[0].account: GRAPH needs a microsoft OAuth 2.0 account with the client_credentials flow; graph",
        ),
        ({"scope": "https://outlook.office365.com/.default"}, RULE, f"accounts[0].oauth2.scope: must be {GRAPH_SCOPE}"),
        ({}, {**RULE, "conversion_host": "example.net"}, "rules[0].conversion_host: GRAPH takes the recipients"),
    ],
)
def test_check_names_what_a_graph_rule_lacks(oauth2, rule, expected):
    """``oauth2``: changes to the account's oauth2, or None for a password account."""
    app = {"name": "graph", "username": APP["username"]}
    if oauth2 is not None:
        app["oauth2"] = {**APP["oauth2"], **oauth2}
    found = problems({"accounts": [app], "rules": [rule]})
    assert any(p.startswith(expected) for p in found), found


def test_an_account_cannot_serve_graph_and_smtp_at_once():
    rules = [{"match": "@a.example", "destination": "smtp.office365.com", "tls": "required", "account": "graph"}, RULE]
    found = problems({"accounts": [APP], "rules": rules})
    assert any(p.startswith("rules[0].account: the account graph gets tokens for Microsoft Graph") for p in found)


def test_the_token_of_a_graph_account_is_asked_for_graphs_scope():
    from app.accounts import oauth

    settings = settings_mod.from_dict({"accounts": [APP], "rules": [RULE]})
    (account,) = settings.accounts
    assert oauth.endpoints(account, graph=True).scope == GRAPH_SCOPE
    assert oauth.endpoints(account).scope == "https://outlook.office365.com/.default"  # XOAUTH2 to Exchange


# --- the command line ---


def test_check_fails_a_graph_rule_without_a_suitable_account_and_passes_a_good_one(tmp_path):
    config = tmp_path / "settings.json"
    config.write_text(json.dumps({"accounts": [{**APP, "oauth2": None}], "rules": [RULE]}), encoding="utf-8")
    result = check(config)
    assert result.returncode == 1
    assert "rules[0].account: GRAPH needs a microsoft OAuth 2.0 account with the client_credentials flow" in (
        result.stderr
    )
    config.write_text(json.dumps({"accounts": [APP], "rules": [{**RULE, "tls": "none"}]}), encoding="utf-8")
    result = check(config)
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr  # tls none is unused by GRAPH: no plaintext-login warning


def test_route_shows_graph_as_the_destination(tmp_path):
    config = tmp_path / "settings.json"
    config.write_text(json.dumps({"accounts": [APP], "rules": [RULE]}), encoding="utf-8")
    result = run_app("route", "--config", str(config), "--json", "x@example.net")
    assert result.returncode == 0, result.stderr
    (decision,) = json.loads(result.stdout)
    assert (decision["destination"], decision["delivery"], decision["auth"]) == ("GRAPH", "graph", "graph")
    text = run_app("route", "--config", str(config), "x@example.net").stdout
    assert "-> GRAPH (Microsoft Graph sendMail as office@contoso.example)" in text, text
