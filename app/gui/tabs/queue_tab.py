"""Queue: every message waiting, with its recipients' states; retry now, delete, bounce now.

The table is read from the spool (the single truth) off the GUI thread every
two seconds while the tab is visible.
"""

from __future__ import annotations

import asyncio
import time

import shiboken6
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.gui.controller import WAITING, QueuedMessage
from app.gui.i18n import current, tr
from app.mail.replies import explain

COLUMNS = ("Queue ID", "Sender", "Recipients and states", "Attempts", "Next try", "Last reply")
COLUMN_REPLY = 5
REFRESH_MS = 2000


def _when(ts: float) -> str:
    return time.strftime("%m-%d %H:%M:%S", time.localtime(ts)) if ts else "-"


def replies_item(message: QueuedMessage) -> QTableWidgetItem:
    """The recipients' last replies, each a refusal Tenso knows followed by what happened (the
    cell's tooltip adds what to do), in the window's language."""
    lines: list[str] = []
    tips: dict[str, str] = {}  # each explanation once, by its key
    for reply in (x.reply for x in message.recipients if x.reply):
        lines.append(reply)
        advice = explain(reply, current())
        if advice is not None:
            lines.append("→ " + advice.what)
            tips.setdefault(advice.key, "\n".join(advice.lines()))
    item = QTableWidgetItem("\n".join(lines))
    item.setToolTip("\n\n".join(tips.values()))
    return item


class QueueTab(QWidget):
    history_requested = Signal(str)  # the queue id of the message whose history to show

    def __init__(self, controller, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("queueTable")
        self.table.setHorizontalHeaderLabels([tr(c) for c in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.summary = QLabel()
        self.summary.setObjectName("queueSummary")
        self.retry_button = QPushButton(tr("Retry now"))
        self.retry_all_button = QPushButton(tr("Retry all"))
        self.delete_button = QPushButton(tr("Delete"))
        self.bounce_button = QPushButton(tr("Bounce now"))
        self.history_button = QPushButton(tr("History"))
        self.history_button.setObjectName("queueHistory")
        self.history_button.setToolTip(tr("Where this message went so far: its history, on the History tab"))
        self.history_button.clicked.connect(self._history)
        self.table.doubleClicked.connect(self._history)
        self.retry_button.clicked.connect(lambda: self._act("retry"))
        self.retry_all_button.clicked.connect(lambda: self._act("retry_all"))
        self.delete_button.clicked.connect(lambda: self._act("delete"))
        self.bounce_button.clicked.connect(lambda: self._act("bounce"))
        row = QHBoxLayout()
        for b in (
            self.retry_button,
            self.retry_all_button,
            self.delete_button,
            self.bounce_button,
            self.history_button,
        ):
            row.addWidget(b)
        row.addStretch()
        row.addWidget(self.summary)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(REFRESH_MS)
        self._busy = False
        self.messages: list[QueuedMessage] = []

    @asyncSlot()
    async def refresh(self) -> None:
        if not shiboken6.isValid(self) or self._busy or not self.controller.running or not self.isVisible():
            return  # (gone: the window was rebuilt before the slot ran)
        self._busy = True
        try:
            messages = await self.controller.queue_messages()
        finally:
            self._busy = False
        if messages is not None and shiboken6.isValid(self):
            self.messages = messages
            self.show_messages(messages)

    def show_messages(self, messages: list[QueuedMessage]) -> None:
        selected = self.selected_id()
        self.table.setRowCount(len(messages))
        for r, m in enumerate(messages):
            states = "\n".join(f"<{x.address}> {tr(str(x.state))}" for x in m.recipients)
            waiting = [x for x in m.recipients if x.state in WAITING]
            cells = (
                m.id,
                f"<{m.sender}>",
                states,
                str(max((x.attempts for x in m.recipients), default=0)),
                _when(min((x.next_try for x in waiting), default=0)),
                "",  # the replies, with what they mean (below)
            )
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(text))
            self.table.setItem(r, COLUMN_REPLY, replies_item(m))
            if m.id == selected:
                self.table.selectRow(r)
        self.table.resizeRowsToContents()
        self.summary.setText(tr("{0} message(s) in the queue").format(len(messages)))

    def selected_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        return item.text() if item else None

    def _history(self) -> None:
        qid = self.selected_id()
        if qid:
            self.history_requested.emit(qid)

    def confirmation(self, action: str, qid: str) -> str:
        """What Delete and Bounce now ask before they act: how many messages and recipients."""
        message = next((m for m in self.messages if m.id == qid), None)
        recipients = len(message.recipients) if message else 0
        waiting = sum(r.state in WAITING for r in message.recipients) if message else 0
        if action == "delete":
            return tr(
                "Delete {0} message(s) with {1} recipient(s) from the queue? "
                "Nothing is sent to the sender, and the mail cannot be recovered."
            ).format(1, recipients)
        text = tr(
            "Return {0} message(s) to the sender now? The {1} recipient(s) still waiting are given up "
            "and the sender gets a bounce."
        ).format(1, waiting)
        if self.controller.paused:
            text += "\n\n" + tr("Delivery is paused: the bounce is made and sent when delivery resumes.")
        return text

    async def confirmed(self, action: str, qid: str) -> bool:
        """Asks, without a nested event loop (``open``, not ``exec``): the gateway runs on this loop."""
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            tr("Delete from the queue") if action == "delete" else tr("Bounce now"),
            self.confirmation(action, qid),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setObjectName("queueConfirm")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        answered: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        def finished(_result: int) -> None:
            if not answered.done():
                answered.set_result(box.clickedButton() is box.button(QMessageBox.StandardButton.Yes))

        box.finished.connect(finished)
        box.open()
        try:
            return await answered
        finally:
            box.deleteLater()

    @asyncSlot()
    async def _act(self, action: str) -> None:
        if not self.controller.running:
            return
        if action == "retry_all":
            await self.controller.queue_action("retry")
        else:
            qid = self.selected_id()
            if not qid:
                return
            if action in ("delete", "bounce") and not await self.confirmed(action, qid):
                return
            await self.controller.queue_action(action, qid)
        await asyncio.sleep(0.3)
        await self.refresh()
