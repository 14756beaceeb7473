"""The tray icon: state at a glance, and Open / Start / Stop / Pause delivery / Quit."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from app.gui.controller import State
from app.gui.i18n import tr

COLORS = {State.RUNNING: "#2e7d32", State.PAUSED: "#f9a825", State.STOPPED: "#757575", State.ERROR: "#c62828"}


def state_icon(state: State, size: int = 64) -> QIcon:
    """A round badge with 転 in the state's colour (green, amber, grey, red)."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(COLORS.get(state, "#757575")))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(2, 2, size - 4, size - 4)
    painter.setPen(QColor("white"))
    font = QFont()
    font.setPixelSize(int(size * 0.55))
    font.setBold(True)
    painter.setFont(font)
    painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, "転")
    painter.end()
    return QIcon(pixmap)


class Tray(QSystemTrayIcon):
    open_requested = Signal()
    start_requested = Signal()
    stop_requested = Signal()
    pause_requested = Signal(bool)
    quit_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.menu = QMenu()
        self.open_action = QAction(tr("Open"), self.menu)
        self.start_action = QAction(tr("Start"), self.menu)
        self.stop_action = QAction(tr("Stop"), self.menu)
        self.pause_action = QAction(tr("Pause delivery"), self.menu)
        self.pause_action.setCheckable(True)
        self.quit_action = QAction(tr("Quit"), self.menu)
        for action in (self.open_action, self.start_action, self.stop_action, self.pause_action):
            self.menu.addAction(action)
        self.menu.addSeparator()
        self.menu.addAction(self.quit_action)
        self.open_action.triggered.connect(self.open_requested)
        self.start_action.triggered.connect(self.start_requested)
        self.stop_action.triggered.connect(self.stop_requested)
        self.pause_action.triggered.connect(self.pause_requested)
        self.quit_action.triggered.connect(self.quit_requested)
        self.setContextMenu(self.menu)
        self.activated.connect(self._activated)
        self.notes: list[str] = []
        self.show_state(State.STOPPED, "")

    def _activated(self, reason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.DoubleClick, QSystemTrayIcon.ActivationReason.Trigger):
            self.open_requested.emit()

    def set_notes(self, notes: list[str]) -> None:
        """Lines the tooltip shows under the state (a secret or certificate that expires soon)."""
        self.notes = list(notes)
        self.show_state(*self.shown)

    def show_state(self, state: State, detail: str) -> None:
        self.shown = (state, detail)
        self.setIcon(state_icon(state))
        texts = {
            State.RUNNING: tr("Tenso: running"),
            State.PAUSED: tr("Tenso: running, delivery paused"),
            State.STOPPED: tr("Tenso: stopped"),
            State.ERROR: tr("Tenso: error"),
        }
        tip = texts.get(state, "Tenso")
        if detail:
            tip += "\n" + detail
        for note in self.notes:
            tip += "\n" + note
        self.setToolTip(tip)
        running = state in (State.RUNNING, State.PAUSED)
        self.start_action.setEnabled(not running)
        self.stop_action.setEnabled(running)
        self.pause_action.setEnabled(running)
        self.pause_action.setChecked(state == State.PAUSED)
        if state == State.ERROR and detail:
            self.showMessage("Tenso", detail, QSystemTrayIcon.MessageIcon.Critical)
