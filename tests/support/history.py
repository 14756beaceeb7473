"""A message's received record for the history's tests: a scanner's mail, ``hours_ago`` before
``NOW``, any field replaced by ``values``."""

from __future__ import annotations

import time

from app.history.records import Received

NOW = time.time()
HOUR = 3600.0


def received(qid: str, hours_ago: float, **values) -> Received:
    fields = {
        "qid": qid,
        "received": NOW - hours_ago * HOUR,
        "client": "192.0.2.10",
        "login": "",
        "sender": "scan@example.jp",
        "recipients": ["sales@example.jp"],
        "header_from": "複合機 <scan@example.jp>",
        "subject": "スキャン",
        "message_id": f"<{qid}@mfp.example.jp>",
        "size": 1000,
        "attachments": 1,
    }
    fields.update(values)
    return Received(**fields)
