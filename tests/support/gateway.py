"""The gateway as the tests run it in-process: the real engine on a real event loop in a thread
(so tests can use blocking smtplib clients), its settings, and its queue."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

from app import settings as settings_mod
from app.gateway import Gateway
from app.system import loops
from tests.support.waiting import wait_until

# --- the gateway: the real engine on its own loop thread ---------------------------------


class RunningGateway:
    def __init__(self, settings: settings_mod.Settings, prepare=None):
        """``prepare(gateway)``: called before the start (an alerts test gives the watcher its clock)."""
        self.loop = loops.new_event_loop()  # the headless gateway's loop: uvloop where installed
        self.thread = threading.Thread(target=self.loop.run_forever, name="gateway-loop", daemon=True)
        self.thread.start()
        self.gateway = Gateway(settings)
        if prepare is not None:
            prepare(self.gateway)
        self.call(self.gateway.start())

    def call(self, coro, timeout: float = 30.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def on_loop(self, fn, *args):
        """``fn(*args)`` run on the gateway's loop thread (the gateway is not thread-safe)."""

        async def run():
            return fn(*args)

        return self.call(run())

    @property
    def port(self) -> int:
        return self.gateway.bound[0][1]

    @property
    def spool(self):
        return self.gateway.spool

    def stop(self) -> None:
        if self.loop.is_running():
            self.call(self.gateway.stop(grace=5))
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()


def make_settings(tmp_path: Path, **sections) -> settings_mod.Settings:
    """A settings object as the file would give it: listening on a free loopback port."""
    data = {
        "server": {"listen": ["127.0.0.1:0"], "hostname": "tenso.test"},
        "queue": {"dir": str(tmp_path / "queue")},
        "mailbox_dir": str(tmp_path / "mailboxes"),
    }
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return settings_mod.from_dict(data, source=tmp_path / "settings.json")


def rule(port: int, match: str = "*") -> dict:
    """A routing rule that forwards ``match`` to an upstream on 127.0.0.1:``port``, without TLS."""
    return {"match": match, "destination": "127.0.0.1", "port": port, "tls": "none"}


# --- its queue ----------------------------------------------------------------------------


def retry_now(gw, qid: str | None = None) -> None:
    """The window's "retry now", called the way the GUI would: on the gateway's loop."""
    gw.loop.call_soon_threadsafe(gw.gateway.scheduler.retry, qid)


def recipients(gw, qid: str) -> dict[str, object]:
    return {r.address: r for r in gw.spool.load(qid).recipients}


def wait_attempts(gw, qid: str, count: int, timeout: float = 10.0) -> dict[str, object]:
    """Waits until every recipient of ``qid`` has had ``count`` attempts (or the message left)."""

    def done() -> bool:
        try:
            return all(r.attempts >= count for r in gw.spool.load(qid).recipients)
        except FileNotFoundError:
            return True

    wait_until(done, timeout, f"{count} attempt(s) of {qid}")
    try:
        return recipients(gw, qid)
    except FileNotFoundError:
        return {}  # finished and removed


def set_received_at(queue_dir: Path, qid: str, when: float) -> None:
    """Rewrites the envelope line of a spooled message (``queue/msg/<id>``), gateway stopped."""
    path = Path(queue_dir) / "msg" / qid
    raw = path.read_bytes()
    first, _, rest = raw.partition(b"\n")
    envelope = json.loads(first)
    envelope["received_at"] = when
    path.write_bytes(json.dumps(envelope, separators=(",", ":")).encode() + b"\n" + rest)
