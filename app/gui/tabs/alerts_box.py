"""The Server tab's Alerts box: when Tenso tells the administrator that mail has stopped, and how
(the tray, the Windows Event Log, a webhook, a mail), the daily summary, and "Send a test alert"
with what each channel answered (docs/alerts.md)."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
)
from qasync import asyncSlot

from app.gui.i18n import tr
from app.problems import worded
from app.settings import Alerts, check_field, range_of


def channel_name(channel: str) -> str:
    return {
        "log": tr("Log"),
        "tray": tr("Tray"),
        "event_log": tr("Windows Event Log"),
        "webhook": tr("Webhook"),
        "email": tr("Mail"),
    }.get(channel, channel)


class AlertsBox(QGroupBox):
    problem = Signal(str)  # a field's problem ("" when it is fixed), shown under the tab

    def __init__(self, settings, gateway_controller=None, parent=None):
        super().__init__(tr("Alerts (通知)"), parent)
        self.setObjectName("alertsBox")
        self.settings = settings
        self.gateway_controller = gateway_controller
        alerts = settings.alerts

        self.after = self._spin("after_minutes", "alertAfterMinutes", tr(" min"))
        self.after.setToolTip(
            tr("A destination that has failed this long is told; a message waiting 4 times as long too")
        )
        self.repeat = self._spin("repeat_hours", "alertRepeatHours", tr(" hours"))
        self.repeat.setSpecialValueText(tr("Only when it starts"))
        self.webhook = QLineEdit(alerts.webhook_url)
        self.webhook.setObjectName("alertWebhook")
        self.webhook.setPlaceholderText("https://….webhook.office.com/… / https://hooks.slack.com/services/…")
        self.webhook.setToolTip(tr("The address of a Teams or Slack incoming webhook (see the manual: Alerts)"))
        self.webhook.textChanged.connect(lambda t: self._set("webhook_url", t.strip()))
        self.email_to = QLineEdit(alerts.email_to)
        self.email_to.setObjectName("alertEmailTo")
        self.email_to.setPlaceholderText("admin@example.jp")
        self.email_to.textChanged.connect(lambda t: self._set("email_to", t.strip()))
        self.email_rule = self._spin("email_rule", "alertEmailRule", "")
        self.email_rule.setPrefix(tr("rule No. "))
        self.email_rule.setSpecialValueText(tr("Normal routing"))
        self.email_rule.setToolTip(
            tr(
                "The rule the alert mail leaves by. Choose one with another way out than your usual one: never "
                "is an alert about a destination sent through it"
            )
        )
        self.event_log = QCheckBox(tr("Also write alerts to the Windows Event Log (source Tenso)"))
        self.event_log.setObjectName("alertEventLog")
        self.event_log.setChecked(alerts.event_log)
        self.event_log.toggled.connect(lambda on: setattr(self.settings.alerts, "event_log", on))
        self.summary = self._spin("summary_hour", "summaryHour", tr(":00"))
        self.summary.setSpecialValueText(tr("Off"))
        self.summary.setToolTip(
            tr("Yesterday's counts, what bounced and what still waits, mailed every day at this hour")
        )

        self.test_button = QPushButton(tr("Send a test alert"))
        self.test_button.setObjectName("sendTestAlert")
        self.test_button.clicked.connect(self.send_test)
        self.answers = QLabel()
        self.answers.setObjectName("testAlertAnswers")
        self.answers.setWordWrap(True)
        self.answers.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.answers.setVisible(False)

        form = QFormLayout(self)
        form.addRow(tr("Tell when failing for"), self.after)
        form.addRow(tr("Tell again every"), self.repeat)
        form.addRow(tr("Webhook (Teams, Slack)"), self.webhook)
        form.addRow(tr("Mail to"), self.email_to)
        form.addRow(tr("Mail through"), self.email_rule)
        form.addRow(self.event_log)
        form.addRow(tr("Daily summary at"), self.summary)
        row = QHBoxLayout()
        row.addWidget(self.test_button)
        row.addStretch()
        form.addRow("", row)
        form.addRow("", self.answers)

    def _spin(self, name: str, object_name: str, suffix: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setObjectName(object_name)
        spin.setRange(*range_of(Alerts, name))
        spin.setValue(getattr(self.settings.alerts, name))
        if suffix:
            spin.setSuffix(suffix)
        spin.valueChanged.connect(lambda v: self._set(name, v))
        return spin

    def _set(self, name: str, value) -> None:
        problem = check_field(Alerts, name, value)
        self.problem.emit(f"alerts.{name}: {tr(problem)}" if problem else "")
        if not problem:
            setattr(self.settings.alerts, name, value)

    @asyncSlot()
    async def send_test(self) -> None:
        """One test event through every channel set up here (not yet applied is fine), and what each said."""
        if self.gateway_controller is None:
            return
        self.test_button.setEnabled(False)
        self.show_answers(tr("Sending a test alert..."))
        try:
            answers = await self.gateway_controller.send_test_alert(self.settings)
        finally:
            if shiboken6.isValid(self):
                self.test_button.setEnabled(True)
        if not shiboken6.isValid(self):
            return
        lines = []
        for answer in answers:
            word = tr("OK") if answer.ok else tr("failed")
            lines.append(f"{channel_name(answer.channel)}: {word} — {worded(answer.text, tr)}")
        if not any(a.channel in ("webhook", "email", "event_log") for a in answers):
            lines.append(tr("No webhook or mail is set up: only the log and the tray were told."))
        self.show_answers("\n".join(lines))

    def show_answers(self, text: str) -> None:
        self.answers.setText(text)
        self.answers.setVisible(bool(text))
