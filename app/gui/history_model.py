"""The History tab's table: one row per message (or refusal) of a search, newest first.

The rows are the objects of ``history --json`` as the controller hands them over, a page at a
time (``extend``); nothing is read here.  A model, not a widget per row: a search of thousands
of messages costs the GUI thread only the rows on screen.
"""

from __future__ import annotations

from collections import Counter

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from app.gui.i18n import tr, tr_later

COL_RECEIVED, COL_FROM, COL_TO, COL_SUBJECT, COL_STATE, COL_ID = range(6)
HEADERS = (
    tr_later("Received"),
    tr_later("Sender"),
    tr_later("Recipients"),
    tr_later("Subject"),
    tr_later("State"),
    tr_later("Queue ID"),
)

# The words of app.history.records.State, as the window shows them (the engine's words stay the
# key: a state a newer Tenso writes is shown as it is).
STATE_WORDS = {
    "queued": tr_later("queued"),
    "sent": tr_later("sent"),
    "delivered": tr_later("delivered"),
    "deferred": tr_later("deferred"),
    "bounced": tr_later("bounced"),
    "refused": tr_later("refused"),
}
STATE_ORDER = ("bounced", "refused", "deferred", "queued", "sent", "delivered")  # what needs a look first
ALARM = QColor("#b00020")
WAIT = QColor("#8a5a00")

Index = QModelIndex | QPersistentModelIndex


def state_word(state: str) -> str:
    return tr(STATE_WORDS[state]) if state in STATE_WORDS else state


def shown_time(iso: str | None) -> str:
    """``2026-12-08T09:30:12+0900`` as the administrator reads the clock: ``2026-12-08 09:30:12``."""
    return (iso or "")[:19].replace("T", " ")


def states_text(found: dict) -> str:
    """The recipients' states at a glance: ``sent``, or ``deferred 1, sent 2``."""
    counts = Counter(r["state"] for r in found["recipients"])
    if len(counts) == 1:
        return state_word(next(iter(counts)))
    order = {s: n for n, s in enumerate(STATE_ORDER)}
    ranked = sorted(counts, key=lambda s: order.get(s, len(order)))
    return ", ".join(f"{state_word(s)} {counts[s]}" for s in ranked)


def recipients_text(found: dict) -> str:
    addresses = [r["address"] for r in found["recipients"]]
    if not addresses:
        return ""
    more = len(addresses) - 1
    return f"<{addresses[0]}>" + (" " + tr("(+{0} more)").format(more) if more else "")


class HistoryModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[dict] = []

    def clear(self) -> None:
        self.beginResetModel()
        self.rows = []
        self.endResetModel()

    def extend(self, found: list[dict]) -> None:
        """The next page, below the rows shown."""
        if not found:
            return
        first = len(self.rows)
        self.beginInsertRows(QModelIndex(), first, first + len(found) - 1)
        self.rows.extend(found)
        self.endInsertRows()

    def row_of(self, qid: str) -> int | None:
        return next((n for n, found in enumerate(self.rows) if found["id"] == qid), None)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return tr(HEADERS[section])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        found = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(found, column)
        if role == Qt.ItemDataRole.ToolTipRole and column in (COL_TO, COL_STATE):
            return "\n".join(f"<{r['address']}> {state_word(r['state'])}" for r in found["recipients"])
        if role == Qt.ItemDataRole.ForegroundRole and column == COL_STATE:
            states = {r["state"] for r in found["recipients"]}
            if states & {"bounced", "refused"}:
                return ALARM
            if states & {"deferred", "queued"}:
                return WAIT
        return None

    def _text(self, found: dict, column: int) -> str:
        if column == COL_RECEIVED:
            return shown_time(found["received"])
        if column == COL_FROM:
            return f"<{found['from']}>"
        if column == COL_TO:
            return recipients_text(found)
        if column == COL_SUBJECT:
            return found["subject"] or ""
        if column == COL_STATE:
            return states_text(found)
        return found["id"] or "-"  # a refusal has no queue id
