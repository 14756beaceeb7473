"""Logging: one line per event, the queue id first; to stderr and a rotating file.

Records are handed to a queue and written by one thread, in batches, so neither the
event loop nor the delivery threads wait on file or terminal writes, or on each
other's locks (the benchmark showed logging as the largest single cost).
"""

from __future__ import annotations

import atexit
import logging
import queue
import sys
import threading
import time
from logging.handlers import QueueHandler, RotatingFileHandler
from pathlib import Path

LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"
log = logging.getLogger("tenso")
_writer = None  # the _Writer while logging is set up


class Formatter(logging.Formatter):
    """The standard format, with the date part of the timestamp computed once a second."""

    _second = -1
    _text = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        second = int(record.created)
        if second != self._second:
            self._second, self._text = second, time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
        return f"{self._text},{int(record.msecs):03d}"


class _Enqueue(QueueHandler):
    """Hands records over with the message merged (the arguments may change later), nothing more."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        record.msg = record.getMessage()
        record.args = None
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        return record


class _Writer:
    """The one thread that writes: every record waiting is written in one go, one flush per batch.

    Under load the delivery threads and the event loop produce lines faster than one write
    each can be done cheaply; batching turns hundreds of writes (and GIL hand-overs) into a few.
    """

    def __init__(self, records: queue.SimpleQueue, stream, file: RotatingFileHandler | None):
        self.records = records
        self.stream = stream
        self.file = file
        self.formatter = Formatter(LOG_FORMAT)
        self.handlers: tuple[logging.Handler, ...] = ()
        self.thread = threading.Thread(target=self._run, name="tenso-log", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            batch = [self.records.get()]
            while True:
                try:
                    batch.append(self.records.get_nowait())
                except queue.Empty:
                    break
            done = None in batch
            batch = [r for r in batch if r is not None]
            if batch:
                self._write(batch)
            if done:
                return

    def _write(self, batch: list[logging.LogRecord]) -> None:
        text = "".join(self.formatter.format(r) + "\n" for r in batch)
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            pass  # no terminal any more: the file still gets it
        if self.file is not None:
            try:
                if self.file.stream is None:
                    self.file.stream = self.file._open()
                self.file.stream.write(text)
                self.file.stream.flush()
                if self.file.stream.tell() >= self.file.maxBytes:
                    self.file.doRollover()
            except OSError:
                pass
        for handler in self.handlers:
            for record in batch:
                if record.levelno >= handler.level:
                    handler.handle(record)

    def stop(self) -> None:
        self.records.put(None)
        self.thread.join(5)
        if self.file is not None:
            self.file.close()


def setup(level: int = logging.INFO, file: Path | None = None) -> Path | None:
    """Starts the writer thread: stderr and, when given, a 5 x 5 MB rotating ``file``."""
    global _writer
    stop()
    rotating = None
    if file is not None:
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            rotating = RotatingFileHandler(file, maxBytes=5 << 20, backupCount=5, encoding="utf-8")
        except OSError as exc:
            print(f"no log file: cannot write {file}: {exc.strerror}", file=sys.stderr)
    # The line carries time, level and message only: skip what LogRecord would gather for nothing
    # (the caller's file and line walk the stack on every call; see "Optimization" in the logging docs).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    records: queue.SimpleQueue = queue.SimpleQueue()
    for old in [h for h in log.handlers if isinstance(h, QueueHandler)]:
        log.removeHandler(old)
    log.addHandler(_Enqueue(records))
    log.setLevel(level)
    log.propagate = False
    _writer = _Writer(records, sys.stderr, rotating)
    atexit.register(stop)
    return file if rotating is not None else None


def add_handler(handler: logging.Handler) -> None:
    """Another destination (the window's log tab), fed by the same writer thread."""
    if _writer is None:
        log.addHandler(handler)
    else:
        _writer.handlers = (*_writer.handlers, handler)


def remove_handler(handler: logging.Handler) -> None:
    if _writer is not None:
        _writer.handlers = tuple(h for h in _writer.handlers if h is not handler)
    log.removeHandler(handler)


def stop() -> None:
    """Writes out everything queued; call before leaving the process."""
    global _writer
    if _writer is not None:
        _writer.stop()
        _writer = None
