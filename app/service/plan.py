"""What ``service install`` asks of the Windows service manager, as data: the command line it
starts (binPath), the account, the start type, what to do when the service ends by itself, how
long a stop may take, its description and environment.  ``windows.py`` hands this to
``CreateService`` / ``ChangeServiceConfig2``; tests read it here.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path, PureWindowsPath

from app.headless import STOP_GRACE_SECONDS
from app.service import acl
from app.service.layout import Layout

NAME = "Tenso"  # the service's name, its event source, and its virtual account NT SERVICE\Tenso
DISPLAY_NAME = "Tenso SMTP gateway"
DESCRIPTION = (
    "Receives mail from the office's PCs and devices and forwards it by its routing rules "
    "(Tenso). Settings, queue and logs: %ProgramData%\\Tenso."
)
HOST_ARGUMENTS = ("service", "host")  # what the service manager starts the exe with

# When the service ends without being asked to: start it again after 10 s, then 60 s, then
# every 5 minutes; the count starts again after a day without a failure.
RESTART_DELAYS_MS = (10_000, 60_000, 300_000)
RESET_FAILURES_AFTER_S = 24 * 3600

# The stop: the listeners close, deliveries under way get STOP_GRACE_SECONDS to finish (their
# mail stays queued otherwise), then the delivery worker ends.  The service manager is told to
# wait longer than that, and is told again every few seconds while the stop goes on.
STOP_WAIT_HINT_MS = int((STOP_GRACE_SECONDS + 20) * 1000)
STOP_REPORT_EVERY_S = 5.0
# The start: the gateway binds its listeners and starts its delivery worker (a second process of
# the one-file exe, which reuses the first one's extraction) before it says it runs.
START_WAIT_HINT_MS = 30_000
# Windows shutting down gives a service a few seconds after SERVICE_CONTROL_SHUTDOWN; one that
# asks for the pre-shutdown notice is told earlier and waited for this long: the same clean stop.
PRESHUTDOWN_TIMEOUT_MS = STOP_WAIT_HINT_MS + 30_000


class StartType(StrEnum):
    AUTOMATIC = "automatic"  # with Windows, nobody logged in
    MANUAL = "manual"
    DISABLED = "disabled"


class AccountKind(StrEnum):
    VIRTUAL = "virtual"  # NT SERVICE\Tenso: its own account, no password, no rights elsewhere
    LOCAL_SYSTEM = "local system"
    LOCAL_SERVICE = "local service"
    NETWORK_SERVICE = "network service"
    USER = "user"  # a local or domain account: needs its password and "Log on as a service"


@dataclass(frozen=True)
class Account:
    """The account the service runs as, as ``CreateService`` takes it (``None``: LocalSystem)."""

    kind: AccountKind
    name: str | None  # lpServiceStartName
    sid: str | None  # known without asking Windows; a user's is looked up at install

    @property
    def needs_password(self) -> bool:
        return self.kind == AccountKind.USER

    @property
    def shown(self) -> str:
        return self.name or "LocalSystem"


VIRTUAL_ACCOUNT = f"NT SERVICE\\{NAME}"
_WELL_KNOWN = {
    "localsystem": (AccountKind.LOCAL_SYSTEM, None, acl.SYSTEM),
    "system": (AccountKind.LOCAL_SYSTEM, None, acl.SYSTEM),
    "nt authority\\system": (AccountKind.LOCAL_SYSTEM, None, acl.SYSTEM),
    "localservice": (AccountKind.LOCAL_SERVICE, "NT AUTHORITY\\LocalService", acl.LOCAL_SERVICE),
    "nt authority\\localservice": (AccountKind.LOCAL_SERVICE, "NT AUTHORITY\\LocalService", acl.LOCAL_SERVICE),
    "networkservice": (AccountKind.NETWORK_SERVICE, "NT AUTHORITY\\NetworkService", acl.NETWORK_SERVICE),
    "nt authority\\networkservice": (AccountKind.NETWORK_SERVICE, "NT AUTHORITY\\NetworkService", acl.NETWORK_SERVICE),
}


def account(name: str | None) -> Account:
    """``--account NAME`` as the service manager takes it: the virtual account when none is given."""
    if not name or name.lower() in (VIRTUAL_ACCOUNT.lower(), "virtual"):
        return Account(AccountKind.VIRTUAL, VIRTUAL_ACCOUNT, acl.service_sid(NAME))
    known = _WELL_KNOWN.get(name.strip().lower())
    if known:
        return Account(*known)
    if name.lower().startswith("nt service\\"):
        service = name.split("\\", 1)[1]
        return Account(AccountKind.VIRTUAL, name, acl.service_sid(service))
    if "\\" not in name and "@" not in name:
        name = f".\\{name}"  # a local account, as the service manager spells it
    return Account(AccountKind.USER, name, None)


def program_command() -> list[str]:
    """This Tenso as a command line: the exe itself, or the source tree's ``app`` with the Python
    running now (a service has no working folder, so ``-m app`` alone would not find ``app``)."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    source = Path(__file__).resolve().parents[2]
    start = f"import runpy, sys; sys.path.insert(0, r'{source}'); runpy.run_module('app', run_name='__main__')"
    return [sys.executable, "-c", start]


def bin_path(program: list[str], config: PureWindowsPath | Path) -> str:
    """The service's command line: the program, ``service host`` and its settings file, quoted as
    Windows reads a command line (a path with spaces, ``C:\\Program Files\\…``, stays one argument)."""
    return subprocess.list2cmdline([*program, *HOST_ARGUMENTS, "--config", str(config)])


@dataclass(frozen=True)
class FailureActions:
    """``SERVICE_CONFIG_FAILURE_ACTIONS``: restart after each delay; reset after a quiet day."""

    reset_period_s: int = RESET_FAILURES_AFTER_S
    restart_delays_ms: tuple[int, ...] = RESTART_DELAYS_MS
    on_error_exit: bool = True  # FAILURE_ACTIONS_FLAG: also when it stops itself with an error

    def as_pywin32(self, restart: int) -> dict:
        """The dict ``win32service.ChangeServiceConfig2`` takes (``restart``: SC_ACTION_RESTART)."""
        return {
            "ResetPeriod": self.reset_period_s,
            "RebootMsg": None,
            "Command": None,
            "Actions": [(restart, delay) for delay in self.restart_delays_ms],
        }


@dataclass(frozen=True)
class InstallPlan:
    name: str
    display_name: str
    description: str
    bin_path: str
    account: Account
    start_type: StartType
    failure_actions: FailureActions
    stop_wait_hint_ms: int
    preshutdown_timeout_ms: int
    config: PureWindowsPath | Path
    layout: Layout
    environment: dict[str, str] = field(default_factory=dict)

    def acl_commands(self, account_sid: str) -> list[list[str]]:
        return acl.icacls_commands(str(self.layout.root), account_sid)

    def environment_block(self) -> list[str]:
        """The service's registry value ``Environment`` (REG_MULTI_SZ): ``NAME=value`` lines."""
        return [f"{k}={v}" for k, v in sorted(self.environment.items())]


def install_plan(
    layout: Layout, config: PureWindowsPath | Path | None, account_name: str | None, program: list[str] | None = None
) -> InstallPlan:
    """What ``service install [--config FILE] [--account NAME]`` sets up."""
    chosen = config if config is not None else layout.settings
    return InstallPlan(
        name=NAME,
        display_name=DISPLAY_NAME,
        description=DESCRIPTION,
        bin_path=bin_path(program or program_command(), chosen),
        account=account(account_name),
        start_type=StartType.AUTOMATIC,
        failure_actions=FailureActions(),
        stop_wait_hint_ms=STOP_WAIT_HINT_MS,
        preshutdown_timeout_ms=PRESHUTDOWN_TIMEOUT_MS,
        config=chosen,
        layout=layout,
        environment=layout.environment(),
    )
