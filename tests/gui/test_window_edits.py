"""How the window treats the administrator's edits: the wheel over an unfocused number field,
Apply's confirmation and its start after a failed one, the first-start choices, Quit's question."""

from __future__ import annotations

import socket

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QSpinBox

from tests.support.gui import port_answers
from tests.support.processes import free_port


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


def test_apply_says_in_the_status_bar_that_it_worked(gui, english):
    window = gui.open(server={"listen": ["127.0.0.1:0"]}, queue={"max_age_hours": 120})
    window.server_tab.max_age.setValue(100)
    gui.apply(window)
    assert gui.saved()["queue"]["max_age_hours"] == 100
    assert window.statusBar().currentMessage() == "Settings saved; Tenso starts with them"  # not running

    gui.run(window.controller.start())
    window.server_tab.max_age.setValue(90)
    gui.apply(window)
    assert window.statusBar().currentMessage() == "Settings applied"


def test_apply_after_a_start_failed_on_a_port_in_use_starts_on_the_new_port(gui, english):
    """The banner says: choose another port and press Apply. Apply saved it, and nothing started."""
    held, new = free_port(), free_port()
    window = gui.open(server={"listen": [f"127.0.0.1:{held}"]})
    holder = socket.socket()
    holder.bind(("127.0.0.1", held))
    holder.listen()
    try:
        gui.run(window.controller.start())
        assert window.controller.state == "error" and not window.controller.running
        assert "Apply" in window.hint.text()
        window.working.server.listen = [f"127.0.0.1:{new}"]
        gui.apply(window)
        assert gui.saved()["server"]["listen"] == [f"127.0.0.1:{new}"]
        assert window.controller.running and window.controller.state == "running"
        assert gui.run(port_answers(new)).startswith("220 ")
        assert window.statusBar().currentMessage() == "Settings applied"
    finally:
        holder.close()
