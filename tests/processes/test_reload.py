"""The headless gateway takes a changed settings file without a restart: SIGHUP, or
``python -m app reload`` (Windows has no SIGHUP); a file with problems changes nothing."""

from __future__ import annotations

import json
import signal

import pytest

from tests.support.processes import free_port, run_app, write_config
from tests.support.smtp import message, send

needs_sighup = pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP on this system")


def _point_rule_at(config, port: int) -> None:
    data = json.loads(config.read_text(encoding="utf-8"))
    data["rules"][0]["port"] = port
    config.write_text(json.dumps(data), encoding="utf-8")


@needs_sighup
def test_sighup_applies_a_changed_file_and_a_broken_one_keeps_the_running_settings(tmp_path, tenso, upstream_factory):
    first, second = upstream_factory(), upstream_factory()
    port = free_port()
    config = write_config(tmp_path, port, first.port)
    gw = tenso(config, port)
    send(port, "a@lan.test", ["one@example.net"], message("before"))
    first.handler.wait_for(1)

    _point_rule_at(config, second.port)
    gw.proc.send_signal(signal.SIGHUP)
    gw.wait_log(r"settings reloaded from .*settings\.json: 1 rule\(s\)")
    send(port, "a@lan.test", ["two@example.net"], message("after"))
    (got,) = second.handler.wait_for(1)
    assert got.rcpt_tos == ["two@example.net"]

    good = config.read_text(encoding="utf-8")
    config.write_text(good.replace('"tls": "none"', '"tls": "sometimes"'), encoding="utf-8")
    gw.proc.send_signal(signal.SIGHUP)
    gw.wait_log(r"settings not reloaded: .* has problems \(rules\[0\]\.tls: .*\); the running settings stay")
    send(port, "a@lan.test", ["three@example.net"], message("still"))
    assert [m.rcpt_tos for m in second.handler.wait_for(2)][1] == ["three@example.net"]
    assert gw.proc.poll() is None, "a broken file must not stop the gateway"
    assert "Traceback" not in gw.log


def test_the_reload_command_says_whether_the_running_gateway_took_the_file(tmp_path, tenso, upstream_factory):
    first, second = upstream_factory(), upstream_factory()
    port = free_port()
    config = write_config(tmp_path, port, first.port)
    gw = tenso(config, port)
    _point_rule_at(config, second.port)

    result = run_app("reload", "--config", str(config), timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"reloaded: settings reloaded from {config}: 1 rule(s)\n"
    gw.wait_log(r"settings reloaded from .*settings\.json")
    send(port, "a@lan.test", ["x@example.net"], message("after reload"))
    (got,) = second.handler.wait_for(1)
    assert got.rcpt_tos == ["x@example.net"] and not first.messages

    good = config.read_text(encoding="utf-8")
    config.write_text(good.replace('"tls": "none"', '"tls": "sometimes"'), encoding="utf-8")
    result = run_app("reload", "--config", str(config), timeout=30)
    assert result.returncode == 1
    assert result.stderr.startswith(f"not reloaded: settings not reloaded: {config} has problems (rules[0].tls: ")
    assert result.stderr.rstrip().endswith("the running settings stay")
    send(port, "a@lan.test", ["y@example.net"], message("still the old rule"))
    assert [m.rcpt_tos for m in second.handler.wait_for(2)][1] == ["y@example.net"]


def test_the_reload_command_says_so_when_no_gateway_runs(tmp_path):
    config = write_config(tmp_path, free_port(), free_port())
    result = run_app("reload", "--config", str(config), timeout=30)
    assert result.returncode == 1
    assert "no gateway is running on" in result.stderr
