"""The settings window: one tab per concern, Apply / Cancel, language, gateway state.

The tabs edit a working copy of the settings.  Apply validates the copy as a
whole (the same checks as ``python -m app check``), saves it atomically and
hands it to the running gateway; Cancel throws the copy away.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app import settings as settings_mod
from app.gui import console, i18n
from app.gui.assistant import SetupAssistant
from app.gui.console import Controller
from app.gui.controller import FailedPart, State
from app.gui.i18n import tr, tr_later
from app.gui.tabs.auth_tab import AuthTab
from app.gui.tabs.history_tab import HistoryTab
from app.gui.tabs.log_tab import LogTab
from app.gui.tabs.queue_tab import QueueTab
from app.gui.tabs.relay_tab import RelayTab
from app.gui.tabs.rules_tab import RulesTab
from app.gui.tabs.server_tab import ServerTab
from app.gui.tabs.status_tab import StatusTab
from app.gui.tabs.users_tab import UsersTab
from app.gui.widgets import placeholders_fit, wheel_only_when_focused
from app.problems import worded
from app.settings import SettingsError

STATE_TEXT = {
    State.RUNNING: tr_later("Running"),
    State.STOPPED: tr_later("Stopped"),
    State.PAUSED: tr_later("Running, delivery paused"),
    State.ERROR: tr_later("Error"),
}


LAN = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")


@dataclass(eq=False)
class Offer:
    """A first-start choice: the button's name and English text, what it does, and (when it can
    be undone by Cancel) whether it is still to be made."""

    name: str
    text: str
    action: Callable[[], object]
    needed: Callable[[], bool] | None = None


APPLIED_SECONDS = 5  # how long the status bar says Apply worked


class MainWindow(QMainWindow):
    quit_requested = Signal()
    tabs: QTabWidget  # made by build(), again on a language change

    def __init__(self, controller: Controller, has_tray: bool, keyring_problem: str = ""):
        super().__init__()
        self.controller = controller
        self.has_tray = has_tray
        self.keyring_problem = keyring_problem
        self.working = settings_mod.copy(controller.settings)
        self.saved_snapshot = settings_mod.to_dict(controller.settings)
        # The banner and the first-start choices as English sources: a rebuild (Cancel, a
        # language change, an import) shows them again, in the language of the moment.
        self.hint_text: tuple[str, tuple[object, ...]] = ("", ())
        self.offers: list[Offer] = []
        self.confirmed = ""  # the status bar's last word (English source)
        self.log_tab = LogTab()
        controller.log_line.connect(self.log_tab.append)
        controller.state_changed.connect(self.show_state)
        controller.settings_taken.connect(self.settings_taken)
        if isinstance(controller, console.ConsoleController):
            controller.told.connect(lambda text, args: self.show_hint(text, *args))
            controller.attached_changed.connect(self.show_title)
        self.show_title()
        self.resize(980, 700)
        self.build_menu()
        self.build()
        self.show_state(controller.state, controller.detail)

    # --- building (and rebuilding on a language change) ---

    def build(self) -> None:
        old_index = self.tabs.currentIndex() if hasattr(self, "tabs") else 0
        self.tabs = QTabWidget()
        # Room under the text: with a CJK fallback font in some labels, Latin descenders (g, y)
        # were cut off at 100% scaling.
        self.tabs.tabBar().setStyleSheet("QTabBar::tab { padding: 4px 12px 5px 12px; }")
        self.tabs.setObjectName("tabs")
        self.rules_tab = RulesTab(self.working)
        self.rules_tab.assistant_requested.connect(self.open_assistant)
        self.auth_tab = AuthTab(self.working, self.controller)
        self.relay_tab = RelayTab(self.working)
        self.users_tab = UsersTab(self.working)
        paused = self.controller.paused
        self.server_tab = ServerTab(self.working, paused, self.controller)
        self.server_tab.pause_toggled.connect(self.controller.pause)
        self.queue_tab = QueueTab(self.controller)
        self.history_tab = HistoryTab(self.controller)
        self.queue_tab.history_requested.connect(self.show_history)
        self.status_tab = StatusTab(self.controller)
        self.tabs.addTab(self.status_tab, tr("Status"))
        self.tabs.addTab(self.rules_tab, tr("Routing rules (転送設定)"))
        self.tabs.addTab(self.auth_tab, tr("Auth accounts (認証)"))
        self.tabs.addTab(self.relay_tab, tr("Relay (中継)"))
        self.tabs.addTab(self.users_tab, tr("Local users"))
        self.tabs.addTab(self.server_tab, tr("Server"))
        self.tabs.addTab(self.queue_tab, tr("Queue"))
        self.tabs.addTab(self.history_tab, tr("History"))
        self.tabs.addTab(self.log_tab, tr("Log"))
        self.tabs.currentChanged.connect(self._tab_changed)
        self.tabs.setCurrentIndex(max(old_index, 0))

        self.hint = QLabel()
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("background: #fff8dc; padding: 6px; border: 1px solid #e0d8a8")
        self.hint.setVisible(False)
        text, args = self.hint_text
        self.show_hint(text or self.keyring_problem, *args)

        self.state_label = QLabel()
        self.state_label.setObjectName("stateLabel")
        self.start_button = QPushButton(tr("Start"))
        self.stop_button = QPushButton(tr("Stop"))
        self.start_button.clicked.connect(self.start_gateway)
        self.stop_button.clicked.connect(self.stop_gateway)
        self.language = QComboBox()
        self.language.setObjectName("language")
        for code, name in i18n.LANGUAGES.items():
            self.language.addItem(name, code)
        self.language.setCurrentIndex(list(i18n.LANGUAGES).index(i18n.chosen_language()))
        self.language.currentIndexChanged.connect(self.change_language)
        self.apply_button = QPushButton(tr("Apply"))
        self.apply_button.setObjectName("apply")
        self.cancel_button = QPushButton(tr("Cancel"))
        self.cancel_button.setObjectName("cancel")
        self.apply_button.clicked.connect(self.apply)
        self.cancel_button.clicked.connect(self.cancel)
        self.problems = QLabel()
        self.problems.setObjectName("problems")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #b00020")

        bottom = QHBoxLayout()
        bottom.addWidget(self.state_label, 1)
        bottom.addWidget(self.start_button)
        bottom.addWidget(self.stop_button)
        bottom.addWidget(QLabel(tr("Language")))
        bottom.addWidget(self.language)
        bottom.addWidget(self.apply_button)
        bottom.addWidget(self.cancel_button)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.hint)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.problems)
        layout.addLayout(bottom)
        self.setCentralWidget(central)
        for offer in self.offers:
            self._place(offer)
        wheel_only_when_focused(self)
        placeholders_fit(self)
        self.show_state(self.controller.state, self.controller.detail)

    @property
    def attached(self) -> console.Attached | None:
        """The gateway this window is the console of; None when it runs its own."""
        return self.controller.attached if isinstance(self.controller, console.ConsoleController) else None

    def show_title(self) -> None:
        attached = self.attached
        self.setWindowTitle(console.title(attached) if attached else "Tenso")
        if hasattr(self, "status_tab"):
            self.status_tab.show_engine()

    def settings_taken(self, settings: settings_mod.Settings) -> None:
        """The gateway took settings from elsewhere (``reload``, the command line): the tabs show
        them, unless edits not applied yet would be lost (Cancel shows them then)."""
        if self.dirty:
            return
        self.working = settings_mod.copy(settings)
        self.saved_snapshot = settings_mod.to_dict(settings)
        self.build()

    def build_menu(self) -> None:
        self.menuBar().clear()
        menu = self.menuBar().addMenu(tr("File"))
        self.import_action = menu.addAction(tr("Import settings..."))
        self.export_action = menu.addAction(tr("Export settings..."))
        menu.addSeparator()
        quit_action = menu.addAction(tr("Quit"))
        self.import_action.triggered.connect(self.import_settings)
        self.export_action.triggered.connect(self.export_settings)
        quit_action.triggered.connect(self.request_quit)

    def export_settings(self, path: str | None = None) -> bool:
        """Writes the current working settings as JSON (no passwords: they live in the keyring)."""
        if not path:
            path, _ = QFileDialog.getSaveFileName(self, tr("Export settings"), "tenso-settings.json", "JSON (*.json)")
        if not path:
            return False
        try:
            settings_mod.save(self.working, Path(path))
        except OSError as exc:
            self.problems.setText(str(exc))
            return False
        self.show_hint(
            tr_later(
                "Settings exported to {0}. Passwords are not in the file: enter them again on the "
                "new machine (Auth accounts, Local users)."
            ),
            path,
        )
        return True

    def import_settings(self, path: str | None = None) -> bool:
        """Loads a settings file into the window; nothing changes until Apply."""
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, tr("Import settings"), "", "JSON (*.json)")
        if not path:
            return False
        try:
            imported = settings_mod.load(Path(path))
        except SettingsError as exc:
            self.problems.setText(tr("Not imported: {0}").format("; ".join(worded(p, tr) for p in exc.problems)))
            return False
        imported.source = self.working.source
        self.working = imported
        self.build()
        self.show_hint(tr_later("Settings imported from {0}. Check them, enter the passwords, then press Apply."), path)
        return True

    def add_offer(
        self, name: str, text: str, action: Callable[[], object], needed: Callable[[], bool] | None = None
    ) -> None:
        """A first-start choice as a button under the banner, kept through rebuilds until it is
        made: clicked (``needed`` None), or for as long as ``needed()`` holds."""
        offer = Offer(name, text, action, needed)
        self.offers.append(offer)
        self._place(offer)

    def _place(self, offer: Offer) -> None:
        if offer.needed is not None and not offer.needed():
            return
        button = QPushButton(tr(offer.text))
        button.setObjectName(offer.name)
        central = self.centralWidget()
        assert central is not None  # build() made it
        cast(QVBoxLayout, central.layout()).insertWidget(1 + self.offers.index(offer), button)

        def clicked() -> None:
            if offer.needed is None and offer in self.offers:
                self.offers.remove(offer)
            button.hide()
            offer.action()

        button.clicked.connect(clicked)

    def offer_lan_relay(self) -> None:
        """First run: let the administrator confirm the private ranges that may relay."""

        def allow() -> None:
            for net in LAN:
                if net not in self.working.options.relay_networks:
                    self.working.options.relay_networks.append(net)
            self.relay_tab.networks.refresh()
            self.tabs.setCurrentWidget(self.relay_tab)

        self.add_offer(
            "allowLan",
            tr_later("Allow my LAN to send through Tenso (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)"),
            allow,
            needed=lambda: not all(net in self.working.options.relay_networks for net in LAN),
        )

    def open_assistant(self) -> SetupAssistant:
        """The setup assistant on the working copy; what it fills shows in the tabs, unsaved."""
        assistant = SetupAssistant(self.working, self.controller, self.apply_now, self)
        assistant.filled.connect(self._assistant_filled)
        assistant.finished.connect(assistant.deleteLater)
        assistant.open()
        return assistant

    def _assistant_filled(self) -> None:
        self.build()
        self.tabs.setCurrentWidget(self.rules_tab)
        self.show_hint(tr_later("The setup assistant filled in the rule and the account. Press Apply to save them."))

    def offer_assistant(self) -> None:
        """First run: the setup assistant, next to the welcome hint."""
        self.add_offer("offerAssistant", tr_later("Setup assistant: where does your mail go?"), self.open_assistant)

    def _tab_changed(self, index: int) -> None:
        widget = self.tabs.widget(index)
        wheel_only_when_focused(self)  # rows added since (listeners, users) get it too
        if widget is self.auth_tab:
            self.auth_tab.refresh_choices()
        elif widget is self.queue_tab:
            self.queue_tab.refresh()
        elif widget is self.status_tab:
            self.status_tab.refresh()
        elif widget is self.history_tab:
            self.history_tab.shown()

    def show_history(self, qid: str) -> None:
        """The Queue tab's link: message ``qid`` on the History tab."""
        self.history_tab.searched = True  # its own first search would only be replaced
        self.tabs.setCurrentWidget(self.history_tab)
        self.history_tab.show_message(qid)

    def show_hint(self, text: str, *args: object) -> None:
        """The banner: ``text`` is the English source (``tr_later``), shown translated with
        ``args`` put in, and again in the new language after a switch."""
        self.hint_text = (text, args)
        shown = tr(text).format(*args) if args else tr(text) if text else ""
        self.hint.setText(shown)
        self.hint.setVisible(bool(shown))

    def confirm(self, text: str) -> None:
        """A passing word in the status bar (``text`` the English source, kept for a language switch)."""
        self.confirmed = text
        self.statusBar().showMessage(tr(text), APPLIED_SECONDS * 1000)

    def change_language(self) -> None:
        code = self.language.currentData()
        i18n.save_language(code)
        i18n.install(code)
        self.build_menu()
        self.log_tab.retranslate()
        self.build()
        self.show_title()
        if self.statusBar().currentMessage() and self.confirmed:
            self.statusBar().showMessage(tr(self.confirmed), APPLIED_SECONDS * 1000)

    # --- state ---

    def show_state(self, state: State, detail: str) -> None:
        if not hasattr(self, "state_label"):
            return
        text = tr(STATE_TEXT[state])
        bound = ", ".join(f"{h}:{p}" for h, p in self.controller.bound)
        if bound and state in (State.RUNNING, State.PAUSED):
            text += " — " + tr("listening on {0}").format(bound)
        if detail and (state == State.ERROR or self.attached):  # a console: its gateway has gone
            text += ": " + detail
            if self.controller.failed == FailedPart.LISTEN:  # the reason, not the words (they are translated)
                self.show_hint(
                    tr_later(
                        "Tenso cannot receive mail on that address and port. Choose another one "
                        "under Server → Listen on (for example 0.0.0.0:2525), press Apply, "
                        "and point your mail clients at it."
                    )
                )
        self.state_label.setText(text)
        self.state_label.setStyleSheet("color: #b00020" if state == State.ERROR else "")
        self.start_button.setEnabled(not self.controller.running)
        self.stop_button.setEnabled(self.controller.running)

    @asyncSlot()
    async def start_gateway(self) -> None:
        await self.controller.start()

    @asyncSlot()
    async def stop_gateway(self) -> None:
        await self.controller.stop()

    # --- apply / cancel ---

    @property
    def dirty(self) -> bool:
        return settings_mod.to_dict(self.working) != self.saved_snapshot

    def validate(self) -> list[str]:
        """The working copy's problems, in the window's language."""
        try:
            settings_mod.from_dict(settings_mod.to_dict(self.working), source=self.working.source)
        except SettingsError as exc:
            return [worded(p, tr) for p in exc.problems]
        return []

    @asyncSlot()
    async def apply(self) -> bool:
        return await self.apply_now()

    async def apply_now(self) -> bool:
        problems = self.validate()
        if problems:
            self.problems.setText(tr("Not saved. Fix these first:") + "\n" + "\n".join(problems))
            return False
        checked = settings_mod.from_dict(settings_mod.to_dict(self.working), source=self.working.source)
        error = await self.controller.apply(checked)
        if error and self.attached:
            self.problems.setText(
                tr("Not applied: the gateway refused the settings and runs on as before: {0}").format(error)
            )
            return False
        if error:
            self.problems.setText(tr("Saved, but not applied: {0}").format(error))
            return False
        self.problems.setText("")
        self.show_hint(self.keyring_problem)  # the first-start hint has done its job; a keyring problem stays
        self.saved_snapshot = settings_mod.to_dict(checked)
        running = self.controller.running
        if self.attached:
            self.confirm(tr_later("Settings applied: the gateway saved and reloaded them"))
        else:
            self.confirm(
                tr_later("Settings applied") if running else tr_later("Settings saved; Tenso starts with them")
            )
        return True

    def cancel(self) -> None:
        self.working = settings_mod.copy(self.controller.settings)
        self.problems.setText("")
        self.build()

    # --- closing ---

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.dirty:
            answer = QMessageBox.question(
                self,
                "Tenso",
                tr("Save the changes before closing?"),
                QMessageBox.StandardButton.Save
                | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel,
            )
            if answer == QMessageBox.StandardButton.Cancel:
                event.ignore()
                return
            if answer == QMessageBox.StandardButton.Save:
                event.ignore()
                self._save_then_close()
                return
            self.cancel()
        if self.has_tray:
            event.ignore()
            self.hide()  # Tenso keeps running in the tray
        else:
            event.accept()
            self.quit_requested.emit()

    def ask_before_quitting(self) -> QMessageBox.StandardButton:
        """Apply, Discard or Cancel: the edits not applied yet, before Tenso ends."""
        return QMessageBox.question(
            self,
            "Tenso",
            tr("Some changes are not applied yet. Apply them before quitting?"),
            QMessageBox.StandardButton.Apply | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Apply,
        )

    def request_quit(self) -> None:
        """File → Quit and the tray's Quit: unapplied edits are asked about, not thrown away."""
        if self.dirty:
            answer = self.ask_before_quitting()
            if answer == QMessageBox.StandardButton.Apply:
                self._apply_then_quit()
                return
            if answer != QMessageBox.StandardButton.Discard:
                return  # Cancel (or the box closed): stay, edits kept
        self.quit_requested.emit()

    @asyncSlot()
    async def _apply_then_quit(self) -> None:
        if await self.apply_now():  # a problem in the settings: the window stays and shows it
            self.quit_requested.emit()

    @asyncSlot()
    async def _save_then_close(self) -> None:
        if await self.apply_now():
            self.close()
