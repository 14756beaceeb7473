"""The alerts' decision (app/alerts/decide.py) with given times: started once, repeated every
repeat_hours, ended once; a one-off event told each time it is found."""

from __future__ import annotations

from app.alerts.decide import decide
from app.alerts.events import Condition, Event, Phase

HOUR = 3600.0


def failing(name: str = "mail.example.jp:25", text: str = "down") -> Condition:
    return Condition(f"destination_failing:{name}", Event.DESTINATION_FAILING, text, "停止", 0.0, {"destination": name})


def run(rounds: list[tuple[float, list[Condition]]], repeat_hours: int = 24) -> list[tuple[float, str, Phase]]:
    told: dict = {}
    said = []
    for at, now in rounds:
        told, notices = decide(told, now, at, repeat_hours)
        said += [(n.time, n.condition.key, n.phase) for n in notices]
    return said


def test_a_condition_is_told_when_it_starts_and_when_it_ends_and_not_in_between():
    rounds = [(0, [failing()])] + [(m * 60.0, [failing()]) for m in range(1, 300)] + [(301 * 60.0, [])]
    assert run(rounds) == [
        (0, "destination_failing:mail.example.jp:25", Phase.STARTED),
        (301 * 60.0, "destination_failing:mail.example.jp:25", Phase.ENDED),
    ]


def test_a_lasting_condition_is_told_again_every_repeat_hours():
    rounds = [(h * HOUR / 2, [failing()]) for h in range(0, 100)]  # every half hour for 50 hours
    phases = [(t / HOUR, p) for t, _, p in run(rounds, repeat_hours=24)]
    assert phases == [(0, Phase.STARTED), (24, Phase.REPEATED), (48, Phase.REPEATED)]


def test_repeat_hours_0_tells_only_the_start():
    rounds = [(h * HOUR, [failing()]) for h in range(0, 100)]
    assert [p for _, _, p in run(rounds, repeat_hours=0)] == [Phase.STARTED]


def test_each_destination_is_its_own_condition():
    a, b = failing("a:25"), failing("b:25")
    said = run([(0, [a]), (60, [a, b]), (120, [b]), (180, [])])
    assert [(k.split(":", 1)[1], p) for _, k, p in said] == [
        ("a:25", Phase.STARTED),
        ("b:25", Phase.STARTED),
        ("a:25", Phase.ENDED),
        ("b:25", Phase.ENDED),
    ]


def test_the_newest_words_are_kept_and_the_ended_notice_carries_them():
    told, _ = decide({}, [failing(text="failed for 30 minutes")], 0, 24)
    told, notices = decide(told, [failing(text="failed for 90 minutes")], HOUR, 24)
    assert notices == [] and told["destination_failing:mail.example.jp:25"].told == 0
    _, notices = decide(told, [], 2 * HOUR, 24)
    assert notices[0].phase == Phase.ENDED and "90 minutes" in notices[0].condition.text
    assert notices[0].text().startswith("Tenso, over: ") and notices[0].text("ja").startswith("Tenso 復旧: ")


def test_a_one_off_event_is_never_kept_so_it_never_ends():
    stopped = Condition("engine_stopped", Event.ENGINE_STOPPED, "ended without a stop", "停止", 0.0, once=True)
    told, notices = decide({}, [stopped], 0, 24)
    assert [n.phase for n in notices] == [Phase.STARTED] and told == {}
    _, notices = decide(told, [], 60, 24)
    assert notices == []
