"""Password fields that write straight to the keyring, off the GUI thread."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QMessageBox, QPushButton, QWidget
from qasync import asyncSlot

from app.gui import controller
from app.gui.i18n import tr


class PasswordField(QWidget):
    """A masked field with Save / Remove; shows "saved" or "not set" for its keyring key."""

    stored = Signal(str)

    def __init__(self, key: str = "", parent=None):
        super().__init__(parent)
        self.key = key
        self.edit = QLineEdit()
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setPlaceholderText(tr("type a new password"))
        self.save_button = QPushButton(tr("Save password"))
        self.remove_button = QPushButton(tr("Remove"))
        self.status = QLabel()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for w in (self.edit, self.save_button, self.remove_button, self.status):
            layout.addWidget(w)
        self.save_button.clicked.connect(self.save)
        self.remove_button.clicked.connect(self.remove)
        self.edit.returnPressed.connect(self.save)

    def set_key(self, key: str) -> None:
        self.key = key
        self.refresh()

    @asyncSlot()
    async def refresh(self) -> None:
        # The slot runs later, and the window may have been rebuilt meanwhile (Cancel, a
        # language switch): this field is then gone.
        if not shiboken6.isValid(self):
            return
        if not self.key:
            self.status.setText("")
            return
        try:
            found = await controller.password_is_set(self.key)
        except controller.SecretStoreError as exc:
            if shiboken6.isValid(self):
                self.status.setText(tr("keyring unavailable"))
                self.status.setToolTip(str(exc))
            return
        if shiboken6.isValid(self):
            self.status.setText(tr("saved") if found else tr("not set"))

    @asyncSlot()
    async def save(self) -> None:
        password = self.edit.text()
        if not self.key or not password:
            return
        try:
            await controller.save_password(self.key, password)
        except controller.SecretStoreError as exc:
            QMessageBox.warning(self, tr("Password not saved"), str(exc))
            return
        self.edit.clear()
        self.status.setText(tr("saved"))
        self.stored.emit(self.key)

    @asyncSlot()
    async def remove(self) -> None:
        if not self.key:
            return
        try:
            await controller.remove_password(self.key)
        except controller.SecretStoreError as exc:
            QMessageBox.warning(self, tr("Password not removed"), str(exc))
            return
        self.status.setText(tr("not set"))
