"""The limits of an account (app/deliver/limits.py) and the throttling replies (throttle.py)."""

from __future__ import annotations

import logging

import pytest

from app import settings as settings_mod
from app.deliver import limits, throttle
from app.deliver.couriers.graph import Mailbox, _outcome
from app.deliver.limits import EXCHANGE_ONLINE, Limiter
from app.route.router import Router
from app.settings import AccountLimits


def effective(rule: dict, account: dict | None = None, common: str = "") -> AccountLimits | None:
    data: dict = {"rules": [{"match": "*", **rule}], "queue": {"dir": "q"}}
    if account is not None:
        data["accounts"] = [{"name": "m365", "username": "scan@contoso.test", **account}]
    if common:
        data["auth_accounts"] = {"common": {"username": common}}
    settings = settings_mod.from_dict(data)
    found = limits.of(settings, Router(settings).route("x@example.net", "mfp@lan.test"))
    return None if found is None else found[1]


@pytest.mark.parametrize("host", ["smtp.office365.com", "SMTP-legacy.office365.com", "smtp-hve.office365.com"])
def test_a_password_account_to_office_365_gets_exchange_onlines_limits(host):
    rule = {"destination": host, "port": 587, "tls": "required", "account": "m365"}
    assert effective(rule, {}) == EXCHANGE_ONLINE == AccountLimits(30, 3, 10000)


def test_the_common_account_to_office_365_gets_them_too():
    assert effective({"destination": "smtp.office365.com", "port": 587}, common="scan@contoso.test") == EXCHANGE_ONLINE


def test_a_microsoft_oauth_account_gets_them_whatever_the_host():
    oauth = {"oauth2": {"provider": "microsoft", "tenant": "contoso.test", "client_id": "id"}}
    assert effective({"destination": "relay.contoso.test", "port": 587, "account": "m365"}, oauth) == EXCHANGE_ONLINE


def test_another_server_has_no_limits_unless_the_account_says():
    rule = {"destination": "smtp.isp.example.jp", "port": 587, "account": "m365"}
    assert effective(rule, {}) is None
    assert effective(rule, {"limits": {"sessions": 2}}) == AccountLimits(0, 2, 0)


def test_a_limit_given_replaces_exchanges_for_that_field_only_and_zero_keeps_exchanges():
    """Exchange Online enforces its own limits whatever Tenso does: a field left out, or 0, is
    Exchange's, so setting the size (message_mb) alone never lets a burst go unlimited."""
    rule = {"destination": "smtp.office365.com", "port": 587, "account": "m365"}
    assert effective(rule, {"limits": {"messages_per_minute": 10}}) == AccountLimits(10, 3, 10000)
    assert effective(rule, {"limits": {}}) == EXCHANGE_ONLINE
    assert effective(rule, {"limits": {"message_mb": 50}}) == AccountLimits(30, 3, 10000, 50)
    zeros = {"messages_per_minute": 0, "sessions": 0, "recipients_per_day": 0}
    assert effective(rule, {"limits": zeros}) == EXCHANGE_ONLINE


def test_a_negative_limit_is_refused_naming_the_field():
    with pytest.raises(settings_mod.SettingsError, match=r"accounts\[0\]\.limits\.sessions: must be at least 0"):
        effective({"destination": "smtp.office365.com", "account": "m365"}, {"limits": {"sessions": -1}})


def test_limits_survive_a_save_and_are_left_out_when_absent():
    data = {"accounts": [{"name": "a", "username": "u", "limits": {"sessions": 2}}, {"name": "b", "username": "v"}]}
    saved = settings_mod.to_dict(settings_mod.from_dict(data))
    assert saved["accounts"][0]["limits"] == {"sessions": 2}, "only what was given: 0 is the default"
    assert "limits" not in saved["accounts"][1]


# --- the limiter --------------------------------------------------------------------------------


def test_sessions_hold_the_next_until_one_ends():
    limiter = Limiter()
    limiter.set("a", AccountLimits(0, 2, 0))
    for _ in range(2):
        assert limiter.hold({"a": 1}, 0.0) is None
        limiter.begin({"a": 1}, 0.0)
    assert limiter.hold({"a": 1}, 0.0) == ("a", None)
    limiter.end({"a": 1})
    assert limiter.hold({"a": 1}, 0.0) is None


def test_the_rate_spaces_starts_evenly():
    limiter = Limiter()
    limiter.set("a", AccountLimits(30, 0, 0))
    limiter.begin({"a": 1}, 100.0)
    limiter.end({"a": 1})
    assert limiter.hold({"a": 1}, 101.0) == ("a", 102.0)
    assert limiter.hold({"a": 1}, 102.0) is None


def test_the_daily_count_rolls_and_is_logged_once(caplog):
    limiter = Limiter()
    limiter.set("a", AccountLimits(0, 0, 10))
    limiter.begin({"a": 6}, 0.0)
    limiter.begin({"a": 4}, 10.0)
    with caplog.at_level(logging.WARNING, logger="tenso"):
        assert limiter.hold({"a": 1}, 20.0) == ("a", 86400.0)
        assert limiter.hold({"a": 1}, 30.0) == ("a", 86400.0)
    assert len([r for r in caplog.records if "24 hours" in r.getMessage()]) == 1
    assert limiter.day_limited(30.0) == [("a", 86400.0)]
    assert limiter.hold({"a": 6}, 86400.0) is None  # the first 6 left the window
    assert limiter.hold({"a": 50}, 86410.0 + 86400.0) is None  # alone, a message over a day's limit goes


def test_too_many_sessions_lowers_them_for_a_while():
    limiter = Limiter()
    limiter.set("a", AccountLimits(0, 3, 0))
    for _ in range(3):
        limiter.begin({"a": 1}, 0.0)
    limiter.lower("a", 0.0)
    limiter.end({"a": 1})
    assert limiter.hold({"a": 1}, 1.0) == ("a", None)  # 2 running, 2 allowed now
    assert limiter.hold({"a": 1}, 1.0 + limits.LOWERED_SECONDS) is None


# --- the replies --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "kind", "wait"),
    [
        ("432 4.3.2 Concurrent connections limit exceeded. [Hostname=X.PROD.OUTLOOK.COM]", "sessions", 60),
        ("451 4.4.0 login failed: 432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded", "sessions", 60),
        ("421 4.7.0 Temporary rate limit exceeded, try again later", "rate", 180),
        ("554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed", "daily", 3600),
    ],
)
def test_throttling_replies_defer_for_the_time_they_imply(reply, kind, wait):
    recorded, seconds = throttle.deferral(reply)
    assert recorded.startswith("451 4.7.0 ") and reply in recorded
    assert seconds == wait and throttle.kind_of(recorded) == kind


@pytest.mark.parametrize(
    "reply", ["550 5.1.1 no such user", "451 4.4.2 connection lost", "421 4.7.0 TLS required", "250 ok"]
)
def test_other_replies_are_not_throttling(reply):
    assert throttle.deferral(reply) is None


class _Answer:
    def __init__(self, status: int, headers: dict):
        self.status_code, self.headers, self.reason, self.text = status, headers, "Too Many Requests", ""

    def json(self):
        return {"error": {"code": "ApplicationThrottled", "message": "slow down"}}


@pytest.mark.parametrize(("header", "wait"), [({"Retry-After": "42"}, 42.0), ({}, 60.0)])
def test_graphs_429_waits_as_retry_after_says_and_is_recorded_as_throttling(header, wait):
    outcome = _outcome(Mailbox("https://graph.test", "scan@contoso.test", "m365"), _Answer(429, header))
    assert outcome.reply.startswith("451 4.7.0 throttled (busy): 451 4.3.2 Microsoft Graph is busy")
    assert outcome.retry_after == wait


def test_the_daily_limits_are_kept_in_the_activity_file_for_status(tmp_path):
    from app.store.activity import Activity

    path = tmp_path / "activity.json"
    first = Activity(path, clock=lambda: 1000.0)
    first.set_day_limits([("m365", 5000.0)])
    first.save()
    again = Activity(path, clock=lambda: 2000.0)
    again.load()
    assert again.day_limits() == [("m365", 5000.0)]
    assert Activity(path, clock=lambda: 6000.0).day_limits() == []


@pytest.mark.parametrize(
    ("reply", "known"),
    [
        (
            "432 4.3.2 Concurrent connections limit exceeded. [Hostname=X.PROD.OUTLOOK.COM]",
            "exchange.too-many-connections",
        ),
        ("554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed", "exchange.daily-quota"),
    ],
)
def test_a_recorded_throttling_reply_is_still_explained(reply, known):
    from app.mail.replies import explain

    recorded, _ = throttle.deferral(reply)
    advice = explain(recorded)
    assert advice is not None and advice.key == known
