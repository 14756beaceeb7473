"""The engine as the window sees it: Qt signals out, async calls in.

The one module of ``app/gui`` that imports the engine: the tabs get what they need
(the queue, the history, route previews, test logins, the settings' warnings, passwords, autostart)
from here, and from the settings model.  It is the window's runtime, the peer of
``app/headless.py``; what needs no running gateway it asks of ``app/offline.py``.
The gateway runs on the same qasync loop as the window.  Log records (from any
thread) become ``log_line`` signals; Qt queues them to the GUI thread.  Anything
that blocks (the keyring, a test login, reading the queue) runs in a thread.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from email import policy as email_policy
from email import utils as email_utils
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, Signal

from app import offline
from app import settings as settings_mod
from app.alerts import watcher as alerts_watcher
from app.alerts.events import Notice, Phase
from app.alerts.watcher import Answer
from app.control.runtime import Mode
from app.deliver.smtp import LoginReport
from app.gateway import FailedPart, Gateway, GatewayError
from app.gui import i18n
from app.gui.i18n import tr
from app.history import query as history_query
from app.problems import Problem, worded
from app.route.router import Decision, RouteKind
from app.settings import Settings
from app.status import State, Status, stopped
from app.store.activity import Outcome
from app.store.spool import WAITING, QueuedMessage, RecipientState
from app.system import autostart, logs, passwords, paths
from app.system.logs import LOG_FORMAT

__all__ = [  # for the tabs
    "Answer",
    "WAITING",
    "Decision",
    "FailedPart",
    "HistoryError",
    "LoginReport",
    "Outcome",
    "QueuedMessage",
    "RecipientState",
    "RouteKind",
    "State",
    "Status",
]

FAILING_NOTICE_SECONDS = 600.0
HISTORY_EXPORT_MOST = 1_000_000  # messages in one CSV file (Excel takes 1,048,576 lines)

if TYPE_CHECKING:
    from app.accounts.service import AccountStatus  # authlib and requests load at the first sign-in
    from app.system.certificate import Certificate  # cryptography loads at the first certificate

log = logging.getLogger("tenso")


class _Bridge(QObject):
    record = Signal(str, str)  # formatted line, event ("" or bounce / failing)


class QtLogHandler(logging.Handler):
    """A logging handler that hands records to Qt (safe from delivery threads)."""

    def __init__(self) -> None:
        super().__init__()
        self.bridge = _Bridge()
        self.setFormatter(logs.Formatter(LOG_FORMAT))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.bridge.record.emit(self.format(record), getattr(record, "event", ""))
        except RuntimeError:  # the bridge is gone at shutdown
            pass


class GatewayController(QObject):
    state_changed = Signal(object, str)  # State, detail (the error text when the state is ERROR)
    log_line = Signal(str)
    bounced = Signal(str)  # the log line that says so
    failing = Signal(str)
    activity_changed = Signal()  # something was counted (the Status tab asks for the figures)
    account_failed = Signal(str)  # an OAuth 2.0 account needs a new sign-in (the log line)
    token_refused = Signal(str)  # a client-credentials token request was refused (the mail waits)
    sign_in_url = Signal(str)  # a sign-in waits for the browser at this address
    sign_in_code = Signal(str, str)  # a device sign-in: the address to open and the code to enter
    alert = Signal(str, str)  # an alert started, repeats or ended (app/alerts/): the tray's title and text
    settings_taken = Signal(object)  # Settings the gateway took from outside (reload, settings.apply)

    mode = Mode.WINDOW  # for the control channel (app.control.runtime.Runtime)

    def __init__(self, config_path: Path, settings: Settings):
        super().__init__()
        self.config_path = Path(config_path)
        self.settings = settings
        self.gateway: Gateway | None = None
        # Start, Stop and Apply each take several awaits; the tray and the window can ask for
        # them at once.  One at a time: a Stop pressed during an Apply waits for it to finish.
        self._turn = asyncio.Lock()
        self.state = State.STOPPED
        self.detail = ""
        self.failed: FailedPart | None = None  # what the last start or apply failed on (state ERROR)
        self._next_failing_notice = 0.0
        self.handler = QtLogHandler()
        self.handler.bridge.record.connect(self._on_record)
        logs.add_handler(self.handler)

    def _on_record(self, line: str, event: str) -> None:
        self.log_line.emit(line)
        if event == "bounce":
            self.bounced.emit(line)
        elif event == "account":
            self.account_failed.emit(line)
        elif event == "app_token":
            self.token_refused.emit(line)
        elif event == "failing":
            # One notice per FAILING_NOTICE_SECONDS: an ISP that is down fails every message.
            now = time.monotonic()
            if now >= self._next_failing_notice:
                self._next_failing_notice = now + FAILING_NOTICE_SECONDS
                self.failing.emit(line)

    def _on_alert(self, notice: Notice) -> None:
        titles = {
            Phase.STARTED: tr("Tenso: alert"),
            Phase.REPEATED: tr("Tenso: alert, still"),
            Phase.ENDED: tr("Tenso: alert over"),
        }
        self.alert.emit(titles[notice.phase], notice.text("ja" if i18n.current() == "ja" else "en"))

    async def send_test_alert(self, settings: Settings) -> list[Answer]:
        """One ``test`` event through every channel ``settings`` sets up (the window's working copy),
        and what each answered.  The mail needs the running gateway (it is queued there)."""
        if self.gateway is not None:
            return await self.gateway.alerts.test(settings)
        notice = alerts_watcher.test_notice(time.time())
        self._on_alert(notice)
        answers = [Answer("tray", True, alerts_watcher.SHOWN)]
        answers += await asyncio.to_thread(alerts_watcher.outside, notice, settings)
        if settings.alerts.email_to:
            stopped = Problem("", "Tenso is not running: press Start to send the test mail.")
            answers.append(Answer("email", False, stopped))
        return answers

    def _set_state(self, state: State, detail: str = "", failed: FailedPart | None = None) -> None:
        self.state, self.detail, self.failed = state, detail, failed
        self.state_changed.emit(state, detail)

    def _failed(self, exc: GatewayError) -> str:
        """The state ERROR for ``exc``; its text in the window's language."""
        text = worded(exc.problem, tr)
        self._set_state(State.ERROR, text, exc.part)
        return text

    @property
    def running(self) -> bool:
        return self.gateway is not None

    @property
    def busy(self) -> bool:
        """A start, stop or apply is under way."""
        return self._turn.locked()

    @property
    def bound(self) -> list[tuple[str, int]]:
        return self.gateway.bound if self.gateway else []

    async def start(self) -> None:
        async with self._turn:
            await self._start()

    async def _start(self) -> None:
        """Starts the gateway on ``self.settings`` (the turn is held by the caller)."""
        if self.gateway:
            return
        gateway = Gateway(self.settings, self)
        gateway.alerts.on_notice = self._on_alert  # before the start: engine_stopped is told at once
        try:
            await gateway.start()
        except GatewayError as exc:
            log.error("%s", exc)
            self._failed(exc)
            return
        self.gateway = gateway
        gateway.activity.listeners.append(self.activity_changed.emit)
        self._set_state(State.PAUSED if gateway.spool.paused else State.RUNNING)

    async def stop(self) -> None:
        async with self._turn:
            if not self.gateway:
                return
            gateway, self.gateway = self.gateway, None
            await gateway.stop(grace=5.0)
            self._set_state(State.STOPPED)

    async def apply(self, settings: Settings) -> str | None:
        """Saves ``settings`` atomically and applies them; returns a problem text or None."""
        async with self._turn:
            try:
                await asyncio.to_thread(settings_mod.save, settings, self.config_path)
            except OSError as exc:
                return f"cannot save {self.config_path}: {exc}"
            await asyncio.to_thread(keep_last_good, settings, self.config_path)
            self.settings = settings
            if self.gateway is None and self.state == State.ERROR:
                # The last start failed (a port in use): the banner says change it and press
                # Apply, so Apply starts with the new settings.
                await self._start()
                return self.detail if self.gateway is None else None
            if self.gateway:
                try:
                    await self.gateway.reconfigure(settings)
                except GatewayError as exc:
                    return self._failed(exc)
                self._set_state(State.PAUSED if self.gateway.spool.paused else State.RUNNING)
            return None

    @property
    def config(self) -> Path:
        return self.config_path

    async def take(self, settings: Settings) -> str | None:
        """New settings from the control channel (``reload``, ``settings.apply``: the file is already
        written); the problem in English words (the log's, the command line's) when the gateway
        cannot take them: the window shows it in its own language as for an Apply."""
        async with self._turn:
            if self.gateway is None:
                return "the window's gateway is stopped"
            try:
                await self.gateway.reconfigure(settings)
            except GatewayError as exc:
                self._failed(exc)
                return str(exc)
            self.settings = settings
            await asyncio.to_thread(keep_last_good, settings, self.config_path)
            self._set_state(State.PAUSED if self.gateway.spool.paused else State.RUNNING)
        self.settings_taken.emit(settings)
        return None

    @property
    def paused(self) -> bool:
        return bool(self.gateway and self.gateway.spool.paused)

    # --- the status tab ---

    async def status(self) -> Status:
        """The figures of the Status tab (read in a thread: the queue, the keyring).  Stopped:
        what the files say."""
        if self.gateway is not None:
            return await asyncio.to_thread(self.gateway.status)
        return await asyncio.to_thread(stopped, self.settings)

    # --- the queue tab ---

    async def queue_messages(self) -> list[QueuedMessage] | None:
        """What is in the queue now (read in a thread); None when the gateway is stopped."""
        if self.gateway is None:
            return None
        return await asyncio.to_thread(self.gateway.spool.messages)

    async def queue_action(self, action: str, qid: str | None = None) -> None:
        """``retry`` (``qid`` None: everything), ``bounce`` or ``delete``, as an administrator asks."""
        scheduler = self.gateway.scheduler if self.gateway else None
        if scheduler is None:
            return
        if action == "retry":
            scheduler.retry(qid)
        elif action == "bounce" and qid:
            scheduler.bounce(qid)
        elif action == "delete" and qid:
            await asyncio.to_thread(scheduler.delete, qid)

    # --- the history tab ---

    async def history(self, op: str, args: dict) -> object:
        """The history's answer to ``op``: ``history`` (args: the filters in the words of the
        control channel, ``since`` ... ``state``, with ``limit`` and ``offset``: a page of the
        objects of ``history --json``) or ``history.detail`` (args: ``id``: one message's
        timeline, or None).  Read in a thread.  HistoryError says why in plain words.

        This is the one place that chooses where the history comes from: the database file of
        the settings' queue (written by this window's gateway, or by none).  A window attached
        to another gateway's control channel (app/control) sends the same op and args there."""
        path = self.settings.history_path
        try:
            return await asyncio.to_thread(history_from_file, path, op, args)
        except ValueError as exc:  # a filter that is not understood (a bad state word)
            raise HistoryError(str(exc)) from exc
        except (sqlite3.Error, OSError) as exc:
            raise HistoryError(
                tr(
                    "The history file {0} cannot be read: {1}. Check that the disk is there and the file may be read."
                ).format(path, exc)
            ) from exc

    async def history_export(self, args: dict, write: Callable[[Iterable[list[dict]]], None]) -> int:
        """Every message of a search (``args`` as for ``history``, no page), handed to ``write``
        in the same thread a part at a time (a CSV file: nothing of it runs on the GUI thread, and
        only one part is in memory at once); how many messages."""
        count = 0

        def parts() -> Iterator[list[dict]]:
            nonlocal count
            for found in history_query.pages(self.settings.history_path, history_query.filters_from(args)):
                found = found[: HISTORY_EXPORT_MOST - count]
                count += len(found)
                yield found
                if count >= HISTORY_EXPORT_MOST:
                    return

        try:
            await asyncio.to_thread(write, parts())
        except ValueError as exc:
            raise HistoryError(str(exc)) from exc
        except (sqlite3.Error, OSError) as exc:
            raise HistoryError(tr("Not exported: {0}").format(exc)) from exc
        return count

    # --- the rules and auth tabs ---

    @staticmethod
    def route_preview(settings: Settings, recipient: str, sender: str) -> Decision:
        return offline.route_preview(settings, recipient, sender)

    @staticmethod
    def hidden_rules(settings: Settings) -> dict[int, int]:
        return offline.hidden_rules(settings)

    @staticmethod
    def warnings(settings: Settings) -> list[Problem]:
        """What ``python -m app check`` warns of in these settings (allowed, almost certainly not
        meant), for the window to word in its language; the passwords not stored are the Status
        tab's."""
        return offline.warnings_for(settings)

    @staticmethod
    async def check_login(settings: Settings, rule_index: int, account_key: str) -> LoginReport | str:
        """A test login to a rule's server; a text instead when the password cannot be read."""
        try:
            return await asyncio.to_thread(offline.check_login, settings, rule_index, account_key)
        except passwords.PasswordStoreError as exc:
            return str(exc)

    async def send_test_message(self, sender: str, recipient: str) -> str:
        """Queues a short test message from ``sender`` to ``recipient`` in the running gateway
        (it goes out by the applied rules, as any mail); returns its queue id, whose log lines
        say what became of it.  TestMessageError when the gateway is stopped or the queue
        cannot store it."""
        if self.gateway is None:
            raise TestMessageError(tr("Tenso is not running: press Start (and Apply the new settings) first."))
        return await self.gateway.submit(sender, [recipient], test_message(sender, recipient, self.settings))

    # --- upstream accounts (OAuth 2.0 sign-in) ---

    @staticmethod
    async def account_statuses(settings: Settings) -> dict[str, AccountStatus]:
        """Each named account's state (password stored; signed in, until when, the last error)."""
        from app.accounts import service

        def read() -> dict[str, AccountStatus]:
            return {a.name: service.account_status(settings, a.name) for a in settings.accounts}

        return await asyncio.to_thread(read)

    async def sign_in(self, settings: Settings, name: str) -> AccountStatus:
        """Signs ``name`` in by its flow, in a thread; the address to open (or the device code)
        arrives as ``sign_in_url`` / ``sign_in_code``.  SignInError says what failed."""
        from app.accounts import service

        def run() -> AccountStatus:
            return service.login(
                settings,
                name,
                show_url=self.sign_in_url.emit,  # a signal: Qt carries it to the GUI thread
                open_browser=False,  # the window opens it (QDesktopServices), not Python's webbrowser
                show_code=self.sign_in_code.emit,
            )

        try:
            return await asyncio.to_thread(run)
        except service.AccountError as exc:
            raise SignInError(str(exc)) from exc

    @staticmethod
    async def sign_out(settings: Settings, name: str) -> None:
        from app.accounts import service

        try:
            await asyncio.to_thread(service.logout, settings, name)
        except service.AccountError as exc:
            raise SignInError(str(exc)) from exc

    def pause(self, paused: bool) -> None:
        if self.gateway and self.gateway.scheduler:
            self.gateway.scheduler.pause(paused)
            self._set_state(State.PAUSED if paused else State.RUNNING)

    def close(self) -> None:
        logs.remove_handler(self.handler)


def keep_last_good(settings: Settings, config: Path) -> None:
    """The copy a broken settings file falls back on at the next start (blocking).  Failing to
    write it fails nothing else: a warning in the log."""
    try:
        settings_mod.save(settings, settings_mod.last_good_path(config))
    except OSError as exc:
        log.warning("the last good copy of the settings was not written: %s", exc)


# --- passwords, the keyring, autostart, logging: the window's calls into the system ---


class TestMessageError(Exception):
    """The test message could not be queued; the text says why, in the window's language."""


def test_message(sender: str, recipient: str, settings: Settings) -> bytes:
    """The test message the setup assistant sends: plain text, CRLF line ends."""
    message = EmailMessage(policy=email_policy.SMTP)
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = "Tenso test message / 転送テスト"
    message["Date"] = email_utils.formatdate(localtime=True)
    message["Message-ID"] = email_utils.make_msgid(domain=settings.server.hostname or "tenso.invalid")
    message.set_content(
        "This message was sent by Tenso's setup assistant to check the way out.\n"
        "転送（Tenso）の設定アシスタントが、送信経路の確認のために送ったメッセージです。\n"
    )
    return message.as_bytes()


class HistoryError(Exception):
    """The history could not be searched; the text says why, in the window's language."""


def history_from_file(path: Path, op: str, args: dict) -> object:
    """``op`` of the control channel (``history``, ``history.detail``) answered from the history
    file ``path`` (blocking: SQLite).  ValueError for a filter not understood."""
    if op == "history.detail":
        return history_query.detail(path, str(args["id"]))
    filters = history_query.filters_from(args)
    limit = int(args.get("limit") or history_query.DEFAULT_LIMIT)
    return history_query.search(path, filters, limit, int(args.get("offset") or 0))


class SignInError(Exception):
    """An OAuth 2.0 sign-in (or sign-out) failed; the text says what to do."""


class SecretStoreError(Exception):
    """The keyring could not be read or written; the text says why."""


class SecretKeeper(Protocol):
    """Who keeps the secrets the window is given: the window's own keyring, or (the window as the
    console of another gateway, app/gui/console.py) that gateway, through its control channel."""

    async def is_set(self, key: str) -> bool: ...

    async def save(self, key: str, secret: str) -> None: ...

    async def remove(self, key: str) -> None: ...


_keeper: SecretKeeper | None = None  # None: this process's keyring


def keep_secrets_with(keeper: SecretKeeper | None) -> None:
    """The password fields of every tab store through ``keeper`` from now on (None: here again)."""
    global _keeper
    _keeper = keeper


async def password_is_set(key: str) -> bool:
    if _keeper is not None:
        return await _keeper.is_set(key)
    try:
        return bool(await asyncio.to_thread(passwords.get, key))
    except (passwords.PasswordStoreError, ValueError) as exc:
        raise SecretStoreError(str(exc)) from exc


async def save_password(key: str, password: str) -> None:
    if _keeper is not None:
        return await _keeper.save(key, password)
    try:
        await asyncio.to_thread(passwords.set, key, password)
    except (passwords.PasswordStoreError, ValueError) as exc:
        raise SecretStoreError(str(exc)) from exc


async def remove_password(key: str) -> None:
    if _keeper is not None:
        return await _keeper.remove(key)
    try:
        await asyncio.to_thread(passwords.delete, key)
    except (passwords.PasswordStoreError, ValueError) as exc:
        raise SecretStoreError(str(exc)) from exc


class CertificateError(Exception):
    """A certificate could not be made or read; the text says why (the system's words), and
    ``unreadable`` whether the file could not be read at all rather than not be understood."""

    def __init__(self, text: str, unreadable: bool = False):
        super().__init__(text)
        self.unreadable = unreadable


async def create_certificate(settings: Settings, host: str | None = None) -> Certificate:
    """A self-signed certificate and its key for this gateway (``host`` None: the settings' host
    name), written into the data folder's tls folder; made in a thread (a new RSA key takes a
    moment).  Its ``cert`` and ``key`` are the absolute paths for server.tls_cert / tls_key."""
    from app.system import certificate

    # create_for also points the settings at the new files; it does so on a copy here (the window
    # fills in its own fields), so no thread but the GUI's writes the working copy.
    snapshot = copy.deepcopy(settings)
    try:
        made = await asyncio.to_thread(certificate.create_for, snapshot, host)
    except (OSError, ValueError) as exc:
        raise CertificateError(str(exc)) from exc
    return dataclasses.replace(made, cert=Path(snapshot.server.tls_cert), key=Path(snapshot.server.tls_key))


async def describe_certificate(settings: Settings, path: str) -> Certificate:
    """What the certificate file ``path`` (relative: beside the settings file) says: its host,
    expiry and SHA-256 fingerprint; read in a thread."""
    from app.system import certificate

    try:
        return await asyncio.to_thread(certificate.describe, settings.resolve(path))
    except OSError as exc:
        raise CertificateError(str(exc), unreadable=True) from exc
    except ValueError as exc:
        raise CertificateError(str(exc)) from exc


def keyring_problem() -> str | None:
    return passwords.keyring_problem()


def restore_keyring_choice() -> None:
    """A file keyring chosen earlier (in the window or by ``password use-file``) is used again."""
    passwords.apply_saved_choice(paths.data_dir())


def choose_file_keyring() -> Path:
    """The administrator chose to keep passwords in a file in the data folder; returns its path."""
    return passwords.choose_file_keyring(paths.data_dir())


def setup_logging() -> None:
    logs.setup_for_program()


autostart_supported = autostart.supported
autostart_enabled = autostart.enabled
set_autostart = autostart.set_enabled
