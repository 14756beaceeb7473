"""The status view's figures (docs/status.md): counted by the running engine from real
mail, kept across a restart, and read by ``python -m app status`` from outside.

One message goes to four recipients: one relayed to an upstream, one to a rule whose server is
down (deferred), one local user (delivered locally) and one that no rule takes from a client that may not relay
(refused at RCPT).  Run with the delivery worker process (``server.processes`` 1: outcomes cross the pipe)
and with receiving workers (2: refusals cross theirs, delivery in threads).
"""

from __future__ import annotations

import asyncio
import json
import smtplib

import pytest

from app import gateway as gateway_mod
from app import settings as settings_mod
from app.status import State
from app.store.activity import Outcome
from tests.support.gateway import make_settings, rule
from tests.support.processes import free_port, run_app
from tests.support.smtp import message
from tests.support.waiting import wait_until

SENDER = "a@lan.test"


def settings_for(tmp_path, up_port: int, down_port: int, processes: int) -> settings_mod.Settings:
    return make_settings(
        tmp_path,
        server={"processes": processes},
        local_domains=["lan.test"],
        local_users=[{"address": "u1@lan.test"}],
        options={"relay_networks": [], "relay_for_rule_matches": True},
        rules=[rule(up_port, "@ok.test"), rule(down_port, "@down.test")],
    )


def send_mixed(port: int) -> dict:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        return client.sendmail(SENDER, ["x@ok.test", "y@down.test", "u1@lan.test", "z@elsewhere.test"], message())


EXPECTED = {
    Outcome.RECEIVED: 1,
    Outcome.RELAYED: 1,
    Outcome.LOCAL: 1,
    Outcome.DEFERRED: 1,
    Outcome.BOUNCED: 0,
    Outcome.REFUSED: 1,
}


@pytest.mark.parametrize("processes", [1, 2], ids=["delivery-worker", "receiving-workers"])
def test_counts_destinations_and_restart(tmp_path, gateway_factory, upstream_factory, processes):
    up = upstream_factory()
    down_port = free_port()  # nothing listens there
    settings = settings_for(tmp_path, up.port, down_port, processes)
    gw = gateway_factory(settings)

    refused = send_mixed(gw.port)
    assert list(refused) == ["z@elsewhere.test"]
    up.handler.wait_for(1)
    wait_until(lambda: gw.gateway.activity.today() == EXPECTED, what=f"today's counts to be {EXPECTED}")

    by_name = {d.name: d for d in gw.gateway.activity.destinations()}
    ok, down = by_name[f"127.0.0.1:{up.port}"], by_name[f"127.0.0.1:{down_port}"]
    assert ok.last_success and not ok.failing
    assert down.failing and down.last_success is None and down.last_reply.startswith("451 4.4.0")
    assert by_name["local mailbox"].last_success

    status = gw.call(_in_thread(gw.gateway.status))
    assert status.state == State.RUNNING
    assert status.listening == [f"127.0.0.1:{gw.port}"]
    assert (status.queue_messages, status.queue_recipients) == (1, 1)  # y@down.test waits
    hour = status.hours[-1][1]
    assert hour[Outcome.RELAYED] == 1 and hour[Outcome.REFUSED] == 1 and len(status.hours) == 24

    gw.stop()
    again = gateway_factory(settings)
    today = again.gateway.activity.today()
    # The restart's own first attempt of y@down.test may already have deferred it once more.
    assert today[Outcome.DEFERRED] - EXPECTED[Outcome.DEFERRED] in (0, 1), today
    assert {**today, Outcome.DEFERRED: EXPECTED[Outcome.DEFERRED]} == EXPECTED, "a restart must not zero today's counts"
    assert again.gateway.activity.destinations()


async def _in_thread(fn):
    return await asyncio.to_thread(fn)


def test_status_command_reads_a_running_and_a_stopped_gateway(tmp_path, gateway_factory, upstream_factory):
    up = upstream_factory()
    down_port = free_port()
    settings = settings_for(tmp_path, up.port, down_port, 1)
    config = tmp_path / "settings.json"
    settings_mod.save(settings, config)
    gw = gateway_factory(settings_mod.load(config))
    send_mixed(gw.port)
    up.handler.wait_for(1)
    wait_until(lambda: gw.gateway.activity.today() == EXPECTED, what="the counts")

    running = json.loads(run_app("status", "--config", str(config), "--json").stdout)
    assert running["state"] == "running"
    assert running["queue"] == {"messages": 1, "recipients": 1, "oldest": running["queue"]["oldest"]}
    assert running["queue"]["oldest"] is not None

    gw.stop()  # writes the counts
    stopped = run_app("status", "--config", str(config), "--json")
    found = json.loads(stopped.stdout)
    assert found["state"] == "stopped"
    assert found["today"] == {o.value: n for o, n in EXPECTED.items()}
    failing = [d for d in found["destinations"] if d["failing"]]
    assert [d["name"] for d in failing] == [f"127.0.0.1:{down_port}"]
    assert failing[0]["last_reply"].startswith("451 ")

    text = run_app("status", "--config", str(config)).stdout
    assert "Tenso is not running" in text
    assert "received 1, relayed 1, delivered locally 1, deferred 1, bounced 0, refused at RCPT 1" in text
    assert f"FAILING 127.0.0.1:{down_port}" in text
    assert "1 message(s), 1 recipient(s) waiting" in text


def test_missing_password_is_listed(tmp_path, gateway_factory, upstream_factory):
    up = upstream_factory()
    user = "status-test@lan.test"  # a key no other test stores (the session shares one keyring)
    settings = make_settings(
        tmp_path,
        rules=[rule(up.port)],
        local_domains=["lan.test"],
        local_users=[{"address": user}],
        auth_accounts={"per_user": [{"local_user": user, "username": "id-status"}]},
    )
    gw = gateway_factory(settings)
    status = gw.call(_in_thread(gw.gateway.status))
    assert [m.key for m in status.missing_passwords] == [f"user:{user}"]
    assert status.missing_passwords[0].words == f"the account id-status of {user}"


def test_an_oauth_account_that_is_not_signed_in_is_listed(tmp_path, gateway_factory, upstream_factory):
    up = upstream_factory()
    oauth2 = {
        "provider": "generic",
        "client_id": "c",
        "token_url": "http://127.0.0.1:9/token",
        "authorize_url": "http://127.0.0.1:9/authorize",
    }
    settings = make_settings(
        tmp_path,
        accounts=[{"name": "status-oauth", "username": "office@example.jp", "oauth2": oauth2}],
        rules=[{**rule(up.port), "tls": "required", "account": "status-oauth"}],
    )
    gw = gateway_factory(settings)
    status = gw.call(_in_thread(gw.gateway.status))
    assert [(n.account, n.why) for n in status.sign_in_needed] == [("status-oauth", "")]
    assert status.as_json()["sign_in_needed"] == [
        {"account": "status-oauth", "why": None, "advice": None, "advice_ja": None}
    ]


def test_status_command_lists_clients_barred_from_auth_while_the_gateway_runs(tmp_path, gateway_factory, monkeypatch):
    monkeypatch.setattr(gateway_mod, "ACTIVITY_SAVE_SECONDS", 0.2)  # the status file, written every 5 s
    settings = make_settings(
        tmp_path,
        server={"auth_requires_tls": False, "auth_failures_limit": 1, "auth_ban_minutes": 30},
        local_domains=["lan.test"],
        local_users=[{"address": "banned-test@lan.test"}],
    )
    config = tmp_path / "settings.json"
    settings_mod.save(settings, config)
    gw = gateway_factory(settings_mod.load(config))
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as c, pytest.raises(smtplib.SMTPAuthenticationError):
        c.login("banned-test@lan.test", "a guess")

    def listed() -> list:
        return json.loads(run_app("status", "--config", str(config), "--json").stdout)["auth_bans"]

    wait_until(listed, 15, "the ban to reach the status file")  # written every ACTIVITY_SAVE_SECONDS
    (ban,) = listed()
    assert (ban["client"], ban["failures"]) == ("127.0.0.1", 1)
    assert "127.0.0.1 may not log in until" in run_app("status", "--config", str(config)).stdout
    gw.stop()
    assert listed() == []  # a stopped gateway bars nobody: the next start begins without bans
