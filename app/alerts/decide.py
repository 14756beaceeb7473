"""What to tell, given what is wrong now and what was told before: pure, so it is tested with
given times (tests/unit/test_alerts_decide.py).

A condition is told once when it starts, again every ``repeat_hours`` while it lasts (0: never
again), and once when it ends: never once per message, since a condition is one destination
(or account, or the queue), however much mail it holds up.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.alerts.events import Condition, Notice, Phase


@dataclass
class Told:
    """A condition that was told and has not ended (kept in alerts.json across restarts)."""

    condition: Condition
    told: float  # when it was last told (started or repeated)


def decide(
    told: dict[str, Told], now: list[Condition], at: float, repeat_hours: int
) -> tuple[dict[str, Told], list[Notice]]:
    """The conditions told after this round, and the notices to send, in the order found."""
    after: dict[str, Told] = {}
    notices: list[Notice] = []
    current = {c.key: c for c in now}
    for key, condition in current.items():
        before = told.get(key)
        if condition.once:
            notices.append(Notice(condition, Phase.STARTED, at))
        elif before is None:
            after[key] = Told(condition, at)
            notices.append(Notice(condition, Phase.STARTED, at))
        elif repeat_hours > 0 and at - before.told >= repeat_hours * 3600:
            after[key] = Told(condition, at)
            notices.append(Notice(condition, Phase.REPEATED, at))
        else:
            after[key] = Told(condition, before.told)  # the newest words, the first telling's time
    for key, before in told.items():
        if key not in current:
            notices.append(Notice(before.condition, Phase.ENDED, at))
    return after, notices
