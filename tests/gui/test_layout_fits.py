"""The Japanese window at its minimum size: no button row over a table, no placeholder cut."""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QLineEdit, QWidget

from app.gui import i18n
from tests.support.gui import THREE_RULES


def on_window(widget: QWidget, window: QWidget) -> QRect:
    return QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())


def overlaps_and_cuts(window) -> list[str]:
    found = []
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        tab = window.tabs.tabText(index)
        shown = [w for w in window.tabs.currentWidget().findChildren(QWidget) if w.isVisible()]
        views = [w for w in shown if isinstance(w, QAbstractItemView)]
        for button in (w for w in shown if isinstance(w, QAbstractButton)):
            if any(view.isAncestorOf(button) for view in views):
                continue  # a button in a cell of the table
            for view in views:
                if on_window(button, window).intersects(on_window(view, window)):
                    found.append(f"{tab}: {button.text()!r} over a {type(view).__name__}")
        for edit in (w for w in shown if isinstance(w, QLineEdit) and w.placeholderText()):
            needed = edit.fontMetrics().horizontalAdvance(edit.placeholderText())
            room = edit.contentsRect().width() - 8  # the frame's text margins
            if needed > room:
                found.append(f"{tab}: placeholder {edit.placeholderText()!r} needs {needed} px, has {room}")
    return found


def test_every_tab_fits_in_japanese_at_the_minimum_size(gui, english):
    i18n.install("ja")
    window = gui.open(rules=THREE_RULES, local_domains=["example.jp"])
    window.resize(window.minimumSizeHint())
    gui.settle()
    problems = overlaps_and_cuts(window)
    assert not problems, "\n".join(problems)
