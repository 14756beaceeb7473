"""The desktop window, driven as an administrator drives it, on the real engine.

Everything is real: the window and its tabs on a qasync loop (Qt's offscreen
platform), the gateway listening on loopback, smtplib clients, an aiosmtpd
upstream, the file keyring conftest selects, the settings file on disk and
``python -m app route`` in a subprocess.  What needs a real X display (a mouse
drag, the tray) is in test_gui_x11.py.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

# Before Qt is imported: no display here.  QSettings (the chosen language) goes to the sandbox.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["XDG_CONFIG_HOME"] = str(Path(os.environ["XDG_DATA_HOME"]).parent / "xdg-config")

import keyring  # noqa: E402
import pytest  # noqa: E402
import qasync  # noqa: E402
import shiboken6  # noqa: E402
from conftest import children_running, free_port, make_settings, message, send  # noqa: E402
from PySide6.QtCore import QModelIndex, QObject, QPoint, Qt, QTimer, QTranslator  # noqa: E402
from PySide6.QtGui import QBrush, QColor  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QApplication,
    QCheckBox,
    QGroupBox,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QStyle,
    QStyleOptionButton,
    QTabWidget,
    QWidget,
)

from app import settings as settings_mod  # noqa: E402
from app.gui import i18n  # noqa: E402
from app.gui.controller import GatewayController  # noqa: E402
from app.gui.rules_model import COL_DESTINATION, COL_MATCH, COL_PORT, RulesModel  # noqa: E402
from app.gui.tray import Tray  # noqa: E402
from app.gui.window import MainWindow  # noqa: E402
from app.receive import helpers as receivers
from app.settings import Rule  # noqa: E402
from app.system import passwords  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TS = REPO / "resources" / "i18n" / "tenso_ja.ts"
QM = TS.with_suffix(".qm")
sys.path.insert(0, str(REPO / "tools"))
import update_ts  # noqa: E402

THREE_RULES = [
    {"match": "@a.example", "destination": "a.host.example", "port": 25, "tls": "none"},
    {"match": "@b.example", "destination": "b.host.example", "port": 587, "tls": "required"},
    {"match": "@c.example", "destination": "c.host.example", "port": 2525, "tls": "opportunistic"},
]


async def until(predicate, timeout: float = 10.0, what: str = "condition") -> None:
    """Lets the loop (window, gateway, deliveries) run until ``predicate()`` holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout} s")
        await asyncio.sleep(0.02)


async def port_answers(port: int) -> str:
    """The first line a client gets on 127.0.0.1:``port`` (raises ConnectionRefusedError when closed)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        banner = await asyncio.wait_for(reader.readline(), 5)
        writer.write(b"QUIT\r\n")
        await writer.drain()
        await asyncio.wait_for(reader.readline(), 5)
    finally:
        writer.close()
        await writer.wait_closed()
    return banner.decode()


class Gui:
    """Windows on one qasync loop, each with its own controller, on the settings file tmp_path/settings.json.

    ``close()`` deletes every Qt object it made, on this thread, and closes the loop.  Left to
    Python's cycle collector instead, they would be destroyed whenever it runs next, possibly on
    a gateway or delivery thread of a later test, and Qt crashes when that happens.
    """

    def __init__(self, qapp: QApplication, tmp_path: Path):
        qapp.setQuitOnLastWindowClosed(False)  # as app.gui.main: closing the window is not quitting Qt
        self.loop: qasync.QEventLoop | None = qasync.QEventLoop(qapp)
        asyncio.set_event_loop(self.loop)
        self.tmp_path = tmp_path
        self.config = tmp_path / "settings.json"
        self.windows: list[MainWindow] = []
        self.controllers: list[GatewayController] = []
        self.others: list[QObject] = []
        self.quit_requests = 0

    def run(self, coro, timeout: float = 30.0):
        return run_on(self.loop, asyncio.wait_for(coro, timeout))

    def open(self, settings: settings_mod.Settings | None = None, has_tray: bool = False,
             **sections) -> MainWindow:
        """Saves the settings as the file, then opens the window on it as app.gui.main does."""
        settings = settings or make_settings(self.tmp_path, **sections)
        settings_mod.save(settings, self.config)
        settings = settings_mod.load(self.config)
        controller = GatewayController(self.config, settings)
        self.controllers.append(controller)
        window = MainWindow(controller, has_tray)
        window.quit_requested.connect(self._quit_requested)
        self.windows.append(window)
        window.show()
        self.settle()
        return window

    def own(self, obj: QObject) -> QObject:
        """Deleted with the windows at the end of the test."""
        self.others.append(obj)
        return obj

    def _quit_requested(self) -> None:
        self.quit_requests += 1

    def settle(self) -> None:
        """Runs what the window started (keyring look-ups of the password fields)."""
        self.run(asyncio.sleep(0.05))

    def saved(self) -> dict:
        return json.loads(self.config.read_text(encoding="utf-8"))

    def apply(self, window: MainWindow) -> None:
        """Clicks Apply and waits for it to finish: saved and applied, or a problem shown."""
        before = self.config.stat().st_mtime_ns, self.config.read_bytes()
        window.apply_button.click()

        async def done() -> None:
            # Apply is an asyncSlot: it saves in a thread, then reconfigures the running gateway.
            await until(lambda: (self.config.stat().st_mtime_ns, self.config.read_bytes()) != before
                        or window.problems.text(), 10, "Apply to save or report")
            await until(lambda: not window.controller.busy, 15, "Apply to finish")
            await asyncio.sleep(0.05)

        self.run(done())

    def close(self) -> None:
        for window in self.windows:
            if shiboken6.isValid(window):
                window.queue_tab.timer.stop()
                window.hide()
        try:
            for controller in self.controllers:
                self.run(controller.stop())
            drain(self.loop)
        finally:
            for controller in self.controllers:
                controller.close()
            for obj in [*self.others, *self.windows, *(c.handler.bridge for c in self.controllers),
                        *self.controllers]:
                if shiboken6.isValid(obj):
                    shiboken6.delete(obj)
            self.others, self.windows, self.controllers = [], [], []
            self.loop.close()
            self.loop = None
            asyncio.set_event_loop(None)
            gc.collect()  # the loop's Qt parts (timers, executor threads) go now, on this thread


def run_on(loop: qasync.QEventLoop, coro):
    """Runs the loop until ``coro`` is done, as the program's loop runs: every callback with the
    loop set as running.  (qasync's run_until_complete processes Qt's events once more after it
    has unset the loop; a gateway task that wakes then meets "no running event loop" and ends.)"""
    task = asyncio.ensure_future(coro, loop=loop)
    task.add_done_callback(lambda _: loop.stop())
    loop.run_forever()
    if not task.done():
        raise RuntimeError("the loop stopped before the task finished")
    return task.result()


def drain(loop: qasync.QEventLoop) -> None:
    """Finishes or cancels what slots left running, so nothing is destroyed pending."""
    run_on(loop, asyncio.sleep(0.05))
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        run_on(loop, asyncio.gather(*pending, return_exceptions=True))


@pytest.fixture
def gui(qapp, tmp_path, upstream_factory):
    # Depends on upstream_factory so the gateways stop (closing pooled sessions) before upstreams do.
    g = Gui(qapp, tmp_path)
    yield g
    g.close()


@pytest.fixture
def model_of(tmp_path):
    """A RulesModel on settings with these rules, deleted (on this thread) after the test."""
    made = []

    def make(rules: list[dict]) -> tuple[RulesModel, settings_mod.Settings]:
        settings = make_settings(tmp_path, rules=rules)
        made.append(RulesModel(settings))
        return made[-1], settings

    yield make
    for model in made:
        shiboken6.delete(model)
    made.clear()
    gc.collect()


@pytest.fixture
def english():
    i18n.install("en")
    yield
    i18n.install("en")
    i18n.save_language("en")


def rule_matches(rules: list[dict]) -> list[str]:
    return [r["match"] for r in rules]


# --- the rules grid -----------------------------------------------------------------------


def test_rules_model_passes_the_qt_model_tester_through_edits_and_moves(qtmodeltester, model_of):
    model, settings = model_of([*THREE_RULES, {"match": "*", "destination": "MTA"},
                                {"match": "@d.example", "destination": "d.host.example"}])
    qtmodeltester.check(model)  # Qt's QAbstractItemModelTester stays attached and checks every signal below
    assert model.hidden_by(4) == 3
    assert model.moveRows(QModelIndex(), 4, 1, QModelIndex(), 0)
    assert model.moveRows(QModelIndex(), 0, 2, QModelIndex(), 5)
    assert model.setData(model.index(1, COL_DESTINATION), "other.host.example")
    assert not model.setData(model.index(1, COL_PORT), "70000")
    qtmodeltester.check(model)
    assert [r.match for r in settings.rules] == ["@b.example", "@c.example", "*", "@d.example", "@a.example"]
    assert settings.rules[1].destination == "other.host.example"


def test_rules_model_passes_the_qt_model_tester_when_a_rule_is_added_or_deleted_mid_table(qtmodeltester, model_of):
    # What the tab's Add... (insert below the selected row) and Delete buttons do.
    model, settings = model_of(THREE_RULES)
    qtmodeltester.check(model)
    model.insert_rule(1, Rule(match="@new.example", destination="new.host.example"))
    assert model.removeRows(0, 1)
    qtmodeltester.check(model)
    assert [r.match for r in settings.rules] == ["@new.example", "@b.example", "@c.example"]


def test_moved_rows_are_saved_in_the_new_order_on_apply(gui):
    window = gui.open(rules=THREE_RULES)
    model = window.rules_tab.model
    assert model.moveRows(QModelIndex(), 2, 1, QModelIndex(), 0)  # c to the top
    assert [model.index(r, COL_MATCH).data() for r in range(3)] == ["@c.example", "@a.example", "@b.example"]
    assert rule_matches(gui.saved()["rules"]) == ["@a.example", "@b.example", "@c.example"]  # not yet applied
    gui.apply(window)
    assert window.problems.text() == ""
    saved = gui.saved()["rules"]
    assert rule_matches(saved) == ["@c.example", "@a.example", "@b.example"]
    assert saved[0] == {**THREE_RULES[2], "conversion_host": ""}  # the whole row moved, not just its match

    assert model.moveRows(QModelIndex(), 0, 1, QModelIndex(), 3)  # and back down to the bottom
    gui.apply(window)
    assert rule_matches(gui.saved()["rules"]) == ["@a.example", "@b.example", "@c.example"]


@pytest.mark.parametrize("typed", ["70000", "0", "port"])
def test_invalid_port_is_refused_shown_and_not_saved(gui, typed):
    window = gui.open(rules=THREE_RULES)
    model = window.rules_tab.model
    error = window.findChild(QLabel, "rulesError")
    assert not model.setData(model.index(1, COL_PORT), typed)
    assert "Rule No. 2" in error.text() and "65535" in error.text(), error.text()
    assert model.index(1, COL_PORT).data() == 587
    assert not window.dirty

    assert model.setData(model.index(0, COL_DESTINATION), "new.host.example")  # a good edit clears the error
    assert error.text() == ""
    gui.apply(window)
    saved = gui.saved()["rules"]
    assert saved[1]["port"] == 587
    assert saved[0]["destination"] == "new.host.example"


def test_invalid_match_is_refused_shown_and_not_saved(gui):
    window = gui.open(rules=THREE_RULES)
    model = window.rules_tab.model
    error = window.findChild(QLabel, "rulesError")
    assert not model.setData(model.index(2, COL_MATCH), "c.example")  # the @ is missing
    assert "Rule No. 3" in error.text() and "@domain" in error.text(), error.text()
    assert model.index(2, COL_MATCH).data() == "@c.example"
    assert model.setData(model.index(1, COL_PORT), "465")
    gui.apply(window)
    saved = gui.saved()["rules"]
    assert saved[2]["match"] == "@c.example"
    assert saved[1]["port"] == 465


def test_rule_hidden_by_a_catch_all_above_is_greyed_with_a_tooltip_naming_it(gui):
    window = gui.open(rules=[{"match": "*", "destination": "smarthost.example", "port": 587},
                             {"match": "@x.example", "destination": "x.host.example"}])
    model = window.rules_tab.model
    for col in range(model.columnCount()):
        brush = model.index(1, col).data(Qt.ItemDataRole.ForegroundRole)
        assert isinstance(brush, QBrush) and brush.color() == QColor("gray"), col
        tip = model.index(1, col).data(Qt.ItemDataRole.ToolTipRole)
        assert "No. 1" in tip and "(*)" in tip, tip
        assert model.index(0, col).data(Qt.ItemDataRole.ForegroundRole) is None
        assert model.index(0, col).data(Qt.ItemDataRole.ToolTipRole) is None

    changed = []
    model.dataChanged.connect(lambda *args: changed.append(args))
    assert model.moveRows(QModelIndex(), 1, 1, QModelIndex(), 0)  # @x.example above *: nothing is hidden now
    assert changed, "the view is not told to repaint the rows whose greying changed"
    for row in range(2):
        assert model.index(row, COL_MATCH).data(Qt.ItemDataRole.ForegroundRole) is None
        assert model.index(row, COL_MATCH).data(Qt.ItemDataRole.ToolTipRole) is None


# --- relay ----------------------------------------------------------------------------------


RELAY_BOXES = {"skipLocal": "skip_local", "relayForRuleMatches": "relay_for_rule_matches",
               "checkLocalUsers": "check_local_users", "relayWhenAuthenticated": "relay_when_authenticated"}


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


# --- passwords ------------------------------------------------------------------------------


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


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds the helper through /proc")
def test_receiving_processes_set_in_the_window_start_and_stop_a_helper_on_apply(gui, upstream_factory):
    """Server → Receiving processes: 2 starts one ``receive-worker`` on the same port at Apply, 1 stops it."""
    up = upstream_factory()
    window = gui.open(server={"listen": ["127.0.0.1:0"]},
                      rules=[{"match": "*", "destination": "127.0.0.1", "port": up.port, "tls": "none"}])
    controller = window.controller
    spin = window.findChild(QSpinBox, "processes")
    assert spin.value() == 1 and (spin.minimum(), spin.maximum()) == (1, 16)

    def helpers() -> list[tuple[int, int]]:
        return children_running(os.getpid(), receivers.COMMAND)

    async def started() -> None:
        await controller.start()
        assert helpers() == []

    gui.run(started())
    spin.setValue(2)
    gui.apply(window)
    assert gui.saved()["server"]["processes"] == 2

    async def two() -> None:
        await until(helpers, 10, "a receive-worker child after Apply")
        port = controller.bound[0][1]
        for i in range(6):
            await asyncio.to_thread(send, port, "alice@client.test", [f"p{i}@example.net"], message(f"p{i}"))
        await until(lambda: len(up.messages) >= 6, 15, "six messages at the upstream")

    gui.run(two())
    assert len(helpers()) == 1
    spin.setValue(1)
    gui.apply(window)

    async def one() -> None:
        await until(lambda: not helpers(), 15, "the helper to stop after Apply with 1")
        await controller.stop()

    gui.run(one())
    assert sorted(r for m in up.messages for r in m.rcpt_tos) == sorted(f"p{i}@example.net" for i in range(6))


def test_stop_pressed_while_apply_is_still_reconfiguring_waits_for_it(gui, monkeypatch):
    """Apply (2 → 1 receiving processes) stops the helper; Stop pressed meanwhile runs after it, and stops all."""
    window = gui.open(server={"listen": ["127.0.0.1:0"], "processes": 2})
    controller = window.controller
    release = asyncio.Event()
    stop_helpers = receivers.ReceivingHelpers.stop

    async def held_stop(self) -> None:  # Apply is held inside the gateway until the test lets it go
        await release.wait()
        await stop_helpers(self)

    monkeypatch.setattr(receivers.ReceivingHelpers, "stop", held_stop)

    def helpers() -> list[tuple[int, int]]:
        return children_running(os.getpid(), receivers.COMMAND)

    async def scenario() -> str | None:
        await controller.start()
        await until(helpers, 10, "the receive-worker child")
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
    assert controller.state == "stopped" and not controller.running and not helpers()


# --- the queue ----------------------------------------------------------------------------


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
    window = gui.open(rules=[{"match": "@down.example", "destination": "127.0.0.1", "port": down, "tls": "none"},
                             {"match": "*", "destination": "127.0.0.1", "port": up.port, "tls": "none"}])
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
        await until(lambda: len(re.findall(r"down\.example> relay=.*state=deferred",
                                           window.log_tab.view.toPlainText())) >= 3, 15, "three deferrals logged")
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


def test_queue_shows_mail_stuck_behind_a_down_destination_and_retry_now_delivers_it(gui, upstream_factory):
    down = free_port()
    window = gui.open(rules=[{"match": "*", "destination": "127.0.0.1", "port": down, "tls": "none"}])
    controller = window.controller
    queue = window.queue_tab
    table = queue.table
    assert table.objectName() == "queueTable"
    state: dict = {}

    def cell(row: int, col: int) -> str:
        item = table.item(row, col)
        return item.text() if item else ""

    async def scenario() -> None:
        await controller.start()
        port = controller.bound[0][1]
        window.tabs.setCurrentWidget(queue)
        await asyncio.to_thread(send, port, "alice@client.test", ["bob@far.example"], message("stuck"))
        await until(lambda: table.rowCount() == 1 and "deferred" in cell(0, 2), 15,
                    "the queue view to show the deferred message")
        state["qid"] = cell(0, 0)
        assert "<bob@far.example> deferred" in cell(0, 2)
        assert cell(0, 1) == "<alice@client.test>"
        assert cell(0, 3) == "1"
        assert cell(0, 5), "the last reply (why it is stuck) is not shown"
        stuck = controller.gateway.spool.load(state["qid"])
        assert stuck.recipients[0].next_try > time.time() + 60  # without Retry now it would wait minutes

        state["upstream"] = up = upstream_factory(port=down)
        await asyncio.sleep(0.3)
        assert not up.messages
        table.selectRow(0)
        QTest.mouseClick(queue.retry_button, Qt.MouseButton.LeftButton)
        await until(lambda: len(up.messages) == 1, 15, "the upstream to get the message")
        await until(lambda: table.rowCount() == 0, 10, "the row to disappear")
        assert queue.summary.text() == "0 message(s) in the queue"
        assert controller.gateway.spool.ids() == []

    gui.run(scenario(), timeout=45)
    got = state["upstream"].messages[0]
    assert got.rcpt_tos == ["bob@far.example"] and got.mail_from == "alice@client.test"
    assert b"Subject: stuck" in got.data


# --- which rule catches this address? ----------------------------------------------------


ROUTE_SETTINGS = {
    "local_domains": ["example.jp", "local.test"],
    "local_users": [{"address": "user1@example.jp"}, {"address": "admin@local.test"}],
    "rules": [
        {"match": "user1@example.jp", "destination": "192.168.11.10", "port": 25, "tls": "none"},
        {"match": "@mail2.example.jp", "destination": "192.168.1.100", "port": 11000,
         "conversion_host": "example.jp"},
        {"match": "@example.com", "destination": "MTA"},
        {"match": "@example.jp", "destination": "mail1.example.net"},
        {"match": "@*.example.org", "destination": "relay.example.net", "port": 2525, "tls": "required"},
    ],
    "auth_accounts": {"common": {"username": "isp-id"},
                      "per_user": [{"local_user": "user1@example.jp", "username": "id1"}]},
}
PROBE_RECIPIENTS = ["user1@example.jp", "Someone@Mail2.example.jp", "x@example.com", "user2@example.jp",
                    "a@deep.b.example.org", "admin@local.test", "ghost@local.test", "nobody@nowhere.test"]
GUI_KINDS = {"MTA: local mailbox": "local", "MTA: normal delivery by MX": "mx",
             "refused: no such local user": "unknown-local"}
PROBE = re.compile(r"(?:rule No\. (?P<rule>\d+)|no rule) → (?P<where>[^\n]+)\n"
                   r"sent as RCPT TO:<(?P<rcpt>[^>]*)>, auth account: (?P<auth>[^\n]+)(?:\n\((?P<note>.*)\))?")


def probe_answer(text: str) -> dict:
    m = PROBE.fullmatch(text)
    assert m, f"unexpected probe text: {text!r}"
    where = m["where"]
    if where in GUI_KINDS:
        delivery, destination, port = GUI_KINDS[where], "MTA", None
    else:
        forward = re.fullmatch(r"(.+):(\d+) \(TLS \w+\)", where)
        assert forward, where
        delivery, destination, port = "forward", forward[1], int(forward[2])
    return {"rule": int(m["rule"]) if m["rule"] else None, "destination": destination, "port": port,
            "rcpt": m["rcpt"], "auth": None if m["auth"] == "none" else m["auth"], "delivery": delivery,
            "note": m["note"] or ""}


def test_which_rule_box_agrees_with_the_route_command(gui):
    window = gui.open(make_settings(gui.tmp_path, **ROUTE_SETTINGS))
    tab = window.rules_tab
    rcpt_edit = window.findChild(QWidget, "probeRecipient")
    sender_edit = window.findChild(QWidget, "probeSender")
    result = window.findChild(QLabel, "probeResult")
    seen_kinds = set()
    for sender in ("user1@example.jp", ""):
        cli = subprocess.run([sys.executable, "-m", "app", "route", "--json", "--config", str(gui.config),
                              "--from", sender, *PROBE_RECIPIENTS],
                             cwd=REPO, capture_output=True, text=True, timeout=30)
        assert cli.returncode == 0, cli.stderr
        expected = json.loads(cli.stdout)
        sender_edit.setText(sender)
        for recipient, want in zip(PROBE_RECIPIENTS, expected, strict=True):
            rcpt_edit.clear()
            QTest.keyClicks(rcpt_edit, recipient)
            got = probe_answer(result.text())
            assert got == {k: want[k] for k in got}, (sender, recipient, result.text())
            seen_kinds.add(got["delivery"])
    assert seen_kinds == {"forward", "local", "mx", "unknown-local"}
    # The box follows the grid as it is edited, before Apply.
    assert tab.model.moveRows(QModelIndex(), 3, 1, QModelIndex(), 0)  # @example.jp now above user1@example.jp
    sender_edit.setText("")
    rcpt_edit.setText("user1@example.jp")
    assert probe_answer(result.text())["destination"] == "mail1.example.net"


# --- language -----------------------------------------------------------------------------


def ts_translations() -> dict[str, ET.Element]:
    return {m.findtext("source"): m.find("translation") for m in ET.parse(TS).getroot().iter("message")}


def test_every_tr_string_has_a_finished_japanese_translation():
    translations = ts_translations()
    problems = []
    for source in update_ts.collect():
        translation = translations.get(source)
        if translation is None:
            problems.append(f"not in {TS.name}: {source!r}")
        elif translation.get("type") in ("unfinished", "obsolete", "vanished") or not (translation.text or "").strip():
            problems.append(f"unfinished: {source!r}")
        elif sorted(re.findall(r"\{\d\}", source)) != sorted(re.findall(r"\{\d\}", translation.text)):
            problems.append(f"placeholders differ: {source!r} -> {translation.text!r}")
    assert not problems, "\n".join(problems)


def last_changed(path: Path) -> float:
    """When ``path`` last changed: its commit time when unmodified in git (a checkout sets
    every mtime to the clone's time, in no useful order), else its mtime."""
    try:
        dirty = subprocess.run(["git", "status", "--porcelain", "--", str(path)], cwd=REPO,
                               capture_output=True, text=True, timeout=10)
        committed = subprocess.run(["git", "log", "-1", "--format=%ct", "--", str(path)], cwd=REPO,
                                   capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return path.stat().st_mtime
    if dirty.returncode == 0 and not dirty.stdout.strip() and committed.stdout.strip():
        return float(committed.stdout.strip())
    return path.stat().st_mtime


def test_compiled_qm_is_current_with_the_ts_source(qapp):
    assert QM.is_file(), f"{QM} is missing: run python tools/update_ts.py --release"
    assert last_changed(QM) >= last_changed(TS), f"{QM.name} is older than {TS.name}: run tools/update_ts.py --release"
    translator = QTranslator()
    assert translator.load(str(QM))
    stale = [source for source, translation in ts_translations().items()
             if translator.translate("Tenso", source) != (translation.text or "")]
    assert not stale, f"{QM.name} does not carry these translations of {TS.name}: {stale}"


def untranslated_texts(window: MainWindow, sources: set[str]) -> tuple[list[str], int]:
    """English source strings on show in ``window`` (each tab made current in turn, and the menus),
    and how many texts were looked at."""
    found, looked = [], 0

    def look(where: str, text: str) -> None:
        nonlocal looked
        if text:
            looked += 1
            if text in sources:
                found.append(f"{where}: {text!r}")

    for action in window.menuBar().actions():
        look("menu", action.text())
        for item in action.menu().actions() if action.menu() else []:
            look("menu item", item.text())
    current = window.tabs.currentIndex()
    seen: set[int] = set()
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        for widget in window.findChildren(QWidget):
            if not widget.isVisible() or id(widget) in seen:
                continue
            seen.add(id(widget))
            where = f"{type(widget).__name__} {widget.objectName()}".strip()
            if isinstance(widget, (QLabel, QPushButton, QCheckBox)):
                look(where, widget.text())
            if isinstance(widget, QGroupBox):
                look(where, widget.title())
            if isinstance(widget, QTabWidget):
                for i in range(widget.count()):
                    look(f"{where} tab", widget.tabText(i))
    window.tabs.setCurrentIndex(current)
    return found, looked


def translated_sources() -> set[str]:
    """The tr() strings whose Japanese differs from the English (ID stays ID)."""
    translations = ts_translations()
    return {s for s in update_ts.collect() if s in translations and translations[s].text != s}


def test_window_built_in_japanese_shows_no_english_source_text(gui, english):
    sources = translated_sources()
    assert i18n.install("ja")
    window = gui.open(rules=THREE_RULES)
    left, looked = untranslated_texts(window, sources)
    assert not left, "shown in English:\n" + "\n".join(left)
    assert looked > 60
    ja = {s: t.text for s, t in ts_translations().items()}
    assert window.apply_button.text() == ja["Apply"]
    assert window.tabs.tabText(0) == ja["Routing rules (転送設定)"]
    assert window.rules_tab.model.headerData(COL_MATCH, Qt.Orientation.Horizontal) == ja["Match (識別ドメイン)"]


def test_choosing_japanese_in_the_window_retranslates_every_tab(gui, english):
    sources = translated_sources()
    window = gui.open(rules=THREE_RULES)
    left, _ = untranslated_texts(window, sources)
    assert left  # English to begin with
    window.language.setCurrentIndex(window.language.findData("ja"))
    gui.settle()
    assert i18n.chosen_language() == "ja"
    left, looked = untranslated_texts(window, sources)
    assert not left, "still in English after choosing 日本語:\n" + "\n".join(left)
    assert looked > 60


# --- staying up ------------------------------------------------------------------------------


LOG_FLOOD = """
import logging, sys, time
from pathlib import Path
from PySide6.QtWidgets import QApplication
from app.system import logs
from app import settings as settings_mod
from app.system.logs import setup_for_program as setup_logging
from app.gui.controller import GatewayController
from app.gui.window import MainWindow

app = QApplication([])
setup_logging()  # as app.gui.main: the listener thread feeds stderr, the log file and the window
config = Path(sys.argv[1])
settings = settings_mod.load(config)
controller = GatewayController(config, settings)
window = MainWindow(controller, has_tray=False)
window.show()
log = logging.getLogger("tenso")  # the engine's logger
lines = int(sys.argv[2])
for i in range(lines):
    log.info("Q%06d to=<user@example.jp> relay=192.0.2.1:25 state=sent reply=250 OK", i)
    if i % 50 == 0:
        app.processEvents()
deadline = time.monotonic() + 20
while len(window.log_tab.lines) < lines and time.monotonic() < deadline:
    app.processEvents()
print("shown", len(window.log_tab.lines), flush=True)
window.hide()
controller.close()
logs.stop()
"""


def test_window_process_survives_thousands_of_log_lines(tmp_path):
    # A day of a busy gateway's log: the window shows every line, keeps running and exits cleanly.
    # (PySide6 6.12.0 on Python 3.11: aborts after ~1,600 lines, and at exit after ~60.)
    config = tmp_path / "settings.json"
    settings_mod.save(make_settings(tmp_path), config)
    result = subprocess.run([sys.executable, "-c", LOG_FLOOD, str(config), "4000"], cwd=REPO,
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert "Fatal Python error" not in result.stderr, result.stderr[-1500:]
    assert result.returncode == 0, result.stderr[-1500:]
    assert "shown 4000" in result.stdout


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
