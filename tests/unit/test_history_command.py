"""``python -m app history``: each option reaches the search (a test per option that fails if the
option were ignored), the text lines an administrator reads, and the words for a bad time."""

from __future__ import annotations

import contextlib
import io
import json
import time

import pytest

from app import cli
from app import settings as settings_mod
from app.history.records import Attempt, Received, Refusal
from app.history.writer import Recorder

NOW = time.time()


def received(qid: str, hours_ago: float, **values) -> Received:
    fields = {
        "qid": qid,
        "received": NOW - hours_ago * 3600,
        "client": "192.0.2.10",
        "login": "",
        "sender": "scan@example.jp",
        "recipients": ["sales@example.jp"],
        "header_from": "",
        "subject": "スキャン",
        "message_id": f"<{qid}@mfp>",
        "size": 100,
        "attachments": 0,
    }
    return Received(**{**fields, **values})


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "settings.json"
    settings = settings_mod.from_dict({"queue": {"dir": str(tmp_path / "queue")}}, source=path)
    settings_mod.save(settings, path)
    recorder = Recorder(settings.history_path, settings.queue_dir / "msg")
    recorder.add(
        [
            received("OLD", 50, sender="fax@example.jp"),
            received("MID", 20, recipients=["boss@example.jp"], subject="請求書"),
            received("NEW", 1, message_id="<wanted@mfp>", login="device:mfp-2f"),
            Attempt("OLD", "sales@example.jp", 1, NOW - 49 * 3600, "sent", "250 2.0.0 Ok: queued as Q9", 1, "smtp:25"),
            Attempt("OLD", "sales@example.jp", 1, NOW - 49 * 3600, "sent", "250 2.0.0 Ok: queued as Q9", 1, "smtp:25"),
            Attempt("MID", "boss@example.jp", 2, NOW - 19 * 3600, "bounced", "550 5.1.1 unknown", 1, "smtp:25"),
            Refusal("R", NOW - 30 * 3600, "RCPT", "203.0.113.9", "", "x@bad.example", ["v@example.jp"], "550 no relay"),
        ]
    )
    recorder.add([received("OLD", 50, sender="fax@example.jp")])  # told twice: one row
    recorder.write_pending()
    return path


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(list(argv))
        except SystemExit as exc:  # argparse
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def ids(config, *options: str) -> list[str | None]:
    code, out, err = run("history", "--config", str(config), "--json", *options)
    assert code == 0, err
    return [found["id"] for found in json.loads(out)]


def test_without_options_everything_newest_first(config):
    assert ids(config) == ["NEW", "MID", None, "OLD"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--since", "24h"], ["NEW", "MID"]),
        (["--until", "24h"], [None, "OLD"]),
        (["--since", "2d", "--until", "10h"], ["MID", None]),
        (["--from", "fax@"], ["OLD"]),
        (["--to", "boss@"], ["MID"]),
        (["--subject", "請求"], ["MID"]),
        (["--message-id", "wanted@mfp"], ["NEW"]),
        (["--state", "bounced"], ["MID"]),
        (["--state", "sent"], ["OLD"]),
        (["--state", "refused"], [None]),
        (["--limit", "2"], ["NEW", "MID"]),
    ],
)
def test_each_option_selects_exactly(config, options, expected):
    assert ids(config, *options) == expected


def test_the_text_shows_each_recipient_with_its_state_reply_and_the_upstreams_id(config):
    code, out, _ = run("history", "--config", str(config), "--to", "sales@", "--until", "40h")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].endswith('OLD  from <fax@example.jp> (192.0.2.10)  "スキャン"')
    assert lines[2] == "    <sales@example.jp> sent (rule 1, smtp:25): 250 2.0.0 Ok: queued as Q9"
    code, out, _ = run("history", "--config", str(config), "--state", "refused")
    assert "REFUSED  from <x@bad.example> (203.0.113.9) to <v@example.jp>: 550 no relay" in out
    code, out, _ = run("history", "--config", str(config), "--limit", "1")
    assert "(the newest 1; --limit N shows more" in out


def test_nothing_found_and_no_file_yet_are_said_in_words(config, tmp_path):
    assert run("history", "--config", str(config), "--subject", "none such")[1] == "no message in the history matches\n"
    other = tmp_path / "other.json"
    settings_mod.save(settings_mod.from_dict({"queue": {"dir": str(tmp_path / "q2")}}, source=other), other)
    code, out, _ = run("history", "--config", str(other))
    assert code == 0 and out.startswith("no history yet:")


def test_a_time_a_state_or_a_limit_that_is_not_one_is_refused_with_what_it_takes(config):
    code, _, err = run("history", "--config", str(config), "--since", "yesterday")
    assert code == 2
    assert "2026-12-08T09:30 (ISO 8601), or as a time ago: 2h, 3d" in err
    code, _, err = run("history", "--config", str(config), "--state", "lost")
    assert code == 2
    assert err.startswith("python -m app history: error: argument --state: 'lost': choose one of sent, delivered")
    code, _, err = run("history", "--config", str(config), "--limit", "0")
    assert code == 2 and "write a whole number of 1 or more" in err
