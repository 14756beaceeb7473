"""engine_stopped: a headless gateway killed with SIGKILL is told at its next start (the marker
running.json was left in the queue folder); one stopped cleanly (SIGTERM) is not."""

from __future__ import annotations

import json
import os
import signal

from tests.support.processes import free_port
from tests.support.waiting import wait_until
from tests.support.webhook import WebhookReceiver


def first_round_done(queue):
    """The watcher renews the marker's ``alive`` after each round: past ``started``, one is done."""
    try:
        marker = json.loads((queue / "running.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return False
    return marker["alive"] > marker["started"]


def test_a_kill_is_told_at_the_next_start_and_a_clean_stop_is_not(tmp_path, tenso):
    hook = WebhookReceiver()
    try:
        port = free_port()
        queue = tmp_path / "queue"
        config = tmp_path / "settings.json"
        config.write_text(
            json.dumps(
                {
                    "server": {"hostname": "tenso.test", "listen": [f"127.0.0.1:{port}"]},
                    "queue": {"dir": str(queue)},
                    "alerts": {"webhook_url": hook.url},
                }
            ),
            encoding="utf-8",
        )
        first = tenso(config, port)
        wait_until(lambda: first_round_done(queue), 15, "the first round of the watcher")
        assert hook.posts == []  # a first start ever: nothing ended without a stop
        os.kill(first.proc.pid, signal.SIGKILL)
        first.proc.wait(10)
        assert (queue / "running.json").exists()

        second = tenso(config, port)
        hook.wait_posts(1)
        assert hook.events() == [("engine_stopped", "started")]
        assert hook.posts[0]["details"]["last_alive"]
        assert "ended without being stopped" in hook.posts[0]["text"]
        assert "ended without a stop" in second.log
        second.proc.send_signal(signal.SIGTERM)
        assert second.proc.wait(15) == 0
        assert not (queue / "running.json").exists()

        third = tenso(config, port)
        wait_until(lambda: first_round_done(queue), 15, "the first round after a clean stop")
        assert hook.events() == [("engine_stopped", "started")], third.log
    finally:
        hook.stop()
