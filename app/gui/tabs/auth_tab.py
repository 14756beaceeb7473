"""認証 / Auth accounts: the common account and per-local-user accounts towards destinations."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.gui import controller
from app.gui.controller import LoginReport
from app.gui.i18n import tr
from app.gui.secrets_ui import PasswordField
from app.gui.tabs.accounts_box import AccountsBox
from app.problems import worded
from app.settings import PerUserAccount, keys


def describe_login(report: LoginReport | str) -> str:
    """A test login's outcome, in the window's language."""
    if isinstance(report, str):  # the password could not be read
        return report
    if report.error is not None:
        return tr("Failed: {0}").format(worded(report.error, tr))
    if report.username is None:
        return tr("Connected (no account used). AUTH offered: {0}").format(report.offered or tr("none"))
    if not report.offered:
        return tr("Connected, but the server offers no SMTP AUTH: mail is sent without logging in.")
    return tr("Login accepted as {0} ({1}).").format(
        report.username, tr("encrypted") if report.encrypted else tr("not encrypted")
    )


class AuthTab(QWidget):
    def __init__(self, settings, controller, parent=None):
        super().__init__(parent)
        self.settings = settings
        self.controller = controller
        accounts = settings.auth_accounts

        common = QGroupBox(tr("Common account (共通アカウント)"))
        self.common_user = QLineEdit(accounts.common.username)
        self.common_user.setObjectName("commonUsername")
        self.common_user.textChanged.connect(lambda text: setattr(accounts.common, "username", text.strip()))
        self.common_password = PasswordField(keys.COMMON)
        self.common_password.setObjectName("commonPassword")
        form = QFormLayout(common)
        form.addRow(tr("ID"), self.common_user)
        form.addRow(tr("Password"), self.common_password)
        form.addRow(
            QLabel(
                tr(
                    "Used for every destination that asks for SMTP AUTH, unless the sender "
                    "has an account of its own below."
                )
            )
        )

        per_user = QGroupBox(tr("Per local user accounts"))
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("perUserTable")
        self.table.setHorizontalHeaderLabels([tr("Local user"), tr("ID"), tr("Password"), tr("Or an upstream account")])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.itemChanged.connect(self._item_changed)
        add = QPushButton(tr("Add..."))
        remove = QPushButton(tr("Remove"))
        set_password = QPushButton(tr("Set password..."))
        add.clicked.connect(self.add_account)
        remove.clicked.connect(self.remove_account)
        set_password.clicked.connect(self.set_password)
        row = QHBoxLayout()
        for b in (add, remove, set_password):
            row.addWidget(b)
        row.addStretch()
        box = QVBoxLayout(per_user)
        box.addWidget(self.table)
        box.addLayout(row)

        tester = QGroupBox(tr("Test login"))
        self.rule_choice = QComboBox()
        self.rule_choice.setObjectName("testRule")
        self.account_choice = QComboBox()
        self.test_button = QPushButton(tr("Test login"))
        self.test_button.setObjectName("testLogin")
        self.test_result = QLabel()
        self.test_result.setObjectName("testResult")
        self.test_result.setWordWrap(True)
        self.test_button.clicked.connect(self.run_test)
        form2 = QFormLayout(tester)
        form2.addRow(tr("Destination"), self.rule_choice)
        form2.addRow(tr("Account"), self.account_choice)
        form2.addRow(self.test_button, self.test_result)

        self.accounts = AccountsBox(settings, controller)
        self.accounts.table.model().rowsInserted.connect(self.reload)  # new names to choose
        self.accounts.table.model().rowsRemoved.connect(self.reload)

        layout = QVBoxLayout(self)
        layout.addWidget(common)
        layout.addWidget(per_user, 1)
        layout.addWidget(self.accounts, 1)
        layout.addWidget(tester)
        self.reload()

    def reload(self) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for account in self.settings.auth_accounts.per_user:
            r = self.table.rowCount()
            self.table.insertRow(r)
            self.table.setItem(r, 0, QTableWidgetItem(account.local_user))
            self.table.setItem(r, 1, QTableWidgetItem(account.username))
            status = QTableWidgetItem("")
            self.table.setItem(r, 2, status)
            self.table.setCellWidget(r, 3, self._account_choice(account))
        self.table.blockSignals(False)
        self.common_password.refresh()
        self._refresh_statuses()
        self.refresh_choices()

    def refresh_choices(self) -> None:
        self.rule_choice.clear()
        for i, rule in enumerate(self.settings.rules):
            if rule.to_server:  # the test login is SMTP: not MTA, not GRAPH
                self.rule_choice.addItem(f"{i + 1}: {rule.destination}:{rule.port} (TLS {rule.tls})", i)
        self.account_choice.clear()
        self.account_choice.addItem(tr("common account"), keys.COMMON)
        for a in self.settings.auth_accounts.per_user:
            self.account_choice.addItem(a.local_user, keys.user_key(a.local_user))
        for named in self.settings.accounts:
            self.account_choice.addItem(named.name, named.key)
        self.account_choice.addItem(tr("no account"), "")

    def _account_choice(self, account: PerUserAccount) -> QComboBox:
        """A person's own named account (their Microsoft 365 sign-in) instead of an ID and password."""
        choice = QComboBox()
        choice.addItem(tr("(ID and password)"), "")
        for named in self.settings.accounts:
            choice.addItem(named.name, named.name)
        if account.account and choice.findData(account.account) < 0:
            choice.addItem(account.account, account.account)
        choice.setCurrentIndex(max(0, choice.findData(account.account)))

        def chosen() -> None:
            account.account = choice.currentData() or ""
            if account.account:
                account.username = ""  # either an ID or an account, not both
            QTimer.singleShot(0, self.reload)  # not now: reload() replaces this combo box

        choice.currentIndexChanged.connect(chosen)
        return choice

    @asyncSlot()
    async def _refresh_statuses(self) -> None:
        for r, account in enumerate(list(self.settings.auth_accounts.per_user)):
            if account.account:
                item = self.table.item(r, 2)
                if item is not None:
                    self.table.blockSignals(True)
                    item.setText(tr("see Upstream accounts"))
                    self.table.blockSignals(False)
                continue
            try:
                found = await controller.password_is_set(keys.user_key(account.local_user))
                text = tr("saved") if found else tr("not set")
            except controller.SecretStoreError:
                text = tr("keyring unavailable")
            item = self.table.item(r, 2)
            if item is not None:
                self.table.blockSignals(True)
                item.setText(text)
                self.table.blockSignals(False)

    def _item_changed(self, item: QTableWidgetItem) -> None:
        accounts = self.settings.auth_accounts.per_user
        if item.row() >= len(accounts) or item.column() == 2:
            return
        field = "local_user" if item.column() == 0 else "username"
        setattr(accounts[item.row()], field, item.text().strip())

    def add_account(self) -> None:
        users = [u.address for u in self.settings.local_users]
        if not users:
            self.test_result.setText(tr("Add local users first (Local users tab)."))
            return
        user, ok = QInputDialog.getItem(self, tr("Per user account"), tr("Local user"), users, 0, False)
        if ok and user:
            self.settings.auth_accounts.per_user.append(PerUserAccount(local_user=user, username=""))
            self.reload()

    def remove_account(self) -> None:
        row = self.table.currentRow()
        if 0 <= row < len(self.settings.auth_accounts.per_user):
            del self.settings.auth_accounts.per_user[row]
            self.reload()

    @asyncSlot()
    async def set_password(self) -> None:
        row = self.table.currentRow()
        accounts = self.settings.auth_accounts.per_user
        if not 0 <= row < len(accounts):
            return
        key = keys.user_key(accounts[row].local_user)
        password, ok = QInputDialog.getText(self, tr("Password"), key, QLineEdit.EchoMode.Password)
        if not ok or not password:
            return
        try:
            await controller.save_password(key, password)
        except controller.SecretStoreError as exc:
            self.test_result.setText(str(exc))
            return
        await self._refresh_statuses()

    @asyncSlot()
    async def run_test(self) -> None:
        index = self.rule_choice.currentData()
        if index is None:
            self.test_result.setText(tr("No forwarding rule to test."))
            return
        rule = self.settings.rules[index]
        key = self.account_choice.currentData() or ""
        self.test_button.setEnabled(False)
        self.test_result.setText(tr("Connecting to {0}:{1}...").format(rule.destination, rule.port))
        result = describe_login(await self.controller.check_login(self.settings, index, key))
        self.test_button.setEnabled(True)
        self.test_result.setText(result)
