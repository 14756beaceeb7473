"""The Windows service's parts that need no Windows (app/service/): the install plan as data, the
folder's permissions, the Event Log's entries, the extraction folders a killed run leaves, the
``service`` command off Windows, and the systemd unit given instead.  The pywin32 calls
themselves run in the Windows workflow (.github/workflows/windows.yml)."""

from __future__ import annotations

import configparser
import contextlib
import io
import logging
import re
import shlex
import subprocess
import sys
from pathlib import Path, PureWindowsPath

import pytest

from app import cli
from app.headless import STOP_GRACE_SECONDS
from app.service import acl, eventlog, plan
from app.service.layout import Layout, stale_extractions
from tests.support import REPO

ROOT = PureWindowsPath(r"C:\ProgramData\Tenso")
EXE = [r"C:\Program Files\Tenso\Tenso.exe"]


def run(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = cli.main(list(argv))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, err.getvalue()


# --- the command off Windows ---------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="on Windows the service commands act")
@pytest.mark.parametrize("action", ["install", "remove", "start", "stop", "status", "move", "host"])
def test_every_service_command_exits_2_here_pointing_at_the_systemd_unit(action):
    code, err = run("service", action, "--config", "x.json")
    assert code == 2
    assert err.count("\n") == 1, err  # one line
    assert err.startswith(f"service {action}: the service commands are for Windows; here, run Tenso as a systemd")
    assert "docs/service.md" in err and "packaging/tenso.service" in err


def test_service_takes_install_with_config_and_account_and_refuses_an_unknown_action():
    args = cli.build_parser().parse_args(["service", "install", "--config", r"C:\t\s.json", "--account", "LocalSystem"])
    assert (args.action, args.service_config, args.account) == ("install", r"C:\t\s.json", "LocalSystem")
    code, err = run("service", "restart")
    assert code == 2 and "invalid choice: 'restart'" in err


def test_the_service_command_as_a_process_says_so_in_one_line_with_exit_2():
    if sys.platform == "win32":
        pytest.skip("on Windows the service commands act")
    result = subprocess.run(
        [sys.executable, "-m", "app", "service", "status"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"service status: {__import__('app.service.state').service.state.ELSEWHERE}"]


def test_without_config_the_service_uses_its_own_settings_and_move_the_users():
    from app.cli import service
    from app.system import paths

    layout = Layout(ROOT)
    parse = cli.build_parser().parse_args
    for action in ("install", "host", "start"):
        args = parse(["service", action])
        cli_config = args.config  # main() fills the shared --config with the per-user file: not this one's
        assert service.settings_for(args, layout) == Path(str(ROOT / "settings.json")), (action, cli_config)
    assert service.settings_for(parse(["service", "move"]), layout) == paths.default_config_path()
    named = parse(["service", "move", "--config", "old.json"])
    assert service.settings_for(named, layout) == Path("old.json")


def test_the_service_managers_command_line_is_one_the_parser_takes():
    chosen = plan.install_plan(Layout(ROOT), None, None, program=EXE)
    args = cli.build_parser().parse_args(shlex.split(chosen.bin_path, posix=False)[1:])
    assert (args.command, args.action, args.service_config) == ("service", "host", str(ROOT / "settings.json"))


# --- the install plan -----------------------------------------------------------------------------


def test_the_install_plan_starts_the_exe_with_service_host_and_its_settings_as_one_argument_each():
    chosen = plan.install_plan(Layout(ROOT), None, None, program=EXE)
    assert chosen.bin_path == (
        r'"C:\Program Files\Tenso\Tenso.exe" service host --config C:\ProgramData\Tenso\settings.json'
    )
    assert chosen.config == ROOT / "settings.json"
    # the service manager splits it as Windows does: the exe, then service host and the file
    other = plan.install_plan(Layout(ROOT), PureWindowsPath(r"D:\Mail Gateway\settings.json"), None, program=EXE)
    assert other.bin_path.endswith(r'service host --config "D:\Mail Gateway\settings.json"')


def test_the_plan_runs_as_the_virtual_account_starts_automatically_and_restarts_after_failures():
    chosen = plan.install_plan(Layout(ROOT), None, None, program=EXE)
    assert (chosen.name, chosen.display_name) == ("Tenso", "Tenso SMTP gateway")
    assert chosen.account == plan.Account(plan.AccountKind.VIRTUAL, r"NT SERVICE\Tenso", acl.service_sid("Tenso"))
    assert not chosen.account.needs_password
    assert chosen.start_type == plan.StartType.AUTOMATIC
    actions = chosen.failure_actions.as_pywin32(restart=1)
    assert actions == {"ResetPeriod": 86400, "RebootMsg": None, "Command": None,
                       "Actions": [(1, 10_000), (1, 60_000), (1, 300_000)]}  # fmt: skip
    assert chosen.failure_actions.on_error_exit  # an exit with an error code counts as a failure too
    assert "%ProgramData%\\Tenso" in chosen.description and "forwards" in chosen.description


def test_the_stop_wait_hint_is_longer_than_the_headless_grace_and_said_again_while_stopping():
    chosen = plan.install_plan(Layout(ROOT), None, None, program=EXE)
    assert chosen.stop_wait_hint_ms > STOP_GRACE_SECONDS * 1000 + 5000
    assert plan.STOP_REPORT_EVERY_S * 1000 < chosen.stop_wait_hint_ms
    # at shutdown, the pre-shutdown notice waits longer than a stop may take
    assert chosen.preshutdown_timeout_ms > chosen.stop_wait_hint_ms


def test_the_service_process_gets_its_data_folder_file_keyring_and_extraction_folder():
    chosen = plan.install_plan(Layout(ROOT), None, None, program=EXE)
    assert chosen.environment_block() == [
        r"TEMP=C:\ProgramData\Tenso\runtime",
        r"TENSO_DATA_DIR=C:\ProgramData\Tenso",
        "TENSO_FILE_KEYRING=1",
        r"TMP=C:\ProgramData\Tenso\runtime",
    ]


@pytest.mark.parametrize(
    ("given", "kind", "name", "sid"),
    [
        (None, plan.AccountKind.VIRTUAL, r"NT SERVICE\Tenso", acl.service_sid("Tenso")),
        ("LocalSystem", plan.AccountKind.LOCAL_SYSTEM, None, "S-1-5-18"),
        (r"NT AUTHORITY\LocalService", plan.AccountKind.LOCAL_SERVICE, r"NT AUTHORITY\LocalService", "S-1-5-19"),
        ("NetworkService", plan.AccountKind.NETWORK_SERVICE, r"NT AUTHORITY\NetworkService", "S-1-5-20"),
        (r"OFFICE\mailsvc", plan.AccountKind.USER, r"OFFICE\mailsvc", None),
        ("mailsvc", plan.AccountKind.USER, r".\mailsvc", None),
        ("mailsvc@office.example", plan.AccountKind.USER, "mailsvc@office.example", None),
    ],
)
def test_account_names_become_what_the_service_manager_takes(given, kind, name, sid):
    found = plan.account(given)
    assert (found.kind, found.name, found.sid) == (kind, name, sid)
    assert found.needs_password == (kind == plan.AccountKind.USER)


def test_the_plan_from_source_puts_the_source_tree_on_the_path_itself():
    command = plan.program_command()
    assert command[0] == sys.executable and command[1] == "-c"
    assert str(REPO) in command[2] and "run_module('app'" in command[2]
    # what the service manager would start: the same command line parses back to the same arguments
    line = plan.bin_path(command, PureWindowsPath(r"C:\t\s.json"))
    assert shlex.split(line, posix=False)[-4:] == ["service", "host", "--config", r"C:\t\s.json"]


# --- who may open the folder ----------------------------------------------------------------------


def test_a_virtual_accounts_sid_is_computed_as_windows_does():
    # sc showsid TrustedInstaller, on any Windows
    assert acl.service_sid("TrustedInstaller") == "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"
    assert acl.service_sid("tenso") == acl.service_sid("Tenso")  # service names compare without case
    assert re.fullmatch(r"S-1-5-80(-\d+){5}", acl.service_sid("Tenso"))


def test_icacls_removes_inheritance_and_leaves_the_folder_to_the_service_system_and_administrators():
    sid = acl.service_sid("Tenso")
    first, inside = acl.icacls_commands(str(ROOT), sid)
    assert first == [
        "icacls", r"C:\ProgramData\Tenso", "/inheritance:r",
        "/grant:r", "*S-1-5-18:(OI)(CI)F",
        "/grant:r", "*S-1-5-32-544:(OI)(CI)F",
        "/grant:r", f"*{sid}:(OI)(CI)M",
    ]  # fmt: skip
    assert inside == ["icacls", r"C:\ProgramData\Tenso\*", "/reset", "/T", "/C", "/Q"]
    assert not any("Users" in part or "S-1-5-32-545" in part or "S-1-1-0" in part for part in first)


def test_localsystem_gets_no_entry_of_its_own_beside_system():
    first, _ = acl.icacls_commands(str(ROOT), acl.SYSTEM)
    assert [p for p in first if p.startswith("*")] == ["*S-1-5-18:(OI)(CI)F", "*S-1-5-32-544:(OI)(CI)F"]
    assert acl.sddl(acl.SYSTEM) == "D:PAI(A;OICI;FA;;;S-1-5-18)(A;OICI;FA;;;S-1-5-32-544)"


def test_the_sddl_is_protected_and_gives_the_service_modify_only():
    sid = acl.service_sid("Tenso")
    assert acl.sddl(sid) == f"D:PAI(A;OICI;FA;;;S-1-5-18)(A;OICI;FA;;;S-1-5-32-544)(A;OICI;0x1301bf;;;{sid})"


# --- the Event Log --------------------------------------------------------------------------------


def record(level: int, message: str, *args, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("tenso", level, __file__, 1, message, args, exc_info)


def test_only_error_and_critical_lines_become_events():
    assert eventlog.event_for(record(logging.INFO, "listening")) is None
    assert eventlog.event_for(record(logging.WARNING, "slow")) is None
    error = eventlog.event_for(record(logging.ERROR, "cannot listen on %s: %s", "0.0.0.0:25", "in use"))
    assert error == eventlog.Event(
        eventlog.EventId.ERROR, eventlog.EventType.ERROR, "cannot listen on 0.0.0.0:25: in use"
    )
    critical = eventlog.event_for(record(logging.CRITICAL, "disk full"))
    assert (critical.id, critical.type) == (eventlog.EventId.CRITICAL, eventlog.EventType.ERROR)


def test_an_event_holds_the_traceback_printable_and_cut_to_what_the_event_log_takes():
    try:
        raise ValueError("bad \x1b[2J value")
    except ValueError:
        event = eventlog.event_for(record(logging.ERROR, "delivery failed", exc_info=sys.exc_info()))
    assert event.text.startswith("delivery failed\nTraceback (most recent call last):")
    assert "ValueError: bad \\x1b[2J value" in event.text and "\x1b" not in event.text
    long = eventlog.event_for(record(logging.ERROR, "x" * 40_000))
    assert len(long.text) == eventlog.MAX_TEXT and long.text.endswith("…")


def test_the_handler_reports_errors_through_the_given_call_and_survives_its_failure(monkeypatch):
    seen: list[eventlog.Event] = []
    log = logging.getLogger("tenso.test-eventlog")
    log.propagate = False
    handler = eventlog.EventLogHandler(seen.append)
    log.addHandler(handler)
    try:
        log.info("not this")
        log.error("queue folder %s cannot be written", r"C:\ProgramData\Tenso\queue")
        assert [(e.id, e.text) for e in seen] == [
            (eventlog.EventId.ERROR, r"queue folder C:\ProgramData\Tenso\queue cannot be written")
        ]

        def full(event):
            raise OSError("the event log is full")

        handler._report = full
        monkeypatch.setattr(logging, "raiseExceptions", False)  # handleError stays quiet, as in production
        log.error("still logged elsewhere")  # no exception reaches the caller
    finally:
        log.removeHandler(handler)


def test_start_stop_and_a_failed_start_are_information_and_error_entries():
    started = eventlog.started("1.2.3", r"C:\ProgramData\Tenso\settings.json", r"NT SERVICE\Tenso")
    assert (started.id, started.type) == (eventlog.EventId.STARTED, eventlog.EventType.INFORMATION)
    assert started.text == (
        r"Tenso 1.2.3 started as a service (account NT SERVICE\Tenso); settings C:\ProgramData\Tenso\settings.json."
    )
    assert eventlog.stopped(False).text == "Tenso stopped; no accepted mail is lost."
    assert "left in the queue" in eventlog.stopped(True).text
    failed = eventlog.not_started(2, r"C:\ProgramData\Tenso\logs\tenso.log")
    assert (failed.id, failed.type) == (eventlog.EventId.NOT_STARTED, eventlog.EventType.ERROR)
    assert "exit code 2" in failed.text and "10 seconds" in failed.text


def test_the_event_source_uses_a_message_file_outside_the_extraction_folder():
    values = eventlog.source_registry_values()
    assert values["EventMessageFile"] == (r"%SystemRoot%\Microsoft.NET\Framework\v4.0.30319\EventLogMessages.dll", 2)
    assert values["TypesSupported"] == (7, 4)
    assert eventlog.SOURCE_KEY == r"SYSTEM\CurrentControlSet\Services\EventLog\Application\Tenso"


# --- the extraction folders -----------------------------------------------------------------------


def test_extraction_folders_left_by_a_killed_run_are_found_and_this_runs_own_is_not(tmp_path):
    runtime = tmp_path / "runtime"
    own, stale, other = runtime / "_MEI12345", runtime / "_MEI99", runtime / "notes"
    for folder in (own, stale, other):
        folder.mkdir(parents=True)
    (runtime / "_MEI_file").write_text("a file, not an extraction")
    assert stale_extractions(runtime, own) == [stale]
    assert stale_extractions(runtime, None) == [own, stale]
    assert stale_extractions(tmp_path / "missing", None) == []


def test_prepare_removes_the_stale_extractions_and_sets_the_services_environment(tmp_path, monkeypatch):
    from app.service import runtime

    layout = Layout(tmp_path)
    (tmp_path / "runtime" / "_MEI1" / "PySide6").mkdir(parents=True)
    (tmp_path / "runtime" / "_MEI1" / "PySide6" / "Qt6Core.dll").write_bytes(b"x" * 100)
    (tmp_path / "runtime" / "_MEI2").mkdir()
    monkeypatch.setenv("TENSO_DATA_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("TENSO_FILE_KEYRING", "0")  # recorded, so the test's "1" is undone after it
    removed = runtime.prepare(layout, tmp_path / "runtime" / "_MEI2")
    assert removed == [tmp_path / "runtime" / "_MEI1"]
    assert sorted(p.name for p in (tmp_path / "runtime").iterdir()) == ["_MEI2"]
    import os

    assert os.environ["TENSO_DATA_DIR"] == str(tmp_path) and os.environ["TENSO_FILE_KEYRING"] == "1"


# --- the systemd unit -----------------------------------------------------------------------------

UNIT = REPO / "packaging" / "tenso.service"


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # keys keep their case, as systemd reads them
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    return parser


def test_the_units_execstart_is_a_command_line_tenso_takes():
    start = shlex.split(unit()["Service"]["ExecStart"])
    assert Path(start[0]).name == "tenso"  # the built program (build.spec names it tenso on Linux)
    args = cli.build_parser().parse_args(start[1:])
    assert args.headless and args.config == "/etc/tenso/settings.json" and args.command is None


def test_the_unit_stops_with_sigterm_within_a_timeout_longer_than_the_grace_and_restarts_on_failure():
    service = unit()["Service"]
    assert service["KillSignal"] == "SIGTERM"
    assert int(service["TimeoutStopSec"].rstrip("s")) > STOP_GRACE_SECONDS
    assert service["Restart"] == "on-failure"
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID"  # headless reads its settings again on SIGHUP
    assert unit()["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.parametrize("page", ["docs/service.md", "docs/ja/service.md"])
def test_the_docs_show_the_unit_file_as_it_is_shipped(page):
    text = (REPO / page).read_text(encoding="utf-8")
    blocks = re.findall(r"^```ini\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    shipped = "".join(line + "\n" for line in UNIT.read_text(encoding="utf-8").splitlines() if not line.startswith("#"))
    assert shipped in blocks, f"{page} does not show {UNIT.name} as shipped"


# --- who installed the service (app/service/installer.py) -----------------------------------------


def test_the_installing_administrator_is_recorded_in_the_services_folder_and_read_back(tmp_path):
    from app.service import installer

    written = installer.record(tmp_path, "S-1-5-21-1004336348-1177238915-682003330-1001", r"OFFICE\admin")
    assert written == tmp_path / "installer.json"
    assert installer.read(tmp_path) == installer.Installer(
        "S-1-5-21-1004336348-1177238915-682003330-1001", r"OFFICE\admin"
    )
    installer.record(tmp_path, "S-1-5-21-1-2-3-500", r"OFFICE\other")  # a second install replaces it
    assert installer.read(tmp_path) == installer.Installer("S-1-5-21-1-2-3-500", r"OFFICE\other")
    assert [p.name for p in tmp_path.iterdir()] == ["installer.json"]


def test_no_recorded_installer_or_a_file_without_a_sid_lets_in_no_one_more(tmp_path, caplog):
    from app.service import installer

    assert installer.read(tmp_path) is None  # installed by an older Tenso: nothing logged
    with pytest.raises(ValueError, match="not a Windows security identifier"):
        installer.record(tmp_path, "OFFICE\\admin", "OFFICE\\admin")
    assert not (tmp_path / "installer.json").exists()
    for text in ('{"sid": "S-1-5-21-1-2-3-1001) (A;;GA;;;WD"}', "{not json", '["S-1-5-21-1-2-3-1001"]'):
        (tmp_path / "installer.json").write_text(text, encoding="utf-8")
        with caplog.at_level(logging.WARNING, logger="tenso"):
            caplog.clear()
            assert installer.read(tmp_path) is None
        assert "only elevated administrators may open the control channel" in caplog.text


def test_the_start_entry_names_the_installer_who_may_command_the_service_unelevated():
    started = eventlog.started("1.2.3", r"C:\ProgramData\Tenso\settings.json", r"NT SERVICE\Tenso", r"OFFICE\admin")
    assert started.text.endswith(
        r"Its control channel also lets in OFFICE\admin, who installed it, from a prompt that is not elevated."
    )
