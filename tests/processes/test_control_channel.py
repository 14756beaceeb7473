"""A headless gateway (``python -m app --headless``) serves the control channel on its queue, and
the command line talks to it there: what it really listens on, its settings, reloads, live log
lines, the queue and secrets kept in the gateway's own keyring."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import keyring
import pytest

from app.control.client import ControlError, connect
from tests.support import REPO
from tests.support.processes import TensoProcess, dead_port, free_port, run_app, write_config
from tests.support.smtp import message, send


def _queue(config):
    return config.parent / "queue"


def test_the_headless_gateway_answers_engine_status_and_settings(tmp_path, tenso, upstream_factory):
    up = upstream_factory()
    port = free_port()
    config = write_config(tmp_path, port, up.port)
    gw = tenso(config, port)
    with connect(_queue(config)) as client:
        engine = client.call("engine")
        assert engine["mode"] == "headless"
        assert engine["pid"] == gw.proc.pid
        assert engine["config"] == str(config)
        assert engine["queue"] == str(_queue(config).resolve())
        status = client.call("status")
        assert status["listening"] == [f"127.0.0.1:{port}"]
        assert status["engine"] == engine
        got = client.call("settings.get")
        assert got["config"] == str(config)
        assert got["settings"]["rules"][0]["port"] == up.port


def test_reload_and_apply_through_the_channel_say_what_happened(tmp_path, tenso, upstream_factory):
    up = upstream_factory()
    port = free_port()
    config = write_config(tmp_path, port, up.port)
    gw = tenso(config, port)
    with connect(_queue(config)) as client:
        assert client.call("reload") == {
            "reloaded": True,
            "message": f"settings reloaded from {config}: 1 rule(s)",
            "problems": [],
        }
        good = config.read_text(encoding="utf-8")
        config.write_text(good.replace('"tls": "none"', '"tls": "sometimes"'), encoding="utf-8")
        answer = client.call("reload")
        assert answer["reloaded"] is False
        assert answer["problems"] and answer["problems"][0].startswith("rules[0].tls:")
        assert answer["message"].endswith("the running settings stay")

        data = json.loads(good)
        data["server"]["max_recipients"] = 5
        assert client.call("settings.apply", settings=data)["reloaded"] is True
        assert json.loads(config.read_text(encoding="utf-8"))["server"]["max_recipients"] == 5
        assert client.call("settings.get")["settings"]["server"]["max_recipients"] == 5
        data["server"]["listen"] = ["nonsense"]
        refused = client.call("settings.apply", settings=data)
        assert refused["reloaded"] is False and refused["problems"][0].startswith("server.listen[0]:")
        assert json.loads(config.read_text(encoding="utf-8"))["server"]["listen"] == [f"127.0.0.1:{port}"]
    gw.wait_log(r"settings not applied: server\.listen\[0\]")


def test_log_follow_gives_the_gateways_lines_as_they_come(tmp_path, tenso, upstream_factory):
    up = upstream_factory()
    port = free_port()
    config = write_config(tmp_path, port, up.port)
    tenso(config, port)
    with connect(_queue(config)) as client:
        lines = client.follow("log.follow", last=3)
        first = [next(lines) for _ in range(3)]
        assert any("running (headless)" in line for line in first), first
        result = run_app("queue", "pause", "--config", str(config))
        assert result.returncode == 0, result.stderr
        assert "INFO delivery paused" in next(lines)
        lines.close()


# --- the command line through the channel --------------------------------------------------------


def test_status_shows_what_the_gateway_runs_even_from_another_file_or_one_with_a_typo(
    tmp_path, tenso, upstream_factory
):
    up = upstream_factory()
    port = free_port()
    config = write_config(tmp_path, port, up.port)
    gw = tenso(config, port)
    other = tmp_path / "other.json"  # another file on the same queue, which says port 25
    other.write_text(
        json.dumps({"server": {"listen": ["0.0.0.0:25"]}, "queue": {"dir": str(_queue(config))}}), encoding="utf-8"
    )
    for given in (config, other):
        result = run_app("status", "--json", "--config", str(given))
        assert result.returncode == 0, result.stderr
        found = json.loads(result.stdout)
        assert found["listening"] == [f"127.0.0.1:{port}"]
        assert found["engine"]["mode"] == "headless" and found["engine"]["pid"] == gw.proc.pid
        assert found["state"] == "running"
    text = run_app("status", "--config", str(other))
    lines = text.stdout.splitlines()
    assert lines[0].startswith(f"Tenso is running (headless, pid {gw.proc.pid}, since ")
    assert lines[0].endswith(f"listening on 127.0.0.1:{port}")
    assert lines[1] == f"note: the gateway on this queue runs with {config}, not {other}; it shows what it runs"

    typo = config.read_text(encoding="utf-8").replace('"tls": "none"', '"tls": "nnone"')
    config.write_text(typo, encoding="utf-8")
    result = run_app("status", "--json", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["listening"] == [f"127.0.0.1:{port}"]
    assert "rules[0].tls:" in result.stderr
    text = run_app("status", "--config", str(config))
    assert text.returncode == 0
    assert text.stdout.splitlines()[1].startswith(f"{config} has problems; the gateway has not taken it: rules[0].tls:")

    # A syntax error (a comma too many) elsewhere in the file: its queue.dir is still read from the
    # text, and the gateway on that queue answers.
    comma = typo.replace('"tls": "nnone"', '"tls": "none",', 1)
    config.write_text(comma, encoding="utf-8")
    result = run_app("status", "--json", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["engine"]["pid"] == gw.proc.pid
    assert "a comma before" in result.stderr

    config.write_text("{ this is no json", encoding="utf-8")  # even when not JSON: the default queue is
    assert run_app("status", "--config", str(config)).returncode == 1  # asked, and none runs there


def test_status_json_has_engine_null_when_nothing_runs(tmp_path):
    config = write_config(tmp_path, free_port(), free_port())
    result = run_app("status", "--json", "--config", str(config))
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["engine"] is None and found["state"] == "stopped"


def test_queue_list_retry_and_bounce_go_through_the_gateway(tmp_path, tenso, upstream_factory):
    down = dead_port()
    port = free_port()
    config = write_config(tmp_path, port, down)
    gw = tenso(config, port)
    send(port, "a@lan.test", ["x@example.net"], message("waits"))
    gw.wait_log(r"deferred")

    listed = run_app("queue", "list", "--json", "--config", str(config))
    assert listed.returncode == 0, listed.stderr
    (queued,) = json.loads(listed.stdout)
    qid = queued["id"]
    assert queued["recipients"][0]["state"] == "deferred"
    assert "T" in queued["received"]  # ISO 8601, as status --json

    retried = run_app("queue", "retry", qid, "--config", str(config))
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout == f"{qid}: retried now\n"
    gw.wait_log(rf"retry now requested for {qid}")

    unknown = run_app("queue", "bounce", "NOSUCHID", qid, "--config", str(config))
    assert unknown.returncode == 1
    assert "NOSUCHID: NOSUCHID is not in the queue" in unknown.stderr
    assert f"{qid}: returned to the sender" in unknown.stdout
    gw.wait_log(rf"{qid} bounce requested by the administrator")
    gw.wait_log(rf"{qid} .*bounced")

    left = json.loads(run_app("queue", "list", "--json", "--config", str(config)).stdout)
    assert [m["sender"] for m in left] == [""]  # only the bounce to a@lan.test waits (its rule is down too)
    paused = run_app("queue", "pause", "--config", str(config))
    assert paused.returncode == 0 and paused.stdout == "delivery paused (mail is still accepted)\n"
    gw.wait_log(r"delivery paused: mail is still accepted and kept in the queue")
    status = json.loads(run_app("status", "--json", "--config", str(config)).stdout)
    assert status["state"] == "paused"
    assert run_app("queue", "resume", "--config", str(config)).returncode == 0
    gw.wait_log(r"delivery resumed")


def _keyring_file(xdg: Path) -> Path:
    return xdg / "python_keyring" / "keyring_pass.cfg"


@pytest.mark.skipif(sys.platform == "win32", reason="keyrings.alt's file follows XDG_DATA_HOME on Unix only")
def test_password_set_is_stored_by_the_gateways_process_in_its_own_keyring(tmp_path, upstream_factory):
    up = upstream_factory()
    port = free_port()
    config = write_config(tmp_path, port, up.port)
    gateway_home = tmp_path / "gateway-xdg"  # the gateway's keyring file: not the command line's
    env = {**os.environ, "XDG_DATA_HOME": str(gateway_home)}
    gw = TensoProcess(config, port, tmp_path / "tenso.log", env=env)
    try:
        gw.wait_listening()
        key = f"account:ctl{secrets.token_hex(4)}"
        secret = "s3cret-" + secrets.token_hex(8)
        result = run_app("password", "set", key, "--config", str(config), stdin=secret + "\n")
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"password for {key} stored by the running gateway (headless, pid ")
        assert _stored_in(gateway_home, key) == secret
        assert keyring.get_password("tenso", key) is None  # the command line's own keyring did not get it
        with connect(_queue(config)) as client:
            assert client.call("password.is_set", key=key) == {"key": key, "set": True}
        assert secret not in gw.log  # never logged
        assert f"password for {key} stored in the gateway's keyring" in gw.log

        deleted = run_app("password", "delete", key, "--config", str(config))
        assert deleted.returncode == 0, deleted.stderr
        with connect(_queue(config)) as client:
            assert client.call("password.is_set", key=key)["set"] is False
    finally:
        gw.close()


def _stored_in(xdg: Path, key: str) -> str | None:
    """What the keyring file of the process whose XDG_DATA_HOME is ``xdg`` holds for ``key``."""
    from keyrings.alt.file import PlaintextKeyring

    store = PlaintextKeyring()
    store.file_path = str(_keyring_file(xdg))
    return store.get_password("tenso", key)


def test_account_status_and_logout_ask_the_gateway(tmp_path, tenso, upstream_factory):
    up = upstream_factory()
    port = free_port()
    config = write_config(tmp_path, port, up.port)
    data = json.loads(config.read_text(encoding="utf-8"))
    data["accounts"] = [{"name": "office", "username": "sato@example.jp"}]
    config.write_text(json.dumps(data), encoding="utf-8")
    tenso(config, port)
    result = run_app("account", "status", "--json", "--config", str(config))
    assert result.returncode == 0, result.stderr
    (office,) = json.loads(result.stdout)
    assert office["name"] == "office" and office["kind"] == "password" and office["signed_in"] is False
    missing = run_app("account", "logout", "nobody", "--config", str(config))
    assert missing.returncode == 1
    assert "no account named nobody in accounts of" in missing.stderr and "(the running gateway's)" in missing.stderr


def test_account_login_runs_the_browser_part_here_and_the_gateway_keeps_the_tokens(tmp_path, upstream_factory):
    from tests.support.oauth import AuthServer, browse

    auth = AuthServer()
    up = upstream_factory()
    port = free_port()
    config = write_config(tmp_path, port, up.port)
    data = json.loads(config.read_text(encoding="utf-8"))
    data["accounts"] = [{"name": "m365", "username": auth.user, "oauth2": auth.oauth2("authorization_code")}]
    config.write_text(json.dumps(data), encoding="utf-8")
    gateway_data, cli_data = tmp_path / "gateway-data", tmp_path / "cli-data"
    gw = TensoProcess(config, port, tmp_path / "tenso.log", env={**os.environ, "TENSO_DATA_DIR": str(gateway_data)})
    cli_env = {**os.environ, "TENSO_DATA_DIR": str(cli_data)}
    try:
        gw.wait_listening()
        proc = subprocess.Popen(
            [sys.executable, "-m", "app", "account", "login", "m365", "--config", str(config), "--no-browser"],
            cwd=REPO,
            env=cli_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None
            url = ""
            while not url.startswith("http"):
                url = proc.stdout.readline().strip()
                assert url or proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert "Signed in" in browse(url)
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        assert proc.returncode == 0, err
        assert "m365: the running gateway keeps the tokens" in out
        assert (gateway_data / "tokens" / "m365.tokens").exists()
        assert not (cli_data / "tokens" / "m365.tokens").exists()
        status = run_app("account", "status", "m365", "--json", "--config", str(config), env=cli_env)
        assert json.loads(status.stdout)[0]["signed_in"] is True
        gw.wait_log(r"account m365: signed in \(the tokens were handed over through the control channel\)")
        out = run_app("account", "logout", "m365", "--config", str(config), env=cli_env)
        assert out.returncode == 0 and out.stdout.strip() == "m365: signed out"
        assert not (gateway_data / "tokens" / "m365.tokens").exists()
    finally:
        gw.close()
        auth.stop()


def test_a_second_gateway_on_the_same_queue_leaves_the_first_ones_channel_alone(tmp_path, tenso, upstream_factory):
    up = upstream_factory()
    port = free_port()
    config = write_config(tmp_path, port, up.port)
    first = tenso(config, port)
    second_config = tmp_path / "second.json"
    data = json.loads(config.read_text(encoding="utf-8"))
    data["server"]["listen"] = [f"127.0.0.1:{free_port()}"]
    second_config.write_text(json.dumps(data), encoding="utf-8")
    result = run_app("--headless", "--config", str(second_config), timeout=30)
    assert result.returncode == 2
    assert "stop it first, or give this one its own queue.dir" in result.stderr
    with connect(_queue(config)) as client:
        assert client.call("engine")["pid"] == first.proc.pid


def test_history_is_searched_in_the_gateways_own_file(tmp_path, tenso, upstream_factory):
    up = upstream_factory()
    port = free_port()
    config = write_config(tmp_path, port, up.port)
    gw = tenso(config, port)
    send(port, "a@lan.test", ["x@example.net"], message("kept in the history"))
    up.handler.wait_for(1)
    gw.wait_log(r"removed: delivered to every recipient")
    with connect(_queue(config)) as client:
        found = []
        for _ in range(50):  # the history's writer is a thread of its own: the record comes soon after
            found = client.call("history", to="x@example.net")
            if found and found[0]["recipients"][0]["state"] == "sent":
                break
            time.sleep(0.1)
        assert [m["recipients"][0]["address"] for m in found] == ["x@example.net"]
        assert found[0]["recipients"][0]["state"] == "sent"
        detail = client.call("history.detail", id=found[0]["id"])
        assert detail["id"] == found[0]["id"] and detail["timeline"][0]["event"] == "received"
        assert client.call("history.detail", id="NOSUCHID") is None
        with pytest.raises(ControlError, match="is not a time"):
            client.call("history", since="yesterday-ish")


def test_the_history_command_asks_the_running_gateway_and_reads_the_file_when_none_runs(
    tmp_path, tenso, upstream_factory
):
    up = upstream_factory()
    port = free_port()
    config = write_config(tmp_path, port, up.port)
    gw = tenso(config, port)
    send(port, "a@lan.test", ["x@example.net"], message("asked of the gateway"))
    up.handler.wait_for(1)
    gw.wait_log(r"removed: delivered to every recipient")
    # A typo the gateway has not taken: the file alone could not be read, the gateway answers.
    config.write_text(config.read_text(encoding="utf-8").replace('"tls": "none"', '"tls": "nnone"'), encoding="utf-8")
    found: list = []
    for _ in range(50):  # the history's writer is a thread of its own: the record comes soon after
        result = run_app("history", "--json", "--to", "x@example.net", "--config", str(config))
        assert result.returncode == 0, result.stderr
        found = json.loads(result.stdout)
        if found and found[0]["recipients"][0]["state"] == "sent":
            break
        time.sleep(0.1)
    assert [m["recipients"][0]["address"] for m in found] == ["x@example.net"]
    assert f"headless, pid {gw.proc.pid}" in result.stderr
    assert "rules[0].tls:" in result.stderr
    gw.close()
    alone = run_app("history", "--json", "--config", str(config))  # no gateway: the file, and its typo
    assert alone.returncode == 1 and "rules[0].tls:" in alone.stderr
    assert "pid" not in alone.stderr


AS_NOBODY = """
import os, sys
from app.cli import main
import encodings.idna, encodings.utf_8_sig, sqlite3  # what the command loads later, from root's folders
import app.cli.history, app.control.client, app.control.unix, app.history.query, app.history.schema
os.setegid(65534)
os.seteuid(65534)  # from here on the user nobody, as another user at the same PC
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() != 0, reason="only root can act as another user (Unix)")
def test_a_user_the_channel_refuses_reads_the_history_file_if_it_may_else_is_told_why(tenso, upstream_factory):
    top = Path(tempfile.mkdtemp(prefix="tenso-hist-", dir="/tmp"))  # every user may enter it, as /var/spool
    try:
        os.chmod(top, 0o755)
        up = upstream_factory()
        port = free_port()
        config = write_config(top, port, up.port)
        gw = tenso(config, port)
        send(port, "a@lan.test", ["x@example.net"], message("read by another user"))
        up.handler.wait_for(1)
        gw.wait_log(r"removed: delivered to every recipient")
        history = _queue(config) / "history.sqlite3"
        with connect(_queue(config)) as client:  # the record is written: the gateway's own user sees it
            for _ in range(50):
                if client.call("history", to="x@example.net"):
                    break
                time.sleep(0.1)

        def as_nobody() -> subprocess.CompletedProcess:
            return subprocess.run(
                [sys.executable, "-c", AS_NOBODY, "history", "--json", "--config", str(config)],
                cwd=REPO,
                capture_output=True,
                text=True,
                timeout=30,
            )

        refused = f"note: a gateway runs on {_queue(config)}, but this user may not command it (Permission denied)"
        readable = as_nobody()
        assert readable.returncode == 0, readable.stderr
        assert readable.stderr.startswith(refused) and "showing what the files say" in readable.stderr
        assert [m["subject"] for m in json.loads(readable.stdout)] == ["read by another user"]

        for path in _queue(config).glob("history.sqlite3*"):
            path.chmod(0o600)
        unreadable = as_nobody()
        assert unreadable.returncode == 1
        assert unreadable.stderr.startswith(refused)
        assert f"cannot read the history file {history}:" in unreadable.stderr
    finally:
        shutil.rmtree(top, ignore_errors=True)
