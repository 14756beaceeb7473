"""The destination's own id for a message, read from its reply: one test per form a destination
writes it in, and none from a reply that names no message or refused it."""

from __future__ import annotations

from app.history.upstream import upstream_id


def test_postfix_queued_as():
    assert upstream_id("250 2.0.0 Ok: queued as 4DqXyZ1234") == "4DqXyZ1234"


def test_queued_as_in_the_middle_of_a_longer_reply():
    assert upstream_id("250 Ok: queued as ABC123, thank you") == "ABC123"


def test_exchange_online_message_id_in_angle_brackets():
    reply = (
        "250 2.6.0 <0123abcd@TY1PR01MB1234.jpnprd01.prod.outlook.com> [InternalId=1234567, "
        "Hostname=TY1PR01MB1234.jpnprd01.prod.outlook.com] 53412 bytes in 0.120, 433.5 KB/sec Queued mail for delivery"
    )
    assert upstream_id(reply) == "<0123abcd@TY1PR01MB1234.jpnprd01.prod.outlook.com>"


def test_exchange_hostname_in_brackets_when_it_names_no_message_id():
    reply = "250 2.6.0 [InternalId=98765, Hostname=EX01.contoso.local] Queued mail for delivery"
    assert upstream_id(reply) == "InternalId=98765, Hostname=EX01.contoso.local"


def test_microsoft_graph_request_id():
    reply = (
        "250 2.0.0 accepted by Microsoft Graph for scan@contoso.jp (request-id 1b2c3d4e-0000-4a5b-9c8d-0123456789ab)"
    )
    assert upstream_id(reply) == "1b2c3d4e-0000-4a5b-9c8d-0123456789ab"


def test_exim_id():
    assert upstream_id("250 OK id=1tXyZa-0001Ab-Cd") == "1tXyZa-0001Ab-Cd"


def test_gmail_id_before_gsmtp():
    assert (
        upstream_id("250 2.0.0 OK  1733616000 d9443c01a7336-21f0a2e3c5asi123 - gsmtp")
        == "d9443c01a7336-21f0a2e3c5asi123"
    )


def test_amazon_ses_message_id():
    reply = "250 Ok 0100019b2a3c4d5e-6f7a8b9c-1d2e-4f3a-8b9c-0d1e2f3a4b5c-000000"
    assert upstream_id(reply) == "0100019b2a3c4d5e-6f7a8b9c-1d2e-4f3a-8b9c-0d1e2f3a4b5c-000000"


def test_a_reply_that_names_no_message_gives_none():
    assert upstream_id("250 2.0.0 OK upstream") is None
    assert upstream_id("250 2.0.0 delivered to mailbox of u1@example.jp") is None


def test_a_refusal_gives_none_even_when_it_holds_an_id_like_text():
    assert upstream_id("550 5.7.1 <x@example.jp> relay denied; queued as nothing") is None
    assert upstream_id("451 4.4.0 Microsoft Graph answered 503 (request-id abc-123)") is None


def test_an_address_later_in_a_reply_is_not_taken_for_an_exchange_id():
    assert upstream_id("250 2.1.5 recipient <someone@example.jp> ok, message accepted") is None
