"""An HTTP proxy on 127.0.0.1 for the tests of ``delivery.http_proxy``: plain-HTTP requests in
absolute form (``POST http://127.0.0.1:PORT/token HTTP/1.1``) are forwarded, CONNECT opens a
tunnel; both only to 127.0.0.1 (the tests' stand-ins), never anywhere else.  ``seen`` lists every
request as ``(method, target)``; ``require_login`` answers each one 407 with a
``Proxy-Authenticate`` challenge, as an office proxy that wants a login does."""

from __future__ import annotations

import http.client
import select
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authorization", "proxy-connection", "te", "trailer", "upgrade"}


class Proxy:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.require_login = False
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_CONNECT(self) -> None:
                proxy._connect(self)

            def do_GET(self) -> None:
                proxy._forward(self)

            do_POST = do_PUT = do_DELETE = do_GET

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)

    def paths(self) -> list[str]:
        with self.lock:
            return [urlsplit(target).path or target for _, target in self.seen]

    def _refused(self, handler: BaseHTTPRequestHandler, status: int, text: str, headers: dict | None = None) -> None:
        body = text.encode()
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Type", "text/plain")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _admitted(self, handler: BaseHTTPRequestHandler, host: str) -> bool:
        with self.lock:
            self.seen.append((handler.command, handler.path))
        if self.require_login:
            challenge = {"Proxy-Authenticate": 'Basic realm="office proxy"'}
            self._refused(handler, 407, "Proxy Authentication Required", challenge)
            return False
        if host != "127.0.0.1":
            self._refused(handler, 403, "the test proxy goes to 127.0.0.1 only")
            return False
        return True

    def _forward(self, handler: BaseHTTPRequestHandler) -> None:
        target = urlsplit(handler.path)
        if target.scheme != "http" or not target.hostname:
            self._refused(handler, 400, "absolute http:// URI expected")
            return
        body = handler.rfile.read(int(handler.headers.get("Content-Length", 0)))
        if not self._admitted(handler, target.hostname):
            return
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP}
        upstream = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=60)
        try:
            path = target.path + (f"?{target.query}" if target.query else "")
            upstream.request(handler.command, path or "/", body=body, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
        finally:
            upstream.close()
        handler.send_response(answer.status, answer.reason)
        for name, value in answer.getheaders():
            if name.lower() not in HOP_BY_HOP | {"content-length", "transfer-encoding"}:
                handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _connect(self, handler: BaseHTTPRequestHandler) -> None:
        host, _, port = handler.path.rpartition(":")
        if not self._admitted(handler, host):
            return
        try:
            upstream = socket.create_connection((host, int(port)), timeout=60)
        except OSError as exc:
            self._refused(handler, 502, str(exc))
            return
        handler.send_response(200, "Connection established")
        handler.end_headers()
        client = handler.connection
        try:
            while True:
                ready, _, _ = select.select([client, upstream], [], [], 60)
                if not ready:
                    break
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is client else client).sendall(data)
        finally:
            upstream.close()
            handler.close_connection = True
