"""The server tab: the listener table (rows from strings and objects, badges for weak rows, what
is written back, problems naming the row), the limits, the self-signed certificate made off the
GUI thread, and the receiving processes set in the window starting and stopping a worker process
on Apply."""

from __future__ import annotations

import asyncio
import hashlib
import os
import pathlib
import ssl
import sys
import time

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QSpinBox

from app import settings as settings_mod
from app.gui.tabs.listeners_box import (
    COL_ADDRESS,
    COL_AUTH,
    COL_BADGE,
    COL_NETWORKS,
    COL_PROFILE,
    COL_TLS,
    WARNING,
)
from app.receive import workers as receivers
from app.system import certificate
from tests.support.gateway import make_settings
from tests.support.gui import until
from tests.support.processes import children_running
from tests.support.smtp import message, send


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds the worker through /proc")
def test_receiving_processes_set_in_the_window_start_and_stop_a_worker_on_apply(gui, upstream_factory):
    """Server → Receiving processes: 2 starts one ``receive-worker`` on the same port at Apply, 1 stops it."""
    up = upstream_factory()
    window = gui.open(
        server={"listen": ["127.0.0.1:0"]},
        rules=[{"match": "*", "destination": "127.0.0.1", "port": up.port, "tls": "none"}],
    )
    controller = window.controller
    spin = window.findChild(QSpinBox, "processes")
    assert spin.value() == 1 and (spin.minimum(), spin.maximum()) == (1, 16)

    def workers() -> list[tuple[int, int]]:
        return children_running(os.getpid(), receivers.COMMAND)

    async def started() -> None:
        await controller.start()
        assert workers() == []

    gui.run(started())
    spin.setValue(2)
    gui.apply(window)
    assert gui.saved()["server"]["processes"] == 2

    async def two() -> None:
        await until(workers, 10, "a receive-worker child after Apply")
        port = controller.bound[0][1]
        for i in range(6):
            await asyncio.to_thread(send, port, "alice@client.test", [f"p{i}@example.net"], message(f"p{i}"))
        await until(lambda: len(up.messages) >= 6, 15, "six messages at the upstream")

    gui.run(two())
    assert len(workers()) == 1
    spin.setValue(1)
    gui.apply(window)

    async def one() -> None:
        await until(lambda: not workers(), 15, "the worker to stop after Apply with 1")
        await controller.stop()

    gui.run(one())
    assert sorted(r for m in up.messages for r in m.rcpt_tos) == sorted(f"p{i}@example.net" for i in range(6))


# --- Listen on: the listener table ----------------------------------------------------------

MIXED = [
    "0.0.0.0:25",
    {"address": "0.0.0.0:2525", "tls": "none", "networks": ["192.168.1.0/24", "10.0.0.5"]},
    {"address": "[::]:587", "tls_profile": "legacy", "require_auth": True},
]
NO_TLS = "no TLS: passwords and scans readable on the LAN"
LEGACY = "legacy TLS: weak ciphers, no forward secrecy"
NO_CERTIFICATE = "no certificate: STARTTLS not offered"


def pem_pair(tmp_path) -> tuple[str, str]:
    """Two files where the settings expect a certificate and its key (the check is that they exist)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("certificate\n", encoding="ascii")
    key.write_text("key\n", encoding="ascii")
    return str(cert), str(key)


def rows(box) -> list[tuple]:
    table = box.table
    return [
        (
            table.item(r, COL_ADDRESS).text(),
            box.combo(r, COL_TLS).currentData(),
            box.combo(r, COL_PROFILE).currentData(),
            table.item(r, COL_AUTH).checkState() == Qt.CheckState.Checked,
            table.item(r, COL_NETWORKS).text(),
            table.item(r, COL_BADGE).text(),
        )
        for r in range(table.rowCount())
    ]


def test_listener_rows_show_strings_and_objects_with_their_badges(gui, english, tmp_path):
    cert, key = pem_pair(tmp_path)
    window = gui.open(server={"listen": MIXED, "tls_cert": cert, "tls_key": key})
    box = window.server_tab.listeners
    assert rows(box) == [
        ("0.0.0.0:25", "starttls", "modern", False, "", ""),
        ("0.0.0.0:2525", "none", "modern", False, "192.168.1.0/24, 10.0.0.5", NO_TLS),
        ("[::]:587", "starttls", "legacy", True, "", LEGACY),
    ]
    assert box.combo(0, COL_TLS).currentText() == "STARTTLS"
    assert box.combo(1, COL_TLS).currentText() == "None"
    assert box.combo(2, COL_PROFILE).currentText() == "Legacy (TLS 1.0+, old devices)"
    assert not box.combo(1, COL_PROFILE).isEnabled(), "no TLS: the profile does not apply"
    assert box.table.item(1, COL_BADGE).foreground().color().name() == WARNING


def test_badges_follow_the_row_and_the_certificate_field_live(gui, english, tmp_path):
    cert, _ = pem_pair(tmp_path)
    window = gui.open(server={"listen": MIXED[:1]})
    tab = window.server_tab
    box = tab.listeners

    def badge_text() -> str:
        return box.table.item(0, COL_BADGE).text()

    assert badge_text() == NO_CERTIFICATE, "STARTTLS with no certificate: nothing is offered"
    tab.cert.setText(cert)
    assert badge_text() == ""
    box.combo(0, COL_PROFILE).setCurrentIndex(box.combo(0, COL_PROFILE).findData("legacy"))
    assert badge_text() == LEGACY
    box.combo(0, COL_TLS).setCurrentIndex(box.combo(0, COL_TLS).findData("none"))
    assert badge_text() == NO_TLS
    box.combo(0, COL_TLS).setCurrentIndex(box.combo(0, COL_TLS).findData("starttls"))
    tab.cert.setText("")
    assert badge_text() == NO_CERTIFICATE


def test_editing_rows_writes_objects_only_where_needed(gui, english, tmp_path):
    """An edited row back at the defaults is the plain string again; rows nobody touched keep
    their form (an object with only defaults stays an object); a new row is a string."""
    cert, key = pem_pair(tmp_path)
    listen = [*MIXED, {"address": "0.0.0.0:26"}]
    window = gui.open(server={"listen": listen, "tls_cert": cert, "tls_key": key})
    box = window.server_tab.listeners
    table = box.table
    table.item(2, COL_AUTH).setCheckState(Qt.CheckState.Unchecked)
    box.combo(2, COL_PROFILE).setCurrentIndex(box.combo(2, COL_PROFILE).findData("modern"))
    table.item(0, COL_AUTH).setCheckState(Qt.CheckState.Checked)
    table.item(0, COL_NETWORKS).setText("192.168.10.0/24 , 192.168.11.*")
    box.add_button.click()
    assert table.item(4, COL_ADDRESS).text() == "0.0.0.0:465"
    table.item(4, COL_ADDRESS).setText("127.0.0.1:2626")
    gui.apply(window)
    assert window.problems.text() == ""
    assert gui.saved()["server"]["listen"] == [
        {
            "address": "0.0.0.0:25",
            "tls": "starttls",
            "tls_profile": "modern",
            "require_auth": True,
            "networks": ["192.168.10.0/24", "192.168.11.*"],
        },
        {
            "address": "0.0.0.0:2525",
            "tls": "none",
            "tls_profile": "modern",
            "require_auth": False,
            "networks": ["192.168.1.0/24", "10.0.0.5"],
        },
        "[::]:587",
        {"address": "0.0.0.0:26", "tls": "starttls", "tls_profile": "modern", "require_auth": False, "networks": []},
        "127.0.0.1:2626",
    ]

    table.setCurrentCell(1, COL_ADDRESS)
    box.remove_button.click()
    assert [r[0] for r in rows(box)] == ["0.0.0.0:25", "[::]:587", "0.0.0.0:26", "127.0.0.1:2626"]
    for _ in range(3):
        table.setCurrentCell(0, COL_ADDRESS)
        box.remove_button.click()
    assert [r[0] for r in rows(box)] == ["127.0.0.1:2626"]
    assert not box.remove_button.isEnabled(), "the last listener stays"
    box.remove_listener()
    assert window.working.server.listen == ["127.0.0.1:2626"]


def test_an_invalid_address_names_the_row_and_leaves_the_settings_unchanged(gui, english, tmp_path):
    cert, key = pem_pair(tmp_path)
    window = gui.open(server={"listen": MIXED, "tls_cert": cert, "tls_key": key})
    tab = window.server_tab
    table = tab.listeners.table
    before = settings_mod.to_dict(window.working)

    table.item(1, COL_ADDRESS).setText("0.0.0.0")
    assert tab.error.text() == "Listener 2: address: must be address:port, such as 0.0.0.0:25 or [::]:25"
    table.item(2, COL_AUTH).setCheckState(Qt.CheckState.Unchecked)  # a good edit elsewhere waits too
    assert settings_mod.to_dict(window.working) == before
    table.item(1, COL_ADDRESS).setText("0.0.0.0:2525")
    assert tab.error.text() == ""
    assert window.working.server.listen[2].require_auth is False

    table.item(0, COL_NETWORKS).setText("192.168.1.0/24, 192.168.1")
    assert tab.error.text() == "Listener 1: networks: 192.168.1 is not an IP address"
    assert window.working.server.listen[0] == "0.0.0.0:25"
    table.item(0, COL_NETWORKS).setText("")
    assert tab.error.text() == ""


def test_implicit_tls_without_a_certificate_is_named_by_row(gui, english):
    window = gui.open(server={"listen": ["127.0.0.1:0", "127.0.0.1:0"]})
    tab = window.server_tab
    box = tab.listeners
    box.combo(1, COL_TLS).setCurrentIndex(box.combo(1, COL_TLS).findData("implicit"))
    assert tab.error.text().startswith("Listener 2: tls: implicit TLS needs a certificate"), tab.error.text()
    assert window.working.server.listen[1].tls == "implicit", "written: Apply names it too"
    box.combo(1, COL_TLS).setCurrentIndex(box.combo(1, COL_TLS).findData("none"))
    box.table.item(1, COL_AUTH).setCheckState(Qt.CheckState.Checked)
    assert tab.error.text().startswith("Listener 2: require_auth: this listener has no TLS"), tab.error.text()


def test_limits_are_spin_boxes_with_an_off_for_the_ban(gui, english):
    window = gui.open(server={"max_connections": 60, "auth_failures_limit": 5})
    tab = window.server_tab
    connections = tab.findChild(QSpinBox, "maxConnections")
    per_client = tab.findChild(QSpinBox, "maxConnectionsPerClient")
    failures = tab.findChild(QSpinBox, "authFailuresLimit")
    ban = tab.findChild(QSpinBox, "authBanMinutes")
    # per client left out: the default, 50
    assert (connections.value(), per_client.value(), failures.value(), ban.value()) == (60, 50, 5, 30)
    assert "0 = off" in failures.toolTip()
    connections.setValue(300)
    per_client.setValue(4)
    ban.setValue(60)
    failures.setValue(0)
    assert failures.text() == "Off (no ban)"
    assert not ban.isEnabled()
    gui.apply(window)
    server = gui.saved()["server"]
    assert (server["max_connections"], server["max_connections_per_client"]) == (300, 4)
    assert (server["auth_failures_limit"], server["auth_ban_minutes"]) == (0, 60)


def test_the_number_boxes_offer_the_range_each_field_declares_so_any_valid_value_shows_as_it_is(gui):
    """The ranges are the settings' (``range_of``), not numbers of the window's own: a file's
    250000 recipients or 1000 hours is shown, not cut to an older box's maximum."""
    window = gui.open(server={"max_recipients": 250000}, queue={"max_age_hours": 1000})
    tab = window.server_tab
    boxes = {
        (settings_mod.Server, "processes"): tab.processes,
        (settings_mod.Server, "max_recipients"): tab.max_rcpts,
        (settings_mod.Server, "max_connections"): tab.max_connections,
        (settings_mod.Server, "max_connections_per_client"): tab.per_client,
        (settings_mod.Server, "auth_failures_limit"): tab.failures,
        (settings_mod.Server, "auth_ban_minutes"): tab.ban,
        (settings_mod.Queue, "max_age_hours"): tab.max_age,
        (settings_mod.Backup, "keep_days"): tab.keep_days,
        (settings_mod.Options, "max_forward_count"): window.relay_tab.max_forward,
    }
    for (section, name), box in boxes.items():
        assert (box.minimum(), box.maximum()) == settings_mod.range_of(section, name), name
    assert (tab.max_bytes.minimum(), tab.max_bytes.maximum()) == (1, 2047)  # MB of 1024 .. 2**31 - 1 bytes
    assert (tab.max_rcpts.value(), tab.max_age.value()) == (250000, 1000)


# --- the self-signed certificate ----------------------------------------------------------


def fingerprint_of(pem_path) -> str:
    """SHA-256 of the certificate (its DER bytes), as AB:CD:... ."""
    der = ssl.PEM_cert_to_DER_cert(pathlib.Path(pem_path).read_text(encoding="ascii"))
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def test_create_a_self_signed_certificate_fills_the_fields_and_shows_its_fingerprint(
    gui, english, tmp_path, monkeypatch
):
    data = tmp_path / "data"
    monkeypatch.setenv("TENSO_DATA_DIR", str(data))
    window = gui.open(server={"listen": ["127.0.0.1:0"], "hostname": "gateway.example.jp"})
    tab = window.server_tab
    window.tabs.setCurrentWidget(tab)
    assert tab.listeners.table.item(0, COL_BADGE).text() == NO_CERTIFICATE
    assert not tab.cert_info.isVisible()
    real = certificate.create_for

    def slow(settings, host=None):
        time.sleep(0.6)  # a slow disk or an old PC: the window must answer meanwhile
        return real(settings, host)

    monkeypatch.setattr(certificate, "create_for", slow)
    ticks: list[float] = []
    timer = gui.own(QTimer())
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(20)

    async def scenario() -> None:
        tab.create_cert.click()
        await until(lambda: tab.cert.text() and "SHA-256" in tab.cert_info.text(), 30, "the certificate")

    gui.run(scenario())
    timer.stop()
    cert, key = pathlib.Path(tab.cert.text()), pathlib.Path(tab.key.text())
    assert cert.is_file() and key.is_file() and cert.is_relative_to(data) and key.is_relative_to(data)
    assert (window.working.server.tls_cert, window.working.server.tls_key) == (str(cert), str(key))
    info = tab.cert_info.text()
    assert info.startswith(f"SHA-256 fingerprint: {fingerprint_of(cert)}\nfor gateway.example.jp, valid until 20"), info
    assert tab.cert_info.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    assert tab.listeners.table.item(0, COL_BADGE).text() == "", "STARTTLS has a certificate now"
    assert tab.create_cert.isEnabled() and tab.error.text() == ""
    assert len(ticks) > 10, f"the window's loop ran {len(ticks)} times while the certificate took 0.6 s"
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    assert max(gaps) < 0.45, f"the window froze for {max(gaps):.2f} s"
    gui.apply(window)
    assert window.problems.text() == ""
    assert gui.saved()["server"]["tls_cert"] == str(cert)


def test_a_configured_certificate_is_described_when_the_tab_opens(gui, english, tmp_path, monkeypatch):
    monkeypatch.setenv("TENSO_DATA_DIR", str(tmp_path / "data"))
    settings = make_settings(tmp_path, server={"hostname": "mfp-door.example.jp"})
    made = certificate.create_for(settings)
    window = gui.open(server={"hostname": "mfp-door.example.jp", "tls_cert": str(made.cert), "tls_key": str(made.key)})
    tab = window.server_tab
    gui.run(until(lambda: "SHA-256" in tab.cert_info.text(), 10, "the certificate's description"))
    assert tab.cert_info.text().startswith(f"SHA-256 fingerprint: {fingerprint_of(made.cert)}\nfor mfp-door.example.jp")
    tab.cert.setText(str(made.key))  # not a certificate
    gui.run(until(lambda: "Not a PEM certificate" in tab.cert_info.text(), 10, "a key is not a certificate"))
    assert "is not a PEM certificate" in tab.cert_info.toolTip()
    tab.cert.setText(str(tmp_path / "missing.pem"))
    gui.run(until(lambda: "cannot be read" in tab.cert_info.text(), 10, "a missing file said"))
    assert tab.cert_info.text() == f"The certificate file cannot be read: {tmp_path / 'missing.pem'}"
    tab.cert.setText("")
    gui.run(until(lambda: not tab.cert_info.isVisible(), 10, "the description gone"))


def test_a_certificate_that_cannot_be_written_is_an_error_in_the_tab(gui, english, tmp_path, monkeypatch):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder\n", encoding="ascii")
    monkeypatch.setenv("TENSO_DATA_DIR", str(blocked))
    window = gui.open()
    tab = window.server_tab

    async def scenario() -> None:
        tab.create_cert.click()
        await until(lambda: tab.error.text(), 30, "the failure to be said")

    gui.run(scenario())
    assert tab.error.text().startswith("Certificate not created: "), tab.error.text()
    assert tab.cert.text() == "" and window.working.server.tls_cert == ""
    assert tab.create_cert.isEnabled()
