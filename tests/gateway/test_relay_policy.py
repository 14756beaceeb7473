"""Never an open relay: relay networks in every form, "relay for rule matches", local users,
and the address tricks of the "Relay" section of docs/rules-and-relay.md, over real SMTP and at the unit level."""

from __future__ import annotations

import ipaddress
import smtplib
import socket
from dataclasses import dataclass

import pytest

from app.mail import relaynets
from app.mail.relaynets import AddressRange, RelayNetworks
from tests.support.smtp import message

# --- helpers ------------------------------------------------------------------------------------


@dataclass
class Session:
    rcpt: dict[str, tuple[int, bytes]]  # recipient -> the gateway's reply to RCPT TO
    data: tuple[int, bytes] | None  # the reply to the end of DATA, None when DATA was not taken

    def accepted(self) -> list[str]:
        return [r for r, (code, _) in self.rcpt.items() if code == 250]


def smtp_session(
    port: int,
    recipients: list[str],
    source: str = "127.0.0.1",
    host: str = "127.0.0.1",
    sender: str = "sender@client.test",
    data: bool = True,
) -> Session:
    """One transaction, recipient by recipient, then DATA whatever the RCPT replies were.

    Recipients are sent as written between the angle brackets, so source routes and quoted
    local parts reach the gateway exactly as a hostile client would send them.
    """
    with smtplib.SMTP(host, port, timeout=30, source_address=(source, 0)) as client:
        client.ehlo("client.test")
        code, reply = client.mail(sender)
        assert code == 250, reply
        replies = {r: client.docmd(f"RCPT TO:<{r}>") for r in recipients}
        if not data:
            return Session(replies, None)
        code, reply = client.docmd("DATA")
        if code != 354:
            return Session(replies, None)
        client.send(message("relay test").replace(b"\r\n.", b"\r\n..") + b"\r\n.\r\n")
        return Session(replies, client.getreply())


def forward_all(up, *extra: dict) -> list[dict]:
    """Rules that send the given rows, then everything else (``*``), to the upstream."""
    rows = [{"destination": "127.0.0.1", "port": up.port, "tls": "none", **row} for row in extra]
    return [*rows, {"match": "*", "destination": "127.0.0.1", "port": up.port, "tls": "none"}]


def assert_nothing_relayed(gw, up, session: Session) -> None:
    assert session.accepted() == []
    assert session.data is None or session.data[0] >= 500
    assert gw.spool.ids() == []  # nothing stored, so nothing can ever be delivered
    assert up.messages == []


def ipv6_loopback() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


def loopback_alias_usable() -> bool:
    """Linux routes all of 127.0.0.0/8 to lo; elsewhere 127.0.0.2 may not be bindable."""
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.2", 0))
    except OSError:
        return False
    return True


needs_ipv6 = pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 loopback (::1) on this machine")
needs_aliases = pytest.mark.skipif(not loopback_alias_usable(), reason="127.0.0.2 cannot be used as a source")


# --- relay networks over SMTP ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "entry",
    ["127.0.0.1", "127.0.0.0/8", "127.0.0.1/32", "127.0.*.*", "127.*.*.*", "127.0.0.1-127.0.0.5", " 127.0.0.1 "],
)
def test_client_in_relay_networks_may_relay_in_every_form(gateway_factory, upstream_factory, entry):
    up = upstream_factory()
    gw = gateway_factory(rules=forward_all(up), options={"relay_networks": ["10.0.0.0/8", entry]})
    session = smtp_session(gw.port, ["someone@example.net"])
    assert session.accepted() == ["someone@example.net"]
    assert session.data[0] == 250
    (got,) = up.handler.wait_for(1)
    assert got.rcpt_tos == ["someone@example.net"]


@needs_aliases
@pytest.mark.parametrize(
    "entry, source, allowed",
    [
        ("127.0.0.1-127.0.0.5", "127.0.0.5", True),
        ("127.0.0.1-127.0.0.5", "127.0.0.6", False),
        ("127.0.0.2", "127.0.0.2", True),
        ("127.0.0.2", "127.0.0.3", False),
        ("127.0.0.2/31", "127.0.0.3", True),
        ("127.0.0.2/31", "127.0.0.4", False),
        ("127.0.0.*", "127.0.0.200", True),
        ("127.0.1.*", "127.0.0.200", False),
    ],
)
def test_relay_network_boundaries_decide_for_each_client_address(
    gateway_factory, upstream_factory, entry, source, allowed
):
    up = upstream_factory()
    gw = gateway_factory(rules=forward_all(up), options={"relay_networks": [entry]})
    session = smtp_session(gw.port, ["someone@example.net"], source=source)
    if allowed:
        assert session.accepted() == ["someone@example.net"]
        up.handler.wait_for(1)
    else:
        assert session.rcpt["someone@example.net"][0] == 550
        assert_nothing_relayed(gw, up, session)


@pytest.mark.parametrize("entry", ["10.0.0.0/8", "127.0.0.2", "127.1.*.*", "127.0.0.2-127.0.0.9", "::1"])
def test_client_not_in_relay_networks_is_refused_at_rcpt_and_nothing_is_stored(
    gateway_factory, upstream_factory, entry
):
    up = upstream_factory()
    gw = gateway_factory(rules=forward_all(up), options={"relay_networks": [entry]})
    session = smtp_session(gw.port, ["someone@example.net", "other@example.org"])
    for code, reply in session.rcpt.values():
        assert code == 550 and reply.startswith(b"5.7.1"), reply
    assert_nothing_relayed(gw, up, session)


def test_refused_and_accepted_recipients_in_one_transaction_only_deliver_the_accepted(
    gateway_factory, upstream_factory
):
    up = upstream_factory()
    gw = gateway_factory(
        local_domains=["local.test"],
        local_users=[{"address": "user1@local.test"}],
        rules=forward_all(up),
        options={"relay_networks": ["10.0.0.0/8"]},
    )
    session = smtp_session(gw.port, ["someone@example.net", "user1@local.test"])
    assert session.accepted() == ["user1@local.test"]
    assert session.rcpt["someone@example.net"][0] == 550
    (got,) = up.handler.wait_for(1)  # the local user is under `*` (skip local is off)
    assert got.rcpt_tos == ["user1@local.test"]


@needs_ipv6
def test_ipv6_client_in_relay_networks_may_relay(gateway_factory, upstream_factory):
    up = upstream_factory()
    gw = gateway_factory(
        server={"listen": ["[::1]:0"]}, rules=forward_all(up), options={"relay_networks": ["10.0.0.0/8", "::1"]}
    )
    session = smtp_session(gw.port, ["someone@example.net"], source="::1", host="::1")
    assert session.accepted() == ["someone@example.net"]
    (got,) = up.handler.wait_for(1)
    assert got.rcpt_tos == ["someone@example.net"]


@needs_ipv6
@pytest.mark.parametrize("entry", ["127.0.0.0/8", "::2", "2001:db8::/32", "::2-::ff"])
def test_ipv6_client_outside_relay_networks_is_refused(gateway_factory, upstream_factory, entry):
    up = upstream_factory()
    gw = gateway_factory(server={"listen": ["[::1]:0"]}, rules=forward_all(up), options={"relay_networks": [entry]})
    session = smtp_session(gw.port, ["someone@example.net"], source="::1", host="::1")
    code, reply = session.rcpt["someone@example.net"]
    assert code == 550 and reply.startswith(b"5.7.1")
    assert_nothing_relayed(gw, up, session)


@needs_ipv6
@pytest.mark.parametrize("entry", ["::/127", "::1-::5", "[::1]"])
def test_ipv6_relay_networks_in_cidr_range_and_bracket_forms(gateway_factory, upstream_factory, entry):
    up = upstream_factory()
    gw = gateway_factory(server={"listen": ["[::1]:0"]}, rules=forward_all(up), options={"relay_networks": [entry]})
    session = smtp_session(gw.port, ["someone@example.net"], source="::1", host="::1")
    assert session.accepted() == ["someone@example.net"]
    up.handler.wait_for(1)


# --- relay for rule matches, local users, unknown users ---------------------------------------------

UNTRUSTED = {"relay_networks": ["10.0.0.0/8"]}


@pytest.mark.parametrize(
    "recipient", ["anyone@ours.test", "ANYONE@Ours.Test", "boss@partner.test", "x@deep.sub.ours.test"]
)
def test_relay_for_rule_matches_accepts_address_and_domain_rows_from_any_client(
    gateway_factory, upstream_factory, recipient
):
    up = upstream_factory()
    gw = gateway_factory(
        rules=forward_all(up, {"match": "@ours.test"}, {"match": "boss@partner.test"}, {"match": "@*.sub.ours.test"}),
        options={**UNTRUSTED, "relay_for_rule_matches": True},
    )
    session = smtp_session(gw.port, [recipient])
    assert session.accepted() == [recipient]
    assert session.data[0] == 250
    (got,) = up.handler.wait_for(1)
    assert got.rcpt_tos == [recipient]


def test_relay_for_rule_matches_never_opens_the_star_row(gateway_factory, upstream_factory):
    up = upstream_factory()
    gw = gateway_factory(
        rules=forward_all(up, {"match": "@ours.test"}), options={**UNTRUSTED, "relay_for_rule_matches": True}
    )
    session = smtp_session(gw.port, ["someone@example.net", "x@ours.test", "other@partner.test", "x@ours.test.evil"])
    assert session.accepted() == ["x@ours.test"]
    for refused in ("someone@example.net", "other@partner.test", "x@ours.test.evil"):
        code, reply = session.rcpt[refused]
        assert code == 550 and reply.startswith(b"5.7.1"), (refused, reply)
    (got,) = up.handler.wait_for(1)
    assert got.rcpt_tos == ["x@ours.test"]


def test_without_relay_for_rule_matches_a_matching_row_does_not_open_relay(gateway_factory, upstream_factory):
    up = upstream_factory()
    gw = gateway_factory(
        rules=forward_all(up, {"match": "@ours.test"}, {"match": "boss@partner.test"}), options=UNTRUSTED
    )
    session = smtp_session(gw.port, ["x@ours.test", "boss@partner.test"])
    assert_nothing_relayed(gw, up, session)


def test_relay_for_rule_matches_accepts_a_row_whose_destination_is_mta(gateway_factory):
    # Example 3's rows forward; a row can also say MTA.  Either way the recipient matched a row.
    gw = gateway_factory(
        rules=[{"match": "@ours.test", "destination": "MTA"}], options={**UNTRUSTED, "relay_for_rule_matches": True}
    )
    session = smtp_session(gw.port, ["x@ours.test", "x@example.net"], data=False)  # no MX lookups in tests
    assert session.accepted() == ["x@ours.test"]
    assert session.rcpt["x@example.net"][0] == 550


def test_local_users_are_accepted_from_any_client(gateway_factory, upstream_factory, tmp_path):
    up = upstream_factory()
    gw = gateway_factory(
        local_domains=["local.test"],
        local_users=[{"address": "user1@local.test"}, {"address": "user2@other.test"}],
        rules=[{"match": "@example.net", "destination": "127.0.0.1", "port": up.port, "tls": "none"}],
        options=UNTRUSTED,
    )
    session = smtp_session(gw.port, ["user1@local.test", "USER2@Other.Test"])
    assert session.accepted() == ["user1@local.test", "USER2@Other.Test"]
    assert session.data[0] == 250
    assert up.messages == []


@pytest.mark.parametrize("trusted", [True, False], ids=["trusted-client", "untrusted-client"])
def test_unknown_user_at_a_local_domain_gets_550_5_1_1(gateway_factory, upstream_factory, trusted):
    up = upstream_factory()
    gw = gateway_factory(
        local_domains=["local.test"],
        local_users=[{"address": "user1@local.test"}],
        rules=[{"match": "@example.net", "destination": "127.0.0.1", "port": up.port, "tls": "none"}],
        options={"relay_networks": ["127.0.0.0/8"] if trusted else ["10.0.0.0/8"]},
    )
    session = smtp_session(gw.port, ["nobody@local.test", "NOBODY@LOCAL.TEST"])
    for code, reply in session.rcpt.values():
        assert code == 550 and reply.startswith(b"5.1.1"), reply
    assert_nothing_relayed(gw, up, session)


# --- address tricks ---------------------------------------------------------------------------------

TRICK_SETUP = {
    "local_domains": ["local.test"],
    "local_users": [{"address": "a@local.test"}],
    "options": {**UNTRUSTED, "relay_for_rule_matches": True},
}


def trick_gateway(gateway_factory, up):
    # local.test is also forwarded to a server behind us (a front server, Example 3 style), so
    # every plain address at local.test is accepted from anyone: the tricks must not ride on that.
    return gateway_factory(rules=forward_all(up, {"match": "@local.test"}, {"match": "@ours.test"}), **TRICK_SETUP)


@pytest.mark.parametrize(
    "recipient",
    [
        "a%evil.example@local.test",
        "evil.example!a@local.test",
        "@relay.example:a@evil.example",
        "@local.test:a@evil.example",
        "@local.test,@ours.test:a@evil.example",
        '"a@evil.example"@local.test',
        '"a%evil.example"@local.test',
        "a%evil.example@ours.test",
        "evil.example!a@ours.test",
        '"a@evil.example"@ours.test',
        "A%EVIL.EXAMPLE@LOCAL.TEST",
    ],
)
def test_address_tricks_from_an_untrusted_client_are_refused(gateway_factory, upstream_factory, recipient):
    up = upstream_factory()
    gw = trick_gateway(gateway_factory, up)
    session = smtp_session(gw.port, [recipient])
    code, reply = session.rcpt[recipient]
    assert code in (550, 553, 554), reply
    assert_nothing_relayed(gw, up, session)


def test_plain_addresses_next_to_the_tricks_are_still_accepted(gateway_factory, upstream_factory):
    """The control for the trick tests: the same gateway takes ordinary mail for its domains."""
    up = upstream_factory()
    gw = trick_gateway(gateway_factory, up)
    session = smtp_session(gw.port, ["a@local.test", "b@local.test", "c@ours.test", "@relay.example:d@ours.test"])
    assert session.accepted() == ["a@local.test", "b@local.test", "c@ours.test", "@relay.example:d@ours.test"]
    (got,) = up.handler.wait_for(1)
    assert sorted(got.rcpt_tos) == ["a@local.test", "b@local.test", "c@ours.test", "d@ours.test"]


def test_a_trusted_client_may_send_to_unusual_local_parts(gateway_factory, upstream_factory):
    """Relay networks are trusted to relay anyway: the trick check is about untrusted clients only."""
    up = upstream_factory()
    gw = gateway_factory(rules=forward_all(up), options={"relay_networks": ["127.0.0.0/8"]})
    session = smtp_session(gw.port, ["a%b@example.net"])
    assert session.accepted() == ["a%b@example.net"]
    (got,) = up.handler.wait_for(1)
    assert got.rcpt_tos == ["a%b@example.net"]


# --- relaynets.parse and RelayNetworks ---------------------------------------------------------------


def v4(first: str, last: str | None = None) -> AddressRange:
    return AddressRange(4, int(ipaddress.IPv4Address(first)), int(ipaddress.IPv4Address(last or first)))


def v6(first: str, last: str | None = None) -> AddressRange:
    return AddressRange(6, int(ipaddress.IPv6Address(first)), int(ipaddress.IPv6Address(last or first)))


@pytest.mark.parametrize(
    "entry, expected",
    [
        ("192.168.1.10", v4("192.168.1.10")),
        ("  192.168.1.10  ", v4("192.168.1.10")),
        ("192.168.0.0/16", v4("192.168.0.0", "192.168.255.255")),
        ("192.168.1.77/24", v4("192.168.1.0", "192.168.1.255")),  # host bits are forgiven
        ("10.0.0.1/32", v4("10.0.0.1")),
        ("0.0.0.0/0", v4("0.0.0.0", "255.255.255.255")),
        ("192.168.*.*", v4("192.168.0.0", "192.168.255.255")),
        ("192.168.1.*", v4("192.168.1.0", "192.168.1.255")),
        ("10.*.*.*", v4("10.0.0.0", "10.255.255.255")),
        ("192.168.1.10-192.168.1.50", v4("192.168.1.10", "192.168.1.50")),
        ("192.168.1.10 - 192.168.1.50", v4("192.168.1.10", "192.168.1.50")),
        ("192.168.1.10-192.168.1.10", v4("192.168.1.10")),
        ("::1", v6("::1")),
        ("[::1]", v6("::1")),
        ("2001:db8::/32", v6("2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")),
        ("fe80::1-fe80::ff", v6("fe80::1", "fe80::ff")),
        ("::ffff:192.168.1.5", v4("192.168.1.5")),  # mapped entries compare like the IPv4 clients they are
    ],
)
def test_parse_turns_every_form_into_an_inclusive_range(entry, expected):
    assert relaynets.parse(entry) == expected


@pytest.mark.parametrize(
    "entry, error",
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("banana", "banana is not an IP address"),
        ("192.168.1.256", "192.168.1.256 is not an IP address"),
        ("192.168.*", "wildcards are written like 192.168.*.*"),
        ("2001:db8::*", "wildcards are written like 192.168.*.*"),
        ("192.*.1.*", "a * may only be followed by more *, as in 192.168.*.*"),
        ("*.168.1.1", "a * may only be followed by more *, as in 192.168.*.*"),
        ("192.168.0.0/33", "192.168.0.0/33 is not a network such as 192.168.0.0/16"),
        ("192.168.0.0/abc", "192.168.0.0/abc is not a network such as 192.168.0.0/16"),
        ("192.168.1.50-192.168.1.10", "the first address of a range must not be above the last"),
        ("192.168.1.1-::1", "both ends of a range must be IPv4 or both IPv6"),
        ("192.168.1.1-host", "host is not an IP address"),
    ],
)
def test_parse_says_what_is_wrong_with_an_entry(entry, error):
    with pytest.raises(ValueError) as caught:
        relaynets.parse(entry)
    assert str(caught.value) == error


@pytest.mark.parametrize(
    "entries, client, inside",
    [
        (["127.0.0.0/8"], "127.0.0.1", True),
        (["127.0.0.0/8"], "::ffff:127.0.0.1", True),  # a dual-stack socket's view of an IPv4 client
        (["192.168.1.10-192.168.1.50"], "::ffff:192.168.1.50", True),
        (["192.168.1.10-192.168.1.50"], "::ffff:192.168.1.51", False),
        (["192.168.*.*"], "::ffff:c0a8:0101", True),  # ::ffff:192.168.1.1 written in hex
        (["127.0.0.0/8"], "::1", False),
        (["::1"], "127.0.0.1", False),
        (["::/96"], "127.0.0.1", False),  # same integer, other IP version
        (["0.0.0.0/0"], "::2", False),
        (["fe80::/10"], "fe80::1%eth0", True),  # link-local with a zone, as getpeername gives it
        (["10.0.0.0/8", "::1"], "::1", True),
        (["127.0.0.1"], None, False),
        (["127.0.0.1"], "", False),
        (["127.0.0.1"], "not-an-ip", False),
        ([], "127.0.0.1", False),
    ],
)
def test_relay_networks_membership_of_client_addresses(entries, client, inside):
    assert (client in RelayNetworks(entries)) is inside


def test_relay_networks_refuse_to_build_from_a_bad_entry():
    with pytest.raises(ValueError, match="wildcards are written like"):
        RelayNetworks(["127.0.0.1", "10.*"])


def test_parse_refuses_a_wildcard_glued_to_digits():
    with pytest.raises(ValueError, match="is not an IP address"):
        relaynets.parse("192.168.1*.*")
