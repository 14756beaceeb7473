"""How the window treats the administrator's edits: the wheel over an unfocused number field,
Apply's confirmation and its start after a failed one, the first-start choices, Quit's question."""

from __future__ import annotations

import re
import socket

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton, QSpinBox

from app.gui import i18n
from app.gui.tray import Tray
from tests.gui.test_japanese_window import english_in, shown_texts
from tests.gui.test_window import answer_next_question
from tests.support.gui import port_answers, until
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


WELCOME = (
    "Welcome to Tenso. First: add a routing rule (for example * → your ISP's "
    "server, port 587), put its ID in Auth accounts and its password, list your "
    "LAN under Relay, then press Apply."
)


def first_start(gui):
    """The window as app.gui.main opens it when there is no settings file yet."""
    window = gui.open()
    window.offer_lan_relay()
    window.offer_assistant()
    window.show_hint(WELCOME)
    return window


def offers(gui, window) -> dict[str, str]:
    gui.settle()  # a widget put in a shown layout shows on the next turn of the loop
    return {
        name: button.text()
        for name in ("allowLan", "offerAssistant")
        if (button := window.findChild(QPushButton, name)) is not None and button.isVisible()
    }


def test_cancel_and_a_language_switch_keep_the_first_start_choices_and_their_banner(gui, english):
    window = first_start(gui)
    assert set(offers(gui, window)) == {"allowLan", "offerAssistant"}
    window.cancel_button.click()
    assert set(offers(gui, window)) == {"allowLan", "offerAssistant"}, "Cancel took the choices away"
    assert window.hint.isVisible() and window.hint.text() == WELCOME

    window.language.setCurrentIndex(window.language.findData("ja"))
    shown = offers(gui, window)
    assert set(shown) == {"allowLan", "offerAssistant"}, "the language switch took the choices away"
    assert shown["allowLan"].startswith("LAN") or "LAN" in shown["allowLan"]
    assert "Allow my LAN" not in shown["allowLan"] and "Setup assistant" not in shown["offerAssistant"]
    assert window.hint.isVisible() and window.hint.text() == i18n.tr(WELCOME) != WELCOME, "the banner stayed English"

    window.findChild(QPushButton, "allowLan").click()  # made: the LAN may relay (in the working copy)
    assert "192.168.0.0/16" in window.working.options.relay_networks
    assert set(offers(gui, window)) == {"offerAssistant"}
    window.cancel_button.click()  # the choice is thrown away with the other edits: it is offered again
    assert set(offers(gui, window)) == {"allowLan", "offerAssistant"}


KANA = re.compile(r"[\u3040-\u30ff]")  # Japanese words; the English tab names keep only kanji (転送設定)


def test_a_language_switch_rewords_every_text_on_show_and_back(gui, english):
    window = first_start(gui)
    gui.run(window.controller.start())
    gui.apply(window)  # the status bar's confirmation and the state line, in English
    window.language.setCurrentIndex(window.language.findData("ja"))
    texts = [*shown_texts(window), ("status bar", window.statusBar().currentMessage())]
    left = [f"{where}: {text!r}" for where, text in texts if english_in(text)]
    assert not left, "English after switching to Japanese:\n" + "\n".join(left)
    assert any(KANA.search(text) for _, text in texts)

    window.language.setCurrentIndex(window.language.findData("en"))
    texts = [*shown_texts(window), ("status bar", window.statusBar().currentMessage())]
    left = [f"{where}: {text!r}" for where, text in texts if KANA.search(text)]
    assert not left, "Japanese after switching back to English:\n" + "\n".join(left)


def quit_action(window):
    file_menu = window.menuBar().actions()[0].menu()
    return next(a for a in file_menu.actions() if a.text() == "Quit")


def test_file_quit_asks_about_edits_not_applied(gui, english):
    window = gui.open(queue={"max_age_hours": 120})
    window.server_tab.max_age.setValue(100)
    seen: list[str] = []
    timer = answer_next_question(window, QMessageBox.StandardButton.Cancel, seen)
    quit_action(window).trigger()
    timer.stop()
    assert seen == ["Some changes are not applied yet. Apply them before quitting?"]
    assert gui.quit_requests == 0 and window.dirty, "Cancel stays, with the edit"

    timer = answer_next_question(window, QMessageBox.StandardButton.Discard, seen)
    quit_action(window).trigger()
    timer.stop()
    assert len(seen) == 2 and gui.quit_requests == 1
    assert gui.saved()["queue"]["max_age_hours"] == 120, "Discard quits without saving"


def test_the_trays_quit_applies_first_when_asked_and_stays_when_the_settings_have_a_problem(gui, english):
    window = gui.open(queue={"max_age_hours": 120})
    tray = gui.own(Tray())
    tray.quit_requested.connect(window.request_quit)  # as app.gui.main wires it
    seen: list[str] = []

    window.working.queue.max_age_hours = -1  # a problem: Apply fails, Tenso stays open
    timer = answer_next_question(window, QMessageBox.StandardButton.Apply, seen)
    tray.quit_action.trigger()
    timer.stop()
    gui.run(until(lambda: window.problems.text(), 10, "the problem shown"))
    assert len(seen) == 1 and gui.quit_requests == 0 and "max_age_hours" in window.problems.text()

    window.server_tab.max_age.setValue(100)
    timer = answer_next_question(window, QMessageBox.StandardButton.Apply, seen)
    tray.quit_action.trigger()
    timer.stop()
    gui.run(until(lambda: gui.quit_requests == 1, 10, "Apply, then quit"))
    assert len(seen) == 2 and gui.saved()["queue"]["max_age_hours"] == 100

    tray.quit_action.trigger()  # nothing left to apply: no question
    assert len(seen) == 2 and gui.quit_requests == 2
