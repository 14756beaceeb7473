"""Server: listening, host name, limits, TLS certificate (or a self-signed one made here), retries,
backup, pause delivery, alerts (alerts_box.py)."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.gui import controller
from app.gui.i18n import tr
from app.gui.tabs.alerts_box import AlertsBox
from app.gui.tabs.listeners_box import ListenersBox
from app.settings import Backup, History, Queue, Server, check_field, range_of

DESCRIBE_AFTER_MS = 300


def _file_row(edit: QLineEdit, title: str, parent: QWidget, directory: bool = False) -> QHBoxLayout:
    row = QHBoxLayout()
    button = QPushButton(tr("Browse..."))

    def browse() -> None:
        if directory:
            path = QFileDialog.getExistingDirectory(parent, title, edit.text())
        else:
            path, _ = QFileDialog.getOpenFileName(parent, title, edit.text())
        if path:
            edit.setText(path)

    button.clicked.connect(browse)
    row.addWidget(edit, 1)
    row.addWidget(button)
    return row


class ServerTab(QWidget):
    pause_toggled = Signal(bool)

    def __init__(self, settings, paused: bool, gateway_controller=None, parent=None):
        super().__init__(parent)
        self.settings = settings
        server, queue, backup = settings.server, settings.queue, settings.backup
        self.error = QLabel()
        self.error.setObjectName("serverError")
        self.error.setStyleSheet("color: #b00020")

        self.listeners = ListenersBox(settings)
        self.listeners.problem.connect(self.error.setText)
        self.hostname = QLineEdit(server.hostname)
        self.hostname.setObjectName("hostname")
        self.hostname.textChanged.connect(lambda t: self._set(Server, server, "hostname", t.strip()))
        self.processes = QSpinBox()
        self.processes.setObjectName("processes")
        self.processes.setRange(*range_of(Server, "processes"))
        self.processes.setValue(server.processes)
        self.processes.setToolTip(
            tr("2 or more: worker processes accept on the same ports, so a busy gateway uses more than one CPU core")
        )
        self.processes.valueChanged.connect(lambda v: setattr(server, "processes", v))
        self.cert = QLineEdit(server.tls_cert)
        self.key = QLineEdit(server.tls_key)
        self.cert.setObjectName("tlsCert")
        self.key.setObjectName("tlsKey")
        self.cert.textChanged.connect(self._cert_changed)
        self.key.textChanged.connect(lambda t: setattr(server, "tls_key", t.strip()))
        self.create_cert = QPushButton(tr("Create a self-signed certificate"))
        self.create_cert.setObjectName("createCertificate")
        self.create_cert.setToolTip(
            tr(
                "Makes a certificate and its private key for this gateway's host name in Tenso's data folder "
                "and fills in both fields. Devices that check certificates must be told to trust it: compare "
                "the fingerprint."
            )
        )
        self.create_cert.clicked.connect(self.create_certificate)
        self.cert_info = QLabel()
        self.cert_info.setObjectName("certificateInfo")
        self.cert_info.setWordWrap(True)
        self.cert_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.cert_info.setVisible(False)
        self.describe_soon = QTimer(self)  # after typing stops: the file is read once, not per key
        self.describe_soon.setSingleShot(True)
        self.describe_soon.setInterval(DESCRIBE_AFTER_MS)
        self.describe_soon.timeout.connect(self.describe_certificate)
        self.auth_tls = QCheckBox(
            tr("Logins (local users and devices) only over TLS: after STARTTLS, or on an SMTPS listener")
        )
        self.auth_tls.setChecked(server.auth_requires_tls)
        self.auth_tls.toggled.connect(lambda on: setattr(server, "auth_requires_tls", on))

        receive = QGroupBox(tr("Receiving"))
        form = QFormLayout(receive)
        form.addRow(tr("Host name (EHLO)"), self.hostname)
        form.addRow(tr("Receiving processes"), self.processes)
        form.addRow(tr("TLS certificate (PEM)"), _file_row(self.cert, tr("TLS certificate"), self))
        form.addRow(tr("TLS private key (PEM)"), _file_row(self.key, tr("TLS private key"), self))
        certificate_row = QHBoxLayout()
        certificate_row.addWidget(self.create_cert)
        certificate_row.addStretch()
        form.addRow("", certificate_row)
        form.addRow("", self.cert_info)
        form.addRow(self.auth_tls)

        limits = self._limits(server)

        self.retry = QLineEdit(", ".join(str(m) for m in queue.retry_minutes))
        self.retry.setObjectName("retryMinutes")
        self.retry.textChanged.connect(self._retry_changed)
        self.max_age = QSpinBox()
        self.max_age.setRange(*range_of(Queue, "max_age_hours"))
        self.max_age.setSuffix(tr(" hours"))
        self.max_age.setValue(queue.max_age_hours)
        self.max_age.valueChanged.connect(lambda v: setattr(queue, "max_age_hours", v))
        self.pause = QCheckBox(tr("Pause delivery (mail is still accepted and kept in the queue)"))
        self.pause.setObjectName("pauseDelivery")
        self.pause.setChecked(paused)
        self.pause.toggled.connect(self.pause_toggled)
        delivery = QGroupBox(tr("Delivery"))
        form2 = QFormLayout(delivery)
        form2.addRow(tr("Retry after (minutes)"), self.retry)
        form2.addRow(tr("Give up after"), self.max_age)
        form2.addRow(self.pause)

        self.backup_on = QCheckBox(tr("Keep a copy of every message (送信メールのバックアップ)"))
        self.backup_on.setChecked(backup.enabled)
        self.backup_on.toggled.connect(lambda on: setattr(backup, "enabled", on))
        self.backup_dir = QLineEdit(backup.dir)
        self.backup_dir.setPlaceholderText(str(settings.backup_path))
        self.backup_dir.textChanged.connect(lambda t: setattr(backup, "dir", t.strip()))
        self.keep_days = QSpinBox()
        self.keep_days.setRange(*range_of(Backup, "keep_days"))
        self.keep_days.setSuffix(tr(" days"))
        self.keep_days.setValue(backup.keep_days)
        self.keep_days.valueChanged.connect(lambda v: self._set(Backup, backup, "keep_days", v))
        backup_box = QGroupBox(tr("Backup"))
        form3 = QFormLayout(backup_box)
        form3.addRow(self.backup_on)
        form3.addRow(tr("Folder"), _file_row(self.backup_dir, tr("Backup folder"), self, directory=True))
        form3.addRow(tr("Keep"), self.keep_days)
        history_box = self._history_box(settings)

        self.autostart = QCheckBox(tr("Start Tenso when I log in to Windows"))
        self.autostart.setObjectName("autostart")
        self.autostart.setVisible(controller.autostart_supported())
        self.autostart.setChecked(controller.autostart_enabled())
        self.autostart.toggled.connect(self._autostart)

        page = QWidget()
        column = QVBoxLayout(page)
        column.addWidget(self.autostart)
        column.addWidget(self.listeners)
        column.addWidget(receive)
        pair = QHBoxLayout()
        pair.addWidget(limits, 1)
        right = QVBoxLayout()
        right.addWidget(delivery)
        right.addWidget(backup_box)
        right.addWidget(history_box)
        right.addStretch()
        pair.addLayout(right, 1)
        column.addLayout(pair)
        self.alerts = AlertsBox(settings, gateway_controller)
        self.alerts.problem.connect(self.error.setText)
        column.addWidget(self.alerts)
        column.addStretch()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.error)  # outside the scrolled page: a problem is always in sight
        if server.tls_cert:
            self.describe_soon.start(0)

    def _history_box(self, settings) -> QGroupBox:
        """``history.enabled`` and ``history.days`` (docs/history.md): what the History tab searches."""
        history = settings.history
        self.history_on = QCheckBox(tr("Keep a history of every message (履歴)"))
        self.history_on.setObjectName("historyEnabled")
        self.history_on.setToolTip(
            tr(
                "Who sent what to whom, and what each destination answered, searchable in the History tab; "
                "never the content"
            )
        )
        self.history_on.setChecked(history.enabled)
        self.history_on.toggled.connect(lambda on: setattr(history, "enabled", on))
        self.history_days = QSpinBox()
        self.history_days.setObjectName("historyDays")
        self.history_days.setRange(*range_of(History, "days"))
        self.history_days.setSuffix(tr(" days"))
        self.history_days.setValue(history.days)
        self.history_days.valueChanged.connect(lambda v: self._set(History, history, "days", v))
        self.history_on.toggled.connect(self.history_days.setEnabled)
        self.history_days.setEnabled(history.enabled)
        box = QGroupBox(tr("History"))
        box.setObjectName("historyBox")
        form = QFormLayout(box)
        form.addRow(self.history_on)
        form.addRow(tr("Keep"), self.history_days)
        return box

    def _autostart(self, on: bool) -> None:
        try:
            controller.set_autostart(on)
        except OSError as exc:
            self.error.setText(str(exc))

    def _set(self, cls, obj, name, value) -> None:
        problem = check_field(cls, name, value)
        self.error.setText(f"{name}: {tr(problem)}" if problem else "")
        if not problem:
            setattr(obj, name, value)

    def _limits(self, server: Server) -> QGroupBox:
        """Limits against a runaway client or password guessing (receive/door.py), per process."""
        self.max_bytes = QSpinBox()
        low, high = range_of(Server, "max_message_bytes")
        self.max_bytes.setRange(max(1, low >> 20), high >> 20)  # in MB
        self.max_bytes.setSuffix(" MB")
        self.max_bytes.setValue(max(1, server.max_message_bytes // (1 << 20)))
        self.max_bytes.valueChanged.connect(lambda v: setattr(server, "max_message_bytes", v << 20))
        self.max_rcpts = QSpinBox()
        self.max_rcpts.setRange(*range_of(Server, "max_recipients"))
        self.max_rcpts.setValue(server.max_recipients)
        self.max_rcpts.valueChanged.connect(lambda v: setattr(server, "max_recipients", v))
        self.max_connections = self._spin(server, "max_connections", "maxConnections")
        self.max_connections.setToolTip(tr("Clients connected at the same time, per receiving process"))
        self.per_client = self._spin(server, "max_connections_per_client", "maxConnectionsPerClient")
        self.per_client.setToolTip(tr("Connections at the same time from one IP address, per receiving process"))
        self.failures = self._spin(server, "auth_failures_limit", "authFailuresLimit")
        self.failures.setSpecialValueText(tr("Off (no ban)"))
        self.failures.setToolTip(
            tr(
                "Failed logins from one IP address within 10 minutes before it may not log in for a while. "
                "0 = off: no address is ever barred."
            )
        )
        self.ban = self._spin(server, "auth_ban_minutes", "authBanMinutes")
        self.ban.setSuffix(tr(" min"))
        self.ban.setToolTip(tr("How long an address that failed too often may not log in"))
        self.ban.setEnabled(server.auth_failures_limit > 0)
        self.failures.valueChanged.connect(lambda v: self.ban.setEnabled(v > 0))
        box = QGroupBox(tr("Limits"))
        form = QFormLayout(box)
        form.addRow(tr("Largest message"), self.max_bytes)
        form.addRow(tr("Recipients per message"), self.max_rcpts)
        form.addRow(tr("Connections at once"), self.max_connections)
        form.addRow(tr("Connections per client"), self.per_client)
        form.addRow(tr("Failed logins before a ban"), self.failures)
        form.addRow(tr("Ban lasts"), self.ban)
        return box

    def _spin(self, server: Server, name: str, object_name: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setObjectName(object_name)
        spin.setRange(*range_of(Server, name))
        spin.setValue(getattr(server, name))
        spin.valueChanged.connect(lambda v: self._set(Server, server, name, v))
        return spin

    def _cert_changed(self, text: str) -> None:
        self.settings.server.tls_cert = text.strip()
        self.listeners.certificate_changed()
        self.describe_soon.start()

    @asyncSlot()
    async def create_certificate(self) -> None:
        """Makes a self-signed certificate off the GUI thread, then fills in both fields."""
        self.create_cert.setEnabled(False)
        self.show_certificate_text(tr("Creating a certificate..."))
        try:
            made = await controller.create_certificate(self.settings)
        except controller.CertificateError as exc:
            if shiboken6.isValid(self):
                self.show_certificate_text("")
                self.error.setText(tr("Certificate not created: {0}").format(str(exc)))
            return
        finally:
            if shiboken6.isValid(self):
                self.create_cert.setEnabled(True)
        if not shiboken6.isValid(self):
            return  # the tab was rebuilt (a language change) meanwhile
        self.error.setText("")
        self.key.setText(str(made.key))
        self.cert.setText(str(made.cert))
        self.describe_soon.stop()  # what the file would say is in hand
        self.show_certificate(made)

    @asyncSlot()
    async def describe_certificate(self) -> None:
        """The host, expiry and fingerprint of the certificate the field names (read in a thread)."""
        path = self.settings.server.tls_cert
        if not path:
            self.show_certificate_text("")
            return
        try:
            found = await controller.describe_certificate(self.settings, path)
        except controller.CertificateError as exc:
            if shiboken6.isValid(self) and path == self.settings.server.tls_cert:
                if exc.unreadable:
                    self.show_certificate_text(tr("The certificate file cannot be read: {0}").format(path))
                else:
                    self.show_certificate_text(tr("Not a PEM certificate (a -----BEGIN CERTIFICATE----- block)"))
                self.cert_info.setToolTip(str(exc))  # the system's own words, for whoever asks
            return
        if shiboken6.isValid(self) and path == self.settings.server.tls_cert:  # not typed over meanwhile
            self.show_certificate(found)

    def show_certificate(self, certificate) -> None:
        until = certificate.not_after.astimezone().strftime("%Y-%m-%d")
        text = tr("SHA-256 fingerprint: {0}\nfor {1}, valid until {2}")
        self.show_certificate_text(text.format(certificate.fingerprint, certificate.host, until))

    def show_certificate_text(self, text: str) -> None:
        self.cert_info.setText(text)
        self.cert_info.setToolTip("")
        self.cert_info.setVisible(bool(text))

    def _retry_changed(self, text: str) -> None:
        try:
            minutes = [int(p) for p in text.replace(" ", "").split(",") if p]
        except ValueError:
            self.error.setText(tr("Retry after: whole minutes separated by commas, e.g. 5, 10, 20"))
            return
        problem = check_field(Queue, "retry_minutes", minutes) if minutes else "must list at least one step"
        self.error.setText(tr("Retry after: {0}").format(tr(problem)) if problem else "")
        if not problem:
            self.settings.queue.retry_minutes = minutes
