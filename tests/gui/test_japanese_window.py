"""The Japanese window speaks Japanese only: no English sentence anywhere on show (labels,
buttons, tooltips, placeholders, table headers, choices; every tab, the Status tab with figures),
and what the engine says (a settings problem, a port in use, a test login that cannot connect)
arrives worded in Japanese, while the command line and the log keep the English.

"English sentence" is judged by its words: after taking away what is the same in both languages
(addresses, host names, paths, ports, upper-case protocol names such as SMTP or STARTTLS, the
settings' own words such as ``none``), two English words in a row are English the user has to
read.
"""

from __future__ import annotations

import asyncio
import re
import socket

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QTableView,
    QTableWidget,
    QTabWidget,
    QWidget,
)

from app.gui import i18n
from app.store.activity import FILE_NAME, Activity, Delivered, Outcome
from app.system import passwords
from tests.support.gui import THREE_RULES, start_on_a_taken_port, until
from tests.support.processes import free_port

SAME_IN_BOTH = re.compile(
    r"\S+@\S+"  # addresses
    r"|\S*[./:\\]\S*"  # host names, paths, address:port, server.listen
    r"|\b[A-Z][A-Z0-9-]+\b"  # SMTP, STARTTLS, TLS, CRAM-MD5, IPv6's IP
    r"|\bIPv6\b|\bTenso\b|\bEnglish\b|\bforward\.txt\b"
    r"|\b(?:none|opportunistic|required|implicit|common)\b"  # the settings' own words
)
TWO_WORDS = re.compile(r"[A-Za-z]{2,}[\s,]+[A-Za-z]{2,}")


def english_in(text: str) -> str | None:
    rest = SAME_IN_BOTH.sub(" ", text)
    found = TWO_WORDS.search(rest)
    return found.group(0) if found else None


def test_the_english_detector_catches_english_and_passes_japanese():
    assert english_in("Not saved. Fix these first:")
    assert english_in("rules[0].destination: 127.0.0.1:25 is Tenso itself (server.listen)")
    assert english_in("cannot connect to 127.0.0.1:9: [Errno 111] Connection refused")
    assert not english_in("1: a.host.example:25 (TLS none)")
    assert not english_in("ローカルユーザーの認証は STARTTLS の後のみ許可する")
    assert not english_in("127.0.0.1:2525 で待ち受け中")
    assert not english_in("user1@example.jp のアカウント id1")


def widget_texts(widget: QWidget) -> list[str]:
    """The texts one widget shows: its own words, tooltip, placeholder, choices, headers."""
    texts = [widget.toolTip()]
    if isinstance(widget, (QLabel, QPushButton, QCheckBox, QRadioButton)):
        texts.append(widget.text())
    if isinstance(widget, QGroupBox):
        texts.append(widget.title())
    if isinstance(widget, QLineEdit):
        texts.append(widget.placeholderText())
    if isinstance(widget, QComboBox):
        texts += [widget.itemText(i) for i in range(widget.count())]
        texts += [str(widget.itemData(i, Qt.ItemDataRole.ToolTipRole) or "") for i in range(widget.count())]
    if isinstance(widget, QTabWidget):
        texts += [widget.tabText(i) for i in range(widget.count())]
    if isinstance(widget, QTableView) and widget.model() is not None:
        model = widget.model()
        columns = range(widget.horizontalHeader().count())
        texts += [str(model.headerData(c, Qt.Orientation.Horizontal) or "") for c in columns]
    if isinstance(widget, QTableWidget):
        items = [
            widget.item(r, c)
            for r in range(widget.rowCount())
            for c in range(widget.columnCount())
            if widget.item(r, c)
        ]
        texts += [item.toolTip() for item in items]
        # Cells nobody can type in are the window's own words (a listener's warning, a
        # device's password state); typed cells hold addresses and names.
        texts += [item.text() for item in items if not item.flags() & Qt.ItemFlag.ItemIsEditable]
        texts += [
            str(widget.horizontalHeaderItem(c).toolTip())
            for c in range(widget.columnCount())
            if widget.horizontalHeaderItem(c)
        ]
    return [t for t in texts if t]


def texts_of(root: QWidget) -> list[str]:
    """Every text on show in ``root`` and its visible children."""
    return [t for widget in [root, *root.findChildren(QWidget)] if widget.isVisible() for t in widget_texts(widget)]


def shown_texts(window) -> list[tuple[str, str]]:
    """Every text on show, each tab current in turn: (where, text)."""
    found: list[tuple[str, str]] = []
    current = window.tabs.currentIndex()
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        tab = window.tabs.tabText(index)
        found.append(("tab", tab))
        for widget in window.findChildren(QWidget):
            if not widget.isVisible():
                continue
            where = f"{tab}: {type(widget).__name__} {widget.objectName()}".strip()
            found += [(where, t) for t in widget_texts(widget)]
    for action in window.menuBar().actions():
        found.append(("menu", action.text()))
        for item in action.menu().actions() if action.menu() else []:
            found.append(("menu item", item.text()))
    window.tabs.setCurrentIndex(current)
    return found


WEAK_LISTENERS = [
    "127.0.0.1:0",  # STARTTLS, and no certificate
    {"address": "127.0.0.1:0", "tls": "none", "networks": ["192.168.1.0/24"]},
    {"address": "127.0.0.1:0", "tls_profile": "legacy", "require_auth": True},
]
WEAK_BADGES_JA = [
    "証明書なし：STARTTLSは提供されません",  # both STARTTLS rows until a certificate is set
    "TLSなし：パスワードとスキャン画像がLAN上で読めます",
    "旧式TLS：弱い暗号、前方秘匿性なし",
]


def test_no_english_sentence_anywhere_in_the_japanese_window(gui, english, tmp_path):
    # The keyring file is the test worker's: a test before this one may have stored a common
    # password, and the missing-password line (looked at below) would then never show.
    passwords.delete("common")
    queue = tmp_path / "queue"
    queue.mkdir()
    activity = Activity(queue / FILE_NAME)
    activity.count(Outcome.RECEIVED, 3)
    activity.delivered([Delivered(Outcome.RELAYED, "a.host.example:25", "250 ok")])
    activity.delivered([Delivered(Outcome.DEFERRED, "MX", "451 4.4.1 no answer")])
    activity.save()
    i18n.install("ja")
    window = gui.open(
        rules=THREE_RULES,
        local_domains=["example.jp"],
        local_users=[{"address": "user1@example.jp", "forward": ["user1@example.net,NONE"]}],
        auth_accounts={"common": {"username": "isp-id-ja-test"}},
        server={"listen": WEAK_LISTENERS},
        devices=[{"name": "mfp2f", "login": "mfp2f", "senders": ["scan@example.jp"]}],
    )
    status = window.status_tab
    gui.run(until(lambda: status.destinations.rowCount() == 2, 5, "the Status tab's figures"))
    # The keyring is asked in a thread after the figures: under load its line comes a moment later.
    gui.run(until(status.accounts.isVisible, 10, "the missing common password on show"))
    gui.run(until(lambda: window.users_tab.devices.table.item(0, 3).text(), 5, "the device's password state"))
    texts = shown_texts(window)
    shown = {text for _, text in texts}
    assert set(WEAK_BADGES_JA[:2]) <= shown, "the listeners' warnings were looked at"
    english = [f"{where}: {text!r} ({found!r})" for where, text in texts if (found := english_in(text))]
    assert not english, "English in the Japanese window:\n" + "\n".join(english)
    assert len(texts) > 120, f"only {len(texts)} texts looked at"


def test_engine_problems_arrive_in_japanese(gui, english, upstream_factory):
    i18n.install("ja")
    port = free_port()
    window = gui.open(server={"listen": [f"127.0.0.1:{port}"]})
    window.working.rules = []
    from app import settings as settings_mod

    window.working.rules.append(settings_mod.Rule(match="*", destination="127.0.0.1", port=port, tls="none"))
    (problem,) = window.validate()
    assert "Tenso 自身" in problem and "ループ" in problem, problem
    assert problem.startswith("rules[0].destination: "), "the field stays named as in the file"
    assert not english_in(problem), problem

    holder = socket.socket()
    holder.bind(("127.0.0.1", port))
    holder.listen()
    try:

        async def start() -> None:
            await window.controller.start()
            await until(lambda: window.controller.state == "error", 5, "the start to fail")

        gui.run(start())
        detail = window.controller.detail
        assert "待ち受けできません" in detail and not english_in(detail.split("待ち受けできません")[1]), detail
        assert "待ち受けできません" in window.state_label.text()
    finally:
        holder.close()


def test_a_test_login_that_cannot_connect_says_why_in_japanese(gui, english):
    i18n.install("ja")
    closed = free_port()
    window = gui.open(rules=[{"match": "*", "destination": "127.0.0.1", "port": closed, "tls": "none"}])
    auth = window.auth_tab
    window.tabs.setCurrentWidget(auth)

    async def run() -> None:
        auth.run_test()
        await until(lambda: "失敗" in auth.test_result.text(), 10, "the test login to fail")
        await asyncio.sleep(0)

    gui.run(run())
    text = auth.test_result.text()
    assert f"127.0.0.1:{closed} に接続できません" in text and "接続を拒否されました" in text, text
    assert "Connection refused" not in text and not english_in(text), text


def test_listener_warnings_limits_certificate_and_device_problems_in_japanese(gui, english, tmp_path, monkeypatch):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("certificate\n", encoding="ascii")
    key.write_text("key\n", encoding="ascii")
    i18n.install("ja")
    window = gui.open(server={"listen": WEAK_LISTENERS}, devices=[{"name": "mfp2f", "login": "mfp2f"}])
    tab = window.server_tab
    box = tab.listeners
    no_certificate, no_tls, legacy = WEAK_BADGES_JA
    assert [box.table.item(r, 5).text() for r in range(3)] == [no_certificate, no_tls, no_certificate]
    tab.cert.setText(str(cert))
    tab.key.setText(str(key))
    assert [box.table.item(r, 5).text() for r in range(3)] == ["", no_tls, legacy]
    assert [box.combo(0, 1).itemText(i) for i in range(3)] == ["STARTTLS", "最初からTLS(SMTPS)", "なし"]
    assert box.combo(0, 2).itemText(1) == "旧式(TLS 1.0以上、古い機器向け)"
    assert tab.failures.specialValueText() == "オフ(禁止しない)"

    box.table.item(1, 0).setText("0.0.0.0")
    assert tab.error.text() == "待ち受け 2: address: 0.0.0.0:25 や [::]:25 のような アドレス:ポート にしてください"
    box.table.item(1, 0).setText("127.0.0.1:0")
    box.table.item(1, 4).setText("192.168.1")
    assert tab.error.text() == "待ち受け 2: networks: 192.168.1 はIPアドレスではありません"
    box.table.item(1, 4).setText("")
    box.combo(1, 1).setCurrentIndex(2)
    box.table.item(1, 3).setCheckState(Qt.CheckState.Checked)
    assert tab.error.text().startswith("待ち受け 2: require_auth: この待ち受けには TLS がなく"), tab.error.text()
    assert not english_in(tab.error.text()), tab.error.text()

    gui.run(until(lambda: tab.cert_info.text(), 10, "the dummy certificate described"))
    assert tab.cert_info.text() == "PEM 形式の証明書ではありません(-----BEGIN CERTIFICATE----- のブロックがありません)"
    assert tab.create_cert.text() == "自己署名証明書を作成"
    monkeypatch.setenv("TENSO_DATA_DIR", str(tmp_path / "data"))

    async def create() -> None:
        tab.create_cert.click()
        await until(lambda: "SHA-256" in tab.cert_info.text(), 30, "the new certificate")

    gui.run(create())
    assert tab.cert_info.text().startswith("SHA-256 フィンガープリント: "), tab.cert_info.text()
    assert " 用、有効期限 20" in tab.cert_info.text()

    devices = window.users_tab.devices
    devices.table.item(0, 1).setText("mfp 2f")
    assert devices.error.text() == "機器 1: login: mfp2f のような空白を含まないユーザー名にしてください"


def test_a_port_in_use_offers_another_port_in_japanese_too(gui, english):
    """The window looked for the English words "cannot listen" in the message it had already
    translated: a Japanese user never saw how to get out of it."""
    i18n.install("ja")
    window = start_on_a_taken_port(gui)
    assert "待ち受けできません" in window.state_label.text()
    assert window.hint.isVisibleTo(window), "the way out is shown in Japanese too"
    assert "別のポート" in window.hint.text() and not english_in(window.hint.text()), window.hint.text()


def test_the_settings_warnings_arrive_in_japanese(gui, english):
    i18n.install("ja")
    window = gui.open(rules=THREE_RULES, auth_accounts={"common": {"username": "isp-id"}})
    tab = window.rules_tab
    window.tabs.setCurrentWidget(tab)
    lines = tab.warnings.text().splitlines()
    assert lines[0].startswith("警告"), lines
    assert [line.split(":")[0] for line in lines[1:]] == ["• rules[1].account", "• rules[2].account", "• rules[0].tls"]
    assert "rules[0].tls: 設定 No. 1 は アカウント common (isp-id) で a.host.example に TLS なしで" in lines[3], lines
    english = [line for line in lines if english_in(line)]
    assert not english, english
    status = window.status_tab
    window.tabs.setCurrentWidget(status)
    gui.run(until(lambda: status.warnings.isVisible(), 5, "the Status tab's warning line"))
    assert "警告が 3 件" in status.warnings.text() and not english_in(status.warnings.text())
