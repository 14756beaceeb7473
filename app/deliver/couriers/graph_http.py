"""What every Graph request of a GRAPH rule shares: the mailbox it is made for, the answer as a
reply for the queue, the HTTP session of the delivery thread (with ``delivery.http_proxy``:
app/system/proxy.py), and the words for a request that got no answer.  Used by graph.py
(``sendMail``) and graph_upload.py (a draft and upload sessions)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from app.system import proxy

if TYPE_CHECKING:
    import requests

TIMEOUT = (15.0, 120.0)  # connect, then each read (a 4 MB upload on a slow office line takes a while)


@dataclass(frozen=True)
class Mailbox:
    """Where a GRAPH rule sends from: the account's mailbox (its user name) at a Graph endpoint."""

    url: str  # https://graph.microsoft.com, or the account's graph_url
    mailbox: str
    account: str  # the account's name, for the replies and the log
    proxy: str = ""  # delivery.http_proxy

    @property
    def via(self) -> str:
        """The destination's name in the status counts and the log."""
        return destination_name(self.mailbox)

    @property
    def user_url(self) -> str:
        return f"{self.url.rstrip('/')}/v1.0/users/{quote(self.mailbox, safe='@')}"

    @property
    def send_url(self) -> str:
        return f"{self.user_url}/sendMail"


@dataclass(frozen=True)
class Outcome:
    """Graph's answer as an SMTP reply for the queue; ``retry_after``: the seconds Graph asked to
    wait (429, 503), which the recipient's next try honours."""

    reply: str
    retry_after: float | None = None


def destination_name(mailbox: str) -> str:
    """A mailbox as the scheduler, the status counts and the log name it."""
    return f"GRAPH {mailbox}"


_local = threading.local()


def session(http_proxy: str) -> requests.Session:
    """One session per delivery thread and proxy setting: kept-alive connections to Graph, never
    shared between threads."""
    sessions = getattr(_local, "sessions", None)
    if sessions is None:
        sessions = _local.sessions = {}
    if http_proxy not in sessions:
        import requests  # only once a rule sends by Graph

        sessions[http_proxy] = proxy.configure(requests.Session(), http_proxy)
    return sessions[http_proxy]


def unreachable(box: Mailbox, url: str, exc: Exception) -> Outcome:
    """A request that got no answer: the proxy's fault, a timeout, or no connection."""
    import requests

    host = urlsplit(url).netloc
    if said := proxy.problem(box.proxy, url, exc):
        return Outcome(f"451 4.4.2 Microsoft Graph ({host}): {said}")
    if isinstance(exc, requests.Timeout):
        return Outcome(f"451 4.4.2 Microsoft Graph ({host}) did not answer in time: {exc}")
    return Outcome(f"451 4.4.2 cannot reach Microsoft Graph ({host}): {exc}")


def _id(request_id: str) -> str:
    return f" (request-id {request_id})" if request_id else ""
