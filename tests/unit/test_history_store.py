"""The history file, written by the real Recorder thread and read by query.search / detail:
each filter selects exactly, pages run newest first, a record written twice is one row, old
records go after history.days, the file stays under its bound, and nothing is written when the
history is off."""

from __future__ import annotations

import logging
import sqlite3
import time
from datetime import UTC, datetime

import pytest

from app.history import query
from app.history.query import Filters
from app.history.records import Attempt, Refusal, State
from app.history.writer import Recorder
from app.store.spool import Envelope, Spool
from tests.support.history import HOUR, NOW
from tests.support.history import received as message


def attempt(qid: str, recipient: str, n: int, state: State, reply: str, hours_ago: float = 0.0, **values) -> Attempt:
    return Attempt(qid, recipient, n, NOW - hours_ago * HOUR, state.value, reply, **values)


@pytest.fixture
def recorder(tmp_path):
    made = Recorder(tmp_path / "queue" / "history.sqlite3", tmp_path / "queue" / "msg")
    made.start()
    yield made
    made.stop()


@pytest.fixture
def filled(recorder):
    """Four messages, each unlike the others in one way, and one refusal."""
    recorder.add(
        [
            message("A", 30, sender="scan@example.jp", subject="見積書 12月"),
            message("B", 20, sender="fax@example.jp", header_from="FAX <fax@example.jp>", subject="請求書"),
            message("C", 10, recipients=["boss@other.example", "sales@example.jp"], subject="議事録"),
            message("D", 1, message_id="<special@mfp.example.jp>", subject="週報", login="device:mfp-2f"),
            attempt("A", "sales@example.jp", 1, State.SENT, "250 2.0.0 Ok: queued as ABC1", 29, upstream_id="ABC1"),
            attempt("B", "sales@example.jp", 1, State.BOUNCED, "550 5.1.1 no such user", 19),
            attempt("C", "boss@other.example", 1, State.DEFERRED, "451 4.4.0 no connection", 9),
            attempt("C", "sales@example.jp", 1, State.DELIVERED, "250 2.0.0 stored in sales", 9),
            Refusal(
                "R1", NOW - 5 * HOUR, "RCPT", "203.0.113.5", "", "spam@bad.example", ["x@example.jp"], "550 5.7.1 relay"
            ),
        ]
    )
    assert recorder.flush()
    return recorder


def ids(recorder: Recorder, **filters) -> list[str | None]:
    return [found["id"] for found in query.search(recorder.path, Filters(**filters), limit=100)]


def test_with_no_filter_every_message_and_refusal_comes_newest_first(filled):
    assert ids(filled) == ["D", None, "C", "B", "A"]


def test_since_and_until_select_the_period(filled):
    assert ids(filled, since=NOW - 15 * HOUR) == ["D", None, "C"]
    assert ids(filled, until=NOW - 15 * HOUR) == ["B", "A"]
    assert ids(filled, since=query.parse_when("25h", NOW), until=query.parse_when("8h", NOW)) == ["C", "B"]


def test_from_matches_the_envelope_sender_or_the_header_from(filled):
    assert ids(filled, sender="fax@") == ["B"]
    assert ids(filled, sender="FAX <") == ["B"]  # the header From
    assert ids(filled, sender="spam@bad") == [None]  # the refusal's sender


def test_to_matches_a_recipient(filled):
    assert ids(filled, recipient="boss@") == ["C"]
    assert ids(filled, recipient="x@example.jp") == [None]


def test_a_whole_address_matches_that_address_without_case_and_no_longer_one(filled):
    assert ids(filled, recipient="BOSS@other.example") == ["C"]
    assert ids(filled, recipient="oss@other.example") == []  # not a part of boss@: a whole address
    assert ids(filled, recipient="oss@other") == ["C"]  # a part


def test_subject_matches_a_part_of_the_decoded_subject(filled):
    assert ids(filled, subject="請求") == ["B"]


def test_message_id_matches_with_or_without_its_angle_brackets(filled):
    assert ids(filled, message_id="special@mfp.example.jp") == ["D"]
    assert ids(filled, message_id="<special@mfp.example.jp>") == ["D"]


def test_state_selects_the_messages_with_a_recipient_in_it_and_refused_the_refusals(filled):
    assert ids(filled, state=State.SENT) == ["A"]
    assert ids(filled, state=State.BOUNCED) == ["B"]
    assert ids(filled, state=State.DEFERRED) == ["C"]
    assert ids(filled, state=State.DELIVERED) == ["C"]
    assert ids(filled, state=State.QUEUED) == ["D"]
    assert ids(filled, state=State.REFUSED) == [None]


def test_a_like_wildcard_in_a_filter_is_taken_literally(filled):
    assert ids(filled, subject="%") == []
    assert ids(filled, sender="_") == []


def test_pages_follow_each_other_without_a_gap_or_a_repeat(filled):
    pages = [[f["id"] for f in query.search(filled.path, Filters(), limit=2, offset=offset)] for offset in (0, 2, 4, 6)]
    assert pages == [["D", None], ["C", "B"], ["A"], []]


def test_the_json_objects_have_exactly_the_keys_of_the_spec(filled):
    found = query.search(filled.path, Filters(), limit=10)
    keys = {"id", "received", "client", "login", "from", "header_from", "subject", "message_id", "size", "recipients"}
    rcpt_keys = {
        "address",
        "state",
        "rule",
        "destination",
        "account",
        "reply",
        "attempts",
        "last_attempt",
        "upstream_id",
    }
    for item in found:
        assert set(item) == keys
        assert all(set(r) == rcpt_keys for r in item["recipients"])
    a = next(item for item in found if item["id"] == "A")
    assert a["recipients"][0]["upstream_id"] == "ABC1"
    assert a["recipients"][0]["reply"] == "250 2.0.0 Ok: queued as ABC1"
    refused = next(item for item in found if item["id"] is None)
    assert refused["recipients"] == [
        {
            "address": "x@example.jp",
            "state": "refused",
            "rule": None,
            "destination": None,
            "account": None,
            "reply": "550 5.7.1 relay",
            "attempts": 0,
            "last_attempt": None,
            "upstream_id": None,
        }
    ]
    c = next(item for item in found if item["id"] == "C")
    assert [r["address"] for r in c["recipients"]] == ["boss@other.example", "sales@example.jp"]  # envelope order


def rows(recorder: Recorder, table: str) -> int:
    with sqlite3.connect(recorder.path) as db:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_records_written_twice_are_one_row_each(filled):
    filled.add([message("A", 30), attempt("A", "sales@example.jp", 1, State.SENT, "250 ok")])
    filled.add([Refusal("R1", NOW, "RCPT", "203.0.113.5", "", "spam@bad.example", ["x@example.jp"], "550 again")])
    assert filled.flush()
    assert (rows(filled, "messages"), rows(filled, "attempts"), rows(filled, "refusals")) == (4, 4, 1)
    assert ids(filled) == ["D", None, "C", "B", "A"]


def test_an_attempt_made_again_under_its_number_replaces_it_and_a_late_older_one_changes_nothing(recorder):
    recorder.add([message("M", 2)])
    recorder.add([attempt("M", "sales@example.jp", 1, State.DEFERRED, "451 4.4.0 down")])
    recorder.add(
        [attempt("M", "sales@example.jp", 1, State.DEFERRED, "451 4.4.0 still down")]
    )  # the same attempt again
    recorder.add([attempt("M", "sales@example.jp", 2, State.SENT, "250 ok")])
    recorder.add([attempt("M", "sales@example.jp", 1, State.DEFERRED, "451 4.4.0 down")])  # late, from a killed worker
    assert recorder.flush()
    (found,) = query.search(recorder.path, Filters())
    assert (found["recipients"][0]["state"], found["recipients"][0]["attempts"]) == ("sent", 2)
    timeline = query.detail(recorder.path, "M")["timeline"]
    assert [(t["event"], t.get("attempt"), t.get("reply")) for t in timeline] == [
        ("received", None, None),
        ("attempt", 1, "451 4.4.0 down"),
        ("attempt", 2, "250 ok"),
    ]


def test_an_attempt_told_before_its_message_is_shown_once_the_message_comes(recorder):
    recorder.add([attempt("N", "late@example.jp", 1, State.SENT, "250 ok")])
    assert recorder.flush()
    assert ids(recorder) == []  # no message row yet: nothing to show
    recorder.add([message("N", 1, recipients=["first@example.jp", "late@example.jp"])])
    assert recorder.flush()
    (found,) = query.search(recorder.path, Filters())
    assert [(r["address"], r["state"]) for r in found["recipients"]] == [
        ("first@example.jp", "queued"),
        ("late@example.jp", "sent"),
    ]


def test_detail_gives_the_whole_timeline_with_the_dsn_sent(recorder):
    recorder.add(
        [
            message("T", 3, login="device:mfp-2f", helo="mfp-2f.local"),
            attempt("T", "sales@example.jp", 1, State.DEFERRED, "451 4.4.0 down", 2, rule=1, destination="smtp:587"),
            attempt("T", "sales@example.jp", 2, State.BOUNCED, "550 5.1.1 no", 1, rule=1, dsn="DSNID", account="isp"),
        ]
    )
    assert recorder.flush()
    found = query.detail(recorder.path, "T")
    assert (found["login"], found["helo"], found["attachments"]) == ("device:mfp-2f", "mfp-2f.local", 1)
    last = found["timeline"][-1]
    assert (last["state"], last["rule"], last["account"], last["dsn"]) == ("bounced", 1, "isp", "DSNID")
    assert query.detail(recorder.path, "nothing") is None


def test_records_older_than_the_days_go_when_the_writer_starts(tmp_path):
    first = Recorder(tmp_path / "history.sqlite3", tmp_path / "msg", days=90)
    first.add([message("OLD", 91 * 24), message("NEW", 89 * 24)])
    first.add([attempt("OLD", "sales@example.jp", 1, State.SENT, "250 ok", 91 * 24)])
    first.add([Refusal("R", NOW - 91 * 86400, "DATA", "192.0.2.1", "", "a@example.jp", [], "554 loop")])
    first.write_pending()
    assert ids(first) == ["NEW", None, "OLD"]
    second = Recorder(tmp_path / "history.sqlite3", tmp_path / "msg", days=90)
    second.start()
    try:
        second.flush()
        deadline = time.monotonic() + 10
        while ids(second) != ["NEW"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ids(second) == ["NEW"]
        assert rows(second, "attempts") == 0
    finally:
        second.stop()


def test_a_file_over_its_bound_loses_its_oldest_records_early_and_says_so(tmp_path, caplog):
    recorder = Recorder(tmp_path / "history.sqlite3", tmp_path / "msg", days=90)
    recorder.add([message(f"M{n:04}", 1000 - n, subject="x" * 500) for n in range(1000)])
    recorder.write_pending()
    used = recorder.used_bytes()
    recorder.max_bytes = used // 2
    recorder.start()
    try:
        with caplog.at_level(logging.WARNING, logger="tenso"):
            recorder.flush()
            deadline = time.monotonic() + 10
            while not any("over its bound" in r.getMessage() for r in caplog.records) and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        recorder.stop()
    (line,) = [r.getMessage() for r in caplog.records if "over its bound" in r.getMessage()]
    assert "were removed before their 90 days (history.days)" in line
    left = ids(recorder)
    assert 0 < len(left) < 600 and left[0] == "M0999"  # the newest kept, the oldest gone
    assert recorder.used_bytes() <= used // 2


def test_nothing_is_written_when_the_history_is_off(tmp_path):
    recorder = Recorder(tmp_path / "history.sqlite3", tmp_path / "msg", enabled=False)
    recorder.start()
    recorder.add([message("A", 1)])
    recorder.stored("B", Envelope("a@example.jp", ["b@example.jp"], received_at=NOW), (b"Subject: x\r\n\r\n",))
    recorder.recovered(["C"])
    recorder.stop()
    assert not recorder.path.exists()
    assert query.search(recorder.path, Filters()) == []


def test_messages_found_in_the_queue_get_their_row_from_the_file_unless_they_have_one(tmp_path):
    spool = Spool(tmp_path / "queue")
    for qid, subject in (("K1", "known"), ("U1", "unknown")):
        spool.store(
            qid, Envelope("a@example.jp", ["b@example.jp"], received_at=NOW), f"Subject: {subject}\r\n\r\nx".encode()
        )
    recorder = Recorder(tmp_path / "queue" / "history.sqlite3", spool.msg)
    recorder.add([message("K1", 1, subject="as told")])
    recorder.recovered(["K1", "U1", "GONE"])
    recorder.write_pending()
    found = {f["id"]: f["subject"] for f in query.search(recorder.path, Filters())}
    assert found == {"K1": "as told", "U1": "unknown"}


def test_a_search_reads_while_the_writer_holds_the_file(recorder):
    recorder.add([message("W1", 1)])
    assert recorder.flush()
    assert recorder._db is not None  # the writer's connection is open
    assert ids(recorder) == ["W1"]
    recorder.add([message("W2", 0.5)])
    assert recorder.flush()
    assert ids(recorder) == ["W2", "W1"]


def test_a_time_is_iso_8601_or_a_time_ago():
    assert query.parse_when("2h", NOW) == NOW - 7200
    assert query.parse_when("3d", NOW) == NOW - 3 * 86400
    assert query.parse_when("2026-12-08T09:30:00+09:00") == datetime(2026, 12, 8, 0, 30, tzinfo=UTC).timestamp()
    assert query.parse_when("2026-12-08") == datetime(2026, 12, 8).timestamp()  # local midnight
    with pytest.raises(ValueError, match="2h, 3d"):
        query.parse_when("yesterday")


def test_filters_from_json_read_the_option_names():
    found = query.filters_from({"since": "2h", "from": "scan@", "to": "b@", "state": "bounced", "message_id": "x"})
    assert (found.sender, found.recipient, found.state, found.message_id) == ("scan@", "b@", State.BOUNCED, "x")
    assert found.since is not None and abs(found.since - (time.time() - 7200)) < 5
    with pytest.raises(ValueError, match="choose one of"):
        query.filters_from({"state": "lost"})


def test_an_address_that_was_not_utf8_is_recorded_with_its_bytes_replaced_and_the_writer_goes_on(recorder):
    broken = "caf\udce9@example.jp"  # b"caf\xe9@example.jp" read with surrogateescape, as the handler reads it
    recorder.add([message("S1", 2, sender=broken, recipients=[broken])])
    recorder.add([attempt("S1", broken, 1, State.BOUNCED, "554 5.6.7 cannot be sent")])
    recorder.add([Refusal("RS", NOW, "RCPT", "192.0.2.1", "", broken, [broken], "553 5.1.3 refused")])
    assert recorder.flush()
    recorder.add([message("S2", 1)])
    assert recorder.flush()
    found = query.search(recorder.path, Filters(), limit=10)
    assert [f["id"] for f in found] == [None, "S2", "S1"]
    s1 = found[2]
    assert s1["from"] == "caf\ufffd@example.jp"
    assert [(r["address"], r["state"]) for r in s1["recipients"]] == [("caf\ufffd@example.jp", "bounced")]
    assert found[0]["recipients"][0]["address"] == "caf\ufffd@example.jp"


def test_day_counts_the_attempts_and_refusals_of_the_period_and_lists_the_bounced_first_to_last(filled, recorder):
    path = recorder.path
    whole = query.day(path, NOW - 40 * HOUR, NOW)
    assert (whole.sent, whole.delivered, whole.bounced, whole.refused) == (1, 1, 1, 1)
    assert whole.bounces == [
        query.Bounced("B", NOW - 19 * HOUR, "fax@example.jp", "sales@example.jp", "請求書", "550 5.1.1 no such user")
    ]
    # The period's bounds: from its start, to before its end.
    assert query.day(path, NOW - 19 * HOUR, NOW).bounced == 1
    assert query.day(path, NOW - 40 * HOUR, NOW - 19 * HOUR).bounced == 0
    later = query.day(path, NOW - 15 * HOUR, NOW)
    assert (later.sent, later.delivered, later.bounced, later.refused, later.bounces) == (0, 1, 0, 1, [])
    # More bounced than listed: all counted, the first ones listed.
    recorder.add([attempt("C", "boss@other.example", 2, State.BOUNCED, "550 5.4.1 gave up", 2)])
    assert recorder.flush()
    two = query.day(path, NOW - 40 * HOUR, NOW, listed=1)
    assert two.bounced == 2 and [b.qid for b in two.bounces] == ["B"]


def test_day_without_a_history_file_is_none(tmp_path):
    assert query.day(tmp_path / "none.sqlite3", 0, NOW) is None
