"""``queue list --json`` gives its times as ``status --json`` does: ISO 8601, local, with the offset."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime

from app import cli
from app import settings as settings_mod
from app.store.spool import DEFERRED, Envelope, Spool

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")  # RFC 3339: the offset with its colon


def test_queue_list_json_times_are_iso_8601_like_status_json(tmp_path, capsys):
    queue = tmp_path / "queue"
    spool = Spool(queue)
    spool.store(
        "Q1",
        Envelope(
            sender="scan@example.co.jp", recipients=["a@example.net", "b@example.net"], received_at=time.time() - 60
        ),
        b"x\r\n",
    )
    stored = spool.load("Q1")
    first = stored.recipients[0]
    first.state, first.attempts, first.next_try = DEFERRED, 1, time.time() + 600
    spool.save_state(stored)
    config = tmp_path / "settings.json"
    settings_mod.save(settings_mod.from_dict({"queue": {"dir": str(queue)}}, source=config), config)

    assert cli.main(["queue", "list", "--config", str(config), "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert ISO.match(listed["received"]), listed["received"]
    assert datetime.fromisoformat(listed["received"]).timestamp() == int(stored.envelope.received_at)
    assert ISO.match(listed["recipients"][0]["next_try"])
    assert listed["recipients"][1]["next_try"] is None  # not waiting for a time

    assert cli.main(["queue", "list", "--config", str(config)]) == 0
    text = capsys.readouterr().out
    assert re.search(r"^Q1  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d  \d+ bytes  from <scan@example.co.jp>$", text, re.M), text
