"""The server tab: the receiving processes set in the window start and stop a helper process on Apply."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest
from PySide6.QtWidgets import QSpinBox

from app.receive import helpers as receivers
from tests.support.gui import until
from tests.support.processes import children_running
from tests.support.smtp import message, send


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds the helper through /proc")
def test_receiving_processes_set_in_the_window_start_and_stop_a_helper_on_apply(gui, upstream_factory):
    """Server → Receiving processes: 2 starts one ``receive-worker`` on the same port at Apply, 1 stops it."""
    up = upstream_factory()
    window = gui.open(
        server={"listen": ["127.0.0.1:0"]},
        rules=[{"match": "*", "destination": "127.0.0.1", "port": up.port, "tls": "none"}],
    )
    controller = window.controller
    spin = window.findChild(QSpinBox, "processes")
    assert spin.value() == 1 and (spin.minimum(), spin.maximum()) == (1, 16)

    def helpers() -> list[tuple[int, int]]:
        return children_running(os.getpid(), receivers.COMMAND)

    async def started() -> None:
        await controller.start()
        assert helpers() == []

    gui.run(started())
    spin.setValue(2)
    gui.apply(window)
    assert gui.saved()["server"]["processes"] == 2

    async def two() -> None:
        await until(helpers, 10, "a receive-worker child after Apply")
        port = controller.bound[0][1]
        for i in range(6):
            await asyncio.to_thread(send, port, "alice@client.test", [f"p{i}@example.net"], message(f"p{i}"))
        await until(lambda: len(up.messages) >= 6, 15, "six messages at the upstream")

    gui.run(two())
    assert len(helpers()) == 1
    spin.setValue(1)
    gui.apply(window)

    async def one() -> None:
        await until(lambda: not helpers(), 15, "the helper to stop after Apply with 1")
        await controller.stop()

    gui.run(one())
    assert sorted(r for m in up.messages for r in m.rcpt_tos) == sorted(f"p{i}@example.net" for i in range(6))
