"""Local users → Devices: scanners, copiers and other machines that log in to send (``devices[]``).

A device is a login, not a mailbox: it may relay once logged in, optionally only as the sender
addresses listed.  Its password lives in the keyring as ``device:NAME`` (set here, off the GUI
thread, the way a local user's login password is), never in the settings file.  Each cell is
checked with the settings' own field check as it is typed; a refused edit names the row and
leaves the device unchanged.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
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
from app.problems import Problem, worded
from app.settings import Device, Settings, check_field

COL_NAME, COL_LOGIN, COL_SENDERS, COL_PASSWORD = range(4)
HEADERS = (
    tr_later("Name"),
    tr_later("Login (user name)"),
    tr_later("Senders (empty: any)"),
    tr_later("Password"),
)
FIELDS = {COL_NAME: "name", COL_LOGIN: "login", COL_SENDERS: "senders"}
RED = "#b00020"
ROW_FIELD = re.compile(r"^devices\[(\d+)\]\.(\w+)$")


class DevicesBox(QGroupBox):
    def __init__(self, settings: Settings, parent=None):
        super().__init__(tr("Devices (scanners, printers)"), parent)
        self.settings = settings  # the window's working copy; devices are edited in place
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("devicesTable")
        for column, text in enumerate(HEADERS):
            item = QTableWidgetItem(tr(text))
            if column == COL_SENDERS:
                item.setToolTip(tr("The sender addresses this device may use, separated by commas; empty: any sender"))
            self.table.setHorizontalHeaderItem(column, item)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        for column in (COL_NAME, COL_LOGIN):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            self.table.setColumnWidth(column, max(160, header.sectionSizeHint(column)))
        header.setSectionResizeMode(COL_PASSWORD, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_SENDERS, QHeaderView.ResizeMode.Stretch)
        rows = self.table.verticalHeader().defaultSectionSize()
        self.table.setMinimumHeight(self.table.horizontalHeader().sizeHint().height() + 2 * rows + 4)
        self.table.itemChanged.connect(self._edited)
        self.table.itemSelectionChanged.connect(self._buttons)
        self.add_button = QPushButton(tr("Add device"))
        self.add_button.setObjectName("addDevice")
        self.remove_button = QPushButton(tr("Remove device"))
        self.remove_button.setObjectName("removeDevice")
        self.password_button = QPushButton(tr("Set password..."))
        self.password_button.setObjectName("devicePassword")
        self.add_button.clicked.connect(self.add_device)
        self.remove_button.clicked.connect(self.remove_device)
        self.password_button.clicked.connect(self.set_password)
        self.error = QLabel()
        self.error.setObjectName("devicesError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {RED}")
        self.message = QLabel()
        self.message.setObjectName("devicesMessage")
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        for b in (self.add_button, self.remove_button, self.password_button):
            buttons.addWidget(b)
        buttons.addStretch()
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("Machines that log in only to send, such as a scanner that mails its scans.")))
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        layout.addWidget(self.error)
        layout.addWidget(self.message)
        self.reload()

    # --- the table ---

    def reload(self) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.settings.devices))
        for r, device in enumerate(self.settings.devices):
            for column, text in ((COL_NAME, device.name), (COL_LOGIN, device.login)):
                self.table.setItem(r, column, QTableWidgetItem(text))
            senders = QTableWidgetItem(", ".join(device.senders))
            senders.setToolTip(tr("Empty: any sender address"))
            self.table.setItem(r, COL_SENDERS, senders)
            state = QTableWidgetItem()
            state.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            self.table.setItem(r, COL_PASSWORD, state)
        self.table.blockSignals(False)
        self._buttons()
        self.refresh_passwords()

    def selected(self) -> Device | None:
        row = self.table.currentRow()
        devices = self.settings.devices
        return devices[row] if 0 <= row < len(devices) and self.table.selectedItems() else None

    def _buttons(self) -> None:
        device = self.selected()
        self.remove_button.setEnabled(device is not None)
        self.password_button.setEnabled(device is not None)

    @asyncSlot()
    async def refresh_passwords(self) -> None:
        """The Password column: saved or not set, as the local users' password field says."""
        for device in list(self.settings.devices):
            try:
                text = tr("saved") if await engine.password_is_set(device.key) else tr("not set")
            except engine.SecretStoreError as exc:
                text = tr("keyring unavailable")
                self.message.setText(str(exc))
            row = _row_of(self.settings.devices, device)
            if row is None:
                continue  # removed while the keyring answered
            item = self.table.item(row, COL_PASSWORD)
            if item is not None:
                item.setText(text)
                item.setForeground(QBrush(QColor(RED)) if text != tr("saved") else QBrush())

    # --- editing (the working copy; saved with Apply) ---

    def _edited(self, item: QTableWidgetItem) -> None:
        row, column = item.row(), item.column()
        if column not in FIELDS or not 0 <= row < len(self.settings.devices):
            return
        name = FIELDS[column]
        text = item.text().strip()
        value: str | list[str] = [s.strip() for s in text.split(",") if s.strip()] if column == COL_SENDERS else text
        problem = check_field(Device, name, value)
        if problem:
            self.error.setText(tr("Device {0}: {1}: {2}").format(row + 1, name, tr(problem)))
            return  # the device keeps its value until the cell is right
        device = self.settings.devices[row]
        renamed = name == "name" and value != device.name
        setattr(device, name, value)
        self.error.setText("\n".join(self.combined_problems()))
        if renamed:
            self.message.setText(tr("A new name is a new keyring entry ({0}): set its password.").format(device.key))
            self.refresh_passwords()

    def combined_problems(self) -> list[str]:
        """What the whole settings say about the devices (a name or login listed twice, a login
        that is a local user's address), each naming its row."""
        found = []
        for problem in self.settings.problems():
            match = ROW_FIELD.match(problem.field) if isinstance(problem, Problem) else None
            if match:
                body = worded(Problem("", problem.template, problem.translated, **problem.params), tr)
                found.append(tr("Device {0}: {1}: {2}").format(int(match[1]) + 1, match[2], body))
        return found

    def add_device(self) -> None:
        names = {d.name.lower() for d in self.settings.devices}
        number = next(n for n in range(1, len(names) + 2) if f"scanner{n}" not in names)
        self.settings.devices.append(Device(name=f"scanner{number}", login=f"scanner{number}"))
        self.reload()
        row = len(self.settings.devices) - 1
        self.table.setCurrentCell(row, COL_NAME)
        self.error.setText("\n".join(self.combined_problems()))
        self.message.setText(tr("Name the device, give it a login, then Set password... and Apply."))

    def remove_device(self) -> None:
        device = self.selected()
        if device is not None:
            self.settings.devices.remove(device)
            self.reload()
            self.error.setText("\n".join(self.combined_problems()))

    @asyncSlot()
    async def set_password(self) -> None:
        device = self.selected()
        if device is None:
            return
        prompt = tr("Password for {0} (login {1}):").format(device.name, device.login)
        secret, ok = QInputDialog.getText(self, tr("Device password"), prompt, QLineEdit.EchoMode.Password)
        if not ok or not secret:
            return
        await self.store_password(device, secret)

    async def store_password(self, device: Device, secret: str) -> bool:
        """In the keyring under ``device:NAME``, in a thread; the Password column follows."""
        try:
            await engine.save_password(device.key, secret)
        except engine.SecretStoreError as exc:
            self.message.setText(tr("Password not saved: {0}").format(str(exc)))
            return False
        self.message.setText(tr("Saved in the keyring as {0}.").format(device.key))
        row = _row_of(self.settings.devices, device)
        if row is not None:
            item = self.table.item(row, COL_PASSWORD)
            if item is not None:
                item.setText(tr("saved"))
                item.setForeground(QBrush())
        return True


def _row_of(devices: list[Device], device: Device) -> int | None:
    """The row of this very device (two devices typed alike are equal, not the same)."""
    return next((i for i, d in enumerate(devices) if d is device), None)
