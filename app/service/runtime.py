"""The runtime of the service: the same gateway as ``--headless`` (app/headless.py), started by
the service manager instead of a console, reported as mode "service", its start, stop and
errors also in the Windows Event Log.  Plain Python: ``windows.py`` hands in the service
manager's parts (the stop request, what to report when running and stopped, the Event Log)."""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from app import __version__
from app import settings as settings_mod
from app.headless import SERVICE, Stopper, run_headless
from app.service import eventlog
from app.service.installer import Installer
from app.service.layout import DATA_ENV, FILE_KEYRING_ENV, Layout, stale_extractions
from app.settings import SettingsError
from app.system import logs

log = logging.getLogger("tenso")


def prepare(layout: Layout, own_extraction: Path | None) -> list[Path]:
    """Before anything reads a path or a password: the service's data folder and file keyring
    for this process and its workers, standard streams that exist (a service has no console,
    and a windowed exe has none either: ``sys.stderr`` is None), and the extraction folders a
    killed run left in ``runtime``.  Returns what was removed."""
    os.environ[DATA_ENV] = str(layout.root)
    os.environ[FILE_KEYRING_ENV] = "1"
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))
    removed = []
    for stale in stale_extractions(Path(layout.runtime), own_extraction):
        shutil.rmtree(stale, ignore_errors=True)
        if not stale.exists():
            removed.append(stale)
    return removed


def serve(
    config: Path,
    *,
    account: str,
    report: eventlog.Report,
    stopper: Stopper,
    on_running: Callable[[], None] = lambda: None,
    on_stopped: Callable[[int, bool], None] = lambda code, left: None,
    removed: list[Path] | None = None,
    installer: Installer | None = None,
) -> int:
    """Runs the gateway on ``config`` until ``stopper`` stops it; the exit code as
    ``run_headless`` gives it (1: the settings file has problems).  ``installer``: the
    administrator who installed the service, whose user may open the control channel too."""
    log_file = logs.setup_for_program()
    handler = eventlog.EventLogHandler(report)
    logs.add_handler(handler)
    try:
        for stale in removed or ():
            log.info("removed %s, left by a service process that was ended before it could clean up", stale)
        try:
            settings = settings_mod.load(config)
        except SettingsError as exc:
            log.error("the service did not start: %s has problems: %s", config, "; ".join(exc.problems))
            report(eventlog.not_started(1, str(log_file)))
            on_stopped(1, False)
            return 1

        def running() -> None:
            report(eventlog.started(__version__, str(config), account, installer.user if installer else None))
            on_running()

        def stopped(code: int, left: bool) -> None:
            report(eventlog.stopped(left) if code == 0 else eventlog.not_started(code, str(log_file)))
            on_stopped(code, left)

        return run_headless(
            config,
            settings,
            mode=SERVICE,
            stopper=stopper,
            on_running=running,
            on_stopped=stopped,
            admin_sid=installer.sid if installer else None,
        )
    finally:
        logs.remove_handler(handler)
