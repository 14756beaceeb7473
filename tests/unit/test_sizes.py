"""The largest message a way out takes (route/sizes.py), from the settings alone."""

from __future__ import annotations

from app import settings as settings_mod
from app.route import sizes
from app.route.router import Router

GRAPH_APP = {
    "name": "graph",
    "username": "office@contoso.example",
    "oauth2": {"provider": "microsoft", "tenant": "contoso.example", "client_id": "cid", "flow": "client_credentials"},
}


def limit(rules: list[dict], accounts: list[dict], recipient: str = "x@example.net") -> sizes.Limit | None:
    settings = settings_mod.from_dict({"rules": rules, "accounts": accounts})
    return sizes.limit_for(settings, Router(settings).route(recipient))


def test_a_graph_mailbox_takes_exchange_onlines_35_mb_unless_the_account_says_otherwise():
    rule = {"match": "*", "destination": "GRAPH", "account": "graph"}
    expected = sizes.Limit(35 * 1024 * 1024, "office@contoso.example", "Exchange Online's default")
    assert limit([rule], [GRAPH_APP]) == expected
    raised = {**GRAPH_APP, "limits": {"message_mb": 150}}
    assert limit([rule], [raised]).bytes == 150 * 1024 * 1024


def test_an_exchange_online_server_gets_35_mb_and_any_other_server_only_its_accounts_number():
    mailbox = {"name": "box", "username": "scan@contoso.example"}
    to_exchange = {"match": "*", "destination": "smtp.office365.com", "port": 587, "account": "box"}
    assert limit([to_exchange], [mailbox]).bytes == 35 * 1024 * 1024
    to_isp = {"match": "*", "destination": "smtp.isp.example", "port": 587, "account": "box"}
    assert limit([to_isp], [mailbox]) is None
    assert limit([to_isp], [{**mailbox, "limits": {"message_mb": 20}}]).bytes == 20 * 1024 * 1024
    assert limit([], []) is None  # normal delivery (MX): no limit known
