"""Logging: one line per event, the queue id first; to stderr and a rotating file.

Lines are written as they happen (not through a queue): a line about a message that
got its 250 is in the file even if the process is killed a moment later.  Records
skip the caller and thread lookups nobody reads, and the timestamp's date part is
formatted once a second (the benchmark showed logging as a large share of CPU).

What a client sent is logged as it came, and a hostile client sends what no handler can
write (bytes that are not UTF-8, which aiosmtpd hands over as surrogate escapes) or what
rewrites a terminal (CR, ESC): a failed write used to lose the line ("--- Logging error ---"),
so the traffic was hidden.  Every line is made printable first (``printable``).
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"
log = logging.getLogger("tenso")
_installed: list[logging.Handler] = []


# Surrogates (lone, or escapes of bytes that were not UTF-8) and control characters other
# than tab and newline (a message may hold several lines: a settings file's problems).
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"  # a byte that was not UTF-8: the byte itself
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with backslash escapes for what no log can write or show as it is:
    ``<\\udce2\\udc82@x>`` (the bytes E2 82 received) is logged as ``<\\xe2\\x82@x>``."""
    return _UNPRINTABLE.sub(_escape, text)


class Formatter(logging.Formatter):
    """The standard format, with the date part of the timestamp computed once a second, every
    line printable in any handler (stderr, the file, the window's Log tab), and a record formatted
    once however many handlers write it."""

    _second = -1
    _text = ""

    def format(self, record: logging.LogRecord) -> str:
        # Formatted once for every handler that shares this formatter (stderr and the file): the
        # text is kept on the record, with the formatter that made it.
        made = record.__dict__.get("_tenso_text")
        if made is not None and made[0] is self:
            return made[1]
        text = printable(super().format(record))
        record._tenso_text = (self, text)
        return text

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        second = int(record.created)
        if second != self._second:
            self._second, self._text = second, time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
        return f"{self._text},{int(record.msecs):03d}"


class RotatingFile(RotatingFileHandler):
    """RotatingFileHandler that counts what it writes instead of asking the file each time.

    The stock check stats the path twice, seeks, and formats every record a second
    time just to measure it; this handler is the only writer of its file.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._size: int | None = None

    def shouldRollover(self, record: logging.LogRecord) -> bool:
        if self.stream is None:
            self.stream = self._open()
        if self._size is None:
            self.stream.seek(0, 2)
            self._size = self.stream.tell()
        return 0 < self.maxBytes <= self._size

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if self._size is not None:
            self._size += len(text.encode("utf-8", "replace")) + 1
        return text

    def doRollover(self) -> None:
        super().doRollover()
        self._size = None


def setup(level: int = logging.INFO, file: Path | None = None) -> Path | None:
    """Logs to stderr and, when given, a 5 x 5 MB rotating ``file``; returns the file written."""
    stop()
    # The line carries time, level and message only: skip what LogRecord would gather for nothing
    # (the caller's file and line walk the stack on every call; see "Optimization" in the logging docs).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    formatter = Formatter(LOG_FORMAT)
    # stderr writes what its encoding lacks as backslash escapes itself (Python's default for it).
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    written = None
    if file is not None:
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            handlers.append(RotatingFile(file, maxBytes=5 << 20, backupCount=5, encoding="utf-8"))
            written = file
        except OSError as exc:
            print(f"no log file: cannot write {file}: {exc.strerror}", file=sys.stderr)
    for handler in handlers:
        handler.setFormatter(formatter)
        log.addHandler(handler)
        _installed.append(handler)
    log.setLevel(level)
    log.propagate = False
    return written


def add_handler(handler: logging.Handler) -> None:
    """Another destination (the window's log tab)."""
    log.addHandler(handler)


def remove_handler(handler: logging.Handler) -> None:
    log.removeHandler(handler)


def stop() -> None:
    """Removes and closes what setup() installed."""
    while _installed:
        handler = _installed.pop()
        log.removeHandler(handler)
        handler.close()


def setup_for_program(level: int = logging.INFO, to_file: bool = True) -> Path | None:
    """stderr, plus a rotating file in the data folder (5 x 5 MB).  Returns the file's path.

    TENSO_LOG_LEVEL (DEBUG, INFO, WARNING) overrides the level: WARNING keeps only problems."""
    from app.system import paths  # platformdirs only when a program starts

    chosen = logging.getLevelName(os.environ.get("TENSO_LOG_LEVEL", "").upper() or level)
    if not isinstance(chosen, int):
        chosen = logging.INFO
    return setup(chosen, paths.data_dir() / "logs" / "tenso.log" if to_file else None)
