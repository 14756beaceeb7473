"""The window as the console of a running headless gateway (issue 25, item 3).

A real ``python -m app --headless`` process serves its queue; the real window (offscreen) attaches to
it through the control channel: it names the gateway, applies settings to it, hands it passwords
(the gateway's keyring file is not the window's), works its queue, shows its log, and never runs a
gateway of its own nor takes the queue's lock.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
import sys
from pathlib import Path

import keyring
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from app.control.client import connect
from app.gui.console import ConsoleController
from app.gui.rules_model import COL_PORT
from app.status import State
from tests.support.gui import until
from tests.support.processes import TensoProcess, dead_port, free_port, revive, run_app, write_config
from tests.support.smtp import message, send

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the gateway's keyring file follows XDG_DATA_HOME")


class Headless:
    """A headless gateway in tmp_path/gateway, with a keyring file and data folder of its own."""

    def __init__(self, tmp_path: Path, upstream_port: int, **sections):
        self.folder = tmp_path / "gateway"
        self.folder.mkdir(exist_ok=True)
        self.port = free_port()
        self.config = write_config(self.folder, self.port, upstream_port)
        if sections:
            data = json.loads(self.config.read_text(encoding="utf-8"))
            self.config.write_text(json.dumps({**data, **sections}), encoding="utf-8")
        self.queue = self.folder / "queue"
        self.home = self.folder / "xdg-data"  # keyrings.alt's file: $XDG_DATA_HOME/python_keyring/
        self.env = {**os.environ, "XDG_DATA_HOME": str(self.home), "TENSO_DATA_DIR": str(self.folder / "data")}
        self.runs: list[TensoProcess] = []
        self.start()

    def start(self) -> TensoProcess:
        proc = TensoProcess(self.config, self.port, self.folder / f"tenso-{len(self.runs)}.log", env=self.env)
        self.runs.append(proc)
        proc.wait_listening()
        return proc

    @property
    def proc(self) -> TensoProcess:
        return self.runs[-1]

    def call(self, op: str, **args):
        with connect(self.queue) as client:
            return client.call(op, **args)

    def stored(self, key: str) -> str | None:
        """What the gateway's keyring file holds for ``key``."""
        from keyrings.alt.file import PlaintextKeyring

        store = PlaintextKeyring()
        store.file_path = str(self.home / "python_keyring" / "keyring_pass.cfg")
        return store.get_password("tenso", key)

    def close(self) -> None:
        for proc in self.runs:
            proc.close()


@pytest.fixture
def headless(tmp_path, upstream_factory):
    made: list[Headless] = []

    def start(upstream_port: int, **sections) -> Headless:
        made.append(Headless(tmp_path, upstream_port, **sections))
        return made[-1]

    yield start
    for gateway in made:
        gateway.close()


def _locks_of(pid: int) -> list[str]:
    """The lines of /proc/locks held by ``pid`` (flock and fcntl locks alike)."""
    return [line for line in Path("/proc/locks").read_text().splitlines() if line.split()[4] == str(pid)]


def _applied(gui, window) -> None:
    """Clicks Apply and waits until the window says how it went (the status bar, or a problem)."""
    window.statusBar().clearMessage()
    window.problems.setText("")
    window.apply_button.click()
    gui.run(
        until(lambda: window.statusBar().currentMessage() or window.problems.text(), 20, "Apply to report"),
    )


def test_the_window_attaches_to_the_running_headless_gateway_and_says_which_it_is(gui, headless, upstream_factory):
    up = upstream_factory()
    gw = headless(up.port)
    window = gui.attach(gw.queue)
    controller = window.controller
    pid = gw.proc.proc.pid
    assert isinstance(controller, ConsoleController) and controller.gateway is None
    assert window.windowTitle() == f"Tenso — console of the headless gateway (pid {pid})"
    status = window.status_tab
    window.tabs.setCurrentWidget(status)
    gui.run(until(lambda: status.listening.text() == f"listening on 127.0.0.1:{gw.port}", 10, "the Status tab"))
    engine = status.engine.text()
    assert engine.startswith(f"Console of the headless gateway: pid {pid}, running since ")
    assert str(gw.config) in engine and status.engine.isVisible()
    assert status.state.text() == "Running"
    assert f"listening on 127.0.0.1:{gw.port}" in window.state_label.text()
    assert not window.start_button.isEnabled() and window.stop_button.isEnabled()
    # The working copy is what the gateway runs, from its own file.
    assert window.working.rules[0].port == up.port and window.working.source == gw.config
    # Never a second gateway, never the queue's lock: the lock is the headless process's alone.
    assert _locks_of(os.getpid()) == []
    assert _locks_of(pid), "the headless gateway holds no lock?"

    window.stop_button.click()  # a headless gateway is stopped where it was started
    gui.run(until(lambda: f"kill -TERM {pid}" in window.hint.text(), 5, "Stop to say how"))
    assert gw.proc.proc.poll() is None
    assert gw.call("engine")["pid"] == pid


def test_a_rule_changed_and_applied_in_the_console_routes_the_gateways_mail(gui, headless, upstream_factory):
    first, second = upstream_factory(), upstream_factory()
    gw = headless(first.port)
    window = gui.attach(gw.queue)
    model = window.rules_tab.model
    assert model.setData(model.index(0, COL_PORT), str(second.port), Qt.ItemDataRole.EditRole)
    assert window.dirty
    _applied(gui, window)
    assert window.problems.text() == ""
    assert window.statusBar().currentMessage() == "Settings applied: the gateway saved and reloaded them"
    assert gw.call("settings.get")["settings"]["rules"][0]["port"] == second.port
    assert json.loads(gw.config.read_text(encoding="utf-8"))["rules"][0]["port"] == second.port
    assert not window.dirty
    send(gw.port, "alice@client.test", ["bob@far.example"], message("through the new rule"))
    (got,) = second.handler.wait_for(1)
    assert b"Subject: through the new rule" in got.data
    assert first.messages == []
    gw.proc.wait_log(r"settings reloaded from .*\(applied through the control channel\)")


def test_a_broken_change_is_refused_naming_the_field_and_the_gateway_keeps_its_settings(
    gui, headless, upstream_factory
):
    up = upstream_factory()
    gw = headless(up.port)
    before = gw.call("settings.get")["settings"]
    window = gui.attach(gw.queue)

    window.working.server.max_recipients = 0  # the window's own check, as for its own gateway
    _applied(gui, window)
    assert window.problems.text().startswith("Not saved. Fix these first:")
    assert "server.max_recipients" in window.problems.text()

    with socket.socket() as holder:  # passes every check; the gateway cannot take it
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        window.working.server.max_recipients = before["server"]["max_recipients"]
        window.working.server.listen = [f"127.0.0.1:{taken}"]
        _applied(gui, window)
        text = window.problems.text()
        assert text, window.statusBar().currentMessage()
        assert text.startswith("Not applied: the gateway refused the settings and runs on as before:"), text
        assert f"127.0.0.1:{taken}" in text
    assert gw.call("settings.get")["settings"] == before
    assert gw.call("status")["listening"] == [f"127.0.0.1:{gw.port}"]
    assert window.dirty  # the edits stay in the window, to be fixed


def test_a_password_typed_in_the_console_is_kept_by_the_gateways_keyring_not_the_windows(
    gui, headless, upstream_factory
):
    up = upstream_factory()
    gw = headless(up.port)
    window = gui.attach(gw.queue)
    password = "pw-" + secrets.token_hex(8)
    field = window.auth_tab.common_password
    gui.run(until(lambda: field.status.text() == "not set", 10, "the field to ask the gateway"))
    QTest.keyClicks(field.edit, password)
    QTest.mouseClick(field.save_button, Qt.MouseButton.LeftButton)
    gui.run(until(lambda: field.status.text() == "saved", 10, "the field to say saved"))
    assert gw.stored("common") == password
    assert keyring.get_password("tenso", "common") != password  # the window's own keyring never had it
    assert gw.call("password.is_set", key="common") == {"key": "common", "set": True}
    assert password not in gw.proc.log
    gw.proc.wait_log(r"password for common stored in the gateway's keyring")


def test_the_queue_tab_bounces_and_retries_the_gateways_mail_through_the_channel(gui, headless, upstream_factory):
    down = dead_port()
    gw = headless(down)
    window = gui.attach(gw.queue)
    queue = window.queue_tab
    table = queue.table
    answered: list[str] = []
    bounced: list[str] = []
    window.controller.bounced.connect(bounced.append)  # the tray's "mail returned to sender"

    def answer_yes() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, answer_yes)
            return
        answered.append(box.text())
        box.button(QMessageBox.StandardButton.Yes).click()

    def rows() -> dict[str, str]:
        return {table.item(r, 0).text(): table.item(r, 2).text() for r in range(table.rowCount())}

    async def scenario() -> None:
        window.tabs.setCurrentWidget(queue)
        await asyncio.to_thread(send, gw.port, "alice@client.test", ["bob@far.example"], message("stuck"))
        await until(lambda: any("deferred" in s for s in rows().values()), 20, "the deferred message in the tab")
        (qid,) = rows()
        table.selectRow(0)
        QTimer.singleShot(0, answer_yes)
        QTest.mouseClick(queue.bounce_button, Qt.MouseButton.LeftButton)
        await until(lambda: answered, 10, "the confirmation")
        # The bounce to alice is queued (to the same dead destination); bob is given up.
        await until(lambda: qid not in rows() and len(rows()) == 1, 20, "the bounce to replace the message")
        (bounce,) = rows()
        assert "<alice@client.test>" in rows()[bounce]
        await until(lambda: bounced, 10, "the bounce's log line to reach the window")
        assert f"{qid} bounced: DSN ({bounce})" in bounced[0]

        revive(down)
        up = upstream_factory(port=down)
        QTest.mouseClick(queue.retry_all_button, Qt.MouseButton.LeftButton)
        await until(lambda: len(up.messages) == 1, 20, "Retry all to deliver the bounce")
        await until(lambda: table.rowCount() == 0, 10, "the queue tab to empty")
        assert up.messages[0].rcpt_tos == ["alice@client.test"]

    gui.run(scenario(), timeout=60)
    gw.proc.wait_log(r"bounced")


def test_the_log_tab_shows_the_gateways_new_lines_and_the_state_follows_the_command_line(
    gui, headless, upstream_factory
):
    up = upstream_factory()
    gw = headless(up.port)
    window = gui.attach(gw.queue)
    log_tab = window.log_tab
    gui.run(until(lambda: any("running (headless)" in line for line in log_tab.lines), 10, "the recent lines"))
    result = run_app("queue", "pause", "--config", str(gw.config))
    assert result.returncode == 0, result.stderr
    gui.run(until(lambda: any("delivery paused" in line for line in log_tab.lines), 10, "the new line"))
    gui.run(until(lambda: window.controller.state == State.PAUSED, 10, "the window to see the pause"))
    assert "delivery paused" in log_tab.view.toPlainText()
    gui.run(window.controller._pause(False))  # the window's Resume goes to the gateway
    gw.proc.wait_log(r"delivery resumed")


def test_when_the_gateway_stops_the_console_says_so_and_attaches_again_when_it_is_back(gui, headless, upstream_factory):
    up = upstream_factory()
    gw = headless(up.port)
    window = gui.attach(gw.queue)
    controller = window.controller
    first = gw.proc.proc.pid
    gw.proc.proc.terminate()
    gw.proc.proc.wait(15)
    gui.run(until(lambda: controller.state == State.STOPPED, 10, "the console to see the gateway gone"))
    assert f"the headless gateway (pid {first}) has stopped" in window.state_label.text()
    assert window.start_button.isEnabled()
    assert _locks_of(os.getpid()) == []  # it did not take the queue over

    again = gw.start().proc.pid
    gui.run(until(lambda: controller.running, 20, "the console to attach again"))
    assert window.windowTitle() == f"Tenso — console of the headless gateway (pid {again})"
    assert f"pid {again}," in window.status_tab.engine.text()


def test_the_desktop_attaches_instead_of_starting_and_start_after_the_gateway_left_runs_its_own(
    gui, headless, upstream_factory
):
    """app.gui.main's Desktop: a console while the gateway runs (no gateway of its own, the tray shows
    the attached gateway's state); once it has gone, Start gives the window its own gateway."""
    from app.gui.console import find_gateway
    from app.gui.controller import GatewayController
    from app.gui.main import Desktop

    up = upstream_factory()
    gw = headless(up.port)
    desktop = Desktop(gw.config, has_tray=True)
    found = find_gateway(gw.config)
    assert found is not None and found[0].pid == gw.proc.proc.pid
    desktop.attach(*found)
    console = desktop.controller
    assert isinstance(console, ConsoleController)
    gui.consoles.append(console)
    gui.windows.append(desktop.window)
    gui.others.append(desktop.tray)
    desktop.window.show()  # as main() does
    gui.run(until(lambda: console.listening, 10, "the first status"))  # the Status tab asked
    assert desktop.tray.toolTip().startswith("Tenso: running")
    gui.run(console._pause(True))
    gui.run(until(lambda: desktop.tray.toolTip().startswith("Tenso: running, delivery paused"), 5, "the tray"))

    gw.proc.proc.terminate()
    gw.proc.proc.wait(15)
    gui.run(until(lambda: console.state == State.STOPPED, 10, "the console to see the gateway gone"))
    assert desktop.tray.toolTip().startswith("Tenso: stopped")
    desktop.window.start_button.click()  # own_requested: the desktop opens a window with its own gateway
    gui.run(until(lambda: isinstance(desktop.controller, GatewayController), 10, "the window's own gateway"))
    own = desktop.controller
    gui.controllers.append(own)
    gui.windows.append(desktop.window)
    gui.run(until(lambda: own.running, 15, "its gateway to start"))
    assert own.gateway is not None and own.gateway.bound == [("127.0.0.1", gw.port)]
    assert desktop.window.windowTitle() == "Tenso"
    assert desktop.tray.toolTip().startswith("Tenso: running")
    engine = gui.run(asyncio.to_thread(gw.call, "engine"))  # (the gateway answers on this loop)
    assert engine["mode"] == "window" and engine["pid"] == os.getpid()  # the queue's channel is now this window's


def test_the_queue_looked_for_comes_from_the_last_good_copy_when_the_file_has_a_typo(tmp_path):
    """A gateway runs fine on its previous settings while the file has a typo: the window still
    finds it (and then shows what the gateway runs), instead of a dialog about the broken file."""
    from app import settings as settings_mod
    from app.gui.console import queue_of
    from tests.support.gateway import make_settings

    config = tmp_path / "settings.json"
    good = make_settings(tmp_path)
    settings_mod.save(good, settings_mod.last_good_path(config))
    config.write_text('{"server": {"listen": ["127.0.0.1:0"],}}', encoding="utf-8")
    assert queue_of(config) == good.queue_dir
    settings_mod.last_good_path(config).unlink()
    assert queue_of(config) == settings_mod.from_dict({}, source=config).queue_dir


def test_the_console_names_its_gateway_in_japanese_after_a_language_switch(gui, headless, upstream_factory, english):
    up = upstream_factory()
    gw = headless(up.port)
    window = gui.attach(gw.queue)
    pid = gw.proc.proc.pid
    window.language.setCurrentIndex(window.language.findData("ja"))
    assert window.windowTitle() == f"Tenso — 画面なし(--headless)のゲートウェイのコンソール (PID {pid})"
    engine = window.status_tab.engine.text()
    assert engine.startswith(f"画面なし(--headless)のゲートウェイのコンソール: PID {pid}、"), engine
    assert "から動作中、設定ファイル" in engine and str(gw.config) in engine
    window.stop_button.click()
    gui.run(until(lambda: f"kill -TERM {pid}" in window.hint.text(), 5, "Stop to say how, in Japanese"))
    assert window.hint.text().startswith("このウィンドウは画面なし(--headless)のゲートウェイ")


def test_an_oauth_sign_in_in_the_console_leaves_the_tokens_with_the_gateway(gui, headless, upstream_factory):
    """The window runs the browser part; the gateway's process keeps the tokens (account.tokens)."""
    import threading

    from app.accounts import service
    from tests.support.oauth import AuthServer, browse

    server = AuthServer()
    try:
        up = upstream_factory()
        account = {"name": "console-signin", "username": server.user, "oauth2": server.oauth2()}
        gw = headless(up.port, accounts=[account])
        window = gui.attach(gw.queue)
        box = window.auth_tab.accounts
        box.opens_browser = False  # the test is the browser
        box.controller.sign_in_url.connect(
            lambda url: threading.Thread(target=browse, args=(url,), daemon=True).start()
        )
        window.tabs.setCurrentWidget(window.auth_tab)
        gui.run(until(lambda: box.table.rowCount() == 1, 5, "the account row"))
        box.table.selectRow(0)

        async def scenario() -> None:
            box.sign_in_button.click()
            await until(lambda: "signed in" in box.message.text(), 20, "the sign-in to finish")
            await until(lambda: "token valid until" in box.table.item(0, 3).text(), 5, "the state cell")

        gui.run(scenario())
        (state,) = gw.call("account.status", name="console-signin")
        assert state["signed_in"] is True and state["expires"]
        assert not service.account_status(window.working, "console-signin").signed_in  # not in the window's store
        gw.proc.wait_log(
            r"account console-signin: signed in \(the tokens were handed over through the control channel\)"
        )
    finally:
        server.stop()


def test_a_console_of_another_windows_gateway_says_so_and_leaves_stopping_to_that_window(gui):
    own = gui.open(server={"listen": [f"127.0.0.1:{free_port()}"]})
    gui.run(own.controller.start())
    console = gui.attach(own.controller.settings.queue_dir)
    pid = os.getpid()
    assert console.windowTitle() == f"Tenso — console of the gateway of another Tenso window (pid {pid})"
    console.stop_button.click()
    gui.run(until(lambda: "stop it there, or quit that window" in console.hint.text(), 5, "Stop to say how"))
    assert own.controller.running  # nothing stopped it


def test_the_history_tab_of_the_console_shows_the_gateways_messages(gui, headless, upstream_factory):
    up = upstream_factory()
    gw = headless(up.port)
    window = gui.attach(gw.queue)
    send(gw.port, "alice@client.test", ["bob@far.example"], message("in the history"))
    up.handler.wait_for(1)
    found = gui.run(until_found(window.controller))
    assert found[0]["subject"] == "in the history" and found[0]["recipients"][0]["address"] == "bob@far.example"
    window.tabs.setCurrentWidget(window.history_tab)
    model = window.history_tab.view.model()
    gui.run(until(lambda: model.rowCount() >= 1, 10, "the History tab to show the message"))


async def until_found(controller) -> list:
    """The gateway's history, once the delivery is recorded (its writer thread keeps up in a moment)."""
    for _ in range(100):
        found = await controller.history("history", {"limit": 10})
        if found and found[0]["recipients"][0]["state"] != "deferred":
            return found
        await asyncio.sleep(0.1)
    raise AssertionError("the message never reached the gateway's history")
