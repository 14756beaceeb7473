"""A Microsoft Graph stand-in on 127.0.0.1 (plain HTTP, loopback only): ``POST
/v1.0/users/{mailbox}/sendMail`` as Graph takes a MIME message, for the GRAPH destination tests.

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
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

from tests.support.oauth import AuthServer

LIMIT = 4 * 1024 * 1024
_PATH = re.compile(r"^/v1\.0/users/([^/]+)/sendMail$")


@dataclass
class Request:
    at: float  # time.time() when it arrived
    mailbox: str
    token_valid: bool
    status: int  # what the stand-in answered


@dataclass
class Sent:
    mailbox: str
    mime: bytes  # the message as Graph would send it: the base64 body, decoded


class GraphServer:
    def __init__(self, auth: AuthServer):
        self.auth = auth
        self.requests: list[Request] = []
        self.sent: list[Sent] = []
        self.scripted: list[tuple[int, dict[str, str], dict | None]] = []
        self.arrived = threading.Condition()
        self.gate: threading.Event | None = None
        self.held = 0  # requests waiting at the gate now
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Graph's front ends do

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server._send_mail(self, body)

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
