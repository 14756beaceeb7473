"""A Microsoft Graph stand-in on 127.0.0.1 (plain HTTP, loopback only): ``POST
/v1.0/users/{mailbox}/sendMail`` as Graph takes a MIME message, for the GRAPH destination tests;
and the way of large messages: ``POST …/messages`` (a draft, as JSON), ``POST
…/messages/{id}/attachments`` (under 3 MB), ``POST …/attachments/createUploadSession`` and ``PUT``
of the pieces to its upload URL, ``POST …/messages/{id}/send``, ``DELETE …/messages/{id}``.
Requests to Graph are held to 4 MB (413).  A piece is refused as Graph's rules say (400 over
4 MB, a piece but the last that is not a multiple of 320 KiB, a range that is not the next one;
401 with an ``Authorization`` header, which the pre-authenticated upload URL must not get);
``fail_pieces(n)`` answers the next n pieces 503 (a retry test).  A sent draft becomes a
``Sent`` with ``message`` (the draft's JSON) and ``attachments`` (name → bytes).

Every request's bearer token is checked with the authorization server of tests/support/oauth.py
(401 when it is not valid, as Graph answers an expired token); the body must be ``text/plain``
base64 (400 otherwise) of at most 4 MB (413); an accepted message is kept as the decoded MIME
bytes and answered 202 with a ``request-id``.  ``answer(status, headers, error)`` scripts the
next answers (429 with Retry-After, 400...), used up one by one after the token check; ``hold()``
keeps every request waiting until the event it returns is set (a Graph that hangs).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

from tests.support.oauth import AuthServer

LIMIT = 4 * 1024 * 1024
PIECE_UNIT = 320 * 1024
_PATH = re.compile(r"^/v1\.0/users/([^/]+)/sendMail$")
_MESSAGES = re.compile(r"^/v1\.0/users/([^/]+)/messages(?:/([^/]+)(/attachments(?:/createUploadSession)?|/send)?)?$")
_UPLOAD = re.compile(r"^/upload/([0-9a-f]+)\?authtoken=([0-9a-f]+)$")


@dataclass
class Request:
    at: float  # time.time() when it arrived
    mailbox: str
    token_valid: bool
    status: int  # what the stand-in answered


@dataclass
class Sent:
    mailbox: str
    mime: bytes  # the message as Graph would send it: the base64 body, decoded (b"" for a draft)
    message: dict | None = None  # a sent draft: its JSON
    attachments: list[Attachment] = field(default_factory=list)  # a sent draft's attachments
    at: float = 0.0  # time.time() when it was sent


@dataclass
class Attachment:
    name: str
    content_type: str
    data: bytes
    inline: bool = False
    content_id: str = ""
    uploaded: bool = False  # through an upload session


@dataclass
class Upload:
    draft: str
    item: dict
    token: str
    received: bytearray = field(default_factory=bytearray)


class GraphServer:
    def __init__(self, auth: AuthServer):
        self.auth = auth
        self.requests: list[Request] = []
        self.sent: list[Sent] = []
        self.scripted: list[tuple[int, dict[str, str], dict | None]] = []
        self.arrived = threading.Condition()
        self.gate: threading.Event | None = None
        self.held = 0  # requests waiting at the gate now
        self.drafts: dict[str, dict] = {}  # id -> {"mailbox", "message", "attachments"}
        self.deleted: list[str] = []  # drafts deleted
        self.uploads: dict[str, Upload] = {}
        self.pieces: list[tuple[str, int]] = []  # (Content-Range, status) of every PUT
        self.failing_pieces = 0
        self.failing_sends: list[int] = []  # statuses for the next POST …/send of a draft
        self.graph_requests: list[tuple[str, str, int]] = []  # (method, path, status) of the draft way
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Graph's front ends do

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if _PATH.match(self.path):
                    server._send_mail(self, body)
                else:
                    server._draft_way(self, "POST", body)

            def do_PUT(self) -> None:
                server._draft_way(self, "PUT", self.rfile.read(int(self.headers.get("Content-Length", 0))))

            def do_DELETE(self) -> None:
                server._draft_way(self, "DELETE", b"")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def answer(self, status: int, headers: dict[str, str] | None = None, error: dict | None = None) -> None:
        """The next request with a valid token gets this answer instead of being sent."""
        with self.arrived:
            self.scripted.append((status, dict(headers or {}), error))

    def hold(self) -> threading.Event:
        """Every request from now on waits, unanswered, until the returned event is set."""
        self.gate = threading.Event()
        return self.gate

    def wait_held(self, count: int, timeout: float = 15.0) -> None:
        """Waits until ``count`` requests wait at the gate of ``hold()``."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: self.held >= count, timeout):
                raise AssertionError(f"{count} held Graph request(s) expected, {self.held} arrived")

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Request]:
        """Waits until ``count`` requests arrived (answered in any way)."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.requests) >= count, timeout):
                raise AssertionError(f"{count} Graph request(s) expected, {len(self.requests)} arrived")
            return list(self.requests)

    def fail_pieces(self, count: int) -> None:
        """The next ``count`` pieces PUT to an upload URL are answered 503."""
        with self.arrived:
            self.failing_pieces += count

    def fail_send(self, status: int) -> None:
        """The next draft's send is answered ``status`` (the draft stays)."""
        with self.arrived:
            self.failing_sends.append(status)

    def wait_sent(self, count: int, timeout: float = 30.0) -> list[Sent]:
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.sent) >= count, timeout):
                raise AssertionError(f"{count} sent message(s) expected, {len(self.sent)} sent")
            return list(self.sent)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)

    # --- the endpoint ---

    def _reply(
        self, handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], error: dict | None = None
    ) -> None:
        body = json.dumps({"error": error}).encode() if error else b""
        handler.send_response(status)
        handler.send_header("request-id", str(uuid.uuid4()))
        for name, value in headers.items():
            handler.send_header(name, value)
        if body:
            handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _send_mail(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        if self.gate is not None:
            with self.arrived:
                self.held += 1
                self.arrived.notify_all()
            self.gate.wait(60)
            with self.arrived:
                self.held -= 1
        found = _PATH.match(handler.path)
        mailbox = unquote(found.group(1)) if found else ""
        authorization = handler.headers.get("Authorization", "")
        valid = authorization.startswith("Bearer ") and self.auth.valid(authorization[7:])
        status, headers, error = self._decide(found is not None, valid, handler.headers.get("Content-Type", ""), body)
        if status == 202:
            with self.arrived:
                self.sent.append(Sent(mailbox, base64.b64decode(body, validate=True)))
        with self.arrived:
            self.requests.append(Request(time.time(), mailbox, valid, status))
            self.arrived.notify_all()
        self._reply(handler, status, headers, error)

    def _decide(self, known: bool, valid: bool, content_type: str, body: bytes) -> tuple[int, dict, dict | None]:
        if not known:
            return 404, {}, {"code": "ResourceNotFound", "message": "Resource not found for the segment."}
        if not valid:
            return 401, {}, {"code": "InvalidAuthenticationToken", "message": "Access token has expired."}
        with self.arrived:
            if self.scripted:
                return self.scripted.pop(0)
        if content_type.split(";")[0].strip() != "text/plain":
            return 400, {}, {"code": "ErrorMimeContentInvalid", "message": "The MIME content must be text/plain."}
        if len(body) > LIMIT:
            return 413, {}, {"code": "RequestEntityTooLarge", "message": "The request is too large."}
        try:
            base64.b64decode(body, validate=True)
        except binascii.Error:
            return 400, {}, {"code": "ErrorMimeContentInvalidBase64String", "message": "Invalid base64 string."}
        return 202, {}, None

    # --- the draft way (large messages) ---

    def _json(self, handler: BaseHTTPRequestHandler, status: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("request-id", str(uuid.uuid4()))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _draft_way(self, handler: BaseHTTPRequestHandler, method: str, body: bytes) -> None:
        if method == "PUT":
            status, answer = self._piece(handler, body)
        else:
            status, answer = self._graph_call(handler, method, body)
        with self.arrived:
            self.graph_requests.append((method, handler.path.split("?")[0], status))
            self.arrived.notify_all()
        if status in (201,) or answer:
            self._json(handler, status, answer)
        else:
            self._reply(handler, status, {}, None)

    def _graph_call(self, handler: BaseHTTPRequestHandler, method: str, body: bytes) -> tuple[int, dict]:
        found = _MESSAGES.match(handler.path)
        if not found:
            return 404, {"error": {"code": "ResourceNotFound", "message": "Resource not found for the segment."}}
        authorization = handler.headers.get("Authorization", "")
        if not (authorization.startswith("Bearer ") and self.auth.valid(authorization[7:])):
            return 401, {"error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired."}}
        if len(body) > LIMIT:
            return 413, {"error": {"code": "RequestEntityTooLarge", "message": "The request is too large."}}
        with self.arrived:
            if self.scripted:
                status, _, error = self.scripted.pop(0)
                return status, ({"error": error} if error else {})
        mailbox, draft_id, action = unquote(found.group(1)), found.group(2), found.group(3)
        data = json.loads(body) if body else {}
        with self.arrived:
            if draft_id is None and method == "POST":
                new = uuid.uuid4().hex
                attachments = [self._attachment(a) for a in data.pop("attachments", [])]
                self.drafts[new] = {"mailbox": mailbox, "message": data, "attachments": attachments}
                return 201, {"id": new, **data}
            draft = self.drafts.get(unquote(draft_id or ""))
            if draft is None:
                return 404, {"error": {"code": "ErrorItemNotFound", "message": "The specified object was not found."}}
            if method == "DELETE" and action is None:
                del self.drafts[unquote(draft_id or "")]
                self.deleted.append(unquote(draft_id or ""))
                return 204, {}
            if action == "/attachments":
                if len(base64.b64decode(data.get("contentBytes", ""))) >= 3 * 1024 * 1024:
                    return 413, {"error": {"code": "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize", "message": "x"}}
                draft["attachments"].append(self._attachment(data))
                return 201, {"id": uuid.uuid4().hex}
            if action == "/attachments/createUploadSession":
                item = data["AttachmentItem"]
                session, token = uuid.uuid4().hex, uuid.uuid4().hex
                self.uploads[session] = Upload(unquote(draft_id or ""), item, token)
                url = f"{self.url}/upload/{session}?authtoken={token}"
                return 201, {
                    "uploadUrl": url,
                    "expirationDateTime": "2099-01-01T00:00:00Z",
                    "nextExpectedRanges": ["0-"],
                }
            if action == "/send" and self.failing_sends:
                return self.failing_sends.pop(0), {"error": {"code": "ErrorInternalServerError", "message": "scripted"}}
            if action == "/send":
                del self.drafts[unquote(draft_id or "")]
                self.sent.append(Sent(mailbox, b"", draft["message"], draft["attachments"], time.time()))
                return 202, {}
        return 405, {"error": {"code": "BadRequest", "message": "method not allowed"}}

    @staticmethod
    def _attachment(data: dict) -> Attachment:
        return Attachment(
            data["name"],
            data.get("contentType", ""),
            base64.b64decode(data.get("contentBytes", "")),
            bool(data.get("isInline")),
            data.get("contentId", ""),
        )

    def _piece(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, dict]:
        found = _UPLOAD.match(handler.path)
        upload = self.uploads.get(found.group(1)) if found else None
        if upload is None or found is None or found.group(2) != upload.token:
            return 404, {"error": {"code": "ErrorItemNotFound", "message": "no such upload session"}}
        said = handler.headers.get("Content-Range", "")
        status, answer = self._check_piece(handler, upload, said, body)
        with self.arrived:
            self.pieces.append((said, status))
        return status, answer

    def _check_piece(self, handler: BaseHTTPRequestHandler, upload: Upload, said: str, body: bytes) -> tuple[int, dict]:
        def bad(text: str, status: int = 400) -> tuple[int, dict]:
            return status, {"error": {"code": "InvalidRequest", "message": text}}

        if handler.headers.get("Authorization"):
            return bad("The upload URL is pre-authenticated: no Authorization header", 401)
        with self.arrived:
            if self.failing_pieces:
                self.failing_pieces -= 1
                return bad("Service unavailable (scripted)", 503)
        ranged = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", said)
        if not ranged:
            return bad(f"Content-Range {said!r}")
        start, end, total = (int(g) for g in ranged.groups())
        if total != upload.item["size"] or start != len(upload.received) or end - start + 1 != len(body):
            return bad(f"range {said} is not the next {len(body)} bytes of {upload.item['size']}")
        if len(body) > LIMIT:
            return bad("a piece may be at most 4 MB")
        if end + 1 < total and len(body) % PIECE_UNIT:
            return bad("a piece but the last must be a multiple of 320 KiB")
        upload.received += body
        if end + 1 < total:
            return 200, {"expirationDateTime": "2099-01-01T00:00:00Z", "nextExpectedRanges": [f"{end + 1}-"]}
        with self.arrived:
            draft = self.drafts.get(upload.draft)
            if draft is None:
                return bad("the draft is gone", 404)
            item = upload.item
            draft["attachments"].append(
                Attachment(
                    item["name"],
                    item.get("contentType", ""),
                    bytes(upload.received),
                    bool(item.get("isInline")),
                    item.get("contentId", ""),
                    True,
                )
            )
        return 201, {}
