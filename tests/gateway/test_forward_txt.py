"""Local users' forwarding lists, the original's forward.txt (docs/rules-and-relay.md), end to end.

Mail arrives over SMTP for a local user; their lines decide what is kept in the Maildir and
what is forwarded.  Forwarded copies go back through the routing rules: ``@example.net`` goes
to one upstream, the senders' domain ``client.test`` to another (where bounces would land).
The last tests run ``python -m app import-forward`` as administrators do.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import FIXTURES, REPO
from tests.support.mail import delivery_status, maildir_messages, parse, without_delivery_headers
from tests.support.smtp import message, send, strip_received
from tests.support.waiting import wait_until

JAPANESE_SUBJECT = "見積書のご確認"  # the ISO-2022-JP fixture's Subject, decoded
BOSS = "boss@client.test"
OTHER = "someone@client.test"


@pytest.fixture
def net(upstream_factory):
    """The upstream behind the ``@example.net`` rule."""
    return upstream_factory()


@pytest.fixture
def senders(upstream_factory):
    """The upstream behind ``@client.test``, the senders' domain: bounces to them would land here.
    (Not ``*``: that row would take the local users' mail too, skip_local being off.)"""
    return upstream_factory()


@pytest.fixture
def forwarding(net, senders, gateway_factory, tmp_path):
    """Starts a gateway whose local users (at example.test) have the given forward lines."""

    def start(users: dict[str, list[str]], rules: list[dict] | None = None, **sections):
        rules = rules or [{"match": "@example.net", "destination": "127.0.0.1", "port": net.port, "tls": "none"}]
        rules = [*rules, {"match": "@client.test", "destination": "127.0.0.1", "port": senders.port, "tls": "none"}]
        gw = gateway_factory(
            local_domains=["example.test"],
            local_users=[{"address": a, "forward": lines} for a, lines in users.items()],
            rules=rules,
            **sections,
        )
        gw.mailboxes = tmp_path / "mailboxes"
        return gw

    return start


def deliver(gw, sender: str, rcpt: str, data: bytes) -> None:
    """Sends, then waits until the message and every copy it caused have left the queue."""
    send(gw.port, sender, [rcpt], data)
    wait_until(lambda: gw.spool.ids() == [], what="queue empty")


def kept(gw, user: str, sender: str) -> list[bytes]:
    """The user's Maildir, each message as the client sent it (no delivery headers, no Received)."""
    return [strip_received(without_delivery_headers(raw, sender, user)) for raw in maildir_messages(gw.mailboxes, user)]


def forwarded_body(data: bytes) -> bytes:
    """A forwarded copy as the client sent it: minus the forward hop's and the arrival's Received."""
    return strip_received(strip_received(data))


# --- each action -----------------------------------------------------------------------------------


def test_none_keeps_the_original_and_forwards_a_copy(forwarding, net, senders):
    gw = forwarding({"user1@example.test": ["fwd@example.net,NONE"]})
    data = message("keep and forward")
    deliver(gw, BOSS, "user1@example.test", data)
    (copy,) = net.handler.wait_for(1)
    assert (copy.mail_from, copy.rcpt_tos) == (BOSS, ["fwd@example.net"])
    assert forwarded_body(copy.data) == data
    assert kept(gw, "user1@example.test", BOSS) == [data]
    assert senders.messages == []


def test_delete_forwards_and_does_not_keep_the_original(forwarding, net, senders):
    gw = forwarding({"user1@example.test": ["fwd@example.net,DELETE"]})
    data = message("forward only")
    deliver(gw, BOSS, "user1@example.test", data)
    (copy,) = net.handler.wait_for(1)
    assert copy.rcpt_tos == ["fwd@example.net"] and forwarded_body(copy.data) == data
    assert kept(gw, "user1@example.test", BOSS) == []
    assert senders.messages == []


def test_filternone_forwards_only_mail_whose_sender_contains_the_filter_text(forwarding, net):
    gw = forwarding({"user1@example.test": ["fwd@example.net,FILTERNONE,boss@"]})
    from_boss, from_other = message("from the boss"), message("from someone else")
    deliver(gw, BOSS, "user1@example.test", from_boss)
    deliver(gw, OTHER, "user1@example.test", from_other)
    (copy,) = net.handler.wait_for(1)
    assert forwarded_body(copy.data) == from_boss
    boxed = maildir_messages(gw.mailboxes, "user1@example.test")
    assert [
        strip_received(without_delivery_headers(raw, s, "user1@example.test"))
        for raw, s in zip(boxed, [BOSS, OTHER], strict=True)
    ] == [from_boss, from_other]  # both kept


def test_filterdelete_forwards_matching_mail_only_and_keeps_the_rest(forwarding, net):
    gw = forwarding({"user1@example.test": ["fwd@example.net,FILTERDELETE,boss@"]})
    from_boss, from_other = message("boss: forward only"), message("other: keep")
    deliver(gw, BOSS, "user1@example.test", from_boss)
    deliver(gw, OTHER, "user1@example.test", from_other)
    (copy,) = net.handler.wait_for(1)
    assert forwarded_body(copy.data) == from_boss
    assert kept(gw, "user1@example.test", OTHER) == [from_other]


def test_subjectonly_sends_a_notice_carrying_the_decoded_subject_and_keeps_the_original(forwarding, net):
    gw = forwarding({"user1@example.test": ["pager@example.net,SUBJECTONLY"]})
    data = (FIXTURES / "iso-2022-jp.eml").read_bytes()
    deliver(gw, BOSS, "user1@example.test", data)
    (notice,) = net.handler.wait_for(1)
    assert notice.rcpt_tos == ["pager@example.net"]
    parsed = parse(notice.data)
    assert JAPANESE_SUBJECT in parsed["Subject"]
    assert data.split(b"\r\n\r\n", 1)[1] not in notice.data  # the body stays at home
    assert kept(gw, "user1@example.test", BOSS) == [data]


def test_filtersubjectonly_sends_a_notice_only_for_matching_senders(forwarding, net):
    gw = forwarding({"user1@example.test": ["pager@example.net,FILTERSUBJECTONLY,boss@"]})
    deliver(gw, OTHER, "user1@example.test", message("no notice for this"))
    deliver(gw, BOSS, "user1@example.test", (FIXTURES / "iso-2022-jp.eml").read_bytes())
    (notice,) = net.handler.wait_for(1)
    assert JAPANESE_SUBJECT in parse(notice.data)["Subject"]
    assert len(maildir_messages(gw.mailboxes, "user1@example.test")) == 2  # both originals kept


# --- reading the list --------------------------------------------------------------------------------


def test_disabled_lines_are_skipped(forwarding, net):
    gw = forwarding({"user1@example.test": ["off@example.net,DELETE,,1", "on@example.net,NONE"]})
    data = message("skip the disabled line")
    deliver(gw, BOSS, "user1@example.test", data)
    (copy,) = net.handler.wait_for(1)
    assert copy.rcpt_tos == ["on@example.net"]
    assert kept(gw, "user1@example.test", BOSS) == [data]  # NONE applied, not the disabled DELETE


def test_first_applicable_line_wins(forwarding, net):
    gw = forwarding(
        {
            "user1@example.test": [
                "never@example.net,FILTERNONE,nobody-matches-this",  # does not apply: read on
                "first@example.net,second@example.net,DELETE",  # applies: processing ends here
                "third@example.net,NONE",
            ]
        }
    )
    data = message("first match")
    deliver(gw, BOSS, "user1@example.test", data)
    got = net.handler.wait_for(2)
    assert sorted(r for m in got for r in m.rcpt_tos) == ["first@example.net", "second@example.net"]
    assert all(forwarded_body(m.data) == data for m in got)
    assert kept(gw, "user1@example.test", BOSS) == []


def test_forwards_chain_from_user1_to_user2_to_an_upstream(forwarding, net):
    gw = forwarding(
        {"user1@example.test": ["user2@example.test,DELETE"], "user2@example.test": ["far@example.net,NONE"]}
    )
    data = message("passed along")
    deliver(gw, BOSS, "user1@example.test", data)
    (copy,) = net.handler.wait_for(1)
    assert (copy.mail_from, copy.rcpt_tos) == (BOSS, ["far@example.net"])
    assert strip_received(forwarded_body(copy.data)) == data  # two forward hops + the arrival
    assert kept(gw, "user1@example.test", BOSS) == []
    (at_user2,) = maildir_messages(gw.mailboxes, "user2@example.test")
    assert forwarded_body(without_delivery_headers(at_user2, BOSS, "user2@example.test")) == data


def test_forwarded_copies_go_through_the_routing_rules(forwarding, net, upstream_factory, senders):
    org = upstream_factory()
    gw = forwarding(
        {"user1@example.test": ["a@example.net,b@example.org,NONE"]},
        rules=[
            {"match": "@example.net", "destination": "127.0.0.1", "port": net.port, "tls": "none"},
            {
                "match": "@example.org",
                "destination": "127.0.0.1",
                "port": org.port,
                "tls": "none",
                "conversion_host": "internal.example.org",
            },
        ],
    )
    deliver(gw, BOSS, "user1@example.test", message("routed copies"))
    (to_net,) = net.handler.wait_for(1)
    (to_org,) = org.handler.wait_for(1)
    assert to_net.rcpt_tos == ["a@example.net"]
    assert to_org.rcpt_tos == ["b@internal.example.org"]  # the rule's conversion host applied too
    assert senders.messages == []


def test_forward_loop_between_two_local_users_ends_in_a_5_4_6_bounce(forwarding, senders):
    gw = forwarding(
        {
            "user1@example.test": ["user2@example.test,NONE"],
            "user2@example.test": ["user1@example.test,NONE"],
            "user3@example.test": [],
        },
        options={"max_forward_count": 5},
    )
    send(gw.port, "user3@example.test", ["user1@example.test"], message("round and round"))
    wait_until(
        lambda: maildir_messages(gw.mailboxes, "user3@example.test") and gw.spool.ids() == [],
        timeout=20,
        what="the loop to end in a bounce",
    )
    (raw,) = maildir_messages(gw.mailboxes, "user3@example.test")
    report = parse(without_delivery_headers(raw, "", "user3@example.test"))
    (status,) = delivery_status(report)
    assert status["Action"] == "failed" and status["Status"] == "5.4.6"
    assert status["Final-Recipient"].endswith("@example.test")
    copies = [len(maildir_messages(gw.mailboxes, u)) for u in ("user1@example.test", "user2@example.test")]
    assert all(copies) and sum(copies) <= 5 + 1, copies  # bounded by the hop limit
    assert senders.messages == []


# --- python -m app import-forward --------------------------------------------------------------------


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps(
            {
                "version": 1,
                "server": {"listen": ["127.0.0.1:0"], "hostname": "tenso.test"},
                "local_domains": ["example.test"],
                "local_users": [
                    {"address": "user1@example.test", "forward": ["old@example.net,NONE"]},
                    {"address": "user2@example.test"},
                ],
                "queue": {"dir": str(tmp_path / "queue")},
            }
        ),
        encoding="utf-8",
    )
    return path


def _import(config: Path, user: str, forward_txt: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", "import-forward", "--config", str(config), user, str(forward_txt)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )


def _forward_lines(config: Path, user: str) -> list[str]:
    data = json.loads(config.read_text(encoding="utf-8"))
    return next(u.get("forward", []) for u in data["local_users"] if u["address"] == user)


def test_import_forward_writes_the_lines_into_the_settings_file(tmp_path):
    config = _config(tmp_path)
    forward_txt = tmp_path / "forward.txt"
    forward_txt.write_text(
        "# from the old server\n\nfwd@example.net,NONE\n"
        "a@example.net,b@example.net,FILTERDELETE,boss@,\n"
        "pager@example.net,SUBJECTONLY,,1\n",
        encoding="utf-8",
    )
    done = _import(config, "User1@Example.test", forward_txt)
    assert done.returncode == 0, done.stderr
    assert _forward_lines(config, "user1@example.test") == [
        "fwd@example.net,NONE",
        "a@example.net,b@example.net,FILTERDELETE,boss@,",
        "pager@example.net,SUBJECTONLY,,1",
    ]
    assert _forward_lines(config, "user2@example.test") == []
    check = subprocess.run(
        [sys.executable, "-m", "app", "check", "--config", str(config)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert check.returncode == 0, check.stderr


def test_import_forward_with_a_bad_line_names_it_and_changes_nothing(tmp_path):
    config = _config(tmp_path)
    before = config.read_bytes()
    forward_txt = tmp_path / "forward.txt"
    forward_txt.write_text("fwd@example.net,NONE\n# comment\nnot-an-address,NONE\n", encoding="utf-8")
    done = _import(config, "user1@example.test", forward_txt)
    assert done.returncode == 1
    assert "line 3:" in done.stderr and "not-an-address" in done.stderr
    assert config.read_bytes() == before


def test_import_forward_reads_a_shift_jis_file_with_japanese_comments_and_filter(tmp_path):
    config = _config(tmp_path)
    forward_txt = tmp_path / "forward.txt"
    forward_txt.write_bytes(
        "# 転送設定 (営業部)\r\nfwd@example.net,FILTERNONE,営業部\r\nkeitai@example.net,SUBJECTONLY\r\n".encode("cp932")
    )
    done = _import(config, "user1@example.test", forward_txt)
    assert done.returncode == 0, done.stderr
    assert _forward_lines(config, "user1@example.test") == [
        "fwd@example.net,FILTERNONE,営業部",
        "keitai@example.net,SUBJECTONLY",
    ]
