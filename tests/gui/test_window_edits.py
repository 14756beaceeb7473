"""How the window treats the administrator's edits: the wheel over an unfocused number field,
Apply's confirmation and its start after a failed one, the first-start choices, Quit's question."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QSpinBox


def wheel(widget, steps: int = -1) -> None:
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(centre.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_the_wheel_over_an_unfocused_number_field_scrolls_the_page_not_the_value(gui):
    """Scrolling the Server tab turned a retry limit of 120 hours into 108, saved by the next Apply."""
    window = gui.open(queue={"max_age_hours": 120})
    window.tabs.setCurrentWidget(window.server_tab)
    window.activateWindow()
    gui.settle()
    spin = window.server_tab.max_age
    spins = window.server_tab.findChildren(QSpinBox)
    assert spin in spins and all(s.focusPolicy() == Qt.FocusPolicy.StrongFocus for s in spins)
    window.server_tab.hostname.setFocus()
    assert not spin.hasFocus()
    wheel(spin)
    assert spin.value() == 120 and window.working.queue.max_age_hours == 120
    assert not window.dirty

    spin.setFocus()
    gui.settle()
    assert spin.hasFocus()
    wheel(spin)
    assert spin.value() == 119  # clicked or tabbed to, the wheel is the administrator's intent
