"""The rules tab (転送設定): the rules grid and its model, and the "which rule catches this
address?" box, which must agree with ``python -m app route`` run in a subprocess.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QWidget

from app.gui.rules_model import COL_DESTINATION, COL_MATCH, COL_PORT, COL_TLS
from app.settings import Rule
from tests.support import REPO
from tests.support.gateway import make_settings
from tests.support.gui import THREE_RULES, rule_matches, until

# --- the rules grid -----------------------------------------------------------------------


def test_rules_model_passes_the_qt_model_tester_through_edits_and_moves(qtmodeltester, model_of):
    model, settings = model_of(
        [*THREE_RULES, {"match": "*", "destination": "MTA"}, {"match": "@d.example", "destination": "d.host.example"}]
    )
    qtmodeltester.check(model)  # Qt's QAbstractItemModelTester stays attached and checks every signal below
    assert model.hidden_by(4) == 3
    assert model.moveRows(QModelIndex(), 4, 1, QModelIndex(), 0)
    assert model.moveRows(QModelIndex(), 0, 2, QModelIndex(), 5)
    assert model.setData(model.index(1, COL_DESTINATION), "other.host.example")
    assert not model.setData(model.index(1, COL_PORT), "70000")
    qtmodeltester.check(model)
    assert [r.match for r in settings.rules] == ["@b.example", "@c.example", "*", "@d.example", "@a.example"]
    assert settings.rules[1].destination == "other.host.example"


def test_rules_model_passes_the_qt_model_tester_when_a_rule_is_added_or_deleted_mid_table(qtmodeltester, model_of):
    # What the tab's Add... (insert below the selected row) and Delete buttons do.
    model, settings = model_of(THREE_RULES)
    qtmodeltester.check(model)
    model.insert_rule(1, Rule(match="@new.example", destination="new.host.example"))
    assert model.removeRows(0, 1)
    qtmodeltester.check(model)
    assert [r.match for r in settings.rules] == ["@new.example", "@b.example", "@c.example"]


def test_moved_rows_are_saved_in_the_new_order_on_apply(gui):
    window = gui.open(rules=THREE_RULES)
    model = window.rules_tab.model
    assert model.moveRows(QModelIndex(), 2, 1, QModelIndex(), 0)  # c to the top
    assert [model.index(r, COL_MATCH).data() for r in range(3)] == ["@c.example", "@a.example", "@b.example"]
    assert rule_matches(gui.saved()["rules"]) == ["@a.example", "@b.example", "@c.example"]  # not yet applied
    gui.apply(window)
    assert window.problems.text() == ""
    saved = gui.saved()["rules"]
    assert rule_matches(saved) == ["@c.example", "@a.example", "@b.example"]
    assert saved[0] == {**THREE_RULES[2], "conversion_host": ""}  # the whole row moved, not just its match

    assert model.moveRows(QModelIndex(), 0, 1, QModelIndex(), 3)  # and back down to the bottom
    gui.apply(window)
    assert rule_matches(gui.saved()["rules"]) == ["@a.example", "@b.example", "@c.example"]


@pytest.mark.parametrize("typed", ["70000", "0", "port"])
def test_invalid_port_is_refused_shown_and_not_saved(gui, typed):
    window = gui.open(rules=THREE_RULES)
    model = window.rules_tab.model
    error = window.findChild(QLabel, "rulesError")
    assert not model.setData(model.index(1, COL_PORT), typed)
    assert "Rule No. 2" in error.text() and "65535" in error.text(), error.text()
    assert model.index(1, COL_PORT).data() == 587
    assert not window.dirty

    assert model.setData(model.index(0, COL_DESTINATION), "new.host.example")  # a good edit clears the error
    assert error.text() == ""
    gui.apply(window)
    saved = gui.saved()["rules"]
    assert saved[1]["port"] == 587
    assert saved[0]["destination"] == "new.host.example"


def test_invalid_match_is_refused_shown_and_not_saved(gui):
    window = gui.open(rules=THREE_RULES)
    model = window.rules_tab.model
    error = window.findChild(QLabel, "rulesError")
    assert not model.setData(model.index(2, COL_MATCH), "c.example")  # the @ is missing
    assert "Rule No. 3" in error.text() and "@domain" in error.text(), error.text()
    assert model.index(2, COL_MATCH).data() == "@c.example"
    assert model.setData(model.index(1, COL_PORT), "465")
    gui.apply(window)
    saved = gui.saved()["rules"]
    assert saved[2]["match"] == "@c.example"
    assert saved[1]["port"] == 465


def test_rule_hidden_by_a_catch_all_above_is_greyed_with_a_tooltip_naming_it(gui):
    window = gui.open(
        rules=[
            {"match": "*", "destination": "smarthost.example", "port": 587},
            {"match": "@x.example", "destination": "x.host.example"},
        ]
    )
    model = window.rules_tab.model
    for col in range(model.columnCount()):
        brush = model.index(1, col).data(Qt.ItemDataRole.ForegroundRole)
        assert isinstance(brush, QBrush) and brush.color() == QColor("gray"), col
        tip = model.index(1, col).data(Qt.ItemDataRole.ToolTipRole)
        assert "No. 1" in tip and "(*)" in tip, tip
        assert model.index(0, col).data(Qt.ItemDataRole.ForegroundRole) is None
        assert model.index(0, col).data(Qt.ItemDataRole.ToolTipRole) is None

    changed = []
    model.dataChanged.connect(lambda *args: changed.append(args))
    assert model.moveRows(QModelIndex(), 1, 1, QModelIndex(), 0)  # @x.example above *: nothing is hidden now
    assert changed, "the view is not told to repaint the rows whose greying changed"
    for row in range(2):
        assert model.index(row, COL_MATCH).data(Qt.ItemDataRole.ForegroundRole) is None
        assert model.index(row, COL_MATCH).data(Qt.ItemDataRole.ToolTipRole) is None


# --- which rule catches this address? ----------------------------------------------------


ROUTE_SETTINGS = {
    "local_domains": ["example.jp", "local.test"],
    "local_users": [{"address": "user1@example.jp"}, {"address": "admin@local.test"}],
    "rules": [
        {"match": "user1@example.jp", "destination": "192.168.11.10", "port": 25, "tls": "none"},
        {"match": "@mail2.example.jp", "destination": "192.168.1.100", "port": 11000, "conversion_host": "example.jp"},
        {"match": "@example.com", "destination": "MTA"},
        {"match": "@example.jp", "destination": "mail1.example.net"},
        {"match": "@*.example.org", "destination": "relay.example.net", "port": 2525, "tls": "required"},
    ],
    "auth_accounts": {
        "common": {"username": "isp-id"},
        "per_user": [{"local_user": "user1@example.jp", "username": "id1"}],
    },
}
PROBE_RECIPIENTS = [
    "user1@example.jp",
    "Someone@Mail2.example.jp",
    "x@example.com",
    "user2@example.jp",
    "a@deep.b.example.org",
    "admin@local.test",
    "ghost@local.test",
    "nobody@nowhere.test",
]
GUI_KINDS = {
    "MTA: local mailbox": "local",
    "MTA: normal delivery by MX": "mx",
    "refused: no such local user": "unknown-local",
}
PROBE = re.compile(
    r"(?:rule No\. (?P<rule>\d+)|no rule) → (?P<where>[^\n]+)\n"
    r"sent as RCPT TO:<(?P<rcpt>[^>]*)>, auth account: (?P<auth>[^\n]+)(?:\n\((?P<note>.*)\))?"
)


def probe_answer(text: str) -> dict:
    m = PROBE.fullmatch(text)
    assert m, f"unexpected probe text: {text!r}"
    where = m["where"]
    if where in GUI_KINDS:
        delivery, destination, port = GUI_KINDS[where], "MTA", None
    else:
        forward = re.fullmatch(r"(.+):(\d+) \(TLS \w+\)", where)
        assert forward, where
        delivery, destination, port = "forward", forward[1], int(forward[2])
    return {
        "rule": int(m["rule"]) if m["rule"] else None,
        "destination": destination,
        "port": port,
        "rcpt": m["rcpt"],
        "auth": None if m["auth"] == "none" else m["auth"],
        "delivery": delivery,
        "note": m["note"] or "",
    }


def test_which_rule_box_agrees_with_the_route_command(gui):
    window = gui.open(make_settings(gui.tmp_path, **ROUTE_SETTINGS))
    tab = window.rules_tab
    rcpt_edit = window.findChild(QWidget, "probeRecipient")
    sender_edit = window.findChild(QWidget, "probeSender")
    result = window.findChild(QLabel, "probeResult")
    seen_kinds = set()
    for sender in ("user1@example.jp", ""):
        cli = subprocess.run(
            [
                sys.executable,
                "-m",
                "app",
                "route",
                "--json",
                "--config",
                str(gui.config),
                "--from",
                sender,
                *PROBE_RECIPIENTS,
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert cli.returncode == 0, cli.stderr
        expected = json.loads(cli.stdout)
        sender_edit.setText(sender)
        for recipient, want in zip(PROBE_RECIPIENTS, expected, strict=True):
            rcpt_edit.clear()
            QTest.keyClicks(rcpt_edit, recipient)
            got = probe_answer(result.text())
            assert got == {k: want[k] for k in got}, (sender, recipient, result.text())
            seen_kinds.add(got["delivery"])
    assert seen_kinds == {"forward", "local", "mx", "unknown-local"}
    # The box follows the grid as it is edited, before Apply.
    assert tab.model.moveRows(QModelIndex(), 3, 1, QModelIndex(), 0)  # @example.jp now above user1@example.jp
    sender_edit.setText("")
    rcpt_edit.setText("user1@example.jp")
    assert probe_answer(result.text())["destination"] == "mail1.example.net"


def test_a_graph_rule_shows_no_port_or_tls_and_the_which_rule_box_names_graph(gui):
    account = {
        "name": "graph",
        "username": "office@contoso.example",
        "oauth2": {
            "provider": "microsoft",
            "tenant": "contoso.example",
            "client_id": "c",
            "flow": "client_credentials",
        },
    }
    rules = [{"match": "*", "destination": "GRAPH", "account": "graph"}]
    window = gui.open(make_settings(gui.tmp_path, accounts=[account], rules=rules))
    model = window.rules_tab.model
    assert (model.index(0, COL_DESTINATION).data(), model.index(0, COL_PORT).data()) == ("GRAPH", "—")
    rcpt_edit = window.findChild(QWidget, "probeRecipient")
    QTest.keyClicks(rcpt_edit, "x@example.net")
    text = window.findChild(QLabel, "probeResult").text()
    assert text.startswith("rule No. 1 → GRAPH: Microsoft Graph, sent as office@contoso.example\n"), text
    assert text.endswith("auth account: graph"), text


def test_the_add_dialog_starts_empty_and_refuses_a_match_that_can_never_match(gui):
    """The dialog used to start with "*": typing @example.jp after it gave "*@example.jp", which
    passed every check and then matched nothing."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QDialogButtonBox

    window = gui.open(rules=THREE_RULES)
    tab = window.rules_tab
    seen = {}

    def fill_in() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:  # not shown yet
            QTimer.singleShot(20, fill_in)
            return
        ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
        seen["start"] = dialog.match.text()
        seen["hint"] = dialog.match.placeholderText()
        dialog.destination.setText("mail.example.jp")
        QTest.keyClicks(dialog.match, "*@example.jp")
        seen["star_ok"] = ok.isEnabled()
        seen["star_error"] = dialog.error.text()
        dialog.match.clear()
        QTest.keyClicks(dialog.match, "@example.jp")
        seen["domain_ok"] = ok.isEnabled()
        ok.click()

    QTimer.singleShot(0, fill_in)
    tab.add_rule()
    assert seen["start"] == "", "the match field starts empty"
    assert all(form in seen["hint"] for form in ("@example.jp", "@*.example.jp", "user@example.jp", "*"))
    assert seen["star_ok"] is False and "must be *, @domain, @*.domain or an address" in seen["star_error"]
    assert seen["domain_ok"] is True
    assert [r.match for r in tab.settings.rules][-1] == "@example.jp"


def test_the_tls_choices_are_explained_in_the_windows_language(gui):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.gui import i18n

    window = gui.open(rules=THREE_RULES)
    seen = {}

    def look() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(20, look)
            return
        seen["opportunistic"] = dialog.tls_help.text()
        seen["tooltips"] = [dialog.tls.itemData(i, Qt.ItemDataRole.ToolTipRole) for i in range(dialog.tls.count())]
        dialog.tls.setCurrentText("required")
        seen["required"] = dialog.tls_help.text()
        dialog.reject()

    try:
        assert i18n.install("ja")
        QTimer.singleShot(0, look)
        window.rules_tab.add_rule()
    finally:
        i18n.install("en")
    assert seen["opportunistic"].startswith("サーバーがSTARTTLSに対応していれば暗号化します"), seen
    assert "証明書の検証が必須" in seen["required"]
    assert len(seen["tooltips"]) == 4 and all(seen["tooltips"]), seen["tooltips"]


# --- check's warnings ----------------------------------------------------------------------------


def test_the_rules_tab_shows_the_warnings_check_gives_and_follows_the_grid_as_it_is_edited(gui):
    """``check`` warned of a login without TLS or the common password sent to another server; the
    window said nothing of either."""
    window = gui.open(
        rules=[
            {"match": "@a.example", "destination": "a.host.example", "tls": "none"},
            {"match": "@b.example", "destination": "b.host.example"},
        ],
        auth_accounts={"common": {"username": "isp-id"}},
    )
    tab = window.rules_tab
    window.tabs.setCurrentWidget(tab)
    cli = subprocess.run(
        [sys.executable, "-m", "app", "check", "--config", str(gui.config)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert cli.returncode == 0, cli.stderr
    checked = [line.removeprefix("warning: ") for line in cli.stderr.splitlines() if line.startswith("warning: rules[")]
    assert [w.split(":")[0] for w in checked] == ["rules[1].account", "rules[0].tls"], cli.stderr
    shown = tab.warnings.text().splitlines()
    assert tab.warnings_area.isVisibleTo(window)
    assert shown == ["Warnings (allowed, but probably not meant):", *(f"• {w}" for w in checked)]

    tab.model.replace_rule(1, Rule(match="@b.example", destination="b.host.example", account="none"))
    assert [line.split(":")[0] for line in tab.warnings.text().splitlines()[1:]] == ["• rules[0].tls"]
    tab.model.setData(tab.model.index(0, COL_TLS), "opportunistic")
    assert not tab.warnings_area.isVisibleTo(window) and tab.warnings.text() == ""


def test_the_status_tab_says_how_many_warnings_the_rules_in_use_have(gui):
    window = gui.open(
        rules=[{"match": "@a.example", "destination": "a.host.example", "tls": "none"}],
        auth_accounts={"common": {"username": "isp-id"}},
    )
    status = window.status_tab
    window.tabs.setCurrentWidget(status)
    gui.run(until(lambda: status.warnings.isVisible(), 5, "the Status tab's warning line"))
    assert status.warnings.text() == "The routing rules have 1 warning(s): see under the grid in Routing rules."
    window.working.rules[0].tls = "opportunistic"
    assert gui.run(window.apply_now())
    gui.run(until(lambda: not status.warnings.isVisible(), 10, "the line to go once applied"))


def test_the_rule_dialog_sets_send_as_and_refuses_what_is_not_an_address_or_account(gui):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QDialogButtonBox

    window = gui.open(rules=THREE_RULES)
    tab = window.rules_tab
    seen = {}

    def fill_in() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:  # not shown yet
            QTimer.singleShot(20, fill_in)
            return
        ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
        dialog.destination.setText("smtp.office365.com")
        QTest.keyClicks(dialog.match, "@example.jp")
        seen["start"] = (dialog.rewrite_from.text(), ok.isEnabled())
        QTest.keyClicks(dialog.rewrite_from, "scanner@")
        seen["bad"] = (ok.isEnabled(), dialog.error.text())
        dialog.rewrite_from.clear()
        QTest.keyClicks(dialog.rewrite_from, "account")
        seen["account_ok"] = ok.isEnabled()
        ok.click()

    QTimer.singleShot(0, fill_in)
    tab.add_rule()
    assert seen["start"] == ("", True), "empty (the device's own sender) is a valid choice"
    assert seen["bad"][0] is False and "Send as: must be empty, account, or an address" in seen["bad"][1]
    assert seen["account_ok"] is True
    assert tab.settings.rules[-1].rewrite_from == "account"
