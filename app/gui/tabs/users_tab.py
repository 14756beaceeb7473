"""Local users: local domains, users (with their login password), each user's forward.txt, and the
devices (scanners) that log in only to send."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.gui.i18n import tr
from app.gui.secrets_ui import PasswordField
from app.gui.tabs.devices_box import DevicesBox
from app.gui.widgets import ListEditor
from app.mail import forwarding
from app.settings import LocalUser, Settings, check_field, keys

COL_TARGETS, COL_ACTION, COL_FILTER, COL_DISABLED = range(4)


class ForwardEditor(QWidget):
    """One user's forwarding lines as a table; every edit rewrites the user's lines."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.user: LocalUser | None = None
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("forwardTable")
        self.table.setHorizontalHeaderLabels(
            [tr("Forward to (comma separated)"), tr("Action"), tr("Filter (sender contains)"), tr("Disabled")]
        )
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(COL_TARGETS, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_ACTION, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_FILTER, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_DISABLED, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemChanged.connect(self._sync)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020")
        add = QPushButton(tr("Add line"))
        remove = QPushButton(tr("Remove line"))
        self.import_button = QPushButton(tr("Import forward.txt..."))
        add.clicked.connect(self.add_line)
        remove.clicked.connect(self.remove_line)
        self.import_button.clicked.connect(self.import_file)
        row = QHBoxLayout()
        for b in (add, remove, self.import_button):
            row.addWidget(b)
        row.addStretch()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addWidget(self.error)
        layout.addLayout(row)

    def show_user(self, user: LocalUser | None) -> None:
        self.user = user
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for line in user.forward if user else []:
            try:
                rule = forwarding.parse_line(line)
            except ValueError:
                rule = forwarding.ForwardRule((line,), "NONE")
            self._append(rule)
        self.table.blockSignals(False)
        self.setEnabled(user is not None)

    def _append(self, rule: forwarding.ForwardRule) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        self.table.setItem(r, COL_TARGETS, QTableWidgetItem(",".join(rule.targets)))
        combo = QComboBox()
        combo.addItems(forwarding.ACTIONS)
        combo.setCurrentText(rule.action)
        combo.currentTextChanged.connect(self._sync)
        self.table.setCellWidget(r, COL_ACTION, combo)
        self.table.setItem(r, COL_FILTER, QTableWidgetItem(rule.filter))
        flag = QTableWidgetItem()
        flag.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
        flag.setCheckState(Qt.CheckState.Checked if rule.disabled else Qt.CheckState.Unchecked)
        self.table.setItem(r, COL_DISABLED, flag)

    def lines(self) -> list[str]:
        found = []
        for r in range(self.table.rowCount()):
            # Every row has its three items and its combo box (_append).
            targets = cast(QTableWidgetItem, self.table.item(r, COL_TARGETS)).text().strip()
            action = cast(QComboBox, self.table.cellWidget(r, COL_ACTION)).currentText()
            text = cast(QTableWidgetItem, self.table.item(r, COL_FILTER)).text().strip()
            disabled = cast(QTableWidgetItem, self.table.item(r, COL_DISABLED)).checkState() == Qt.CheckState.Checked
            found.append(f"{targets},{action},{text}" + (",1" if disabled else ""))
        return found

    def _sync(self, *args) -> None:
        if self.user is None:
            return
        lines = self.lines()
        problems = []
        for number, line in enumerate(lines, start=1):
            try:
                forwarding.parse_line(line)
            except ValueError as exc:
                problems.append(tr("line {0}: {1}").format(number, exc))
        self.error.setText("; ".join(problems))
        self.user.forward = lines

    def add_line(self) -> None:
        if self.user is None:
            return
        self.table.blockSignals(True)
        self._append(forwarding.ForwardRule(("someone@example.net",), "NONE"))
        self.table.blockSignals(False)
        self._sync()

    def remove_line(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)
            self._sync()

    def import_file(self) -> None:
        if self.user is None:
            return
        path, _ = QFileDialog.getOpenFileName(self, tr("Import forward.txt"), "", "forward.txt (*.txt);;* (*)")
        if path:
            self.import_path(Path(path))

    def import_path(self, path: Path) -> bool:
        try:
            good, problems = forwarding.parse_file(forwarding.read_file(path))
        except (OSError, UnicodeError) as exc:
            self.error.setText(str(exc))
            return False
        if problems:
            self.error.setText(tr("Nothing imported: ") + "; ".join(problems))
            return False
        assert self.user is not None  # import_file asks only with a user shown
        self.user.forward = good
        self.show_user(self.user)
        self.error.setText(tr("Imported {0} line(s).").format(len(good)))
        return True


class UsersTab(QWidget):
    def __init__(self, settings: Settings, parent=None):
        super().__init__(parent)
        self.settings = settings
        self.domains = ListEditor(
            settings.local_domains, lambda v: check_field(Settings, "local_domains", [v]), "example.jp"
        )
        domains_box = QGroupBox(tr("Local domains"))
        QVBoxLayout(domains_box).addWidget(self.domains)

        self.users = QListWidget()
        self.users.setObjectName("usersList")
        self.new_user = QLineEdit()
        self.new_user.setPlaceholderText("user1@example.jp")
        add, remove = QPushButton(tr("Add")), QPushButton(tr("Remove"))
        self.user_error = QLabel()
        self.user_error.setStyleSheet("color: #b00020")
        add.clicked.connect(self.add_user)
        self.new_user.returnPressed.connect(self.add_user)
        remove.clicked.connect(self.remove_user)
        self.users.currentRowChanged.connect(self.select_user)
        entry = QHBoxLayout()
        entry.addWidget(self.new_user, 1)
        entry.addWidget(add)
        entry.addWidget(remove)
        users_box = QGroupBox(tr("Local users"))
        ub = QVBoxLayout(users_box)
        ub.addWidget(self.users)
        ub.addLayout(entry)
        ub.addWidget(self.user_error)

        self.login_password = PasswordField("")
        self.forward = ForwardEditor()
        detail = QGroupBox(tr("Selected user"))
        form = QFormLayout(detail)
        form.addRow(tr("Login password (for SMTP AUTH to Tenso)"), self.login_password)
        form.addRow(QLabel(tr("Forwarding (forward.txt): the first line that applies decides.")))
        form.addRow(self.forward)

        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(domains_box)
        ll.addWidget(users_box, 1)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(detail)
        split.setStretchFactor(1, 2)
        self.devices = DevicesBox(settings)
        rows = QSplitter(Qt.Orientation.Vertical)
        rows.addWidget(split)
        rows.addWidget(self.devices)
        rows.setStretchFactor(0, 3)
        rows.setStretchFactor(1, 1)
        QVBoxLayout(self).addWidget(rows)
        self.refresh_users()

    def refresh_users(self) -> None:
        self.users.clear()
        self.users.addItems([u.address for u in self.settings.local_users])
        self.select_user(self.users.currentRow())

    def select_user(self, row: int) -> None:
        user = self.settings.local_users[row] if 0 <= row < len(self.settings.local_users) else None
        self.forward.show_user(user)
        self.login_password.setEnabled(user is not None)
        self.login_password.set_key(keys.local_key(user.address) if user else "")

    def add_user(self) -> None:
        address = self.new_user.text().strip()
        problem = check_field(LocalUser, "address", address)
        if not problem and any(u.address.lower() == address.lower() for u in self.settings.local_users):
            problem = "is listed twice"
        if problem:
            self.user_error.setText(f"{address}: {tr(problem)}")
            return
        self.user_error.setText("")
        self.settings.local_users.append(LocalUser(address=address))
        self.new_user.clear()
        self.refresh_users()
        self.users.setCurrentRow(len(self.settings.local_users) - 1)

    def remove_user(self) -> None:
        row = self.users.currentRow()
        if 0 <= row < len(self.settings.local_users):
            del self.settings.local_users[row]
            self.refresh_users()
