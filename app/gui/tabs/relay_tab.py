"""中継 / Relay and options: the three checkboxes, max forward count, relay networks."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QFormLayout, QGroupBox, QLabel, QSpinBox, QVBoxLayout, QWidget

from app.gui.i18n import tr
from app.gui.widgets import ListEditor
from app.settings import Options, check_field, range_of


class RelayTab(QWidget):
    def __init__(self, settings, parent=None):
        super().__init__(parent)
        options = settings.options
        self.skip_local = QCheckBox(
            tr("Do not forward mail for local users (ローカル宛のメールを転送の処理対象としない)")
        )
        self.skip_local.setObjectName("skipLocal")
        self.relay_rules = QCheckBox(
            tr(
                "Accept mail from anyone when the recipient matches a rule (宛先に識別ドメインが含まれる場合は中継扱いとする)"
            )
        )
        self.relay_rules.setObjectName("relayForRuleMatches")
        self.check_users = QCheckBox(tr("Forward only registered local users (ローカルユーザーのチェックをする)"))
        self.check_users.setObjectName("checkLocalUsers")
        self.relay_auth = QCheckBox(tr("Clients that log in with SMTP AUTH may relay"))
        self.relay_auth.setObjectName("relayWhenAuthenticated")
        for check, name in (
            (self.skip_local, "skip_local"),
            (self.relay_rules, "relay_for_rule_matches"),
            (self.check_users, "check_local_users"),
            (self.relay_auth, "relay_when_authenticated"),
        ):
            check.setChecked(getattr(options, name))
            check.toggled.connect(lambda on, name=name: setattr(options, name, on))
        self.max_forward = QSpinBox()
        self.max_forward.setObjectName("maxForwardCount")
        self.max_forward.setRange(*range_of(Options, "max_forward_count"))
        self.max_forward.setValue(options.max_forward_count)
        self.max_forward.valueChanged.connect(lambda v: setattr(options, "max_forward_count", v))

        warning = QLabel(
            tr(
                'Careful: with both "accept when the recipient matches a rule" and "forward only '
                'registered local users", mail for unknown users goes to normal delivery; if DNS '
                "points back at this gateway, Tenso bounces it instead of looping."
            )
        )
        warning.setWordWrap(True)

        options_box = QGroupBox(tr("Options (欄外の設定)"))
        form = QFormLayout(options_box)
        form.addRow(self.skip_local)
        form.addRow(self.relay_rules)
        form.addRow(self.check_users)
        form.addRow(warning)
        form.addRow(tr("Max forward count (転送最大回数)"), self.max_forward)

        self.networks = ListEditor(
            options.relay_networks,
            lambda v: check_field(Options, "relay_networks", [v]),
            "192.168.1.0/24, 192.168.*.*, 192.168.1.10-192.168.1.50, ::1",
        )
        self.networks.setObjectName("relayNetworks")
        relay_box = QGroupBox(tr("Clients allowed to relay (中継を許可する設定)"))
        box = QVBoxLayout(relay_box)
        box.addWidget(
            QLabel(
                tr(
                    "Single addresses, networks (CIDR), wildcards and ranges; IPv6 too. "
                    "Anyone else may only send to local users."
                )
            )
        )
        box.addWidget(self.networks)
        box.addWidget(self.relay_auth)

        layout = QVBoxLayout(self)
        layout.addWidget(options_box)
        layout.addWidget(relay_box, 1)
