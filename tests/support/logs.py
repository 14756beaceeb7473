"""The gateway's log (logger ``tenso``) captured in this process, whatever the logging set-up of the session."""

from __future__ import annotations

import logging
import re
import threading


class LogCapture(logging.Handler):
    """The gateway's records (logger ``tenso``), with the thread that logged each in this process.

    ``tracebacks`` holds every record that carried one, from ``tenso`` (aiosmtpd's warnings come
    through it, receive/smtp.py) and from asyncio (a callback's or a task's exception), watched at
    WARNING and above while the capture lasts."""

    WATCHED = ("asyncio",)

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[int, str, str]] = []  # level, message, thread name
        self.tracebacks: list[str] = []  # "logger: message" of each record with exc_info
        self.logger = logging.getLogger("tenso")
        self._lock_ = threading.Lock()
        self._watched = [_Watch(self, name) for name in self.WATCHED]

    def emit(self, record: logging.LogRecord) -> None:
        with self._lock_:
            # A worker's line carries the worker's reader name (workers.log_line), whichever
            # thread logged it; any other record, the thread that logged it.
            thread = getattr(record, "worker_reader", None) or threading.current_thread().name
            self.records.append((record.levelno, record.getMessage(), thread))
            if record.exc_info:
                self.tracebacks.append(f"{record.name}: {record.getMessage()}")

    def __enter__(self) -> LogCapture:
        self._level = self.logger.level
        self.logger.setLevel(logging.INFO)  # the child is told the parent's level with its settings
        self.logger.addHandler(self)
        for watch in self._watched:
            watch.logger.addHandler(watch)
        return self

    def __exit__(self, *exc) -> None:
        for watch in self._watched:
            watch.logger.removeHandler(watch)
        self.logger.removeHandler(self)
        self.logger.setLevel(self._level)

    def matching(self, pattern: str) -> list[tuple[int, str, str]]:
        with self._lock_:
            return [r for r in self.records if re.search(pattern, r[1])]

    def text(self) -> str:
        with self._lock_:
            return "\n".join(f"{logging.getLevelName(level)} [{thread}] {line}" for level, line, thread in self.records)


class _Watch(logging.Handler):
    """A library's logger, for LogCapture.tracebacks (its own records are not the gateway's)."""

    def __init__(self, capture: LogCapture, name: str) -> None:
        super().__init__(logging.WARNING)
        self.capture = capture
        self.logger = logging.getLogger(name)

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            with self.capture._lock_:
                self.capture.tracebacks.append(f"{record.name}: {record.getMessage()}")


class TensoLog(logging.Handler):
    """The gateway's log lines (logger ``tenso``), whatever the logging set-up of the session."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self.logger = logging.getLogger("tenso")

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    def __enter__(self) -> TensoLog:
        self._level = self.logger.level
        self.logger.setLevel(logging.INFO)
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc) -> None:
        self.logger.removeHandler(self)
        self.logger.setLevel(self._level)

    def matching(self, *parts: str) -> list[str]:
        return [line for line in self.lines if all(p in line for p in parts)]
