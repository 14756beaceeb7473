"""A headless gateway (``python -m app --headless``) serves the control channel on its queue, and
the command line talks to it there: what it really listens on, its settings, reloads, live log
lines, the queue and secrets kept in the gateway's own keyring."""

from __future__ import annotations

import json

from app.control.client import connect
from tests.support.processes import free_port, run_app, write_config


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
