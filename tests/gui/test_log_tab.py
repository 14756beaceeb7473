"""The log tab: the window process shows thousands of log lines and keeps running."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import subprocess
import sys

from app import settings as settings_mod
from tests.support import REPO
from tests.support.gateway import make_settings
from tests.support.gui import until

# --- staying up ------------------------------------------------------------------------------


LOG_FLOOD = """
import logging, sys, time
from pathlib import Path
from PySide6.QtWidgets import QApplication
from app.system import logs
from app import settings as settings_mod
from app.system.logs import setup_for_program as setup_logging
from app.gui.controller import GatewayController
from app.gui.window import MainWindow

app = QApplication([])
setup_logging()  # as app.gui.main: the listener thread feeds stderr, the log file and the window
config = Path(sys.argv[1])
settings = settings_mod.load(config)
controller = GatewayController(config, settings)
window = MainWindow(controller, has_tray=False)
window.show()
log = logging.getLogger("tenso")  # the engine's logger
lines = int(sys.argv[2])
for i in range(lines):
    log.info("Q%06d to=<user@example.jp> relay=192.0.2.1:25 state=sent reply=250 OK", i)
    if i % 50 == 0:
        app.processEvents()
deadline = time.monotonic() + 20
while len(window.log_tab.lines) < lines and time.monotonic() < deadline:
    app.processEvents()
print("shown", len(window.log_tab.lines), flush=True)
window.hide()
controller.close()
logs.stop()
"""


def test_window_process_survives_thousands_of_log_lines(tmp_path):
    # A day of a busy gateway's log: the window shows every line, keeps running and exits cleanly.
    # (PySide6 6.12.0 on Python 3.11: aborts after ~1,600 lines, and at exit after ~60.)
    config = tmp_path / "settings.json"
    settings_mod.save(make_settings(tmp_path), config)
    result = subprocess.run(
        [sys.executable, "-c", LOG_FLOOD, str(config), "4000"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert "Fatal Python error" not in result.stderr, result.stderr[-1500:]
    assert result.returncode == 0, result.stderr[-1500:]
    assert "shown 4000" in result.stdout


def test_a_line_with_bytes_that_are_not_utf8_is_shown_escaped_in_the_log_tab(gui):
    """Hostile input (issue 17): the window's handler gets the line as the file does."""
    window = gui.open()
    logging.getLogger("tenso").warning("refused RCPT <%s> client=127.0.0.1", "caf\udce9\ud800@dest.test")
    gui.run(
        until(
            lambda: any(r"refused RCPT <caf\xe9\ud800@dest.test>" in line for line in window.log_tab.lines),
            10,
            "the line",
        )
    )


def test_aiosmtpd_warnings_are_shown_in_the_log_tab_as_tensos_lines(gui):
    """Before: aiosmtpd's ``unrecognised`` warning went to stderr alone, never to the window."""
    window = gui.open(server={"listen": ["127.0.0.1:0"]})
    controller = window.controller

    async def scenario() -> None:
        await controller.start()
        reader, writer = await asyncio.open_connection("127.0.0.1", controller.bound[0][1])
        try:
            assert (await asyncio.wait_for(reader.readline(), 5)).startswith(b"220 ")
            writer.write(b"FOO bar\r\n")
            assert (await asyncio.wait_for(reader.readline(), 5)).startswith(b"500 ")
        finally:
            writer.close()
        shown = re.compile(r" WARNING client 127\.0\.0\.1 unrecognised: FOO$")
        await until(lambda: any(shown.search(line) for line in window.log_tab.lines), 10, "the warning in the Log tab")

    gui.run(scenario())
