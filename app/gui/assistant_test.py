"""The setup assistant's last page: the test login (and, for an OAuth 2.0 account, its sign-in)
on the settings the assistant just wrote, and a test message through the running gateway.

Both go through the controller, off the GUI thread: the test login is app/offline.py's
``check_login`` (no Apply needed); the test message is queued in the running gateway, which sends
it by the applied settings, and the page shows the log lines of its queue id as they come.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWizardPage,
)
from qasync import asyncSlot

from app.gui import controller as engine
from app.gui.console import Controller
from app.gui.i18n import tr
from app.gui.tabs.auth_tab import describe_login
from app.mail import addresses
from app.settings import Settings, keys
from app.settings.presets import Filled


class Assistant(Protocol):
    """What this page uses of the assistant (app/gui/assistant.py, which imports this module)."""

    settings: Settings
    controller: Controller
    apply: Callable[[], Awaitable[bool]] | None
    written: Filled | None
    saving: asyncio.Future | None
    fields: Any  # its FieldsPage: answers()


class TestPage(QWizardPage):
    def __init__(self, wizard: Assistant) -> None:
        super().__init__()
        self.assistant = wizard
        self.setTitle(tr("Test"))
        self.setSubTitle(tr("The settings are in the window now, not yet saved. Test them, then press Apply."))
        self.saved = QLabel()
        self.saved.setObjectName("assistantSaved")
        self.saved.setWordWrap(True)
        self.login_button = QPushButton(tr("Test login"))
        self.login_button.setObjectName("assistantTestLogin")
        self.login_button.clicked.connect(self.test_login)
        self.login_result = QLabel()
        self.login_result.setObjectName("assistantLoginResult")
        self.login_result.setWordWrap(True)
        self.login_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        login_row = QHBoxLayout()
        login_row.addWidget(self.login_button)
        login_row.addWidget(self.login_result, 1)

        self.apply_button = QPushButton(tr("Apply"))
        self.apply_button.setObjectName("assistantApply")
        self.apply_button.clicked.connect(self.apply)
        self.from_edit = QLineEdit()
        self.from_edit.setObjectName("assistantSender")
        self.from_edit.setPlaceholderText("office@example.jp")
        self.recipient = QLineEdit()
        self.recipient.setObjectName("assistantRecipient")
        self.recipient.setPlaceholderText("you@example.jp")
        self.send_button = QPushButton(tr("Send test message"))
        self.send_button.setObjectName("assistantSend")
        self.send_button.clicked.connect(self.send)
        self.send_result = QPlainTextEdit()
        self.send_result.setObjectName("assistantSendResult")
        self.send_result.setReadOnly(True)
        self.send_result.setMaximumHeight(self.fontMetrics().lineSpacing() * 6)
        box = QGroupBox(tr("Test message (through the running Tenso, by the applied settings)"))
        form = QFormLayout(box)
        form.addRow(tr("From"), self.from_edit)
        form.addRow(tr("To"), self.recipient)
        buttons = QHBoxLayout()
        buttons.addWidget(self.apply_button)
        buttons.addWidget(self.send_button)
        buttons.addStretch()
        form.addRow(buttons)
        form.addRow(self.send_result)

        layout = QVBoxLayout(self)
        layout.addWidget(self.saved)
        layout.addLayout(login_row)
        layout.addWidget(box)
        layout.addStretch()
        self.qid = ""
        self.recent: deque[str] = deque(maxlen=200)  # a fast delivery logs before the id is known here
        wizard.controller.log_line.connect(self._log_line)
        # A sign-in in the browser (the Auth tab opens it): where, said here too.
        wizard.controller.sign_in_url.connect(self._sign_in_url)
        wizard.controller.sign_in_code.connect(self._sign_in_code)

    def initializePage(self) -> None:
        result = self.assistant.written
        self.login_result.setText("")
        self.send_result.setPlainText("")
        username = self.assistant.fields.answers().username
        if addresses.is_address(username) and not self.from_edit.text():
            self.from_edit.setText(username)
        self.apply_button.setVisible(self.assistant.apply is not None)
        self.saved.setText(tr("The settings are filled in."))
        if result is not None and self.assistant.saving is not None:
            self._report_saved()

    @asyncSlot()
    async def _report_saved(self) -> None:
        result, saving = self.assistant.written, self.assistant.saving
        if result is None or saving is None:
            return
        try:
            await saving
        except engine.SecretStoreError as exc:
            self.saved.setText(tr("The secret was not stored: {0}").format(str(exc)))
            return
        self.saved.setText(tr("Saved in the keyring as {0}.").format(result.key))

    async def _secret_stored(self) -> bool:
        saving = self.assistant.saving
        if saving is None:
            return True
        try:
            await saving
        except engine.SecretStoreError:
            return False
        return True

    @asyncSlot()
    async def test_login(self) -> None:
        result = self.assistant.written
        if result is None:
            return
        self.login_button.setEnabled(False)
        self.login_result.setText(tr("Testing..."))
        try:
            self.login_result.setText(await self._login_text(result))
        finally:
            self.login_button.setEnabled(True)

    async def _login_text(self, result: Filled) -> str:
        settings = self.assistant.settings
        if not await self._secret_stored():
            return self.saved.text()
        account = settings.account(result.account) if result.account else None
        if account is not None and account.oauth2 is not None:
            try:
                status = await self.assistant.controller.sign_in(settings, account.name)
            except engine.SignInError as exc:
                return tr("Sign-in failed: {0}").format(str(exc))
            signed = tr("{0} is signed in; the token is valid until {1}.").format(
                account.name, status.expires.astimezone().strftime("%Y-%m-%d %H:%M") if status.expires else "-"
            )
            if settings.rules[result.rule].by_graph:
                return signed
            return signed + "\n" + await self._check(result)
        return await self._check(result)

    async def _check(self, result: Filled) -> str:
        settings = self.assistant.settings
        key = result.key or (keys.account_key(result.account) if result.account else "")
        report = await self.assistant.controller.check_login(settings, result.rule, key)
        return describe_login(report)

    @asyncSlot()
    async def apply(self) -> None:
        if self.assistant.apply is None:
            return
        self.apply_button.setEnabled(False)
        try:
            ok = await self.assistant.apply()
        finally:
            self.apply_button.setEnabled(True)
        self.send_result.setPlainText(
            tr("Saved and applied.") if ok else tr("Not saved: see the problems in the window.")
        )

    @asyncSlot()
    async def send(self) -> None:
        sender, recipient = self.from_edit.text().strip(), self.recipient.text().strip()
        if not (addresses.is_address(sender) and addresses.is_address(recipient)):
            self.send_result.setPlainText(tr("Enter the sender's and the recipient's address."))
            return
        try:
            self.qid = await self.assistant.controller.send_test_message(sender, recipient)
        except engine.TestMessageError as exc:
            self.send_result.setPlainText(str(exc))
            return
        except OSError as exc:
            self.send_result.setPlainText(tr("The test message was not queued: {0}").format(str(exc)))
            return
        self.send_result.setPlainText(
            tr("Queued as {0}; what becomes of it follows here (and in the Log tab).").format(self.qid)
        )
        for line in self.recent:
            if self.qid in line:
                self.send_result.appendPlainText(line)

    def _sign_in_url(self, url: str) -> None:
        if not self.login_button.isEnabled():  # this page's test is signing in
            self.login_result.setText(
                tr("Sign in in the browser that opened. If none opened, open this address: {0}").format(url)
            )

    def _sign_in_code(self, url: str, code: str) -> None:
        if not self.login_button.isEnabled():
            self.login_result.setText(tr("On any device, open {0} and enter the code {1}.").format(url, code))

    def _log_line(self, line: str) -> None:
        self.recent.append(line)
        if self.qid and self.qid in line:
            self.send_result.appendPlainText(line)
