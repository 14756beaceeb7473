"""The log line that says what a refusal means (app/mail/replies), once.

A destination that refuses every message with the same ``535 5.7.139`` would otherwise explain
itself a hundred times a morning.  ``AdviceLog`` remembers, per destination (a rule's
``host:port``, or the Graph mailbox an account sends as), the advice it last gave: the
explanation is logged at WARNING the first time, and again only when the destination's refusal
becomes another known one, or after a delivery there succeeded in between.  One lives in each
``Deliverer``: in the delivery worker process its lines reach the window and the log file like
every other (app/system/workers.py forwards them).
"""

from __future__ import annotations

import logging
import threading

from app.mail.replies import explain
from app.store.spool import DEFERRED, FAILED, SENT, RecipientState

log = logging.getLogger("tenso")


class AdviceLog:
    def __init__(self) -> None:
        self._said: dict[str, str] = {}  # destination -> the advice key last logged for it
        self._lock = threading.Lock()  # attempts run in several delivery threads

    def note(self, qid: str, via: str | None, reply: str, state: RecipientState) -> None:
        """After a recipient's reply: explains a known refusal unless it was explained already."""
        if not via:
            return  # not a destination's answer (a loop, a bounce by the administrator)
        if state == SENT:
            with self._lock:
                self._said.pop(via, None)
            return
        if state not in (DEFERRED, FAILED):
            return
        advice = explain(reply)
        if advice is None:
            return  # an unknown reply (a recipient unknown) says nothing of the destination's refusal
        with self._lock:
            if self._said.get(via) == advice.key:
                return
            self._said[via] = advice.key
        fix = " ".join(line.strip() for line in advice.fix.split("\n"))
        log.warning("%s advice for %s: %s → %s (%s)", qid, via, advice.what, fix, advice.key)
