"""転送設定 / Routing rules: the ordered grid, its buttons, the warnings ``python -m app check`` gives
of these rules, and "which rule catches this address?"."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.gui.controller import GatewayController, RouteKind
from app.gui.i18n import tr
from app.gui.rules_model import COL_DESTINATION, COL_MATCH, COL_TLS, RulesModel
from app.problems import worded
from app.settings import Rule, RuleAccount, TlsMode, check_field, range_of


def tls_explanation(mode: str) -> str:
    """What a TLS choice does, in the window's language (the choices themselves are settings words)."""
    explanations: dict[str, str] = {
        TlsMode.NONE: tr(
            "No encryption: the mail and the password cross the network readable. Only for a server on this LAN."
        ),
        TlsMode.OPPORTUNISTIC: tr(
            "Encrypted when the server offers STARTTLS, without checking its certificate; plain otherwise."
        ),
        TlsMode.REQUIRED: tr(
            "STARTTLS with a verified certificate, or the mail waits in the queue. For an ISP or "
            "Microsoft 365 on port 587."
        ),
        TlsMode.IMPLICIT: tr("TLS from the first byte (SMTPS, usually port 465), with a verified certificate."),
    }
    return explanations.get(mode, "")


class RuleDialog(QDialog):
    """Add or edit one rule with every field at once; OK only when all fields are valid."""

    def __init__(self, rule: Rule, parent=None, accounts: list[str] | None = None):
        super().__init__(parent)
        self.setWindowTitle(tr("Routing rule"))
        self.account = QComboBox()
        self.account.setObjectName("ruleAccount")
        self.account.addItem(
            tr("As the original: the sender's own account, else the common account"), RuleAccount.SENDERS
        )
        self.account.addItem(tr("None: never log in"), RuleAccount.NONE)
        for name in accounts or []:
            self.account.addItem(name, name)
        if self.account.findData(rule.account) < 0:
            self.account.addItem(rule.account, rule.account)  # a name the accounts list lacks: kept
        self.account.setCurrentIndex(self.account.findData(rule.account))
        self.match = QLineEdit(rule.match)
        self.match.setPlaceholderText("@example.jp / @*.example.jp / user@example.jp / *")
        self.destination = QLineEdit(rule.destination)
        self.destination.setPlaceholderText(tr("host name, IP address or MTA"))
        self.port = QSpinBox()
        self.port.setRange(*range_of(Rule, "port"))
        self.port.setValue(rule.port)
        self.conversion = QLineEdit(rule.conversion_host)
        self.conversion.setPlaceholderText(tr("optional, e.g. example.jp"))
        # rules[].rewrite_from: Exchange refuses a sender the mailbox does not own (550 5.7.60).
        self.rewrite_from = QLineEdit(rule.rewrite_from)
        self.rewrite_from.setObjectName("ruleRewriteFrom")
        self.rewrite_from.setPlaceholderText(tr("empty: the device's own; account: the login's mailbox; or an address"))
        self.tls = QComboBox()
        self.tls.addItems(list(TlsMode))
        for i, mode in enumerate(TlsMode):
            self.tls.setItemData(i, tls_explanation(mode), Qt.ItemDataRole.ToolTipRole)
        self.tls.setCurrentText(rule.tls)
        self.tls_help = QLabel(tls_explanation(rule.tls))
        self.tls_help.setObjectName("tlsHelp")
        self.tls_help.setWordWrap(True)
        self.tls.currentTextChanged.connect(lambda mode: self.tls_help.setText(tls_explanation(mode)))
        self.error = QLabel()
        self.error.setObjectName("ruleDialogError")
        self.error.setStyleSheet("color: #b00020")
        form = QFormLayout()
        form.addRow(tr("Match (識別ドメイン)"), self.match)
        form.addRow(tr("Destination (転送先)"), self.destination)
        form.addRow(tr("Port (ポート)"), self.port)
        form.addRow(tr("Conversion host (変換ホスト名)"), self.conversion)
        form.addRow("TLS", self.tls)
        form.addRow("", self.tls_help)
        form.addRow(tr("Login account"), self.account)
        form.addRow(tr("Send as"), self.rewrite_from)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        for edit in (self.match, self.destination, self.conversion, self.rewrite_from):
            edit.textChanged.connect(self.validate)
        self.validate()

    def rule(self) -> Rule:
        return Rule(
            match=self.match.text().strip(),
            destination=self.destination.text().strip(),
            port=self.port.value(),
            conversion_host=self.conversion.text().strip(),
            tls=TlsMode(self.tls.currentText()),
            account=self.account.currentData() or "",
            rewrite_from=self.rewrite_from.text().strip(),
        )

    def validate(self) -> bool:
        """OK only when every field is valid; the first field that holds a mistake says so
        (one not filled in yet is no mistake, and does not hide a later one)."""
        rule = self.rule()
        waiting = False
        for name, label in (
            ("match", "Match (識別ドメイン)"),
            ("destination", "Destination (転送先)"),
            ("conversion_host", "Conversion host (変換ホスト名)"),
            ("rewrite_from", "Send as"),
        ):
            value = getattr(rule, name)
            problem = check_field(Rule, name, value)
            if problem and value == "":
                waiting = True  # OK waits; the field's hint shows what goes there
            elif problem:
                self.error.setText(f"{tr(label)}: {tr(problem)}")
                self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
                return False
        self.error.setText("")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not waiting)
        return not waiting


class RulesTab(QWidget):
    assistant_requested = Signal()  # "Setup assistant...": the window opens it on its working copy

    def __init__(self, settings, parent=None):
        super().__init__(parent)
        self.settings = settings
        self.model = RulesModel(settings, self)
        self.view = QTableView()
        self.view.setObjectName("rulesView")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setDragEnabled(True)
        self.view.setAcceptDrops(True)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.view.setDragDropOverwriteMode(False)
        self.view.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.view.setDropIndicatorShown(True)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_MATCH, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_DESTINATION, QHeaderView.ResizeMode.Stretch)
        # Wide enough for the longest choice, whatever the rows hold now ("op…" otherwise).
        header.setSectionResizeMode(COL_TLS, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(COL_TLS, self.view.fontMetrics().horizontalAdvance(max(TlsMode, key=len)) + 24)

        self.error = QLabel()
        self.error.setObjectName("rulesError")
        self.error.setStyleSheet("color: #b00020")
        self.model.problem.connect(self._show_problem)

        buttons = QHBoxLayout()
        self.add_button = QPushButton(tr("Add..."))
        self.edit_button = QPushButton(tr("Edit..."))
        self.delete_button = QPushButton(tr("Delete"))
        self.up_button = QPushButton(tr("Move up"))
        self.down_button = QPushButton(tr("Move down"))
        for b in (self.add_button, self.edit_button, self.delete_button, self.up_button, self.down_button):
            buttons.addWidget(b)
        buttons.addStretch()
        self.assistant_button = QPushButton(tr("Setup assistant..."))
        self.assistant_button.setObjectName("openAssistant")
        self.assistant_button.clicked.connect(self.assistant_requested)
        buttons.addWidget(self.assistant_button)
        self.add_button.clicked.connect(self.add_rule)
        self.edit_button.clicked.connect(self.edit_rule)
        self.delete_button.clicked.connect(self.delete_rule)
        self.up_button.clicked.connect(lambda: self.move_rule(-1))
        self.down_button.clicked.connect(lambda: self.move_rule(1))

        hint = QLabel(
            tr(
                "Rules are tried from the top; the first match decides. "
                "A recipient that matches no rule gets normal delivery (MTA). "
                "Drag a row to reorder. Greyed rows can never match."
            )
        )
        hint.setWordWrap(True)

        # "which rule catches this address?"
        self.probe_rcpt = QLineEdit()
        self.probe_rcpt.setObjectName("probeRecipient")
        self.probe_rcpt.setPlaceholderText("user@example.jp")
        self.probe_sender = QLineEdit()
        self.probe_sender.setObjectName("probeSender")
        self.probe_sender.setPlaceholderText(tr("optional: the sender (chooses the auth account)"))
        self.probe_result = QLabel()
        self.probe_result.setObjectName("probeResult")
        self.probe_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.probe_result.setWordWrap(True)
        probe = QGroupBox(tr("Which rule catches this address?"))
        form = QFormLayout(probe)
        form.addRow(tr("Recipient"), self.probe_rcpt)
        form.addRow(tr("Sender"), self.probe_sender)
        form.addRow(self.probe_result)
        self.probe_rcpt.textChanged.connect(self.update_probe)
        self.probe_sender.textChanged.connect(self.update_probe)
        self.model.changed.connect(self.update_probe)

        # What check warns of: allowed, but almost certainly not meant (a row hidden by one above,
        # the common password sent to another server, a login without TLS).  Live, as the greyed
        # rows are; a few lines high, scrolling beyond.
        self.warnings = QLabel()
        self.warnings.setObjectName("rulesWarnings")
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("color: #8a5a00")
        self.warnings.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.warnings_area = QScrollArea()
        self.warnings_area.setWidgetResizable(True)
        self.warnings_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.warnings_area.setWidget(self.warnings)
        self.warnings_area.setMaximumHeight(self.fontMetrics().lineSpacing() * 7)
        self.model.changed.connect(self.update_warnings)
        self.update_warnings()

        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.warnings_area)
        layout.addLayout(buttons)
        layout.addWidget(probe)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.update_warnings()  # the common account may have changed in Auth accounts meanwhile

    def update_warnings(self) -> None:
        """The warnings of the rules as they are now, in the window's language."""
        try:
            found = [worded(w, tr) for w in GatewayController.warnings(self.settings)]
        except ValueError:  # a row being edited is not valid yet: its problem is shown instead
            found = []
        heading = tr("Warnings (allowed, but probably not meant):")
        self.warnings.setText("\n".join([heading, *(f"• {w}" for w in found)]) if found else "")
        self.warnings_area.setVisible(bool(found))

    def _show_problem(self, row: int, col: int, message: str) -> None:
        self.error.setText(tr("Rule No. {0}: {1}").format(row + 1, message) if message else "")

    def selected_row(self) -> int | None:
        rows = self.view.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def add_rule(self) -> None:
        dialog = RuleDialog(Rule(match="", destination="", tls=TlsMode.OPPORTUNISTIC), self, self._account_names())
        if dialog.exec() == QDialog.DialogCode.Accepted:
            row = self.selected_row()
            at = len(self.model.rules) if row is None else row + 1
            self.model.insert_rule(at, dialog.rule())
            self.view.selectRow(at)

    def edit_rule(self) -> None:
        row = self.selected_row()
        if row is None:
            return
        dialog = RuleDialog(self.model.rule_copy(row), self, self._account_names())
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.model.replace_rule(row, dialog.rule())

    def _account_names(self) -> list[str]:
        return [a.name for a in self.settings.accounts]

    def delete_rule(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.model.removeRows(row, 1)

    def move_rule(self, delta: int) -> None:
        row = self.selected_row()
        if row is not None and self.model.move(row, delta):
            self.view.selectRow(row + delta)

    def update_probe(self) -> None:
        recipient = self.probe_rcpt.text().strip()
        if "@" not in recipient:
            self.probe_result.setText("")
            return
        try:
            d = GatewayController.route_preview(self.settings, recipient, self.probe_sender.text().strip())
        except ValueError as exc:
            self.probe_result.setText(str(exc))
            return
        rule = tr("rule No. {0}").format(d.rule) if d.rule else tr("no rule")
        if d.kind == RouteKind.FORWARD:
            where = f"{d.host}:{d.port} (TLS {d.tls})"
            auth = str(d.auth) if d.auth else tr("none")
        elif d.kind == RouteKind.GRAPH:
            where = tr("GRAPH: Microsoft Graph, sent as {0}").format(d.auth.username if d.auth else "?")
            auth = str(d.auth) if d.auth else tr("none")
        else:
            where = {
                RouteKind.LOCAL: tr("MTA: local mailbox"),
                RouteKind.MX: tr("MTA: normal delivery by MX"),
                RouteKind.UNKNOWN_LOCAL: tr("refused: no such local user"),
            }[d.kind]
            auth = tr("none")
        self.probe_result.setText(
            tr("{0} → {1}\nsent as RCPT TO:<{2}>, auth account: {3}").format(rule, where, d.rcpt, auth)
            + (f"\n({d.note})" if d.note else "")
        )
