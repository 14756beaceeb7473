"""A webhook receiver on 127.0.0.1: the standard library's http.server in a thread, keeping
every JSON body posted to it (as a Teams or Slack incoming webhook would get them)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.waiting import wait_until


class WebhookReceiver:
    def __init__(self, status: int = 200):
        self.posts: list[dict] = []
        self.paths: list[str] = []
        self.content_types: list[str] = []
        self.status = status  # what it answers (a test sets 500 for a webhook that fails)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                receiver.paths.append(self.path)
                receiver.content_types.append(self.headers.get("Content-Type", ""))
                receiver.posts.append(json.loads(body.decode("utf-8")))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:  # quiet: pytest shows the test's own output
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="webhook", daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook/T000/B000"

    def events(self, event: str | None = None) -> list[tuple[str, str]]:
        """(event, state) of every post, in order; only ``event``'s when given."""
        return [(p["event"], p["state"]) for p in self.posts if event is None or p["event"] == event]

    def wait_posts(self, count: int, timeout: float = 15.0) -> list[dict]:
        wait_until(lambda: len(self.posts) >= count, timeout, f"{count} webhook post(s)")
        return self.posts

    def stop(self) -> None:
        """Stops it (a second call does nothing: a test may stop it early)."""
        if self.thread.is_alive():
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(5)
