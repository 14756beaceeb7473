"""What the alerts keep on disk (app/alerts/state.py) and the daily summary's timing and words
(app/alerts/summary.py), with given times and real files."""

from __future__ import annotations

import json
import time

from app.alerts import state, summary
from app.alerts.decide import Told
from app.alerts.events import Condition, Event
from app.store.activity import Outcome


def test_what_was_told_survives_a_restart_of_the_file(tmp_path):
    path = tmp_path / state.FILE_NAME
    condition = Condition(
        "destination_failing:a:25", Event.DESTINATION_FAILING, "down", "停止", 10.0, {"destination": "a:25"}
    )
    saved = state.Saved({condition.key: Told(condition, 20.0)}, "2026-12-07", [state.Bounce(5.0, "q1 bounced")])
    state.save(path, saved)
    assert not (tmp_path / (state.FILE_NAME + ".tmp")).exists()  # written by rename
    again = state.load(path)
    assert again.told[condition.key].told == 20.0
    assert again.told[condition.key].condition.details == {"destination": "a:25"}
    assert again.summary_day == "2026-12-07" and again.bounces == [state.Bounce(5.0, "q1 bounced")]


def test_an_unreadable_file_starts_afresh_with_one_line(tmp_path, caplog):
    path = tmp_path / state.FILE_NAME
    path.write_text("{not json", encoding="utf-8")
    assert state.load(path).told == {}
    assert "alerts start afresh" in caplog.text


def test_the_marker_is_read_back_and_a_broken_one_counts_as_left_behind(tmp_path):
    path = tmp_path / state.MARKER_NAME
    assert state.read_marker(path) is None
    state.write_marker(path, state.Marker(42, 1.0, 2.0))
    assert state.read_marker(path) == state.Marker(42, 1.0, 2.0)
    assert json.loads(path.read_text())["alive"] == 2.0
    path.write_text("", encoding="utf-8")
    assert state.read_marker(path) == state.Marker(0, 0.0, 0.0)
    state.remove_marker(path)
    assert state.read_marker(path) is None


def local(y: int, m: int, d: int, hour: int, minute: int = 0) -> float:
    return time.mktime((y, m, d, hour, minute, 0, 0, 0, -1))


def test_the_summary_is_due_once_a_day_from_its_hour():
    assert not summary.due(local(2026, 12, 8, 7, 59), 8, "")
    assert summary.due(local(2026, 12, 8, 8, 0), 8, "2026-12-07")
    assert summary.due(local(2026, 12, 8, 15, 0), 8, "2026-12-07")  # started after the hour: still today's
    assert not summary.due(local(2026, 12, 8, 15, 0), 8, "2026-12-08")  # sent already (a restart)
    assert not summary.due(local(2026, 12, 8, 15, 0), -1, "")  # off


def test_yesterday_is_local_midnight_to_midnight():
    start, end = summary.yesterday(local(2026, 12, 8, 9, 30))
    assert (start, end) == (local(2026, 12, 7, 0), local(2026, 12, 8, 0))


def test_the_summary_words_counts_bounces_and_what_waits_in_both_languages():
    counts = dict.fromkeys(Outcome, 0) | {Outcome.RECEIVED: 12, Outcome.RELAYED: 10, Outcome.BOUNCED: 1}
    waiting = [summary.Waiting("ABC", local(2026, 12, 7, 18), "scan@lan.test", "x@far.test", 3, "451 4.4.0 down")]
    subject, text = summary.build(
        "2026-12-07", counts, ["Q1 bounced: DSN (Q2) to <a@b> for <c@d>"], 0, waiting, "gw.test"
    )
    assert "2026-12-07" in subject and "12 received" in subject and "1 bounced" in subject
    assert "  received: 12" in text and "  受信: 12" in text
    assert "Q1 bounced: DSN (Q2)" in text
    assert "ABC" in text and "451 4.4.0 down" in text and "x@far.test" in text
    assert "現在キューで待機中（1 宛先）" in text
    _, empty = summary.build("2026-12-07", counts, [], 0, [], "gw.test")
    assert "  none" in empty and "  なし" in empty


def test_a_bounce_line_with_a_hostile_clients_bytes_is_written_and_read_back(tmp_path):
    path = tmp_path / state.FILE_NAME
    line = "Q1 bounced: DSN (Q2) to <a@lan.test> for <\udce2\udc82@dest.test>"  # as aiosmtpd hands them over
    state.save(path, state.Saved(bounces=[state.Bounce(1.0, line)], summary_day="2026-12-07"))
    assert state.load(path).bounces == [state.Bounce(1.0, line)]
