"""The alerts' webhook (app/alerts/channels.py) against a real receiver on 127.0.0.1: the JSON
exactly as INTERFACES.md gives it, through ``delivery.http_proxy`` when it names a proxy (a real
one on 127.0.0.1), and a proxy that wants a login said in plain words."""

from __future__ import annotations

import pytest

from app.alerts import channels, conditions
from app.alerts.events import Notice, Phase
from app.store.activity import DestinationStatus
from tests.support.proxy import Proxy
from tests.support.webhook import WebhookReceiver


@pytest.fixture
def receiver():
    hook = WebhookReceiver()
    yield hook
    hook.stop()


@pytest.fixture
def proxy():
    p = Proxy()
    yield p
    p.stop()


def notice(phase: Phase = Phase.ENDED) -> Notice:
    down = DestinationStatus(
        "mail.example.jp:25", last_failure=0.0, last_reply="451 4.4.0 down", failures=3, failing_since=0.0
    )
    (condition,) = conditions.destinations([down], 3600.0, 30)
    return Notice(condition, phase, 3600.0)


def test_the_webhook_gets_the_json_of_the_spec(receiver):
    said = channels.post_webhook(receiver.url, notice(), "none")
    assert said == "the webhook answered HTTP 200"
    (post,) = receiver.posts
    assert list(post) == ["event", "state", "text", "text_ja", "time", "details"]
    assert (post["event"], post["state"]) == ("destination_failing", "ended")
    assert post["text"].startswith("Tenso, over: the destination mail.example.jp:25 has failed for 60 minutes")
    assert post["text_ja"].startswith("Tenso 復旧: 送信先 mail.example.jp:25")
    assert post["details"]["destination"] == "mail.example.jp:25" and post["details"]["failures"] == 3
    assert post["time"][:4].isdigit() and post["time"][10] == "T"


def test_the_webhook_goes_through_delivery_http_proxy(receiver, proxy):
    channels.post_webhook(receiver.url, notice(), proxy.url)
    assert len(receiver.posts) == 1
    assert [method for method, _ in proxy.seen] == ["POST"]


def test_a_proxy_that_wants_a_login_is_said_in_plain_words(receiver, proxy):
    proxy.require_login = True
    with pytest.raises(channels.ChannelError, match="asks for a login"):
        channels.post_webhook(receiver.url, notice(), proxy.url)
    assert receiver.posts == []


def test_a_webhook_nobody_answers_says_what_to_check(receiver):
    url = receiver.url
    receiver.stop()
    with pytest.raises(channels.ChannelError, match="cannot reach the webhook .*alerts.webhook_url"):
        channels.post_webhook(url, notice(), "none", timeout=2)
