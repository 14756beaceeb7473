"""設定アシスタント / The setup assistant: "Where does your mail go?", then the few fields that way
out needs, what to register at the provider (with the PowerShell lines to copy), a summary, and a
test: the test login and, with Tenso running, a test message.

It writes the chosen preset (app/settings/presets.py) into the window's working copy of the
settings, like any tab, so nothing is saved until Apply; the password or client secret goes into
the keyring through the controller, never into the settings file.  The test login needs no Apply
(it reads the working copy); the test message goes out through the running gateway, which uses
the applied settings.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication, QIntValidator
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from app.gui import controller as engine
from app.gui import i18n
from app.gui.assistant_test import TestPage
from app.gui.console import Controller
from app.gui.i18n import tr, tr_later
from app.settings import Rule, Settings, check_field, keys, preset_texts, presets
from app.settings.presets import PRESETS, Answers, Filled, Need, Preset

USERNAME_LABEL = {  # what the user name is called, per preset
    "isp": tr_later("ID (user name)"),
    "m365_user": tr_later("Mailbox (the address that sends)"),
    "m365_app": tr_later("Mailbox (the address that sends)"),
    "m365_graph": tr_later("Mailbox (the address that sends)"),
    "m365_hve": tr_later("HVE account (its address)"),
    "acs": tr_later("SMTP user name"),
    "google_app_password": tr_later("Google address"),
    "google_oauth": tr_later("Google address"),
    "google_relay": tr_later("Google address"),
}
SECRET_LABEL = {
    "google_app_password": tr_later("App password"),
    "m365_app": tr_later("Client secret"),
    "m365_graph": tr_later("Client secret"),
    "google_oauth": tr_later("Client secret"),
    "acs": tr_later("Client secret of the Entra app"),
}


def words(preset: Preset, part: str) -> str:
    return preset_texts.text(preset.key, part, i18n.current())


def copy_text(text: str) -> None:
    clipboard = QGuiApplication.clipboard()
    if clipboard is not None:
        clipboard.setText(text)


class ChoosePage(QWizardPage):
    """ "Where does your mail go?": one choice per preset, its name and one line on it."""

    def __init__(self) -> None:
        super().__init__()
        self.setTitle(tr("Where does your mail go?"))
        self.setSubTitle(tr("Choose how mail leaves this office; the next pages ask only what that way needs."))
        self.group = QButtonGroup(self)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        for i, preset in enumerate(PRESETS):
            button = QRadioButton(words(preset, "name"))
            button.setObjectName(f"preset_{preset.key}")
            self.group.addButton(button, i)
            about = QLabel(words(preset, "summary"))
            about.setWordWrap(True)
            about.setStyleSheet("color: #555; margin-left: 22px")
            layout.addWidget(button)
            layout.addWidget(about)
        layout.addStretch()
        self.group.button(0).setChecked(True)
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setFrameShape(QScrollArea.Shape.NoFrame)
        area.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.addWidget(area)

    def preset(self) -> Preset:
        return PRESETS[max(0, self.group.checkedId())]

    def choose(self, key: str) -> None:
        self.group.button(PRESETS.index(presets.BY_KEY[key])).setChecked(True)


class FieldsPage(QWizardPage):
    """The few fields the chosen preset needs; the others stay hidden."""

    def __init__(self, wizard: SetupAssistant) -> None:
        super().__init__()
        self.assistant = wizard
        self.setTitle(tr("What Tenso needs to know"))
        self.match = QLineEdit("*")
        self.match.setObjectName("assistantMatch")
        self.host = QLineEdit()
        self.host.setObjectName("assistantHost")
        self.host.setPlaceholderText("smtp.example.jp")
        self.port = QComboBox()
        self.port.setObjectName("assistantPort")
        self.port.setEditable(True)  # a provider on another port: typed in
        self.port.setValidator(QIntValidator(1, 65535, self.port))
        self.port.currentTextChanged.connect(self._port_changed)
        self.username = QLineEdit()
        self.username.setObjectName("assistantUsername")
        self.with_login = QCheckBox(tr("Log in with a Workspace address and password (needs TLS, port 587)"))
        self.with_login.setObjectName("assistantWithLogin")
        self.tenant = QLineEdit()
        self.tenant.setObjectName("assistantTenant")
        self.tenant.setPlaceholderText("contoso.onmicrosoft.com")
        self.client_id = QLineEdit()
        self.client_id.setObjectName("assistantClientId")
        self.client_id.setPlaceholderText("00000000-0000-0000-0000-000000000000")
        self.secret = QLineEdit()
        self.secret.setObjectName("assistantSecret")
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("assistantFieldsError")
        self.error.setStyleSheet("color: #b00020")
        self.form = form = QFormLayout()
        form.addRow(tr("Which recipients (* for all, or @example.jp)"), self.match)
        form.addRow(tr("Server name or IP address"), self.host)
        form.addRow(tr("Port"), self.port)
        form.addRow(self.with_login)
        form.addRow(tr("User name"), self.username)
        form.addRow(tr("Tenant"), self.tenant)
        form.addRow(tr("Application (client) ID"), self.client_id)
        form.addRow(tr("Password"), self.secret)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addStretch()
        layout.addWidget(self.error)
        for edit in (self.match, self.host, self.username, self.tenant, self.client_id, self.secret):
            edit.textChanged.connect(self.completeChanged)
        self.with_login.toggled.connect(self._shown)

    def initializePage(self) -> None:
        preset = self.assistant.preset()
        self.setSubTitle(words(preset, "name"))
        self.port.blockSignals(True)
        self.port.clear()
        if not preset.graph:
            for port in (preset.port, *preset.ports):
                self.port.addItem(str(port), port)
        self.port.blockSignals(False)
        self.with_login.setChecked(False)
        self._shown()

    def _port_changed(self) -> None:
        if self.port_number() == 25:
            self.with_login.setChecked(False)  # Google: no SMTP AUTH without TLS
        self._shown()

    def _shown(self) -> None:
        preset = self.assistant.preset()
        needs = set(preset.needs)
        login = presets.login_of(preset, self.answers())
        form = self.form
        form.setRowVisible(self.host, Need.HOST in needs)
        form.setRowVisible(self.port, not preset.graph)
        form.setRowVisible(self.with_login, Need.OPTIONAL_LOGIN in needs)
        self.with_login.setEnabled(self.port_number() != 25)
        shows_user = Need.USERNAME in needs and (Need.OPTIONAL_LOGIN not in needs or login != presets.Login.NONE)
        form.setRowVisible(self.username, shows_user)
        form.setRowVisible(self.tenant, Need.TENANT in needs)
        form.setRowVisible(self.client_id, Need.CLIENT_ID in needs)
        form.setRowVisible(self.secret, presets.secret_needed(preset, self.answers()))
        user_label = form.labelForField(self.username)
        if isinstance(user_label, QLabel):
            user_label.setText(tr(USERNAME_LABEL.get(preset.key, "User name")))
        secret_label = form.labelForField(self.secret)
        if isinstance(secret_label, QLabel):
            secret_label.setText(tr(SECRET_LABEL.get(preset.key, "Password")))
        self.note.setText(
            tr("The password or secret is kept in the keyring of this PC, never in the settings file.")
            if presets.secret_needed(preset, self.answers())
            else ""
        )
        self.completeChanged.emit()

    def port_number(self) -> int:
        text = self.port.currentText().strip()
        return int(text) if text.isdigit() else 0

    def answers(self) -> Answers:
        return Answers(
            match=self.match.text().strip(),
            host=self.host.text().strip(),
            port=self.port_number(),
            username=self.username.text().strip(),
            tenant=self.tenant.text().strip(),
            client_id=self.client_id.text().strip(),
            with_login=self.with_login.isChecked() and self.with_login.isEnabled(),
        )

    def problem(self) -> str | None:
        """What is missing or wrong, or None when the answers will do."""
        preset, a = self.assistant.preset(), self.answers()
        if found := check_field(Rule, "match", a.match or "*"):
            return tr("Which recipients (* for all, or @example.jp)") + ": " + tr(found)
        if Need.HOST in preset.needs:
            if not a.host:
                return ""
            if found := check_field(Rule, "destination", a.host):
                return tr("Server name or IP address") + ": " + tr(found)
        visible = [e for e in (self.username, self.tenant, self.client_id, self.secret) if e.isVisibleTo(self)]
        return "" if any(not e.text().strip() for e in visible) else None

    def isComplete(self) -> bool:
        problem = self.problem()
        self.error.setText(problem or "")
        return problem is None


class RegisterPage(QWizardPage):
    """What to register at the provider: the steps to read and copy, the PowerShell lines to run."""

    def __init__(self, wizard: SetupAssistant) -> None:
        super().__init__()
        self.assistant = wizard
        self.setTitle(tr("What to register at the provider"))
        self.steps = QPlainTextEdit()
        self.steps.setObjectName("assistantSteps")
        self.steps.setReadOnly(True)
        self.copy_steps = QPushButton(tr("Copy"))
        self.copy_steps.setObjectName("copySteps")
        self.copy_steps.clicked.connect(lambda: copy_text(self.steps.toPlainText()))
        self.commands_label = QLabel(tr("Run these lines in Exchange Online PowerShell (replace what is in <...>):"))
        self.commands = QPlainTextEdit()
        self.commands.setObjectName("assistantPowerShell")
        self.commands.setReadOnly(True)
        self.commands.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.commands.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.copy_commands = QPushButton(tr("Copy"))
        self.copy_commands.setObjectName("copyPowerShell")
        self.copy_commands.clicked.connect(lambda: copy_text(self.commands.toPlainText()))
        layout = QVBoxLayout(self)
        layout.addWidget(self.steps, 3)
        layout.addLayout(_right(self.copy_steps))
        layout.addWidget(self.commands_label)
        layout.addWidget(self.commands, 2)
        layout.addLayout(_right(self.copy_commands))

    def initializePage(self) -> None:
        preset = self.assistant.preset()
        self.setSubTitle(words(preset, "name"))
        steps = preset_texts.steps(preset.key, i18n.current())
        self.steps.setPlainText("\n\n".join(f"{i}. {step}" for i, step in enumerate(steps, 1)))
        lines = presets.commands(preset, self.assistant.fields.answers())
        self.commands.setPlainText(lines)
        for widget in (self.commands_label, self.commands, self.copy_commands):
            widget.setVisible(bool(lines))


class SummaryPage(QWizardPage):
    """What the assistant will write; Next writes it into the window's settings (not yet saved)."""

    def __init__(self, wizard: SetupAssistant) -> None:
        super().__init__()
        self.assistant = wizard
        self.setTitle(tr("Summary"))
        self.setSubTitle(tr("Next puts this into the settings of the window; press Apply there to save it."))
        self.text = QLabel()
        self.text.setObjectName("assistantSummary")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addStretch()

    def initializePage(self) -> None:
        preset, answers = self.assistant.preset(), self.assistant.fields.answers()
        trial = Settings()
        filled = presets.fill(trial, preset, answers)
        rule = trial.rules[filled.rule]
        if rule.by_graph:
            where = tr("Microsoft Graph (HTTPS), sent as {0}").format(answers.username)
        else:
            where = f"{rule.destination}:{rule.port}, TLS {rule.tls}"
        lines = [tr("Rule: {0} → {1}").format(rule.match, where)]
        account = trial.account(filled.account) if filled.account else None
        if account is not None and account.oauth2 is not None:
            o = account.oauth2
            lines.append(
                tr("Account {0}: {1}, {2}, sign-in {3}").format(account.name, account.username, o.provider, o.flow)
            )
        elif account is not None:
            lines.append(tr("Account {0}: {1}, with a password").format(account.name, account.username))
        elif filled.key == keys.COMMON:
            lines.append(tr("The common account: {0}").format(answers.username))
        else:
            lines.append(tr("No login."))
        if filled.key:
            lines.append(tr("The secret goes into the keyring as {0}.").format(filled.key))
        self.text.setText("\n".join(lines))

    def validatePage(self) -> bool:
        self.assistant.write()
        return True


def _right(button: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addStretch()
    row.addWidget(button)
    return row


class SetupAssistant(QWizard):
    """The pages above on the window's working copy of the settings."""

    filled = Signal()  # the settings were written into: the window shows them

    def __init__(
        self,
        settings: Settings,
        controller: Controller,
        apply: Callable[[], Awaitable[bool]] | None = None,
        parent=None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.controller = controller
        self.apply = apply
        self.setWindowTitle(tr("Setup assistant"))
        self.setObjectName("setupAssistant")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.choose = ChoosePage()
        self.fields = FieldsPage(self)
        self.register = RegisterPage(self)
        self.summary = SummaryPage(self)
        self.test = TestPage(self)
        for page in (self.choose, self.fields, self.register, self.summary, self.test):
            self.addPage(page)
        self.written: Filled | None = None
        self.saving: asyncio.Future | None = None  # the secret on its way into the keyring
        self.resize(900, 700)

    def preset(self) -> Preset:
        return self.choose.preset()

    def write(self) -> None:
        """The preset into the working settings; the secret into the keyring (off the GUI thread)."""
        preset, answers = self.preset(), self.fields.answers()
        self.written = presets.fill(self.settings, preset, answers)
        secret = self.fields.secret.text()
        self.saving = None
        if self.written.key and secret and self.fields.secret.isVisibleTo(self.fields):
            self.saving = asyncio.ensure_future(engine.save_password(self.written.key, secret))
        self.filled.emit()
