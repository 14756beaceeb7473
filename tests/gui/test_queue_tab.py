"""The queue tab: mail stuck behind a down destination is shown, and Retry now delivers it."""

from __future__ import annotations

import asyncio
import time

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.support.gui import until
from tests.support.processes import free_port
from tests.support.smtp import message, send


def test_queue_shows_mail_stuck_behind_a_down_destination_and_retry_now_delivers_it(gui, upstream_factory):
    down = free_port()
    window = gui.open(rules=[{"match": "*", "destination": "127.0.0.1", "port": down, "tls": "none"}])
    controller = window.controller
    queue = window.queue_tab
    table = queue.table
    assert table.objectName() == "queueTable"
    state: dict = {}

    def cell(row: int, col: int) -> str:
        item = table.item(row, col)
        return item.text() if item else ""

    async def scenario() -> None:
        await controller.start()
        port = controller.bound[0][1]
        window.tabs.setCurrentWidget(queue)
        await asyncio.to_thread(send, port, "alice@client.test", ["bob@far.example"], message("stuck"))
        await until(
            lambda: table.rowCount() == 1 and "deferred" in cell(0, 2),
            15,
            "the queue view to show the deferred message",
        )
        state["qid"] = cell(0, 0)
        assert "<bob@far.example> deferred" in cell(0, 2)
        assert cell(0, 1) == "<alice@client.test>"
        assert cell(0, 3) == "1"
        assert cell(0, 5), "the last reply (why it is stuck) is not shown"
        stuck = controller.gateway.spool.load(state["qid"])
        assert stuck.recipients[0].next_try > time.time() + 60  # without Retry now it would wait minutes

        state["upstream"] = up = upstream_factory(port=down)
        await asyncio.sleep(0.3)
        assert not up.messages
        table.selectRow(0)
        QTest.mouseClick(queue.retry_button, Qt.MouseButton.LeftButton)
        await until(lambda: len(up.messages) == 1, 15, "the upstream to get the message")
        await until(lambda: table.rowCount() == 0, 10, "the row to disappear")
        assert queue.summary.text() == "0 message(s) in the queue"
        assert controller.gateway.spool.ids() == []

    gui.run(scenario(), timeout=45)
    got = state["upstream"].messages[0]
    assert got.rcpt_tos == ["bob@far.example"] and got.mail_from == "alice@client.test"
    assert b"Subject: stuck" in got.data


def test_delete_and_bounce_ask_first_naming_how_much_mail_and_cancel_keeps_it(gui):
    """One click on Delete used to remove the selected message at once, without a word."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    down = free_port()
    window = gui.open(rules=[{"match": "*", "destination": "127.0.0.1", "port": down, "tls": "none"}])
    controller = window.controller
    queue = window.queue_tab
    table = queue.table
    asked: list[str] = []

    def answer(button: QMessageBox.StandardButton) -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, lambda: answer(button))
            return
        assert box.objectName() == "queueConfirm"
        asked.append(box.text())
        box.button(button).click()

    async def press(button, reply: QMessageBox.StandardButton) -> None:
        before = len(asked)
        QTimer.singleShot(0, lambda: answer(reply))
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)
        await until(lambda: len(asked) > before, 10, "the confirmation")
        await asyncio.sleep(0.3)  # the slot goes on after the answer

    async def scenario() -> None:
        await controller.start()
        port = controller.bound[0][1]
        window.tabs.setCurrentWidget(queue)
        await asyncio.to_thread(send, port, "alice@client.test", ["bob@far.example", "carol@far.example"], message())
        await until(lambda: table.rowCount() == 1 and "deferred" in table.item(0, 2).text(), 15, "the message")
        qid = table.item(0, 0).text()
        table.selectRow(0)

        await press(queue.delete_button, QMessageBox.StandardButton.Cancel)
        assert "Delete 1 message(s) with 2 recipient(s)" in asked[-1], asked
        assert controller.gateway.spool.ids() == [qid], "Cancel deleted the message"

        controller.pause(True)
        await press(queue.bounce_button, QMessageBox.StandardButton.Cancel)
        assert "The 2 recipient(s) still waiting are given up" in asked[-1], asked
        assert "Delivery is paused" in asked[-1], asked
        assert controller.gateway.spool.load(qid).recipients[0].state == "deferred"
        controller.pause(False)

        table.selectRow(0)
        await press(queue.delete_button, QMessageBox.StandardButton.Yes)
        await until(lambda: controller.gateway.spool.ids() == [], 10, "the message deleted after Yes")
        await until(lambda: table.rowCount() == 0, 10, "the tab refreshed after the delete (its slot has ended)")
        await controller.stop()

    gui.run(scenario(), timeout=45)
    assert len(asked) == 3
