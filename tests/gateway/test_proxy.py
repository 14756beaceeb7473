"""``delivery.http_proxy``: the token requests and Microsoft Graph's requests go through a real
HTTP proxy on 127.0.0.1 (tests/support/proxy.py) when one is set or the environment names one, and
never with ``none``; a proxy that wants a login, or that cannot be reached, defers the mail with
a reply naming the proxy.  The proxy variables of the test process are removed first: each test
sets the environment it means."""

from __future__ import annotations

import socket

import pytest

from app.accounts import service
from tests.gateway.test_graph import MAILBOX, graph_gateway, graph_server  # noqa: F401  (fixtures)
from tests.gateway.test_oauth_accounts import auth_server, data_dir  # noqa: F401  (fixtures)
from tests.support.gateway import make_settings, wait_attempts
from tests.support.proxy import Proxy
from tests.support.smtp import message, send
from tests.support.waiting import wait_until

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUEST_METHOD")


@pytest.fixture
def proxy(monkeypatch):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    made = Proxy()
    yield made
    made.stop()


def delivered(gw, graph) -> None:
    send(gw.port, "a@lan.test", ["b@example.test"], message())
    graph.wait_sent(1)
    wait_until(lambda: gw.spool.ids() == [], 10, "the message to leave the queue")


def test_a_set_proxy_carries_the_token_request_and_graphs_requests(
    tmp_path,
    auth_server,  # noqa: F811
    data_dir,  # noqa: F811
    graph_server,  # noqa: F811
    gateway_factory,
    proxy,
):
    auth = auth_server()
    graph = graph_server(auth)
    gw = graph_gateway(tmp_path, auth, graph, gateway_factory, delivery={"http_proxy": proxy.url})
    delivered(gw, graph)
    assert proxy.seen[0] == ("POST", auth.url("/token"))
    assert proxy.seen[1] == ("POST", f"{graph.url}/v1.0/users/{MAILBOX}/sendMail")


def test_the_system_proxy_from_the_environment_is_used_when_the_setting_is_empty(
    tmp_path,
    auth_server,  # noqa: F811
    data_dir,  # noqa: F811
    graph_server,  # noqa: F811
    gateway_factory,
    proxy,
    monkeypatch,
):
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    auth = auth_server()
    graph = graph_server(auth)
    gw = graph_gateway(tmp_path, auth, graph, gateway_factory)
    delivered(gw, graph)
    assert proxy.paths() == ["/token", f"/v1.0/users/{MAILBOX}/sendMail"]


def test_none_goes_straight_whatever_the_environment_says(
    tmp_path,
    auth_server,  # noqa: F811
    data_dir,  # noqa: F811
    graph_server,  # noqa: F811
    gateway_factory,
    proxy,
    monkeypatch,
):
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    auth = auth_server()
    graph = graph_server(auth)
    gw = graph_gateway(tmp_path, auth, graph, gateway_factory, delivery={"http_proxy": "none"})
    delivered(gw, graph)
    assert proxy.seen == []


def test_a_proxy_asking_for_a_login_defers_with_a_reply_that_says_so(
    tmp_path,
    auth_server,  # noqa: F811
    data_dir,  # noqa: F811
    graph_server,  # noqa: F811
    gateway_factory,
    proxy,
):
    auth = auth_server()
    graph = graph_server(auth)
    gw = graph_gateway(tmp_path, auth, graph, gateway_factory, delivery={"http_proxy": proxy.url})  # signed in
    proxy.require_login = True
    send(gw.port, "a@lan.test", ["b@example.test"], message())
    (qid,) = gw.spool.ids()
    (rcpt,) = wait_attempts(gw, qid, 1).values()
    assert rcpt.state == "deferred" and rcpt.reply.startswith("451 4.4.2 ")
    assert f"the proxy at 127.0.0.1:{proxy.port} asks for a login (407" in rcpt.reply
    assert graph.requests == []


def test_a_token_request_refused_by_the_proxy_says_the_proxy_wants_a_login(tmp_path, auth_server, data_dir, proxy):  # noqa: F811
    auth = auth_server()
    account = {"name": "app", "username": auth.user, "oauth2": auth.oauth2("client_credentials")}
    settings = make_settings(tmp_path, accounts=[account], delivery={"http_proxy": proxy.url})
    proxy.require_login = True
    with pytest.raises(service.AccountError) as exc:
        service.login(settings, "app", secret=auth.client_secret)
    assert f"the proxy at 127.0.0.1:{proxy.port} asks for a login (407" in str(exc.value)
    assert auth.grants.get("client_credentials", 0) == 0


def test_a_proxy_that_cannot_be_reached_defers_naming_the_proxy(
    tmp_path,
    auth_server,  # noqa: F811
    data_dir,  # noqa: F811
    graph_server,  # noqa: F811
    gateway_factory,
    proxy,
):
    auth = auth_server()
    graph = graph_server(auth)
    gw = graph_gateway(tmp_path, auth, graph, gateway_factory, delivery={"http_proxy": proxy.url})  # signed in
    proxy.stop()  # nothing listens on its port any more
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", proxy.port)) != 0
    send(gw.port, "a@lan.test", ["b@example.test"], message())
    (qid,) = gw.spool.ids()
    (rcpt,) = wait_attempts(gw, qid, 1).values()
    assert rcpt.state == "deferred"
    assert f"cannot reach the proxy at 127.0.0.1:{proxy.port} (from delivery.http_proxy)" in rcpt.reply
