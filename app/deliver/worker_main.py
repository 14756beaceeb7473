"""The delivery process itself: ``python -m app delivery-worker``, started by ``app.deliver.worker``.

Reads the parent's lines from stdin, runs each attempt in a thread (up to
``queue.workers`` at once) and writes the answers and its log lines to stdout;
see ``app.deliver.worker`` for the protocol.  It imports what delivery needs and no more
(no asyncio, no aiosmtpd; dnspython and keyring only once an MX lookup or an
account needs them), so the second process costs little memory.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO

from app.deliver.attempt import Deliverer, Result
from app.history import records
from app.route.router import Router
from app.settings import Settings, from_dict
from app.store import spool
from app.store.spool import Spool
from app.system import workers

log = logging.getLogger("tenso")


class _Context:
    """The attempt's ``DeliveryContext`` in this process, rebuilt from the parent's config lines.

    ``settings``, ``router`` and ``spool`` exist once the first config line is applied: the
    attempts start only after that (``serve``)."""

    settings: Settings
    router: Router
    spool: Spool

    def __init__(self, writer: workers.Writer | None = None) -> None:
        self.bound: list[tuple[str, int]] = []
        self.writer = writer
        self.history: records.Sink | None = self if writer is not None else None

    def add(self, told: list[records.Record]) -> None:
        """The history's records of an attempt, to the parent's writer (one line, before the
        attempt's answer), unless ``history.enabled`` is false."""
        if self.writer is not None and self.settings.history.enabled:
            self.writer.send({"history": [records.to_json(r) for r in told]})

    def configure(self, msg: dict) -> None:
        settings = from_dict(msg["config"], source=Path(msg["source"]) if msg["source"] else None)
        self.router = Router(settings)
        if not hasattr(self, "spool") or str(self.spool.root) != msg["spool"]:
            self.spool = Spool(Path(msg["spool"]))
        self.settings = settings
        self.bound = [(ip, port) for ip, port in msg["bound"]]
        spool.set_node(msg["node"])


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> int:
    """The child's main loop: attempts in threads, answers as they finish, until stdin closes."""
    writer = workers.Writer(stdout)
    workers.ToParent.install(writer)

    context = _Context(writer)
    deliverer = Deliverer(context)
    executor: ThreadPoolExecutor | None = None

    def run(n: int, qid: str, forced: bool, bounce: bool) -> None:
        try:
            if workers.parent_gone():
                os._exit(1)  # an attempt must not start after Tenso died: a new one may have its mail
            result = deliverer.attempt(qid, forced, bounce)
        except Exception:
            log.exception("%s delivery attempt failed; retrying in 5 minutes", qid)
            result = Result(time.time() + 300)
        try:
            outcomes = [[o.outcome, o.destination, o.reply] for o in result.outcomes]
            writer.send(
                {
                    "n": n,
                    "next_try": result.next_try,
                    "created": result.created,
                    "outcomes": outcomes,
                    "waiting_for": result.waiting_for,
                    "limited": result.limited,
                }
            )
        except (OSError, ValueError):
            pass

    for line in stdin:
        msg = json.loads(line)
        if "stop" in msg:
            break
        if "config" in msg:
            context.configure(msg)
            log.setLevel(msg["level"])  # only what the parent would log anyway crosses the pipe
            if executor is None:
                executor = ThreadPoolExecutor(max_workers=msg["workers"], thread_name_prefix="deliver")
        elif executor is not None:
            executor.submit(run, msg["n"], msg["qid"], msg["forced"], msg["bounce"])
    else:
        # Input ended without "stop": the parent was killed.  Stop at once, as it did: a new
        # Tenso on the same queue must not meet this one still delivering the same messages.
        os._exit(1)
    if executor is not None:
        executor.shutdown(wait=True)
    deliverer.close()
    return 0


def main() -> int:
    workers.die_with_parent()
    workers.leave_ctrl_c_to_parent()
    return serve(sys.stdin.buffer, sys.stdout.buffer)
