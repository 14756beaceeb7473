"""``python -m app certificate create|show`` as administrators run them: the files it writes, the
settings file it changes, what it prints, and a gateway that serves the certificate over TLS."""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.processes import check, free_port, run_app
from tests.support.tls import handshake

CREATED = re.compile(
    r"certificate  (?P<cert>.+)\n"
    r"private key  (?P<key>.+)\n"
    r"host name    (?P<host>.+)\n"
    r"SHA-256      (?P<fingerprint>(?:[0-9A-F]{2}:){31}[0-9A-F]{2})\n"
    r"valid until  (?P<until>\d{4}-\d\d-\d\d \d\d:\d\d) UTC\n"
    r"settings     (?P<settings>.+): server\.tls_cert and server\.tls_key now name these files\n"
    r"next: restart Tenso so the listeners use it .*; on a device that asks, accept this certificate "
    r"or compare its SHA-256 fingerprint with the one above\n"
)
SHOWN = re.compile(
    r"certificate  (?P<cert>.+)\n"
    r"private key  (?P<key>.+)\n"
    r"host name    (?P<host>.+)\n"
    r"SHA-256      (?P<fingerprint>(?:[0-9A-F]{2}:){31}[0-9A-F]{2})\n"
    r"valid until  (?P<until>\d{4}-\d\d-\d\d \d\d:\d\d) UTC\n"
)


@pytest.fixture
def env(tmp_path):
    return {**os.environ, "TENSO_DATA_DIR": str(tmp_path / "data")}


def sha256_of_der(cert_path: Path) -> str:
    der = ssl.PEM_cert_to_DER_cert(cert_path.read_text(encoding="ascii"))
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def write_settings(tmp_path: Path, listen: list, **server) -> Path:
    path = tmp_path / "settings.json"
    data = {
        "version": 1,
        "server": {"hostname": "tenso.test", "listen": listen, **server},
        "rules": [{"match": "*", "destination": "127.0.0.1", "port": 2525, "tls": "none"}],
        "queue": {"dir": str(tmp_path / "queue")},
        "mailbox_dir": str(tmp_path / "mailboxes"),
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def create(config: Path, env: dict, *host: str):
    return run_app("certificate", "create", "--config", str(config), *(("--host", *host) if host else ()), env=env)


def pinning(cert: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # check_hostname and CERT_REQUIRED
    context.load_verify_locations(cafile=cert)
    return context


def reply(sock: socket.socket) -> bytes:
    """One SMTP reply, read byte by byte: nothing of the TLS handshake after it is taken."""
    data = b""
    while not re.search(rb"(?:^|\r\n)\d{3} [^\r\n]*\r\n$", data):
        byte = sock.recv(1)
        assert byte, f"connection closed after {data!r}"
        data += byte
    return data


def starttls(port: int, context: ssl.SSLContext, server_hostname: str) -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        assert reply(raw).startswith(b"220 ")
        raw.sendall(b"EHLO scanner.test\r\n")
        assert b"STARTTLS" in reply(raw)
        raw.sendall(b"STARTTLS\r\n")
        assert reply(raw).startswith(b"220 ")
        return context.wrap_socket(raw, server_hostname=server_hostname)
    except BaseException:
        raw.close()
        raise


def test_create_repairs_an_implicit_tls_listener_and_the_gateway_serves_the_certificate(tmp_path, env, tenso):
    port = free_port()
    listen = [f"127.0.0.1:{port}", {"address": f"127.0.0.1:{free_port()}", "tls": "implicit"}]
    config = write_settings(tmp_path, listen)
    before = check(config)
    assert before.returncode == 1 and "implicit TLS needs a certificate" in before.stderr

    done = create(config, env, "gw.example.jp")
    assert done.returncode == 0, done.stderr
    shown = CREATED.fullmatch(done.stdout)
    assert shown, done.stdout
    tls = tmp_path / "data" / "tls"
    cert, key = tls / "tenso-cert.pem", tls / "tenso-key.pem"
    assert (shown["cert"], shown["key"], shown["host"], shown["settings"]) == (
        str(cert),
        str(key),
        "gw.example.jp",
        str(config),
    )
    assert "fixed by the new certificate: server.listen[1].tls: implicit TLS needs a certificate" in done.stderr

    saved = json.loads(config.read_text(encoding="utf-8"))["server"]
    assert (saved["tls_cert"], saved["tls_key"]) == (str(cert), str(key))
    assert saved["hostname"] == "tenso.test" and saved["listen"][1]["tls"] == "implicit"  # the rest is kept
    after = check(config)
    assert after.returncode == 0, after.stderr
    assert after.stdout.startswith(f"{config}: OK")

    assert shown["fingerprint"] == sha256_of_der(cert)
    expires = datetime.strptime(shown["until"], "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    assert timedelta(days=3649) < expires - datetime.now(UTC) <= timedelta(days=3650)
    ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(cert, key)

    tenso(config, port)  # the real gateway, with the settings file as the command left it
    with starttls(port, pinning(cert), "gw.example.jp") as conn:
        got = conn.getpeercert(binary_form=True)
        assert got is not None
        assert ":".join(f"{b:02X}" for b in hashlib.sha256(got).digest()) == shown["fingerprint"]
        conn.sendall(b"EHLO scanner.test\r\n")
        assert reply(conn).startswith(b"250")
    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
        starttls(port, pinning(cert), "other.example.jp").close()


def test_an_ip_address_host_verifies_for_that_address_and_show_prints_the_same(tmp_path, env):
    config = write_settings(tmp_path, ["127.0.0.1:2526"])
    done = create(config, env, "127.0.0.1")
    assert done.returncode == 0, done.stderr
    made = CREATED.fullmatch(done.stdout)
    assert made and made["host"] == "127.0.0.1"
    cert, key = Path(made["cert"]), Path(made["key"])
    assert made["fingerprint"] == sha256_of_der(cert)

    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    handshake(server, pinning(cert), "127.0.0.1")  # matched against the IP address SAN
    with pytest.raises(ssl.SSLCertVerificationError, match="IP address mismatch"):
        handshake(server, pinning(cert), "127.0.0.2")

    shown = run_app("certificate", "show", "--config", str(config), env=env)
    assert shown.returncode == 0, shown.stderr
    found = SHOWN.fullmatch(shown.stdout)
    assert found, shown.stdout
    assert {k: found[k] for k in ("cert", "key", "host", "fingerprint", "until")} == {
        k: made[k] for k in ("cert", "key", "host", "fingerprint", "until")
    }


def test_without_a_settings_file_the_defaults_are_saved_with_the_certificate(tmp_path, env):
    config = tmp_path / "new" / "settings.json"
    done = create(config, env)  # no --host: server.hostname, the machine's name
    assert done.returncode == 0, done.stderr
    made = CREATED.fullmatch(done.stdout)
    assert made
    saved = json.loads(config.read_text(encoding="utf-8"))["server"]
    assert made["host"] == saved["hostname"].lower() and saved["tls_cert"] == made["cert"]
    assert check(config).returncode == 0


def test_a_second_create_replaces_the_pair_in_place(tmp_path, env):
    config = write_settings(tmp_path, ["127.0.0.1:2526"])
    first = CREATED.fullmatch(create(config, env, "gw.example.jp").stdout)
    second = CREATED.fullmatch(create(config, env, "gw2.example.jp").stdout)
    assert first and second
    assert (first["cert"], first["key"]) == (second["cert"], second["key"])
    assert first["fingerprint"] != second["fingerprint"] == sha256_of_der(Path(second["cert"]))
    assert sorted(p.name for p in (tmp_path / "data" / "tls").iterdir()) == ["tenso-cert.pem", "tenso-key.pem"]


def test_create_repairs_settings_whose_certificate_files_are_gone(tmp_path, env):
    config = write_settings(tmp_path, ["127.0.0.1:2526"], tls_cert="/nowhere/cert.pem", tls_key="/nowhere/key.pem")
    assert check(config).returncode == 1
    done = create(config, env, "gw.example.jp")
    assert done.returncode == 0, done.stderr
    assert "fixed by the new certificate: server.tls_cert: file not found" in done.stderr
    assert check(config).returncode == 0


def test_a_settings_file_with_other_problems_is_left_alone_and_nothing_is_made(tmp_path, env):
    config = write_settings(tmp_path, ["127.0.0.1:99999"])
    text = config.read_text(encoding="utf-8")
    done = create(config, env, "gw.example.jp")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"{config}: the settings have problems:",
        *[line for line in done.stderr.splitlines() if line.startswith("  server.listen")],
        "no certificate was made: fix the settings file first",
    ]
    assert "  server.listen" in done.stderr
    assert config.read_text(encoding="utf-8") == text
    assert not (tmp_path / "data" / "tls").exists()


def test_a_data_folder_that_cannot_be_written_fails_with_one_line(tmp_path, env):
    config = write_settings(tmp_path, ["127.0.0.1:2526"])
    text = config.read_text(encoding="utf-8")
    (tmp_path / "data").write_text("a file where the data folder should be")
    done = create(config, env, "gw.example.jp")
    assert done.returncode == 1 and done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"no certificate was made: cannot write to {tmp_path / 'data'}")
    assert lines[0].endswith("set TENSO_DATA_DIR to one that is")
    assert config.read_text(encoding="utf-8") == text


def test_a_host_that_is_not_a_name_fails_with_one_line(tmp_path, env):
    config = write_settings(tmp_path, ["127.0.0.1:2526"])
    done = create(config, env, "not a host")
    assert done.returncode == 1
    assert done.stderr == (
        "no certificate was made: 'not a host' is not a host name or an IP address; "
        "give the name devices use for Tenso with --host\n"
    )


def test_show_without_a_certificate_and_with_an_unreadable_one(tmp_path, env):
    config = write_settings(tmp_path, ["127.0.0.1:2526"])
    none = run_app("certificate", "show", "--config", str(config), env=env)
    assert none.returncode == 0
    assert none.stdout == (
        f"{config}: no certificate is set (server.tls_cert); make one with: "
        f"python -m app certificate create --config {config}\n"  # the file it was asked about (issue 25)
    )

    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    write_settings(tmp_path, ["127.0.0.1:2526"], tls_cert=str(garbage), tls_key=str(garbage))
    bad = run_app("certificate", "show", "--config", str(config), env=env)
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.startswith(f"the certificate cannot be read: {garbage} is not a PEM certificate")

    missing = run_app("certificate", "show", "--config", str(tmp_path / "typo.json"), env=env)
    assert missing.returncode == 2 and "no such settings file" in missing.stderr
