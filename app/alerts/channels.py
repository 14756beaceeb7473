"""The ways an alert goes out besides the log: the Windows Event Log, a webhook, a mail (the tray
is the window's: the watcher hands it the notice).  Each is blocking: called in a thread.

The webhook is a ``POST`` of JSON, ``{"event", "state", "text", "text_ja", "time", "details"}``:
``text`` is what a Teams or Slack incoming webhook shows.  It goes with the standard library's
urllib (the ``requests`` library is the OAuth client's and the couriers'), through
``delivery.http_proxy`` like every other HTTP request of Tenso, with a short timeout.
"""

from __future__ import annotations

import json
import logging
import sys
import urllib.error
import urllib.request
from email import policy as email_policy
from email import utils as email_utils
from email.message import EmailMessage

from app import __version__
from app.alerts.events import Event, Notice, Phase
from app.problems import Problem
from app.service import eventlog
from app.status import iso_time
from app.system import proxy

log = logging.getLogger("tenso")

WEBHOOK_TIMEOUT_SECONDS = 10.0
# The Event Log's event id per event, so monitoring tools can watch for one (docs/alerts.md); the
# service's own ids are below 1000 (app/service/eventlog.py).
EVENT_IDS = {
    Event.DESTINATION_FAILING: 1001,
    Event.ACCOUNT_SIGN_IN: 1002,
    Event.SECRET_EXPIRING: 1003,
    Event.QUEUE_STUCK: 1004,
    Event.DISK_LOW: 1005,
    Event.ENGINE_STOPPED: 1006,
    Event.TEST: 1000,
}
ENDED_OFFSET = 100  # an ended condition: its event's id + 100 (1101: a destination works again)


class ChannelError(Exception):
    """A channel did not take the alert; the text says what it answered and what to do."""

    def __init__(self, problem: Problem):
        super().__init__(problem)
        self.problem = problem  # str(exc) is its English; the window words the Problem itself


def payload(notice: Notice) -> dict:
    """The webhook's JSON (INTERFACES.md, "History and alerts")."""
    return {
        "event": notice.event.value,
        "state": notice.phase.value,
        "text": notice.text("en"),
        "text_ja": notice.text("ja"),
        "time": iso_time(notice.time),
        "details": notice.condition.details,
    }


def _opener(setting: str, url: str) -> urllib.request.OpenerDirector:
    """urllib under ``delivery.http_proxy``: "" the system's proxy, "none", or that proxy."""
    proxies, trust_env = proxy.session_options(setting)
    if trust_env:
        return urllib.request.build_opener()  # its ProxyHandler reads the system's settings
    return urllib.request.build_opener(urllib.request.ProxyHandler(proxies))


def post_webhook(url: str, notice: Notice, proxy_setting: str, timeout: float = WEBHOOK_TIMEOUT_SECONDS) -> Problem:
    """Posts the notice; returns what the receiver answered (``the webhook answered HTTP 200``).  ChannelError else."""
    body = json.dumps(payload(notice), ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": f"Tenso/{__version__}"},
    )
    used = proxy.proxy_for(proxy_setting, url)
    try:
        with _opener(proxy_setting, url).open(request, timeout=timeout) as response:
            return Problem("", "the webhook answered HTTP {status}", status=response.status)
    except urllib.error.HTTPError as exc:
        if exc.code == 407 and used:
            raise ChannelError(proxy.asks_for_login(used)) from exc
        raise ChannelError(
            Problem(
                "",
                "the webhook answered HTTP {code}; check alerts.webhook_url "
                "(a Teams or Slack incoming webhook's address, copied whole)",
                code=exc.code,
            )
        ) from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        why = getattr(exc, "reason", exc)
        if used:
            raise ChannelError(proxy.unreachable(used, proxy_setting, why)) from exc
        raise ChannelError(
            Problem("", "cannot reach the webhook ({why}); check alerts.webhook_url and the network", why=why)
        ) from exc


def event_log_available() -> bool:
    return sys.platform == "win32"


def report_event(notice: Notice) -> Problem:
    """Writes the notice to the Windows Application log (source "Tenso", the service's:
    app/service/eventlog.py); returns what was done.  Elsewhere there is no Event Log: the log
    line is the record (ChannelError says so).  An unregistered source (the window only, no
    service installed) still gets the event; Event Viewer then adds that its description is
    not found, the text below it."""
    if sys.platform != "win32":
        raise ChannelError(Problem("", "there is no Windows Event Log on this system; the log line is the record"))
    import win32evtlogutil  # pywin32: only on Windows (tools/check_imports.py allows this one here)

    ended = notice.phase == Phase.ENDED
    quiet = ended or notice.event == Event.TEST
    kind = eventlog.EventType.INFORMATION if quiet else eventlog.EventType.WARNING
    number = EVENT_IDS[notice.event] + (ENDED_OFFSET if ended else 0)
    text = eventlog.cut(f"{notice.text('en')}\n\n{notice.text('ja')}")
    try:
        win32evtlogutil.ReportEvent(eventlog.SOURCE, number, eventType=int(kind), strings=[text])
    except Exception as exc:  # pywintypes.error: the Event Log full, or refused
        raise ChannelError(Problem("", "the Windows Event Log did not take it: {error}", error=exc)) from exc
    return Problem("", "event {number} in the Application log", number=number)


def mail(notices: list[Notice], to: str, hostname: str) -> bytes:
    """The alert mail: one message for the notices of one round, English then Japanese."""
    first = notices[0]
    subject = first.text("en") if len(notices) == 1 else f"Tenso: {len(notices)} alerts"
    subject_ja = first.text("ja") if len(notices) == 1 else f"Tenso: {len(notices)} 件の通知"
    lines = [n.text("en") for n in notices]
    lines += ["", "----", ""]
    lines += [n.text("ja") for n in notices]
    lines += ["", "----", ""]
    for n in notices:
        lines.append(json.dumps(payload(n), ensure_ascii=False))
    lines += ["", f"Tenso {__version__} on {hostname} (alerts: docs/alerts.md)"]
    return message(to, hostname, _short(f"{subject} / {subject_ja}"), "\n".join(lines) + "\n")


def message(to: str, hostname: str, subject: str, body: str) -> bytes:
    """A plain-text mail from Tenso itself (UTF-8; the subject as encoded words)."""
    made = EmailMessage(policy=email_policy.SMTP)
    made["From"] = f"Tenso <tenso@{hostname or 'tenso.invalid'}>"
    made["To"] = to
    made["Subject"] = subject
    made["Date"] = email_utils.formatdate(localtime=True)
    made["Message-ID"] = email_utils.make_msgid(domain=hostname or "tenso.invalid")
    made["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to it
    made.set_content(body)
    return made.as_bytes()


def _short(subject: str, limit: int = 160) -> str:
    return subject if len(subject) <= limit else subject[: limit - 1] + "…"
