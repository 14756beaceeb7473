"""What the service writes to the Windows Event Log (Application log, source ``Tenso``): its start
and stop, a start that failed, and every ERROR or CRITICAL line of the log.

The event source is registered with the message file .NET ships on every Windows
(``EventLogMessages.dll``, whose every message is ``%1``): the text Tenso hands over is shown
as it is.  pywin32's own message file lives inside the one-file exe's extraction folder, which
changes at each start, so Event Viewer would later say "the description for Event ID … cannot
be found" (pywin32 issue 2633).  The call itself (``win32evtlogutil.ReportEvent``) is handed in,
so this module runs and is tested anywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from app.system.logs import printable

SOURCE = "Tenso"
LOG = "Application"
MESSAGE_FILE = r"%SystemRoot%\Microsoft.NET\Framework\v4.0.30319\EventLogMessages.dll"
SOURCE_KEY = rf"SYSTEM\CurrentControlSet\Services\EventLog\{LOG}\{SOURCE}"
MAX_TEXT = 31_839  # the longest string one event may hold


class EventType(IntEnum):
    """win32evtlog's EVENTLOG_*_TYPE values."""

    ERROR = 0x0001
    WARNING = 0x0002
    INFORMATION = 0x0004


class EventId(IntEnum):
    STARTED = 1
    STOPPED = 2
    NOT_STARTED = 3  # the gateway could not start (a port in use, settings with problems)
    ERROR = 100  # an ERROR line of the log
    CRITICAL = 101  # a CRITICAL line of the log


@dataclass(frozen=True)
class Event:
    id: EventId
    type: EventType
    text: str


Report = Callable[[Event], None]


def source_registry_values() -> dict[str, tuple[str | int, int]]:
    """The values under ``SOURCE_KEY`` that register the source: name -> (value, registry type);
    2 is REG_EXPAND_SZ, 4 REG_DWORD (errors, warnings and information are the types it logs)."""
    return {"EventMessageFile": (MESSAGE_FILE, 2), "TypesSupported": (7, 4)}


def cut(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def started(version: str, config: str, account: str, installer: str | None = None) -> Event:
    """``installer``: the administrator who installed the service, who may command it unelevated."""
    text = f"Tenso {version} started as a service (account {account}); settings {config}."
    if installer:
        text += f" Its control channel also lets in {installer}, who installed it, from a prompt that is not elevated."
    return Event(EventId.STARTED, EventType.INFORMATION, text)


def stopped(left_queued: bool) -> Event:
    tail = (
        " Deliveries still under way were left in the queue; they are tried again after the next start."
        if left_queued
        else ""
    )
    return Event(EventId.STOPPED, EventType.INFORMATION, "Tenso stopped; no accepted mail is lost." + tail)


def not_started(code: int, log_file: str) -> Event:
    return Event(
        EventId.NOT_STARTED,
        EventType.ERROR,
        f"Tenso could not start (exit code {code}); the lines before this one and the log file {log_file} "
        "say why. The service manager starts it again after 10 seconds, 60 seconds, then every 5 minutes.",
    )


def event_for(record: logging.LogRecord) -> Event | None:
    """The event of one log line: ERROR and CRITICAL lines only, their text as the log shows it
    (an exception's traceback after it), made printable and cut to what an event holds."""
    if record.levelno < logging.ERROR:
        return None
    text = record.getMessage()
    if record.exc_info:
        text += "\n" + logging.Formatter().formatException(record.exc_info)
    critical = record.levelno >= logging.CRITICAL
    return Event(EventId.CRITICAL if critical else EventId.ERROR, EventType.ERROR, cut(printable(text)))


class EventLogHandler(logging.Handler):
    """Sends ERROR and CRITICAL lines of Tenso's log to the Event Log through ``report``."""

    def __init__(self, report: Report):
        super().__init__(logging.ERROR)
        self._report = report

    def emit(self, record: logging.LogRecord) -> None:
        event = event_for(record)
        if event is None:
            return
        try:
            self._report(event)
        except Exception:  # the Event Log full or gone: the log file still has the line
            self.handleError(record)
