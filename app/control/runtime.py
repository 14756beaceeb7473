"""What a runtime (the headless runner, the window's controller, the Windows service) gives the
control channel, and the reload both the channel and SIGHUP use.

A runtime says what it is (``mode``), which settings file it runs with (``config``), and applies
new settings to its running gateway (``take``) and pauses delivery (``pause``) in its own turn
with its other actions (a Stop pressed in the window, a reload from SIGHUP).  Reading the file and
checking it is the same everywhere, so it is here: ``reload_file`` and ``apply_dict``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from app import settings as settings_mod
from app.offline import warnings_for
from app.settings import Settings, SettingsError

log = logging.getLogger("tenso")


class Mode:
    WINDOW = "window"
    HEADLESS = "headless"
    SERVICE = "service"


class Runtime(Protocol):
    @property
    def mode(self) -> str: ...  # Mode.*

    @property
    def config(self) -> Path: ...  # the settings file the gateway runs with

    async def take(self, settings: Settings) -> str | None:
        """Applies ``settings`` to the running gateway; the problem in words when it cannot
        (the running settings then stay)."""
        ...

    def pause(self, paused: bool) -> None: ...


@dataclass(frozen=True)
class Reloaded:
    """What a reload did, as ``python -m app reload`` shows it."""

    reloaded: bool
    message: str  # the log's line
    problems: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _refused(message: str, problems: list[str]) -> Reloaded:
    log.error("%s", message)
    return Reloaded(False, message, problems)


async def _take(runtime: Runtime, old: Settings, new: Settings, origin: str) -> Reloaded:
    problem = await runtime.take(new)
    if problem is not None:
        return _refused(f"settings not reloaded: {problem}; the running settings stay", [problem])
    message = f"settings reloaded from {origin}: {len(new.rules)} rule(s)"
    log.info("%s", message)
    if new.queue.dir != old.queue.dir or new.queue.workers != old.queue.workers:
        log.warning("queue.dir and queue.workers take effect at the next start of Tenso")
    for warning in warnings_for(new):
        log.warning("%s", warning)
    return Reloaded(True, message)


async def reload_file(runtime: Runtime, running: Settings) -> Reloaded:
    """Reads the runtime's settings file again and applies it; a file with problems changes nothing."""
    config = runtime.config
    if not await asyncio.to_thread(config.exists):
        return _refused(f"settings not reloaded: {config} is gone; the running settings stay", [f"{config} is gone"])
    try:
        new = await asyncio.to_thread(settings_mod.load, config)
    except SettingsError as exc:
        problems = [str(p) for p in exc.problems]
        return _refused(
            f"settings not reloaded: {config} has problems ({'; '.join(problems)}); the running settings stay",
            problems,
        )
    return await _take(runtime, running, new, str(config))


async def apply_dict(runtime: Runtime, running: Settings, data: object) -> Reloaded:
    """Checks ``data`` (the file's dict), writes it to the settings file atomically and applies
    it; with problems nothing is written and nothing changes."""
    try:
        new = settings_mod.from_dict(data, source=runtime.config)
    except SettingsError as exc:
        problems = [str(p) for p in exc.problems]
        return _refused(
            f"settings not applied: {'; '.join(problems)}; {runtime.config} was not changed, the running settings stay",
            problems,
        )
    try:
        await asyncio.to_thread(settings_mod.save, new, runtime.config)
    except OSError as exc:
        why = f"cannot save {runtime.config}: {exc.strerror or exc}"
        return _refused(f"settings not applied: {why}; the running settings stay", [why])
    return await _take(runtime, running, new, f"{runtime.config} (applied through the control channel)")
