"""Logging: one line per event, the queue id first; to stderr and a rotating file.

Records are handed to a queue and written by one listener thread, so neither the
event loop nor the delivery threads wait on file or terminal writes, or on each
other's locks (the benchmark showed that waiting as the largest single cost).
"""

from __future__ import annotations

import atexit
import logging
import queue
import sys
import time
from logging.handlers import QueueHandler, QueueListener, RotatingFileHandler
from pathlib import Path

LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"
log = logging.getLogger("tenso")
_listener: QueueListener | None = None


class Formatter(logging.Formatter):
    """The standard format, with the date part of the timestamp computed once a second."""

    _second = -1
    _text = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        second = int(record.created)
        if second != self._second:
            self._second, self._text = second, time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
        return f"{self._text},{int(record.msecs):03d}"


def setup(level: int = logging.INFO, file: Path | None = None) -> Path | None:
    """Starts the listener writing to stderr and, when given, a 5 x 5 MB rotating ``file``."""
    global _listener
    stop()
    formatter = Formatter(LOG_FORMAT)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    written = None
    if file is not None:
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            handlers.append(RotatingFileHandler(file, maxBytes=5 << 20, backupCount=5, encoding="utf-8"))
            written = file
        except OSError as exc:
            print(f"no log file: cannot write {file}: {exc.strerror}", file=sys.stderr)
    for handler in handlers:
        handler.setFormatter(formatter)
    records: queue.SimpleQueue = queue.SimpleQueue()
    for old in [h for h in log.handlers if isinstance(h, QueueHandler)]:
        log.removeHandler(old)
    log.addHandler(QueueHandler(records))
    log.setLevel(level)
    log.propagate = False
    _listener = QueueListener(records, *handlers, respect_handler_level=True)
    _listener.start()
    atexit.register(stop)
    return written


def add_handler(handler: logging.Handler) -> None:
    """Another destination (the window's log tab), fed by the same listener thread."""
    if _listener is None:
        log.addHandler(handler)
    else:
        _listener.handlers = (*_listener.handlers, handler)


def remove_handler(handler: logging.Handler) -> None:
    if _listener is not None:
        _listener.handlers = tuple(h for h in _listener.handlers if h is not handler)
    log.removeHandler(handler)


def stop() -> None:
    """Writes out everything queued; call before leaving the process."""
    global _listener
    if _listener is not None:
        _listener.stop()
        for handler in _listener.handlers:
            handler.flush()
        _listener = None
