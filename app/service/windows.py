"""The pywin32 part of the service, imported on Windows only: the service manager's calls
(install, remove, start, stop, status) and the service itself (``host``).

What these calls are given is worked out in ``plan.py``, ``acl.py``, ``layout.py`` and
``eventlog.py``, tested on every system; this module only hands it to Windows.  It has never
been tested here: the Windows workflow (.github/workflows/windows.yml) installs the built
service, sends a message through it, and stops and removes it.
"""

from __future__ import annotations

import sys

assert sys.platform == "win32", "app.service.windows is imported on Windows only"  # mypy reads it too

import os  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import winreg  # noqa: E402
from pathlib import Path  # noqa: E402

import pywintypes  # noqa: E402
import win32security  # noqa: E402
import win32service  # noqa: E402

from app.headless import Stopper  # noqa: E402
from app.service import eventlog, installer, plan, runtime  # noqa: E402
from app.service.layout import service_layout  # noqa: E402
from app.service.state import START_TYPES, STATES, ServiceState  # noqa: E402

SERVICE_KEY = rf"SYSTEM\CurrentControlSet\Services\{plan.NAME}"


class ServiceError(Exception):
    """A call of the service manager failed: ``code`` is the Windows error."""

    def __init__(self, code: int, text: str):
        super().__init__(text)
        self.code = code


def _manager(access: int = win32service.SC_MANAGER_ALL_ACCESS):
    try:
        return win32service.OpenSCManager(None, None, access)
    except pywintypes.error as exc:
        raise ServiceError(exc.winerror, exc.strerror) from exc


def _open(access: int = win32service.SERVICE_ALL_ACCESS, manager_access: int = win32service.SC_MANAGER_ALL_ACCESS):
    scm = _manager(manager_access)
    try:
        return scm, win32service.OpenService(scm, plan.NAME, access)
    except pywintypes.error as exc:
        win32service.CloseServiceHandle(scm)
        raise ServiceError(exc.winerror, exc.strerror) from exc


def _close(*handles) -> None:
    for handle in reversed(handles):
        win32service.CloseServiceHandle(handle)


def _lookup(account: plan.Account):
    """The account's SID object; ``.\\NAME`` (the service manager's spelling of a local account) is
    looked up as ``NAME``."""
    name = account.name or ""
    sid, _domain, _kind = win32security.LookupAccountName(None, name.removeprefix(".\\"))
    return sid


def _account_sid(account: plan.Account) -> str:
    if account.sid:
        return account.sid
    return win32security.ConvertSidToStringSid(_lookup(account))


def _installing_user() -> tuple[str, str]:
    """The SID and ``DOMAIN\\name`` of the user running ``service install`` (elevated or not, the
    token's user is the administrator's own account)."""
    import win32api

    from app.control.windows import own_sid

    try:
        name = win32api.GetUserNameEx(win32api.NameSamCompatible)
    except pywintypes.error:
        name = win32api.GetUserName()
    return own_sid(), name


def _grant_service_logon(account: plan.Account) -> None:
    """A user account needs the right "Log on as a service" (services.msc grants it, CreateService does not)."""
    policy = win32security.LsaOpenPolicy(None, win32security.POLICY_ALL_ACCESS)
    try:
        win32security.LsaAddAccountRights(policy, _lookup(account), ["SeServiceLogonRight"])
    finally:
        win32security.LsaClose(policy)


def _register_event_source() -> None:
    with winreg.CreateKey(winreg.HKEY_LOCAL_MACHINE, eventlog.SOURCE_KEY) as key:
        for name, (value, kind) in eventlog.source_registry_values().items():
            winreg.SetValueEx(key, name, 0, kind, value)


def _set_environment(block: list[str]) -> None:
    with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, SERVICE_KEY, 0, winreg.KEY_SET_VALUE) as key:
        winreg.SetValueEx(key, "Environment", 0, winreg.REG_MULTI_SZ, block)


def install(chosen: plan.InstallPlan, password: str | None) -> list[str]:
    """Creates the service as ``chosen`` says, the folder with its permissions and the event
    source; returns what was done, in lines."""
    done = []
    root = Path(str(chosen.layout.root))
    for folder in (root, Path(str(chosen.layout.logs)), Path(str(chosen.layout.runtime))):
        folder.mkdir(parents=True, exist_ok=True)
    scm = _manager()
    try:
        try:
            handle = win32service.CreateService(
                scm,
                chosen.name,
                chosen.display_name,
                win32service.SERVICE_ALL_ACCESS,
                win32service.SERVICE_WIN32_OWN_PROCESS,
                win32service.SERVICE_AUTO_START,
                win32service.SERVICE_ERROR_NORMAL,
                chosen.bin_path,
                None,
                0,
                None,
                chosen.account.name,
                password,
            )
        except pywintypes.error as exc:
            raise ServiceError(exc.winerror, exc.strerror) from exc
        try:
            win32service.ChangeServiceConfig2(handle, win32service.SERVICE_CONFIG_DESCRIPTION, chosen.description)
            actions = chosen.failure_actions.as_pywin32(win32service.SC_ACTION_RESTART)
            win32service.ChangeServiceConfig2(handle, win32service.SERVICE_CONFIG_FAILURE_ACTIONS, actions)
            win32service.ChangeServiceConfig2(
                handle, win32service.SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, chosen.failure_actions.on_error_exit
            )
            win32service.ChangeServiceConfig2(
                handle, win32service.SERVICE_CONFIG_SERVICE_SID_INFO, win32service.SERVICE_SID_TYPE_UNRESTRICTED
            )
            win32service.ChangeServiceConfig2(
                handle, win32service.SERVICE_CONFIG_PRESHUTDOWN_INFO, chosen.preshutdown_timeout_ms
            )
        finally:
            win32service.CloseServiceHandle(handle)
    finally:
        win32service.CloseServiceHandle(scm)
    done.append(f"installed the service {chosen.name} ({chosen.display_name}): {chosen.bin_path}")
    try:
        _set_environment(chosen.environment_block())
        if chosen.account.needs_password:
            _grant_service_logon(chosen.account)
            done.append(f"granted {chosen.account.name} the right to log on as a service")
        for command in chosen.acl_commands(_account_sid(chosen.account)):
            result = subprocess.run(command, capture_output=True, text=True)
            if result.returncode != 0:
                output = f"{result.stdout.strip()} {result.stderr.strip()}".strip()
                raise ServiceError(result.returncode, f"{subprocess.list2cmdline(command)}: {output}")
        done.append(f"{root}: only {chosen.account.shown}, SYSTEM and Administrators may open it")
        try:
            sid, user = _installing_user()
            installer.record(root, sid, user)
        except (pywintypes.error, OSError, ValueError) as exc:  # the service works without it
            done.append(
                f"who installed the service could not be recorded ({exc}): the service's commands (status, "
                "queue, password set) then need an elevated prompt (Run as administrator)"
            )
        else:
            done.append(
                f"{user} (who installed it) may command the running service (status, queue, password set) even "
                "from a prompt that is not elevated; other users need an elevated prompt"
            )
        _register_event_source()
    except BaseException:
        remove()  # no half-installed service: install again once the cause is fixed
        raise
    done.append(f"the Windows Event Log (Application) shows Tenso's start, stop and errors as source {eventlog.SOURCE}")
    return done


def _wait(handle, wanted: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while True:
        current = win32service.QueryServiceStatusEx(handle)["CurrentState"]
        if current == wanted or time.monotonic() > deadline:
            return current
        if wanted == win32service.SERVICE_RUNNING and current == win32service.SERVICE_STOPPED:
            return current
        time.sleep(0.5)


def start(timeout: float = 60.0) -> str:
    scm, handle = _open(win32service.SERVICE_START | win32service.SERVICE_QUERY_STATUS, win32service.SC_MANAGER_CONNECT)
    try:
        try:
            win32service.StartService(handle, None)
        except pywintypes.error as exc:
            raise ServiceError(exc.winerror, exc.strerror) from exc
        return STATES.get(_wait(handle, win32service.SERVICE_RUNNING, timeout), "unknown")
    finally:
        _close(scm, handle)


def stop(timeout: float = plan.STOP_WAIT_HINT_MS / 1000 + 30) -> str:
    scm, handle = _open(win32service.SERVICE_STOP | win32service.SERVICE_QUERY_STATUS, win32service.SC_MANAGER_CONNECT)
    try:
        try:
            win32service.ControlService(handle, win32service.SERVICE_CONTROL_STOP)
        except pywintypes.error as exc:
            raise ServiceError(exc.winerror, exc.strerror) from exc
        return STATES.get(_wait(handle, win32service.SERVICE_STOPPED, timeout), "unknown")
    finally:
        _close(scm, handle)


def remove() -> list[str]:
    done = []
    found = status()
    if found.installed and found.state != "stopped":
        done.append(f"stopped the service: {stop()}")
    scm, handle = _open(win32service.SERVICE_ALL_ACCESS)
    try:
        try:
            win32service.DeleteService(handle)
        except pywintypes.error as exc:
            raise ServiceError(exc.winerror, exc.strerror) from exc
    finally:
        _close(scm, handle)
    done.append(f"removed the service {plan.NAME}")
    try:
        winreg.DeleteKey(winreg.HKEY_LOCAL_MACHINE, eventlog.SOURCE_KEY)
    except FileNotFoundError:
        pass
    return done


def status() -> ServiceState:
    try:
        scm, handle = _open(
            win32service.SERVICE_QUERY_CONFIG | win32service.SERVICE_QUERY_STATUS, win32service.SC_MANAGER_CONNECT
        )
    except ServiceError as exc:
        if exc.code == 1060:  # no such service
            return ServiceState(installed=False)
        raise
    try:
        config = win32service.QueryServiceConfig(handle)
        current = win32service.QueryServiceStatusEx(handle)
        try:
            delayed = bool(
                win32service.QueryServiceConfig2(handle, win32service.SERVICE_CONFIG_DELAYED_AUTO_START_INFO)
            )
        except pywintypes.error:
            delayed = False
    finally:
        _close(scm, handle)
    return ServiceState(
        installed=True,
        state=STATES.get(current["CurrentState"], "unknown"),
        account=config[7] or "LocalSystem",
        start_type=START_TYPES.get(config[1], str(config[1])),
        command=config[3],
        pid=current.get("ProcessId", 0),
        delayed=delayed,
    )


def host(config: Path) -> int:
    """``Tenso.exe service host``: the service itself, as the service manager starts it."""
    import servicemanager
    import win32serviceutil
    import win32timezone  # noqa: F401  (pywin32's times need it; PyInstaller misses it: build.spec names it)

    layout = service_layout()
    own = getattr(sys, "_MEIPASS", None)  # the one-file exe's extraction folder
    removed = runtime.prepare(layout, Path(own) if own else None)
    installed_by = installer.read(Path(str(layout.root)))  # may open the channel unelevated

    class TensoService(win32serviceutil.ServiceFramework):
        _svc_name_ = plan.NAME
        _svc_display_name_ = plan.DISPLAY_NAME
        _svc_description_ = plan.DESCRIPTION

        def __init__(self, args):
            super().__init__(args)
            self.stopper = Stopper()
            self.started = threading.Event()
            self.finished = threading.Event()
            self.reporting = threading.Lock()  # a pending state said again never follows the final one

        def _say(self, state: int, hint_ms: int = 0, until: threading.Event | None = None) -> None:
            with self.reporting:
                if until is None or not until.is_set():
                    self.ReportServiceStatus(state, waitHint=hint_ms)

        def _keep_saying(self, state: int, hint_ms: int, until: threading.Event) -> None:
            """The service manager waits ``hint_ms`` for the next word: say it again while it goes on."""

            def tick() -> None:
                while not until.wait(plan.STOP_REPORT_EVERY_S):
                    self._say(state, hint_ms, until)

            threading.Thread(target=tick, name=f"service-state-{state}", daemon=True).start()

        def SvcStop(self):
            self._say(win32service.SERVICE_STOP_PENDING, plan.STOP_WAIT_HINT_MS, self.finished)
            self._keep_saying(win32service.SERVICE_STOP_PENDING, plan.STOP_WAIT_HINT_MS, self.finished)
            self.stopper.stop()

        def SvcShutdown(self):  # Windows shuts down: the same clean stop
            self.SvcStop()

        def GetAcceptedControls(self):
            # The pre-shutdown notice comes before the shutdown one, with time to stop cleanly.
            return super().GetAcceptedControls() | win32service.SERVICE_ACCEPT_PRESHUTDOWN

        def SvcOtherEx(self, control, event_type, data):
            if control == win32service.SERVICE_CONTROL_PRESHUTDOWN:
                self.SvcStop()

        def SvcRun(self):
            self._say(win32service.SERVICE_START_PENDING, plan.START_WAIT_HINT_MS, self.started)
            self._keep_saying(win32service.SERVICE_START_PENDING, plan.START_WAIT_HINT_MS, self.started)

            def running() -> None:
                with self.reporting:
                    self.started.set()
                    self.ReportServiceStatus(win32service.SERVICE_RUNNING)

            def stopped(code: int, left: bool) -> None:
                with self.reporting:
                    self.started.set()
                    self.finished.set()
                    if code == 0 and left:
                        # run_headless leaves at once (deliveries still blocked, their mail queued):
                        # the framework will not get to say it, so say it here.
                        self.ReportServiceStatus(win32service.SERVICE_STOPPED)

            code = runtime.serve(
                config,
                account=_configured_account(),
                report=_report,
                stopper=self.stopper,
                on_running=running,
                on_stopped=stopped,
                removed=removed,
                installer=installed_by,
            )
            if code != 0:
                # It could not start (a port in use, settings with problems) or ended by itself:
                # end the process without a word, so the service manager counts a failure and
                # its recovery actions (restart after 10 s, 60 s, 5 min) apply.
                os._exit(code)
            # Returning: pywin32's framework reports SERVICE_STOPPED.

    servicemanager.Initialize()
    servicemanager.PrepareToHostSingle(TensoService)
    try:
        servicemanager.StartServiceCtrlDispatcher()
    except pywintypes.error as exc:
        raise ServiceError(exc.winerror, exc.strerror) from exc
    return 0


def _configured_account() -> str:
    """The account the service runs as, for its start entry (the service manager's word for it)."""
    try:
        return status().account
    except (ServiceError, pywintypes.error):
        return "(not known)"


def _report(event: eventlog.Event) -> None:
    import win32evtlogutil

    win32evtlogutil.ReportEvent(eventlog.SOURCE, int(event.id), eventType=int(event.type), strings=[event.text])
