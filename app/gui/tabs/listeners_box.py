"""Server → Listen on: one row per listening address, each with its own security.

A row is a ``Listener`` (app/settings/sections.py): its address, how TLS starts (STARTTLS, implicit TLS
from the first byte, or none), the TLS profile (modern, or legacy for old scanners), whether a
client must log in before it may send, and the networks that may connect.  The last column
says in plain words what a weak row gives away, so an administrator who opens port 25 without
TLS for an old copier sees what that costs.

Every edit is checked with the settings' own field checks; a row with a problem is named in
the tab's error label and nothing is written until it is fixed.  A row with nothing but the
defaults is written back as the plain ``"ADDRESS:PORT"`` string, and a row nobody changed keeps
the form it had in the file, so a settings file stays as it was unless a listener changed.
"""

from __future__ import annotations

import re
from typing import cast

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from app.gui.i18n import tr, tr_later
from app.problems import Problem, worded
from app.settings import Listener, ListenerTls, Settings, TlsProfile, Weakness, check_field

COL_ADDRESS, COL_TLS, COL_PROFILE, COL_AUTH, COL_NETWORKS, COL_BADGE = range(6)
HEADERS = (
    tr_later("Address"),
    tr_later("TLS"),
    tr_later("Profile"),
    tr_later("Login required"),
    tr_later("Networks"),
    tr_later("Warning"),
)
TLS_CHOICES = (
    (ListenerTls.STARTTLS, tr_later("STARTTLS")),
    (ListenerTls.IMPLICIT, tr_later("Implicit TLS (SMTPS)")),
    (ListenerTls.NONE, tr_later("None")),
)
PROFILE_CHOICES = (
    (TlsProfile.MODERN, tr_later("Modern (TLS 1.2+)")),
    (TlsProfile.LEGACY, tr_later("Legacy (TLS 1.0+, old devices)")),
)
NO_CERTIFICATE = "no certificate"  # STARTTLS without a certificate: plain in effect
BADGES = {
    Weakness.PLAIN: tr_later("no TLS: passwords and scans readable on the LAN"),
    Weakness.LEGACY: tr_later("legacy TLS: weak ciphers, no forward secrecy"),
    NO_CERTIFICATE: tr_later("no certificate: STARTTLS not offered"),
}
# Check messages that name the value typed (app/system/net.py, app/mail/relaynets.py); the others
# are fixed texts, looked up whole (tools/update_ts.py lists them).
VALUE_CHECKS = (tr_later("{0} is not an IP address"), tr_later("{0} is not a network such as 192.168.0.0/16"))
WARNING = "#b26a00"  # the Status tab's "delivery paused" orange: a warning, not an error
SUGGESTED = ("0.0.0.0:587", "0.0.0.0:465", "0.0.0.0:2525", "0.0.0.0:25")
ROW_FIELD = re.compile(r"^server\.listen\[(\d+)\]\.(\w+)$")


def badge(listener: Listener, has_certificate: bool) -> str:
    """What a weak listener gives away, in the window's language ("" when nothing)."""
    if listener.weak == Weakness.PLAIN:
        return tr(BADGES[Weakness.PLAIN])
    if listener.tls == ListenerTls.STARTTLS and not has_certificate:
        return tr(BADGES[NO_CERTIFICATE])  # nothing to offer STARTTLS with: plain in effect
    if listener.weak == Weakness.LEGACY:
        return tr(BADGES[Weakness.LEGACY])
    return ""


def worded_check(problem: str) -> str:
    """A field check's message in the window's language; the few that carry the value typed
    ("192.168.1 is not an IP address") are translated around it."""
    for pattern in VALUE_CHECKS:
        head, _, tail = pattern.partition("{0}")
        if problem.endswith(tail) and problem.startswith(head) and len(problem) > len(head) + len(tail):
            return tr(pattern).format(problem[len(head) : len(problem) - len(tail)])
    return tr(problem)


def _listener(entry: str | Listener) -> Listener:
    return entry if isinstance(entry, Listener) else Listener(address=entry)


class ListenersBox(QGroupBox):
    """The ``server.listen`` table; ``problem`` carries the text for the tab's error label."""

    problem = Signal(str)

    def __init__(self, settings: Settings, parent=None):
        super().__init__(tr("Listen on"), parent)
        self.settings = settings  # the window's working copy
        self.originals: list[str | Listener | None] = []  # per row: the entry as read (None: added)
        self.shown = ""  # the problems last sent to the error label
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("listeners")
        tips = {
            COL_AUTH: tr("Clients must log in (SMTP AUTH) before they may send: for a submission port such as 587"),
            COL_NETWORKS: tr(
                "Who may connect: networks or addresses separated by commas, such as 192.168.1.0/24, 10.0.0.5; "
                "empty: anyone"
            ),
        }
        for column, text in enumerate(HEADERS):
            item = QTableWidgetItem(tr(text))
            item.setToolTip(tips.get(column, ""))
            self.table.setHorizontalHeaderItem(column, item)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        for column in (COL_ADDRESS, COL_TLS, COL_PROFILE, COL_AUTH, COL_NETWORKS):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_BADGE, QHeaderView.ResizeMode.Stretch)
        # Rows as tall as their warning needs at the width they get (two lines in a small window).
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        two_lines = max(self.table.verticalHeader().defaultSectionSize(), 2 * self.fontMetrics().lineSpacing() + 10)
        self.table.setMinimumHeight(self.table.horizontalHeader().sizeHint().height() + 3 * two_lines + 4)
        self.table.itemChanged.connect(self._changed)
        self.add_button = QPushButton(tr("Add listener"))
        self.add_button.setObjectName("addListener")
        self.remove_button = QPushButton(tr("Remove listener"))
        self.remove_button.setObjectName("removeListener")
        self.add_button.clicked.connect(self.add_listener)
        self.remove_button.clicked.connect(self.remove_listener)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch()
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self.table.blockSignals(True)
        for entry in settings.server.listen:
            self._append(_listener(entry), entry)
        self.table.blockSignals(False)
        self.refresh_badges()
        self._buttons()

    # --- rows ---

    def _append(self, listener: Listener, original: str | Listener | None) -> int:
        r = self.table.rowCount()
        self.table.insertRow(r)
        self.originals.append(original)
        self.table.setItem(r, COL_ADDRESS, QTableWidgetItem(listener.address))
        self.table.setCellWidget(r, COL_TLS, self._combo(TLS_CHOICES, listener.tls, "listenerTls"))
        self.table.setCellWidget(r, COL_PROFILE, self._combo(PROFILE_CHOICES, listener.tls_profile, "listenerProfile"))
        auth = QTableWidgetItem()
        auth.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        auth.setCheckState(Qt.CheckState.Checked if listener.require_auth else Qt.CheckState.Unchecked)
        self.table.setItem(r, COL_AUTH, auth)
        networks = QTableWidgetItem(", ".join(listener.networks))
        networks.setToolTip(tr("Empty: any client may connect"))
        self.table.setItem(r, COL_NETWORKS, networks)
        mark = QTableWidgetItem()
        mark.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        mark.setForeground(QBrush(QColor(WARNING)))
        bold = QFont(mark.font())
        bold.setBold(True)
        mark.setFont(bold)
        self.table.setItem(r, COL_BADGE, mark)
        return r

    def _combo(self, choices: tuple[tuple[str, str], ...], value: str, name: str) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(name)
        for data, label in choices:
            combo.addItem(tr(label), data)
        combo.setCurrentIndex(max(0, combo.findData(value)))
        combo.currentIndexChanged.connect(self._changed)
        return combo

    def combo(self, row: int, column: int) -> QComboBox:
        return cast(QComboBox, self.table.cellWidget(row, column))

    def _text(self, row: int, column: int) -> str:
        return cast(QTableWidgetItem, self.table.item(row, column)).text().strip()

    def listener(self, row: int) -> Listener:
        """Row ``row`` as the table shows it (not checked)."""
        networks = [n.strip() for n in self._text(row, COL_NETWORKS).split(",") if n.strip()]
        auth = cast(QTableWidgetItem, self.table.item(row, COL_AUTH)).checkState() == Qt.CheckState.Checked
        return Listener(
            address=self._text(row, COL_ADDRESS),
            tls=ListenerTls(self.combo(row, COL_TLS).currentData()),
            tls_profile=TlsProfile(self.combo(row, COL_PROFILE).currentData()),
            require_auth=auth,
            networks=networks,
        )

    def entries(self) -> list[str | Listener]:
        """What ``server.listen`` becomes: a row as read stays as it was; a row with only the
        defaults is the plain string; any other row an object."""
        found: list[str | Listener] = []
        for row in range(self.table.rowCount()):
            listener, original = self.listener(row), self.originals[row]
            if original is not None and _listener(original) == listener:
                found.append(original)
            elif listener == Listener(address=listener.address):
                found.append(listener.address)
            else:
                found.append(listener)
        return found

    # --- checking and writing back ---

    def row_problems(self) -> list[str]:
        """Each row's field problems, naming the row as the table numbers it (from 1)."""
        found = []
        for row in range(self.table.rowCount()):
            listener = self.listener(row)
            for name in ("address", "networks"):
                problem = check_field(Listener, name, getattr(listener, name))
                if problem:
                    found.append(tr("Listener {0}: {1}: {2}").format(row + 1, name, worded_check(problem)))
        return found

    def combined_problems(self) -> list[str]:
        """What the whole settings say about the listeners (implicit TLS without a certificate,
        a login required where no login is allowed), each naming its row."""
        found = []
        for problem in self.settings.problems():
            match = ROW_FIELD.match(problem.field) if isinstance(problem, Problem) else None
            if match:
                body = worded(Problem("", problem.template, problem.translated, **problem.params), tr)
                found.append(tr("Listener {0}: {1}: {2}").format(int(match[1]) + 1, match[2], body))
        return found

    def _changed(self, *args) -> None:
        problems = self.row_problems()
        if not problems:
            self.settings.server.listen = self.entries()
            problems = self.combined_problems()
        self.refresh_badges()
        self._buttons()
        text = "\n".join(problems)
        if text != self.shown:  # the label is shared: leave another field's problem alone
            self.shown = text
            self.problem.emit(text)

    def refresh_badges(self) -> None:
        """The warning column, and the profile only where TLS is used (also after the
        certificate fields changed: STARTTLS needs a certificate)."""
        has_certificate = bool(self.settings.server.tls_cert)
        self.table.blockSignals(True)
        for row in range(self.table.rowCount()):
            listener = self.listener(row)
            cast(QTableWidgetItem, self.table.item(row, COL_BADGE)).setText(badge(listener, has_certificate))
            self.combo(row, COL_PROFILE).setEnabled(listener.tls != ListenerTls.NONE)
        self.table.blockSignals(False)

    def certificate_changed(self) -> None:
        """The certificate fields changed: the badges, and implicit TLS's need of one."""
        self._changed()

    def _buttons(self) -> None:
        self.remove_button.setEnabled(self.table.rowCount() > 1)

    def add_listener(self) -> None:
        """A new row on a port no row uses yet (587, the submission port, first)."""
        taken = {self.listener(r).address.rpartition(":")[2] for r in range(self.table.rowCount())}
        address = next((a for a in SUGGESTED if a.rpartition(":")[2] not in taken), "0.0.0.0:2526")
        self.table.blockSignals(True)
        row = self._append(Listener(address=address), None)
        self.table.blockSignals(False)
        self._changed()
        self.table.setCurrentCell(row, COL_ADDRESS)

    def remove_listener(self) -> None:
        """Removes the selected row; the last one stays (Tenso must listen somewhere)."""
        row = self.table.currentRow()
        if self.table.rowCount() <= 1 or not 0 <= row < self.table.rowCount():
            return
        self.table.removeRow(row)
        del self.originals[row]
        self._changed()
