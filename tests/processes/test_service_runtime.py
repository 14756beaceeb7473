"""The service's runtime (app/service/runtime.py) as the service manager drives it, with the
Windows parts handed in as plain callables: the real gateway runs on another thread (as on the
service manager's), says when it listens, delivers, stops on a stop request from this thread,
and reports start, stop and failures as Event Log entries."""

from __future__ import annotations

import json
import logging
import socket
import threading

from app.headless import Stopper
from app.service import eventlog, installer, runtime
from tests.support.processes import free_port
from tests.support.smtp import message, send
from tests.support.waiting import wait_until


def config_file(tmp_path, listen: int, upstream: int, extra: dict | None = None):
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps(
            {
                "version": 1,
                "server": {"hostname": "tenso.test", "listen": [f"127.0.0.1:{listen}"]},
                "rules": [{"match": "*", "destination": "127.0.0.1", "port": upstream, "tls": "none"}],
                "queue": {"dir": str(tmp_path / "queue")},
                "mailbox_dir": str(tmp_path / "mailboxes"),
                **(extra or {}),
            }
        ),
        encoding="utf-8",
    )
    return path


class Service:
    """runtime.serve on a thread of its own, as the service manager's thread runs it."""

    installer: installer.Installer | None = None

    def __init__(self, config, installed_by: installer.Installer | None = None):
        self.installer = installed_by
        self.events: list[eventlog.Event] = []
        self.running = threading.Event()
        self.stopped: list[tuple[int, bool]] = []
        self.stopper = Stopper()
        self.code: int | None = None
        self.thread = threading.Thread(target=self._run, args=(config,), daemon=True)
        self.thread.start()

    def _run(self, config) -> None:
        self.code = runtime.serve(
            config,
            account=r"NT SERVICE\Tenso",
            report=self.events.append,
            stopper=self.stopper,
            on_running=self.running.set,
            on_stopped=lambda code, left: self.stopped.append((code, left)),
            installer=self.installer,
        )

    def ids(self) -> list[eventlog.EventId]:
        return [e.id for e in self.events]


def test_the_service_runtime_listens_delivers_and_stops_cleanly_on_a_stop_from_another_thread(
    tmp_path, upstream_factory
):
    upstream = upstream_factory()
    port = free_port()
    service = Service(config_file(tmp_path, port, upstream.port))
    assert service.running.wait(30), "the gateway did not say it runs"
    assert service.ids() == [eventlog.EventId.STARTED]
    assert service.events[0].text.startswith("Tenso ") and r"(account NT SERVICE\Tenso)" in service.events[0].text
    send(port, "a@example.jp", ["b@example.net"], message(subject="through the service"))
    wait_until(lambda: len(upstream.messages) == 1, timeout=20, what="the message delivered")
    service.stopper.stop()
    service.thread.join(40)
    assert not service.thread.is_alive(), "the stop did not finish"
    assert (service.code, service.stopped) == (0, [(0, False)])
    assert service.ids() == [eventlog.EventId.STARTED, eventlog.EventId.STOPPED]
    with socket.socket() as s:  # the port is free again: nothing listens (the closed session may still be in TIME_WAIT)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))


def test_a_stop_asked_before_the_gateway_runs_still_stops_it(tmp_path):
    service = Service.__new__(Service)
    service.events, service.running, service.stopped, service.code = [], threading.Event(), [], None
    service.stopper = Stopper()
    service.stopper.stop()  # the service manager's stop came first
    service.thread = threading.Thread(target=service._run, args=(config_file(tmp_path, free_port(), free_port()),))
    service.thread.start()
    service.thread.join(40)
    assert not service.thread.is_alive() and service.code == 0
    assert service.ids() == [eventlog.EventId.STARTED, eventlog.EventId.STOPPED]


def test_settings_with_problems_are_an_error_entry_and_a_failed_start(tmp_path):
    config = config_file(tmp_path, free_port(), free_port(), {"relay": True})
    service = Service(config)
    service.thread.join(30)
    assert service.code == 1 and service.stopped == [(1, False)] and not service.running.is_set()
    assert service.ids() == [eventlog.EventId.ERROR, eventlog.EventId.NOT_STARTED]
    assert service.events[0].text.startswith(f"the service did not start: {config} has problems: ")
    assert "relay" in service.events[0].text and "exit code 1" in service.events[1].text


def test_a_port_in_use_is_an_error_entry_and_an_exit_the_failure_actions_restart(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        service = Service(config_file(tmp_path, taken.getsockname()[1], free_port()))
        service.thread.join(40)
    assert service.code == 2 and service.stopped == [(2, False)]
    assert eventlog.EventId.ERROR in service.ids() and service.ids()[-1] == eventlog.EventId.NOT_STARTED
    assert "exit code 2" in service.events[-1].text


def test_the_administrator_who_installed_the_service_is_handed_to_the_gateways_control_channel(tmp_path):
    root = tmp_path / "ProgramData"
    root.mkdir()
    installer.record(root, "S-1-5-21-1-2-3-1001", r"OFFICE\admin")
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("tenso").addHandler(handler)
    try:
        service = Service(config_file(tmp_path, free_port(), free_port()), installer.read(root))
        assert service.running.wait(30), "the gateway did not say it runs"
        service.stopper.stop()
        service.thread.join(40)
    finally:
        logging.getLogger("tenso").removeHandler(handler)
    assert r"also lets in OFFICE\admin, who installed it" in service.events[0].text
    channel = [line for line in lines if line.startswith("control channel: ")]
    assert channel and channel[0].endswith("; it also lets in S-1-5-21-1-2-3-1001, who installed the service"), lines
