"""Small widgets the tabs share."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

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


class _WheelOnlyWhenFocused(QObject):
    """A wheel over an unfocused number field or choice is left to the page (the scroll area
    scrolls): scrolling the Server tab once turned a retry limit of 120 hours into 108."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Wheel and isinstance(watched, QWidget) and not watched.hasFocus():
            event.ignore()  # handed on to the parents, the scroll area among them
            return True
        return False


_wheel_guard: list[_WheelOnlyWhenFocused] = []


def wheel_only_when_focused(root: QWidget) -> None:
    """Every spin box and combo box under ``root`` takes the wheel only once clicked or tabbed to.
    Safe to call again (after a rebuild, for rows added since): each widget gets it once."""
    if not _wheel_guard:
        _wheel_guard.append(_WheelOnlyWhenFocused())
    guard = _wheel_guard[0]
    for widget in [*root.findChildren(QAbstractSpinBox), *root.findChildren(QComboBox)]:
        if widget.property("wheelGuard"):
            continue
        widget.setProperty("wheelGuard", True)
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        widget.installEventFilter(guard)


def placeholders_fit(root: QWidget) -> None:
    """Every line edit under ``root`` is at least as wide as its placeholder: in Japanese some
    were cut ("新しいパスワードを…"), and a cut hint is no hint."""
    for edit in root.findChildren(QLineEdit):
        text = edit.placeholderText()
        if not text:
            continue
        margins = edit.textMargins()
        frame = edit.width() - edit.contentsRect().width() if edit.width() > 0 else 4
        needed = edit.fontMetrics().horizontalAdvance(text) + margins.left() + margins.right() + frame + 12
        if edit.minimumWidth() < needed:
            edit.setMinimumWidth(needed)
