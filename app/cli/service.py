"""``service install|remove|start|stop|status|move`` (and ``service host``, which the service
manager starts): the Windows service (docs/service.md).  Elsewhere each says, with exit 2,
to use the systemd unit instead.  The logic is in app/service/; the pywin32 calls in
app/service/windows.py, imported on Windows only."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from app.cli.command import Command

ACTIONS = ("install", "remove", "start", "stop", "status", "move", "host")


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action", choices=ACTIONS, help="what to do (host: run as the service; the service manager does)"
    )
    parser.add_argument(
        "--config",
        dest="service_config",  # not the shared --config, which main() fills with the per-user default
        metavar="FILE",
        default=None,
        help="install/host: the settings the service runs with (default %%ProgramData%%\\Tenso\\settings.json); "
        "move: the settings of the installation to move (default: yours)",
    )
    parser.add_argument(
        "--account",
        default=None,
        help="install: the account the service runs as (default NT SERVICE\\Tenso; LocalSystem, or a user "
        "account such as OFFICE\\mailsvc, whose password is asked)",
    )


def elsewhere(platform: str = sys.platform) -> str | None:
    """Why ``service`` does nothing here (None on Windows)."""
    if platform == "win32":
        return None
    from app.service.state import ELSEWHERE

    return ELSEWHERE


def settings_for(args: argparse.Namespace, layout) -> Path:
    """The settings file a service command acts on: the one named with ``--config``, else the
    service's own (``%ProgramData%\\Tenso\\settings.json``), but for ``move``, which moves the
    installation of the user typing it (the per-user settings file by default)."""
    if args.service_config:
        return Path(args.service_config)
    if args.action == "move":
        from app.system import paths

        return paths.default_config_path()
    return Path(str(layout.settings))


def run(args: argparse.Namespace) -> int:
    why = elsewhere()
    if why is not None:
        print(f"service {args.action}: {why}", file=sys.stderr)
        return 2
    return _run_on_windows(args)  # pragma: no cover (Windows only: the Windows workflow runs it)


def _run_on_windows(args: argparse.Namespace) -> int:
    from app.service import plan
    from app.service.layout import service_layout
    from app.service.state import describe, words_for

    if sys.platform != "win32":  # for mypy: the module below exists on Windows only
        return 2
    from app.service import windows

    layout = service_layout()
    config = settings_for(args, layout)
    try:
        if args.action == "host":
            return windows.host(config)
        if args.action == "install":
            chosen = plan.install_plan(layout, config, args.account)
            if not Path(str(config)).resolve().is_relative_to(Path(str(layout.root)).resolve()):
                print(
                    f"note: {config} is outside {layout.root}; the service's account ({chosen.account.shown}) "
                    "must be able to read it, and its queue.dir folder must be one the account may write"
                )
            password = None
            if chosen.account.needs_password:
                password = getpass.getpass(f"password of {chosen.account.name}: ")
            for line in windows.install(chosen, password):
                print(line)
            print(f"start it with: Tenso.exe service start (it also starts with Windows); settings: {config}")
            return 0
        if args.action == "remove":
            for line in windows.remove():
                print(line)
            print(f"{layout.root} is kept (settings, queue, logs, secrets); delete it yourself when no longer needed")
            return 0
        if args.action == "start":
            state = windows.start()
            print(f"the service {plan.NAME} is {state}")
            if state != "running":
                log_file = Path(str(layout.logs)) / "tenso.log"
                print(
                    f"it did not start: the Event Log (Application, source Tenso) and {log_file} say why; "
                    "the service manager tries again after 10 seconds",
                    file=sys.stderr,
                )
                return 1
            return 0
        if args.action == "stop":
            state = windows.stop()
            print(f"the service {plan.NAME} is {state}")
            return 0 if state == "stopped" else 1
        if args.action == "status":
            found = windows.status()
            if found.running:
                found = _with_listening(found, layout)
            for line in describe(found, plan.NAME):
                print(line)
            return 0 if found.running else 3
        return _move(args, layout)
    except windows.ServiceError as exc:
        print(words_for(exc.code, args.action, plan.NAME), file=sys.stderr)
        print(f"  ({exc})", file=sys.stderr)
        return 1


def _with_listening(found, layout):
    """What the running service listens on, asked over its control channel (app/control)."""
    import dataclasses

    from app.control import client
    from app.service.move import ELEVATED

    try:
        channel = client.connect(Path(str(layout.queue)))
    except client.ControlError as exc:  # NotAllowed: a prompt that is not elevated
        print(f"note: {exc}; from {ELEVATED} status also shows what the service listens on", file=sys.stderr)
        return found
    if channel is None:
        return found
    try:
        answer = channel.call("status")
    except Exception:
        return found
    listening = answer.get("listening", []) if isinstance(answer, dict) else []
    return dataclasses.replace(found, listening=[str(a) for a in listening])


def _move(args: argparse.Namespace, layout) -> int:
    from app.service import move
    from app.system import paths

    if sys.platform != "win32":
        return 2
    from app.service import windows

    old = settings_for(args, layout)
    if not windows.status().installed:
        print("nothing was moved: install the service first: Tenso.exe service install", file=sys.stderr)
        return 1
    try:
        done = move.move(old, paths.data_dir(), layout, start_service=lambda: print(f"service: {windows.start()}"))
    except move.MoveRefused as exc:
        print(f"nothing was moved: {exc}", file=sys.stderr)
        return 1
    for line in done.moved:
        print(f"moved: {line}")
    for line in done.not_moved:
        print(f"NOT moved: {line}")
    for line in done.notes:
        print(f"note: {line}")
    return 0 if not done.not_moved else 1


COMMAND = Command(
    "service",
    "the Windows service: install, remove, start, stop, status, move an installation into it",
    arguments,
    run,
    takes_config=False,
)
