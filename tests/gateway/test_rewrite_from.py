"""rules[].rewrite_from end to end (issue 24, item 4): a device that sends as an address its
mailbox does not own is refused by Exchange (550 5.7.60); a rule can send it as the mailbox it
logs in with.  The upstream here refuses like Exchange: MAIL FROM must be the logged-in user."""

from __future__ import annotations

from app.accounts import service
from app.system import passwords
from tests.gateway.test_graph import MAILBOX, graph_account, graph_server  # noqa: F401  (the graph_server fixture)
from tests.gateway.test_oauth_accounts import auth_server, data_dir  # noqa: F401  (fixtures)
from tests.support.gateway import make_settings
from tests.support.smtp import message, send, strip_received
from tests.support.waiting import wait_until

MAILBOX_USER = "box@corp.example"
SEND_AS = "550 5.7.60 SMTP; Client does not have permissions to send as this sender"


def _exchange_like(up) -> None:
    """MAIL FROM is refused unless it is the user that logged in (or <>), as Exchange Online does."""
    handle_mail = up.handler.handle_MAIL

    async def send_as_checked(server, session, envelope, address, options):
        user = getattr(session, "tenso_user", None)
        if address not in ("", "<>") and user and address.lower() != user.lower():
            return SEND_AS
        return await handle_mail(server, session, envelope, address, options)

    up.handler.handle_MAIL = send_as_checked


def _gateway(gateway_factory, up, rewrite_from: str):
    passwords.set("account:box", "box-pw")
    rule = {"match": "*", "destination": "127.0.0.1", "port": up.port, "tls": "none", "account": "box"}
    return gateway_factory(
        accounts=[{"name": "box", "username": MAILBOX_USER}], rules=[{**rule, "rewrite_from": rewrite_from}]
    )


def test_without_rewrite_from_an_exchange_like_server_refuses_the_devices_sender(gateway_factory, upstream_factory):
    up = upstream_factory(accounts={MAILBOX_USER: "box-pw"})
    _exchange_like(up)
    gw = _gateway(gateway_factory, up, "")
    send(gw.port, "scanner@lan.test", ["x@example.net"], message("scan"))
    (bounce,) = up.handler.wait_for(1)  # the message was refused; this is its bounce, from <>
    assert (bounce.mail_from, bounce.rcpt_tos) == ("<>", ["scanner@lan.test"])
    assert b"5.7.60" in bounce.data


def test_rewrite_from_account_sends_as_the_mailbox_and_keeps_the_original_from_as_reply_to(
    gateway_factory, upstream_factory
):
    up = upstream_factory(accounts={MAILBOX_USER: "box-pw"})
    _exchange_like(up)
    up.handler.rcpt_replies = {"nobody@example.net": "550 5.1.1 no such user"}
    gw = _gateway(gateway_factory, up, "account")
    data = message("scan", extra="DKIM-Signature: v=1; d=lan.test;\r\n\tb=xyz\r\n")  # From: a@client.test
    send(gw.port, "scanner@lan.test", ["x@example.net", "nobody@example.net"], data)
    got, bounce = up.handler.wait_for(2)
    assert (got.mail_from, got.rcpt_tos, got.auth_user) == (MAILBOX_USER, ["x@example.net"], MAILBOX_USER)
    expected = data.replace(b"From: a@client.test\r\n", b"From: <box@corp.example>\r\nReply-To: a@client.test\r\n")
    assert strip_received(got.data) == expected  # DKIM-Signature and the rest as they were
    # The bounce for the refused recipient goes to the original sender, which the queue kept.
    assert (bounce.mail_from, bounce.rcpt_tos) == ("<>", ["scanner@lan.test"])
    assert b"nobody@example.net" in bounce.data
    wait_until(lambda: gw.spool.ids() == [], what="sent and bounced")


def test_rewrite_from_an_address_sends_as_that_address(gateway_factory, upstream_factory):
    up = upstream_factory(accounts={MAILBOX_USER: "box-pw"})  # not Exchange-like: any sender
    gw = _gateway(gateway_factory, up, "scanners@corp.example")
    data = message("scan", extra="Reply-To: desk@lan.test\r\n")
    send(gw.port, "scanner@lan.test", ["x@example.net"], data)
    (got,) = up.handler.wait_for(1)
    assert got.mail_from == "scanners@corp.example"
    assert strip_received(got.data) == data.replace(b"From: a@client.test", b"From: <scanners@corp.example>")


def test_a_graph_rule_with_rewrite_from_account_sends_from_the_mailbox(
    tmp_path,
    auth_server,  # noqa: F811
    data_dir,  # noqa: F811
    graph_server,  # noqa: F811
    gateway_factory,
):
    auth = auth_server()
    graph = graph_server(auth)
    rules = [{"match": "*", "destination": "GRAPH", "account": "graph", "rewrite_from": "account"}]
    settings = make_settings(tmp_path, accounts=[graph_account(auth, graph)], rules=rules)
    service.login(settings, "graph", secret=auth.client_secret)
    gw = gateway_factory(settings)
    data = message("scan", extra="")
    send(gw.port, "scanner@lan.test", ["b@example.test"], data)
    graph.wait_for(1)
    (sent,) = graph.sent
    new_from = f"From: <{MAILBOX}>\r\nReply-To: a@client.test\r\n".encode()
    assert strip_received(sent.mime) == data.replace(b"From: a@client.test\r\n", new_from)
