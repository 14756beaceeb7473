"""The engine as the window sees it: Qt signals out, async calls in.

The gateway runs on the same qasync loop as the window.  Log records (from
any thread) become ``log_line`` signals; Qt queues them to the GUI thread.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app import settings as settings_mod
from app.gateway import Gateway, GatewayError
from app.settings import Settings
from app.system import logs
from app.system.logs import LOG_FORMAT

FAILING_NOTICE_SECONDS = 600.0

log = logging.getLogger("tenso")

RUNNING, STOPPED, PAUSED, ERROR = "running", "stopped", "paused", "error"


class _Bridge(QObject):
    record = Signal(str, str)  # formatted line, event ("" or bounce / failing)


class QtLogHandler(logging.Handler):
    """A logging handler that hands records to Qt (safe from delivery threads)."""

    def __init__(self) -> None:
        super().__init__()
        self.bridge = _Bridge()
        self.setFormatter(logs.Formatter(LOG_FORMAT))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.bridge.record.emit(self.format(record), getattr(record, "event", ""))
        except RuntimeError:  # the bridge is gone at shutdown
            pass


class GatewayController(QObject):
    state_changed = Signal(str, str)  # state, detail (the error text when state is error)
    log_line = Signal(str)
    bounced = Signal(str)  # the log line that says so
    failing = Signal(str)

    def __init__(self, config_path: Path, settings: Settings):
        super().__init__()
        self.config_path = Path(config_path)
        self.settings = settings
        self.gateway: Gateway | None = None
        # Start, Stop and Apply each take several awaits; the tray and the window can ask for
        # them at once.  One at a time: a Stop pressed during an Apply waits for it to finish.
        self._turn = asyncio.Lock()
        self.state = STOPPED
        self.detail = ""
        self._next_failing_notice = 0.0
        self.handler = QtLogHandler()
        self.handler.bridge.record.connect(self._on_record)
        logs.add_handler(self.handler)

    def _on_record(self, line: str, event: str) -> None:
        self.log_line.emit(line)
        if event == "bounce":
            self.bounced.emit(line)
        elif event == "failing":
            # One notice per FAILING_NOTICE_SECONDS: an ISP that is down fails every message.
            now = time.monotonic()
            if now >= self._next_failing_notice:
                self._next_failing_notice = now + FAILING_NOTICE_SECONDS
                self.failing.emit(line)

    def _set_state(self, state: str, detail: str = "") -> None:
        self.state, self.detail = state, detail
        self.state_changed.emit(state, detail)

    @property
    def running(self) -> bool:
        return self.gateway is not None

    @property
    def busy(self) -> bool:
        """A start, stop or apply is under way."""
        return self._turn.locked()

    @property
    def bound(self) -> list[tuple[str, int]]:
        return self.gateway.bound if self.gateway else []

    async def start(self) -> None:
        async with self._turn:
            if self.gateway:
                return
            gateway = Gateway(self.settings)
            try:
                await gateway.start()
            except GatewayError as exc:
                log.error("%s", exc)
                self._set_state(ERROR, str(exc))
                return
            self.gateway = gateway
            self._set_state(PAUSED if gateway.spool.paused else RUNNING)

    async def stop(self) -> None:
        async with self._turn:
            if not self.gateway:
                return
            gateway, self.gateway = self.gateway, None
            await gateway.stop(grace=5.0)
            self._set_state(STOPPED)

    async def apply(self, settings: Settings) -> str | None:
        """Saves ``settings`` atomically and applies them; returns a problem text or None."""
        async with self._turn:
            try:
                await asyncio.to_thread(settings_mod.save, settings, self.config_path)
            except OSError as exc:
                return f"cannot save {self.config_path}: {exc}"
            self.settings = settings
            if self.gateway:
                try:
                    await self.gateway.reconfigure(settings)
                except GatewayError as exc:
                    self._set_state(ERROR, str(exc))
                    return str(exc)
                self._set_state(PAUSED if self.gateway.spool.paused else RUNNING)
            return None

    def pause(self, paused: bool) -> None:
        if self.gateway and self.gateway.scheduler:
            self.gateway.scheduler.pause(paused)
            self._set_state(PAUSED if paused else RUNNING)

    def close(self) -> None:
        logs.remove_handler(self.handler)
