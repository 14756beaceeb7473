"""The status counts (app/store/activity.py): today against the last 24 hours, destinations that
keep failing, and the file they are kept in (a clock the test moves; a real file)."""

from __future__ import annotations

import time

from app.store.activity import Activity, Delivered, Outcome, local_midnight
from tests.support.logs import LogCapture


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def noon_today() -> float:
    return local_midnight(time.time()) + 12 * 3600


def test_today_starts_at_local_midnight_and_the_chart_keeps_24_hours(tmp_path):
    clock = Clock(noon_today() - 20 * 3600)  # yesterday, 16:00
    activity = Activity(tmp_path / "activity.json", clock)
    activity.count(Outcome.RECEIVED, 3)
    clock.now = noon_today()
    activity.count(Outcome.RECEIVED)
    activity.delivered([Delivered(Outcome.RELAYED, "smtp.example.jp:587", "250 ok")])

    assert activity.today()[Outcome.RECEIVED] == 1
    hours = activity.last_hours(24)
    assert len(hours) == 24 and hours[-1][0] <= clock.now < hours[-1][0] + 3600
    assert sum(c.get(Outcome.RECEIVED, 0) for _, c in hours) == 4  # yesterday 16:00 is within 24 h

    clock.now += 24 * 3600
    assert sum(c.get(Outcome.RECEIVED, 0) for _, c in activity.last_hours(24)) == 0


def test_a_destination_is_failing_until_it_succeeds_again():
    activity = Activity(None, Clock(noon_today()))
    name = "mail.example.jp:25"
    activity.delivered([Delivered(Outcome.DEFERRED, name, "451 4.4.0 cannot connect")] * 2)
    (d,) = activity.destinations()
    assert d.failing and d.failures == 2 and d.last_reply == "451 4.4.0 cannot connect"
    activity.delivered([Delivered(Outcome.RELAYED, name, "250 ok")])
    (d,) = activity.destinations()
    assert not d.failing and d.last_failure and d.last_success
    assert d.last_reply == "451 4.4.0 cannot connect", "the last failure's reply stays to be read"

    activity.delivered([Delivered(Outcome.BOUNCED, name, "550 5.1.1 <nobody@example.jp>: no such user")])
    (d,) = activity.destinations()
    assert not d.failing, "a server that refuses one address is a server that works"
    assert d.last_reply.startswith("550 5.1.1")


def test_kept_in_a_file_and_a_broken_file_starts_from_zero(tmp_path):
    path = tmp_path / "activity.json"
    clock = Clock(noon_today())
    first = Activity(path, clock)
    first.count(Outcome.REFUSED, 2)
    first.delivered([Delivered(Outcome.BOUNCED, "MX", "550 5.1.1 no such user")])
    assert first.dirty
    first.save()
    assert not first.dirty and not path.with_name("activity.json.tmp").exists()

    second = Activity(path, clock)
    second.load()
    assert second.today()[Outcome.REFUSED] == 2 and second.today()[Outcome.BOUNCED] == 1
    assert [d.name for d in second.destinations()] == ["MX"]

    path.write_text("{not json", encoding="utf-8")
    third = Activity(path, clock)
    with LogCapture() as logged:
        third.load()
    assert third.today()[Outcome.REFUSED] == 0
    assert "the status counts start from zero" in logged.text()
