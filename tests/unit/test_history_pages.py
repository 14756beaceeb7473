"""query.pages: a whole search read a page at a time through one connection (the window's CSV
export), over a file written by the real writer: the same objects as search, in the same order,
the refusals merged in, none twice, none left out."""

from __future__ import annotations

import time

from app.history import query
from app.history.query import Filters
from app.history.records import Attempt, Received, Refusal, State
from app.history.writer import Recorder

NOW = time.time()


def filled(tmp_path) -> Recorder:
    recorder = Recorder(tmp_path / "history.sqlite3", tmp_path / "msg")
    recorder.start()
    records: list = []
    for n in range(23):
        qid = f"M{n:02d}"
        t = NOW - n * 60
        records.append(
            Received(qid, t, "192.0.2.1", "", "scan@example.jp", ["a@example.jp"], "", f"件名 {n}", "", 10, 0)
        )
        state = State.BOUNCED if n % 5 == 0 else State.SENT
        records.append(Attempt(qid, "a@example.jp", 1, t + 1, state.value, "250 ok" if n % 5 else "550 no"))
        if n % 7 == 0:
            records.append(
                Refusal(f"R{n}", t - 30, "RCPT", "203.0.113.9", "", "x@bad.example", ["b@example.jp"], "550")
            )
    recorder.add(records)
    assert recorder.flush()
    recorder.stop()
    return recorder


def test_pages_give_what_search_gives_in_order_a_page_at_a_time(tmp_path):
    recorder = filled(tmp_path)
    for filters in (Filters(), Filters(state=State.BOUNCED), Filters(state=State.REFUSED), Filters(subject="件名 1")):
        whole = query.search(recorder.path, filters, limit=1000)
        parts = list(query.pages(recorder.path, filters, size=4))
        assert [found for part in parts for found in part] == whole, filters
        assert all(len(part) == 4 for part in parts[:-1]) and 0 < len(parts[-1]) <= 4
    assert len(query.search(recorder.path, Filters(), limit=1000)) == 23 + 4  # the refusals merged in


def test_no_file_no_pages(tmp_path):
    assert list(query.pages(tmp_path / "none.sqlite3", Filters())) == []
