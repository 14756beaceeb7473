"""Small widgets the tabs share."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QListWidget, QPushButton, QVBoxLayout, QWidget

from app.gui.i18n import tr


class ListEditor(QWidget):
    """An editable list of strings with a check per entry; the problem shows under it."""

    changed = Signal()

    def __init__(self, values: list[str], check: Callable[[str], str | None], placeholder: str = "", parent=None):
        super().__init__(parent)
        self.values = values  # edited in place: it is the settings' own list
        self.check = check
        self.list = QListWidget()
        self.entry = QLineEdit()
        self.entry.setPlaceholderText(placeholder)
        self.add_button = QPushButton(tr("Add"))
        self.remove_button = QPushButton(tr("Remove"))
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020")
        row = QHBoxLayout()
        row.addWidget(self.entry, 1)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addLayout(row)
        layout.addWidget(self.error)
        self.add_button.clicked.connect(self.add)
        self.entry.returnPressed.connect(self.add)
        self.remove_button.clicked.connect(self.remove)
        self.refresh()

    def refresh(self) -> None:
        self.list.clear()
        self.list.addItems(self.values)

    def add(self) -> bool:
        text = self.entry.text().strip()
        if not text:
            return False
        problem = self.check(text)
        if problem:
            self.error.setText(f"{text}: {tr(problem)}")
            return False
        self.error.setText("")
        self.values.append(text)
        self.entry.clear()
        self.refresh()
        self.changed.emit()
        return True

    def remove(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.values):
            del self.values[row]
            self.refresh()
            self.changed.emit()
