"""``service move`` as it runs on Windows, with real folders: an installation of one user (its
settings, a real queue written by the real spool, secrets in its keyring) moves into the
service's folder, and a real headless gateway started on the moved settings plays the service
and delivers every moved message.  A gateway still running on the old queue stops the move
before anything changes."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest
from keyrings.alt.file import PlaintextKeyring

from app.control import client
from app.service import move
from app.service.layout import Layout
from app.store.spool import Envelope, Spool, new_id
from app.system import passwords
from tests.support.processes import TensoProcess, dead_port, free_port
from tests.support.smtp import message
from tests.support.waiting import wait_until


def installation(tmp_path: Path, upstream_port: int, listen_port: int) -> tuple[Path, Path, Path]:
    """A user's installation: its settings file, data folder and queue with three messages."""
    data = tmp_path / "user" / "data"
    queue = data / "queue"
    config = tmp_path / "user" / "settings.json"
    config.parent.mkdir(parents=True)
    config.write_text(
        json.dumps(
            {
                "version": 1,
                "server": {"hostname": "tenso.test", "listen": [f"127.0.0.1:{listen_port}"]},
                "rules": [{"match": "*", "destination": "127.0.0.1", "port": upstream_port, "tls": "none"}],
                "auth_accounts": {"common": {"username": "isp-id"}},
                "local_domains": ["example.jp"],
                "local_users": [{"address": "u1@example.jp"}],
                "devices": [{"name": "mfp", "login": "mfp"}],
                "queue": {"dir": str(queue)},
                "mailbox_dir": str(tmp_path / "user" / "mailboxes"),
            }
        ),
        encoding="utf-8",
    )
    spool = Spool(queue)
    for n in range(3):
        envelope = Envelope("sender@example.jp", [f"r{n}@example.net"], received_at=time.time())
        spool.store(new_id(), envelope, message(subject=f"moved {n}", body="x" * (1000 * (n + 1)) + "\r\n"))
    (data / "tokens").mkdir(parents=True)
    (data / "tokens" / "notes.txt").write_text("a token file's neighbour")
    return config, data, queue


def sizes(queue: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in sorted((queue / "msg").iterdir())}


@pytest.fixture
def user_secrets():
    passwords.set("common", "isp-secret")
    passwords.set("device:mfp", "scanner-secret")
    yield
    for key in ("common", "device:mfp"):
        passwords.delete(key)


def test_a_move_carries_the_queue_settings_and_secrets_and_the_service_delivers_every_message(
    tmp_path, upstream_factory, user_secrets
):
    upstream = upstream_factory()
    config, data, queue = installation(tmp_path, upstream.port, free_port())
    before = sizes(queue)
    layout = Layout(tmp_path / "ProgramData" / "Tenso")
    started: list[TensoProcess] = []

    def start_service() -> None:  # a real headless gateway as the service: its data folder and file keyring
        env = {**__import__("os").environ, "TENSO_DATA_DIR": str(layout.root), "TENSO_FILE_KEYRING": "1"}
        port = json.loads(layout.settings.read_text())["server"]["listen"][0].rsplit(":", 1)[1]
        gateway = TensoProcess(layout.settings, int(port), tmp_path / "service.log", env=env)
        started.append(gateway)
        gateway.wait_listening()

    try:
        report = move.move(config, data, layout, start_service=start_service, channel_wait=2)
        # the queue: every message, byte for byte, and the old one kept under another name
        assert sizes(layout.queue) == before and len(before) == 3
        assert not queue.exists()
        kept = [p for p in queue.parent.iterdir() if p.name.startswith("queue.moved-to-service-")]
        assert len(kept) == 1 and sizes(kept[0]) == before
        assert any(line.startswith("queue: 3 message(s) (") and "checked" in line for line in report.moved)
        # the settings: queue.dir rewritten, the rest as it was
        moved = json.loads(layout.settings.read_text(encoding="utf-8"))
        assert moved["queue"]["dir"] == str(layout.queue)
        assert moved["rules"] == json.loads(config.read_text())["rules"]
        assert (layout.root / "tokens" / "notes.txt").exists()
        # the secrets: in the service's keyring, not only in the user's; a missing one said
        service_keyring = PlaintextKeyring()
        service_keyring.file_path = str(layout.keyring)
        assert service_keyring.get_password("tenso", "common") == "isp-secret"
        assert service_keyring.get_password("tenso", "device:mfp") == "scanner-secret"
        assert any(line.startswith("local:u1@example.jp: not in your keyring") for line in report.not_moved)
        # nothing lost: the service delivers the three moved messages
        wait_until(lambda: len(upstream.messages) == 3, timeout=30, what="the moved messages delivered")
        assert sorted(m.rcpt_tos[0] for m in upstream.messages) == [
            "r0@example.net",
            "r1@example.net",
            "r2@example.net",
        ]
    finally:
        for gateway in started:
            gateway.close()


def test_a_move_refuses_while_a_gateway_runs_on_the_old_queue_and_changes_nothing(tmp_path):
    port = free_port()
    config, data, queue = installation(tmp_path, dead_port(), port)
    before = sizes(queue)
    layout = Layout(tmp_path / "ProgramData" / "Tenso")
    gateway = TensoProcess(config, port, tmp_path / "user.log")
    try:
        gateway.wait_listening()
        with pytest.raises(move.MoveRefused) as refused:
            move.move(config, data, layout, start_service=lambda: pytest.fail("the service must not start"))
        text = str(refused.value)
        assert text.startswith(f"a gateway is running on the old queue {queue}; quit Tenso (tray icon → Quit)")
        assert "schtasks /End /TN Tenso" in text
    finally:
        gateway.close()
    assert sizes(queue) == before  # the old queue is there and whole
    assert not layout.settings.exists() and not (layout.root / "queue" / "msg").exists()


def test_a_move_refuses_while_the_service_runs_on_its_queue(tmp_path):
    config, data, queue = installation(tmp_path, dead_port(), free_port())
    layout = Layout(tmp_path / "ProgramData" / "Tenso")
    lock = Spool(Path(layout.queue)).lock()  # what a running service holds
    try:
        with pytest.raises(move.MoveRefused, match="stop the service first: Tenso.exe service stop"):
            move.move(config, data, layout, start_service=lambda: None)
    finally:
        lock.release()
    assert sizes(queue) and queue.exists()


def test_a_service_that_does_not_start_still_gets_the_secrets_in_its_keyring_file_and_it_is_said(
    tmp_path, user_secrets
):
    config, data, queue = installation(tmp_path, dead_port(), free_port())
    layout = Layout(tmp_path / "ProgramData" / "Tenso")

    def refused() -> None:
        raise OSError("Access is denied")

    report = move.move(config, data, layout, start_service=refused, channel_wait=0)
    assert "the service did not start (Access is denied); start it with Tenso.exe service start" in report.not_moved
    service_keyring = PlaintextKeyring()
    service_keyring.file_path = str(layout.keyring)
    assert service_keyring.get_password("tenso", "common") == "isp-secret"
    assert any(line == f"common: written to the service's keyring file {layout.keyring}" for line in report.moved)
    assert len(list((Path(layout.queue) / "msg").iterdir())) == 3


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() != 0, reason="only root can act as another user (Unix)")
def test_a_mover_the_services_channel_refuses_still_moves_everything_and_is_told_to_use_an_elevated_prompt(
    tmp_path, user_secrets
):
    """The mover's prompt may not command the started service (here: it asks as the user nobody,
    as a prompt that is not elevated asks on Windows): the secrets go into the service's keyring
    file, nothing is half-moved, and the report says what to do next."""
    config, data, queue = installation(tmp_path, dead_port(), free_port())
    layout = Layout(tmp_path / "ProgramData" / "Tenso")
    started: list[TensoProcess] = []
    refusals: list[str] = []

    def start_service() -> None:  # a real headless gateway as the service, run by root
        env = {**os.environ, "TENSO_DATA_DIR": str(layout.root), "TENSO_FILE_KEYRING": "1"}
        port = json.loads(layout.settings.read_text())["server"]["listen"][0].rsplit(":", 1)[1]
        gateway = TensoProcess(layout.settings, int(port), tmp_path / "service.log", env=env)
        started.append(gateway)
        gateway.wait_listening()

    def connect_as_nobody(queue_dir: Path):
        import pwd  # Unix only

        os.seteuid(pwd.getpwnam("nobody").pw_uid)
        try:
            return client.connect(queue_dir)
        except client.NotAllowed as exc:
            refusals.append(str(exc))
            raise
        finally:
            os.seteuid(0)

    try:
        report = move.move(config, data, layout, start_service=start_service, connect=connect_as_nobody, channel_wait=5)
        assert refusals and "this user may not command it" in refusals[0]
        assert report.not_moved == [
            "local:u1@example.jp: not in your keyring, so not moved (set it with password set local:u1@example.jp)"
        ]
        assert len(report.notes) == 1
        note = report.notes[0]
        assert note.startswith("the service's control channel does not let this user in (a gateway runs on")
        assert note.endswith("from an elevated prompt (Command Prompt → Run as administrator)")
        service_keyring = PlaintextKeyring()
        service_keyring.file_path = str(layout.keyring)
        assert service_keyring.get_password("tenso", "common") == "isp-secret"
        assert service_keyring.get_password("tenso", "device:mfp") == "scanner-secret"
        assert len(list((Path(layout.queue) / "msg").iterdir())) == 3 and not queue.exists()
        assert json.loads(layout.settings.read_text(encoding="utf-8"))["queue"]["dir"] == str(layout.queue)
    finally:
        for gateway in started:
            gateway.close()
