"""A message too large for one ``sendMail`` (over 4 MB of request, about 3 MB of message): a draft,
its attachments, then send (learn.microsoft.com/graph/outlook-large-attachments).

1. ``POST /users/{mailbox}/messages``: the draft as JSON (graph_draft.py), with the small
   attachments in it while the request stays well under 4 MB;
2. each other attachment under 3 MB: ``POST /messages/{id}/attachments`` (a fileAttachment);
3. each larger one: ``POST /messages/{id}/attachments/createUploadSession``, then ``PUT`` its
   bytes to the session's ``uploadUrl`` in pieces of at most 4 MB (multiples of 320 KiB but the
   last), each with ``Content-Range: bytes START-END/TOTAL`` and no ``Authorization`` header (the
   URL is pre-authenticated, and Graph's rule is to send none); a piece that fails with a 5xx or
   no answer is sent again, a few times;
4. ``POST /messages/{id}/send``.

Steps 1–3 need the application permission Mail.ReadWrite besides Mail.Send.  Anything that fails
after the draft exists deletes the draft (best effort: a draft left behind is only a draft) and
defers the mail, so the next try starts again from nothing.  Blocking, for a delivery thread.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from typing import TYPE_CHECKING
from urllib.parse import quote

from app.deliver.couriers import graph_draft
from app.deliver.couriers.graph_http import TIMEOUT, Mailbox, Outcome, _id, session, unreachable
from app.deliver.smtp import DeliveryError, TokenSource
from app.system import proxy

if TYPE_CHECKING:
    from collections.abc import Callable

    import requests

    Replies = Callable[[Mailbox, requests.Response], Outcome]  # graph._outcome: Graph's status as a reply

log = logging.getLogger("tenso")

SMALL_ATTACHMENT = 3_000_000  # bytes: under "3 MB" however Microsoft counts it, so one POST takes it
DRAFT_BUDGET = 3_000_000  # bytes of JSON for the draft with the attachments packed into it
PIECE = 10 * 320 * 1024  # 3,276,800 bytes: under 4 MB, a multiple of 320 KiB
PIECE_TRIES = 4  # one piece is sent at most this many times
PIECE_PAUSE = 0.5  # seconds before the second try, doubled for each next one


class Refused(Exception):
    """A step failed; ``outcome`` says how, as the reply for the queue."""

    def __init__(self, outcome: Outcome):
        super().__init__(outcome.reply)
        self.outcome = outcome


class _Graph:
    """Graph's requests for one message, with its token: asked for once (the keyring and the
    token file are read once per message, not per request); a 401 gets one refresh and one retry."""

    def __init__(self, box: Mailbox, token: TokenSource, replies: Replies, qid: str):
        self.box, self.token, self.replies, self.qid = box, token, replies, qid
        self.bearer = ""

    def call(self, method: str, url: str, what: str, json: dict | None = None) -> requests.Response:
        import requests

        answer = None
        for retry in (False, True):
            try:
                if retry or not self.bearer:
                    self.bearer = self.token(retry)
            except DeliveryError as exc:
                raise Refused(Outcome(f"451 4.4.0 {exc.reply}")) from exc
            try:
                answer = session(self.box.proxy).request(
                    method, url, json=json, headers={"Authorization": f"Bearer {self.bearer}"}, timeout=TIMEOUT
                )
            except (requests.RequestException, proxy.ProxyLogin) as exc:
                raise Refused(unreachable(self.box, url, exc)) from exc
            if answer.status_code != 401:
                break
        assert answer is not None
        if not 200 <= answer.status_code < 300:
            raise Refused(_refused(self, answer, what))
        return answer


def _refused(graph: _Graph, answer: requests.Response, what: str) -> Outcome:
    box, outcome = graph.box, graph.replies(graph.box, answer)
    if answer.status_code == 403:
        return Outcome(
            f"451 4.4.0 Microsoft Graph does not let {box.account} {what} in {box.mailbox}: {answer.status_code} "
            f"{answer.reason}; a message over 3 MB goes as a draft, which needs the Mail.ReadWrite application "
            "permission (with admin consent) besides Mail.Send"
        )
    return outcome


def send_large(
    box: Mailbox, token: TokenSource, content: bytes, recipients: list[str], replies: Replies, qid: str = ""
) -> Outcome:
    """``replies``: how an answer of Graph becomes the queue's reply (graph.py's, for sendMail too);
    ``qid``: the message's queue id, for the log."""
    built = graph_draft.draft(content, recipients)
    graph = _Graph(box, token, replies, qid)
    packed, rest = _pack(built)
    message = dict(built.message)
    if packed:
        message["attachments"] = [_file_attachment(p) for p in packed]
    started = time.monotonic()
    try:
        created = graph.call("POST", f"{box.user_url}/messages", "create a draft", message)
        draft_id = str(created.json().get("id", ""))
    except Refused as refused:
        return refused.outcome
    except ValueError:
        return Outcome("451 4.4.0 Microsoft Graph created a draft but did not say its id")
    message_url = f"{box.user_url}/messages/{quote(draft_id, safe='')}"
    try:
        for part in rest:
            if len(part.data) < SMALL_ATTACHMENT:
                graph.call("POST", f"{message_url}/attachments", "add an attachment", _file_attachment(part))
            else:
                _upload(graph, message_url, part)
        sent = graph.call("POST", f"{message_url}/send", "send the draft")
    except Refused as refused:
        _delete(graph, message_url)
        reply = refused.outcome.reply
        if reply.startswith("5") and not reply.startswith("554 5.3.4"):  # too large stays too large
            # After the draft: tried again later, never bounced half-way.
            reply = "451 4.4.0 " + reply.split(" ", 2)[-1]
        return Outcome(f"{reply} (the draft was deleted; the message is sent again from the start)")
    took = time.monotonic() - started
    log.info(
        "%s graph=%s: draft sent, %d attachment(s), %d bytes, in %.1f s",
        qid,
        box.mailbox,
        len(built.parts),
        len(content),
        took,
    )
    return Outcome(
        f"250 2.0.0 accepted by Microsoft Graph for {box.mailbox} (as a draft with {len(built.parts)} attachment(s))"
        + _id(sent.headers.get("request-id", ""))
    )


def _file_attachment(part: graph_draft.Part) -> dict:
    body: dict[str, object] = {
        "@odata.type": "#microsoft.graph.fileAttachment",
        "name": part.name,
        "contentType": part.content_type,
        "contentBytes": base64.b64encode(part.data).decode("ascii"),
    }
    if part.inline:
        body |= {"isInline": True, "contentId": part.content_id}
    return body


def _pack(built: graph_draft.Draft) -> tuple[list[graph_draft.Part], list[graph_draft.Part]]:
    """The attachments that fit in the draft's own request, and the others."""
    used = len(json.dumps(built.message).encode("utf-8"))
    packed, rest = [], []
    for part in built.parts:
        size = len(part.data) * 4 // 3 + 1024
        if used + size <= DRAFT_BUDGET:
            packed.append(part)
            used += size
        else:
            rest.append(part)
    return packed, rest


def _upload(graph: _Graph, message_url: str, part: graph_draft.Part) -> None:
    import requests

    opened = graph.call(
        "POST",
        f"{message_url}/attachments/createUploadSession",
        "upload an attachment",
        {"AttachmentItem": part.as_item()},
    )
    try:
        upload_url = str(opened.json()["uploadUrl"])
    except (ValueError, KeyError) as exc:
        raise Refused(Outcome("451 4.4.0 Microsoft Graph opened an upload session without an uploadUrl")) from exc
    total = len(part.data)
    http = session(graph.box.proxy)
    for start in range(0, total, PIECE):
        piece = part.data[start : start + PIECE]
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Range": f"bytes {start}-{start + len(piece) - 1}/{total}",
        }
        pause = PIECE_PAUSE
        for attempt in range(1, PIECE_TRIES + 1):
            try:
                # No Authorization: the upload URL carries its own token (outlook-large-attachments).
                answer = http.put(upload_url, data=piece, headers=headers, timeout=TIMEOUT)
            except (requests.RequestException, proxy.ProxyLogin) as exc:
                if attempt == PIECE_TRIES or proxy.problem(graph.box.proxy, upload_url, exc):
                    raise Refused(unreachable(graph.box, upload_url, exc)) from exc
                failed = str(exc)
            else:
                if answer.status_code in (200, 201):
                    break
                if answer.status_code < 500 or attempt == PIECE_TRIES:
                    raise Refused(_refused(graph, answer, "upload an attachment"))
                failed = f"{answer.status_code} {answer.reason}"
            log.warning(
                "%s graph=%s: piece %s of %s failed (%s), sent again in %.1f s",
                graph.qid,
                graph.box.mailbox,
                headers["Content-Range"],
                part.name,
                failed,
                pause,
            )
            time.sleep(pause)
            pause *= 2


def _delete(graph: _Graph, message_url: str) -> None:
    try:
        graph.call("DELETE", message_url, "delete the draft")
    except Refused as refused:
        log.warning(
            "%s graph=%s: the draft could not be deleted: %s", graph.qid, graph.box.mailbox, refused.outcome.reply
        )
