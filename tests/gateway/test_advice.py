"""Every refusal explained where the administrator looks (INTERFACES.md "Upstreams in
production"): a real upstream refuses the login with Exchange Online's words, and the gateway
(with its delivery worker process) logs what that means once per destination and advice key,
``status`` and ``status --json`` carry the advice beside the destination's last failure."""

from __future__ import annotations

import asyncio
import json

from app import settings as settings_mod
from app.system import passwords
from tests.support.gateway import make_settings, retry_now, rule
from tests.support.logs import LogCapture
from tests.support.processes import run_app
from tests.support.smtp import message, send
from tests.support.waiting import wait_until

USER = "scan@example.co.jp"
TENANT = (
    "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. "
    "Visit https://aka.ms/smtp_auth_disabled for more information. [OS3P286CA0001.JPNP286.PROD.OUTLOOK.COM]"
)
SEND_AS = "550 5.7.60 SMTP; Client does not have permissions to send as this sender [TYAPR01MB1234.outlook.com]"
MAILBOX = TENANT.replace("for the Tenant", "for the Mailbox")
ADVICE = r"^\S+ advice for 127\.0\.0\.1:\d+: "


def _advice_lines(log: LogCapture) -> list[str]:
    return [line for _, line, _ in log.matching(ADVICE)]


def test_a_refused_login_is_explained_once_in_the_log_and_in_status(tmp_path, gateway_factory, upstream_factory):
    up = upstream_factory(accounts={USER: "unused"})  # SMTP AUTH off: no password would do
    up.handler.refused_login_reply = TENANT
    passwords.set("account:advice-m365", "the-password")
    settings = make_settings(
        tmp_path,
        server={"processes": 1},  # the delivery worker: its log lines cross the pipe
        rules=[{**rule(up.port), "account": "advice-m365"}],
        accounts=[{"name": "advice-m365", "username": USER}],
    )
    config = tmp_path / "settings.json"
    settings_mod.save(settings, config)
    with LogCapture() as log:
        gw = gateway_factory(settings_mod.load(config))
        for n in range(3):  # three messages, three refusals, one explanation
            send(gw.port, "a@lan.test", [f"x{n}@example.net"], message(f"scan {n}"))
            wait_until(lambda n=n: len(log.matching(r"state=deferred reply=451 ")) == n + 1, 15, f"refusal {n}")
        (line,) = _advice_lines(log)
        assert "Exchange Online has SMTP AUTH turned off for the whole organization" in line, line
        assert "→ Let this mailbox use SMTP AUTH" in line and line.endswith("(exchange.smtp-auth-disabled.tenant)")
        assert [level for level, text, _ in log.records if text == line] == [30]  # WARNING

        status = gw.call(asyncio.to_thread(gw.gateway.status)).as_json()
        (destination,) = status["destinations"]
        assert destination["failing"] and "535 5.7.139" in destination["last_reply"]
        assert destination["advice"]["key"] == "exchange.smtp-auth-disabled.tenant"
        assert destination["advice"]["fix"].startswith("Let this mailbox use SMTP AUTH")
        assert destination["advice_ja"]["key"] == "exchange.smtp-auth-disabled.tenant"
        assert "「認証」タブ" in destination["advice_ja"]["fix"]

        up.handler.refused_login_reply = MAILBOX  # another refusal: said again
        retry_now(gw)
        wait_until(lambda: len(_advice_lines(log)) == 2, 15, "the mailbox's refusal explained")
        assert _advice_lines(log)[1].endswith("(exchange.smtp-auth-disabled.mailbox)")

        up.handler.accounts = {USER: "the-password"}  # the administrator turned SMTP AUTH on: the queue drains
        retry_now(gw)
        up.handler.wait_for(3)
        # The pooled session stays logged in; a refused sender is a refusal of its own, and final.
        up.handler.mail_replies["a@lan.test"] = SEND_AS
        send(gw.port, "a@lan.test", ["later@example.net"], message("later"))
        wait_until(lambda: len(_advice_lines(log)) == 3, 15, "the refused sender explained")
        assert _advice_lines(log)[2].endswith("(exchange.send-as-denied)")
        gw.stop()  # writes the status file

    found = json.loads(run_app("status", "--config", str(config), "--json").stdout)
    (destination,) = found["destinations"]
    assert destination["advice"]["key"] == "exchange.send-as-denied"
    assert destination["advice_ja"]["what"] != destination["advice"]["what"]
    text = run_app("status", "--config", str(config)).stdout
    assert f"127.0.0.1:{up.port}: last success" in text


def test_a_destination_without_a_failure_has_no_advice(tmp_path, gateway_factory, upstream_factory):
    up = upstream_factory()
    gw = gateway_factory(rules=[rule(up.port)])
    send(gw.port, "a@lan.test", ["x@example.net"], message())
    up.handler.wait_for(1)
    wait_until(lambda: gw.gateway.activity.destinations(), 10, "the success counted")
    (destination,) = gw.call(asyncio.to_thread(gw.gateway.status)).as_json()["destinations"]
    assert destination["advice"] is None and destination["advice_ja"] is None
