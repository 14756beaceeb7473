"""The message history from real mail (docs/history.md): a real gateway, real upstreams on
127.0.0.1, and ``python -m app history`` run as an administrator runs it, reading the file
while the gateway writes it.

One message goes to four recipients: one relayed to an upstream that names its id (Postfix's
``queued as``), one refused for good by it (bounced: the sender gets a DSN), one to a rule whose
server is down (deferred), one that no rule takes from a client that may not relay (refused at
RCPT).  Run with the delivery worker process (``server.processes`` 1) and with receiving workers
(2: the records cross the workers' pipes).
"""

from __future__ import annotations

import base64
import json
import smtplib

import pytest

from app import settings as settings_mod
from tests.support.gateway import make_settings, rule
from tests.support.processes import dead_port, run_app
from tests.support.smtp import message
from tests.support.waiting import wait_until

SENDER = "scan@lan.test"
QUEUED_AS = "250 2.0.0 Ok: queued as 4DqXyZ1234"


def settings_for(
    tmp_path, up_port: int, down_port: int, processes: int = 1, server: dict | None = None, **sections
) -> settings_mod.Settings:
    return make_settings(
        tmp_path,
        server={"processes": processes, **(server or {})},
        options={"relay_networks": [], "relay_for_rule_matches": True},
        rules=[rule(up_port, "@ok.test"), rule(down_port, "@down.test"), rule(up_port, "@lan.test")],
        **sections,
    )


def history(config, *args: str) -> list[dict]:
    done = run_app("history", "--config", str(config), "--json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def started(gateway_factory, tmp_path, settings):
    config = tmp_path / "settings.json"
    settings_mod.save(settings, config)
    return gateway_factory(settings_mod.load(config)), config


@pytest.mark.parametrize("processes", [1, 2], ids=["delivery-worker", "receiving-workers"])
def test_sent_bounced_deferred_and_refused_appear_with_the_upstreams_id(
    tmp_path, gateway_factory, upstream_factory, processes
):
    up = upstream_factory()
    up.handler.accepted_reply = QUEUED_AS
    up.handler.rcpt_replies["nobody@ok.test"] = "550 5.1.1 <nobody@ok.test>: Recipient address rejected"
    gw, config = started(gateway_factory, tmp_path, settings_for(tmp_path, up.port, dead_port(), processes))
    content = message("月次報告", extra="X-Scan: 1\r\n")
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=30) as client:
        refused = client.sendmail(SENDER, ["x@ok.test", "nobody@ok.test", "y@down.test", "z@elsewhere.test"], content)
    assert list(refused) == ["z@elsewhere.test"]
    up.handler.wait_for(2)  # the message, then the bounce to scan@lan.test

    def complete():
        found = history(config)
        states = {r["address"]: r["state"] for item in found for r in item["recipients"]}
        return (
            found if states.get("nobody@ok.test") == "bounced" and "y@down.test" in states and len(found) == 3 else None
        )

    found = wait_until(complete, 20, "the message, its bounce and the refusal in the history")
    bounce, refusal, original = sorted(found, key=lambda f: (f["client"] != "bounce", f["id"] is not None))
    assert original["from"] == SENDER and original["subject"] == "月次報告" and original["client"] == "127.0.0.1"
    assert original["message_id"] == content.split(b"Message-ID: ")[1].split(b"\r\n")[0].decode()
    by_address = {r["address"]: r for r in original["recipients"]}
    assert set(by_address) == {"x@ok.test", "nobody@ok.test", "y@down.test"}
    sent = by_address["x@ok.test"]
    assert (sent["state"], sent["reply"], sent["upstream_id"]) == ("sent", QUEUED_AS, "4DqXyZ1234")
    assert (sent["rule"], sent["destination"], sent["attempts"]) == (1, f"127.0.0.1:{up.port}", 1)
    bounced = by_address["nobody@ok.test"]
    assert bounced["state"] == "bounced" and bounced["reply"].startswith("550 5.1.1") and bounced["upstream_id"] is None
    deferred = by_address["y@down.test"]
    assert deferred["state"] == "deferred" and deferred["reply"].startswith("451 ") and deferred["rule"] == 2
    assert (refusal["id"], refusal["client"], refusal["from"]) == (None, "127.0.0.1", SENDER)
    assert [(r["address"], r["state"]) for r in refusal["recipients"]] == [("z@elsewhere.test", "refused")]
    assert refusal["recipients"][0]["reply"].startswith("5")
    assert (bounce["from"], bounce["client"]) == ("", "bounce")
    assert [r["address"] for r in bounce["recipients"]] == [SENDER]

    # Each state selects exactly its own.
    assert [f["id"] for f in history(config, "--state", "sent")] == [bounce["id"], original["id"]]
    assert [f["id"] for f in history(config, "--state", "bounced")] == [original["id"]]
    assert [f["id"] for f in history(config, "--state", "deferred")] == [original["id"]]
    assert [f["recipients"][0]["address"] for f in history(config, "--state", "refused")] == ["z@elsewhere.test"]
    assert history(config, "--state", "delivered") == []

    # The detail names the DSN that told the sender.
    from app.history import query

    timeline = query.detail(gw.gateway.settings.history_path, original["id"])["timeline"]
    (told,) = [t for t in timeline if t["event"] == "attempt" and t["address"] == "nobody@ok.test"]
    assert told["dsn"] == bounce["id"]


def encoded(text: str, charset: str, codec: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(codec)).decode()}?="


@pytest.mark.parametrize("processes", [1, 2], ids=["in-process", "receiving-workers"])
def test_japanese_subjects_in_the_three_charsets_are_read(tmp_path, gateway_factory, upstream_factory, processes):
    up = upstream_factory()
    gw, config = started(gateway_factory, tmp_path, settings_for(tmp_path, up.port, dead_port(), processes))
    subjects = {"iso": "見積書の送付", "sjis": "請求書(12月分)", "utf8": "議事録・第3回"}
    words = {
        "iso": encoded(subjects["iso"], "ISO-2022-JP", "iso2022_jp"),
        "sjis": encoded(subjects["sjis"], "Shift_JIS", "cp932"),
        "utf8": encoded(subjects["utf8"], "UTF-8", "utf-8"),
    }
    for key, word in words.items():
        with smtplib.SMTP("127.0.0.1", gw.port, timeout=30) as client:
            client.sendmail(SENDER, [f"{key}@ok.test"], message(word))
    up.handler.wait_for(3)
    found = wait_until(lambda: len(history(config)) == 3 and history(config), 20, "three messages in the history")
    by_rcpt = {f["recipients"][0]["address"].split("@")[0]: f["subject"] for f in found}
    assert by_rcpt == subjects
    assert [f["subject"] for f in history(config, "--subject", "請求書")] == [subjects["sjis"]]


def test_refusals_at_data_are_recorded_with_the_reply_and_the_client(tmp_path, gateway_factory, upstream_factory):
    up = upstream_factory()
    gw, config = started(gateway_factory, tmp_path, settings_for(tmp_path, up.port, dead_port()))
    looping = "".join(f"Received: from hop{i}\r\n" for i in range(31)).encode() + message("loop")
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=30) as client:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail(SENDER, ["a@ok.test", "b@ok.test"], looping)
    assert refused.value.smtp_code == 554
    (found,) = wait_until(lambda: history(config, "--state", "refused"), 20, "the refusal at DATA")
    assert found["client"] == "127.0.0.1" and found["from"] == SENDER
    assert [r["address"] for r in found["recipients"]] == ["a@ok.test", "b@ok.test"]
    assert {r["reply"] for r in found["recipients"]} == {"554 5.4.6 Too many hops (31 Received headers): mail loop?"}


def test_a_message_over_the_size_limit_is_recorded_as_refused(tmp_path, gateway_factory, upstream_factory):
    up = upstream_factory()
    settings = settings_for(tmp_path, up.port, dead_port(), server={"max_message_bytes": 2048})
    gw, config = started(gateway_factory, tmp_path, settings)
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=30) as client:  # no SIZE= at MAIL, as many devices
        client.ehlo("mfp.test")
        assert client.mail(SENDER)[0] == 250 and client.rcpt("big@ok.test")[0] == 250
        code, _ = client.data(message("scan", body="x" * 10_000 + "\r\n"))
    assert code == 552
    (found,) = wait_until(lambda: history(config, "--state", "refused"), 20, "the refusal of the big message")
    assert [(r["address"], r["reply"]) for r in found["recipients"]] == [
        ("big@ok.test", "552 Error: Too much mail data")
    ]


def test_nothing_is_recorded_when_the_history_is_off(tmp_path, gateway_factory, upstream_factory):
    up = upstream_factory()
    settings = settings_for(tmp_path, up.port, dead_port(), history={"enabled": False})
    gw, config = started(gateway_factory, tmp_path, settings)
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=30) as client:
        client.sendmail(SENDER, ["x@ok.test", "z@elsewhere.test"], message("off"))
    up.handler.wait_for(1)
    gw.stop()  # the writer writes what it has before it ends
    assert not gw.gateway.settings.history_path.exists()
    done = run_app("history", "--config", str(config))
    assert done.returncode == 0 and "no history yet" in done.stdout
