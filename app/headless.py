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
import threading
from collections.abc import Callable
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

HEADLESS = Mode.HEADLESS  # the runtime's mode, as the control channel reports it
SERVICE = Mode.SERVICE  # the Windows service (app/service/runtime.py)


class Stopper:
    """Stops a gateway that runs on another thread (the Windows service's stop request), as
    SIGTERM stops the headless one: ``stop()`` may be called from any thread, before or after
    the gateway started."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._asked = False
        self._set: Callable[[], None] | None = None

    def stop(self) -> None:
        with self._lock:
            self._asked = True
            if self._set is not None:
                self._set()

    def _attach(self, loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
        def set_soon() -> None:
            loop.call_soon_threadsafe(stop.set)

        with self._lock:
            self._set = set_soon
            if self._asked:
                set_soon()


def run_headless(
    config: Path,
    settings: Settings,
    *,
    mode: str = HEADLESS,
    stopper: Stopper | None = None,
    on_running: Callable[[], None] | None = None,
    on_stopped: Callable[[int, bool], None] | None = None,
    admin_sid: str | None = None,
) -> int:
    """Runs the gateway on ``settings`` (loaded from ``config``) until a signal (or ``stopper``)
    stops it; the exit code: 0 stopped, 2 it could not start.  ``on_running`` is called once the
    gateway listens, ``on_stopped(code, left_deliveries)`` once it has stopped, before a process
    with deliveries still blocked leaves at once (the service reports its stop there).
    ``admin_sid`` (Windows): one more user who may open the control channel, the administrator
    who installed the service."""
    log_file = logs.setup_for_program()
    for warning in warnings_for(settings):
        log.warning("%s", warning)
    passwords.apply_saved_choice(paths.data_dir())
    problem = passwords.keyring_problem()
    if problem:
        log.warning("passwords: %s; until then no SMTP AUTH login can be made or checked", problem)

    code = loops.run(_serve(settings, config, log_file, mode, stopper, on_running, admin_sid))
    left = code == _LEFT_RUNNING
    if on_stopped is not None:
        on_stopped(0 if left else code, left)
    logs.stop()
    if left:
        # Deliveries still blocked in smtplib: their messages are safe in the spool,
        # so leave without waiting for the sockets to time out.
        logging.shutdown()
        os._exit(0)
    return code


class HeadlessRuntime:
    """The headless runner as the control channel sees it (``app.control.runtime.Runtime``)."""

    def __init__(self, config: Path, stop: asyncio.Event, mode: str = HEADLESS):
        self.mode = mode  # headless, or service (app/service/runtime.py)
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


async def _serve(
    settings: Settings,
    config: Path,
    log_file: Path | None,
    mode: str = HEADLESS,
    stopper: Stopper | None = None,
    on_running: Callable[[], None] | None = None,
    admin_sid: str | None = None,
) -> int:
    stop = asyncio.Event()
    runtime = HeadlessRuntime(config, stop, mode)
    gateway = runtime.gateway = Gateway(settings, runtime, admin_sid)
    loop = asyncio.get_running_loop()
    if stopper is not None:
        stopper._attach(loop, stop)
    # Signals reach the main thread only: a service runs this on the service manager's thread.
    signals = threading.current_thread() is threading.main_thread()
    for sig in (signal.SIGINT, signal.SIGTERM) if signals else ():
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
    hangup = signals and hasattr(signal, "SIGHUP")
    if hangup:
        loop.add_signal_handler(signal.SIGHUP, reload_soon)
    try:
        await gateway.start()
    except GatewayError as exc:
        log.error("%s", exc)
        return 2
    how = "stop it with service stop" if mode == SERVICE else "stop with Ctrl+C or SIGTERM"
    log.info(
        "Tenso %s running (%s); %s, reload the settings with %s%s; log file %s",
        __version__,
        mode,
        how,
        suggest.command(config, "reload"),
        " or SIGHUP" if hangup else "",
        log_file,
    )
    if on_running is not None:
        on_running()
    await stop.wait()
    log.info("stopping: no new mail is accepted")
    gateway.on_reload = None
    if hangup:
        loop.remove_signal_handler(signal.SIGHUP)
    async with runtime.turn:  # a reload under way finishes first
        left = await gateway.stop(STOP_GRACE_SECONDS)
    log.info("stopped")
    return _LEFT_RUNNING if left else 0
