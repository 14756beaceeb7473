"""Microsoft Graph as a destination, for tenants that turned SMTP AUTH off: the message goes as
raw MIME, base64-encoded, in a ``text/plain`` body to ``POST {graph}/v1.0/users/{mailbox}/sendMail``
with an application token (client credentials, permission Mail.Send).

The bytes go exactly as they were received: Graph is given the MIME, never a JSON message built
from it, so a scanner's undeclared Shift_JIS arrives as the scanner wrote it.  Graph has no
envelope and takes the recipients from the headers, so envelope recipients that To, Cc or Bcc do
not name are added in one ``Bcc:`` line on top, in what goes to Graph only (the queue keeps its
bytes).  Exchange treats that Bcc as it treats one typed in Outlook: the other recipients do not
see it.

A message over Graph's single-request limit (4 MB, after base64) cannot go that way: it goes as
a draft built as JSON with its attachments uploaded in pieces (graph_upload.py; what that
changes: docs/accounts.md, "Large messages").  Blocking, with explicit timeouts: runs in
delivery threads like smtp/.  Every request goes through ``delivery.http_proxy``
(app/system/proxy.py).

``GraphCourier`` is the way out of a rule with destination ``GRAPH``: one request per message and
account, and the mailbox is what the scheduler counts (Graph's limits are per mailbox).
"""

from __future__ import annotations

import base64
import email.utils
import logging
import re
import time
from collections import defaultdict
from email import policy
from email.parser import BytesHeaderParser
from typing import TYPE_CHECKING

from app.deliver import credentials, throttle
from app.deliver.couriers.base import Batch, Reply, Shared, failing, from_header_as_sent, unsendable
from app.deliver.couriers.graph_http import TIMEOUT, Mailbox, Outcome, _id, destination_name, session, unreachable
from app.deliver.smtp import DeliveryError, TokenSource
from app.system import proxy

if TYPE_CHECKING:
    import requests

    from app.route.router import Account, Decision
    from app.store.spool import QueuedMessage, Recipient

log = logging.getLogger("tenso")

GRAPH_URL = "https://graph.microsoft.com"
MAX_REQUEST_BYTES = 4 * 1024 * 1024  # sendMail's limit for one request, the base64 body included
# The largest message sent in one sendMail (4 MB once base64-encoded, with room to spare: Microsoft
# says "4 MB" without saying whose MB); a larger one goes as a draft (graph_upload.py).
SEND_MAIL_BYTES = 3_000_000
MIN_RETRY_AFTER = 1.0  # seconds
MAX_REPLY_CHARS = 400  # of Graph's error text kept in the reply (it goes into the bounce)

_HEADER_END = re.compile(rb"\r?\n\r?\n")


# --- the courier ---------------------------------------------------------------------------------


class GraphCourier:
    def __init__(self, shared: Shared):
        self.shared = shared

    def slot(self, decision: Decision) -> str:
        assert decision.auth is not None  # settings.problems: a GRAPH rule names its account
        return destination_name(decision.auth.username)

    def deliver(self, batch: Batch) -> list[Reply]:
        by_account: dict[Account, list[Recipient]] = defaultdict(list)
        for rcpt, decision in batch.recipients:
            assert decision.auth is not None
            by_account[decision.auth].append(rcpt)
        replies: list[Reply] = []
        for account, rcpts in by_account.items():
            try:
                replies += self._send(batch.message, account, rcpts, from_header_as_sent(batch))
            except UnicodeError as exc:
                replies += unsendable(batch.message.id, rcpts, exc, destination_name(account.username))
        return replies

    def _send(self, message: QueuedMessage, account: Account, rcpts: list[Recipient], content: bytes) -> list[Reply]:
        settings = self.shared.settings
        upstream = settings.account(account.name)
        url = (upstream.oauth2.graph_url if upstream and upstream.oauth2 else "") or GRAPH_URL
        box = Mailbox(url, account.username, account.name, settings.delivery.http_proxy)
        wanted = [r.address for r in rcpts]
        folded = {w.casefold() for w in wanted}
        also = [a for a in header_recipients(content) if a.casefold() not in folded]
        if also:  # Graph sends to every address of To/Cc/Bcc: there is no envelope to say otherwise
            log.warning(
                "%s graph=%s: the headers also name %s, not recipients of this delivery; Graph sends to them too",
                message.id,
                box.mailbox,
                ",".join(f"<{a}>" for a in also),
            )
        token = credentials.token_source(settings, account.name)
        if len(content) + 4096 > SEND_MAIL_BYTES:  # 4096: room for the Bcc line
            from app.deliver.couriers import graph_upload

            log.info(
                "%s graph=%s: %d bytes, sent as a draft with upload sessions", message.id, box.mailbox, len(content)
            )
            outcome = graph_upload.send_large(box, token, content, wanted, _outcome, message.id)
        else:
            outcome = send(box, token, with_bcc(content, wanted))
        said, where = outcome.reply, f"graph={box.mailbox} auth={account.name}"
        return [Reply(r, said, box.via, f"to=<{r.address}> {where}", failing(said), outcome.retry_after) for r in rcpts]


# --- what goes to Graph --------------------------------------------------------------------------


def header_recipients(content: bytes) -> list[str]:
    """The addresses To, Cc and Bcc name (Graph sends to exactly these)."""
    end = _HEADER_END.search(content)
    block = content[: end.start()] + b"\r\n" if end else content
    headers = BytesHeaderParser(policy=policy.compat32).parsebytes(block)
    values = [str(v) for name in ("To", "Cc", "Bcc") for v in headers.get_all(name, [])]
    return [address for _, address in email.utils.getaddresses(values) if "@" in address]


def with_bcc(content: bytes, recipients: list[str]) -> bytes:
    """``content`` with a ``Bcc:`` line on top for the ``recipients`` its headers do not name; the
    bytes themselves untouched (no line of them is parsed into something else and written back)."""
    named = {a.casefold() for a in header_recipients(content)}
    missing = list(dict.fromkeys(r for r in recipients if r.casefold() not in named))
    if not missing:
        return content
    crlf = b"\r\n" if b"\r\n" in content[:4096] or not content else b"\n"
    line = b"Bcc: " + (b"," + crlf + b" ").join(a.encode("utf-8") for a in missing) + crlf
    return line + content


# --- the request ---------------------------------------------------------------------------------


def send(box: Mailbox, token: TokenSource, mime: bytes) -> Outcome:
    """One sendMail request; a 401 for a token Tenso believed valid gets one refresh and one retry."""
    import requests

    body = base64.b64encode(mime)
    answer: requests.Response | None = None
    for retry in (False, True):
        try:
            bearer = token(retry)
        except DeliveryError as exc:
            return Outcome(f"451 4.4.0 {exc.reply}")
        try:
            answer = session(box.proxy).post(
                box.send_url,
                data=body,
                headers={"Authorization": f"Bearer {bearer}", "Content-Type": "text/plain"},
                timeout=TIMEOUT,
            )
        except (requests.RequestException, proxy.ProxyLogin) as exc:
            return unreachable(box, box.send_url, exc)
        if answer.status_code != 401:
            break
    assert answer is not None
    return _outcome(box, answer)


def _outcome(box: Mailbox, answer: requests.Response) -> Outcome:
    status = answer.status_code
    said = f"{status} {answer.reason}" + (f": {detail}" if (detail := _detail(answer)) else "")
    request_id = answer.headers.get("request-id", "")
    if 200 <= status < 300:
        return Outcome(f"250 2.0.0 accepted by Microsoft Graph for {box.mailbox}" + _id(request_id))
    if status in (429, 503):
        wait = retry_after(answer.headers.get("Retry-After"))
        when = f", retry after {wait:.0f} s" if wait is not None else ""
        return Outcome(*throttle.busy(f"451 4.3.2 Microsoft Graph is busy{when}: {said}", wait))
    if status == 401:
        return Outcome(
            f"451 4.4.0 Microsoft Graph refused the token of {box.account} after a refresh: {said}; check the app "
            "registration (client secret, the Mail.Send application permission and its admin consent)"
        )
    if status == 403:
        # The application's permission, not the message: the mail waits until the tenant is fixed.
        return Outcome(
            f"451 4.4.0 Microsoft Graph does not let {box.account} send as {box.mailbox}: {said}; grant the "
            "Mail.Send application permission with admin consent, and include the mailbox in the application "
            "access policy if there is one"
        )
    if status == 404:
        return Outcome(
            f"451 4.4.0 Microsoft Graph knows no mailbox {box.mailbox}: {said}; the account's username must be "
            "a mailbox of the tenant"
        )
    if status == 413:
        return Outcome(
            f"554 5.3.4 Microsoft Graph refused the message as too large: {said}; the mailbox's limit for one "
            "message (Exchange Online: 35 MB unless the administrator changed it) is below its size"
        )
    if 400 <= status < 500:
        return Outcome(f"554 5.0.0 Microsoft Graph refused the message: {said}" + _id(request_id))
    return Outcome(f"451 4.4.0 Microsoft Graph answered {said}" + _id(request_id))


def _detail(answer: requests.Response) -> str:
    """Graph's error code and message ({"error": {"code", "message"}}), else the start of the text."""
    try:
        error = answer.json().get("error") or {}
        text = f"{error.get('code', '')}: {error.get('message', '')}".strip(": ")
    except (ValueError, AttributeError):
        text = answer.text
    return " ".join(text.split())[:MAX_REPLY_CHARS]


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds from now: a number of seconds or an HTTP date; None when absent or
    not understood (the retry schedule then applies).  At least a second: a 0 is no reason to
    ask again at once."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return max(MIN_RETRY_AFTER, float(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(MIN_RETRY_AFTER, when.timestamp() - (time.time() if now is None else now))
