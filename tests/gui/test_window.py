"""The window as a whole: start and stop from the tray and the window, the controller's Apply and
Stop, the window's event loop, the tray's notices, closing, and export / import of the settings.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import socket
import time

import pytest
from PySide6.QtCore import QModelIndex, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from app import settings as settings_mod
from app.gui.tray import Tray
from app.receive import workers as receivers
from tests.support.gui import THREE_RULES, port_answers, rule_matches, start_on_a_taken_port, until
from tests.support.processes import children_running, free_port
from tests.support.smtp import message, send

# --- start / stop -------------------------------------------------------------------------


def test_tray_start_and_stop_open_and_close_the_listening_port(gui):
    port = free_port()
    window = gui.open(server={"listen": [f"127.0.0.1:{port}"]})
    controller = window.controller
    tray = gui.own(Tray())
    # Wired exactly as app.gui.main wires it.
    tray.start_requested.connect(lambda: asyncio.ensure_future(controller.start()))
    tray.stop_requested.connect(lambda: asyncio.ensure_future(controller.stop()))
    tray.pause_requested.connect(controller.pause)
    controller.state_changed.connect(tray.show_state)

    async def scenario() -> None:
        with pytest.raises(ConnectionRefusedError):
            await port_answers(port)
        assert tray.start_action.isEnabled() and not tray.stop_action.isEnabled()
        tray.start_action.trigger()
        await until(lambda: controller.running, 10, "the gateway to start")
        assert (await port_answers(port)).startswith("220 ")
        assert f"127.0.0.1:{port}" in window.state_label.text()
        assert tray.stop_action.isEnabled() and not tray.start_action.isEnabled()
        assert not window.start_button.isEnabled()

        tray.stop_action.trigger()
        await until(lambda: controller.state == "stopped", 10, "the gateway to stop")
        with pytest.raises(ConnectionRefusedError):
            await port_answers(port)
        assert tray.start_action.isEnabled() and window.start_button.isEnabled()

        tray.start_action.trigger()  # and it comes back on the same port
        await until(lambda: controller.running, 10, "the gateway to start again")
        assert (await port_answers(port)).startswith("220 ")
        window.stop_button.click()  # the window's own Stop
        await until(lambda: controller.state == "stopped", 10, "the window's Stop")
        with pytest.raises(ConnectionRefusedError):
            await port_answers(port)

    gui.run(scenario())


def test_stop_pressed_while_apply_is_still_reconfiguring_waits_for_it(gui, monkeypatch):
    """Apply (2 → 1 receiving processes) stops the worker; Stop pressed meanwhile runs after it, and stops all."""
    window = gui.open(server={"listen": ["127.0.0.1:0"], "processes": 2})
    controller = window.controller
    release = asyncio.Event()
    stop_workers = receivers.ReceivingWorkers.stop

    async def held_stop(self) -> None:  # Apply is held inside the gateway until the test lets it go
        await release.wait()
        await stop_workers(self)

    monkeypatch.setattr(receivers.ReceivingWorkers, "stop", held_stop)

    def workers() -> list[tuple[int, int]]:
        return children_running(os.getpid(), receivers.COMMAND)

    async def scenario() -> str | None:
        await controller.start()
        await until(workers, 10, "the receive-worker child")
        port = controller.bound[0][1]
        one = settings_mod.copy(controller.settings)
        one.server.processes = 1
        applying = asyncio.ensure_future(controller.apply(one))
        await until(lambda: gui.saved()["server"]["processes"] == 1, 10, "Apply to save")
        stopping = asyncio.ensure_future(controller.stop())
        await asyncio.sleep(0.3)
        assert controller.busy and not applying.done() and not stopping.done()
        assert controller.running  # Stop has not begun: it waits for Apply
        release.set()
        await stopping
        assert applying.done()
        with pytest.raises(OSError):  # nothing listens any more: Apply did not bind again after Stop
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return await applying

    assert gui.run(scenario()) is None
    assert controller.state == "stopped" and not controller.running and not workers()


# --- the window's event loop, the tray's notices ----------------------------------------


def test_idle_client_is_disconnected_on_the_windows_event_loop_too(gui):
    """The idle timer runs on qasync's loop in the window (its handles differ from asyncio's)."""
    window = gui.open(server={"listen": ["127.0.0.1:0"], "timeout_seconds": 1})
    controller = window.controller

    async def scenario() -> float:
        await controller.start()
        reader, writer = await asyncio.open_connection("127.0.0.1", controller.bound[0][1])
        try:
            assert (await asyncio.wait_for(reader.readline(), 5)).startswith(b"220 ")
            writer.write(b"EHLO idle.test\r\n")  # one command, then silence
            started = time.monotonic()
            while await asyncio.wait_for(reader.readline(), 5):
                pass  # the EHLO reply, then the end of the connection
            return time.monotonic() - started
        finally:
            writer.close()

    idle = gui.run(scenario())
    assert 0.8 <= idle < 3.0


def test_tray_tells_of_a_bounce_and_once_of_a_destination_that_keeps_failing(gui, upstream_factory):
    """The notices come from log lines written in the delivery process, through the pipe."""
    up = upstream_factory()
    up.handler.rcpt_replies = {"nobody@example.net": "550 5.1.1 no such user"}
    down = free_port()
    window = gui.open(
        rules=[
            {"match": "@down.example", "destination": "127.0.0.1", "port": down, "tls": "none"},
            {"match": "*", "destination": "127.0.0.1", "port": up.port, "tls": "none"},
        ]
    )
    controller = window.controller
    bounced: list[str] = []
    failing: list[str] = []
    controller.bounced.connect(bounced.append)
    controller.failing.connect(failing.append)

    async def scenario() -> None:
        await controller.start()
        port = controller.bound[0][1]
        await asyncio.to_thread(send, port, "alice@client.test", ["nobody@example.net"], message("bounces"))
        await until(lambda: bounced, 15, "the bounce notice")
        for i in range(3):
            await asyncio.to_thread(send, port, "alice@client.test", [f"u{i}@down.example"], message(f"down {i}"))
        await until(
            lambda: len(re.findall(r"down\.example> relay=.*state=deferred", window.log_tab.view.toPlainText())) >= 3,
            15,
            "three deferrals logged",
        )
        await until(lambda: failing, 15, "the failing-destination notice")
        await asyncio.sleep(1.0)

    tenso_log = logging.getLogger("tenso")
    level = tenso_log.level
    tenso_log.setLevel(logging.INFO)  # as logs.setup() does in the program
    try:
        gui.run(scenario(), timeout=45)
    finally:
        tenso_log.setLevel(level)
    assert len(bounced) == 1 and "bounced: DSN" in bounced[0] and "<nobody@example.net>" in bounced[0]
    assert len(failing) == 1, failing  # three messages failed; the tray said so once
    assert f"relay=127.0.0.1:{down}" in failing[0] and "state=deferred" in failing[0]


# --- closing --------------------------------------------------------------------------------


def answer_next_question(window: QWidget, button: QMessageBox.StandardButton, seen: list[str]) -> QTimer:
    """Clicks ``button`` in the next message box shown (found as the active modal widget)."""
    timer = QTimer(window)

    def look() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.isVisible():
            timer.stop()
            seen.append(box.text())
            box.button(button).click()

    timer.timeout.connect(look)
    timer.start(20)
    return timer


def test_closing_with_unsaved_changes_asks_and_cancel_keeps_the_window(gui):
    window = gui.open(rules=THREE_RULES)
    assert window.rules_tab.model.moveRows(QModelIndex(), 2, 1, QModelIndex(), 0)
    assert window.dirty
    seen: list[str] = []
    timer = answer_next_question(window, QMessageBox.StandardButton.Cancel, seen)
    assert not window.close()
    timer.stop()
    assert seen == ["Save the changes before closing?"]
    assert window.isVisible() and gui.quit_requests == 0
    assert window.dirty  # the edit is still there
    assert rule_matches(gui.saved()["rules"]) == ["@a.example", "@b.example", "@c.example"]

    # Save: written to the file, then the window closes.
    timer = answer_next_question(window, QMessageBox.StandardButton.Save, seen)
    window.close()
    timer.stop()
    gui.run(until(lambda: not window.isVisible(), 10, "the window to close after saving"))
    assert seen[1:] == ["Save the changes before closing?"]
    assert rule_matches(gui.saved()["rules"]) == ["@c.example", "@a.example", "@b.example"]
    assert gui.quit_requests == 1


def test_closing_without_changes_does_not_ask(gui):
    window = gui.open(rules=THREE_RULES)
    seen: list[str] = []
    timer = answer_next_question(window, QMessageBox.StandardButton.Cancel, seen)
    assert window.close()
    timer.stop()
    assert seen == [] and not window.isVisible() and gui.quit_requests == 1


def test_export_then_import_carries_the_settings_but_never_a_password(gui, tmp_path):
    import keyring

    window = gui.open(rules=THREE_RULES, auth_accounts={"common": {"username": "isp-id"}})
    window.auth_tab.common_password.edit.setText("secret-not-for-files")
    window.auth_tab.common_password.save()
    gui.run(until(lambda: keyring.get_password("tenso", "common") == "secret-not-for-files", 10, "keyring"))
    exported = tmp_path / "exported.json"
    assert window.export_settings(str(exported))
    text = exported.read_text(encoding="utf-8")
    assert "secret-not-for-files" not in text
    assert rule_matches(json.loads(text)["rules"]) == ["@a.example", "@b.example", "@c.example"]
    assert "re-enter" in window.hint.text() or "enter them again" in window.hint.text()

    other = gui.open(rules=[])
    assert other.import_settings(str(exported))
    assert [r.match for r in other.working.rules] == ["@a.example", "@b.example", "@c.example"]
    assert rule_matches(gui.saved()["rules"]) == []  # nothing changes until Apply
    gui.apply(other)
    assert rule_matches(gui.saved()["rules"]) == ["@a.example", "@b.example", "@c.example"]


def test_importing_a_broken_file_changes_nothing_and_says_why(gui, tmp_path):
    window = gui.open(rules=THREE_RULES)
    broken = tmp_path / "broken.json"
    broken.write_text('{"rules": [{"match": "*", "destination": "x", "port": 70000}]}', encoding="utf-8")
    assert not window.import_settings(str(broken))
    assert "rules[0].port" in window.problems.text()
    assert len(window.working.rules) == 3


def _click_in_broken_settings_box(label: str, seen: dict) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    box = QApplication.activeModalWidget()
    if not isinstance(box, QMessageBox):
        QTimer.singleShot(20, lambda: _click_in_broken_settings_box(label, seen))
        return
    assert box.objectName() == "brokenSettings"
    seen["text"] = box.text()
    seen["buttons"] = [b.text() for b in box.buttons()]
    next(b for b in box.buttons() if b.text() == label).click()


def test_a_broken_settings_file_at_start_offers_the_last_good_settings_instead_of_a_dead_end(qapp, tmp_path):
    """A broken file used to end in one error box and exit 1."""
    import json

    from PySide6.QtCore import QTimer

    from app import settings as settings_mod
    from app.gui import main as gui_main

    config = tmp_path / "settings.json"
    good = {"server": {"listen": ["127.0.0.1:0"]}, "rules": [{"match": "*", "destination": "smtp.isp.example"}]}
    config.write_text(json.dumps(good), encoding="utf-8")
    settings, source = gui_main.load_at_start(config)
    assert source == config and settings_mod.last_good_path(config).exists(), "a good file is kept as last good"

    config.write_text(json.dumps({**good, "rules": [{"match": "*", "destination": "bad host!"}]}), encoding="utf-8")
    seen: dict = {}
    QTimer.singleShot(0, lambda: _click_in_broken_settings_box("Start with the last good settings", seen))
    settings, source = gui_main.load_at_start(config)
    assert "rules[0].destination" in seen["text"]
    assert set(seen["buttons"]) == {"Open the folder", "Start with the last good settings", "Quit"}
    assert source == settings_mod.last_good_path(config)
    assert settings.rules[0].destination == "smtp.isp.example"
    assert "bad host!" in config.read_text(encoding="utf-8"), "the broken file is left for the administrator"

    settings_mod.last_good_path(config).unlink()
    seen = {}
    QTimer.singleShot(0, lambda: _click_in_broken_settings_box("Quit", seen))
    assert gui_main.load_at_start(config) is None
    assert "Start with the last good settings" not in seen["buttons"], "no copy, no such choice"


def test_first_hour_details_common_password_state_hint_after_apply_and_the_tls_column(gui):
    """Seen by a new user: the common password field said nothing while per-user rows said
    "not set"; the welcome hint stayed after Apply; the TLS column was cut to "op…"."""
    from app.gui.rules_model import COL_TLS
    from app.system import passwords
    from tests.support.gui import until

    passwords.delete("common")
    window = gui.open(rules=[{"match": "*", "destination": "smtp.isp.example", "tls": "none"}])
    gui.run(until(lambda: window.auth_tab.common_password.status.text() != "", 5, "the common password's state"))
    assert window.auth_tab.common_password.status.text() == "not set"

    window.show_hint("Welcome to Tenso. First: add a routing rule ...")
    assert window.hint.isVisibleTo(window)
    assert gui.run(window.apply_now())
    assert not window.hint.isVisibleTo(window), "the welcome hint stays after Apply"

    view = window.rules_tab.view
    needed = view.fontMetrics().horizontalAdvance("opportunistic")
    assert view.horizontalHeader().sectionSize(COL_TLS) > needed


def test_the_window_and_the_tray_speak_of_the_engines_own_states(gui):
    """The window kept its own "running" / "stopped" strings beside app.status.State."""
    from app.status import State

    port = free_port()
    window = gui.open(server={"listen": [f"127.0.0.1:{port}"]})
    controller = window.controller
    tray = gui.own(Tray())
    seen = []
    controller.state_changed.connect(lambda state, detail: seen.append(state))
    assert controller.state is State.STOPPED
    gui.run(controller.start())
    controller.pause(True)
    gui.run(controller.stop())
    assert seen == [State.RUNNING, State.PAUSED, State.STOPPED]
    assert all(type(state) is State for state in seen), "the signal carries the enum itself"
    words = set()
    for state in State:
        window.show_state(state, "")
        tray.show_state(state, "")
        words.add((window.state_label.text(), tray.toolTip()))
    assert len(words) == len(State), "every state has its own words in the window and the tray"


def test_a_port_in_use_offers_another_port_and_a_queue_in_use_does_not(gui):
    window = start_on_a_taken_port(gui)
    assert window.controller.state == "error"
    assert window.hint.isVisibleTo(window) and "Choose another one" in window.hint.text()

    running = gui.open(server={"listen": ["127.0.0.1:0"]})  # each window on the same queue folder
    gui.run(running.controller.start())
    assert running.controller.running
    second = gui.open(server={"listen": ["127.0.0.1:0"]})
    gui.run(second.controller.start())
    assert second.controller.state == "error" and "queue.dir" in second.controller.detail
    assert not second.hint.isVisibleTo(second), "no port to change: another Tenso holds the queue"
