"""Local users → Devices: scanners that log in only to send.  Rows from the settings file, edits
checked cell by cell (a refused edit names the row and changes nothing), problems of the whole
list (a login listed twice), the password set through the real dialog landing in the keyring
under device:NAME off the GUI thread, and what Apply writes."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit

from app.gui.tabs.devices_box import COL_LOGIN, COL_NAME, COL_PASSWORD, COL_SENDERS
from app.system import passwords
from tests.support.gui import until

MFP = {"name": "mfp2f", "login": "mfp2f", "senders": ["scan@example.jp"]}


def answer_password_dialog(gui, password: str) -> list[str]:
    """Types ``password`` into the next password dialog and presses OK, as a person would;
    returns the prompts it answered."""
    answered: list[str] = []
    timer = gui.own(QTimer())

    def look() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QInputDialog):
            assert dialog.textEchoMode() == QLineEdit.EchoMode.Password
            answered.append(dialog.labelText())
            dialog.setTextValue(password)
            dialog.accept()
            timer.stop()

    timer.timeout.connect(look)
    timer.start(20)
    return answered


def test_devices_are_listed_added_edited_and_checked_by_row(gui, english):
    window = gui.open(local_domains=["example.jp"], local_users=[{"address": "user1@example.jp"}], devices=[MFP])
    box = window.users_tab.devices
    table = box.table
    cells = [table.item(0, c).text() for c in (COL_NAME, COL_LOGIN, COL_SENDERS)]
    assert cells == ["mfp2f", "mfp2f", "scan@example.jp"]
    gui.run(until(lambda: table.item(0, COL_PASSWORD).text() == "not set", 5, "the password state"))

    box.add_button.click()
    gui.settle()  # the new row's password state, from the keyring
    assert table.rowCount() == 2 and window.working.devices[1].name == "scanner1"
    table.item(1, COL_NAME).setText("copier-3f")
    gui.settle()  # a new name is a new keyring entry: its state is asked again
    assert box.message.text() == "A new name is a new keyring entry (device:copier-3f): set its password."
    table.item(1, COL_LOGIN).setText("copier 3f")
    assert box.error.text() == "Device 2: login: must be a user name without spaces, such as mfp2f"
    assert window.working.devices[1].login == "scanner1", "a refused edit changes nothing"
    table.item(1, COL_LOGIN).setText("MFP2F")
    assert box.error.text() == "Device 2: login: MFP2F is listed twice"
    table.item(1, COL_LOGIN).setText("user1@example.jp")
    assert box.error.text() == (
        "Device 2: login: user1@example.jp is a local user's address; a device needs a login of its own"
    )
    table.item(1, COL_LOGIN).setText("copier3f")
    assert box.error.text() == ""
    table.item(1, COL_SENDERS).setText("copier@example.jp, nobody")
    assert box.error.text() == "Device 2: senders: must be an address such as user@example.jp"
    table.item(1, COL_SENDERS).setText("copier@example.jp, admin@example.jp")
    table.item(0, COL_SENDERS).setText("")
    assert box.error.text() == ""

    gui.apply(window)
    assert window.problems.text() == ""
    assert gui.saved()["devices"] == [
        {"name": "mfp2f", "login": "mfp2f", "senders": []},
        {"name": "copier-3f", "login": "copier3f", "senders": ["copier@example.jp", "admin@example.jp"]},
    ]

    table.selectRow(0)
    box.remove_button.click()
    gui.settle()
    assert [d.name for d in window.working.devices] == ["copier-3f"]
    assert table.rowCount() == 1 and table.item(0, COL_NAME).text() == "copier-3f"


def test_set_password_stores_it_in_the_keyring_under_device_name(gui, english):
    window = gui.open(devices=[MFP, {"name": "Copier-3F", "login": "copier3f"}])
    box = window.users_tab.devices
    table = box.table
    window.tabs.setCurrentWidget(window.users_tab)
    assert not box.password_button.isEnabled(), "nothing selected"
    table.selectRow(1)
    answered = answer_password_dialog(gui, "sc4n-secret")

    async def scenario() -> None:
        box.password_button.click()
        await until(lambda: table.item(1, COL_PASSWORD).text() == "saved", 10, "the password to be saved")

    gui.run(scenario())
    assert answered == ["Password for Copier-3F (login copier3f):"]
    assert passwords.get("device:copier-3f") == "sc4n-secret"
    assert passwords.get("device:mfp2f") is None
    assert box.message.text() == "Saved in the keyring as device:copier-3f."
    assert table.item(0, COL_PASSWORD).text() == "not set"
    assert "sc4n-secret" not in gui.config.read_text(encoding="utf-8")
