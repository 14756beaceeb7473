"""The gateway without a window (``python -m app --headless``): the peer of the window's runtime,
``app/gui/controller.py``.

It runs the gateway on its own loop (uvloop where there is one), logs to stderr and the log file,
stops cleanly on SIGINT / SIGTERM (the ports close, deliveries in flight finish or stay in the
queue), serves the control channel (``app/control``), and reads its settings file again on SIGHUP or
when ``python -m app reload`` asks.  A file with problems changes nothing: the running settings stay.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from pathlib import Path

from app import __version__, suggest
from app.control.runtime import Mode, Reloaded, reload_file
from app.gateway import Gateway, GatewayError
from app.offline import warnings_for
from app.settings import Settings
from app.system import logs, loops, passwords, paths

log = logging.getLogger("tenso")

STOP_GRACE_SECONDS = 10.0
_LEFT_RUNNING = 100  # the loop's answer when deliveries were still blocked at the stop


def run_headless(config: Path, settings: Settings) -> int:
    """Runs the gateway on ``settings`` (loaded from ``config``) until a signal stops it; the exit
    code: 0 stopped, 2 it could not start."""
    log_file = logs.setup_for_program()
    for warning in warnings_for(settings):
        log.warning("%s", warning)
    passwords.apply_saved_choice(paths.data_dir())
    problem = passwords.keyring_problem()
    if problem:
        log.warning("passwords: %s; until then no SMTP AUTH login can be made or checked", problem)

    code = loops.run(_serve(settings, config, log_file))
    logs.stop()
    if code == _LEFT_RUNNING:
        # Deliveries still blocked in smtplib: their messages are safe in the spool,
        # so leave without waiting for the sockets to time out.
        logging.shutdown()
        os._exit(0)
    return code


class HeadlessRuntime:
    """The headless runner as the control channel sees it (``app.control.runtime.Runtime``)."""

    mode = Mode.HEADLESS

    def __init__(self, config: Path, stop: asyncio.Event):
        self.config = config
        self.gateway: Gateway | None = None
        self._stop = stop
        self.turn = asyncio.Lock()  # a reload and the stop, one at a time: a reload must not rebind after it

    async def take(self, settings: Settings) -> str | None:
        async with self.turn:
            if self._stop.is_set() or self.gateway is None:
                return "the gateway is stopping"
            try:
                await self.gateway.reconfigure(settings)
            except GatewayError as exc:
                return str(exc)
            return None

    def pause(self, paused: bool) -> None:
        if self.gateway is not None and self.gateway.scheduler is not None:
            self.gateway.scheduler.pause(paused)

    async def reload(self) -> Reloaded:
        """Reads the settings file again and applies it; a file with problems changes nothing."""
        assert self.gateway is not None
        return await reload_file(self, self.gateway.settings)


async def _serve(settings: Settings, config: Path, log_file: Path | None) -> int:
    stop = asyncio.Event()
    runtime = HeadlessRuntime(config, stop)
    gateway = runtime.gateway = Gateway(settings, runtime)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except NotImplementedError:  # Windows: no loop signal handlers
            signal.signal(sig, lambda *_: loop.call_soon_threadsafe(stop.set))
    reloading: set[asyncio.Task] = set()

    def reload_soon() -> None:
        if stop.is_set():
            return  # stopping: a reload now would only say so
        task = loop.create_task(runtime.reload())
        reloading.add(task)
        task.add_done_callback(reloading.discard)

    gateway.on_reload = reload_soon  # SIGHUP, and python -m app reload from a Tenso without the control channel
    if hasattr(signal, "SIGHUP"):
        loop.add_signal_handler(signal.SIGHUP, reload_soon)
    try:
        await gateway.start()
    except GatewayError as exc:
        log.error("%s", exc)
        return 2
    log.info(
        "Tenso %s running (headless); stop with Ctrl+C or SIGTERM, reload the settings with %s%s; log file %s",
        __version__,
        suggest.command(config, "reload"),
        " or SIGHUP" if hasattr(signal, "SIGHUP") else "",
        log_file,
    )
    await stop.wait()
    log.info("stopping: no new mail is accepted")
    gateway.on_reload = None
    if hasattr(signal, "SIGHUP"):
        loop.remove_signal_handler(signal.SIGHUP)
    async with runtime.turn:  # a reload under way finishes first
        left = await gateway.stop(STOP_GRACE_SECONDS)
    log.info("stopped")
    return _LEFT_RUNNING if left else 0
