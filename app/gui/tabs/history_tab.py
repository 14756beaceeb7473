"""History (履歴): where a message went, days later.  Search by period, sender, recipient, subject,
Message-ID and state; a message's timeline below; its Microsoft 365 message trace to paste; the
search as a CSV file for Excel.

Every search is the controller's (``history``: the history file, or the control channel of the
gateway the window is attached to), run off the GUI thread, a page at a time.  One search runs
at once: a newer one (a field edited, Search pressed) takes the place of any waiting, and the
answer of one that a newer search replaced while it ran is dropped, never shown.
"""

from __future__ import annotations

import time
from pathlib import Path

import shiboken6
from PySide6.QtCore import QDateTime, QItemSelectionModel, QModelIndex, Qt, QTime, QTimer
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateTimeEdit,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.gui.controller import HistoryError
from app.gui.history_model import COL_SUBJECT, COL_TO, STATE_WORDS, HistoryModel
from app.gui.history_text import csv_writer, message_trace_text, timeline_html
from app.gui.i18n import tr, tr_later

PAGE = 200  # rows per page ("More" adds the next)
TYPING_MS = 400  # a search starts this long after the last key
DAY = 86400.0
JAPANESE_FONTS = ("Noto Sans CJK JP", "Yu Gothic UI", "Meiryo UI")  # Linux (fonts-noto-cjk), Windows

# The period's quick choices: (English text, seconds back; 0: since midnight; None: no start).
PERIODS: tuple[tuple[str, float | None], ...] = (
    (tr_later("Today"), 0.0),
    (tr_later("Last 7 days"), 7 * DAY),
    (tr_later("Last 30 days"), 30 * DAY),
    (tr_later("All (everything kept)"), None),
    (tr_later("Chosen dates"), None),
)
CHOSEN = len(PERIODS) - 1
DEFAULT_PERIOD = 1
SEARCHED_STATES = ("sent", "delivered", "deferred", "bounced", "refused")  # history --state's choices


class HistoryTab(QWidget):
    def __init__(self, controller, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.model = HistoryModel(self)
        self._generation = 0  # the search on show; answers of older ones are dropped
        self._wanted: tuple[int, dict, int] | None = None  # (generation, filters, offset) to run next
        self._running = False
        self._detail_generation = 0
        self._select: str | None = None  # a queue id to select when its page arrives (from the Queue tab)
        self.filters: dict = {}  # the search on show, in the words of the control channel
        self.more_to_come = False
        self.searched = False
        self.exporting = False
        self.exported = ""  # what the last export said
        self._build()

    # --- building ---

    def _build(self) -> None:
        self.period = QComboBox()
        self.period.setObjectName("historyPeriod")
        for text, _ in PERIODS:
            self.period.addItem(tr(text))
        self.period.setCurrentIndex(DEFAULT_PERIOD)
        now = QDateTime.currentDateTime()
        self.since = QDateTimeEdit(QDateTime(now.date().addDays(-7), QTime(0, 0)))
        self.until = QDateTimeEdit(QDateTime(now.date(), QTime(23, 59)))
        for edit, name in ((self.since, "historySince"), (self.until, "historyUntil")):
            edit.setObjectName(name)
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
            edit.setCalendarPopup(True)
            edit.setEnabled(False)
            edit.dateTimeChanged.connect(self._typed)
        self.state = QComboBox()
        self.state.setObjectName("historyState")
        self.state.addItem(tr("Any state"), "")
        for word in SEARCHED_STATES:
            self.state.addItem(tr(STATE_WORDS[word]), word)
        self.sender_edit = self._field("historySender", tr("part of an address"))
        self.recipient_edit = self._field("historyRecipient", tr("part of an address"))
        self.subject_edit = self._field("historySubject", tr("part of the subject"))
        self.message_id_edit = self._field("historyMessageId", "<...@...>")
        self.search_button = QPushButton(tr("Search"))
        self.search_button.setObjectName("historySearch")
        self.clear_button = QPushButton(tr("Clear"))
        self.period.currentIndexChanged.connect(self._period_chosen)
        self.state.currentIndexChanged.connect(self.search)
        self.search_button.clicked.connect(self.search)
        self.clear_button.clicked.connect(self.clear)

        grid = QGridLayout()
        grid.addWidget(QLabel(tr("Period")), 0, 0)
        grid.addWidget(self.period, 0, 1)
        dates = QHBoxLayout()
        dates.addWidget(self.since)
        dates.addWidget(QLabel("–"))
        dates.addWidget(self.until)
        grid.addLayout(dates, 0, 2, 1, 3)
        grid.addWidget(QLabel(tr("State")), 0, 5)
        grid.addWidget(self.state, 0, 6)
        grid.addWidget(QLabel(tr("Sender")), 1, 0)
        grid.addWidget(self.sender_edit, 1, 1)
        grid.addWidget(QLabel(tr("Recipient")), 1, 2)
        grid.addWidget(self.recipient_edit, 1, 3, 1, 2)
        grid.addWidget(QLabel(tr("Subject")), 2, 0)
        grid.addWidget(self.subject_edit, 2, 1)
        grid.addWidget(QLabel("Message-ID"), 2, 2)
        grid.addWidget(self.message_id_edit, 2, 3, 1, 2)
        buttons = QHBoxLayout()
        buttons.addWidget(self.search_button)
        buttons.addWidget(self.clear_button)
        grid.addLayout(buttons, 2, 5, 1, 2)
        for column in (1, 3):
            grid.setColumnStretch(column, 1)

        self.view = QTableView()
        self.view.setObjectName("historyTable")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(COL_SUBJECT, QHeaderView.ResizeMode.Stretch)
        width = self.fontMetrics().horizontalAdvance
        for column, sample in enumerate(("2026-12-08 09:30:00", "<scanner@example.jp>")):
            self.view.setColumnWidth(column, width(sample) + 16)
        self.view.setColumnWidth(COL_TO, width("<sales@example.jp> (+2)") + 16)
        self.view.selectionModel().currentRowChanged.connect(self._row_chosen)
        self.detail = QTextBrowser()
        self.detail.setObjectName("historyDetail")
        self.detail.setOpenLinks(False)
        self.detail.setPlaceholderText(tr("Choose a message above to see where it went."))
        # One font for a whole timeline: left to the fallback, a line mixing Latin and Japanese was
        # drawn smaller than the next (each run got its own font) where the UI font has no kana.
        font = QFont(self.font())
        font.setFamilies([self.font().family(), *JAPANESE_FONTS])
        self.detail.document().setDefaultFont(font)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.view)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)

        self.summary = QLabel()
        self.summary.setObjectName("historySummary")
        self.summary.setWordWrap(True)
        self.more_button = QPushButton(tr("More"))
        self.more_button.setObjectName("historyMore")
        self.more_button.setEnabled(False)
        self.trace_button = QPushButton(tr("Copy for Microsoft 365 message trace"))
        self.trace_button.setObjectName("historyTrace")
        self.trace_button.setEnabled(False)
        self.export_button = QPushButton(tr("Export CSV..."))
        self.export_button.setObjectName("historyExport")
        self.more_button.clicked.connect(self.more)
        self.trace_button.clicked.connect(self.copy_trace)
        self.export_button.clicked.connect(self.choose_csv)
        row = QHBoxLayout()
        row.addWidget(self.summary, 1)
        row.addWidget(self.more_button)
        row.addWidget(self.trace_button)
        row.addWidget(self.export_button)

        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(split, 1)
        layout.addLayout(row)
        self.typing = QTimer(self)
        self.typing.setSingleShot(True)
        self.typing.setInterval(TYPING_MS)
        self.typing.timeout.connect(self.search)

    def _field(self, name: str, placeholder: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        edit.setClearButtonEnabled(True)
        edit.textEdited.connect(self._typed)
        edit.returnPressed.connect(self.search)
        return edit

    # --- the filters ---

    def _typed(self) -> None:
        self.typing.start()  # restarted by every key: one search when the typing stops

    def _period_chosen(self, index: int) -> None:
        chosen = index == CHOSEN
        self.since.setEnabled(chosen)
        self.until.setEnabled(chosen)
        self.search()

    def current_filters(self, now: float | None = None) -> dict:
        """The fields as the history's filters (the words of ``history`` on the control channel)."""
        now = time.time() if now is None else now
        index = self.period.currentIndex()
        since: float | None
        until: float | None = None
        if index == CHOSEN:
            since = self.since.dateTime().toSecsSinceEpoch()
            until = self.until.dateTime().toSecsSinceEpoch() + 59  # to the end of the minute shown
        else:
            back = PERIODS[index][1]
            if back is None:
                since = None
            elif back == 0:
                midnight = time.localtime(now)
                since = time.mktime((*midnight[:3], 0, 0, 0, 0, 0, -1))
            else:
                since = now - back
        return {
            "since": since,
            "until": until,
            "from": self.sender_edit.text().strip(),
            "to": self.recipient_edit.text().strip(),
            "subject": self.subject_edit.text().strip(),
            "message_id": self.message_id_edit.text().strip(),
            "state": self.state.currentData() or None,
        }

    def clear(self) -> None:
        for edit in (self.sender_edit, self.recipient_edit, self.subject_edit, self.message_id_edit):
            edit.clear()
        self.state.blockSignals(True)
        self.state.setCurrentIndex(0)
        self.state.blockSignals(False)
        self.period.blockSignals(True)
        self.period.setCurrentIndex(DEFAULT_PERIOD)
        self.period.blockSignals(False)
        self._period_chosen(DEFAULT_PERIOD)

    # --- searching ---

    @property
    def busy(self) -> bool:
        """A search (or its next page) is running or waiting."""
        return self._running or self._wanted is not None or self.typing.isActive()

    def shown(self) -> None:
        """The tab came to the front: the first time, it shows the last days."""
        if not self.searched:
            self.search()

    def search(self) -> None:
        """A new search with the fields as they are now: the rows on show make way for its first page."""
        self.typing.stop()
        self.searched = True
        self._generation += 1
        self._wanted = (self._generation, self.current_filters(), 0)
        self.summary.setText(tr("Searching..."))
        self._pump()

    def more(self) -> None:
        """The next page of the search on show, below its rows."""
        if self.more_to_come and not self.busy:
            self._wanted = (self._generation, self.filters, self.model.rowCount())
            self._pump()

    @asyncSlot()
    async def _pump(self) -> None:
        if self._running:
            return  # the running one takes what is wanted when it is done
        self._running = True
        try:
            while self._wanted is not None and shiboken6.isValid(self):
                generation, filters, offset = self._wanted
                self._wanted = None
                try:
                    found = await self.controller.history("history", {**filters, "limit": PAGE + 1, "offset": offset})
                except HistoryError as exc:
                    if generation == self._generation and shiboken6.isValid(self):
                        self.summary.setText(str(exc))
                    continue
                if generation == self._generation and shiboken6.isValid(self):
                    self._show_page(filters, offset, list(found))
        finally:
            self._running = False

    def _show_page(self, filters: dict, offset: int, found: list[dict]) -> None:
        self.more_to_come = len(found) > PAGE
        if offset == 0:
            self.filters = filters
            self.model.clear()
            self.detail.clear()
            self.trace_button.setEnabled(False)
        self.model.extend(found[:PAGE])
        self.more_button.setEnabled(self.more_to_come)
        shown = self.model.rowCount()
        if not self.controller.settings.history.enabled:
            off = tr(
                'The history is off: nothing new is recorded. To switch it on, tick "Keep a history of every '
                "message\" in the Server tab's History box and press Apply."
            )
            self.summary.setText(off if not shown else f"{off} " + tr("{0} recorded before shown.").format(shown))
        elif not shown:
            self.summary.setText(tr("No message in the history matches."))
        elif self.more_to_come:
            self.summary.setText(tr("The newest {0} shown; More shows the next {1}.").format(shown, PAGE))
        else:
            self.summary.setText(tr("{0} shown, newest first.").format(shown))
        if self._select is not None:
            row = self.model.row_of(self._select)
            self._select = None
            if row is not None:
                self.view.selectionModel().setCurrentIndex(
                    self.model.index(row, 0),
                    QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
                )
                self.view.scrollTo(self.model.index(row, 0))

    # --- one message ---

    def selected(self) -> dict | None:
        index = self.view.selectionModel().currentIndex()
        return self.model.rows[index.row()] if index.isValid() and index.row() < len(self.model.rows) else None

    @asyncSlot(QModelIndex, QModelIndex)
    async def _row_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._detail_generation += 1
        generation = self._detail_generation
        found = self.model.rows[current.row()] if current.isValid() else None
        self.trace_button.setEnabled(found is not None and found["id"] is not None)  # a refusal never left
        if found is None:
            self.detail.clear()
            return
        if found["id"] is not None:
            try:
                found = await self.controller.history("history.detail", {"id": found["id"]}) or found
            except HistoryError as exc:
                if shiboken6.isValid(self):
                    self.detail.setPlainText(str(exc))
                return
        if shiboken6.isValid(self) and generation == self._detail_generation:
            self.detail.setHtml(timeline_html(found))

    @asyncSlot(str)
    async def show_message(self, qid: str) -> None:
        """From the Queue tab: the history of message ``qid``, found by its Message-ID (so the
        bounce or copy with the same id shows beside it), over every day kept."""
        try:
            found = await self.controller.history("history.detail", {"id": qid})
        except HistoryError as exc:
            self.summary.setText(str(exc))
            return
        if not shiboken6.isValid(self):
            return
        if found is None:
            self.summary.setText(
                tr("Message {0} is not in the history yet: it is written a moment after it arrives.").format(qid)
            )
            return
        for edit in (self.sender_edit, self.recipient_edit, self.subject_edit):
            edit.clear()
        self.message_id_edit.setText(found["message_id"] or "")
        if not found["message_id"]:
            self.sender_edit.setText(found["from"])  # no Message-ID: the message among its sender's
        for combo, index in ((self.state, 0), (self.period, len(PERIODS) - 2)):  # any state, every day kept
            combo.blockSignals(True)
            combo.setCurrentIndex(index)
            combo.blockSignals(False)
        self.since.setEnabled(False)
        self.until.setEnabled(False)
        self._select = qid
        self.search()

    def copy_trace(self) -> None:
        found = self.selected()
        if found is None:
            return
        QGuiApplication.clipboard().setText(message_trace_text(found))
        self.summary.setText(
            tr("Copied. Paste it into the message trace of the Exchange admin center, or run the line in PowerShell.")
        )

    # --- the CSV file ---

    def choose_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, tr("Export CSV"), "tenso-history.csv", "CSV (*.csv)")
        if path:
            self.export_csv(path)

    @asyncSlot(str)
    async def export_csv(self, path: str) -> None:
        """Every message of the search on show (not only the pages loaded), one line per recipient."""
        filters = self.filters or self.current_filters()  # none shown yet: the fields as they are
        self.exporting = True
        self.export_button.setEnabled(False)
        self.summary.setText(tr("Exporting..."))
        try:
            count = await self.controller.history_export(filters, csv_writer(Path(path)))
        except HistoryError as exc:
            text = str(exc)
        else:
            text = tr("{0} message(s) exported to {1}.").format(count, path)
        if shiboken6.isValid(self):
            self.export_button.setEnabled(True)
            self.summary.setText(text)
            self.exported = text
            self.exporting = False
