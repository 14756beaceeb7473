"""More than one process receiving on the same ports (``server.processes``).

One Python process runs one thread of Python at a time, and its event loop
spends CPU on every SMTP connection: a busy gateway's receiving is bound to one
core (figures: docs/performance.md).  With ``server.processes`` = N, N-1 worker processes
(``tenso receive-worker``) accept connections on the very same listening
sockets as this one (inherited; on Windows handed over with ``socket.share``).
The kernel gives each new connection to whichever process accepts it first, so
a busy process takes fewer.  Each worker runs the same ``InboundHandler`` on its
own loop and commits into the same spool, fsync before 250 as here; for each
message it stores, it tells this process the id, and this process's scheduler
delivers it as if it had been accepted here.  Nothing else moves: the queue
runner, the window and the queue lock stay in this one, and so does delivery, in
threads (no separate delivery process then: ``scheduler.delivers_in_process``).

One JSON object per line, as with the delivery worker (``system.workers``):

    parent -> child   {"config": {...settings...}, "source": path, "spool": path,
                       "sockets": [{"listener": 0, "fd": 5}, ...], "node": 3, "level": 20}
                      (again, without "sockets", when settings change)
                      {"stop": true}
    child -> parent   {"accepted": "<queue id>", "history": [{"kind": "received", ...}]}
                      {"refused": 1, "history": [{"kind": "refusal", ...}]}
                                                     (refused: 1 for a relay refusal at RCPT, which
                                                     the status counts count; else 0)
                      {"log": [20, "the line", ""]}

"history" (app/history/records.py) is left out when ``history.enabled`` is false: the record
rides on the line that announces the event, so no event reaches the parent without it.

A worker that dies is started again a second later (longer if it keeps dying);
the connections it had are cut (their clients retry), and what it had committed
is in the spool and was announced as soon as it was on disk.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import socket
import subprocess
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from app.history import records
from app.settings import to_dict
from app.store import spool
from app.system import workers
from app.system.backoff import restart_pause

if TYPE_CHECKING:
    from app.receive.handler import ReceiveContext

log = logging.getLogger("tenso")

COMMAND = "receive-worker"
RESTART_PAUSE_SECONDS = 1.0
MAX_RESTART_PAUSE_SECONDS = 60.0
STEADY_SECONDS = 60.0  # a worker that ran this long before ending starts again after 1 s
STOP_SECONDS = 5.0


class ReceivingWorkers:
    """The parent side: ``count`` worker processes accepting on ``sockets`` beside this one.
    ``on_stored`` is told the ids each worker made durable, ``on_refused`` how many recipients
    they refused by the relay policy, ``on_history`` the history's records of both."""

    def __init__(
        self,
        context: ReceiveContext,
        count: int,
        on_stored: Callable[[list[str]], None],
        on_refused: Callable[[int], None] | None = None,
        on_history: Callable[[list[records.Record]], None] | None = None,
    ):
        self.context = context
        self.on_stored = on_stored
        self.on_refused = on_refused
        self.on_history = on_history
        self.count = count
        self._workers: dict[int, workers.Worker] = {}
        self._restarts: dict[int, int] = {}
        self._sockets: list[tuple[int, socket.socket]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False

    @property
    def _procs(self) -> dict[int, subprocess.Popen]:
        """Each slot's process."""
        return {slot: worker.proc for slot, worker in self._workers.items()}

    def start(self, sockets: list[tuple[int, socket.socket]]) -> None:
        """``sockets``: the listening sockets of this process's servers (kept open by them),
        each with the index of its entry in server.listen."""
        self._loop = asyncio.get_running_loop()
        self._sockets = sockets
        for slot in range(1, self.count + 1):
            self._spawn(slot)

    def _spawn(self, slot: int) -> None:
        assert self._loop is not None
        posix = os.name == "posix"
        fds = tuple(s.fileno() for _, s in self._sockets) if posix else ()
        worker = workers.Worker(
            COMMAND,
            f"receiving process {slot}",
            self._loop,
            self._messages,
            lambda ended: self._ended(slot, ended),
            f"receiving-process-{slot}",
            pass_fds=fds,
        )
        self._workers[slot] = worker
        pid = worker.proc.pid
        handed = [
            {"listener": i, "fd": s.fileno()} if posix else {"listener": i, "share": _share(s, pid)}
            for i, s in self._sockets
        ]
        # Node 1 is the delivery process's: queue ids made here never meet theirs.
        worker.send({**self._config(), "sockets": handed, "node": spool.node(1 + slot)})

    def _config(self) -> dict:
        settings = self.context.settings
        return {
            "config": to_dict(settings),
            "source": str(settings.source) if settings.source else None,
            "spool": str(self.context.spool.root),
            "level": log.getEffectiveLevel(),
        }

    def configure(self) -> None:
        """New rules and options for every worker (a changed server section restarts them instead)."""
        config = self._config()
        for worker in list(self._workers.values()):
            worker.send(config)

    # --- from the workers (on the loop) ---

    def _messages(self, messages: list[dict]) -> None:
        if self.on_history:  # before the scheduler hears of the messages: their rows come first
            told = [records.from_json(r) for msg in messages for r in msg.get("history", ())]
            if told:
                self.on_history(told)
        accepted = [msg["accepted"] for msg in messages if "accepted" in msg]
        if accepted:
            self.on_stored(accepted)
        refused = sum(int(msg["refused"]) for msg in messages if "refused" in msg)
        if refused and self.on_refused:
            self.on_refused(refused)

    def _ended(self, slot: int, worker: workers.Worker) -> None:
        if self._stopping or self._workers.get(slot) is not worker:
            return
        self._restarts[slot], pause = restart_pause(
            self._restarts.get(slot, 0),
            time.monotonic() - worker.started,
            RESTART_PAUSE_SECONDS,
            MAX_RESTART_PAUSE_SECONDS,
            STEADY_SECONDS,
        )
        log.error(
            "receiving process %d ended (exit status %s); starting it again in %g s",
            slot,
            worker.proc.returncode,
            pause,
        )
        assert self._loop is not None
        self._loop.call_later(pause, self._restart, slot)

    def _restart(self, slot: int) -> None:
        if not self._stopping:
            self._spawn(slot)

    # --- stopping ---

    async def stop(self) -> None:
        """Each worker closes its copy of the ports, says 421 to its clients, lets the commits in
        flight finish and exits; after STOP_SECONDS it is killed."""
        self._stopping = True
        running = list(self._workers.values())
        for worker in running:
            worker.send({"stop": True})
            worker.close_input()
        for worker in running:
            await worker.wait(STOP_SECONDS)
        self._workers.clear()


def _share(sock, pid: int) -> str:
    """Windows: the listening socket, duplicated for process ``pid`` (socket.share)."""
    dup = socket.fromfd(sock.fileno(), sock.family, sock.type)
    try:
        # socket.share is Windows-only; unused-ignore: Windows' mypy knows it.
        return base64.b64encode(dup.share(pid)).decode()  # type: ignore[attr-defined, unused-ignore]
    finally:
        dup.close()
