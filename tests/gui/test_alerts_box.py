"""The Server tab's Alerts box (docs/alerts.md): its fields write the working copy and are
saved at Apply, a wrong webhook address is named, and "Send a test alert" sends one ``test``
event to a real webhook receiver on 127.0.0.1 and says in the window what each channel answered,
with the gateway running (the mail is queued and arrives at a real sink) and stopped."""

from __future__ import annotations

import re

from PySide6.QtWidgets import QCheckBox, QLineEdit, QPushButton, QSpinBox

from tests.support.gui import until
from tests.support.webhook import WebhookReceiver


def test_the_alert_fields_are_saved_at_apply_and_a_wrong_webhook_is_named(gui, english):
    window = gui.open()
    box = window.server_tab.alerts
    assert box.findChild(QSpinBox, "summaryHour").text() == "Off"
    assert box.findChild(QSpinBox, "alertEmailRule").text() == "Normal routing"
    box.findChild(QLineEdit, "alertWebhook").setText("http://hooks.example.com/x")
    assert window.server_tab.error.text() == (
        "alerts.webhook_url: must be https (plain http only to 127.0.0.1, ::1 or localhost)"
    )
    box.findChild(QLineEdit, "alertWebhook").setText("https://example.webhook.office.com/webhookb2/abc")
    assert window.server_tab.error.text() == ""
    box.findChild(QLineEdit, "alertEmailTo").setText("admin@example.jp")
    box.findChild(QSpinBox, "alertAfterMinutes").setValue(45)
    box.findChild(QSpinBox, "alertRepeatHours").setValue(0)
    assert box.findChild(QSpinBox, "alertRepeatHours").text() == "Only when it starts"
    box.findChild(QSpinBox, "summaryHour").setValue(7)
    box.findChild(QCheckBox, "alertEventLog").setChecked(False)
    gui.apply(window)
    assert window.problems.text() == ""
    assert gui.saved()["alerts"] == {
        "after_minutes": 45,
        "webhook_url": "https://example.webhook.office.com/webhookb2/abc",
        "email_to": "admin@example.jp",
        "email_rule": 0,
        "event_log": False,
        "repeat_hours": 0,
        "summary_hour": 7,
    }


def test_send_a_test_alert_tells_each_channel_and_shows_what_it_answered(gui, english, upstream_factory):
    hook = WebhookReceiver()
    sink = upstream_factory()
    try:
        window = gui.open(
            server={"listen": ["127.0.0.1:0"]},
            rules=[{"match": "*", "destination": "127.0.0.1", "port": sink.port, "tls": "none"}],
            alerts={"webhook_url": hook.url, "email_to": "admin@ops.test"},
        )
        box = window.server_tab.alerts
        button = box.findChild(QPushButton, "sendTestAlert")
        tray: list[tuple[str, str]] = []  # what the tray would show (app/gui/main.py connects it)
        window.controller.alert.connect(lambda title, text: tray.append((title, text)))

        async def stopped() -> None:
            button.click()
            await until(lambda: "Webhook: OK" in box.answers.text(), 15, "the webhook's answer")

        gui.run(stopped())
        assert hook.events() == [("test", "started")]
        assert tray == [
            ("Tenso: alert", "Tenso alert: this is a test alert from the window's Send a test alert; nothing is wrong.")
        ]
        assert "Webhook: OK — the webhook answered HTTP 200" in box.answers.text()
        assert "Mail: failed — Tenso is not running" in box.answers.text()

        async def running() -> None:
            await window.controller.start()
            button.click()
            await until(lambda: len(hook.posts) == 2 and "Mail: OK" in box.answers.text(), 15, "both answers")
            await until(lambda: sink.messages, 15, "the test alert mail at the sink")
            await window.controller.stop()

        gui.run(running())
        assert hook.events() == [("test", "started"), ("test", "started")]
        assert len(tray) == 2
        assert sink.messages[0].rcpt_tos == ["admin@ops.test"]
        assert f"127.0.0.1:{sink.port}" in box.answers.text()  # the way the mail went
    finally:
        hook.stop()


def test_the_test_alert_answers_are_all_in_japanese_in_the_japanese_window(gui, english, upstream_factory):
    """Every word the window shows of a channel's answer is the window's language: the log's, the
    webhook's and the mail's answers are worded in Japanese, only the values (the queue ID, the
    address, the way out, the HTTP status) are as they are."""
    from app.gui import i18n

    hook = WebhookReceiver()
    sink = upstream_factory()
    try:
        i18n.install("ja")
        window = gui.open(
            server={"listen": ["127.0.0.1:0"]},
            rules=[{"match": "*", "destination": "127.0.0.1", "port": sink.port, "tls": "none"}],
            alerts={"webhook_url": hook.url, "email_to": "admin@ops.test"},
        )
        box = window.server_tab.alerts
        button = box.findChild(QPushButton, "sendTestAlert")

        async def stopped() -> None:
            button.click()
            await until(lambda: "Webhook: OK" in box.answers.text(), 15, "the webhook's answer")

        gui.run(stopped())
        text = box.answers.text()
        assert "Webhook: OK — Webhook の応答: HTTP 200" in text
        assert "メール: 失敗 — Tenso が動作していません" in text, text

        async def running() -> None:
            await window.controller.start()
            button.click()
            await until(lambda: len(hook.posts) == 2 and "キューに入れました" in box.answers.text(), 15, "both answers")
            await until(lambda: sink.messages, 15, "the test alert mail at the sink")
            await window.controller.stop()

        gui.run(running())
        text = box.answers.text()
        assert "ログ: OK — 書き込みました" in text, text
        assert f"<admin@ops.test> 宛てにキューに入れました（経路: 127.0.0.1:{sink.port}）" in text, text
        words = re.sub(r"<[^>]*>|\b[0-9A-F]{16}\b|127\.0\.0\.1:\d+|HTTP \d+|Webhook|OK|Tenso", "", text)
        assert not re.search(r"[A-Za-z]{3,}", words), f"English words in the Japanese window: {words!r}"
    finally:
        hook.stop()
