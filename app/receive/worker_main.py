"""A receiving process: ``python -m app receive-worker``, started by ``app.receive.workers``.

It accepts on the listening sockets it was given, runs the same aiosmtpd server
and ``InboundHandler`` as the main process on its own event loop, commits each
message into the shared spool (fsync before 250) and tells the parent its id.
Delivery, the queue runner and the window stay in the parent.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import logging
import os
import socket
import sys
import threading
from pathlib import Path
from typing import IO

from app.history import records
from app.receive import listeners
from app.receive.handler import InboundHandler
from app.route.policy import RelayPolicy
from app.route.router import Router
from app.settings import Settings, from_dict
from app.store import spool
from app.store.spool import Spool
from app.system import loops, workers
from app.system.looplag import LoopLag

log = logging.getLogger("tenso")

STOP_COMMITS_SECONDS = 5.0


class _Context:
    """The handler's ``ReceiveContext`` in this process, rebuilt from the parent's config lines."""

    settings: Settings
    policy: RelayPolicy
    router: Router
    spool: Spool

    def configure(self, msg: dict) -> None:
        settings = from_dict(msg["config"], source=Path(msg["source"]) if msg["source"] else None)
        router = Router(settings)
        self.policy = RelayPolicy(router)
        self.router = router
        if not hasattr(self, "spool"):
            self.spool = Spool(Path(msg["spool"]))  # the parent's: a queue.dir change waits for a restart
        self.settings = settings
        log.setLevel(msg["level"])


def _listening_socket(entry: dict) -> socket.socket:
    if "fd" in entry:
        return socket.socket(fileno=entry["fd"])
    # socket.fromshare is Windows-only, as "share" entries are; unused-ignore: Windows' mypy knows it.
    return socket.fromshare(base64.b64decode(entry["share"]))  # type: ignore[attr-defined, unused-ignore]


async def serve(first: dict, stdin: IO[bytes], writer: workers.Writer) -> int:
    loop = asyncio.get_running_loop()
    front = _Context()
    front.configure(first)
    spool.set_node(first["node"])
    tls = listeners.contexts(front.settings)

    def stored(qid: str, envelope: spool.Envelope, parts: tuple[bytes, ...], record: records.Received | None) -> None:
        told: dict = {"accepted": qid}
        if record is not None:  # read by the handler's commit thread, here: not in the parent
            told["history"] = [records.to_json(record)]
        writer.send(told)

    def refused(refusal: records.Refusal) -> None:
        told: dict = {"refused": int(refusal.counted)}
        if front.settings.history.enabled:
            told["history"] = [records.to_json(refusal)]
        if refusal.counted or "history" in told:
            writer.send(told)

    handler = InboundHandler(front, stored, refused)
    servers = [
        await listeners.serve(front.settings, e["listener"], handler, tls, _listening_socket(e))
        for e in first["sockets"]
    ]
    lag = LoopLag()
    lag.start()
    gc.collect()
    gc.freeze()  # as in the main process (gateway._freeze_once)

    stop = asyncio.Event()

    def read_parent() -> None:
        for line in stdin:
            msg = json.loads(line)
            if "stop" in msg:
                loop.call_soon_threadsafe(stop.set)
                return
            if "config" in msg:
                loop.call_soon_threadsafe(front.configure, msg)
        # Input ended without "stop": the parent was killed.  Stop at once, as it did: its
        # ports must close with it, or mail would be accepted with nobody to deliver it.
        os._exit(1)

    threading.Thread(target=read_parent, name="parent-reader", daemon=True).start()
    await stop.wait()
    for server in servers:
        server.close()
    handler.close_sessions()
    lag.stop()
    await handler.settle(STOP_COMMITS_SECONDS)  # on disk and announced, or not on disk at all
    return 0


def main() -> int:
    workers.die_with_parent()
    workers.leave_ctrl_c_to_parent()
    writer = workers.Writer(sys.stdout.buffer)
    workers.ToParent.install(writer)
    stdin = sys.stdin.buffer
    first = json.loads(stdin.readline() or b"null")
    if not first:
        return 1
    return loops.run(serve(first, stdin, writer))
