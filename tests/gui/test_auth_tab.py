"""The authentication tab: a password typed in the window goes to the keyring, never the settings file."""

from __future__ import annotations

import json
import secrets

import keyring
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.system import passwords
from tests.support.gui import until


def test_password_typed_in_the_window_goes_to_the_keyring_not_the_settings_file(gui):
    password = "pw-" + secrets.token_hex(8) + "-ü"  # keyClicks types ASCII only; the ü is inserted
    passwords.delete("common")
    window = gui.open()
    field = window.auth_tab.common_password
    assert field.objectName() == "commonPassword"
    gui.run(until(lambda: field.status.text() == "not set", 10, "the field to look the password up"))
    QTest.keyClicks(window.auth_tab.common_user, "isp-id")
    QTest.keyClicks(field.edit, password[:-1])
    field.edit.insert(password[-1])
    try:
        QTest.mouseClick(field.save_button, Qt.MouseButton.LeftButton)
        gui.run(until(lambda: field.status.text() == "saved", 10, "the field to say saved"))
        assert keyring.get_password("tenso", "common") == password
        assert field.edit.text() == ""  # not kept in the widget either
        gui.apply(window)
        raw = gui.config.read_bytes()
        assert gui.saved()["auth_accounts"]["common"]["username"] == "isp-id"
        for encoded in (password.encode(), json.dumps(password).strip('"').encode(), password[3:-2].encode()):
            assert encoded not in raw
        assert not any(password in line for line in window.log_tab.lines)
    finally:
        passwords.delete("common")
