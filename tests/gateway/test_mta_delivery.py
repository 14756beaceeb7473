"""Normal delivery (MTA) and the loop guards, end to end.

A real DNS server on 127.0.0.1 (dnslib) answers MX and A records for ``.test`` domains; the
mail hosts it names are aiosmtpd servers, each on its own loopback address and all on the
port ``delivery.mx_port`` points at.  Local users get their mail in a Maildir, read back with
the standard library's ``mailbox``.  Bounces go to a local user, so they can be read there.
"""

from __future__ import annotations

import json
import smtplib
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from app.settings import SettingsError
from tests.support import FIXTURES, REPO
from tests.support.dnsstub import DNSStub, MailHosts, dead_udp_port
from tests.support.gateway import make_settings, wait_attempts
from tests.support.logs import TensoLog
from tests.support.mail import delivery_status, maildir_messages, parse, returned_headers, without_delivery_headers
from tests.support.processes import dead_port
from tests.support.processes import free_port as _free_port
from tests.support.smtp import message, send, strip_received
from tests.support.waiting import wait_until

SENDER = "user3@example.test"  # a local user: bounces land in its Maildir


@pytest.fixture
def dns():
    stub = DNSStub()
    yield stub
    stub.stop()


@pytest.fixture
def hosts():
    made = MailHosts()
    yield made
    made.stop()


@pytest.fixture
def mta(dns, hosts, gateway_factory):
    """Starts a gateway with no rules (everything MTA) using the stub DNS and the mail hosts' port.
    Requested after ``dns`` and ``hosts`` so the gateway stops before they do."""

    def start(**sections):
        settings = {
            "delivery": {"dns_servers": [dns.address], "mx_port": hosts.port},
            "local_domains": ["example.test"],
            "local_users": [{"address": SENDER}],
            "rules": [],
        }
        settings.update(sections)
        return gateway_factory(**settings)

    return start


def bounces(tmp_path: Path) -> list:
    return [
        parse(without_delivery_headers(raw, "", SENDER)) for raw in maildir_messages(tmp_path / "mailboxes", SENDER)
    ]


def only_message_id(gw) -> str:
    wait_until(lambda: len(gw.spool.ids()) >= 1, what="a queued message")
    (qid,) = gw.spool.ids()
    return qid


# --- MX ------------------------------------------------------------------------------------------


def test_mx_delivery_goes_to_the_lowest_preference_host(dns, hosts, mta):
    dns.mx("pref.test", 20, "mx2.pref.test")  # listed first: order in the answer must not matter
    dns.mx("pref.test", 10, "mx1.pref.test")
    dns.a("mx1.pref.test", "127.0.0.2")
    dns.a("mx2.pref.test", "127.0.0.3")
    best, worse = hosts.smtp("127.0.0.2"), hosts.smtp("127.0.0.3")
    gw = mta()
    sent = [message(f"mx {i}") for i in range(3)]
    for i, data in enumerate(sent):
        send(gw.port, SENDER, [f"rcpt{i}@pref.test"], data)
    got = best.handler.wait_for(3)
    assert sorted(m.rcpt_tos[0] for m in got) == ["rcpt0@pref.test", "rcpt1@pref.test", "rcpt2@pref.test"]
    assert {m.mail_from for m in got} == {SENDER}
    assert sorted(strip_received(m.data) for m in got) == sorted(sent)
    wait_until(lambda: gw.spool.ids() == [], what="empty queue")
    assert worse.messages == []


def test_mx_falls_back_to_the_next_host_when_nothing_listens_on_the_first(dns, hosts, mta):
    dns.mx("fallback.test", 10, "down.fallback.test")
    dns.mx("fallback.test", 20, "up.fallback.test")
    dns.a("down.fallback.test", "127.0.0.4")  # nothing listens there
    dns.a("up.fallback.test", "127.0.0.3")
    up = hosts.smtp("127.0.0.3")
    gw = mta()
    data = message("fallback")
    send(gw.port, SENDER, ["rcpt@fallback.test"], data)
    (got,) = up.handler.wait_for(1)
    assert got.rcpt_tos == ["rcpt@fallback.test"] and strip_received(got.data) == data
    wait_until(lambda: gw.spool.ids() == [], what="empty queue")


def test_mx_falls_back_to_the_next_host_when_the_first_greets_with_554(dns, hosts, mta, tmp_path):
    dns.mx("greet.test", 10, "refuser.greet.test")
    dns.mx("greet.test", 20, "up.greet.test")
    dns.a("refuser.greet.test", "127.0.0.5")
    dns.a("up.greet.test", "127.0.0.3")
    refuser = hosts.greets_554("127.0.0.5")
    up = hosts.smtp("127.0.0.3")
    gw = mta()
    send(gw.port, SENDER, ["rcpt@greet.test"], message("greeting"))
    (got,) = up.handler.wait_for(1)
    assert got.rcpt_tos == ["rcpt@greet.test"]
    assert refuser.connections >= 1  # it was tried first, and its 554 greeting was not final
    wait_until(lambda: gw.spool.ids() == [], what="empty queue")
    assert bounces(tmp_path) == []


def test_a_5xx_from_a_reachable_mx_is_final_and_the_next_mx_is_not_tried(dns, hosts, mta, tmp_path):
    dns.mx("final.test", 10, "a.final.test")
    dns.mx("final.test", 20, "b.final.test")
    dns.a("a.final.test", "127.0.0.2")
    dns.a("b.final.test", "127.0.0.3")
    first, second = hosts.smtp("127.0.0.2"), hosts.smtp("127.0.0.3")
    first.handler.rcpt_replies = {"gone@final.test": "550 5.1.1 no such mailbox"}
    gw = mta()
    send(gw.port, SENDER, ["gone@final.test", "here@final.test"], message("half of it"))
    (got,) = first.handler.wait_for(1)
    assert got.rcpt_tos == ["here@final.test"]
    wait_until(lambda: len(bounces(tmp_path)) == 1 and gw.spool.ids() == [], what="bounce delivered")
    (status,) = delivery_status(bounces(tmp_path)[0])
    assert status["Final-Recipient"] == "rfc822; gone@final.test" and status["Status"] == "5.1.1"
    assert second.messages == []


def test_local_and_remote_recipients_of_one_message_are_handled_separately(dns, hosts, mta, tmp_path):
    gw = mta(local_users=[{"address": SENDER}, {"address": "user1@example.test"}])
    data = message("one local, one nowhere")
    send(gw.port, SENDER, ["user1@example.test", "rcpt@no-such-domain.test"], data)
    wait_until(lambda: len(bounces(tmp_path)) == 1 and gw.spool.ids() == [], what="bounce delivered")
    (local,) = maildir_messages(tmp_path / "mailboxes", "user1@example.test")
    assert strip_received(without_delivery_headers(local, SENDER, "user1@example.test")) == data
    assert [s["Final-Recipient"] for s in delivery_status(bounces(tmp_path)[0])] == ["rfc822; rcpt@no-such-domain.test"]


def test_mx_hosts_all_unreachable_defers_and_does_not_bounce(dns, hosts, mta, tmp_path):
    dns.mx("nobody-home.test", 10, "a.nobody-home.test")
    dns.mx("nobody-home.test", 20, "b.nobody-home.test")
    dns.a("a.nobody-home.test", "127.0.0.4")
    dns.a("b.nobody-home.test", "127.0.0.6")
    gw = mta()
    send(gw.port, SENDER, ["rcpt@nobody-home.test"], message())
    qid = only_message_id(gw)
    rcpt = wait_attempts(gw, qid, 1)["rcpt@nobody-home.test"]
    assert rcpt.state == "deferred" and rcpt.reply.startswith("451 4.4.1"), rcpt.reply
    assert bounces(tmp_path) == []


def test_domain_without_mx_is_delivered_to_its_a_record(dns, hosts, mta):
    dns.a("a-only.test", "127.0.0.3")
    up = hosts.smtp("127.0.0.3")
    gw = mta()
    data = message("implicit mx")
    send(gw.port, SENDER, ["rcpt@a-only.test"], data)
    (got,) = up.handler.wait_for(1)
    assert got.rcpt_tos == ["rcpt@a-only.test"] and strip_received(got.data) == data
    assert dns.asked("a-only.test")[:2] == ["MX", "A"]


def test_null_mx_fails_permanently_and_bounces_without_trying_an_address(dns, hosts, mta, tmp_path):
    dns.null_mx("nullmx.test")
    dns.a("nullmx.test", "127.0.0.3")  # RFC 7505: must not be used as an implicit MX
    up = hosts.smtp("127.0.0.3")
    gw = mta()
    send(gw.port, SENDER, ["rcpt@nullmx.test"], message("to a null mx"))
    wait_until(lambda: len(bounces(tmp_path)) == 1 and gw.spool.ids() == [], what="bounce delivered")
    (report,) = bounces(tmp_path)
    (status,) = delivery_status(report)
    assert status["Final-Recipient"] == "rfc822; rcpt@nullmx.test"
    assert status["Action"] == "failed"
    assert status["Status"].startswith("5.")
    assert "null MX" in status["Diagnostic-Code"]
    assert returned_headers(report)["Subject"] == "to a null mx"
    assert up.messages == [] and "A" not in dns.asked("nullmx.test")


def test_nxdomain_bounces_with_status_5_1_2(dns, hosts, mta, tmp_path):
    gw = mta()
    send(gw.port, SENDER, ["rcpt@no-such-domain.test"], message("to nowhere"))
    wait_until(lambda: len(bounces(tmp_path)) == 1 and gw.spool.ids() == [], what="bounce delivered")
    (report,) = bounces(tmp_path)
    assert report["From"].addresses[0].username.upper() == "MAILER-DAEMON"
    (status,) = delivery_status(report)
    assert status["Final-Recipient"] == "rfc822; rcpt@no-such-domain.test"
    assert (status["Action"], status["Status"]) == ("failed", "5.1.2")
    assert "no-such-domain.test" in status["Diagnostic-Code"]


def test_dns_server_down_defers_with_4xx_and_does_not_bounce(hosts, gateway_factory, tmp_path, monkeypatch):
    # Nothing answers on this port: the resolver waits for its whole timeout (resolver.DNS_TIMEOUT,
    # 10 s), here made 1 s.  The attempt runs in a thread of this process, where the test can
    # shorten it (the delivery process would read its own resolver.DNS_TIMEOUT).
    from app.deliver import resolver

    monkeypatch.setattr(resolver, "DNS_TIMEOUT", 1.0)
    monkeypatch.setenv("TENSO_DELIVERY_PROCESS", "0")
    gw = gateway_factory(
        delivery={"dns_servers": [f"127.0.0.1:{dead_udp_port()}"], "mx_port": hosts.port},
        local_domains=["example.test"],
        local_users=[{"address": SENDER}],
        rules=[],
    )
    send(gw.port, SENDER, ["rcpt@dns-down.test"], message())
    qid = only_message_id(gw)
    rcpt = wait_attempts(gw, qid, 1, timeout=30)["rcpt@dns-down.test"]
    assert rcpt.state == "deferred", rcpt.reply
    assert rcpt.reply.startswith("451 4.4.3"), rcpt.reply
    assert gw.spool.ids() == [qid]
    assert bounces(tmp_path) == []


# --- local users -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["iso-2022-jp.eml", "sjis-undeclared-8bit.eml", "dots-and-long-lines.eml"])
def test_mail_to_a_local_user_lands_in_their_maildir_byte_for_byte(gateway_factory, tmp_path, name):
    gw = gateway_factory(local_domains=["example.test"], local_users=[{"address": "user1@example.test"}], rules=[])
    data = (FIXTURES / name).read_bytes()
    send(gw.port, "boss@client.test", ["User1@EXAMPLE.test"], data)
    wait_until(lambda: gw.spool.ids() == [], what="local delivery")
    (raw,) = maildir_messages(tmp_path / "mailboxes", "user1@example.test")
    assert strip_received(without_delivery_headers(raw, "boss@client.test", "user1@example.test")) == data
    assert sorted(p.name for p in (tmp_path / "mailboxes" / "user1@example.test").iterdir()) == ["cur", "new", "tmp"]


def test_unknown_user_at_a_local_domain_is_refused_at_rcpt_and_nothing_is_stored(gateway_factory, tmp_path):
    gw = gateway_factory(local_domains=["example.test"], local_users=[{"address": "user1@example.test"}], rules=[])
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(gw.port, "boss@client.test", ["nobody@example.test"], message())
    code, text = refused.value.recipients["nobody@example.test"]
    assert code == 550 and text.startswith(b"5.1.1"), (code, text)
    assert gw.spool.ids() == []
    assert not (tmp_path / "mailboxes").exists() or list((tmp_path / "mailboxes").iterdir()) == []


# --- loop guards ----------------------------------------------------------------------------------


def _write_settings(path: Path, data: dict) -> Path:
    path.write_text(json.dumps({"version": 1, **data}), encoding="utf-8")
    return path


def _check(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", "check", "--config", str(config)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.parametrize("destination", ["127.0.0.1", "localhost"])
def test_check_reports_a_rule_whose_destination_is_tenso_itself(tmp_path, destination):
    port = _free_port()
    config = _write_settings(
        tmp_path / "settings.json",
        {
            "server": {"listen": [f"127.0.0.1:{port}"], "hostname": "tenso.test"},
            "rules": [{"match": "*", "destination": destination, "port": port}],
            "queue": {"dir": str(tmp_path / "queue")},
        },
    )
    done = _check(config)
    assert done.returncode == 1
    assert f"rules[0].destination: {destination}:{port} is Tenso itself" in done.stdout + done.stderr


def _loopback_alias() -> tuple[str, str] | None:
    """A name from /etc/hosts (not ``localhost``, which ``check`` judges) that resolves to one
    loopback address only: offline, and never anything but loopback."""
    try:
        lines = Path("/etc/hosts").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2 or not fields[0].startswith("127."):
            continue
        for name in fields[1:]:
            if name.lower() == "localhost":
                continue
            try:
                found = {info[4][0] for info in socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)}
            except OSError:
                continue
            if found == {fields[0]}:
                return name, fields[0]
    return None


def test_rule_to_a_host_name_that_resolves_to_the_gateway_bounces_instead_of_looping(gateway_factory, tmp_path):
    alias = _loopback_alias()
    if alias is None:
        pytest.skip("no /etc/hosts name resolving to a single loopback address on this machine")
    name, address = alias
    port = _free_port()
    settings = {
        "server": {"listen": [f"{address}:{port}"], "hostname": "tenso.test"},
        "local_domains": ["example.test"],
        "local_users": [{"address": SENDER}],
        "rules": [{"match": "@example.net", "destination": name, "port": port, "tls": "none"}],
    }
    config = _write_settings(
        tmp_path / "settings.json",
        {**settings, "queue": {"dir": str(tmp_path / "queue")}, "mailbox_dir": str(tmp_path / "mailboxes")},
    )
    assert _check(config).returncode == 0  # check works offline: it cannot see through the name
    with TensoLog() as log:
        gw = gateway_factory(**settings)
        with smtplib.SMTP(address, port, timeout=30) as client:
            client.sendmail(SENDER, ["x@example.net"], message("looping?"))
        wait_until(lambda: len(bounces(tmp_path)) == 1 and gw.spool.ids() == [], what="bounce delivered")
    (status,) = delivery_status(bounces(tmp_path)[0])
    assert status["Final-Recipient"] == "rfc822; x@example.net"
    assert "loops back to myself" in status["Diagnostic-Code"] and status["Status"] == "5.4.6"
    assert len(log.matching("accepted from=")) == 1  # it never sent the message to itself


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.parametrize(
    ("listen", "destination"),
    [
        ("localhost", "localhost"),
        ("localhost", "127.0.0.1"),
        ("[::1]", "0:0:0:0:0:0:0:1"),
    ],
)
def test_check_reports_tenso_itself_however_the_address_is_written(tmp_path, listen, destination):
    """The same socket named two ways: ``listen`` accepts ``localhost``, and IPv6 has many spellings."""
    if ":" in destination and not _ipv6_loopback():
        pytest.skip("no IPv6 loopback here")
    port = _free_port()
    config = _write_settings(
        tmp_path / "settings.json",
        {
            "server": {"listen": [f"{listen}:{port}"], "hostname": "tenso.test"},
            "rules": [{"match": "*", "destination": destination, "port": port}],
            "queue": {"dir": str(tmp_path / "queue")},
        },
    )
    done = _check(config)
    assert done.returncode == 1, done.stdout
    assert "rules[0].destination:" in done.stderr and "is Tenso itself" in done.stderr


def test_rule_to_the_gateways_own_ipv6_address_spelled_out_is_refused_as_a_loop(tmp_path):
    # 0:0:0:0:0:0:0:1 is [::1] however it is written; the settings never get as far as a loop.
    port = _free_port()
    with pytest.raises(SettingsError) as refused:
        make_settings(
            tmp_path,
            server={"listen": [f"[::1]:{port}"]},
            rules=[{"match": "@example.net", "destination": "0:0:0:0:0:0:0:1", "port": port, "tls": "none"}],
        )
    assert "is Tenso itself" in str(refused.value)


def _self_mx_gateway(dns, hosts, gateway_factory, port: int, **extra):
    return gateway_factory(
        server={"listen": [f"127.0.0.1:{port}"]},
        delivery={"dns_servers": [dns.address], "mx_port": port},
        local_domains=["example.test"],
        local_users=[{"address": SENDER}],
        **extra,
    )


def test_mx_pointing_back_at_the_gateway_bounces_loops_back_to_myself(dns, hosts, gateway_factory, tmp_path):
    # The original's warning: "relay for rule matches" + "check local users" + DNS pointing back.
    port = _free_port()
    dns.mx("mail1.test", 10, "mx.mail1.test")
    dns.a("mx.mail1.test", "127.0.0.1")
    with TensoLog() as log:
        gw = _self_mx_gateway(
            dns,
            hosts,
            gateway_factory,
            port,
            rules=[{"match": "@mail1.test", "destination": "127.0.0.1", "port": dead_port(), "tls": "none"}],
            options={"relay_for_rule_matches": True, "check_local_users": True, "relay_networks": ["10.0.0.0/8"]},
        )
        send(gw.port, SENDER, ["hogehoge@mail1.test"], message("hello mail1"))  # accepted: the rule matches
        wait_until(lambda: len(bounces(tmp_path)) == 1 and gw.spool.ids() == [], what="bounce delivered")
    report = bounces(tmp_path)[0]
    (status,) = delivery_status(report)
    assert status["Final-Recipient"] == "rfc822; hogehoge@mail1.test"
    assert status["Action"] == "failed" and "loops back to myself" in status["Diagnostic-Code"]
    assert returned_headers(report)["Subject"] == "hello mail1"
    assert len(log.matching("accepted from=")) == 1  # one arrival: the gateway never talked to itself


def test_mx_preferred_over_the_gateway_is_used_and_less_preferred_ones_never(dns, hosts, gateway_factory, tmp_path):
    port = hosts.port  # the gateway and the mail hosts share the MX port, on different addresses
    dns.mx("better.test", 5, "other.better.test")
    dns.mx("better.test", 10, "me.better.test")
    dns.a("other.better.test", "127.0.0.2")
    dns.a("me.better.test", "127.0.0.1")
    dns.mx("worse.test", 10, "me.worse.test")
    dns.mx("worse.test", 20, "other.worse.test")
    dns.a("me.worse.test", "127.0.0.1")
    dns.a("other.worse.test", "127.0.0.2")
    other = hosts.smtp("127.0.0.2")
    gw = _self_mx_gateway(dns, hosts, gateway_factory, port, rules=[])
    send(gw.port, SENDER, ["rcpt@better.test"], message("to better"))
    (got,) = other.handler.wait_for(1)
    assert got.rcpt_tos == ["rcpt@better.test"]
    send(gw.port, SENDER, ["rcpt@worse.test"], message("to worse"))
    wait_until(lambda: len(bounces(tmp_path)) == 1 and gw.spool.ids() == [], what="bounce delivered")
    (status,) = delivery_status(bounces(tmp_path)[0])
    assert (
        status["Final-Recipient"] == "rfc822; rcpt@worse.test" and "loops back to myself" in status["Diagnostic-Code"]
    )
    assert len(other.messages) == 1  # RFC 5321 5.1: hosts less preferred than this one are not tried


def test_message_with_more_received_headers_than_max_forward_count_is_refused(gateway_factory, upstream_factory):
    up = upstream_factory()
    gw = gateway_factory(
        options={"max_forward_count": 5},
        rules=[{"match": "*", "destination": "127.0.0.1", "port": up.port, "tls": "none"}],
    )
    hops = "".join(
        f"Received: from hop{i}.example.net by hop{i + 1}.example.net; Thu, 1 Jan 2026 00:00:0{i} +0000\r\n"
        for i in range(6)
    )
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(gw.port, "a@lan.test", ["x@example.net"], hops.encode() + message("looping"))
    assert refused.value.smtp_code == 554 and b"5.4.6" in refused.value.smtp_error
    assert gw.spool.ids() == []
    # Under the limit it passes.
    send(gw.port, "a@lan.test", ["x@example.net"], "".join(hops.splitlines(True)[:3]).encode() + message("ok"))
    (got,) = up.handler.wait_for(1)
    assert got.data.count(b"Received: ") == 4
