"""The gateway without a window (``python -m app --headless``): the peer of the window's runtime,
``app/gui/controller.py``.

It runs the gateway on its own loop (uvloop where there is one), logs to stderr and the log file,
stops cleanly on SIGINT / SIGTERM (the ports close, deliveries in flight finish or stay in the
queue), and reads its settings file again on SIGHUP or when ``python -m app reload`` asks through
the queue folder.  A file with problems changes nothing: the running settings stay.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from pathlib import Path

from app import __version__, suggest
from app import settings as settings_mod
from app.gateway import Gateway, GatewayError
from app.offline import warnings_for
from app.settings import Settings, SettingsError
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


async def _serve(settings: Settings, config: Path, log_file: Path | None) -> int:
    gateway = Gateway(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except NotImplementedError:  # Windows: no loop signal handlers
            signal.signal(sig, lambda *_: loop.call_soon_threadsafe(stop.set))
    reloading: set[asyncio.Task] = set()
    turn = asyncio.Lock()  # a reload and the stop, one at a time: a reload must not rebind after it

    async def reload_in_turn() -> None:
        async with turn:
            if not stop.is_set():
                await reload(gateway, config)

    def reload_soon() -> None:
        task = loop.create_task(reload_in_turn())
        reloading.add(task)
        task.add_done_callback(reloading.discard)

    gateway.on_reload = reload_soon  # python -m app reload (every system), through the queue folder
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
    async with turn:  # a reload under way finishes first
        left = await gateway.stop(STOP_GRACE_SECONDS)
    log.info("stopped")
    return _LEFT_RUNNING if left else 0


async def reload(gateway: Gateway, config: Path) -> None:
    """Reads the settings file again and applies it; a file with problems changes nothing."""
    if not config.exists():
        log.error("settings not reloaded: %s is gone; the running settings stay", config)
        return
    try:
        new = await asyncio.to_thread(settings_mod.load, config)
    except SettingsError as exc:
        log.error(
            "settings not reloaded: %s has problems (%s); the running settings stay", config, "; ".join(exc.problems)
        )
        return
    old = gateway.settings
    try:
        await gateway.reconfigure(new)
    except GatewayError as exc:
        log.error("settings not reloaded: %s; the running settings stay", exc)
        return
    log.info("settings reloaded from %s: %d rule(s)", config, len(new.rules))
    if new.queue.dir != old.queue.dir or new.queue.workers != old.queue.workers:
        log.warning("queue.dir and queue.workers take effect at the next start of Tenso")
    for warning in warnings_for(new):
        log.warning("%s", warning)
