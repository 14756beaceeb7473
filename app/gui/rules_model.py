"""The 転送設定 grid: the rule list as a Qt table model, reorderable by drag or buttons.

Each cell is checked with the same field check the settings file uses; a
refused edit leaves the rule unchanged and reports the problem through
``problem``.  Rows that can never match (a row above catches all their mail)
are greyed, with a tooltip naming the row that hides them.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from app.gui.controller import GatewayController
from app.gui.i18n import tr
from app.settings import Rule, Settings, check_field

# The row number (No.) is the vertical header: a data column would change under shifting rows.
COL_MATCH, COL_DESTINATION, COL_PORT, COL_CONVERSION, COL_TLS = range(5)
FIELDS = {
    COL_MATCH: "match",
    COL_DESTINATION: "destination",
    COL_PORT: "port",
    COL_CONVERSION: "conversion_host",
    COL_TLS: "tls",
}
HEADERS = {
    COL_MATCH: "Match (識別ドメイン)",
    COL_DESTINATION: "Destination (転送先)",
    COL_PORT: "Port (ポート)",
    COL_CONVERSION: "Conversion host (変換ホスト名)",
    COL_TLS: "TLS",
}


class RulesModel(QAbstractTableModel):
    problem = Signal(int, int, str)  # row, column, message ("" when the last edit was fine)
    changed = Signal()

    def __init__(self, settings: Settings, parent=None):
        super().__init__(parent)
        self.settings = settings  # the window's working copy; rules are edited in place
        self._hidden: dict[int, int] = {}
        self._recompute()
        self.modelReset.connect(self._after_change)
        self.rowsMoved.connect(self._after_change)
        self.rowsInserted.connect(self._after_change)
        self.rowsRemoved.connect(self._after_change)
        self.dataChanged.connect(self._after_change)

    @property
    def rules(self) -> list[Rule]:
        return self.settings.rules

    def _recompute(self) -> None:
        try:
            self._hidden = GatewayController.hidden_rules(self.settings)
        except ValueError:
            self._hidden = {}

    def _after_change(self, *args) -> None:
        before = dict(self._hidden)
        self._recompute()
        if before != self._hidden and self.rules:
            self.dataChanged.disconnect(self._after_change)
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rules) - 1, COL_TLS))
            self.dataChanged.connect(self._after_change)
        self.changed.emit()

    def hidden_by(self, row: int) -> int | None:
        return self._hidden.get(row)

    # --- read ---

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rules)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return tr(HEADERS[section])
        return section + 1  # No.

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.rules):
            return None
        rule = self.rules[index.row()]
        col = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if role == Qt.ItemDataRole.DisplayRole and col in (COL_PORT, COL_TLS) and not rule.to_server:
                return "—"  # normal delivery: port and TLS are the MX hosts' own; GRAPH: unused
            return getattr(rule, FIELDS[col])
        hider = self._hidden.get(index.row())
        if role == Qt.ItemDataRole.ForegroundRole and hider is not None:
            return QBrush(QColor("gray"))
        if role == Qt.ItemDataRole.ToolTipRole and hider is not None:
            return tr("This rule never matches: rule No. {0} ({1}) above it catches all its mail.").format(
                hider + 1, self.rules[hider].match
            )
        if role == Qt.ItemDataRole.TextAlignmentRole and col == COL_PORT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    # --- edit ---

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled  # drops go between rows, never onto one
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsDragEnabled
            | Qt.ItemFlag.ItemIsEditable
        )

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        row, col = index.row(), index.column()
        name = FIELDS[col]
        if col == COL_PORT:
            try:
                value = int(str(value).strip())
            except ValueError:
                self.problem.emit(row, col, tr("Port must be a number from 1 to 65535"))
                return False
        else:
            value = str(value).strip()
        problem = check_field(Rule, name, value)
        if problem:
            self.problem.emit(row, col, f"{tr(HEADERS[col])}: {tr(problem)}")
            return False
        setattr(self.rules[row], name, value)
        self.problem.emit(row, col, "")
        self.dataChanged.emit(index, index)
        return True

    def insert_rule(self, row: int, rule: Rule) -> None:
        self.beginInsertRows(QModelIndex(), row, row)
        self.rules.insert(row, rule)
        self.endInsertRows()

    def replace_rule(self, row: int, rule: Rule) -> None:
        self.rules[row] = rule
        self.dataChanged.emit(self.index(row, 0), self.index(row, COL_TLS))

    def removeRows(self, row: int, count: int, parent=QModelIndex()) -> bool:  # noqa: B008
        if parent.isValid() or row < 0 or row + count > len(self.rules):
            return False
        self.beginRemoveRows(parent, row, row + count - 1)
        del self.rules[row : row + count]
        self.endRemoveRows()
        return True

    def moveRows(self, source_parent, source_row, count, destination_parent, destination_child) -> bool:
        if source_parent.isValid() or destination_parent.isValid():
            return False
        if count <= 0 or source_row < 0 or source_row + count > len(self.rules):
            return False
        if source_row <= destination_child <= source_row + count:
            return False  # onto itself: nothing moves
        if not self.beginMoveRows(
            source_parent, source_row, source_row + count - 1, destination_parent, destination_child
        ):
            return False
        moving = self.rules[source_row : source_row + count]
        del self.rules[source_row : source_row + count]
        at = destination_child - count if destination_child > source_row else destination_child
        self.rules[at:at] = moving
        self.endMoveRows()
        return True

    def move(self, row: int, delta: int) -> bool:
        """Up (-1) or down (+1) one row, as the buttons do."""
        target = row + delta
        if not 0 <= target < len(self.rules):
            return False
        return self.moveRows(QModelIndex(), row, 1, QModelIndex(), target + 1 if delta > 0 else target)

    def supportedDropActions(self):
        return Qt.DropAction.MoveAction

    def supportedDragActions(self):
        return Qt.DropAction.MoveAction

    def rule_copy(self, row: int) -> Rule:
        return dataclasses.replace(self.rules[row])
