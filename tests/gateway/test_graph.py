"""Microsoft Graph as a destination (rules[].destination GRAPH): a real gateway sends to the Graph
stand-in of tests/support/graph.py, which checks every bearer token with the authorization server
of tests/support/oauth.py and keeps the MIME bytes it was given."""

from __future__ import annotations

import time

import pytest

from app.accounts import service
from app.deliver.couriers import graph as graph_mod
from app.settings import GRAPH_SCOPE
from tests.gateway.test_oauth_accounts import auth_server, data_dir  # noqa: F401  (fixtures)
from tests.support.gateway import make_settings, wait_attempts
from tests.support.graph import GraphServer
from tests.support.oauth import AuthServer
from tests.support.smtp import message, send, strip_received
from tests.support.waiting import wait_until

MAILBOX = "office@contoso.example"


@pytest.fixture
def graph_server():
    made: list[GraphServer] = []

    def make(auth: AuthServer) -> GraphServer:
        made.append(GraphServer(auth))
        return made[-1]

    yield make
    for server in made:
        server.stop()


def graph_account(auth: AuthServer, graph: GraphServer) -> dict:
    return {
        "name": "graph",
        "username": MAILBOX,
        "oauth2": {
            "provider": "microsoft",
            "tenant": "contoso.example",
            "client_id": auth.client_id,
            "flow": "client_credentials",
            "token_url": auth.url("/token"),
            "graph_url": graph.url,
        },
    }


def graph_gateway(
    tmp_path,
    auth: AuthServer,
    graph: GraphServer,
    gateway_factory,
    before: list[dict] | None = None,
    account: dict | None = None,
    **sections,
):
    """A gateway whose catch-all rule sends by GRAPH (``before``: rules above it; ``account``: more
    keys of its account; ``sections``: more settings), signed in."""
    rules = [*(before or []), {"match": "*", "destination": "GRAPH", "account": "graph"}]
    accounts = [{**graph_account(auth, graph), **(account or {})}]
    settings = make_settings(tmp_path, accounts=accounts, rules=rules, **sections)
    service.login(settings, "graph", secret=auth.client_secret)
    return gateway_factory(settings)


def to_upstream(port: int, match: str) -> dict:
    return {"match": match, "destination": "127.0.0.1", "port": port, "tls": "none", "account": "none"}


# A scanner's mail: Shift_JIS in the Subject and the body, no charset declared anywhere; ソ and 表
# end in 0x5C (a backslash in ASCII), which any decode-and-encode round trip is apt to mangle.
SHIFT_JIS = (
    b"From: scanner@lan.test\r\nTo: x@example.net\r\nSubject: "
    + "スキャン文書 ソ表".encode("shift_jis")
    + b"\r\nMessage-ID: <scan-1@lan.test>\r\n\r\n"
    + "スキャンしたデータを送ります。ソフト表示\r\n".encode("shift_jis")
    + b"\x82\xa0\x5c\r\n.leading dot\r\n"
)


def test_a_shift_jis_message_reaches_graph_byte_for_byte_with_a_token_for_graph(
    tmp_path,
    auth_server,  # noqa: F811
    data_dir,  # noqa: F811
    graph_server,
    gateway_factory,
):
    auth = auth_server()
    graph = graph_server(auth)
    gw = graph_gateway(tmp_path, auth, graph, gateway_factory)
    send(gw.port, "scanner@lan.test", ["x@example.net"], SHIFT_JIS)
    (request,) = graph.wait_for(1)
    assert (request.status, request.mailbox, request.token_valid) == (202, MAILBOX, True)
    (sent,) = graph.sent
    assert strip_received(sent.mime) == SHIFT_JIS  # only Tenso's own Received line on top; no Bcc
    assert auth.scopes == [GRAPH_SCOPE] and auth.grants["client_credentials"] == 1
    wait_until(lambda: gw.spool.ids() == [], 10, "the message to leave the queue")
    # The attempt's outcome reaches the counts on the loop, just after the spool lets the message go.
    wait_until(lambda: gw.gateway.activity.destinations(), 10, "the attempt to be counted")
    (destination,) = gw.gateway.activity.destinations()
    assert destination.name == f"GRAPH {MAILBOX}" and destination.last_success


def test_an_envelope_only_recipient_gets_a_bcc_line_in_what_goes_to_graph_only(
    tmp_path,
    auth_server,  # noqa: F811
    data_dir,  # noqa: F811
    graph_server,
    gateway_factory,
    upstream_factory,
):
    auth = auth_server()
    graph = graph_server(auth)
    upstream = upstream_factory()
    gw = graph_gateway(tmp_path, auth, graph, gateway_factory, before=[to_upstream(upstream.port, "@upstream.test")])
    original = message(extra="Cc: Named <Cc.Person@Example.NET>\r\n")  # To: b@example.test
    envelope = ["b@example.test", "cc.person@example.net", "hidden@example.net", "c@upstream.test"]
    send(gw.port, "a@lan.test", envelope, original)
    graph.wait_for(1)
    (got,) = upstream.handler.wait_for(1)
    (sent,) = graph.sent
    # To and Cc name b and (in other letters) cc.person: only hidden gets a Bcc line; c goes by SMTP.
    assert sent.mime.startswith(b"Bcc: hidden@example.net\r\nReceived: ")
    assert strip_received(sent.mime[len(b"Bcc: hidden@example.net\r\n") :]) == original
    assert got.rcpt_tos == ["c@upstream.test"] and strip_received(got.data) == original  # the queue's bytes


def test_429_with_retry_after_defers_for_that_long_and_the_next_try_delivers(
    tmp_path,
    auth_server,  # noqa: F811
    data_dir,  # noqa: F811
    graph_server,
    gateway_factory,
):
    auth = auth_server()
    graph = graph_server(auth)
    graph.answer(429, {"Retry-After": "2"}, {"code": "ApplicationThrottled", "message": "Too many requests."})
    gw = graph_gateway(tmp_path, auth, graph, gateway_factory)
    send(gw.port, "a@lan.test", ["b@example.test"], message())
    (qid,) = gw.spool.ids()
    (rcpt,) = wait_attempts(gw, qid, 1).values()
    assert rcpt.state == "deferred" and "429" in rcpt.reply and "ApplicationThrottled" in rcpt.reply
    assert rcpt.next_try - rcpt.updated == pytest.approx(2, abs=0.01)  # Graph's wait, not the 5 minutes
    first, second = graph.wait_for(2, timeout=10)  # no retry-now: the scheduler wakes at next_try
    assert (first.status, second.status) == (429, 202) and second.at - first.at >= 1.9
    wait_until(lambda: gw.spool.ids() == [], 10, "the message to leave the queue")


def test_a_401_gets_one_token_refresh_and_one_retry_that_delivers(
    tmp_path,
    auth_server,  # noqa: F811
    data_dir,  # noqa: F811
    graph_server,
    gateway_factory,
):
    auth = auth_server()
    graph = graph_server(auth)
    gw = graph_gateway(tmp_path, auth, graph, gateway_factory)
    auth.expire_all()  # the token Tenso holds (and believes valid for an hour) is refused
    send(gw.port, "a@lan.test", ["b@example.test"], message())
    first, second = graph.wait_for(2)
    assert (first.status, first.token_valid, second.status, second.token_valid) == (401, False, 202, True)
    assert auth.grants["client_credentials"] == 2 and len(graph.sent) == 1
    wait_until(lambda: gw.spool.ids() == [], 10, "the message to leave the queue")


def test_a_second_401_after_the_refresh_defers_with_graphs_reply(
    tmp_path,
    auth_server,  # noqa: F811
    data_dir,  # noqa: F811
    graph_server,
    gateway_factory,
):
    auth = auth_server()
    graph = graph_server(auth)
    refused = {"code": "InvalidAuthenticationToken", "message": "Access token validation failure."}
    graph.answer(401, error=refused)
    graph.answer(401, error=refused)
    gw = graph_gateway(tmp_path, auth, graph, gateway_factory)
    send(gw.port, "a@lan.test", ["b@example.test"], message())
    (qid,) = gw.spool.ids()
    (rcpt,) = wait_attempts(gw, qid, 1).values()
    assert rcpt.state == "deferred" and len(graph.requests) == 2 and auth.grants["client_credentials"] == 2
    assert "refused the token of graph after a refresh: 401" in rcpt.reply
    assert "Access token validation failure." in rcpt.reply and graph.sent == []


def test_a_400_fails_and_bounces_to_the_sender_with_graphs_reply(
    tmp_path,
    auth_server,  # noqa: F811
    data_dir,  # noqa: F811
    graph_server,
    gateway_factory,
    upstream_factory,
):
    auth = auth_server()
    graph = graph_server(auth)
    graph.answer(400, error={"code": "ErrorInvalidRecipients", "message": "At least one recipient is not valid."})
    upstream = upstream_factory()
    gw = graph_gateway(tmp_path, auth, graph, gateway_factory, before=[to_upstream(upstream.port, "@lan.test")])
    send(gw.port, "a@lan.test", ["b@example.test"], message())
    (bounce,) = upstream.handler.wait_for(1)
    assert bounce.mail_from == "<>" and bounce.rcpt_tos == ["a@lan.test"]
    text = bounce.data.decode("utf-8", "replace")
    assert "Microsoft Graph refused the message: 400 Bad Request: ErrorInvalidRecipients" in text
    assert "Final-Recipient: rfc822; b@example.test" in text and "Status: 5.0.0" in text
    wait_until(lambda: gw.spool.ids() == [], 10, "the message and its bounce to leave the queue")


def test_a_message_over_graphs_single_request_limit_goes_as_a_draft_instead_of_bouncing(
    tmp_path,
    auth_server,  # noqa: F811
    data_dir,  # noqa: F811
    graph_server,
    gateway_factory,
):
    auth = auth_server()
    graph = graph_server(auth)
    gw = graph_gateway(tmp_path, auth, graph, gateway_factory)
    body = ("A" * 998 + "\r\n") * 3200  # 3.2 MB: over 4 MB once base64-encoded
    send(gw.port, "a@lan.test", ["b@example.test"], message(body=body))
    (sent,) = graph.wait_sent(1, timeout=30)
    assert sent.message is not None and sent.message["body"] == {"contentType": "Text", "content": body}
    assert graph.requests == []  # no sendMail was tried
    wait_until(lambda: gw.spool.ids() == [], 10, "the message to leave the queue")


def test_time_per_graph_send_against_the_stand_in(
    tmp_path,
    auth_server,  # noqa: F811
    data_dir,  # noqa: F811
    graph_server,
    gateway_factory,
):
    """Not a limit that could fail on a slow machine: the figures docs/accounts.md quotes, printed.
    One request at a time (graph.send, as a delivery thread calls it), then through the gateway."""
    auth = auth_server()
    graph = graph_server(auth)
    gw = graph_gateway(tmp_path, auth, graph, gateway_factory)
    settings = gw.gateway.settings
    box = graph_mod.Mailbox(graph.url, MAILBOX, "graph")

    def token(fresh: bool) -> str:
        return service.access_token(settings, "graph", fresh=fresh)

    for size, count in ((10_000, 50), (3_000_000, 5)):
        mime = message(body=("B" * 98 + "\r\n") * (size // 100))
        started = time.perf_counter()
        for _ in range(count):
            assert graph_mod.send(box, token, mime).reply.startswith("250 2.0.0 accepted by Microsoft Graph")
        each = (time.perf_counter() - started) / count
        print(f"\ngraph.send of {len(mime):,} bytes: {1000 * each:.1f} ms each ({count} sends)")
    before = len(graph.sent)
    count = 20
    started = time.perf_counter()
    for i in range(count):
        send(gw.port, "a@lan.test", ["b@example.test"], message(subject=f"n{i}"))
    wait_until(lambda: len(graph.sent) == before + count, 60, "every message at Graph")
    took = time.perf_counter() - started
    print(f"{count} messages through the gateway to Graph in {took:.2f} s ({1000 * took / count:.1f} ms each)")
