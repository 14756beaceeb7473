"""The Status tab's chart: the last 24 hours, one stacked bar per hour, one colour per outcome.

Painted with QPainter (PySide6-Essentials has no QtCharts): 24 bars are little to draw, and the
colours, the legend and the hour labels stay under our control in both languages.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.gui.i18n import tr, tr_later

# (outcome, colour, legend) in stacking order, bottom first.  Received is not stacked: each
# received message shows again as its recipients' outcomes.
SERIES = (
    ("relayed", "#2e7d32", tr_later("Relayed")),
    ("local", "#64b5f6", tr_later("Delivered locally")),
    ("deferred", "#f9a825", tr_later("Deferred")),
    ("bounced", "#c62828", tr_later("Bounced")),
    ("refused", "#9e9e9e", tr_later("Refused at RCPT")),
)


class HourChart(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("hourChart")
        self.hours: list[tuple[int, dict[str, int]]] = []
        self.setMinimumHeight(150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(600, 190)

    def set_hours(self, hours: list[tuple[int, dict[str, int]]]) -> None:
        self.hours = hours
        self.setToolTip(self._tooltip())
        self.update()

    def peak(self) -> int:
        return max((sum(counts.get(key, 0) for key, _, _ in SERIES) for _, counts in self.hours), default=0)

    def _tooltip(self) -> str:
        busy = [(start, counts) for start, counts in self.hours if any(counts.values())]
        lines = [
            time.strftime("%H:00", time.localtime(start))
            + "  "
            + ", ".join(f"{tr(label)} {counts.get(key, 0)}" for key, _, label in SERIES if counts.get(key))
            for start, counts in busy[-8:]
        ]
        return "\n".join(lines)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        metrics = painter.fontMetrics()
        line = metrics.height()
        legend_height = line + 6
        left, right, top, bottom = metrics.horizontalAdvance("00000") + 6, 8, legend_height + 4, line + 6
        area = QRectF(left, top, max(10, self.width() - left - right), max(10, self.height() - top - bottom))
        text = self.palette().windowText().color()
        grid = QColor(text)
        grid.setAlpha(50)

        # Legend
        x = float(left)
        for _, colour, label in SERIES:
            painter.fillRect(QRectF(x, 4 + (line - 10) / 2, 10, 10), QColor(colour))
            x += 14
            painter.setPen(text)
            shown = tr(label)
            painter.drawText(QRectF(x, 2, metrics.horizontalAdvance(shown) + 4, line + 2), shown)
            x += metrics.horizontalAdvance(shown) + 16

        # Scale: a round ceiling, three grid lines
        peak = self.peak()
        ceiling = _round_up(max(peak, 4))
        painter.setPen(grid)
        for k in range(4):
            y = area.bottom() - area.height() * k / 3
            painter.drawLine(int(area.left()), int(y), int(area.right()), int(y))
            painter.setPen(text)
            painter.drawText(
                QRectF(0, y - line / 2, left - 6, line), Qt.AlignmentFlag.AlignRight, str(round(ceiling * k / 3))
            )
            painter.setPen(grid)

        # Bars
        count = max(len(self.hours), 1)
        slot = area.width() / count
        width = max(2.0, slot * 0.7)
        for i, (start, counts) in enumerate(self.hours):
            x = area.left() + i * slot + (slot - width) / 2
            y = area.bottom()
            for key, colour, _ in SERIES:
                n = counts.get(key, 0)
                if n:
                    h = area.height() * n / ceiling
                    painter.fillRect(QRectF(x, y - h, width, h), QColor(colour))
                    y -= h
            if i % 3 == 0 or i == count - 1:
                painter.setPen(text)
                label = time.strftime("%H", time.localtime(start))
                below = QRectF(x - slot, area.bottom() + 2, width + 2 * slot, line + 2)
                painter.drawText(below, Qt.AlignmentFlag.AlignHCenter, label)
        painter.end()


def _round_up(n: int) -> int:
    """The chart's top line: three times 1, 2 or 5 times a power of ten (whole grid labels)."""
    step = 1
    while True:
        for f in (1, 2, 5):
            if n <= 3 * f * step:
                return 3 * f * step
        step *= 10
