"""The desktop window on the real engine, for the GUI tests (tests/gui).

The window and its tabs run on a qasync loop on Qt's offscreen platform; ``Gui`` opens windows
on a settings file in tmp_path, each with its own controller, and deletes every Qt object it
made at the end, on this thread.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import socket
import time
from pathlib import Path

import qasync
import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication

from app import settings as settings_mod
from app.gui.console import ConsoleController, open_console
from app.gui.controller import GatewayController
from app.gui.window import MainWindow
from tests.support.gateway import make_settings

# Before the QApplication is made (pytest-qt's qapp fixture): no display here.  QSettings (the
# chosen language) go to the sandbox's XDG_CONFIG_HOME (tests/support/sandbox.py).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

THREE_RULES = [
    {"match": "@a.example", "destination": "a.host.example", "port": 25, "tls": "none"},
    {"match": "@b.example", "destination": "b.host.example", "port": 587, "tls": "required"},
    {"match": "@c.example", "destination": "c.host.example", "port": 2525, "tls": "opportunistic"},
]


async def until(predicate, timeout: float = 10.0, what: str = "condition") -> None:
    """Lets the loop (window, gateway, deliveries) run until ``predicate()`` holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout} s")
        await asyncio.sleep(0.02)


async def port_answers(port: int) -> str:
    """The first line a client gets on 127.0.0.1:``port`` (raises ConnectionRefusedError when closed)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        banner = await asyncio.wait_for(reader.readline(), 5)
        writer.write(b"QUIT\r\n")
        await writer.drain()
        await asyncio.wait_for(reader.readline(), 5)
    finally:
        writer.close()
        await writer.wait_closed()
    return banner.decode()


class Gui:
    """Windows on one qasync loop, each with its own controller, on the settings file tmp_path/settings.json.

    ``close()`` deletes every Qt object it made, on this thread, and closes the loop.  Left to
    Python's cycle collector instead, they would be destroyed whenever it runs next, possibly on
    a gateway or delivery thread of a later test, and Qt crashes when that happens.
    """

    def __init__(self, qapp: QApplication, tmp_path: Path):
        qapp.setQuitOnLastWindowClosed(False)  # as app.gui.main: closing the window is not quitting Qt
        self.loop: qasync.QEventLoop | None = qasync.QEventLoop(qapp)
        asyncio.set_event_loop(self.loop)
        self.tmp_path = tmp_path
        self.config = tmp_path / "settings.json"
        self.windows: list[MainWindow] = []
        self.controllers: list[GatewayController] = []
        self.consoles: list[ConsoleController] = []
        self.others: list[QObject] = []
        self.quit_requests = 0

    def run(self, coro, timeout: float = 30.0):
        return run_on(self.loop, asyncio.wait_for(coro, timeout))

    def open(self, settings: settings_mod.Settings | None = None, has_tray: bool = False, **sections) -> MainWindow:
        """Saves the settings as the file, then opens the window on it as app.gui.main does."""
        settings = settings or make_settings(self.tmp_path, **sections)
        settings_mod.save(settings, self.config)
        settings = settings_mod.load(self.config)
        controller = GatewayController(self.config, settings)
        self.controllers.append(controller)
        window = MainWindow(controller, has_tray)
        window.quit_requested.connect(self._quit_requested)
        self.windows.append(window)
        window.show()
        self.settle()
        return window

    def attach(self, queue: Path, has_tray: bool = False) -> MainWindow:
        """The window as the console of the gateway serving ``queue``, as app.gui.main opens it."""
        found = self.run(asyncio.to_thread(open_console, queue))
        assert found is not None, f"no gateway answers on {queue}"
        controller = ConsoleController(*found)
        self.consoles.append(controller)
        window = MainWindow(controller, has_tray)
        window.quit_requested.connect(self._quit_requested)
        self.windows.append(window)
        controller.follow_log()
        window.show()
        self.settle()
        return window

    def own(self, obj: QObject) -> QObject:
        """Deleted with the windows at the end of the test."""
        self.others.append(obj)
        return obj

    def _quit_requested(self) -> None:
        self.quit_requests += 1

    def settle(self) -> None:
        """Runs what the window started (keyring look-ups of the password fields)."""
        self.run(asyncio.sleep(0.05))

    def saved(self) -> dict:
        return json.loads(self.config.read_text(encoding="utf-8"))

    def apply(self, window: MainWindow) -> None:
        """Clicks Apply and waits for it to finish: saved and applied, or a problem shown."""
        before = self.config.stat().st_mtime_ns, self.config.read_bytes()
        window.apply_button.click()

        async def done() -> None:
            # Apply is an asyncSlot: it saves in a thread, then reconfigures the running gateway.
            await until(
                lambda: (self.config.stat().st_mtime_ns, self.config.read_bytes()) != before or window.problems.text(),
                10,
                "Apply to save or report",
            )
            await until(lambda: not window.controller.busy, 15, "Apply to finish")
            await asyncio.sleep(0.05)

        self.run(done())

    def stop_gateways(self) -> None:
        """Stops each window's gateway (on the loop), before anything processes Qt's events
        outside it: a task woken there meets "no running event loop", and the queue runner's
        wake-up wait is left a coroutine never awaited (an error under filterwarnings = error)."""
        for controller in self.controllers:
            self.run(controller.stop())

    def close(self) -> None:
        for window in self.windows:
            if shiboken6.isValid(window):
                window.queue_tab.timer.stop()
                window.status_tab.timer.stop()
                window.hide()
        try:
            for controller in self.controllers:
                self.run(controller.stop())
            drain(self.loop)
        finally:
            for controller in self.controllers:
                controller.close()
            for console in self.consoles:
                if shiboken6.isValid(console):  # (app.gui.main's Desktop deletes one it replaced)
                    console.close()
            drain(self.loop)
            owned = [*self.others, *self.windows, *(c.handler.bridge for c in self.controllers), *self.controllers]
            for obj in [*owned, *self.consoles]:
                if shiboken6.isValid(obj):
                    shiboken6.delete(obj)
            self.others, self.windows, self.controllers, self.consoles = [], [], [], []
            self.loop.close()
            self.loop = None
            asyncio.set_event_loop(None)
            gc.collect()  # the loop's Qt parts (timers, executor threads) go now, on this thread


def run_on(loop: qasync.QEventLoop, coro):
    """Runs the loop until ``coro`` is done, as the program's loop runs: every callback with the
    loop set as running.  (qasync's run_until_complete processes Qt's events once more after it
    has unset the loop; a gateway task that wakes then meets "no running event loop" and ends.)"""
    task = asyncio.ensure_future(coro, loop=loop)
    task.add_done_callback(lambda _: loop.stop())
    loop.run_forever()
    if not task.done():
        raise RuntimeError("the loop stopped before the task finished")
    return task.result()


def drain(loop: qasync.QEventLoop) -> None:
    """Finishes or cancels what slots left running, so nothing is destroyed pending."""
    run_on(loop, asyncio.sleep(0.05))
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        run_on(loop, asyncio.gather(*pending, return_exceptions=True))


def rule_matches(rules: list[dict]) -> list[str]:
    return [r["match"] for r in rules]


def start_on_a_taken_port(gui, **sections):
    """The window on a port another socket holds, started: the start fails (cannot listen)."""
    from tests.support.processes import free_port

    port = free_port()
    window = gui.open(server={"listen": [f"127.0.0.1:{port}"]}, **sections)
    holder = socket.socket()
    holder.bind(("127.0.0.1", port))
    holder.listen()
    try:
        gui.run(window.controller.start())
    finally:
        holder.close()
    return window
