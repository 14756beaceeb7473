"""The advice beside a refusal: the log line said once per destination and advice key
(app/deliver/advice_log.py); ``status`` / ``status --json`` reading a failing destination from
the status file (app/status.py, app/cli/status.py); ``queue list`` / ``--json`` beside each
recipient's reply (app/cli/queue.py)."""

from __future__ import annotations

import json
import time

from app import cli
from app import settings as settings_mod
from app.deliver.advice_log import AdviceLog
from app.store.activity import FILE_NAME, Activity, Delivered, Outcome
from app.store.spool import DEFERRED, FAILED, QUEUED, SENT, Envelope, Spool
from tests.support.logs import LogCapture

TENANT = "451 4.4.0 AUTH LOGIN as scan@example.co.jp refused: 535 5.7.139 Authentication unsuccessful, " + (
    "SmtpClientAuthentication is disabled for the Tenant."
)
MAILBOX = TENANT.replace("Tenant", "Mailbox")
UNKNOWN = "550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown"
OFFICE = "smtp.office365.com:587"


def said(log: LogCapture) -> list[str]:
    return [line for _, line, _ in log.matching(r" advice for ")]


def test_a_refusal_is_explained_once_per_destination_and_key():
    advice = AdviceLog()
    with LogCapture() as log:
        for qid in ("Q1", "Q2", "Q3"):
            advice.note(qid, OFFICE, TENANT, DEFERRED)
        assert said(log) == [
            "Q1 advice for smtp.office365.com:587: Exchange Online has SMTP AUTH turned off for the whole organization "
            "(tenant), so it refuses the login before it looks at the password. → Let this mailbox use SMTP AUTH: in "
            "Exchange Online PowerShell run Set-CASMailbox -Identity MAILBOX -SmtpClientAuthenticationDisabled $false "
            "(a mailbox's setting overrides the tenant's). An account that logs in with a password must move to a "
            "Microsoft 365 (OAuth 2.0) account as well, since Microsoft ends password logins for SMTP; a rule with the "
            "destination GRAPH needs no SMTP AUTH at all. (exchange.smtp-auth-disabled.tenant)"
        ]
        advice.note("Q4", "other.example.jp:587", TENANT, FAILED)  # another destination: its own line
        advice.note("Q5", OFFICE, UNKNOWN, FAILED)  # unknown: nothing said, nothing forgotten
        advice.note("Q6", OFFICE, TENANT, DEFERRED)
        assert len(said(log)) == 2
        advice.note("Q7", OFFICE, MAILBOX, DEFERRED)  # another key: said
        advice.note("Q8", OFFICE, MAILBOX, DEFERRED)
        assert said(log)[2].startswith("Q7 advice for smtp.office365.com:587: SMTP AUTH is turned off for this mailbox")
        advice.note("Q9", OFFICE, "250 2.0.0 OK", SENT)  # a success in between: said again next time
        advice.note("Q10", OFFICE, MAILBOX, DEFERRED)
        assert [line.split()[0] for line in said(log)] == ["Q1", "Q4", "Q7", "Q10"]
        assert {level for level, line, _ in log.records if " advice for " in line} == {30}  # WARNING


def test_no_advice_without_a_destination_or_for_a_recipient_still_queued():
    advice = AdviceLog()
    with LogCapture() as log:
        advice.note("Q1", None, TENANT, DEFERRED)
        advice.note("Q2", OFFICE, TENANT, QUEUED)
        assert said(log) == []


def test_a_list_of_causes_is_one_log_line():
    advice = AdviceLog()
    with LogCapture() as log:
        advice.note("Q1", OFFICE, "535 5.7.3 Authentication unsuccessful", DEFERRED)
        (line,) = said(log)
        assert "\n" not in line and " 1. " in line and " 4. " in line


def _failing_office(tmp_path, capsys):
    queue = tmp_path / "queue"
    queue.mkdir()
    activity = Activity(queue / FILE_NAME)
    activity.delivered([Delivered(Outcome.DEFERRED, OFFICE, TENANT)])
    activity.delivered([Delivered(Outcome.RELAYED, "MX", "250 2.0.0 OK")])
    activity.save()
    config = tmp_path / "settings.json"
    settings_mod.save(settings_mod.from_dict({"queue": {"dir": str(queue)}}, source=config), config)
    return config


def test_status_prints_the_fix_under_a_failing_destination(tmp_path, capsys):
    config = _failing_office(tmp_path, capsys)
    assert cli.main(["status", "--config", str(config)]) == 0
    lines = capsys.readouterr().out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(f"  FAILING {OFFICE}: "))
    assert lines[at + 1] == (
        "    what to do: Let this mailbox use SMTP AUTH: in Exchange Online PowerShell run Set-CASMailbox -Identity "
        "MAILBOX -SmtpClientAuthenticationDisabled $false (a mailbox's setting overrides the tenant's). An account "
        "that logs in with a password must move to a Microsoft 365 (OAuth 2.0) account as well, since Microsoft ends "
        "password logins for SMTP; a rule with the destination GRAPH needs no SMTP AUTH at all."
    )
    assert lines[at - 1].startswith("  MX: last success"), "no advice under a destination that is not failing"


def test_status_json_has_the_advice_in_english_and_japanese(tmp_path, capsys):
    config = _failing_office(tmp_path, capsys)
    assert cli.main(["status", "--config", str(config), "--json"]) == 0
    found = {d["name"]: d for d in json.loads(capsys.readouterr().out)["destinations"]}
    office = found[OFFICE]
    assert set(office["advice"]) == {"key", "what", "fix"} == set(office["advice_ja"])
    assert office["advice"]["key"] == office["advice_ja"]["key"] == "exchange.smtp-auth-disabled.tenant"
    assert office["advice"]["what"].startswith("Exchange Online has SMTP AUTH turned off")
    assert office["advice_ja"]["what"].startswith("Exchange Online の組織(テナント)全体で SMTP AUTH が無効")
    assert found["MX"]["advice"] is None and found["MX"]["advice_ja"] is None


def _queue_with_a_refusal(tmp_path):
    queue = tmp_path / "queue"
    spool = Spool(queue)
    envelope = Envelope(sender="scan@example.co.jp", recipients=["a@example.net", "b@example.net"])
    spool.store("Q1", envelope, b"Subject: scan\r\n\r\nhello\r\n")
    stored = spool.load("Q1")
    first, second = stored.recipients
    first.state, first.attempts, first.reply, first.next_try = DEFERRED, 1, TENANT, time.time() + 600
    second.state, second.attempts, second.reply = FAILED, 1, UNKNOWN
    spool.save_state(stored)
    config = tmp_path / "settings.json"
    settings_mod.save(settings_mod.from_dict({"queue": {"dir": str(queue)}}, source=config), config)
    return config


def test_queue_list_says_what_to_do_under_a_deferred_reply_it_knows(tmp_path, capsys):
    config = _queue_with_a_refusal(tmp_path)
    assert cli.main(["queue", "list", "--config", str(config)]) == 0
    lines = capsys.readouterr().out.splitlines()
    at = lines.index(f"        {TENANT}")
    assert lines[at + 1].startswith("        what to do: Let this mailbox use SMTP AUTH: in Exchange Online PowerShell")
    assert lines[at + 2].startswith("    <b@example.net>  failed"), "nothing guessed for an unknown reply"

    assert cli.main(["queue", "list", "--config", str(config), "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    first, second = listed["recipients"]
    assert first["advice"]["key"] == first["advice_ja"]["key"] == "exchange.smtp-auth-disabled.tenant"
    assert first["advice_ja"]["fix"].startswith("このメールボックスだけ SMTP AUTH を許可するには")
    assert second["advice"] is None and second["advice_ja"] is None


def test_status_json_explains_a_refused_token_request_and_sign_in():
    from app.status import SignInNeeded, State, Status, TokenRefused

    expired = "invalid_client: AADSTS7000222: The provided client secret keys for app 'x' are expired."
    found = Status(State.RUNNING, [], {}, 0, 0, None, [], token_refused=[TokenRefused("app-only", expired)])
    found.sign_in_needed = [
        SignInNeeded("m365", "invalid_grant: AADSTS700082: expired due to inactivity"),
        SignInNeeded("g", ""),
    ]
    data = found.as_json()
    (refused,) = data["token_refused"]
    assert refused["advice"]["key"] == refused["advice_ja"]["key"] == "entra.secret-expired"
    assert "password set account:NAME" in refused["advice"]["fix"]
    first, never = data["sign_in_needed"]
    assert first["advice"]["key"] == "entra.sign-in-expired"
    assert never["advice"] is None and never["advice_ja"] is None
