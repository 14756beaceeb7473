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
from tests.support.gui import THREE_RULES, until
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
                texts += [
                    widget.item(r, c).toolTip()
                    for r in range(widget.rowCount())
                    for c in range(widget.columnCount())
                    if widget.item(r, c)
                ]
            found += [(where, t) for t in texts if t]
    for action in window.menuBar().actions():
        found.append(("menu", action.text()))
        for item in action.menu().actions() if action.menu() else []:
            found.append(("menu item", item.text()))
    window.tabs.setCurrentIndex(current)
    return found


def test_no_english_sentence_anywhere_in_the_japanese_window(gui, english, tmp_path):
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
    )
    status = window.status_tab
    gui.run(until(lambda: status.destinations.rowCount() == 2, 5, "the Status tab's figures"))
    assert status.accounts.isVisible(), "the missing common password is on show"
    texts = shown_texts(window)
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
