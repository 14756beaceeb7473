"""The relay tab: its checkboxes and the relay networks editor, round trips through the settings file."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QCheckBox, QStyle, QStyleOptionButton

from app import settings as settings_mod

RELAY_BOXES = {
    "skipLocal": "skip_local",
    "relayForRuleMatches": "relay_for_rule_matches",
    "checkLocalUsers": "check_local_users",
    "relayWhenAuthenticated": "relay_when_authenticated",
}


def check_indicator(box: QCheckBox) -> QPoint:
    """Where a user clicks: the box itself (the widget is wider than its text)."""
    option = QStyleOptionButton()
    box.initStyleOption(option)
    return box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box).center()


def test_relay_checkboxes_round_trip_through_the_settings_file(gui):
    window = gui.open()
    window.tabs.setCurrentWidget(window.relay_tab)
    defaults = {name: gui.saved()["options"][name] for name in RELAY_BOXES.values()}
    for object_name, name in RELAY_BOXES.items():
        box = window.findChild(QCheckBox, object_name)
        assert box is not None, object_name
        assert box.isChecked() == defaults[name], object_name
        QTest.mouseClick(box, Qt.MouseButton.LeftButton, pos=check_indicator(box))
        assert box.isChecked() != defaults[name], object_name
    gui.apply(window)
    options = gui.saved()["options"]
    assert {name: options[name] for name in RELAY_BOXES.values()} == {k: not v for k, v in defaults.items()}

    # A window opened on the saved file shows the saved state, and turning them back saves that too.
    second = gui.open(settings_mod.load(gui.config))
    for object_name, name in RELAY_BOXES.items():
        box = second.findChild(QCheckBox, object_name)
        assert box.isChecked() == (not defaults[name]), object_name
        box.click()
    gui.apply(second)
    options = gui.saved()["options"]
    assert {name: options[name] for name in RELAY_BOXES.values()} == defaults


def test_relay_networks_refuse_a_misplaced_wildcard_and_accept_a_trailing_one(gui):
    window = gui.open()
    editor = window.relay_tab.networks
    assert editor.objectName() == "relayNetworks"
    before = list(gui.saved()["options"]["relay_networks"])

    QTest.keyClicks(editor.entry, "10.0.*.1")
    editor.add_button.click()
    assert "10.0.*.1" in editor.error.text() and "*" in editor.error.text().split(":", 1)[1], editor.error.text()
    assert editor.entry.text() == "10.0.*.1"  # kept for correcting
    assert [editor.list.item(i).text() for i in range(editor.list.count())] == before

    editor.entry.clear()
    QTest.keyClicks(editor.entry, "192.168.*.*")
    QTest.keyClick(editor.entry, Qt.Key.Key_Return)
    assert editor.error.text() == ""
    assert [editor.list.item(i).text() for i in range(editor.list.count())] == [*before, "192.168.*.*"]
    gui.apply(window)
    assert window.problems.text() == ""
    assert gui.saved()["options"]["relay_networks"] == [*before, "192.168.*.*"]
