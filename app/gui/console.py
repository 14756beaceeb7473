"""The window as the console of a gateway that already runs on the queue (issue 25).

Started while another gateway serves the queue's control channel (the Windows service, a
headless gateway, another user's window), the window attaches to it instead of starting a second
gateway or failing on the queue's lock (it never takes the lock).  ``ConsoleController`` has the
interface and the signals of ``GatewayController`` and does everything through the channel
(``app.control.client``): each call opens a connection in a thread; the log comes from
``log.follow`` in a thread of its own and reaches the GUI thread by a signal.  When that stream
ends the gateway has gone: the state says so, the console looks for it every few seconds (and
attaches again when it is back), and Start offers the window's own gateway instead.

Like ``app/gui/controller.py`` this module is a door of the window into the engine (see
tools/check_imports.py): the tabs still see only the controller's interface.
"""

from __future__ import annotations

import asyncio
import logging
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app import settings as settings_mod
from app.control.client import Client, ControlError, NotAllowed, connect
from app.control.runtime import Mode
from app.control.values import from_iso, messages_from_json, status_from_json
from app.gui import controller as engine
from app.gui import i18n
from app.gui.controller import GatewayController, SignInError, TestMessageError
from app.gui.i18n import tr, tr_later
from app.problems import Problem
from app.settings import Settings, SettingsError
from app.status import State, Status
from app.store.spool import QueuedMessage

ONLY_THROUGH_A_CLIENT = tr_later(
    "This window is the console of another gateway: send the test from a mail client through it."
)

log = logging.getLogger("tenso")

# The tray's notices come from log records' "event" in the window's own gateway; the channel's
# log.follow carries the lines only, so the console knows them by their words (app/deliver/attempt.py
# _report, app/accounts/service.py and application.py).
BOUNCED = re.compile(r" INFO \S+ bounced: DSN \(")
SIGN_IN_AGAIN = re.compile(r" ERROR account \S+: .*sign in again")
ACCOUNT_REFUSED = re.compile(r" ERROR account \S+: .*the mail waits and is tried again")

LOG_LAST = 500  # the gateway's recent lines the log tab starts with
LOOK_AGAIN_MS = 3000  # while the gateway is gone: how often the console looks for it
NOT_ALLOWED = {
    "start": tr_later("The service was not started: Windows did not allow it (an administrator must confirm)."),
    "stop": tr_later("The service was not stopped: Windows did not allow it (an administrator must confirm)."),
}
DID_NOT = {
    "start": tr_later("The service did not start: {0}"),
    "stop": tr_later("The service did not stop: {0}"),
}

MODE_WORDS = {
    Mode.HEADLESS: tr_later("the headless gateway"),
    Mode.SERVICE: tr_later("the Tenso service"),
    Mode.WINDOW: tr_later("the gateway of another Tenso window"),
}


@dataclass(frozen=True)
class Attached:
    """The gateway the console looks at: the channel's ``engine`` answer."""

    mode: str
    pid: int
    started: float
    config: Path
    queue: Path
    version: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Attached:
        return cls(
            mode=str(data["mode"]),
            pid=int(data["pid"]),
            started=from_iso(data.get("started")) or time.time(),
            config=Path(data["config"]),
            queue=Path(data["queue"]),
            version=str(data.get("version") or ""),
        )

    def who(self) -> str:
        """Which gateway, in the window's language ("the headless gateway")."""
        return tr(MODE_WORDS.get(self.mode, tr_later("the gateway")))

    def since(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.started))


def title(attached: Attached) -> str:
    return tr("Tenso — console of {0} (pid {1})").format(attached.who(), attached.pid)


def describe(attached: Attached) -> str:
    """The Status tab's line: which gateway this window looks at, since when, with which file."""
    return tr("Console of {0}: pid {1}, running since {2}, settings file {3}.").format(
        attached.who(), attached.pid, attached.since(), attached.config
    )


# --- finding the gateway (blocking: a thread, or before the window exists) ---------------------


def queue_of(config: Path) -> Path:
    """The queue folder the window would run on: from its settings file, else the last good copy,
    else the default one (a gateway may run fine on a file that has a typo now)."""
    for path in (config, settings_mod.last_good_path(config)):
        try:
            return settings_mod.load(path).queue_dir
        except (SettingsError, OSError):
            continue
    return settings_mod.from_dict({}, source=config).queue_dir


def queues_of(config: Path) -> list[Path]:
    """Where a running gateway is looked for: the queue of the window's settings, and on Windows
    the service's (``%ProgramData%\\Tenso\\queue``, whose settings file only administrators read)."""
    found = [queue_of(config)]
    if sys.platform == "win32":
        from app.service.layout import service_layout

        service = Path(str(service_layout().queue))
        if service not in found:
            found.append(service)
    return found


def find_gateway(config: Path) -> tuple[Attached, Settings] | None:
    """The first gateway that answers on one of ``queues_of(config)``; NotAllowed as open_console."""
    for queue in queues_of(config):
        found = open_console(queue)
        if found is not None:
            return found
    return None


def open_console(queue: Path) -> tuple[Attached, Settings] | None:
    """The gateway serving ``queue`` and the settings it runs; None when none does.  NotAllowed
    when one does but this user may not command it (the window says so and starts none)."""
    try:
        client = connect(queue)
    except NotAllowed:
        raise
    except ControlError as exc:
        log.warning("%s", exc)
        return None
    if client is None:
        return None
    with client:
        try:
            attached = Attached.from_json(client.call("engine"))
            running = client.call("settings.get")
        except ControlError as exc:
            log.warning("the gateway on %s did not answer the window: %s", queue, exc)
            return None
    try:
        settings = settings_mod.from_dict(running["settings"], source=Path(running["config"]))
    except SettingsError as exc:
        log.warning("the running gateway's settings do not load here: %s", "; ".join(map(str, exc.problems)))
        return None
    return attached, settings


def _loop_runs() -> bool:
    """Qt may deliver a signal or a timer while no asyncio loop runs (at teardown): nothing to start then."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class GatewayGone(ControlError):
    """Nothing serves the queue's control channel any more."""


def _nothing_known(settings: Settings) -> Status:
    """The Status tab while the gateway is gone: the window reads neither its queue nor a keyring."""
    return Status(State.STOPPED, [], {}, 0, 0, None, [])


# --- the console ----------------------------------------------------------------------------


class ConsoleController(QObject):
    """``GatewayController``'s interface, carried out by the gateway at the other end of the channel."""

    state_changed = Signal(object, str)
    log_line = Signal(str)
    bounced = Signal(str)
    failing = Signal(str)
    activity_changed = Signal()
    account_failed = Signal(str)
    token_refused = Signal(str)
    sign_in_url = Signal(str)
    sign_in_code = Signal(str, str)
    settings_taken = Signal(object)
    alert = Signal(str, str)  # the test alert of the Server tab (the gateway's own alerts go to its log)
    attached_changed = Signal()  # attached again (maybe another pid): the title and Status tab say so
    told = Signal(str, object)  # a banner for the window: the English source and its arguments
    own_requested = Signal()  # the gateway is gone and Start was pressed: the window runs its own

    _line = Signal(str)  # from the log thread
    _ended = Signal()  # the log stream ended: the gateway is gone

    # What needs no gateway is the same as for the window's own (offline: route preview, check's
    # warnings).  The test login reads this window's keyring, not the gateway's (see docs/status.md).
    route_preview = staticmethod(GatewayController.route_preview)
    hidden_rules = staticmethod(GatewayController.hidden_rules)
    warnings = staticmethod(GatewayController.warnings)
    check_login = staticmethod(GatewayController.check_login)

    def __init__(self, attached: Attached, settings: Settings):
        super().__init__()
        self.attached = attached
        self.config_path = attached.config
        self.settings = settings
        self.gateway = None  # never one of its own
        self.state = State.RUNNING
        self.detail = ""
        self.failed = None
        self.listening: list[str] = []
        self._busy = 0
        self._closed = False
        self._follower: Client | None = None
        self._thread: threading.Thread | None = None
        self._looking = False
        self._line.connect(self._on_line)
        self._ended.connect(self._lost)
        self._search = QTimer(self)
        self._search.setInterval(LOOK_AGAIN_MS)
        self._search.timeout.connect(self._look_again)
        engine.keep_secrets_with(GatewaySecrets(self))

    # --- the channel ---

    def _call(self, op: str, **args: Any) -> Any:
        """Blocking: one request on a connection of its own."""
        client = connect(self.attached.queue)
        if client is None:
            raise GatewayGone(tr("{0} has stopped").format(self.attached.who()))
        with client:
            return client.call(op, **args)

    async def call(self, op: str, **args: Any) -> Any:
        return await asyncio.to_thread(self._call, op, **args)

    def follow_log(self) -> None:
        """The gateway's recent log lines, then each new one, from a thread (until it goes)."""
        queue = self.attached.queue

        def run() -> None:
            try:
                client = connect(queue)
            except ControlError:
                client = None
            if client is not None and not self._closed:
                self._follower = client
                try:
                    for line in client.follow("log.follow", last=LOG_LAST):
                        self._emit(self._line, line)
                except ControlError:
                    pass
                finally:
                    self._follower = None
            if not self._closed:
                self._emit(self._ended)

        self._thread = threading.Thread(target=run, name="tenso-console-log", daemon=True)
        self._thread.start()

    @staticmethod
    def _emit(signal: Any, *args: Any) -> None:
        try:
            signal.emit(*args)  # queued to the GUI thread
        except RuntimeError:  # the controller is gone (the window closed)
            pass

    def _on_line(self, line: str) -> None:
        self.log_line.emit(line)
        if BOUNCED.search(line):
            self.bounced.emit(line)
        elif SIGN_IN_AGAIN.search(line):
            self.account_failed.emit(line)
        elif ACCOUNT_REFUSED.search(line):
            self.token_refused.emit(line)
        self.activity_changed.emit()  # the Status tab asks for the figures (once for a burst)
        if not _loop_runs():
            return
        if "settings reloaded from" in line or "delivery paused" in line or "delivery resumed" in line:
            asyncio.ensure_future(self._catch_up())

    async def _catch_up(self) -> None:
        """Someone else reloaded or paused the gateway (the command line): the window follows."""
        try:
            running = await self.call("settings.get")
            settings = settings_mod.from_dict(running["settings"], source=Path(running["config"]))
        except (ControlError, SettingsError):
            return
        if settings_mod.to_dict(settings) != settings_mod.to_dict(self.settings):
            self.settings = settings
            self.settings_taken.emit(settings)
        if _loop_runs() and not self._closed:  # (resumed by Qt outside the loop at teardown: no more)
            await self.status()

    def _set_state(self, state: State, detail: str = "") -> None:
        if (state, detail) != (self.state, self.detail):
            self.state, self.detail = state, detail
            self.state_changed.emit(state, detail)

    def _lost(self) -> None:
        if self._closed or not self.running:
            return
        log.warning("the gateway this window is the console of (pid %d) has stopped", self.attached.pid)
        self.listening = []
        self._set_state(
            State.STOPPED,
            tr(
                "{0} (pid {1}) has stopped. This window attaches to it again when it is back, "
                "or press Start to run the gateway in this window."
            ).format(self.attached.who(), self.attached.pid),
        )
        self._search.start()

    def _look_again(self) -> None:
        if self._looking or self._closed or not _loop_runs():
            return
        self._looking = True
        asyncio.ensure_future(self._attach_again())

    async def _attach_again(self) -> None:
        try:
            found = await asyncio.to_thread(open_console, self.attached.queue)
        except NotAllowed:
            found = None  # another user's gateway took the queue: nothing to attach to
        finally:
            self._looking = False
        if found is None or self._closed:
            return
        self._search.stop()
        self.attached, self.settings = found
        self.config_path = self.attached.config
        log.info("attached again to the gateway on %s (pid %d)", self.attached.queue, self.attached.pid)
        self._set_state(State.RUNNING)  # until its status says paused
        self.attached_changed.emit()
        self.settings_taken.emit(self.settings)
        self.follow_log()
        await self.status()

    # --- GatewayController's interface ---

    @property
    def running(self) -> bool:
        return self.state in (State.RUNNING, State.PAUSED)

    @property
    def busy(self) -> bool:
        return self._busy > 0

    @property
    def paused(self) -> bool:
        return self.state == State.PAUSED

    @property
    def bound(self) -> list[tuple[str, int]]:
        found = []
        for address in self.listening:
            host, _, port = address.rpartition(":")
            if port.isdigit():
                found.append((host.strip("[]"), int(port)))
        return found

    async def start(self) -> None:
        if self.running:
            return
        if self.attached.mode == Mode.SERVICE:
            await self._drive_service("start")
            return
        self.own_requested.emit()

    async def stop(self) -> None:
        """Stop drives the service; a headless gateway is stopped where it was started."""
        if not self.running:
            return
        if self.attached.mode == Mode.SERVICE:
            await self._drive_service("stop")
        elif self.attached.mode == Mode.HEADLESS:
            self.told.emit(
                tr_later(
                    "This window is the console of the headless gateway (pid {0}); it does not stop it. "
                    "Stop it where it was started: Ctrl+C in its terminal, kill -TERM {0}, or "
                    "systemctl stop when systemd runs it. The window then offers to start its own."
                ),
                (self.attached.pid,),
            )
        else:
            self.told.emit(
                tr_later("The gateway runs in another Tenso window (pid {0}): stop it there, or quit that window."),
                (self.attached.pid,),
            )

    async def _drive_service(self, action: str) -> None:
        """``service start|stop`` as the command line does it (Windows asks for elevation)."""
        command = [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "app"]
        command += ["service", action]
        if sys.platform == "win32":
            import ctypes

            line = subprocess.list2cmdline(command[1:])
            started = await asyncio.to_thread(
                ctypes.windll.shell32.ShellExecuteW, None, "runas", command[0], line, None, 0
            )
            if started <= 32:  # refused or cancelled at the elevation prompt
                self.told.emit(NOT_ALLOWED[action], ())
            return
        done = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            self.told.emit(DID_NOT[action], ((done.stderr or done.stdout).strip(),))

    async def apply(self, settings: Settings) -> str | None:
        """The gateway checks, saves and reloads them; None, or its words when it refused (then
        the gateway runs on as before)."""
        self._busy += 1
        try:
            answer = await self.call("settings.apply", settings=settings_mod.to_dict(settings))
        except ControlError as exc:
            return str(exc)
        finally:
            self._busy -= 1
        if not answer.get("reloaded"):
            return str(answer.get("message") or "; ".join(answer.get("problems", [])))
        self.settings = settings
        return None

    async def status(self) -> Status:
        if not self.running:
            return _nothing_known(self.settings)
        try:
            data = await self.call("status")
        except ControlError:
            return _nothing_known(self.settings)
        found = status_from_json(data, self.settings)
        moved, self.listening = found.listening != self.listening, found.listening
        if self.running:  # (not gone meanwhile)
            if moved and found.state == self.state:
                self.state_changed.emit(self.state, self.detail)  # the state line names the addresses
            self._set_state(found.state)
        return found

    async def queue_messages(self) -> list[QueuedMessage] | None:
        if not self.running:
            return None
        try:
            return messages_from_json(await self.call("queue.list"))
        except ControlError:
            return None

    async def queue_action(self, action: str, qid: str | None = None) -> None:
        op = {"retry": "queue.retry", "bounce": "queue.bounce", "delete": "queue.delete"}[action]
        try:
            await self.call(op, id=qid or "ALL")
        except ControlError as exc:
            self.told.emit(tr_later("The gateway did not do it: {0}"), (str(exc),))

    async def send_test_message(self, sender: str, recipient: str) -> str:
        raise TestMessageError(tr(ONLY_THROUGH_A_CLIENT))

    async def send_test_alert(self, settings: Settings) -> list[Any]:
        """The test alert from this window: the tray and what the window can reach itself (the
        webhook, the Event Log); the test mail would be queued by the gateway, which the channel
        does not offer."""
        from app.alerts import watcher
        from app.alerts.events import Phase

        notice = watcher.test_notice(time.time())
        titles = {Phase.STARTED: tr("Tenso: alert"), Phase.REPEATED: tr("Tenso: alert, still")}
        self.alert.emit(titles.get(notice.phase, tr("Tenso: alert")), notice.text(i18n.current()))
        answers: list[Any] = [watcher.Answer("tray", True, watcher.SHOWN)]
        answers += await asyncio.to_thread(watcher.outside, notice, settings)
        if settings.alerts.email_to:
            answers.append(
                watcher.Answer(
                    "email",
                    False,
                    Problem("", ONLY_THROUGH_A_CLIENT),  # worded in the window's language by the Alerts box
                )
            )
        return answers

    # --- the History tab ---

    async def history(self, op: str, args: dict) -> object:
        """The gateway's history: asked on the channel (``history`` / ``history.detail``), or, from a
        gateway that does not answer those yet, read from its history file (the path its running
        settings give; the window's user must be able to read it)."""
        try:
            return await self.call(op, **args)
        except ControlError as exc:
            if not str(exc).startswith("unknown request"):
                raise engine.HistoryError(str(exc)) from exc
        return await GatewayController.history(self, op, args)  # type: ignore[arg-type]

    async def history_export(self, args: dict, write: Any) -> int:
        """The CSV export reads the gateway's history file (its running settings' path), in a thread."""
        return await GatewayController.history_export(self, args, write)  # type: ignore[arg-type]

    async def account_statuses(self, settings: Settings) -> dict[str, Any]:
        from app.accounts import service

        try:
            found = await self.call("account.status")
        except ControlError:
            return {}
        return {row["name"]: service.status_from_json(row) for row in found}

    async def sign_in(self, settings: Settings, name: str) -> Any:
        """The browser part here, the tokens kept by the gateway (``account.tokens``)."""
        from app.accounts import service

        def keep(reply: dict) -> service.AccountStatus:
            return service.status_from_json(self._call("account.tokens", name=name, tokens=reply))

        def run() -> service.AccountStatus:
            return service.login(
                settings,
                name,
                show_url=self.sign_in_url.emit,
                open_browser=False,
                show_code=self.sign_in_code.emit,
                keep=keep,
            )

        try:
            return await asyncio.to_thread(run)
        except (service.AccountError, ControlError) as exc:
            raise SignInError(str(exc)) from exc

    async def sign_out(self, settings: Settings, name: str) -> None:
        try:
            await self.call("account.logout", name=name)
        except ControlError as exc:
            raise SignInError(str(exc)) from exc

    def pause(self, paused: bool) -> None:
        asyncio.ensure_future(self._pause(paused))

    async def _pause(self, paused: bool) -> None:
        try:
            await self.call("queue.pause" if paused else "queue.resume")
        except ControlError as exc:
            self.told.emit(tr_later("The gateway did not do it: {0}"), (str(exc),))
            return
        if self.running:
            self._set_state(State.PAUSED if paused else State.RUNNING)

    def close(self) -> None:
        """The window ends: the log thread stops; the gateway runs on."""
        self._closed = True
        self._search.stop()
        follower = self._follower
        if follower is not None:
            follower.wake()
        if self._thread is not None:
            self._thread.join(2.0)
        engine.keep_secrets_with(None)


class GatewaySecrets:
    """The password fields' store while the window is a console: the gateway's own keyring."""

    def __init__(self, console: ConsoleController):
        self.console = console

    async def _ask(self, op: str, **args: Any) -> Any:
        try:
            return await self.console.call(op, **args)
        except ControlError as exc:
            raise engine.SecretStoreError(str(exc)) from exc

    async def is_set(self, key: str) -> bool:
        return bool((await self._ask("password.is_set", key=key))["set"])

    async def save(self, key: str, secret: str) -> None:
        await self._ask("password.set", key=key, secret=secret)

    async def remove(self, key: str) -> None:
        await self._ask("password.delete", key=key)


Controller = GatewayController | ConsoleController  # what the window drives
