"""What ``service status`` and the other ``service`` commands say: the service's state as data,
in words, and the Windows errors they meet in words an administrator acts on."""

from __future__ import annotations

from dataclasses import dataclass, field

UNIT_FILE = "packaging/tenso.service"
ELSEWHERE = (
    "the service commands are for Windows; here, run Tenso as a systemd service with the unit in "
    f"docs/service.md (section Linux: systemd), shipped as {UNIT_FILE}"
)

# The service manager's states (SERVICE_STOPPED … SERVICE_PAUSED) in words.
STATES = {
    1: "stopped",
    2: "starting",
    3: "stopping",
    4: "running",
    5: "resuming",
    6: "pausing",
    7: "paused",
}
START_TYPES = {2: "automatic", 3: "manual", 4: "disabled"}

ACCESS_DENIED = 5
SERVICE_EXISTS = 1073
NO_SUCH_SERVICE = 1060
NOT_ACTIVE = 1062
ALREADY_RUNNING = 1056
NOT_FROM_SERVICE_MANAGER = 1063  # StartServiceCtrlDispatcher outside the service manager


@dataclass(frozen=True)
class ServiceState:
    installed: bool
    state: str = ""  # one of STATES' words
    account: str = ""
    start_type: str = ""
    command: str = ""  # binPath
    pid: int = 0
    delayed: bool = False
    listening: list[str] = field(default_factory=list)  # from the control channel when running

    @property
    def running(self) -> bool:
        return self.state == "running"


def describe(found: ServiceState, name: str) -> list[str]:
    """``service status`` in lines."""
    if not found.installed:
        return [f"the service {name} is not installed; install it with Tenso.exe service install (as administrator)"]
    lines = [
        f"the service {name} is installed and {found.state}" + (f" (process {found.pid})" if found.pid else ""),
        f"account: {found.account or 'LocalSystem'}",
        f"start: {found.start_type}" + (" (delayed)" if found.delayed else ""),
        f"command: {found.command}",
    ]
    if found.running:
        if found.listening:
            lines.append(f"listening on {', '.join(found.listening)}")
        else:
            lines.append("listening on: not known (the gateway's control channel did not answer)")
    return lines


def words_for(code: int, action: str, name: str) -> str:
    """A Windows error met by ``service ACTION``, in words that say what to do."""
    if code == ACCESS_DENIED:
        return (
            f"service {action} needs administrator rights: open the Command Prompt with "
            "'Run as administrator' and type the command again"
        )
    if code == SERVICE_EXISTS:
        return f"the service {name} is installed already; Tenso.exe service remove first to install it again"
    if code == NO_SUCH_SERVICE:
        return f"the service {name} is not installed; install it with Tenso.exe service install"
    if code == NOT_ACTIVE:
        return f"the service {name} is not running; nothing to stop"
    if code == ALREADY_RUNNING:
        return f"the service {name} is running already"
    if code == NOT_FROM_SERVICE_MANAGER:
        return (
            "service host is started by the Windows service manager, not typed: use Tenso.exe service start, "
            "or Tenso.exe --headless to run the gateway in this window"
        )
    return f"service {action} failed: Windows error {code}"
