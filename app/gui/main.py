"""Starting the desktop program: QApplication, one qasync loop, window, tray, gateway.

Follows qasync's own pattern: the gateway's servers are created on the same
loop that runs the window, and every blocking call goes to a thread.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import signal
import sys
from pathlib import Path
from typing import cast

import qasync
from PySide6.QtCore import QByteArray, QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QApplication, QMessageBox, QSystemTrayIcon

from app import settings as settings_mod
from app.gui import console, i18n
from app.gui import controller as engine
from app.gui.console import Controller
from app.gui.controller import GatewayController, State
from app.gui.i18n import tr, tr_later
from app.gui.tray import Tray, state_icon
from app.gui.window import MainWindow
from app.problems import Problem, worded
from app.settings import Settings, SettingsError

log = logging.getLogger("tenso")


def wake_on_signals() -> object:
    """Lets Python run its signal handlers (SIGTERM, Ctrl+C) while Qt's loop waits in C.

    Python runs them only between bytecodes.  ``signal.set_wakeup_fd`` writes a byte to a
    socket when a signal comes, and a QSocketNotifier on the other end runs Python at once;
    a 250 ms timer did the same by waking the window four times a second all day, in the
    tray too.  Where the wake-up socket cannot be set, the timer it is."""
    import socket

    from PySide6.QtCore import QSocketNotifier

    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    try:
        signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    except (ValueError, OSError):
        reader.close()
        writer.close()
        timer = QTimer()
        timer.timeout.connect(lambda: None)
        timer.start(250)
        return timer
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read)

    def drain() -> None:
        try:
            reader.recv(512)
        except OSError:
            pass

    notifier.activated.connect(drain)
    return reader, writer, notifier


def instance_name() -> str:
    return f"tenso-{getpass.getuser()}"


def ask_first_instance_to_show(name: str) -> bool:
    """True when another Tenso answered (and was asked to bring its window forward)."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(500):
        return False
    socket.write(QByteArray(b"show\n"))
    socket.waitForBytesWritten(500)
    socket.disconnectFromServer()
    return True


class SingleInstance:
    def __init__(self, name: str, on_show):
        self.server = QLocalServer()
        QLocalServer.removeServer(name)  # a stale socket from a crashed run
        self.server.listen(name)
        self.server.newConnection.connect(lambda: self._accept(on_show))

    def _accept(self, on_show) -> None:
        while self.server.hasPendingConnections():
            conn = self.server.nextPendingConnection()
            conn.readyRead.connect(lambda conn=conn: (conn.readAll(), on_show()))


def keyring_hint(window_parent=None) -> str:
    problem = engine.keyring_problem()
    if not problem:
        return ""
    return tr_later(  # the window translates it where it shows it (again after a language switch)
        "No OS keyring is available, so passwords cannot be stored safely. "
        "You can choose to keep them in a file in Tenso's data folder: anyone who can read "
        "your user account's files can read them. Until you choose, forwarding with SMTP AUTH "
        "and local user logins cannot work."
    )


def show_window(window: MainWindow) -> None:
    window.show()
    window.raise_()
    window.activateWindow()


def _problems_text(path: Path, problems: list[Problem]) -> str:
    return tr("The settings file {0} has problems:").format(path) + "\n\n" + "\n".join(worded(p, tr) for p in problems)


def ask_about_broken_settings(config: Path, problems: list[Problem], last_good: Path | None) -> str:
    """The settings file has problems: "last-good" (start with the copy kept), or "quit".
    "Open the folder" shows the file in the file manager and asks again."""
    box = QMessageBox(QMessageBox.Icon.Critical, "Tenso", _problems_text(config, problems))
    box.setObjectName("brokenSettings")
    folder = box.addButton(tr("Open the folder"), QMessageBox.ButtonRole.ActionRole)
    good = (
        box.addButton(tr("Start with the last good settings"), QMessageBox.ButtonRole.AcceptRole) if last_good else None
    )
    quit_ = box.addButton(tr("Quit"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(good or quit_)
    while True:
        box.exec()
        clicked = box.clickedButton()
        if clicked is folder:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(config.parent)))
            continue
        return "last-good" if good is not None and clicked is good else "quit"


def load_at_start(config: Path, ask=ask_about_broken_settings) -> tuple[Settings, Path] | None:
    """The settings to start with and the file they came from; None to quit.  A file that loads
    is kept as the last good copy, which a later broken file can fall back on."""
    try:
        settings = settings_mod.load(config)
    except SettingsError as exc:
        last_good = settings_mod.last_good_path(config)
        if ask(config, exc.problems, last_good if last_good.exists() else None) != "last-good":
            return None
        try:
            return settings_mod.load(last_good), last_good
        except SettingsError as again:
            QMessageBox.critical(None, "Tenso", _problems_text(last_good, again.problems))
            return None
    if config.exists():
        engine.keep_last_good(settings, config)
    return settings, config


class Desktop:
    """The window, its controller and the tray.  The window is either the console of a gateway that
    already runs on the queue (app/gui/console.py) or runs its own; a console whose gateway has
    gone gives way to a window with its own gateway when Start is pressed."""

    def __init__(self, config: Path, has_tray: bool):
        self.config = Path(config)
        self.has_tray = has_tray
        self.window: MainWindow | None = None
        self.controller: Controller | None = None
        self.quitting: asyncio.Event | None = None
        self.tray = Tray() if has_tray else None
        if self.tray is not None:
            tray = self.tray
            tray.open_requested.connect(self._bring_forward)
            tray.start_requested.connect(lambda: self.controller and asyncio.ensure_future(self.controller.start()))
            tray.stop_requested.connect(lambda: self.controller and asyncio.ensure_future(self.controller.stop()))
            tray.pause_requested.connect(lambda paused: self.controller and self.controller.pause(paused))
            tray.quit_requested.connect(lambda: self.window and self.window.request_quit())  # asks about edits

    def _bring_forward(self) -> None:
        if self.window is not None:
            show_window(self.window)

    def attach(self, attached: console.Attached, settings: Settings) -> None:
        """The window as the console of the gateway that runs on the queue: it starts none."""
        controller = console.ConsoleController(attached, settings)
        controller.own_requested.connect(self.switch_to_own)
        log.info(
            "the window is the console of the %s gateway (pid %d) on %s", attached.mode, attached.pid, attached.queue
        )
        self._show(controller, MainWindow(controller, self.has_tray))
        controller.follow_log()

    def open_own(self, first_run: bool) -> bool:
        """The window with its own gateway (not started yet); False to quit (broken settings)."""
        loaded = load_at_start(self.config)
        if loaded is None:
            return False
        settings, started_from = loaded
        controller = GatewayController(self.config, settings)
        window = MainWindow(controller, self.has_tray, keyring_hint())
        if started_from != self.config:
            window.show_hint(
                tr_later(
                    "Started with the last good settings ({0}): {1} still has problems. "
                    "Apply saves these settings over it."
                ),
                started_from,
                self.config,
            )
        if first_run:
            window.offer_lan_relay()
            window.offer_assistant()
            window.tabs.setCurrentWidget(window.rules_tab)
            window.show_hint(
                tr_later(
                    "Welcome to Tenso. First: add a routing rule (for example * → your ISP's "
                    "server, port 587), put its ID in Auth accounts and its password, list your "
                    "LAN under Relay, then press Apply."
                )
            )
        if engine.keyring_problem():

            def choose_file_keyring() -> None:
                path = engine.choose_file_keyring()
                window.keyring_problem = ""  # solved: Apply and a language change no longer show it
                window.show_hint(tr_later("Passwords are now kept in {0}."), path)
                log.warning("passwords are kept in the file %s (chosen in the window)", path)

            window.add_offer("fileKeyring", tr_later("Use a file keyring in the data folder"), choose_file_keyring)
        self._show(controller, window)
        return True

    def _show(self, controller: Controller, window: MainWindow) -> None:
        old_window, old_controller = self.window, self.controller
        self.controller, self.window = controller, window
        window.quit_requested.connect(self._quit)
        tray = self.tray
        if tray is not None:
            controller.state_changed.connect(tray.show_state)
            controller.bounced.connect(lambda line: tray.showMessage(tr("Tenso: mail returned to sender"), line))
            controller.failing.connect(lambda line: tray.showMessage(tr("Tenso: a destination keeps failing"), line))
            controller.alert.connect(lambda title, text: tray.showMessage(title, text))  # app/alerts/
            controller.account_failed.connect(
                lambda line: tray.showMessage(tr("Tenso: an account must sign in again"), line)
            )
            controller.token_refused.connect(
                lambda line: tray.showMessage(tr("Tenso: a token request was refused; the mail waits"), line)
            )
            window.status_tab.notes_changed.connect(tray.set_notes)
            tray.show_state(controller.state, controller.detail)
        if old_window is not None and old_controller is not None:
            old_controller.close()
            old_window.hide()
            old_window.deleteLater()
            old_controller.deleteLater()
            show_window(window)

    def switch_to_own(self) -> None:
        """The console's gateway has gone and Start was pressed: this window runs its own."""
        if self.open_own(first_run=False) and isinstance(self.controller, GatewayController):
            asyncio.ensure_future(self.controller.start())

    def _quit(self) -> None:
        if self.quitting is not None:
            self.quitting.set()


def run(config: Path) -> int:
    app = cast(QApplication, QApplication.instance() or QApplication(sys.argv))  # a widgets application
    app.setApplicationName("Tenso")
    app.setQuitOnLastWindowClosed(False)
    app.setWindowIcon(state_icon(State.RUNNING))
    i18n.install(i18n.chosen_language())

    name = instance_name()
    if ask_first_instance_to_show(name):
        print("Tenso is already running; its window was brought forward.", file=sys.stderr)
        return 0

    engine.setup_logging()
    engine.restore_keyring_choice()
    first_run = not Path(config).exists()
    desktop = Desktop(Path(config), QSystemTrayIcon.isSystemTrayAvailable())
    # Before any window exists (nothing to keep responsive yet): does a gateway already run on the
    # queue?  Then the window is its console; it never takes the queue's lock.
    try:
        found = console.find_gateway(Path(config))
    except console.NotAllowed as exc:
        QMessageBox.critical(
            None,
            "Tenso",
            tr(
                "A Tenso gateway already runs on this queue as another user, and this user may not "
                "command it. Start Tenso as that user or as an administrator to use its window."
            )
            + "\n\n"
            + str(exc),
        )
        return 1
    if found is not None:
        desktop.attach(*found)
    elif not desktop.open_own(first_run):
        return 1

    def bring_forward() -> None:
        if desktop.window is not None:
            show_window(desktop.window)

    SingleInstance(name, bring_forward)
    if desktop.tray is not None:
        desktop.tray.show()

    async def main() -> None:
        quitting = desktop.quitting = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: loop.call_soon_threadsafe(quitting.set))
        wake = wake_on_signals()  # held until the end
        assert desktop.window is not None and desktop.controller is not None
        show_window(desktop.window)
        if isinstance(desktop.controller, GatewayController):
            await desktop.controller.start()
        else:
            await desktop.controller.status()  # the attached gateway's state (paused?), for the tray too
        await quitting.wait()
        # Stop while the loop still runs: ports closed, deliveries finished or left to the spool.
        # A console leaves its gateway running.
        controller = desktop.controller
        if isinstance(controller, GatewayController):
            await controller.stop()
        controller.close()
        if desktop.tray:
            desktop.tray.hide()
        del wake

    try:
        qasync.run(main())
    except asyncio.CancelledError:
        pass
    return 0
