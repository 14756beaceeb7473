"""Server: listening, host name, limits, TLS certificate, retries, backup, pause delivery."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.gui import controller
from app.gui.i18n import tr
from app.settings import Backup, Queue, Server, check_field


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

    def __init__(self, settings, paused: bool, parent=None):
        super().__init__(parent)
        self.settings = settings
        server, queue, backup = settings.server, settings.queue, settings.backup
        self.error = QLabel()
        self.error.setObjectName("serverError")
        self.error.setStyleSheet("color: #b00020")

        self.listen = QLineEdit(", ".join(server.listen))
        self.listen.setObjectName("listen")
        self.listen.setToolTip(tr("address:port, separated by commas: 0.0.0.0:25, [::]:25, 0.0.0.0:587"))
        self.listen.textChanged.connect(self._listen_changed)
        self.hostname = QLineEdit(server.hostname)
        self.hostname.setObjectName("hostname")
        self.hostname.textChanged.connect(lambda t: self._set(Server, server, "hostname", t.strip()))
        self.max_bytes = QSpinBox()
        self.max_bytes.setRange(1, 2047)
        self.max_bytes.setSuffix(" MB")
        self.max_bytes.setValue(max(1, server.max_message_bytes // (1 << 20)))
        self.max_bytes.valueChanged.connect(lambda v: setattr(server, "max_message_bytes", v << 20))
        self.max_rcpts = QSpinBox()
        self.max_rcpts.setRange(1, 100000)
        self.max_rcpts.setValue(server.max_recipients)
        self.max_rcpts.valueChanged.connect(lambda v: setattr(server, "max_recipients", v))
        self.processes = QSpinBox()
        self.processes.setObjectName("processes")
        self.processes.setRange(1, 16)
        self.processes.setValue(server.processes)
        self.processes.setToolTip(
            tr("2 or more: helper processes accept on the same ports, so a busy gateway uses more than one CPU core")
        )
        self.processes.valueChanged.connect(lambda v: setattr(server, "processes", v))
        self.cert = QLineEdit(server.tls_cert)
        self.key = QLineEdit(server.tls_key)
        self.cert.textChanged.connect(lambda t: setattr(server, "tls_cert", t.strip()))
        self.key.textChanged.connect(lambda t: setattr(server, "tls_key", t.strip()))
        self.auth_tls = QCheckBox(tr("Local users may log in only after STARTTLS"))
        self.auth_tls.setChecked(server.auth_requires_tls)
        self.auth_tls.toggled.connect(lambda on: setattr(server, "auth_requires_tls", on))

        receive = QGroupBox(tr("Receiving"))
        form = QFormLayout(receive)
        form.addRow(tr("Listen on"), self.listen)
        form.addRow(tr("Host name (EHLO)"), self.hostname)
        form.addRow(tr("Largest message"), self.max_bytes)
        form.addRow(tr("Recipients per message"), self.max_rcpts)
        form.addRow(tr("Receiving processes"), self.processes)
        form.addRow(tr("TLS certificate (PEM)"), _file_row(self.cert, tr("TLS certificate"), self))
        form.addRow(tr("TLS private key (PEM)"), _file_row(self.key, tr("TLS private key"), self))
        form.addRow(self.auth_tls)

        self.retry = QLineEdit(", ".join(str(m) for m in queue.retry_minutes))
        self.retry.setObjectName("retryMinutes")
        self.retry.textChanged.connect(self._retry_changed)
        self.max_age = QSpinBox()
        self.max_age.setRange(1, 24 * 30)
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
        self.keep_days.setRange(1, 3650)
        self.keep_days.setSuffix(tr(" days"))
        self.keep_days.setValue(backup.keep_days)
        self.keep_days.valueChanged.connect(lambda v: self._set(Backup, backup, "keep_days", v))
        backup_box = QGroupBox(tr("Backup"))
        form3 = QFormLayout(backup_box)
        form3.addRow(self.backup_on)
        form3.addRow(tr("Folder"), _file_row(self.backup_dir, tr("Backup folder"), self, directory=True))
        form3.addRow(tr("Keep"), self.keep_days)

        self.autostart = QCheckBox(tr("Start Tenso when I log in to Windows"))
        self.autostart.setObjectName("autostart")
        self.autostart.setVisible(controller.autostart_supported())
        self.autostart.setChecked(controller.autostart_enabled())
        self.autostart.toggled.connect(self._autostart)

        layout = QVBoxLayout(self)
        layout.addWidget(self.autostart)
        layout.addWidget(receive)
        layout.addWidget(delivery)
        layout.addWidget(backup_box)
        layout.addWidget(self.error)
        layout.addStretch()

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

    def _listen_changed(self, text: str) -> None:
        entries = [e.strip() for e in text.split(",") if e.strip()]
        problem = check_field(Server, "listen", entries) if entries else "must list at least one address:port"
        self.error.setText(tr("Listen on: {0}").format(tr(problem)) if problem else "")
        if not problem:
            self.settings.server.listen = entries

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
