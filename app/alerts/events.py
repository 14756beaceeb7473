"""What an alert is about (``Event``), how far it has got (``Phase``), and one condition as the
watcher finds it: its key (one per destination, per account...), its words in English and
Japanese, and its details for the webhook."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Event(StrEnum):
    DESTINATION_FAILING = "destination_failing"
    ACCOUNT_SIGN_IN = "account_sign_in"
    SECRET_EXPIRING = "secret_expiring"
    QUEUE_STUCK = "queue_stuck"
    DISK_LOW = "disk_low"
    ENGINE_STOPPED = "engine_stopped"
    TEST = "test"  # the window's "Send a test alert"


class Phase(StrEnum):
    """The webhook's ``state``."""

    STARTED = "started"
    REPEATED = "repeated"
    ENDED = "ended"


@dataclass(frozen=True)
class Condition:
    """Something wrong now.  ``key`` tells one condition from another of the same event
    (``destination_failing:mail.example.jp:25``); ``since``: when it began, as far as known."""

    key: str
    event: Event
    text: str  # what it is and what to do, in English (the log, the webhook's text, the mail)
    text_ja: str
    since: float
    details: dict = field(default_factory=dict, hash=False, compare=False)
    once: bool = False  # told when found, never repeated nor ended (engine_stopped, test)


@dataclass(frozen=True)
class Notice:
    """One thing to tell: a condition started, still holds, or ended."""

    condition: Condition
    phase: Phase
    time: float

    @property
    def event(self) -> Event:
        return self.condition.event

    def text(self, lang: str = "en") -> str:
        """The condition's words with the phase before them (an ended one says it is over)."""
        body = self.condition.text_ja if lang == "ja" else self.condition.text
        return PREFIX[lang][self.phase] + body


PREFIX = {
    "en": {Phase.STARTED: "Tenso alert: ", Phase.REPEATED: "Tenso alert (still): ", Phase.ENDED: "Tenso, over: "},
    "ja": {Phase.STARTED: "Tenso 警告: ", Phase.REPEATED: "Tenso 警告（継続中）: ", Phase.ENDED: "Tenso 復旧: "},
}
