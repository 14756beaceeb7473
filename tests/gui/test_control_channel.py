"""The window's gateway serves the control channel too (app/control, started by the gateway the
controller runs): the command line finds mode "window", and settings applied or reloaded through
it reach the window's controller."""

from __future__ import annotations

import asyncio
import json

from app.control.client import ControlError, connect
from tests.support.gui import until
from tests.support.processes import free_port


def _call(queue, op, **args):
    with connect(queue) as client:
        return client.call(op, **args)


def test_the_windows_gateway_serves_the_channel_as_mode_window(gui):
    port = free_port()
    window = gui.open(server={"listen": [f"127.0.0.1:{port}"]})
    controller = window.controller
    queue = controller.settings.queue_dir
    taken = []
    controller.settings_taken.connect(taken.append)

    async def scenario() -> None:
        assert await asyncio.to_thread(connect, queue) is None  # stopped: nothing serves the queue
        await controller.start()
        await until(lambda: controller.running, 10, "the gateway to start")
        engine = await asyncio.to_thread(_call, queue, "engine")
        assert engine["mode"] == "window"
        assert engine["config"] == str(gui.config)
        status = await asyncio.to_thread(_call, queue, "status")
        assert status["listening"] == [f"127.0.0.1:{port}"]
        assert status["engine"]["mode"] == "window"

        got = await asyncio.to_thread(_call, queue, "settings.get")
        data = got["settings"]
        data["server"]["max_recipients"] = 7
        answer = await asyncio.to_thread(_call, queue, "settings.apply", settings=data)
        assert answer["reloaded"] is True, answer
        assert controller.settings.server.max_recipients == 7
        assert json.loads(gui.config.read_text(encoding="utf-8"))["server"]["max_recipients"] == 7
        await until(lambda: taken, 5, "the window to hear of the new settings")

        data["server"]["max_recipients"] = 0
        answer = await asyncio.to_thread(_call, queue, "settings.apply", settings=data)
        assert answer["reloaded"] is False
        assert any(p.startswith("server.max_recipients:") for p in answer["problems"]), answer
        assert controller.settings.server.max_recipients == 7  # nothing changed, nothing written
        assert json.loads(gui.config.read_text(encoding="utf-8"))["server"]["max_recipients"] == 7

        await controller.stop()
        assert await asyncio.to_thread(connect, queue) is None

    gui.run(scenario())


def test_a_request_to_a_stopping_window_gateway_gets_an_answer_not_a_hang(gui):
    window = gui.open()
    controller = window.controller
    queue = controller.settings.queue_dir

    async def scenario() -> None:
        await controller.start()
        client = await asyncio.to_thread(connect, queue)
        await controller.stop()
        try:
            await asyncio.to_thread(client.call, "engine")
            raise AssertionError("a stopped gateway answered")
        except ControlError as exc:
            assert "closed the control channel" in str(exc)
        finally:
            client.close()

    gui.run(scenario())
