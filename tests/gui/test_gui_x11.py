"""The window parts that need a real X display: a mouse drag in the rules grid, and the tray.

Each test starts its own Xvfb (on a display number it picks itself) and runs the Qt part
in a child process with QT_QPA_PLATFORM=xcb, since one process cannot switch Qt
platforms and the other GUI tests' Qt runs offscreen.  The child is this file run as a script;
it prints one JSON line with what it saw, and the test judges it.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]  # not tests.support.REPO: the child runs this file as a script
RULES = [{"match": f"@{name}.example", "destination": f"{name}.host.example", "tls": "none"} for name in "abcd"]


# --- the tests (in pytest) ---------------------------------------------------------------


def start_xvfb(log: Path) -> tuple[subprocess.Popen, str]:
    """Xvfb on the first free display number (-displayfd: Xvfb picks it and tells us)."""
    read_end, write_end = os.pipe()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
            pass_fds=(write_end,),
            stdout=out,
            stderr=out,
        )
    os.close(write_end)
    try:
        number = b""
        deadline = time.monotonic() + 15
        while not number.endswith(b"\n"):
            ready, _, _ = select.select([read_end], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(read_end, 16) if ready else b""
            if not chunk:
                proc.kill()
                proc.wait()
                raise AssertionError(f"Xvfb did not start: {log.read_text(errors='replace')}")
            number += chunk
    finally:
        os.close(read_end)
    return proc, f":{int(number)}"


def run_child(mode: str, display: str, *args: str) -> dict:
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
    result = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), mode, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert result.returncode == 0 and lines, f"child {mode} failed ({result.returncode}):\n{result.stderr[-3000:]}"
    return json.loads(lines[-1])


@pytest.fixture
def display(tmp_path):
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (Debian: apt-get install xvfb); these tests need a real X display")
    proc, name = start_xvfb(tmp_path / "xvfb.log")
    yield name
    proc.terminate()
    proc.wait(10)


def test_dragging_a_row_with_the_mouse_reorders_the_rules(display):
    seen = run_child("drag", display)
    assert seen["platform"] == "xcb"
    assert seen["before"] == ["@a.example", "@b.example", "@c.example", "@d.example"]
    # Row 3 dropped on row 1's top edge: it is first now, the others keep their order.
    assert seen["after"] == ["@c.example", "@a.example", "@b.example", "@d.example"]
    assert seen["destinations"][0] == "c.host.example"  # the whole rule moved
    assert seen["drag_started"], "the mouse never started a drag"


def test_tray_shows_under_a_real_tray_host_and_its_menu_starts_and_stops_the_gateway(display, tmp_path):
    if shutil.which("trayer") is None:
        pytest.skip("trayer is not installed (Debian: apt-get install trayer); it is the tray host here")
    from app import settings as settings_mod
    from tests.support.gateway import make_settings
    from tests.support.processes import free_port

    port = free_port()
    config = tmp_path / "settings.json"
    settings_mod.save(make_settings(tmp_path, server={"listen": [f"127.0.0.1:{port}"]}), config)
    seen = run_child("tray", display, str(config), str(port))
    assert seen["platform"] == "xcb"
    assert seen["tray_before_trayer"] is False  # no tray host yet: Qt says so
    assert seen["tray_available"] is True
    assert seen["tray_visible"] is True
    width, height = seen["tray_size"]
    assert width > 0 and height > 0, "the icon was not docked in the tray"
    assert seen["menu"][:3] == ["Open", "Start", "Stop"]
    assert seen["closed_before_start"] is True
    assert seen["banner_after_start"].startswith("220 ")
    assert seen["tooltip_after_start"] == "Tenso: running"
    assert seen["closed_after_stop"] is True
    assert seen["tooltip_after_stop"] == "Tenso: stopped"


# --- the child (run as a script, under xcb) -------------------------------------------------


def child_drag() -> dict:
    from PySide6.QtCore import QPoint, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from app import settings as settings_mod
    from app.gui.tabs.rules_tab import RulesTab

    app = QApplication([])
    settings = settings_mod.from_dict({"server": {"listen": ["127.0.0.1:0"]}, "rules": RULES})
    tab = RulesTab(settings)
    tab.resize(900, 600)
    tab.show()
    assert QTest.qWaitForWindowExposed(tab, 5000)
    before = [r.match for r in settings.rules]
    view = tab.view
    window = tab.windowHandle()  # events go in through the platform window, as the X server's would

    def at(row: int, top: bool = False) -> QPoint:
        rect = view.visualRect(view.model().index(row, 1))
        point = QPoint(rect.center().x(), rect.top() + 2 if top else rect.center().y())
        return view.viewport().mapTo(tab, point)

    start, end = at(2), at(0, top=True)
    path = [start + (end - start) * i / 10 for i in range(1, 11)]
    state = {"step": 0, "done": False, "drag_started": False}

    def step() -> None:
        # QDrag.exec() runs its own loop from inside a mouse move: the next step is queued first.
        if state["step"] < len(path):
            point = path[state["step"]]
            state["step"] += 1
            QTimer.singleShot(40, step)
            state["drag_started"] = state["drag_started"] or view.state() == view.State.DraggingState
            QTest.mouseMove(window, point)
        else:
            QTest.mouseRelease(window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
            state["done"] = True

    QTest.mousePress(window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTimer.singleShot(40, step)
    deadline = time.monotonic() + 10
    while not state["done"] and time.monotonic() < deadline:
        QTest.qWait(20)
    QTest.qWait(100)
    seen = {
        "platform": app.platformName(),
        "before": before,
        "after": [r.match for r in settings.rules],
        "destinations": [r.destination for r in settings.rules],
        "drag_started": state["drag_started"],
    }
    tab.hide()
    tab.deleteLater()
    QTest.qWait(50)
    return seen


def child_tray(config: str, port: str) -> dict:
    import asyncio

    import qasync
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QSystemTrayIcon

    from app import settings as settings_mod
    from app.gui.controller import GatewayController
    from app.gui.tray import Tray

    app = QApplication([])
    app.setQuitOnLastWindowClosed(False)
    seen: dict = {"platform": app.platformName(), "tray_before_trayer": QSystemTrayIcon.isSystemTrayAvailable()}
    trayer = subprocess.Popen(
        ["trayer", "--edge", "bottom", "--align", "right", "--height", "24"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    loop = None
    controller = None
    try:
        deadline = time.monotonic() + 15
        while not QSystemTrayIcon.isSystemTrayAvailable() and time.monotonic() < deadline:
            QTest.qWait(50)
        seen["tray_available"] = QSystemTrayIcon.isSystemTrayAvailable()

        controller = GatewayController(Path(config), settings_mod.load(Path(config)))
        tray = Tray()
        # Wired exactly as app.gui.main wires it.
        tray.start_requested.connect(lambda: asyncio.ensure_future(controller.start()))
        tray.stop_requested.connect(lambda: asyncio.ensure_future(controller.stop()))
        tray.pause_requested.connect(controller.pause)
        controller.state_changed.connect(tray.show_state)
        tray.show()
        deadline = time.monotonic() + 10
        while tray.geometry().isEmpty() and time.monotonic() < deadline:
            QTest.qWait(50)
        seen["tray_visible"] = tray.isVisible()
        seen["tray_size"] = [tray.geometry().width(), tray.geometry().height()]
        actions = {a.text(): a for a in tray.contextMenu().actions() if a.text()}
        seen["menu"] = list(actions)

        async def closed() -> bool:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", int(port))
            except ConnectionRefusedError:
                return True
            writer.close()
            await writer.wait_closed()
            return False

        async def banner() -> str:
            reader, writer = await asyncio.open_connection("127.0.0.1", int(port))
            line = await asyncio.wait_for(reader.readline(), 5)
            writer.write(b"QUIT\r\n")
            await writer.drain()
            await asyncio.wait_for(reader.readline(), 5)
            writer.close()
            await writer.wait_closed()
            return line.decode()

        async def until(predicate) -> None:
            deadline = time.monotonic() + 10
            while not predicate() and time.monotonic() < deadline:
                await asyncio.sleep(0.02)

        async def scenario() -> None:
            seen["closed_before_start"] = await closed()
            actions["Start"].trigger()
            await until(lambda: controller.running)
            seen["banner_after_start"] = await banner()
            seen["tooltip_after_start"] = tray.toolTip()
            actions["Stop"].trigger()
            await until(lambda: controller.state == "stopped")
            seen["closed_after_stop"] = await closed()
            seen["tooltip_after_stop"] = tray.toolTip()

        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        loop.run_until_complete(asyncio.wait_for(scenario(), 40))
        tray.hide()
    finally:
        if loop is not None:
            loop.run_until_complete(controller.stop())
            loop.close()
        if controller is not None:
            controller.close()
        trayer.terminate()
        trayer.wait(10)
    return seen


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    mode, *rest = sys.argv[1:]
    result = child_drag() if mode == "drag" else child_tray(*rest)
    print(json.dumps(result), flush=True)
