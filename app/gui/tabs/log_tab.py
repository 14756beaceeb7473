"""Log: the live log, newest at the bottom, filterable by queue id or any text."""

from __future__ import annotations

from collections import deque

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget

from app.gui.i18n import tr

KEEP_LINES = 5000


class LogTab(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.lines: deque[str] = deque(maxlen=KEEP_LINES)
        self.view = QPlainTextEdit()
        self.view.setObjectName("logView")
        self.view.setReadOnly(True)
        self.view.setMaximumBlockCount(KEEP_LINES)
        self.view.setFont(QFont("monospace"))
        self.filter = QLineEdit()
        self.filter.setObjectName("logFilter")
        self.filter.textChanged.connect(self.refilter)
        self.filter_label = QLabel()
        self.retranslate()
        row = QHBoxLayout()
        row.addWidget(self.filter_label)
        row.addWidget(self.filter, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.view, 1)

    def retranslate(self) -> None:
        """The log tab outlives a language change (it keeps the lines): only its texts change."""
        self.filter.setPlaceholderText(tr("queue id or any text"))
        self.filter_label.setText(tr("Filter"))

    def _matches(self, line: str) -> bool:
        needle = self.filter.text().strip().lower()
        return not needle or needle in line.lower()

    def append(self, line: str) -> None:
        self.lines.append(line)
        if self._matches(line):
            self.view.appendPlainText(line)

    def refilter(self) -> None:
        self.view.setPlainText("\n".join(line for line in self.lines if self._matches(line)))
        self.view.verticalScrollBar().setValue(self.view.verticalScrollBar().maximum())
