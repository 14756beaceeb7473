"""The Auth tab's upstream accounts (``accounts[]``): accounts that belong to destinations, each
chosen by name in a rule.  A password account keeps its password in the keyring; a Microsoft 365,
Google or other OAuth 2.0 account signs in from here ("Sign in…"), off the GUI thread: the browser
opens, and the window keeps answering while it waits.  Each row says who is signed in and until
when, the last refresh, and in red what went wrong.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QBrush, QColor, QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
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
)
from qasync import asyncSlot

from app.gui import controller as engine
from app.gui.i18n import tr, tr_later
from app.settings import Flow, OAuth2, Provider, UpstreamAccount, check_field

PASSWORD = ""  # the kind of an account without oauth2: no provider
KINDS = (  # (provider, or PASSWORD, label)
    (PASSWORD, tr_later("Password")),
    (Provider.MICROSOFT, tr_later("Microsoft 365 (OAuth 2.0)")),
    (Provider.GOOGLE, tr_later("Google (OAuth 2.0)")),
    (Provider.GENERIC, tr_later("Other OAuth 2.0 server")),
)
FLOWS = (
    (Flow.AUTHORIZATION_CODE, tr_later("Browser sign-in (recommended)")),
    (Flow.DEVICE_CODE, tr_later("Code on another device (server without a browser)")),
    (Flow.CLIENT_CREDENTIALS, tr_later("App only, with a client secret (SMTP.SendAsApp / Graph)")),
)
RED = "#c62828"
HELP = {
    PASSWORD: tr_later("The password is kept in the keyring: select the account, then Set password..."),
    Provider.MICROSOFT: tr_later(
        "In Entra ID → App registrations, register an app (Mobile and desktop applications, redirect "
        "http://localhost) with the delegated permission SMTP.Send; for app-only sending, the "
        "application permission SMTP.SendAsApp (or Mail.Send for Graph) with admin consent. Enter its "
        "Application (client) ID and your tenant, then Sign in..."
    ),
    Provider.GOOGLE: tr_later(
        "In Google Cloud → APIs & Services → Credentials, create an OAuth client of type Desktop app; "
        "the scope is https://mail.google.com/. Enter its client ID, store its client secret with "
        "Set client secret..., then Sign in... (an app still in Testing must sign in again every 7 days)."
    ),
    Provider.GENERIC: tr_later("Enter the authorization server's addresses (https), its client ID, then Sign in..."),
}


def kind_label(account: UpstreamAccount) -> str:
    provider = account.oauth2.provider if account.oauth2 else PASSWORD
    return tr(next(label for p, label in KINDS if p == provider))


class AccountDialog(QDialog):
    """Add or edit one upstream account; what is not needed for its kind stays hidden."""

    def __init__(self, account: UpstreamAccount, taken: list[str], parent=None):
        super().__init__(parent)
        self.setWindowTitle(tr("Upstream account"))
        self.taken = {t.lower() for t in taken}
        self.limits = account.limits  # not edited here: kept as the file has them
        o = account.oauth2 or OAuth2()
        self.name = QLineEdit(account.name)
        self.name.setObjectName("accountName")
        self.name.setPlaceholderText("m365")
        self.username = QLineEdit(account.username)
        self.username.setObjectName("accountUsername")
        self.username.setPlaceholderText("office@contoso.example")
        self.kind = QComboBox()
        self.kind.setObjectName("accountKind")
        for provider, label in KINDS:
            self.kind.addItem(tr(label), provider)
        self.kind.setCurrentIndex(self.kind.findData(o.provider if account.oauth2 else PASSWORD))
        self.tenant = QLineEdit(o.tenant)
        self.tenant.setPlaceholderText("contoso.onmicrosoft.com")
        self.client_id = QLineEdit(o.client_id)
        self.client_id.setObjectName("accountClientId")
        self.flow = QComboBox()
        for flow, label in FLOWS:
            self.flow.addItem(tr(label), flow)
        self.flow.setCurrentIndex(max(0, self.flow.findData(o.flow)))
        self.urls = {name: QLineEdit(getattr(o, name)) for name in ("authorize_url", "token_url", "device_url")}
        self.form = form = QFormLayout()
        form.addRow(tr("Name (chosen in a rule)"), self.name)
        form.addRow(tr("User name or mailbox"), self.username)
        form.addRow(tr("Kind"), self.kind)
        form.addRow(tr("Tenant"), self.tenant)
        form.addRow(tr("Client ID"), self.client_id)
        form.addRow(tr("Sign-in"), self.flow)
        for name, edit in self.urls.items():
            edit.setPlaceholderText("https://")
            form.addRow(name, edit)
        self.help = QLabel()
        self.help.setObjectName("accountHelp")
        self.help.setWordWrap(True)
        self.help.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error = QLabel()
        self.error.setStyleSheet(f"color: {RED}")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.help)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)
        self.kind.currentIndexChanged.connect(self._shown)
        for edit in (self.name, self.username, self.client_id, self.tenant, *self.urls.values()):
            edit.textChanged.connect(self.validate)
        self._shown()

    def _shown(self) -> None:
        provider = self.kind.currentData()
        form = self.form
        form.setRowVisible(self.tenant, provider == Provider.MICROSOFT)
        form.setRowVisible(self.client_id, bool(provider))
        form.setRowVisible(self.flow, bool(provider))
        for edit in self.urls.values():
            form.setRowVisible(edit, provider == Provider.GENERIC)
        self.help.setText(tr(HELP[provider]))
        self.adjustSize()
        self.validate()

    def account(self) -> UpstreamAccount:
        provider = self.kind.currentData()
        oauth2 = None
        if provider:
            oauth2 = OAuth2(
                provider=Provider(provider),
                tenant=self.tenant.text().strip() if provider == Provider.MICROSOFT else "",
                client_id=self.client_id.text().strip(),
                flow=Flow(self.flow.currentData()),
                **{n: e.text().strip() for n, e in self.urls.items() if provider == Provider.GENERIC},
            )
        return UpstreamAccount(
            name=self.name.text().strip(),
            username=self.username.text().strip(),
            oauth2=oauth2,
            limits=dataclasses.replace(self.limits),
        )

    def validate(self) -> bool:
        account = self.account()
        problem = ""
        if account.name and account.name.lower() in self.taken:
            problem = tr("Name (chosen in a rule)") + ": " + tr("{name} is listed twice").format(name=account.name)
        elif account.name and (found := check_field(UpstreamAccount, "name", account.name)):
            problem = tr("Name (chosen in a rule)") + ": " + tr(found)
        else:
            for name, edit in self.urls.items():
                text = edit.text().strip()
                if edit.isVisibleTo(self) and text and (found := check_field(OAuth2, name, text)):
                    problem = f"{name}: {tr(found)}"
        self.error.setText(problem)
        ok = not problem and bool(account.name and account.username)
        if account.oauth2 is not None:
            ok = (
                ok
                and bool(account.oauth2.client_id)
                and (account.oauth2.provider != Provider.MICROSOFT or bool(account.oauth2.tenant))
            )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)
        return ok


class AccountsBox(QGroupBox):
    COLUMNS = (tr_later("Name"), tr_later("Kind"), tr_later("User name"), tr_later("State"))

    def __init__(self, settings, controller, parent=None):
        super().__init__(tr("Upstream accounts (chosen per rule)"), parent)
        self.settings = settings
        self.controller = controller
        self.opens_browser = True  # the tests drive the address themselves
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setObjectName("accountsTable")
        self.table.setHorizontalHeaderLabels([tr(c) for c in self.COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        rows = self.table.verticalHeader().defaultSectionSize()
        self.table.setMinimumHeight(self.table.horizontalHeader().sizeHint().height() + 3 * rows + 4)
        self.table.itemSelectionChanged.connect(self._buttons)
        self.table.doubleClicked.connect(self.edit_account)
        self.add_button = QPushButton(tr("Add..."))
        self.edit_button = QPushButton(tr("Edit..."))
        self.remove_button = QPushButton(tr("Remove"))
        self.secret_button = QPushButton(tr("Set password..."))
        self.sign_in_button = QPushButton(tr("Sign in..."))
        self.sign_in_button.setObjectName("signIn")
        self.sign_out_button = QPushButton(tr("Sign out"))
        self.add_button.clicked.connect(self.add_account)
        self.edit_button.clicked.connect(self.edit_account)
        self.remove_button.clicked.connect(self.remove_account)
        self.secret_button.clicked.connect(self.set_secret)
        self.sign_in_button.clicked.connect(self.sign_in)
        self.sign_out_button.clicked.connect(self.sign_out)
        self.message = QLabel()
        self.message.setObjectName("accountsMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout()
        for b in (
            self.add_button,
            self.edit_button,
            self.remove_button,
            self.secret_button,
            self.sign_in_button,
            self.sign_out_button,
        ):
            row.addWidget(b)
        row.addStretch()
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(row)
        layout.addWidget(self.message)
        controller.sign_in_url.connect(self._open_url)
        controller.sign_in_code.connect(self._show_code)
        self.statuses: dict = {}
        self.reload()

    # --- the table ---

    def reload(self) -> None:
        self.table.setRowCount(len(self.settings.accounts))
        for r, account in enumerate(self.settings.accounts):
            for c, text in enumerate((account.name, kind_label(account), account.username, "")):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self._buttons()
        self.refresh_statuses()

    def selected(self) -> UpstreamAccount | None:
        row = self.table.currentRow()
        accounts = self.settings.accounts
        return accounts[row] if 0 <= row < len(accounts) and self.table.selectedItems() else None

    def _buttons(self) -> None:
        account = self.selected()
        for b in (self.edit_button, self.remove_button, self.secret_button):
            b.setEnabled(account is not None)
        oauth = account is not None and account.oauth2 is not None
        self.sign_in_button.setEnabled(oauth)
        self.sign_out_button.setEnabled(oauth)
        if account is not None:
            needs_secret = account.oauth2 is not None and account.oauth2.flow == Flow.CLIENT_CREDENTIALS
            self.secret_button.setText(tr("Set client secret...") if needs_secret else tr("Set password..."))
            self.secret_button.setEnabled(account.oauth2 is None or needs_secret)

    @asyncSlot()
    async def refresh_statuses(self) -> None:
        if not self.settings.accounts:
            return
        try:
            self.statuses = await self.controller.account_statuses(self.settings)
        except Exception as exc:  # a broken token store or keyring: said in the table, not raised
            self.statuses = {}
            self.message.setText(str(exc))
        for r, account in enumerate(self.settings.accounts):
            item = self.table.item(r, 3)
            status = self.statuses.get(account.name)
            if item is None or status is None:
                continue
            item.setText(self.describe(status))
            failing = bool(status.error) or not status.signed_in
            item.setForeground(QBrush(QColor(RED)) if failing else QBrush())

    @staticmethod
    def describe(status) -> str:
        if status.kind == "password":
            return tr("password saved") if status.signed_in else tr("no password stored")
        if status.error:
            return tr("Sign in again: {0}").format(status.error)
        if not status.signed_in:
            return tr("not signed in")
        text = tr("signed in; token valid until {0}").format(_local(status.expires))
        if status.last_refresh:
            text += tr("; last refresh {0}").format(_local(status.last_refresh))
        return text

    # --- editing (the working copy; saved with Apply) ---

    def add_account(self) -> None:
        dialog = AccountDialog(UpstreamAccount(), [a.name for a in self.settings.accounts], self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.settings.accounts.append(dialog.account())
            self.reload()
            self.message.setText(tr("Choose it in a rule (Routing rules → Edit → Login account), then Apply."))

    def edit_account(self) -> None:
        account = self.selected()
        if account is None:
            return
        others = [a.name for a in self.settings.accounts if a is not account]
        dialog = AccountDialog(account, others, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.settings.accounts[self.settings.accounts.index(account)] = dialog.account()
            self.reload()

    def remove_account(self) -> None:
        account = self.selected()
        if account is not None:
            self.settings.accounts.remove(account)
            self.reload()

    @asyncSlot()
    async def set_secret(self) -> None:
        account = self.selected()
        if account is None:
            return
        secret, ok = QInputDialog.getText(self, tr("Password"), account.key, QLineEdit.EchoMode.Password)
        if not ok or not secret:
            return
        try:
            await engine.save_password(account.key, secret)
        except engine.SecretStoreError as exc:
            self.message.setText(str(exc))
            return
        self.message.setText(tr("Saved in the keyring as {0}.").format(account.key))
        await self.refresh_statuses()

    # --- signing in (off the GUI thread) ---

    @asyncSlot()
    async def sign_in(self) -> None:
        account = self.selected()
        if account is None or account.oauth2 is None:
            return
        self.sign_in_button.setEnabled(False)
        self.message.setText(tr("Signing in {0}...").format(account.name))
        try:
            status = await self.controller.sign_in(self.settings, account.name)
        except engine.SignInError as exc:
            self.message.setText(tr("Sign-in failed: {0}").format(str(exc)))
        else:
            self.message.setText(
                tr("{0} is signed in; the token is valid until {1}.").format(account.name, _local(status.expires))
            )
        finally:
            self._buttons()
        await self.refresh_statuses()

    def _open_url(self, url: str) -> None:
        self.message.setText(
            tr("Sign in in the browser that opened. If none opened, open this address: {0}").format(url)
        )
        if self.opens_browser:
            QDesktopServices.openUrl(QUrl(url))

    def _show_code(self, url: str, code: str) -> None:
        self.message.setText(tr("On any device, open {0} and enter the code {1}.").format(url, code))

    @asyncSlot()
    async def sign_out(self) -> None:
        account = self.selected()
        if account is None:
            return
        try:
            await self.controller.sign_out(self.settings, account.name)
        except engine.SignInError as exc:
            self.message.setText(str(exc))
            return
        self.message.setText(tr("{0} is signed out.").format(account.name))
        await self.refresh_statuses()


def _local(when) -> str:
    return when.astimezone().strftime("%Y-%m-%d %H:%M") if when else "-"
